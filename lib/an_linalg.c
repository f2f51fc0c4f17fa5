/* an_linalg.c -- Gram matrices, norms, correlations, SVD, symmetric
   eigendecomposition, PCA, projections, rank and condition number.

   Products are CBLAS calls.  The decompositions are Jacobi methods, written
   here because CBLAS has none: the one-sided (Hestenes) SVD orthogonalises
   the columns of the matrix by plane rotations, which keeps every singular
   value accurate relative to its own size on graded matrices, and the
   cyclic two-sided Jacobi method diagonalises a symmetric matrix. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "an_internal.h"

/* Sweeps after which a Jacobi method gives up; good inputs need under 15. */
#define MAX_SWEEPS 60

/* Mirror the upper triangle of the n x n matrix c into its lower one. */
static void mirror_upper(folkrnn_matrix *c)
{
    for (int r = 1; r < c->rows; r++)
        for (int k = 0; k < r; k++)
            FR_AT(c, r, k) = FR_AT(c, k, r);
}

/* Scale each column of a (in place) to unit length; zero columns stay zero
   and are flagged in zero[cols] when zero is not NULL. */
static void normalise_columns(folkrnn_matrix *a, int *zero)
{
    for (int c = 0; c < a->cols; c++) {
        double norm = cblas_dnrm2(a->rows, &FR_AT(a, 0, c), a->ld);
        if (zero)
            zero[c] = norm == 0.0;
        if (norm > 0.0)
            cblas_dscal(a->rows, 1.0 / norm, &FR_AT(a, 0, c), a->ld);
    }
}

/* Subtract each column's mean from it, in place. */
static void centre_columns(folkrnn_matrix *a, const double *mean)
{
    for (int r = 0; r < a->rows; r++)
        for (int c = 0; c < a->cols; c++)
            FR_AT(a, r, c) -= mean[c];
}

/* The transpose of a (side ROWS) or a itself, as a new matrix whose columns
   are the vectors to compare. */
static folkrnn_matrix *vectors_as_columns(const folkrnn_matrix *a, int side, int *rc)
{
    folkrnn_matrix *b = NULL;
    *rc = side == FOLKRNN_GRAM_ROWS ? folkrnn_matrix_transpose(a, &b) : folkrnn_matrix_copy(a, &b);
    return b;
}

int folkrnn_gram(const folkrnn_matrix *a, int side, int normalise, folkrnn_matrix **out)
{
    int rc = fr_mat_input(a, "folkrnn_gram a");
    if (rc)
        return rc;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_gram: NULL out");
    *out = NULL;
    if (side != FOLKRNN_GRAM_COLS && side != FOLKRNN_GRAM_ROWS)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_gram: side %d is not a FOLKRNN_GRAM_*", side);
    folkrnn_matrix *b = vectors_as_columns(a, side, &rc); /* k x n: n vectors of length k */
    if (!b)
        return rc;
    int *zero = malloc((size_t)b->cols * sizeof *zero);
    folkrnn_matrix *g = fr_mat_new(b->cols, b->cols, "folkrnn_gram", &rc); /* n x n */
    if (g && zero) {
        if (normalise)
            normalise_columns(b, zero);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, b->cols, b->rows, 1.0, b->data, b->ld,
                    0.0, g->data, g->ld);
        mirror_upper(g);
        for (int i = 0; normalise && i < g->rows; i++)
            FR_AT(g, i, i) = 1.0; /* exactly, also for zero vectors */
        *out = g;
    } else if (!zero) {
        folkrnn_matrix_free(g);
        rc = fr_oom("folkrnn_gram flags", (size_t)b->cols * sizeof *zero);
    }
    free(zero);
    folkrnn_matrix_free(b);
    return rc;
}

int folkrnn_column_norms(const folkrnn_matrix *a, double *norms)
{
    int rc = fr_mat_input(a, "folkrnn_column_norms a");
    if (rc)
        return rc;
    if (!norms)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_column_norms: NULL norms");
    for (int c = 0; c < a->cols; c++)
        norms[c] = cblas_dnrm2(a->rows, &FR_AT(a, 0, c), a->ld);
    return FOLKRNN_OK;
}

int folkrnn_column_means(const folkrnn_matrix *a, double *means)
{
    int rc = fr_mat_input(a, "folkrnn_column_means a");
    if (rc)
        return rc;
    if (!means)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_column_means: NULL means");
    for (int c = 0; c < a->cols; c++) {
        double sum = 0.0;
        for (int r = 0; r < a->rows; r++)
            sum += FR_AT(a, r, c);
        means[c] = sum / a->rows;
    }
    return FOLKRNN_OK;
}

/* A copy of a with columns centred (Pearson) and scaled to unit length;
   zero[cols] flags columns without spread. */
static folkrnn_matrix *standardised_copy(const folkrnn_matrix *a, int kind, int *zero, int *rc)
{
    folkrnn_matrix *b = NULL;
    if ((*rc = folkrnn_matrix_copy(a, &b)))
        return NULL;
    if (kind == FOLKRNN_CORR_PEARSON) {
        double *mean = malloc((size_t)a->cols * sizeof *mean);
        if (!mean) {
            folkrnn_matrix_free(b);
            *rc = fr_oom("column means", (size_t)a->cols * sizeof *mean);
            return NULL;
        }
        folkrnn_column_means(b, mean);
        centre_columns(b, mean);
        free(mean);
    }
    normalise_columns(b, zero);
    return b;
}

static int check_kind(int kind, const char *fn)
{
    if (kind != FOLKRNN_CORR_PEARSON && kind != FOLKRNN_CORR_COSINE)
        return fr_error(FOLKRNN_E_INVALID, "%s: kind %d is not a FOLKRNN_CORR_*", fn, kind);
    return FOLKRNN_OK;
}

int folkrnn_corr_columns(const folkrnn_matrix *a, int kind, folkrnn_matrix **out)
{
    int rc = fr_mat_input(a, "folkrnn_corr_columns a");
    if (rc || (rc = check_kind(kind, "folkrnn_corr_columns")))
        return rc;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_corr_columns: NULL out");
    *out = NULL;
    int n = a->cols;
    int *zero = malloc((size_t)n * sizeof *zero);
    if (!zero)
        return fr_oom("folkrnn_corr_columns flags", (size_t)n * sizeof *zero);
    folkrnn_matrix *b = standardised_copy(a, kind, zero, &rc);
    folkrnn_matrix *c = b ? fr_mat_new(n, n, "folkrnn_corr_columns", &rc) : NULL; /* n x n */
    if (c) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, b->rows, 1.0, b->data, b->ld, 0.0,
                    c->data, c->ld);
        mirror_upper(c);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double *cij = &FR_AT(c, i, j);
                *cij = zero[i] || zero[j] ? NAN : i == j ? 1.0 : fmax(-1.0, fmin(1.0, *cij));
            }
        *out = c;
    }
    folkrnn_matrix_free(b);
    free(zero);
    return rc;
}

int folkrnn_corr_vector(const folkrnn_matrix *a, const double *v, int kind, double *corr)
{
    int rc = fr_mat_input(a, "folkrnn_corr_vector a");
    if (rc || (rc = check_kind(kind, "folkrnn_corr_vector")))
        return rc;
    if (!v || !corr)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_corr_vector: NULL %s", v ? "corr" : "v");
    if ((rc = fr_vec_finite(v, a->rows, "folkrnn_corr_vector v")))
        return rc;
    folkrnn_matrix *vm = NULL; /* rows x 1: v as a column */
    if ((rc = folkrnn_matrix_from_double(v, a->rows, 1, 1, &vm)))
        return rc;
    int nz = a->cols, vzero;
    int *zero = malloc((size_t)nz * sizeof *zero);
    folkrnn_matrix *b = zero ? standardised_copy(a, kind, zero, &rc) : NULL;
    folkrnn_matrix *vs = b ? standardised_copy(vm, kind, &vzero, &rc) : NULL;
    if (!zero)
        rc = fr_oom("folkrnn_corr_vector flags", (size_t)nz * sizeof *zero);
    if (vs) {
        cblas_dgemv(CblasRowMajor, CblasTrans, b->rows, b->cols, 1.0, b->data, b->ld, vs->data,
                    vs->ld, 0.0, corr, 1);
        for (int c = 0; c < nz; c++)
            corr[c] = zero[c] || vzero ? NAN : fmax(-1.0, fmin(1.0, corr[c]));
    }
    folkrnn_matrix_free(vs);
    folkrnn_matrix_free(b);
    folkrnn_matrix_free(vm);
    free(zero);
    return rc;
}

/* ---- singular value decomposition ---------------------------------------- */

/* Squared norm of x[len], recomputed whenever the cheap update of a cached
   one may have lost digits to cancellation. */
static double sqnorm(const double *x, int len)
{
    return cblas_ddot(len, x, 1, x, 1);
}

/* One-sided Jacobi on the n vectors g[n x len] (rows, each a column of the
   matrix B = g^T, len >= n): rotate pairs until every pair is orthogonal to
   working precision.  vt[n x n], when not NULL, accumulates the rotations
   (rows are the right singular vectors of B).  Squared norms are cached in
   sq[n] and updated by the exact formulas of the rotation (fresh at each
   sweep and after cancellation).  Rows are brought into descending norm
   order as the sweep reaches them (de Rijk's pivoting), which speeds
   convergence. */
static int hestenes(double *g, int n, int len, double *vt, double *sq)
{
    double tol = sqrt((double)len) * DBL_EPSILON;
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
        int rotated = 0;
        for (int j = 0; j < n; j++)
            sq[j] = sqnorm(g + (size_t)j * len, len);
        for (int p = 0; p < n - 1; p++) {
            int big = p;
            for (int k = p + 1; k < n; k++)
                if (sq[k] > sq[big])
                    big = k;
            if (big != p) {
                cblas_dswap(len, g + (size_t)p * len, 1, g + (size_t)big * len, 1);
                if (vt)
                    cblas_dswap(n, vt + (size_t)p * n, 1, vt + (size_t)big * n, 1);
                double t = sq[p];
                sq[p] = sq[big], sq[big] = t;
            }
            double *gp = g + (size_t)p * len;
            for (int q = p + 1; q < n; q++) {
                double *gq = g + (size_t)q * len;
                double alpha = sq[p], beta = sq[q];
                double gamma = cblas_ddot(len, gp, 1, gq, 1);
                if (alpha == 0.0 || beta == 0.0 || fabs(gamma) <= tol * sqrt(alpha) * sqrt(beta))
                    continue;
                /* The rotation that zeroes gamma; t is the smaller root so
                   that the angle is at most pi/4. */
                double zeta = (beta - alpha) / (2.0 * gamma);
                double t = copysign(1.0, zeta) / (fabs(zeta) + sqrt(1.0 + zeta * zeta));
                double c = 1.0 / sqrt(1.0 + t * t), s = c * t;
                cblas_drot(len, gp, 1, gq, 1, c, -s);
                if (vt)
                    cblas_drot(n, vt + (size_t)p * n, 1, vt + (size_t)q * n, 1, c, -s);
                sq[p] = alpha - t * gamma;
                sq[q] = beta + t * gamma;
                if (sq[p] < 0.25 * alpha)
                    sq[p] = sqnorm(gp, len);
                if (sq[q] < 0.25 * beta)
                    sq[q] = sqnorm(gq, len);
                rotated = 1;
            }
        }
        if (!rotated)
            return FOLKRNN_OK;
    }
    return fr_error(FOLKRNN_E_NUMERIC, "SVD: one-sided Jacobi did not converge in %d sweeps",
                    MAX_SWEEPS);
}

/* Replace each flagged row of u[n x len] (vectors of zero singular values)
   by a unit vector orthogonal to every other row: Gram-Schmidt, twice, on
   the coordinate vectors until one survives. */
static void complete_basis(double *u, int n, int len, const int *zero)
{
    for (int j = 0; j < n; j++) {
        if (!zero[j])
            continue;
        double *uj = u + (size_t)j * len;
        for (int e = 0; e < len; e++) {
            memset(uj, 0, (size_t)len * sizeof *uj);
            uj[e] = 1.0;
            for (int pass = 0; pass < 2; pass++)
                for (int k = 0; k < n; k++)
                    if (k != j && (!zero[k] || k < j))
                        cblas_daxpy(len, -cblas_ddot(len, u + (size_t)k * len, 1, uj, 1),
                                    u + (size_t)k * len, 1, uj, 1);
            double norm = cblas_dnrm2(len, uj, 1);
            if (norm > 0.5) {
                cblas_dscal(len, 1.0 / norm, uj, 1);
                break;
            }
        }
    }
}

void fr_order_descending(const double *s, int n, int *order)
{
    for (int i = 0; i < n; i++) {
        int k = i;
        for (; k > 0 && s[order[k - 1]] < s[i]; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
}

/* out (len x n): column j is row order[j] of rows[n x len]. */
static void rows_to_columns(folkrnn_matrix *out, const double *rows, int len, const int *order)
{
    for (int j = 0; j < out->cols; j++)
        for (int i = 0; i < len; i++)
            FR_AT(out, i, j) = rows[(size_t)order[j] * len + i];
}

/* Buffers of an SVD: B (mb x nb, mb >= nb) is a or its transpose. */
struct svd_work {
    int mb, nb;   /* shape of B */
    double scale; /* B was divided by it (the largest |element|) */
    double *g;    /* nb x mb: the columns of B as rows, orthogonalised in place */
    double *vt;   /* nb x nb: accumulated rotations, or NULL */
    double *s;    /* nb */
    int *zero;    /* nb: singular value exactly 0 */
    int *order;   /* nb: descending order */
};

static void svd_work_free(struct svd_work *w)
{
    free(w->g);
    free(w->vt);
    free(w->s);
    free(w->zero);
    free(w->order);
}

static int svd_work_alloc(struct svd_work *w, int want_vectors)
{
    size_t nb = (size_t)w->nb, mb = (size_t)w->mb;
    w->g = malloc(nb * mb * sizeof *w->g);
    w->vt = want_vectors ? calloc(nb * nb, sizeof *w->vt) : NULL;
    w->s = malloc(nb * sizeof *w->s);
    w->zero = malloc(nb * sizeof *w->zero);
    w->order = malloc(nb * sizeof *w->order);
    if (!w->g || (want_vectors && !w->vt) || !w->s || !w->zero || !w->order)
        return fr_oom("SVD workspace", (nb * mb + nb * nb + 3 * nb) * sizeof(double));
    return FOLKRNN_OK;
}

/* Load a into w->g as the columns of B, scaled so the largest |element| is 1. */
static void svd_load(struct svd_work *w, const folkrnn_matrix *a, int transposed)
{
    double big = 0.0;
    for (int r = 0; r < a->rows; r++)
        for (int c = 0; c < a->cols; c++)
            big = fmax(big, fabs(FR_AT(a, r, c)));
    w->scale = big > 0.0 ? big : 1.0;
    for (int r = 0; r < a->rows; r++)
        for (int c = 0; c < a->cols; c++) {
            /* g[j][i] = B[i][j]: B = a^T when transposed, else a */
            size_t at = transposed ? (size_t)r * w->mb + c : (size_t)c * w->mb + r;
            w->g[at] = FR_AT(a, r, c) / w->scale;
        }
}

/* Run the decomposition: w->s unscaled and sorted through w->order, rows of
   w->g normalised into left singular vectors of B. */
static int svd_run(struct svd_work *w)
{
    for (int i = 0; w->vt && i < w->nb; i++)
        w->vt[(size_t)i * w->nb + i] = 1.0;
    int rc = hestenes(w->g, w->nb, w->mb, w->vt, w->s); /* s: scratch until the end */
    if (rc)
        return rc;
    for (int j = 0; j < w->nb; j++) {
        double *gj = w->g + (size_t)j * w->mb;
        double norm = cblas_dnrm2(w->mb, gj, 1);
        w->zero[j] = norm == 0.0;
        if (norm > 0.0)
            cblas_dscal(w->mb, 1.0 / norm, gj, 1);
        w->s[j] = norm * w->scale;
    }
    fr_order_descending(w->s, w->nb, w->order);
    return FOLKRNN_OK;
}

/* Hand out s, and the vectors: U_B (mb x nb) from g, V_B (nb x nb) from vt;
   for a transposed B, a's U is V_B and a's V is U_B. */
static int svd_emit(struct svd_work *w, int transposed, double *s, folkrnn_matrix **u,
                    folkrnn_matrix **v)
{
    int rc = FOLKRNN_OK;
    for (int j = 0; j < w->nb; j++)
        s[j] = w->s[w->order[j]];
    if (!u && !v)
        return FOLKRNN_OK;
    complete_basis(w->g, w->nb, w->mb, w->zero);
    folkrnn_matrix *ub = fr_mat_new(w->mb, w->nb, "SVD vectors", &rc);
    folkrnn_matrix *vb = ub ? fr_mat_new(w->nb, w->nb, "SVD vectors", &rc) : NULL;
    if (!vb) {
        folkrnn_matrix_free(ub);
        return rc;
    }
    rows_to_columns(ub, w->g, w->mb, w->order);
    rows_to_columns(vb, w->vt, w->nb, w->order);
    folkrnn_matrix **to_u = transposed ? &vb : &ub, **to_v = transposed ? &ub : &vb;
    if (u)
        *u = *to_u, *to_u = NULL;
    if (v)
        *v = *to_v, *to_v = NULL;
    folkrnn_matrix_free(ub);
    folkrnn_matrix_free(vb);
    return FOLKRNN_OK;
}

int folkrnn_svd(const folkrnn_matrix *a, double *s, folkrnn_matrix **u, folkrnn_matrix **v)
{
    int rc = fr_mat_input(a, "folkrnn_svd a");
    if (rc)
        return rc;
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_svd: NULL s");
    if (u)
        *u = NULL;
    if (v)
        *v = NULL;
    int transposed = a->rows < a->cols;
    struct svd_work w = {0};
    w.mb = transposed ? a->cols : a->rows;
    w.nb = transposed ? a->rows : a->cols;
    /* the rotations give V_B, needed for a's V, or for a's U when transposed */
    int want_vt = transposed ? u != NULL : v != NULL;
    if (!(rc = svd_work_alloc(&w, want_vt || u || v))) {
        svd_load(&w, a, transposed);
        if (!(rc = svd_run(&w)))
            rc = svd_emit(&w, transposed, s, u, v);
    }
    svd_work_free(&w);
    return rc;
}

/* The singular values of a alone into a new array of min(m, n). */
static double *singular_values(const folkrnn_matrix *a, int *rc)
{
    if ((*rc = fr_mat_check(a, "matrix")))
        return NULL;
    int k = a->rows < a->cols ? a->rows : a->cols;
    double *s = malloc((size_t)k * sizeof *s);
    if (!s) {
        *rc = fr_oom("singular values", (size_t)k * sizeof *s);
        return NULL;
    }
    if ((*rc = folkrnn_svd(a, s, NULL, NULL))) {
        free(s);
        return NULL;
    }
    return s;
}

int folkrnn_rank(const folkrnn_matrix *a, double tol, int *rank)
{
    int rc;
    if (!rank)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_rank: NULL rank");
    double *s = singular_values(a, &rc);
    if (!s)
        return rc;
    int k = a->rows < a->cols ? a->rows : a->cols;
    int big = a->rows > a->cols ? a->rows : a->cols;
    if (tol < 0.0)
        tol = big * DBL_EPSILON * s[0];
    *rank = 0;
    while (*rank < k && s[*rank] > tol)
        ++*rank;
    free(s);
    return FOLKRNN_OK;
}

int folkrnn_cond(const folkrnn_matrix *a, double *cond)
{
    int rc;
    if (!cond)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_cond: NULL cond");
    double *s = singular_values(a, &rc);
    if (!s)
        return rc;
    int k = a->rows < a->cols ? a->rows : a->cols;
    *cond = s[k - 1] > 0.0 ? s[0] / s[k - 1] : INFINITY;
    free(s);
    return FOLKRNN_OK;
}

/* ---- symmetric eigendecomposition ---------------------------------------- */

/* Cyclic Jacobi on the symmetric n x n matrix s (full storage, overwritten):
   rotate away each off-diagonal pair larger than eps relative to its
   diagonal entries.  v (n x n, may be NULL) accumulates the rotations
   (eigenvectors as columns). */
static int jacobi_eig(double *s, int n, double *v)
{
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
        int rotated = 0;
        for (int p = 0; p < n - 1; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = s[(size_t)p * n + q];
                double app = s[(size_t)p * n + p], aqq = s[(size_t)q * n + q];
                if (fabs(apq) <= DBL_EPSILON * sqrt(fabs(app)) * sqrt(fabs(aqq)) ||
                    fabs(apq) < DBL_MIN)
                    continue;
                double theta = (aqq - app) / (2.0 * apq);
                double t = copysign(1.0, theta) / (fabs(theta) + sqrt(1.0 + theta * theta));
                double c = 1.0 / sqrt(1.0 + t * t), sn = c * t;
                /* columns p, q then rows p, q: s <- R^T s R */
                cblas_drot(n, s + p, n, s + q, n, c, -sn);
                cblas_drot(n, s + (size_t)p * n, 1, s + (size_t)q * n, 1, c, -sn);
                s[(size_t)p * n + q] = s[(size_t)q * n + p] = 0.0;
                if (v)
                    cblas_drot(n, v + p, n, v + q, n, c, -sn);
                rotated = 1;
            }
        if (!rotated)
            return FOLKRNN_OK;
    }
    return fr_error(FOLKRNN_E_NUMERIC, "folkrnn_eig_sym: Jacobi did not converge in %d sweeps",
                    MAX_SWEEPS);
}

int folkrnn_eig_sym(const folkrnn_matrix *a, double *w, folkrnn_matrix **v)
{
    int rc = fr_mat_check(a, "folkrnn_eig_sym a");
    if (rc)
        return rc;
    if (!w)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_eig_sym: NULL w");
    if (v)
        *v = NULL;
    if (a->rows != a->cols)
        return fr_error(FOLKRNN_E_SHAPE, "folkrnn_eig_sym: a is %d x %d, not square", a->rows,
                        a->cols);
    int n = a->rows;
    folkrnn_matrix *s = fr_mat_new(n, n, "folkrnn_eig_sym work", &rc); /* n x n */
    folkrnn_matrix *vec = s && v ? fr_mat_new(n, n, "folkrnn_eig_sym vectors", &rc) : NULL;
    int *order = malloc((size_t)n * sizeof *order);
    double *diag = calloc((size_t)n, sizeof *diag);
    if (!order || !diag)
        rc = fr_oom("folkrnn_eig_sym order", (size_t)n * (sizeof *order + sizeof *diag));
    if (!rc && s && (vec || !v)) {
        for (int r = 0; r < n; r++)
            for (int c = r; c < n; c++)
                FR_AT(s, r, c) = FR_AT(s, c, r) = FR_AT(a, r, c); /* upper triangle only */
        rc = fr_mat_finite(s, "folkrnn_eig_sym a");
        for (int i = 0; vec && i < n; i++)
            FR_AT(vec, i, i) = 1.0;
        if (!rc && !(rc = jacobi_eig(s->data, n, vec ? vec->data : NULL))) {
            for (int i = 0; i < n; i++)
                diag[i] = FR_AT(s, i, i);
            fr_order_descending(diag, n, order);
            for (int i = 0; i < n; i++)
                w[i] = diag[order[i]];
            if (v) {
                /* reorder columns: s is free now, reuse it */
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < n; c++)
                        FR_AT(s, r, c) = FR_AT(vec, r, order[c]);
                *v = s;
                s = NULL;
            }
        }
    }
    folkrnn_matrix_free(s);
    folkrnn_matrix_free(vec);
    free(order);
    free(diag);
    return rc;
}

/* ---- PCA and projections ------------------------------------------------- */

int folkrnn_pca(const folkrnn_matrix *x, int ncomp, folkrnn_matrix **components, double *variance,
                double *ratio, double *mean)
{
    int rc = fr_mat_input(x, "folkrnn_pca x");
    if (rc)
        return rc;
    if (!components)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_pca: NULL components");
    *components = NULL;
    int k = x->rows < x->cols ? x->rows : x->cols;
    if (ncomp < 1 || ncomp > k)
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_pca: ncomp %d outside [1, %d] for %d x %d", ncomp,
                        k, x->rows, x->cols);
    folkrnn_matrix *xc = NULL, *v = NULL; /* steps x units; units x k */
    double *mu = malloc((size_t)x->cols * sizeof *mu);
    double *s = malloc((size_t)k * sizeof *s);
    if (!mu || !s)
        rc = fr_oom("folkrnn_pca", ((size_t)x->cols + k) * sizeof(double));
    if (!rc && !(rc = folkrnn_matrix_copy(x, &xc))) {
        folkrnn_column_means(xc, mu);
        centre_columns(xc, mu);
        rc = folkrnn_svd(xc, s, NULL, &v);
    }
    if (!rc) {
        double total = 0.0, dof = x->rows > 1 ? x->rows - 1 : 1;
        for (int j = 0; j < k; j++)
            total += s[j] * s[j];
        for (int j = 0; j < ncomp; j++) {
            if (variance)
                variance[j] = s[j] * s[j] / dof;
            if (ratio)
                ratio[j] = total > 0.0 ? s[j] * s[j] / total : 0.0;
        }
        if (mean)
            memcpy(mean, mu, (size_t)x->cols * sizeof *mu);
        folkrnn_matrix *lead = NULL; /* units x ncomp view of v */
        if (!(rc = folkrnn_matrix_block(v, 0, 0, v->rows, ncomp, &lead)))
            rc = folkrnn_matrix_copy(lead, components);
        folkrnn_matrix_free(lead);
    }
    folkrnn_matrix_free(v);
    folkrnn_matrix_free(xc);
    free(mu);
    free(s);
    return rc;
}

int folkrnn_project(const folkrnn_matrix *x, const double *mean, const folkrnn_matrix *dirs,
                    folkrnn_matrix **out)
{
    int rc = fr_mat_input(x, "folkrnn_project x");
    if (rc || (rc = fr_mat_input(dirs, "folkrnn_project dirs")))
        return rc;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_project: NULL out");
    *out = NULL;
    if (x->cols != dirs->rows)
        return fr_error(FOLKRNN_E_SHAPE,
                        "folkrnn_project: x is %d x %d but dirs %d x %d (needs %d rows)", x->rows,
                        x->cols, dirs->rows, dirs->cols, x->cols);
    if (mean && (rc = fr_vec_finite(mean, x->cols, "folkrnn_project mean")))
        return rc;
    folkrnn_matrix *xc = NULL; /* steps x n */
    if ((rc = folkrnn_matrix_copy(x, &xc)))
        return rc;
    if (mean)
        centre_columns(xc, mean);
    folkrnn_matrix *p = fr_mat_new(x->rows, dirs->cols, "folkrnn_project", &rc); /* steps x k */
    if (p) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, x->rows, dirs->cols, x->cols, 1.0,
                    xc->data, xc->ld, dirs->data, dirs->ld, 0.0, p->data, p->ld);
        *out = p;
    }
    folkrnn_matrix_free(xc);
    return rc;
}
