/* test_analysis.c -- matrices, linear algebra, spectra, pictures and array
   files of section 8, against known answers: decompositions built from known
   factors, hand values, numpy references (tests/fixtures/analysis_ref.txt,
   made by tests/analysis_ref.py) and a naive DFT.

   `test_analysis --write DIR` writes the files that tests/analysis_ref.py
   check DIR loads with numpy (run by tests/analysis_npz_check.sh). */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "testutil.h"

#define PI 3.14159265358979323846

/* ---- helpers ------------------------------------------------------------- */

#define AT(a, r, c) ((a)->data[(size_t)(r) * (a)->ld + (c)])

/* A reproducible uniform number in [-1, 1) (a 64-bit LCG). */
static double rnd(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* A rows x cols matrix with orthonormal columns: modified Gram-Schmidt, twice. */
static folkrnn_matrix *random_orthonormal(int rows, int cols, uint64_t seed)
{
    folkrnn_matrix *q;
    ck_assert_ok(folkrnn_matrix_new(rows, cols, &q));
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            AT(q, r, c) = rnd(&seed);
    for (int c = 0; c < cols; c++)
        for (int pass = 0; pass < 2; pass++) {
            for (int k = 0; k < c; k++) {
                double dot = 0.0;
                for (int r = 0; r < rows; r++)
                    dot += AT(q, r, k) * AT(q, r, c);
                for (int r = 0; r < rows; r++)
                    AT(q, r, c) -= dot * AT(q, r, k);
            }
            double norm = 0.0;
            for (int r = 0; r < rows; r++)
                norm += AT(q, r, c) * AT(q, r, c);
            for (int r = 0; r < rows; r++)
                AT(q, r, c) /= sqrt(norm);
        }
    return q;
}

/* u diag(s) v^T, summed in long double. */
static folkrnn_matrix *compose(const folkrnn_matrix *u, const double *s, const folkrnn_matrix *v)
{
    folkrnn_matrix *a;
    ck_assert_ok(folkrnn_matrix_new(u->rows, v->rows, &a));
    for (int i = 0; i < u->rows; i++)
        for (int j = 0; j < v->rows; j++) {
            long double sum = 0.0L;
            for (int k = 0; k < u->cols; k++)
                sum += (long double)AT(u, i, k) * s[k] * AT(v, j, k);
            AT(a, i, j) = (double)sum;
        }
    return a;
}

/* max |Q^T Q - I| over the columns of q. */
static double orthogonality_error(const folkrnn_matrix *q)
{
    double worst = 0.0;
    for (int a = 0; a < q->cols; a++)
        for (int b = 0; b < q->cols; b++) {
            double dot = 0.0;
            for (int r = 0; r < q->rows; r++)
                dot += AT(q, r, a) * AT(q, r, b);
            worst = fmax(worst, fabs(dot - (a == b)));
        }
    return worst;
}

/* A fixture line "name count values..." from analysis_ref.txt; returns count. */
static int fixture(const char *name, double *values, int max)
{
    FILE *f = fopen(fixture_path("analysis_ref.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", fixture_path("analysis_ref.txt"));
    char key[64];
    int count = -1;
    while (fscanf(f, "%63s", key) == 1) {
        if (key[0] == '#') {
            int ch;
            while ((ch = fgetc(f)) != '\n' && ch != EOF)
                ;
            continue;
        }
        int n;
        ck_assert_int_eq(fscanf(f, "%d", &n), 1);
        int want = strcmp(key, name) == 0;
        for (int i = 0; i < n; i++) {
            double v;
            ck_assert_int_eq(fscanf(f, "%lf", &v), 1);
            if (want && i < max)
                values[i] = v;
        }
        if (want) {
            count = n;
            break;
        }
    }
    fclose(f);
    ck_assert_msg(count >= 0, "fixture %s missing", name);
    return count;
}

static void assert_close(double got, double want, double tol, const char *what, int i)
{
    ck_assert_msg(fabs(got - want) <= tol, "%s[%d]: %.17g, expected %.17g (tol %g)", what, i, got,
                  want, tol);
}

/* Inputs restated from tests/analysis_ref.py. */
static const double CORR_A[5 * 3] = {1, 2, 0, 2, 1, 1, 3, 5, -1, 4, 3, 2, 5, 8, 0};
static const double CORR_V[5] = {1, 0, 2, 1, 3};
static const double SVD_A[4 * 3] = {2, 0, 1, 1, 3, -1, 0, 1, 4, 1, 1, 1};
static const double EIG_A[4 * 4] = {4, 1, 2, 0, 1, 3, 0, 1, 2, 0, 5, -1, 0, 1, -1, 2};
#define PGRAM_N 100

static double pgram_signal(int t)
{
    return sin(2 * PI * t / 9) + 0.5 * cos(2 * PI * t / 4) + 0.01 * t + 3.0;
}

static double npz_pattern(int r, int c, double salt)
{
    return (r * 1000 + c) * 0.25 - salt;
}

/* ---- matrices ------------------------------------------------------------ */

START_TEST(test_matrix_basics)
{
    double data[2 * 4] = {1, 2, 3, -1, 4, 5, 6, -1}; /* 2 x 3 with ld 4 */
    folkrnn_matrix *a, *v, *b, *t;
    ck_assert_ok(folkrnn_matrix_from_double(data, 2, 3, 4, &a));
    ck_assert_int_eq(a->owner, 1);
    ck_assert_int_eq(a->ld, 3);
    ck_assert(AT(a, 1, 2) == 6.0);
    ck_assert_ok(folkrnn_matrix_view(data, 2, 3, 4, &v));
    ck_assert_int_eq(v->owner, 0);
    AT(v, 0, 1) = 20.0;
    ck_assert(data[1] == 20.0);
    ck_assert_ok(folkrnn_matrix_block(a, 1, 1, 1, 2, &b));
    ck_assert(AT(b, 0, 0) == 5.0 && AT(b, 0, 1) == 6.0 && b->owner == 0);
    ck_assert_int_eq(folkrnn_matrix_block(a, 1, 2, 1, 2, &t), FOLKRNN_E_RANGE);
    ck_assert_ptr_null(t);
    ck_assert(strstr(folkrnn_errmsg(), "outside a 2 x 3") != NULL);
    ck_assert_ok(folkrnn_matrix_transpose(a, &t));
    ck_assert(t->rows == 3 && t->cols == 2 && AT(t, 2, 1) == 6.0);
    ck_assert_int_eq(folkrnn_matrix_add(a, t, 1.0), FOLKRNN_E_SHAPE);
    ck_assert(strstr(folkrnn_errmsg(), "2 x 3") && strstr(folkrnn_errmsg(), "3 x 2"));
    folkrnn_matrix_free(t);
    ck_assert_ok(folkrnn_matrix_add(a, a, 1.0));
    ck_assert(AT(a, 1, 2) == 12.0);
    float fdata[4] = {0.5f, -1.5f, 2.25f, 8.0f};
    folkrnn_matrix *f;
    ck_assert_ok(folkrnn_matrix_from_float(fdata, 2, 2, 2, &f));
    ck_assert(AT(f, 1, 0) == 2.25);
    ck_assert_int_eq(folkrnn_matrix_new(0, 3, &t), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_matrix_from_double(data, 2, 3, 2, &t), FOLKRNN_E_INVALID);
    folkrnn_matrix_free(NULL);
    folkrnn_matrix_free(f);
    folkrnn_matrix_free(b);
    folkrnn_matrix_free(v);
    folkrnn_matrix_free(a);
}
END_TEST

START_TEST(test_matrix_from_param)
{
    int units[1] = {3};
    const char *tokens[4] = {"a", "b", "c", "d"};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, units, 4, tokens, 0, &m));
    float *w;
    int rows, cols, ld;
    ck_assert_ok(folkrnn_model_param(m, 0, FOLKRNN_P_DENSE_W, &w, &rows, &cols, &ld));
    w[1 * ld + 2] = 0.75f;
    folkrnn_matrix *a;
    ck_assert_ok(folkrnn_matrix_from_param(m, 0, FOLKRNN_P_DENSE_W, &a));
    ck_assert(a->rows == 3 && a->cols == 4 && AT(a, 1, 2) == 0.75 && a->owner == 1);
    folkrnn_matrix_free(a);
    ck_assert_ok(folkrnn_matrix_from_param(m, 0, FOLKRNN_P_W_IN, &a));
    ck_assert(a->rows == 4 && a->cols == 12);
    folkrnn_matrix_free(a);
    ck_assert_int_eq(folkrnn_matrix_from_param(m, 5, FOLKRNN_P_W_IN, &a), FOLKRNN_E_RANGE);
    folkrnn_model_free(m);
}
END_TEST

/* ---- Gram, norms, correlations ------------------------------------------- */

START_TEST(test_gram_hand)
{
    double data[6] = {1, 2, 3, 4, 5, 6};
    folkrnn_matrix *a, *g;
    ck_assert_ok(folkrnn_matrix_from_double(data, 3, 2, 2, &a));
    ck_assert_ok(folkrnn_gram(a, FOLKRNN_GRAM_COLS, 0, &g));
    ck_assert(g->rows == 2 && AT(g, 0, 0) == 35 && AT(g, 0, 1) == 44 && AT(g, 1, 0) == 44 &&
              AT(g, 1, 1) == 56);
    folkrnn_matrix_free(g);
    ck_assert_ok(folkrnn_gram(a, FOLKRNN_GRAM_ROWS, 0, &g));
    const double rows[9] = {5, 11, 17, 11, 25, 39, 17, 39, 61};
    for (int i = 0; i < 9; i++)
        ck_assert(g->data[i] == rows[i]);
    folkrnn_matrix_free(g);
    ck_assert_ok(folkrnn_gram(a, FOLKRNN_GRAM_COLS, 1, &g));
    ck_assert(AT(g, 0, 0) == 1.0 && AT(g, 1, 1) == 1.0);
    assert_close(AT(g, 0, 1), 44 / sqrt(35.0 * 56.0), 1e-15, "cosine", 0);
    folkrnn_matrix_free(g);
    double norms[2];
    ck_assert_ok(folkrnn_column_norms(a, norms));
    assert_close(norms[0], sqrt(35.0), 1e-15, "norm", 0);
    assert_close(norms[1], sqrt(56.0), 1e-15, "norm", 1);
    double means[2];
    ck_assert_ok(folkrnn_column_means(a, means));
    ck_assert(means[0] == 3.0 && means[1] == 4.0);
    ck_assert_int_eq(folkrnn_gram(a, 7, 0, &g), FOLKRNN_E_INVALID);
    AT(a, 2, 1) = NAN;
    ck_assert_int_eq(folkrnn_gram(a, FOLKRNN_GRAM_COLS, 0, &g), FOLKRNN_E_NUMERIC);
    ck_assert(strstr(folkrnn_errmsg(), "[2, 1]") != NULL);
    folkrnn_matrix_free(a);
}
END_TEST

START_TEST(test_corr_reference)
{
    folkrnn_matrix *a, *c;
    double want[9], corr[3];
    ck_assert_ok(folkrnn_matrix_from_double(CORR_A, 5, 3, 3, &a));
    ck_assert_ok(folkrnn_corr_columns(a, FOLKRNN_CORR_PEARSON, &c));
    ck_assert_int_eq(fixture("corr_pearson", want, 9), 9);
    for (int i = 0; i < 9; i++)
        assert_close(c->data[i], want[i], 1e-14, "pearson", i);
    folkrnn_matrix_free(c);
    ck_assert_ok(folkrnn_corr_columns(a, FOLKRNN_CORR_COSINE, &c));
    fixture("corr_cosine", want, 9);
    for (int i = 0; i < 9; i++)
        assert_close(c->data[i], want[i], 1e-14, "cosine", i);
    folkrnn_matrix_free(c);
    ck_assert_ok(folkrnn_corr_vector(a, CORR_V, FOLKRNN_CORR_PEARSON, corr));
    fixture("corr_vector", want, 3);
    for (int i = 0; i < 3; i++)
        assert_close(corr[i], want[i], 1e-14, "corr_vector", i);
    /* a constant column has no correlation */
    for (int r = 0; r < 5; r++)
        AT(a, r, 1) = 2.0;
    ck_assert_ok(folkrnn_corr_columns(a, FOLKRNN_CORR_PEARSON, &c));
    ck_assert(isnan(AT(c, 0, 1)) && isnan(AT(c, 1, 1)) && AT(c, 2, 2) == 1.0);
    folkrnn_matrix_free(c);
    ck_assert_ok(folkrnn_corr_vector(a, CORR_V, FOLKRNN_CORR_PEARSON, corr));
    ck_assert(isnan(corr[1]) && !isnan(corr[0]));
    folkrnn_matrix_free(a);
}
END_TEST

/* ---- SVD ----------------------------------------------------------------- */

/* The singular values 10^(-12 j / (n - 1)), j < n: from 1 down to 1e-12. */
static void graded_values(double *s, int n)
{
    for (int j = 0; j < n; j++)
        s[j] = pow(10.0, -12.0 * j / (n - 1));
}

/* Check a = u diag(s) v^T to tol * |a|, and orthonormal factors. */
static void check_factors(const folkrnn_matrix *a, const double *s, const folkrnn_matrix *u,
                          const folkrnn_matrix *v, double tol)
{
    int k = a->rows < a->cols ? a->rows : a->cols;
    ck_assert(u->rows == a->rows && u->cols == k && v->rows == a->cols && v->cols == k);
    ck_assert_msg(orthogonality_error(u) < 1e-13, "U^T U - I: %g", orthogonality_error(u));
    ck_assert_msg(orthogonality_error(v) < 1e-13, "V^T V - I: %g", orthogonality_error(v));
    folkrnn_matrix *back = compose(u, s, v);
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++)
            assert_close(AT(back, i, j), AT(a, i, j), tol * s[0], "U S V^T", i * a->cols + j);
    folkrnn_matrix_free(back);
}

START_TEST(test_svd_graded)
{
    /* a = U S V^T where V rotates disjoint pairs of neighbouring values, so a
       is a well-conditioned matrix with graded columns: every singular value,
       down to 1e-12, is determined to a few ulps of itself. */
    enum { M = 12, N = 8 };
    double s[N], got[N];
    graded_values(s, N);
    folkrnn_matrix *u0 = random_orthonormal(M, N, 1), *v0, *a, *u, *v;
    ck_assert_ok(folkrnn_matrix_new(N, N, &v0));
    uint64_t seed = 7;
    for (int j = 0; j < N; j += 2) {
        double angle = PI * rnd(&seed);
        AT(v0, j, j) = AT(v0, j + 1, j + 1) = cos(angle);
        AT(v0, j, j + 1) = -sin(angle);
        AT(v0, j + 1, j) = sin(angle);
    }
    a = compose(u0, s, v0);
    ck_assert_ok(folkrnn_svd(a, got, &u, &v));
    for (int j = 0; j < N; j++)
        assert_close(got[j] / s[j], 1.0, 1e-12, "graded singular value / truth", j);
    check_factors(a, got, u, v, 1e-14);
    folkrnn_matrix_free(u);
    folkrnn_matrix_free(v);
    folkrnn_matrix_free(a);
    folkrnn_matrix_free(u0);
    folkrnn_matrix_free(v0);
}
END_TEST

START_TEST(test_svd_dense_ill_conditioned)
{
    /* a = U S V^T with dense random orthogonal U, V: rounding a itself moves
       each singular value by ~eps * s[0], so that is what any method can
       promise for the small ones; the large ones stay relative. */
    enum { M = 20, N = 10 };
    double s[N], got[N];
    graded_values(s, N);
    folkrnn_matrix *u0 = random_orthonormal(M, N, 3), *v0 = random_orthonormal(N, N, 5);
    folkrnn_matrix *a = compose(u0, s, v0), *u, *v, *at, *ut, *vt;
    ck_assert_ok(folkrnn_svd(a, got, &u, &v));
    for (int j = 0; j < N; j++) {
        assert_close(got[j], s[j], 1e-15 * s[0], "singular value", j);
        if (s[j] >= 1e-3)
            assert_close(got[j] / s[j], 1.0, 1e-12, "relative", j);
    }
    check_factors(a, got, u, v, 1e-14);
    /* the wide case (m < n) goes through the transpose */
    double got_t[N];
    ck_assert_ok(folkrnn_matrix_transpose(a, &at));
    ck_assert_ok(folkrnn_svd(at, got_t, &ut, &vt));
    for (int j = 0; j < N; j++)
        assert_close(got_t[j], got[j], 1e-15, "transposed", j);
    check_factors(at, got_t, ut, vt, 1e-14);
    /* values alone agree with values and vectors */
    double only[N];
    ck_assert_ok(folkrnn_svd(at, only, NULL, NULL));
    for (int j = 0; j < N; j++)
        assert_close(only[j], got[j], 1e-15, "values only", j);
    folkrnn_matrix *any[] = {u, v, at, ut, vt, a, u0, v0};
    for (size_t i = 0; i < sizeof any / sizeof *any; i++)
        folkrnn_matrix_free(any[i]);
}
END_TEST

START_TEST(test_svd_reference_and_rank)
{
    folkrnn_matrix *a, *u, *v;
    double s[3], want[3];
    ck_assert_ok(folkrnn_matrix_from_double(SVD_A, 4, 3, 3, &a));
    ck_assert_ok(folkrnn_svd(a, s, &u, &v));
    fixture("svd_values", want, 3);
    for (int j = 0; j < 3; j++)
        assert_close(s[j], want[j], 1e-14 * want[0], "svd vs numpy", j);
    check_factors(a, s, u, v, 1e-15);
    folkrnn_matrix_free(u);
    folkrnn_matrix_free(v);
    int rank;
    ck_assert_ok(folkrnn_rank(a, -1.0, &rank));
    ck_assert_int_eq(rank, 3);
    /* column 2 := column 0 + column 1: rank 2, one zero-ish singular value */
    for (int r = 0; r < 4; r++)
        AT(a, r, 2) = AT(a, r, 0) + AT(a, r, 1);
    ck_assert_ok(folkrnn_rank(a, -1.0, &rank));
    ck_assert_int_eq(rank, 2);
    /* an exactly zero column: the left vectors are completed to a basis */
    for (int r = 0; r < 4; r++)
        AT(a, r, 2) = 0.0;
    ck_assert_ok(folkrnn_svd(a, s, &u, &v));
    ck_assert(s[2] == 0.0);
    check_factors(a, s, u, v, 1e-15);
    double cond;
    ck_assert_ok(folkrnn_cond(a, &cond));
    ck_assert(isinf(cond));
    folkrnn_matrix_free(u);
    folkrnn_matrix_free(v);
    /* all zero */
    folkrnn_matrix *z;
    ck_assert_ok(folkrnn_matrix_new(3, 2, &z));
    ck_assert_ok(folkrnn_svd(z, s, &u, &v));
    ck_assert(s[0] == 0.0 && s[1] == 0.0);
    ck_assert(orthogonality_error(u) < 1e-15 && orthogonality_error(v) < 1e-15);
    ck_assert_ok(folkrnn_rank(z, -1.0, &rank));
    ck_assert_int_eq(rank, 0);
    folkrnn_matrix_free(u);
    folkrnn_matrix_free(v);
    folkrnn_matrix_free(z);
    AT(a, 1, 1) = INFINITY;
    ck_assert_int_eq(folkrnn_svd(a, s, NULL, NULL), FOLKRNN_E_NUMERIC);
    ck_assert_int_eq(folkrnn_svd(NULL, s, NULL, NULL), FOLKRNN_E_INVALID);
    folkrnn_matrix_free(a);
}
END_TEST

START_TEST(test_hilbert_condition)
{
    /* Reference from the exact inverse (see analysis_ref.py).  Hilbert
       matrices are not graded, so the smallest singular value carries the
       rounding of the stored matrix: agreement degrades with n as for any
       double-precision SVD, in step with numpy.linalg.cond's (LAPACK). */
    double want[11], lapack[11];
    fixture("hilbert_cond", want, 11);
    fixture("hilbert_cond_numpy", lapack, 11);
    for (int n = 2; n <= 12; n++) {
        folkrnn_matrix *h;
        ck_assert_ok(folkrnn_matrix_new(n, n, &h));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                AT(h, i, j) = 1.0 / (i + j + 1);
        double cond, rel;
        ck_assert_ok(folkrnn_cond(h, &cond));
        rel = fabs(cond / want[n - 2] - 1.0);
        /* perturbation theory: rounding H's entries moves cond by ~eps * cond */
        double tol = 0.25 * DBL_EPSILON * want[n - 2];
        ck_assert_msg(rel < tol, "cond(H_%d) = %.17g, expected %.17g (rel %g, numpy rel %g)", n,
                      cond, want[n - 2], rel, fabs(lapack[n - 2] / want[n - 2] - 1.0));
        folkrnn_matrix_free(h);
    }
}
END_TEST

START_TEST(test_svd_speed)
{
    /* the size of the softmax weights of folk-rnn v2 */
    folkrnn_matrix *a, *u, *v;
    ck_assert_ok(folkrnn_matrix_new(512, 137, &a));
    uint64_t seed = 11;
    for (int i = 0; i < 512 * 137; i++)
        a->data[i] = rnd(&seed);
    double s[137];
    ck_assert_ok(folkrnn_svd(a, s, &u, &v));
    check_factors(a, s, u, v, 1e-13);
    for (int j = 1; j < 137; j++)
        ck_assert(s[j] <= s[j - 1]);
    folkrnn_matrix_free(u);
    folkrnn_matrix_free(v);
    folkrnn_matrix_free(a);
}
END_TEST

/* ---- eigendecomposition, PCA, projection --------------------------------- */

START_TEST(test_eig_known)
{
    double two[4] = {2, 1, 1, 2}, w[4];
    folkrnn_matrix *a, *v;
    ck_assert_ok(folkrnn_matrix_from_double(two, 2, 2, 2, &a));
    ck_assert_ok(folkrnn_eig_sym(a, w, &v));
    assert_close(w[0], 3.0, 1e-15, "eig", 0);
    assert_close(w[1], 1.0, 1e-15, "eig", 1);
    assert_close(fabs(AT(v, 0, 0)), sqrt(0.5), 1e-15, "eigvec", 0);
    folkrnn_matrix_free(v);
    folkrnn_matrix_free(a);
    /* numpy reference */
    double want[4];
    ck_assert_ok(folkrnn_matrix_from_double(EIG_A, 4, 4, 4, &a));
    ck_assert_ok(folkrnn_eig_sym(a, w, &v));
    fixture("eig_values", want, 4);
    for (int i = 0; i < 4; i++)
        assert_close(w[i], want[i], 1e-14, "eig vs numpy", i);
    ck_assert(orthogonality_error(v) < 1e-14);
    folkrnn_matrix *back = compose(v, w, v);
    for (int i = 0; i < 16; i++)
        assert_close(back->data[i], EIG_A[i], 1e-14, "V W V^T", i);
    folkrnn_matrix_free(back);
    folkrnn_matrix_free(v);
    folkrnn_matrix_free(a);
    /* Q diag(w) Q^T with eigenvalues of both signs and a wide range */
    enum { N = 30 };
    double w0[N], got[N];
    for (int i = 0; i < N; i++)
        w0[i] = (i % 2 ? -1.0 : 1.0) * pow(10.0, -0.3 * i);
    folkrnn_matrix *q = random_orthonormal(N, N, 13);
    a = compose(q, w0, q);
    ck_assert_ok(folkrnn_eig_sym(a, got, &v));
    double sorted[N];
    memcpy(sorted, w0, sizeof sorted);
    for (int i = 0; i < N; i++) /* descending */
        for (int j = i + 1; j < N; j++)
            if (sorted[j] > sorted[i]) {
                double t = sorted[i];
                sorted[i] = sorted[j], sorted[j] = t;
            }
    for (int i = 0; i < N; i++)
        assert_close(got[i], sorted[i], 1e-14, "eig of Q W Q^T", i);
    ck_assert(orthogonality_error(v) < 1e-13);
    folkrnn_matrix_free(v);
    folkrnn_matrix_free(q);
    ck_assert_int_eq(folkrnn_eig_sym(a, got, NULL), FOLKRNN_OK);
    folkrnn_matrix_free(a);
    ck_assert_ok(folkrnn_matrix_new(2, 3, &a));
    ck_assert_int_eq(folkrnn_eig_sym(a, got, NULL), FOLKRNN_E_SHAPE);
    ck_assert(strstr(folkrnn_errmsg(), "2 x 3") != NULL);
    folkrnn_matrix_free(a);
}
END_TEST

START_TEST(test_pca_and_project)
{
    folkrnn_matrix *x, *comp, *scores;
    double var[3], ratio[3], mean[3], want[3];
    ck_assert_ok(folkrnn_matrix_from_double(CORR_A, 5, 3, 3, &x));
    ck_assert_ok(folkrnn_pca(x, 3, &comp, var, ratio, mean));
    fixture("pca_variance", want, 3);
    for (int j = 0; j < 3; j++)
        assert_close(var[j], want[j], 1e-13, "pca variance", j);
    fixture("pca_ratio", want, 3);
    for (int j = 0; j < 3; j++)
        assert_close(ratio[j], want[j], 1e-14, "pca ratio", j);
    ck_assert(mean[0] == 3.0 && mean[1] == 3.8);
    ck_assert(comp->rows == 3 && comp->cols == 3 && orthogonality_error(comp) < 1e-14);
    /* the scores of each component have its variance and mean 0 */
    ck_assert_ok(folkrnn_project(x, mean, comp, &scores));
    for (int j = 0; j < 3; j++) {
        double sum = 0.0, sq = 0.0;
        for (int r = 0; r < 5; r++)
            sum += AT(scores, r, j), sq += AT(scores, r, j) * AT(scores, r, j);
        assert_close(sum, 0.0, 1e-13, "score mean", j);
        assert_close(sq / 4.0, var[j], 1e-13, "score variance", j);
    }
    folkrnn_matrix_free(scores);
    folkrnn_matrix_free(comp);
    ck_assert_ok(folkrnn_pca(x, 1, &comp, NULL, NULL, NULL));
    ck_assert(comp->cols == 1);
    folkrnn_matrix_free(comp);
    ck_assert_int_eq(folkrnn_pca(x, 4, &comp, NULL, NULL, NULL), FOLKRNN_E_RANGE);
    ck_assert_ptr_null(comp);
    /* hand projection without centring, and a shape error */
    double d[6] = {1, 0, 0, 1, 1, -1}; /* 3 x 2 */
    folkrnn_matrix *dirs;
    ck_assert_ok(folkrnn_matrix_from_double(d, 3, 2, 2, &dirs));
    ck_assert_ok(folkrnn_project(x, NULL, dirs, &scores));
    ck_assert(AT(scores, 2, 0) == 3 + (-1) && AT(scores, 2, 1) == 5 - (-1));
    folkrnn_matrix_free(scores);
    ck_assert_int_eq(folkrnn_project(dirs, NULL, dirs, &scores), FOLKRNN_E_SHAPE);
    ck_assert(strstr(folkrnn_errmsg(), "3 x 2") != NULL);
    folkrnn_matrix_free(dirs);
    folkrnn_matrix_free(x);
}
END_TEST

/* ---- FFT ----------------------------------------------------------------- */

/* The DFT by its definition, in long double, from a table of the n roots
   (exact angle reduction: the root of k t is the root of k t mod n). */
static void naive_dft(const double *re, const double *im, int n, int sign, double *ore, double *oim)
{
    long double *c = malloc(n * sizeof *c), *s = malloc(n * sizeof *s);
    for (int j = 0; j < n; j++) {
        long double angle = sign * 2.0L * 3.14159265358979323846264338327950288L * j / n;
        c[j] = cosl(angle);
        s[j] = sinl(angle);
    }
    for (int k = 0; k < n; k++) {
        long double sr = 0.0L, si = 0.0L;
        for (int t = 0, j = 0; t < n; t++, j = (j + k) % n) {
            sr += re[t] * c[j] - im[t] * s[j];
            si += re[t] * s[j] + im[t] * c[j];
        }
        ore[k] = (double)sr;
        oim[k] = (double)si;
    }
    free(c);
    free(s);
}

static void check_fft_length(int n, uint64_t seed)
{
    double *re = malloc(n * sizeof *re), *im = malloc(n * sizeof *im);
    double *wr = malloc(n * sizeof *wr), *wi = malloc(n * sizeof *wi);
    double *x = malloc(n * sizeof *x), norm = 0.0;
    for (int t = 0; t < n; t++) {
        x[t] = re[t] = rnd(&seed);
        im[t] = rnd(&seed);
        norm += fabs(re[t]) + fabs(im[t]);
    }
    for (int sign = -1; sign <= 1; sign += 2) {
        naive_dft(re, im, n, sign, wr, wi);
        double *gr = malloc(n * sizeof *gr), *gi = malloc(n * sizeof *gi);
        memcpy(gr, re, n * sizeof *gr);
        memcpy(gi, im, n * sizeof *gi);
        ck_assert_ok(folkrnn_fft(gr, gi, n, sign));
        double tol = 1e-15 * norm * (1.0 + log2(n));
        for (int k = 0; k < n; k++) {
            ck_assert_msg(fabs(gr[k] - wr[k]) <= tol && fabs(gi[k] - wi[k]) <= tol,
                          "n %d sign %d bin %d: %g%+gi vs %g%+gi", n, sign, k, gr[k], gi[k], wr[k],
                          wi[k]);
        }
        free(gr);
        free(gi);
    }
    /* the real transform: bins 0..n/2 of the complex one of a real input */
    double *zero_im = calloc(n, sizeof *zero_im);
    naive_dft(x, zero_im, n, -1, wr, wi);
    free(zero_im);
    double *rr = malloc((n / 2 + 1) * sizeof *rr), *ri = malloc((n / 2 + 1) * sizeof *ri);
    ck_assert_ok(folkrnn_rfft(x, n, rr, ri));
    for (int k = 0; k <= n / 2; k++)
        ck_assert(fabs(rr[k] - wr[k]) <= 1e-14 * n && fabs(ri[k] - wi[k]) <= 1e-14 * n);
    free(rr);
    free(ri);
    free(re);
    free(im);
    free(wr);
    free(wi);
    free(x);
}

START_TEST(test_fft_lengths)
{
    for (int n = 1; n <= 64; n++)
        check_fft_length(n, (uint64_t)n);
    const int more[] = {97, 100, 128, 210, 243, 1000, 1009, 2018};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++)
        check_fft_length(more[i], 99 + i);
}
END_TEST

START_TEST(test_fft_round_trip_and_errors)
{
    enum { N = 4099 }; /* prime: Bluestein */
    static double re[N], im[N], x[N];
    uint64_t seed = 5;
    for (int t = 0; t < N; t++)
        x[t] = re[t] = rnd(&seed), im[t] = 0.0;
    ck_assert_ok(folkrnn_fft(re, im, N, -1));
    ck_assert_ok(folkrnn_fft(re, im, N, 1));
    for (int t = 0; t < N; t++)
        ck_assert(fabs(re[t] / N - x[t]) < 1e-13 && fabs(im[t] / N) < 1e-13);
    ck_assert_int_eq(folkrnn_fft(re, im, 0, -1), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_fft(re, im, 8, 2), FOLKRNN_E_INVALID);
    x[3] = NAN;
    ck_assert_int_eq(folkrnn_rfft(x, 8, re, im), FOLKRNN_E_NUMERIC);
}
END_TEST

/* ---- windows, periodograms, bands ---------------------------------------- */

START_TEST(test_windows_reference)
{
    const char *names[] = {"hann", "hamming", "blackman"};
    const int kinds[] = {FOLKRNN_WINDOW_HANN, FOLKRNN_WINDOW_HAMMING, FOLKRNN_WINDOW_BLACKMAN};
    const int lengths[] = {1, 2, 9, 16};
    double w[16], want[16];
    char key[32];
    for (int k = 0; k < 3; k++)
        for (int l = 0; l < 4; l++) {
            snprintf(key, sizeof key, "%s_%d", names[k], lengths[l]);
            ck_assert_int_eq(fixture(key, want, 16), lengths[l]);
            ck_assert_ok(folkrnn_window(kinds[k], lengths[l], w));
            for (int i = 0; i < lengths[l]; i++)
                assert_close(w[i], want[i], 1e-15, key, i);
        }
    ck_assert_ok(folkrnn_window(FOLKRNN_WINDOW_RECT, 3, w));
    ck_assert(w[0] == 1.0 && w[2] == 1.0);
    ck_assert_int_eq(folkrnn_window(9, 3, w), FOLKRNN_E_INVALID);
}
END_TEST

START_TEST(test_periodogram_reference)
{
    double x[PGRAM_N], p[PGRAM_N / 2 + 1], want[PGRAM_N / 2 + 1];
    for (int t = 0; t < PGRAM_N; t++)
        x[t] = pgram_signal(t);
    struct {
        const char *key;
        int window, demean;
    } cases[] = {
        {"pgram_rect", FOLKRNN_WINDOW_RECT, 1},
        {"pgram_hann", FOLKRNN_WINDOW_HANN, 1},
        {"pgram_hamming_keepmean", FOLKRNN_WINDOW_HAMMING, 0},
    };
    for (int c = 0; c < 3; c++) {
        ck_assert_int_eq(fixture(cases[c].key, want, PGRAM_N / 2 + 1), PGRAM_N / 2 + 1);
        ck_assert_ok(folkrnn_periodogram(x, PGRAM_N, cases[c].window, cases[c].demean, p));
        for (int k = 0; k <= PGRAM_N / 2; k++)
            assert_close(p[k], want[k], 1e-12 * (1.0 + want[k]), cases[c].key, k);
    }
}
END_TEST

START_TEST(test_periodogram_variance)
{
    /* rectangular window, mean removed: the weighted bins sum to the sum of
       squared deviations (Parseval), for even and odd n */
    for (int n = 50; n <= 51; n++) {
        double x[51], p[26], mean = 0.0, ss = 0.0;
        uint64_t seed = 17;
        for (int t = 0; t < n; t++)
            mean += (x[t] = rnd(&seed)) / n;
        for (int t = 0; t < n; t++)
            ss += (x[t] - mean) * (x[t] - mean);
        ck_assert_ok(folkrnn_periodogram(x, n, FOLKRNN_WINDOW_RECT, 1, p));
        double sum = 0.0;
        for (int k = 1; k <= n / 2; k++)
            sum += (k == n - k ? 1.0 : 2.0) * p[k];
        assert_close(sum, ss, 1e-12, "Parseval", n);
        assert_close(p[0], 0.0, 1e-25, "DC", n);
    }
}
END_TEST

/* steps x 4 units: units 0 and 2 with period 9, 1 with period 4, 3 with period 2.5 */
static folkrnn_matrix *periodic_units(int steps, uint64_t seed)
{
    const double periods[4] = {9.0, 4.0, 9.0, 2.5};
    folkrnn_matrix *x;
    ck_assert_ok(folkrnn_matrix_new(steps, 4, &x));
    for (int t = 0; t < steps; t++)
        for (int u = 0; u < 4; u++)
            AT(x, t, u) = sin(2 * PI * t / periods[u] + u) + 0.3 * rnd(&seed) + u;
    return x;
}

START_TEST(test_period_nine)
{
    enum { STEPS = 200 };
    folkrnn_matrix *x = periodic_units(STEPS, 23), *p;
    ck_assert_ok(folkrnn_unit_spectra(x, FOLKRNN_WINDOW_HANN, 1, 0, &p));
    ck_assert(p->rows == 4 && p->cols == STEPS / 2 + 1);
    double periods[3], strength[3], share[4];
    int found;
    ck_assert_ok(folkrnn_dominant_periods(&AT(p, 0, 0), STEPS, 3, periods, strength, &found));
    ck_assert_int_eq(found, 3);
    ck_assert_msg(fabs(periods[0] - 9.0) < 0.2, "dominant period %g", periods[0]);
    ck_assert(strength[0] >= strength[1] && strength[1] >= strength[2]);
    ck_assert_ok(folkrnn_dominant_periods(&AT(p, 1, 0), STEPS, 1, periods, NULL, &found));
    ck_assert(found == 1 && periods[0] == 4.0);
    ck_assert_ok(folkrnn_band_share(p, STEPS, 9.0, 0.5, share));
    ck_assert_msg(share[0] > 0.8 && share[2] > 0.8, "period-9 shares %g %g", share[0], share[2]);
    ck_assert_msg(share[1] < 0.05 && share[3] < 0.05, "other shares %g %g", share[1], share[3]);
    int units[4], selected;
    ck_assert_ok(folkrnn_select_units(share, 4, 0.05, units, &selected));
    ck_assert(selected == 2 && units[0] == 0 && units[1] == 2);
    /* the band [8.5, 9.5] of 200 steps is bins 22 (9.09) and 23 (8.70): the
       share of a spectrum with power only there is 1, and one more bin outside
       halves it when it holds as much */
    folkrnn_matrix *flat;
    ck_assert_ok(folkrnn_matrix_new(1, STEPS / 2 + 1, &flat));
    AT(flat, 0, 22) = AT(flat, 0, 23) = 1.0;
    ck_assert_ok(folkrnn_band_share(flat, STEPS, 9.0, 0.5, share));
    ck_assert(share[0] == 1.0);
    AT(flat, 0, 21) = 2.0;
    ck_assert_ok(folkrnn_band_share(flat, STEPS, 9.0, 0.5, share));
    assert_close(share[0], 0.5, 1e-15, "band share", 0);
    /* too short for any bin in the band: the nearest one counts */
    AT(flat, 0, 0) = 0.0;
    ck_assert_int_eq(folkrnn_band_share(flat, STEPS, 1.5, 0.5, share), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_band_share(flat, STEPS + 2, 9.0, 0.5, share), FOLKRNN_E_SHAPE);
    folkrnn_matrix_free(flat);
    /* averaging over units and over tunes of other lengths on a common grid */
    double mean[51];
    folkrnn_matrix *sum, *q;
    ck_assert_ok(folkrnn_unit_spectra(x, FOLKRNN_WINDOW_HANN, 1, 100, &sum));
    ck_assert(sum->cols == 51);
    folkrnn_matrix *y = periodic_units(163, 29);
    ck_assert_ok(folkrnn_unit_spectra(y, FOLKRNN_WINDOW_HANN, 1, 100, &q));
    ck_assert_ok(folkrnn_matrix_add(sum, q, 1.0));
    ck_assert_ok(folkrnn_band_share(sum, 100, 9.0, 0.5, share));
    ck_assert_msg(share[0] > 0.5 && share[2] > 0.5 && share[1] < 0.1, "grid shares %g %g %g",
                  share[0], share[2], share[1]);
    ck_assert_ok(folkrnn_column_means(sum, mean));
    ck_assert_ok(folkrnn_dominant_periods(mean, 100, 1, periods, NULL, &found));
    ck_assert_msg(fabs(periods[0] - 9.0) < 0.5 || periods[0] == 4.0, "mean peak %g", periods[0]);
    folkrnn_matrix_free(q);
    folkrnn_matrix_free(y);
    folkrnn_matrix_free(sum);
    /* grid equal to the length reproduces the native spectra */
    ck_assert_ok(folkrnn_unit_spectra(x, FOLKRNN_WINDOW_HANN, 1, STEPS, &q));
    for (int i = 0; i < 4 * (STEPS / 2 + 1); i++)
        ck_assert(q->data[i] == p->data[i]);
    folkrnn_matrix_free(q);
    folkrnn_matrix_free(p);
    folkrnn_matrix_free(x);
}
END_TEST

/* ---- files --------------------------------------------------------------- */

static folkrnn_matrix *pattern_matrix(int rows, int cols, double salt)
{
    folkrnn_matrix *a;
    ck_assert_ok(folkrnn_matrix_new(rows, cols, &a));
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            AT(a, r, c) = npz_pattern(r, c, salt);
    return a;
}

/* A 6 x 9 signed heatmap with a NaN cell, cells of 10 x 10 pixels. */
static void write_heatmap(const char *path)
{
    folkrnn_matrix *a;
    ck_assert_ok(folkrnn_matrix_new(6, 9, &a));
    for (int r = 0; r < 6; r++)
        for (int c = 0; c < 9; c++)
            AT(a, r, c) = (c - 4) * (r + 1) / 24.0;
    AT(a, 2, 3) = NAN;
    folkrnn_heatmap_opts o;
    folkrnn_heatmap_opts_init(&o);
    o.title = "Test heatmap";
    o.xlabel = "step";
    o.ylabel = "unit";
    o.cell_w = o.cell_h = 10;
    int marks[1] = {4};
    o.col_marks = marks;
    o.ncol_marks = 1;
    ck_assert_ok(folkrnn_png_heatmap(path, a, &o));
    folkrnn_matrix_free(a);
}

/* Three series, one with a gap, on a log-log plot. */
static void write_plot(const char *path)
{
    static double x[50], y1[50], y2[50], y3[50];
    for (int i = 0; i < 50; i++) {
        x[i] = 50.0 / (i + 1);
        y1[i] = exp(-fabs(x[i] - 9.0)) + 1e-3;
        y2[i] = 1.0 / (i + 1);
        y3[i] = i == 20 ? NAN : 0.01 * (1.5 + sin(i / 5.0));
    }
    folkrnn_series series[3] = {
        {"sine & <cosine>", 50, x, y1}, {"1/f", 50, x, y2}, {NULL, 50, x, y3}};
    folkrnn_plot_opts o;
    folkrnn_plot_opts_init(&o);
    o.title = "Power spectrum";
    o.xlabel = "period";
    o.ylabel = "power";
    o.log_x = o.log_y = 1;
    ck_assert_ok(folkrnn_svg_lines(path, series, 3, &o));
}

static folkrnn_model *random_model(int cell, int nlayers, const int *units, int vocab, double gain,
                                   uint64_t seed);

/* Every point of a 2-layer LSTM over 8 steps of one stream. */
static void write_recording(const char *path)
{
    const int units[2] = {5, 4};
    folkrnn_model *m = random_model(FOLKRNN_CELL_LSTM, 2, units, 6, 0.8, 43);
    folkrnn_state *s;
    folkrnn_recorder *r;
    ck_assert_ok(folkrnn_state_new(m, 1, &s));
    ck_assert_ok(folkrnn_recorder_new(s, 0, &r));
    ck_assert_int_eq(folkrnn_recorder_save_npz(r, path, 0), FOLKRNN_E_RANGE);
    ck_assert_ok(folkrnn_recorder_add_all(r));
    for (int t = 0; t < 8; t++) {
        int token = (3 * t) % 6;
        ck_assert_ok(folkrnn_state_step(s, &token, NULL));
    }
    ck_assert_ok(folkrnn_recorder_save_npz(r, path, 0));
    folkrnn_recorder_free(r);
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}

/* The files tests/analysis_ref.py check expects. */
static void write_files(const char *dir)
{
    char path[4096];
    folkrnn_matrix *a = pattern_matrix(3, 5, 0.5);
    double counts_d[6] = {0, -1, 2, -3, 4, 2147483647};
    folkrnn_matrix *counts;
    ck_assert_ok(folkrnn_matrix_from_double(counts_d, 2, 3, 3, &counts));
    static double vec[1000];
    for (int i = 0; i < 1000; i++)
        vec[i] = i * 0.5;
    double scalar = 42.0;
    long vshape[1] = {1000};
    const char *names[] = {"deflated.npz", "stored.npz", "zip64.npz"};
    const int flags[] = {0, FOLKRNN_NPZ_STORE, FOLKRNN_NPZ_ZIP64};
    for (int i = 0; i < 3; i++) {
        folkrnn_npz *z;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        ck_assert_ok(folkrnn_npz_open(path, flags[i], &z));
        ck_assert_ok(folkrnn_npz_add_matrix(z, "f64", a, FOLKRNN_DTYPE_F64));
        ck_assert_ok(folkrnn_npz_add_matrix(z, "f32", a, FOLKRNN_DTYPE_F32));
        ck_assert_ok(folkrnn_npz_add_matrix(z, "counts", counts, FOLKRNN_DTYPE_I32));
        ck_assert_ok(folkrnn_npz_add(z, "vector", vec, FOLKRNN_DTYPE_F64, 1, vshape));
        ck_assert_ok(folkrnn_npz_add(z, "scalar", &scalar, FOLKRNN_DTYPE_F64, 0, NULL));
        ck_assert_int_eq(folkrnn_npz_add(z, "f64", vec, FOLKRNN_DTYPE_F64, 1, vshape),
                         FOLKRNN_E_INVALID);
        ck_assert_ok(folkrnn_npz_close(z));
    }
    snprintf(path, sizeof path, "%s/matrix_f64.npy", dir);
    ck_assert_ok(folkrnn_npy_save_matrix(path, a, FOLKRNN_DTYPE_F64));
    int32_t raw[8] = {-4, -3, -2, -1, 0, 1, 2, 3};
    long shape[3] = {2, 2, 2};
    snprintf(path, sizeof path, "%s/raw_i32.npy", dir);
    ck_assert_ok(folkrnn_npy_save(path, raw, FOLKRNN_DTYPE_I32, 3, shape));
    const char *cols[5] = {"a", "b,c", "d\"e", "f", "g"};
    snprintf(path, sizeof path, "%s/matrix.csv", dir);
    ck_assert_ok(folkrnn_csv_save(path, a, cols));
    snprintf(path, sizeof path, "%s/heatmap.png", dir);
    write_heatmap(path);
    snprintf(path, sizeof path, "%s/plot.svg", dir);
    write_plot(path);
    snprintf(path, sizeof path, "%s/recording.npz", dir);
    write_recording(path);
    folkrnn_matrix_free(counts);
    folkrnn_matrix_free(a);
}

/* A fresh scratch folder under TMPDIR; caller removes it. */
static char *scratch_dir(void)
{
    static char dir[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test_analysis.XXXXXX", tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

static void remove_dir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(*size + 1);
    ck_assert_int_eq(fread(data, 1, *size, f), *size);
    fclose(f);
    return data;
}

static uint32_t get32(const unsigned char *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static unsigned get16(const unsigned char *p)
{
    return p[0] | (unsigned)p[1] << 8;
}

START_TEST(test_npy_structure)
{
    char *dir = scratch_dir(), path[4200];
    write_files(dir);
    size_t size;
    snprintf(path, sizeof path, "%s/matrix_f64.npy", dir);
    unsigned char *npy = slurp(path, &size);
    ck_assert(memcmp(npy, "\x93NUMPY\x01\x00", 8) == 0);
    size_t hlen = get16(npy + 8);
    ck_assert_int_eq((10 + hlen) % 64, 0);
    ck_assert(npy[10 + hlen - 1] == '\n');
    ck_assert(
        strstr((char *)npy + 10, "'descr': '<f8', 'fortran_order': False, 'shape': (3, 5), }"));
    ck_assert_int_eq(size, 10 + hlen + 15 * 8);
    double v;
    memcpy(&v, npy + 10 + hlen + 7 * 8, 8); /* (1, 2) on this little-endian test host */
    ck_assert(v == npz_pattern(1, 2, 0.5));
    free(npy);
    /* the deflated archive: walk the central directory, inflate each member
       and compare its CRC */
    snprintf(path, sizeof path, "%s/deflated.npz", dir);
    unsigned char *zip = slurp(path, &size);
    const unsigned char *end = zip + size - 22;
    ck_assert_uint_eq(get32(end), 0x06054b50);
    ck_assert_uint_eq(get16(end + 10), 5);
    const unsigned char *cd = zip + get32(end + 16);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(get32(cd), 0x02014b50);
        uint32_t crc = get32(cd + 16), csize = get32(cd + 20), usize = get32(cd + 24);
        unsigned nlen = get16(cd + 28);
        const unsigned char *local = zip + get32(cd + 42);
        ck_assert_uint_eq(get32(local), 0x04034b50);
        ck_assert_uint_eq(get16(local + 8), 8);
        ck_assert_uint_eq(get32(local + 14), crc);
        const unsigned char *data = local + 30 + get16(local + 26) + get16(local + 28);
        unsigned char *out = malloc(usize);
        z_stream zs = {0};
        ck_assert_int_eq(inflateInit2(&zs, -15), Z_OK);
        zs.next_in = (unsigned char *)data;
        zs.avail_in = csize;
        zs.next_out = out;
        zs.avail_out = usize;
        ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
        ck_assert_uint_eq(zs.total_out, usize);
        inflateEnd(&zs);
        ck_assert_uint_eq(crc32(0, out, usize), crc);
        ck_assert(memcmp(out, "\x93NUMPY", 6) == 0);
        ck_assert(memcmp(cd + 46 + nlen - 4, ".npy", 4) == 0);
        free(out);
        cd += 46 + nlen + get16(cd + 30) + get16(cd + 32);
    }
    free(zip);
    /* forced ZIP64: the end record points at a ZIP64 end record */
    snprintf(path, sizeof path, "%s/zip64.npz", dir);
    zip = slurp(path, &size);
    ck_assert_uint_eq(get32(zip + size - 22), 0x06054b50);
    ck_assert_uint_eq(get32(zip + size - 22 - 20), 0x07064b50);
    ck_assert_uint_eq(get32(zip + size - 22 - 20 - 56), 0x06064b50);
    free(zip);
    /* CSV header quoting and exact values */
    snprintf(path, sizeof path, "%s/matrix.csv", dir);
    unsigned char *csv = slurp(path, &size);
    csv[size] = 0;
    ck_assert_msg(strncmp((char *)csv, "a,\"b,c\",\"d\"\"e\",f,g\n-0.5,-0.25,0,0.25,0.5\n", 40) ==
                      0,
                  "csv: %.60s", csv);
    free(csv);
    /* errors leave no file behind */
    folkrnn_matrix *bad = pattern_matrix(1, 2, 0.0);
    AT(bad, 0, 1) = 1e12;
    snprintf(path, sizeof path, "%s/bad.npy", dir);
    ck_assert_int_eq(folkrnn_npy_save_matrix(path, bad, FOLKRNN_DTYPE_I32), FOLKRNN_E_NUMERIC);
    ck_assert_int_eq(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/no/such/dir/x.npz", dir);
    folkrnn_npz *z;
    ck_assert_int_eq(folkrnn_npz_open(path, 0, &z), FOLKRNN_E_IO);
    ck_assert_int_eq(folkrnn_npy_save_matrix(path, bad, 7), FOLKRNN_E_INVALID);
    folkrnn_matrix_free(bad);
    remove_dir(dir);
}
END_TEST

static uint32_t get32be(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

START_TEST(test_png_structure)
{
    char *dir = scratch_dir(), path[4200];
    snprintf(path, sizeof path, "%s/h.png", dir);
    write_heatmap(path);
    size_t size;
    unsigned char *png = slurp(path, &size);
    ck_assert(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    uint32_t w = 0, h = 0;
    unsigned char *idat = malloc(size);
    size_t nidat = 0, at = 8;
    int saw_end = 0;
    while (at + 12 <= size) {
        uint32_t len = get32be(png + at);
        ck_assert(at + 12 + len <= size);
        uint32_t crc = (uint32_t)crc32(0, png + at + 4, 4 + len);
        ck_assert_msg(crc == get32be(png + at + 8 + len), "chunk %.4s CRC", png + at + 4);
        if (memcmp(png + at + 4, "IHDR", 4) == 0) {
            w = get32be(png + at + 8);
            h = get32be(png + at + 12);
            ck_assert(png[at + 16] == 8 && png[at + 17] == 2);
        } else if (memcmp(png + at + 4, "IDAT", 4) == 0) {
            memcpy(idat + nidat, png + at + 8, len);
            nidat += len;
        } else if (memcmp(png + at + 4, "IEND", 4) == 0) {
            saw_end = 1;
        }
        at += 12 + len;
    }
    ck_assert(saw_end && at == size);
    ck_assert_msg(w >= 9 * 10 + 40 && h >= 6 * 10 + 40 && w < 600 && h < 600, "%u x %u", w, h);
    uLongf rawlen = (uLongf)h * (1 + 3 * w);
    unsigned char *raw = malloc(rawlen + 1);
    uLongf got = rawlen + 1;
    ck_assert_int_eq(uncompress(raw, &got, idat, nidat), Z_OK);
    ck_assert_uint_eq(got, rawlen);
    long grey = 0, blue = 0, red = 0, ink = 0;
    for (uint32_t y = 0; y < h; y++) {
        const unsigned char *row = raw + y * (1 + 3 * w);
        ck_assert_int_eq(row[0], 0);
        for (uint32_t x = 0; x < w; x++) {
            const unsigned char *p = row + 1 + 3 * x;
            grey += p[0] == 160 && p[1] == 160 && p[2] == 160;
            blue += p[2] > p[0] + 100;
            red += p[0] > p[2] + 100;
            ink += p[0] == 0 && p[1] == 0 && p[2] == 0;
        }
    }
    ck_assert_int_eq(grey, 100); /* the NaN cell, 10 x 10 */
    ck_assert(blue >= 400 && red >= 400 && ink > 500);
    free(raw);
    free(idat);
    free(png);
    /* errors */
    folkrnn_matrix *a;
    ck_assert_ok(folkrnn_matrix_new(2, 2, &a));
    folkrnn_heatmap_opts o;
    memset(&o, 0, sizeof o);
    ck_assert_int_eq(folkrnn_png_heatmap(path, a, &o), FOLKRNN_E_INVALID);
    folkrnn_heatmap_opts_init(&o);
    o.vmin = 1.0, o.vmax = 0.0;
    ck_assert_int_eq(folkrnn_png_heatmap(path, a, &o), FOLKRNN_E_INVALID);
    folkrnn_heatmap_opts_init(&o);
    o.cell_w = 256;
    folkrnn_matrix *wide;
    ck_assert_ok(folkrnn_matrix_new(1, 100, &wide));
    ck_assert_int_eq(folkrnn_png_heatmap(path, wide, &o), FOLKRNN_E_INVALID);
    ck_assert(strstr(folkrnn_errmsg(), "16384") != NULL);
    /* all defaults, a constant matrix */
    snprintf(path, sizeof path, "%s/const.png", dir);
    ck_assert_ok(folkrnn_png_heatmap(path, a, NULL));
    folkrnn_matrix_free(wide);
    folkrnn_matrix_free(a);
    remove_dir(dir);
}
END_TEST

START_TEST(test_svg_structure)
{
    char *dir = scratch_dir(), path[4200];
    snprintf(path, sizeof path, "%s/p.svg", dir);
    write_plot(path);
    size_t size;
    char *svg = (char *)slurp(path, &size);
    svg[size] = 0;
    ck_assert(strncmp(svg, "<?xml", 5) == 0);
    ck_assert(strstr(svg, "</svg>\n") == svg + size - 7);
    int polylines = 0;
    for (char *p = svg; (p = strstr(p, "<polyline")); p++)
        polylines++;
    ck_assert_int_eq(polylines, 4); /* the NaN splits the third line */
    ck_assert(strstr(svg, ">sine &amp; &lt;cosine&gt;</text>") != NULL);
    ck_assert(strstr(svg, ">Power spectrum</text>") != NULL);
    ck_assert(strstr(svg, ">0.01</text>") != NULL); /* decade ticks of the log axes */
    ck_assert(strstr(svg, ">10</text>") != NULL);
    free(svg);
    double bad[3] = {-1, NAN, 0};
    folkrnn_series s = {"x", 3, NULL, bad};
    folkrnn_plot_opts o;
    folkrnn_plot_opts_init(&o);
    o.log_y = 1;
    ck_assert_int_eq(folkrnn_svg_lines(path, &s, 1, &o), FOLKRNN_E_INVALID);
    ck_assert(strstr(folkrnn_errmsg(), "no plottable point") != NULL);
    o.log_y = 0;
    ck_assert_ok(folkrnn_svg_lines(path, &s, 1, &o));
    s.y = NULL;
    ck_assert_int_eq(folkrnn_svg_lines(path, &s, 1, &o), FOLKRNN_E_INVALID);
    remove_dir(dir);
}
END_TEST

/* ---- recorder ------------------------------------------------------------ */

/* A model of this shape with reproducible random weights, scaled by gain. */
static folkrnn_model *random_model(int cell, int nlayers, const int *units, int vocab, double gain,
                                   uint64_t seed)
{
    char names[256][8];
    const char *tokens[256];
    for (int i = 0; i < vocab; i++) {
        snprintf(names[i], sizeof names[i], "t%d", i);
        tokens[i] = names[i];
    }
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(cell, nlayers, units, vocab, tokens, 0, &m));
    const int per_layer[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B};
    for (int l = 0; l <= nlayers; l++)
        for (int k = 0; k < 3; k++) {
            if (l == nlayers && k == 2)
                break;
            int which = l < nlayers ? per_layer[k] : k == 0 ? FOLKRNN_P_DENSE_W : FOLKRNN_P_DENSE_B;
            float *w;
            int rows, cols, ld;
            ck_assert_ok(folkrnn_model_param(m, l < nlayers ? l : 0, which, &w, &rows, &cols, &ld));
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    w[(size_t)r * ld + c] = (float)(gain * rnd(&seed));
        }
    return m;
}

START_TEST(test_recorder_values)
{
    const int units[2] = {5, 4};
    folkrnn_model *m = random_model(FOLKRNN_CELL_LSTM, 2, units, 6, 0.8, 31);
    folkrnn_state *s;
    folkrnn_recorder *r;
    ck_assert_ok(folkrnn_state_new(m, 2, &s));
    ck_assert_ok(folkrnn_recorder_new(s, 0, &r));
    ck_assert_ok(folkrnn_recorder_add_all(r));
    ck_assert_ok(folkrnn_recorder_add(r, FOLKRNN_HOOK_HIDDEN, 1)); /* again: no double rows */
    float probs[2 * 6];
    for (int t = 0; t < 8; t++) {
        int tokens[2] = {t % 6, t == 3 ? FOLKRNN_IDLE : (t * 5) % 6};
        ck_assert_ok(folkrnn_state_step(s, tokens, probs));
        for (int st = 0; st < 2; st++) {
            const float *data;
            const long *steps;
            int rows, cols;
            for (int l = 0; l < 2; l++) {
                const int points[2] = {FOLKRNN_HOOK_HIDDEN, FOLKRNN_HOOK_CELL};
                for (int k = 0; k < 2; k++) {
                    ck_assert_ok(
                        folkrnn_recorder_data(r, points[k], l, st, &data, &steps, &rows, &cols));
                    ck_assert_int_eq(cols, units[l]);
                    ck_assert_int_eq(rows, st == 1 && t >= 3 ? t : t + 1);
                    ck_assert_int_eq(steps[rows - 1], st == 1 && t == 3 ? 2 : t);
                    const float *now = folkrnn_state_vector(s, points[k], l, st);
                    ck_assert(memcmp(data + (size_t)(rows - 1) * cols, now, cols * sizeof *now) ==
                              0);
                }
            }
            ck_assert_ok(
                folkrnn_recorder_data(r, FOLKRNN_HOOK_PROBS, 0, st, &data, NULL, &rows, &cols));
            ck_assert_int_eq(cols, 6);
            if (!(st == 1 && t == 3))
                ck_assert(
                    memcmp(data + (size_t)(rows - 1) * 6, probs + st * 6, sizeof(float) * 6) == 0);
        }
    }
    folkrnn_matrix *a;
    ck_assert_ok(folkrnn_recorder_matrix(r, FOLKRNN_HOOK_INGATE, 1, 1, &a));
    ck_assert(a->rows == 7 && a->cols == 4);
    const float *data;
    ck_assert_ok(folkrnn_recorder_data(r, FOLKRNN_HOOK_INGATE, 1, 1, &data, NULL, NULL, NULL));
    ck_assert(AT(a, 6, 3) == data[6 * 4 + 3] && AT(a, 6, 3) > 0.0 && AT(a, 6, 3) < 1.0);
    folkrnn_matrix_free(a);
    ck_assert_int_eq(folkrnn_recorder_truncated(r), 0);
    /* 2 streams x (2 layers x 6 points x (5 or 4) + 2 x 6) floats a step, plus step numbers */
    ck_assert_uint_eq(folkrnn_recorder_bytes(r), (8 + 7) * ((6 * 9 + 12) * sizeof(float)) +
                                                     (8 + 7) * (2 * 6 + 2) * sizeof(long));
    ck_assert_int_eq(folkrnn_recorder_data(r, FOLKRNN_HOOK_HIDDEN, 2, 0, NULL, NULL, NULL, NULL),
                     FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_recorder_add(r, FOLKRNN_HOOK_RESETGATE, 0), FOLKRNN_E_INVALID);
    folkrnn_recorder_clear(r);
    ck_assert_uint_eq(folkrnn_recorder_bytes(r), 0);
    ck_assert_int_eq(folkrnn_recorder_matrix(r, FOLKRNN_HOOK_HIDDEN, 0, 0, &a), FOLKRNN_E_RANGE);
    folkrnn_recorder_free(r);
    int tokens[2] = {1, 2};
    ck_assert_ok(folkrnn_state_step(s, tokens, NULL)); /* the hooks are gone */
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

START_TEST(test_recorder_bound_and_gru)
{
    const int units[1] = {5};
    folkrnn_model *m = random_model(FOLKRNN_CELL_GRU, 1, units, 6, 0.8, 37);
    folkrnn_state *s;
    folkrnn_recorder *r;
    ck_assert_ok(folkrnn_state_new(m, 1, &s));
    size_t row = 5 * sizeof(float) + sizeof(long);
    ck_assert_ok(folkrnn_recorder_new(s, 3 * row + row / 2, &r));
    ck_assert_ok(folkrnn_recorder_add(r, FOLKRNN_HOOK_RESETGATE, 0));
    for (int t = 0; t < 6; t++)
        ck_assert_ok(folkrnn_state_step(s, &t, NULL));
    int rows;
    ck_assert_ok(folkrnn_recorder_data(r, FOLKRNN_HOOK_RESETGATE, 0, 0, NULL, NULL, &rows, NULL));
    ck_assert_int_eq(rows, 3);
    ck_assert_int_eq(folkrnn_recorder_truncated(r), 1);
    ck_assert_uint_eq(folkrnn_recorder_bytes(r), 3 * row);
    folkrnn_recorder_free(r);
    ck_assert_ok(folkrnn_recorder_new(s, 0, &r));
    ck_assert_ok(folkrnn_recorder_add_all(r));
    ck_assert_ok(folkrnn_state_step(s, (int[]){2}, NULL));
    ck_assert_ok(folkrnn_recorder_data(r, FOLKRNN_HOOK_UPDATEGATE, 0, 0, NULL, NULL, &rows, NULL));
    ck_assert_int_eq(rows, 1);
    ck_assert_ok(folkrnn_recorder_data(r, FOLKRNN_HOOK_LOGITS, 0, 0, NULL, NULL, &rows, NULL));
    ck_assert_int_eq(rows, 1);
    folkrnn_recorder_free(r);
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

/* The probabilities of steps steps of a fresh state of m, recording every
   hook point or not, into probs[steps x 137]. */
static void run_recorded(const folkrnn_model *m, int steps, int record, float *probs)
{
    folkrnn_state *s;
    folkrnn_recorder *r = NULL;
    ck_assert_ok(folkrnn_state_new(m, 1, &s));
    if (record) {
        ck_assert_ok(folkrnn_recorder_new(s, 0, &r));
        ck_assert_ok(folkrnn_recorder_add_all(r));
    }
    for (int t = 0; t < steps; t++) {
        int token = (t * 7) % 137;
        ck_assert_ok(folkrnn_state_step(s, &token, probs + (size_t)t * 137));
    }
    folkrnn_recorder_free(r);
    folkrnn_state_free(s);
}

START_TEST(test_recorder_v2_shape)
{
    /* folk-rnn v2's shape, every point recorded: the run's numbers are the
       plain run's, bit for bit (its cost is measured by make bench). */
    const int units[3] = {512, 512, 512};
    folkrnn_model *m = random_model(FOLKRNN_CELL_LSTM, 3, units, 137, 0.05, 41);
    enum { STEPS = 25 };
    static float plain[STEPS * 137], recorded[STEPS * 137];
    run_recorded(m, STEPS, 0, plain);
    run_recorded(m, STEPS, 1, recorded);
    ck_assert_mem_eq(plain, recorded, sizeof plain);
    folkrnn_model_free(m);
}
END_TEST

/* ---- ablation and intervention ------------------------------------------- */

/* Step s with tokens[t * 2 .. t * 2 + 1] for steps steps, probs[steps x 2 x 6]. */
static void run_two_streams(folkrnn_state *s, int steps, float *probs)
{
    for (int t = 0; t < steps; t++) {
        int tokens[2] = {(t * 5 + 1) % 6, (t * 2 + 3) % 6};
        ck_assert_ok(folkrnn_state_step(s, tokens, probs + (size_t)t * 12));
    }
}

START_TEST(test_edits_clamp_and_suppress)
{
    const int units[2] = {5, 4};
    folkrnn_model *m = random_model(FOLKRNN_CELL_LSTM, 2, units, 6, 0.8, 47);
    folkrnn_state *s, *ref;
    folkrnn_edits *e;
    ck_assert_ok(folkrnn_state_new(m, 2, &s));
    ck_assert_ok(folkrnn_state_new(m, 2, &ref));
    ck_assert_ok(folkrnn_edits_new(s, &e));
    const int zeroed[2] = {1, 3}, token2[1] = {2};
    ck_assert_ok(
        folkrnn_edits_add(e, FOLKRNN_HOOK_HIDDEN, 0, 0, zeroed, 2, FOLKRNN_EDIT_SET, 0.0, 2, 4));
    ck_assert_ok(folkrnn_edits_add(e, FOLKRNN_HOOK_LOGITS, -1, 0, token2, 1, FOLKRNN_EDIT_SET,
                                   -INFINITY, 1, 3));
    double delta = folkrnn_odds_delta(3.0);
    ck_assert_ok(folkrnn_edits_add(e, FOLKRNN_HOOK_LOGITS, -1, 1, token2, 1, FOLKRNN_EDIT_ADD,
                                   delta, 0, -1));
    float p[6 * 12], q[6 * 12];
    for (int t = 0; t < 6; t++) {
        int tokens[2] = {(t * 5 + 1) % 6, (t * 2 + 3) % 6};
        ck_assert_ok(folkrnn_state_step(s, tokens, p + t * 12));
        ck_assert_ok(folkrnn_state_step(ref, tokens, q + t * 12));
        const float *h = folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, 0, 0);
        int clamped = t >= 2 && t < 4;
        ck_assert(clamped == (h[1] == 0.0f && h[3] == 0.0f));
        /* stream 0 before any edit is the reference */
        if (t == 0)
            ck_assert(memcmp(p, q, 6 * sizeof *p) == 0);
        /* suppressed token: probability 0 and the rest still sums to 1 */
        double sum = 0.0;
        for (int k = 0; k < 6; k++)
            sum += p[t * 12 + k];
        assert_close(sum, 1.0, 1e-6, "sum", t);
        ck_assert((t >= 1 && t < 3) == (p[t * 12 + 2] == 0.0f));
        /* stream 1: the odds of token 2 tripled, as folkrnn_prob_after_delta says */
        double p1 = p[t * 12 + 6 + 2], q1 = q[t * 12 + 6 + 2];
        assert_close(p1 / (1 - p1) / (q1 / (1 - q1)), 3.0, 1e-4, "odds ratio", t);
        assert_close(folkrnn_prob_after_delta(q1, delta), p1, 1e-6, "prob after delta", t);
    }
    ck_assert_int_eq(
        folkrnn_edits_add(e, FOLKRNN_HOOK_HIDDEN, 1, 0, zeroed, 2, FOLKRNN_EDIT_SET, 0, 0, -1),
        FOLKRNN_OK);
    const int beyond[1] = {4};
    ck_assert_int_eq(
        folkrnn_edits_add(e, FOLKRNN_HOOK_HIDDEN, -1, 0, beyond, 1, FOLKRNN_EDIT_SET, 0, 0, -1),
        FOLKRNN_E_RANGE);
    ck_assert(strstr(folkrnn_errmsg(), "layer 1") != NULL);
    ck_assert_int_eq(
        folkrnn_edits_add(e, FOLKRNN_HOOK_RESETGATE, 0, 0, NULL, 0, FOLKRNN_EDIT_SET, 0, 0, -1),
        FOLKRNN_E_INVALID);
    ck_assert_int_eq(
        folkrnn_edits_add(e, FOLKRNN_HOOK_CELL, 0, 2, NULL, 0, FOLKRNN_EDIT_SET, 0, 0, -1),
        FOLKRNN_E_RANGE);
    folkrnn_edits_free(e);
    folkrnn_state_free(ref);
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

START_TEST(test_snip_equals_silenced_unit)
{
    /* Cutting both outgoing paths of a layer-0 unit (into layer 1 and into its
       own recurrence) is the same as holding its h at 0; cutting a last-layer
       unit's softmax row removes h[u] * W[u, :] from the logits. */
    const int units[2] = {5, 4};
    folkrnn_model *m = random_model(FOLKRNN_CELL_LSTM, 2, units, 6, 0.8, 53), *cut;
    ck_assert_ok(folkrnn_model_clone(m, &cut));
    const int unit[1] = {2};
    ck_assert_ok(
        folkrnn_model_snip(cut, 0, unit, 1, FOLKRNN_SNIP_FORWARD | FOLKRNN_SNIP_RECURRENT));
    folkrnn_state *a, *b;
    folkrnn_edits *e;
    ck_assert_ok(folkrnn_state_new(cut, 2, &a));
    ck_assert_ok(folkrnn_state_new(m, 2, &b));
    ck_assert_ok(folkrnn_edits_new(b, &e));
    ck_assert_ok(
        folkrnn_edits_add(e, FOLKRNN_HOOK_HIDDEN, 0, -1, unit, 1, FOLKRNN_EDIT_SET, 0, 0, -1));
    float pa[8 * 12], pb[8 * 12];
    run_two_streams(a, 8, pa);
    run_two_streams(b, 8, pb);
    for (int i = 0; i < 8 * 12; i++)
        assert_close(pa[i], pb[i], 1e-6, "snipped vs silenced", i);
    folkrnn_edits_free(e);
    folkrnn_state_free(a);
    folkrnn_state_free(b);
    folkrnn_model_free(cut);
    /* the last layer: logits lose h[u] W[u, :] */
    ck_assert_ok(folkrnn_model_clone(m, &cut));
    ck_assert_ok(folkrnn_model_snip(cut, 1, unit, 1, FOLKRNN_SNIP_FORWARD));
    const float *w;
    int rows, cols, ld;
    ck_assert_ok(folkrnn_model_param_const(m, 0, FOLKRNN_P_DENSE_W, &w, &rows, &cols, &ld));
    ck_assert_ok(folkrnn_state_new(cut, 1, &a));
    ck_assert_ok(folkrnn_state_new(m, 1, &b));
    for (int t = 0; t < 5; t++) {
        ck_assert_ok(folkrnn_state_step(a, &t, NULL));
        ck_assert_ok(folkrnn_state_step(b, &t, NULL));
        const float *h = folkrnn_state_vector(b, FOLKRNN_HOOK_HIDDEN, 1, 0);
        const float *la = folkrnn_state_vector(a, FOLKRNN_HOOK_LOGITS, 0, 0);
        const float *lb = folkrnn_state_vector(b, FOLKRNN_HOOK_LOGITS, 0, 0);
        ck_assert(memcmp(h, folkrnn_state_vector(a, FOLKRNN_HOOK_HIDDEN, 1, 0), 4 * sizeof *h) ==
                  0);
        for (int k = 0; k < 6; k++)
            assert_close(la[k], lb[k] - h[2] * w[2 * ld + k], 1e-6, "logit", k);
    }
    folkrnn_state_free(a);
    folkrnn_state_free(b);
    /* recurrent snip zeroes exactly that row of W_hid */
    ck_assert_ok(folkrnn_model_snip(cut, 1, unit, 1, FOLKRNN_SNIP_RECURRENT));
    const float *wh, *wh0;
    ck_assert_ok(folkrnn_model_param_const(cut, 1, FOLKRNN_P_W_HID, &wh, &rows, &cols, &ld));
    ck_assert_ok(folkrnn_model_param_const(m, 1, FOLKRNN_P_W_HID, &wh0, NULL, NULL, NULL));
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            ck_assert(wh[r * ld + c] == (r == 2 ? 0.0f : wh0[r * ld + c]));
    const int bad[1] = {4};
    ck_assert_int_eq(folkrnn_model_snip(cut, 1, bad, 1, FOLKRNN_SNIP_FORWARD), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_model_snip(cut, 2, unit, 1, FOLKRNN_SNIP_FORWARD), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_model_snip(cut, 0, unit, 1, 4), FOLKRNN_E_INVALID);
    folkrnn_model_free(cut);
    folkrnn_model_free(m);
}
END_TEST

START_TEST(test_choose_units)
{
    int a[10], b[10];
    ck_assert_ok(folkrnn_choose_random(512, 10, 42, a));
    ck_assert_ok(folkrnn_choose_random(512, 10, 42, b));
    ck_assert(memcmp(a, b, sizeof a) == 0);
    for (int i = 0; i < 10; i++)
        ck_assert(a[i] >= 0 && a[i] < 512 && (i == 0 || a[i] > a[i - 1]));
    ck_assert_ok(folkrnn_choose_random(512, 10, 43, b));
    ck_assert(memcmp(a, b, sizeof a) != 0);
    ck_assert_ok(folkrnn_choose_random(10, 10, 1, a));
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(a[i], i);
    /* uniform: one of ten over 10000 seeds, each about 1000 times */
    int counts[10] = {0};
    for (int seed = 0; seed < 10000; seed++) {
        ck_assert_ok(folkrnn_choose_random(10, 1, (unsigned long long)seed, a));
        counts[a[0]]++;
    }
    for (int i = 0; i < 10; i++)
        ck_assert_msg(counts[i] > 880 && counts[i] < 1120, "count[%d] = %d", i, counts[i]);
    const double score[6] = {0.1, NAN, 0.5, 0.5, -1.0, 0.3};
    ck_assert_ok(folkrnn_choose_top(score, 6, 3, a));
    ck_assert(a[0] == 2 && a[1] == 3 && a[2] == 5);
    ck_assert_ok(folkrnn_choose_top(score, 6, 6, a));
    ck_assert(a[0] == 0 && a[5] == 5);
    ck_assert_ok(folkrnn_choose_top(score, 6, 0, a));
    ck_assert_int_eq(folkrnn_choose_top(score, 6, 7, a), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_choose_random(3, -1, 0, a), FOLKRNN_E_INVALID);
    /* odds helpers */
    assert_close(folkrnn_odds_delta(1.0), 0.0, 0.0, "delta", 0);
    ck_assert(isnan(folkrnn_odds_delta(0.0)));
    assert_close(folkrnn_prob_after_delta(0.5, log(3.0)), 0.75, 1e-15, "p'", 0);
    assert_close(folkrnn_prob_after_delta(0.2, 0.0), 0.2, 1e-15, "p'", 1);
    ck_assert(folkrnn_prob_after_delta(0.3, -1000.0) == 0.0);
    ck_assert(isnan(folkrnn_prob_after_delta(1.5, 1.0)));
}
END_TEST

START_TEST(test_two_hot_forcing)
{
    const int units[1] = {5};
    folkrnn_model *m = random_model(FOLKRNN_CELL_LSTM, 1, units, 6, 0.8, 59);
    folkrnn_state *a, *b;
    ck_assert_ok(folkrnn_state_new(m, 1, &a));
    ck_assert_ok(folkrnn_state_new(m, 1, &b));
    float row[6], pa[6], pb[6];
    ck_assert_ok(folkrnn_two_hot(row, 6, 4, 1.0, 4, 0.0));
    ck_assert(row[4] == 1.0f && row[0] == 0.0f);
    int token = 4;
    ck_assert_ok(folkrnn_state_step_input(a, row, pa));
    ck_assert_ok(folkrnn_state_step(b, &token, pb));
    for (int k = 0; k < 6; k++)
        assert_close(pa[k], pb[k], 1e-6, "one-hot as weights", k);
    ck_assert_ok(folkrnn_two_hot(row, 6, 1, 0.7, 3, 0.3));
    ck_assert(row[1] == 0.7f && row[3] == 0.3f && row[2] == 0.0f);
    ck_assert_int_eq(folkrnn_two_hot(row, 6, 6, 0.7, 3, 0.3), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_two_hot(row, 6, 1, NAN, 3, 0.3), FOLKRNN_E_INVALID);
    folkrnn_state_free(a);
    folkrnn_state_free(b);
    folkrnn_model_free(m);
}
END_TEST

/* ---- statistics over steps ----------------------------------------------- */

START_TEST(test_class_mass_entropy)
{
    const char *tokens[6] = {"M:6/8", "K:Cmaj", "|", "C", "D", "</s>"};
    const int units[1] = {3};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, units, 6, tokens, 0, &m));
    const double p[2 * 6] = {0.1, 0.2, 0.3, 0.15, 0.15, 0.1, 0.25, 0.25, 0.0, 0.25, 0.25, 0.0};
    folkrnn_matrix *probs, *mass;
    ck_assert_ok(folkrnn_matrix_from_double(p, 2, 6, 6, &probs));
    ck_assert_ok(folkrnn_class_mass(m, probs, &mass));
    ck_assert(mass->rows == 2 && mass->cols == FOLKRNN_TOKEN_NCLASSES);
    assert_close(AT(mass, 0, FOLKRNN_TOKEN_METER), 0.1, 1e-15, "meter", 0);
    assert_close(AT(mass, 0, FOLKRNN_TOKEN_BAR), 0.3, 1e-15, "bar", 0);
    assert_close(AT(mass, 0, FOLKRNN_TOKEN_PITCH), 0.3, 1e-15, "pitch", 0);
    assert_close(AT(mass, 1, FOLKRNN_TOKEN_PITCH), 0.5, 1e-15, "pitch", 1);
    ck_assert(AT(mass, 1, FOLKRNN_TOKEN_END) == 0.0 && AT(mass, 0, FOLKRNN_TOKEN_REST) == 0.0);
    double bits[2];
    ck_assert_ok(folkrnn_entropy(probs, bits));
    assert_close(bits[1], 2.0, 1e-15, "entropy of 4 equal", 1);
    double h0 = 0.0;
    for (int k = 0; k < 6; k++)
        h0 -= p[k] * log2(p[k]);
    assert_close(bits[0], h0, 1e-15, "entropy", 0);
    folkrnn_matrix_free(mass);
    folkrnn_matrix *wrong;
    ck_assert_ok(folkrnn_matrix_new(2, 5, &wrong));
    ck_assert_int_eq(folkrnn_class_mass(m, wrong, &mass), FOLKRNN_E_SHAPE);
    ck_assert_int_eq(folkrnn_entropy(wrong, bits), FOLKRNN_E_NUMERIC); /* rows sum to 0 */
    AT(probs, 1, 1) = -0.1;
    ck_assert_int_eq(folkrnn_entropy(probs, bits), FOLKRNN_E_NUMERIC);
    folkrnn_matrix_free(wrong);
    folkrnn_matrix_free(probs);
    folkrnn_model_free(m);
}
END_TEST

START_TEST(test_step_statistics)
{
    /* one-hot rows and their Gram matrix over steps: 1 where tokens repeat */
    const int seq[7] = {0, 2, 1, 0, 2, 1, 0};
    folkrnn_matrix *x, *g, *d;
    ck_assert_ok(folkrnn_onehot(seq, 7, 3, &x));
    ck_assert_ok(folkrnn_gram(x, FOLKRNN_GRAM_ROWS, 0, &g));
    for (int a = 0; a < 7; a++)
        for (int b = 0; b < 7; b++)
            ck_assert(AT(g, a, b) == (seq[a] == seq[b]));
    folkrnn_matrix_free(g);
    /* distances: sqrt(2) between different tokens; period 3 gives 0 at lag 3 */
    ck_assert_ok(folkrnn_row_distances(x, &d));
    assert_close(AT(d, 0, 1), sqrt(2.0), 1e-15, "distance", 0);
    ck_assert(AT(d, 0, 3) == 0.0 && AT(d, 4, 4) == 0.0 && AT(d, 1, 0) == AT(d, 0, 1));
    folkrnn_matrix_free(d);
    double lag[6];
    ck_assert_ok(folkrnn_lag_distances(x, 6, lag));
    ck_assert(lag[2] == 0.0 && lag[5] == 0.0);
    assert_close(lag[0], sqrt(2.0), 1e-15, "lag 1", 0);
    ck_assert_int_eq(folkrnn_lag_distances(x, 7, lag), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_onehot(seq, 7, 2, &g), FOLKRNN_E_RANGE);
    folkrnn_matrix_free(x);
    /* histogram, fractions, largest magnitudes */
    const double v[4 * 2] = {-1.0, 0.0, -0.5, 0.001, 0.5, 0.999, 1.0, NAN};
    ck_assert_ok(folkrnn_matrix_from_double(v, 4, 2, 2, &x));
    long counts[4], outside;
    ck_assert_ok(folkrnn_histogram(x, -1.0, 1.0, 4, counts, &outside));
    /* bins [-1,-.5) [-.5,0) [0,.5) [.5,1]: -1 | -.5 | 0 .001 | .5 .999 1 */
    ck_assert(counts[0] == 1 && counts[1] == 1 && counts[2] == 2 && counts[3] == 3 && outside == 1);
    double frac[2];
    ck_assert_ok(folkrnn_column_fraction(x, -0.01, 0.01, frac));
    ck_assert(frac[0] == 0.0 && frac[1] == 0.5);
    ck_assert_int_eq(folkrnn_column_fraction(x, 1.0, 0.0, frac), FOLKRNN_E_INVALID);
    double maxabs[2];
    int order[2];
    ck_assert_int_eq(folkrnn_column_max_abs(x, maxabs, order), FOLKRNN_E_NUMERIC);
    AT(x, 3, 1) = -2.0;
    ck_assert_ok(folkrnn_column_max_abs(x, maxabs, order));
    ck_assert(maxabs[0] == 1.0 && maxabs[1] == 2.0 && order[0] == 1 && order[1] == 0);
    folkrnn_matrix_free(x);
}
END_TEST

/* ---- snipping sweeps ----------------------------------------------------- */

static const char *SWEEP_TOKENS[10] = {"<s>", "</s>", "M:4/4", "K:Cmaj", "|",
                                       "C",   "D",    "E",     "2",      "z"};

static int sweep_setup(folkrnn_sampler *s, void *user)
{
    int *max_len = user;
    return *max_len < 0 ? FOLKRNN_E_RANGE : folkrnn_sampler_set_max_len(s, *max_len);
}

/* The point (rule TOP, fraction) measured step by step with the public API. */
static void sweep_by_hand(const folkrnn_model *m, const double *score, double fraction,
                          folkrnn_sweep_point *pt)
{
    folkrnn_model *clone;
    folkrnn_sampler *s;
    folkrnn_tunes *t;
    folkrnn_vocab *v;
    folkrnn_state *judge;
    int chosen[6];
    memset(pt, 0, sizeof *pt);
    pt->nunits = (int)lround(fraction * 6);
    ck_assert_ok(folkrnn_choose_top(score, 6, pt->nunits, chosen));
    ck_assert_ok(folkrnn_model_clone(m, &clone));
    ck_assert_ok(folkrnn_model_snip(clone, 1, chosen, pt->nunits, FOLKRNN_SNIP_FORWARD));
    ck_assert_ok(folkrnn_sampler_new(clone, &s));
    ck_assert_ok(folkrnn_sampler_set_max_len(s, 40));
    ck_assert_ok(folkrnn_sampler_set_seed(s, 77));
    ck_assert_ok(folkrnn_sample(s, 6, &t));
    ck_assert_ok(folkrnn_vocab_from_model(m, &v));
    ck_assert_ok(folkrnn_state_new(m, 1, &judge));
    for (int k = 0; k < 6; k++) {
        int len, nbars, ncorrect, ended = folkrnn_tunes_ended(t, k);
        const int *ids = folkrnn_tunes_tokens(t, k, &len);
        folkrnn_bars *b;
        ck_assert_ok(folkrnn_bars_count(v, ids, len, &b));
        ck_assert_ok(folkrnn_bars_summary(b, &nbars, &ncorrect, NULL));
        folkrnn_bars_free(b);
        double ll;
        ck_assert_ok(
            folkrnn_score(judge, ids, &len, 1, ended ? 0 : FOLKRNN_SCORE_NO_END, &ll, NULL));
        pt->nbars += nbars;
        pt->ncorrect += ncorrect;
        pt->nended += ended;
        pt->loglik += ll;
        pt->ntokens += len + ended;
    }
    folkrnn_state_free(judge);
    folkrnn_vocab_free(v);
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
    folkrnn_model_free(clone);
}

START_TEST(test_snip_sweep)
{
    const int units[2] = {5, 6};
    const char *const *tokens = SWEEP_TOKENS;
    folkrnn_model *m = random_model(FOLKRNN_CELL_LSTM, 2, units, 10, 0.9, 61), *named;
    /* the same weights with a real vocabulary, so that bars can be counted */
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 2, units, 10, tokens, 0, &named));
    const int params[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B};
    for (int l = 0; l < 2; l++)
        for (int k = 0; k < 3; k++) {
            const float *src;
            float *dst;
            int rows, cols, ld;
            ck_assert_ok(folkrnn_model_param_const(m, l, params[k], &src, &rows, &cols, &ld));
            ck_assert_ok(folkrnn_model_param(named, l, params[k], &dst, NULL, NULL, NULL));
            memcpy(dst, src, (size_t)rows * ld * sizeof *src);
        }
    for (int k = FOLKRNN_P_DENSE_W; k <= FOLKRNN_P_DENSE_B; k++) {
        const float *src;
        float *dst;
        int rows, cols, ld;
        ck_assert_ok(folkrnn_model_param_const(m, 0, k, &src, &rows, &cols, &ld));
        ck_assert_ok(folkrnn_model_param(named, 0, k, &dst, NULL, NULL, NULL));
        memcpy(dst, src, (size_t)rows * ld * sizeof *src);
    }
    const double score[6] = {0.3, 0.9, 0.1, 0.5, 0.7, 0.2};
    const int rules[2] = {FOLKRNN_SWEEP_TOP, FOLKRNN_SWEEP_RANDOM};
    const double fractions[3] = {0.0, 0.5, 1.0};
    folkrnn_sweep_point res[6];
    int max_len = 40;
    ck_assert_ok(folkrnn_snip_sweep(named, 1, FOLKRNN_SNIP_FORWARD, score, rules, 2, fractions, 3,
                                    6, 77, sweep_setup, &max_len, res));
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(res[i].rule, rules[i / 3]);
        ck_assert(res[i].fraction == fractions[i % 3]);
        ck_assert_int_eq(res[i].nunits, (int)lround(fractions[i % 3] * 6));
        ck_assert_int_eq(res[i].ntunes, 6);
        ck_assert(res[i].ncorrect <= res[i].nbars && res[i].loglik < 0.0 && res[i].ntokens > 0);
    }
    /* nothing snipped: both rules draw the same tunes */
    ck_assert(res[0].loglik == res[3].loglik && res[0].nbars == res[3].nbars);
    /* everything snipped: both rules snip the same units */
    ck_assert(res[2].loglik == res[5].loglik && res[2].ncorrect == res[5].ncorrect);
    /* the composition, done by hand */
    folkrnn_sweep_point want;
    sweep_by_hand(named, score, 0.5, &want);
    ck_assert_int_eq(res[1].nbars, want.nbars);
    ck_assert_int_eq(res[1].ncorrect, want.ncorrect);
    ck_assert_int_eq(res[1].nended, want.nended);
    ck_assert_int_eq(res[1].ntokens, want.ntokens);
    /* float32 products of 8 streams and of 1 may round differently */
    assert_close(res[1].loglik, want.loglik, 1e-6 * fabs(want.loglik), "sweep loglik", 1);
    /* the snipped model's tunes are scored under the intact one: q = 0.5
       differs from q = 0 */
    ck_assert(res[1].loglik != res[0].loglik);
    max_len = -1;
    ck_assert_int_eq(folkrnn_snip_sweep(named, 1, FOLKRNN_SNIP_FORWARD, score, rules, 2, fractions,
                                        3, 6, 77, sweep_setup, &max_len, res),
                     FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_snip_sweep(named, 1, FOLKRNN_SNIP_FORWARD, NULL, rules, 2, fractions,
                                        3, 6, 77, NULL, NULL, res),
                     FOLKRNN_E_INVALID);
    folkrnn_model_free(named);
    folkrnn_model_free(m);
}
END_TEST

/* ---- copy check ---------------------------------------------------------- */

/* Tunes of c containing tokens fig[n], counted the slow way. */
static int naive_copies(const folkrnn_corpus *c, const int *fig, int n)
{
    int found = 0;
    for (int k = 0; k < folkrnn_corpus_count(c); k++) {
        int len;
        const int *ids = folkrnn_corpus_tune(c, k, &len);
        for (int t = 0; t + n <= len; t++)
            if (memcmp(ids + t, fig, n * sizeof *fig) == 0) {
                found++;
                break;
            }
    }
    return found;
}

START_TEST(test_copy_check_small)
{
    const char *tokens[8] = {"M:4/4", "M:6/8", "K:Cmaj", "|", "C", "D", "E", "2"};
    folkrnn_vocab *v;
    folkrnn_corpus *c;
    ck_assert_ok(folkrnn_vocab_new(tokens, 8, &v));
    const char *text = "M:4/4\nK:Cmaj\n| C D E C D |\n\n\nM:4/4\nK:Cmaj\n| D E C |\n  \t\n"
                       "M:6/8\nK:Cmaj\nE E E 2 |";
    ck_assert_ok(folkrnn_corpus_from_text(v, text, &c));
    ck_assert_int_eq(folkrnn_corpus_count(c), 3);
    int len;
    const int *t2 = folkrnn_corpus_tune(c, 2, &len);
    ck_assert(len == 7 && t2[0] == 1 && t2[5] == 7);
    ck_assert_ptr_null(folkrnn_corpus_tune(c, 3, &len));
    enum { C = 4, D = 5, E = 6 };
    int counts[8];
    const int cd[2] = {C, D}, de[2] = {D, E}, ee[2] = {E, E};
    ck_assert_ok(folkrnn_corpus_figures(c, cd, 2, 2, counts));
    ck_assert_int_eq(counts[0], 1);
    ck_assert_ok(folkrnn_corpus_figures(c, de, 2, 2, counts));
    ck_assert_int_eq(counts[0], 2);
    ck_assert_ok(folkrnn_corpus_figures(c, ee, 2, 2, counts));
    ck_assert_int_eq(counts[0], 1); /* twice in one tune counts once */
    const int q[4] = {C, D, C, D};
    ck_assert_ok(folkrnn_corpus_figures(c, q, 4, 2, counts));
    ck_assert(counts[0] == 1 && counts[1] == 0 && counts[2] == 1);
    /* every figure of every length of random queries, against the slow count */
    uint64_t seed = 71;
    for (int trial = 0; trial < 50; trial++) {
        int query[8], n = 1 + trial % 4;
        for (int i = 0; i < 8; i++)
            query[i] = (int)((rnd(&seed) + 1.0) * 4.0) % 8;
        ck_assert_ok(folkrnn_corpus_figures(c, query, 8, n, counts));
        for (int w = 0; w + n <= 8; w++)
            ck_assert_int_eq(counts[w], naive_copies(c, query + w, n));
    }
    ck_assert_int_eq(folkrnn_corpus_figures(c, q, 1, 2, counts), FOLKRNN_E_INVALID);
    folkrnn_corpus_free(c);
    ck_assert_int_eq(folkrnn_corpus_from_text(v, "C D\n\nC Q D\n", &c), FOLKRNN_E_PARSE);
    ck_assert_msg(strstr(folkrnn_errmsg(), "corpus tune 1") != NULL, "%s", folkrnn_errmsg());
    folkrnn_vocab_free(v);
}
END_TEST

START_TEST(test_copy_check_data_v2)
{
    /* Sturm: "G, C C 2" is in 217 of the 23,636 tunes of data_v2 */
    folkrnn_vocab *v;
    folkrnn_corpus *c;
    ck_assert_ok(folkrnn_vocab_v2(&v));
    ck_assert_ok(folkrnn_corpus_load(v, shared_data_path("data_v2.txt"), &c));
    ck_assert_int_eq(folkrnn_corpus_count(c), 23636);
    int fig[4], counts[1];
    ck_assert_int_eq(folkrnn_parse_tokens(v, "G, C C 2", 0, fig, 4), 4);
    ck_assert_ok(folkrnn_corpus_figures(c, fig, 4, 4, counts));
    ck_assert_int_eq(counts[0], 217);
    /* every 4-token figure of a 200-token tune in one pass */
    int len;
    const int *tune = folkrnn_corpus_tune(c, 100, &len);
    ck_assert(len >= 50);
    int *all = malloc(len * sizeof *all);
    ck_assert_ok(folkrnn_corpus_figures(c, tune, len, 4, all));
    for (int w = 0; w + 4 <= len; w++)
        ck_assert(all[w] >= 1); /* the tune itself */
    ck_assert_int_eq(all[7], naive_copies(c, tune + 7, 4));
    free(all);
    folkrnn_corpus_free(c);
    folkrnn_vocab_free(v);
}
END_TEST

static Suite *analysis_suite(void)
{
    Suite *s = suite_create("analysis");
    TCase *tc = tcase_create("analysis");
    tcase_add_test(tc, test_matrix_basics);
    tcase_add_test(tc, test_matrix_from_param);
    tcase_add_test(tc, test_gram_hand);
    tcase_add_test(tc, test_corr_reference);
    tcase_add_test(tc, test_svd_graded);
    tcase_add_test(tc, test_svd_dense_ill_conditioned);
    tcase_add_test(tc, test_svd_reference_and_rank);
    tcase_add_test(tc, test_hilbert_condition);
    tcase_add_test(tc, test_svd_speed);
    tcase_add_test(tc, test_eig_known);
    tcase_add_test(tc, test_pca_and_project);
    tcase_add_test(tc, test_fft_lengths);
    tcase_add_test(tc, test_fft_round_trip_and_errors);
    tcase_add_test(tc, test_windows_reference);
    tcase_add_test(tc, test_periodogram_reference);
    tcase_add_test(tc, test_periodogram_variance);
    tcase_add_test(tc, test_period_nine);
    tcase_add_test(tc, test_npy_structure);
    tcase_add_test(tc, test_png_structure);
    tcase_add_test(tc, test_svg_structure);
    tcase_add_test(tc, test_recorder_values);
    tcase_add_test(tc, test_recorder_bound_and_gru);
    tcase_add_test(tc, test_recorder_v2_shape);
    tcase_add_test(tc, test_edits_clamp_and_suppress);
    tcase_add_test(tc, test_snip_equals_silenced_unit);
    tcase_add_test(tc, test_choose_units);
    tcase_add_test(tc, test_two_hot_forcing);
    tcase_add_test(tc, test_class_mass_entropy);
    tcase_add_test(tc, test_step_statistics);
    tcase_add_test(tc, test_snip_sweep);
    tcase_add_test(tc, test_copy_check_small);
    tcase_add_test(tc, test_copy_check_data_v2);
    suite_add_tcase(s, tc);
    return s;
}

/* --write DIR: the files for tests/analysis_ref.py, made inside a test
   because Check's assertions only work there. */
static const char *write_dir;

START_TEST(test_write_files)
{
    write_files(write_dir);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        write_dir = argv[2];
        Suite *s = suite_create("analysis files");
        TCase *tc = tcase_create("write");
        tcase_add_test(tc, test_write_files);
        suite_add_tcase(s, tc);
        return run_suite(s);
    }
    return run_suite(analysis_suite());
}
