/* svd.c -- the singular value decomposition of the softmax weights V
   (Sturm, part 3).

   V = U diag(s) W^T.  A unit-length change of the last hidden state along
   the right singular vector W[:, k] moves the logits by s[k] U[:, k]: the
   left singular vectors are the directions the last layer can push the
   posterior in, and the singular values say how hard.  In folk-rnn v2 the
   first singular value is an order of magnitude above the rest and its
   left vector raises "|:" and "</s>"; the second is spiky on meter and mode
   tokens, the third on a broken-rhythm token.

   usage: svd [MODEL [OUTDIR]]
   writes: svd_values.svg, svd_left.png, svd_right_hist.svg */
#include "common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define NVEC 4   /* singular vectors pictured and interpreted */
#define NTOP 4   /* tokens named at each end of a vector */
#define NBINS 41 /* histogram bins of the right vectors' entries */

/* Print the NTOP tokens with the largest score[vocab], largest first,
   with their entries shown[]. */
static void print_top(const folkrnn_model *m, const double *score, const double *shown, int vocab,
                      const char *what)
{
    int top[NTOP]; /* ascending ids: sort them by score for reading */
    ex_check(folkrnn_choose_top(score, vocab, NTOP, top), "top tokens");
    for (int i = 1; i < NTOP; i++)
        for (int j = i; j > 0 && score[top[j]] > score[top[j - 1]]; j--) {
            int t = top[j];
            top[j] = top[j - 1], top[j - 1] = t;
        }
    printf("  %s:", what);
    for (int i = 0; i < NTOP; i++)
        printf(" %s (%+.3f)", folkrnn_model_token(m, top[i]), shown[top[i]]);
    printf("\n");
}

/* Name the tokens at both ends of left singular vector k (a column of u).
   The sign of a singular pair is arbitrary: it is chosen here so that the
   entry of largest magnitude is positive, i.e. "raises" is the strong end. */
static void interpret(const folkrnn_model *m, const folkrnn_matrix *u, int k, double s)
{
    int vocab = u->rows;
    double *col = malloc((size_t)vocab * sizeof *col), *neg = malloc((size_t)vocab * sizeof *neg);
    ex_check(col && neg ? 0 : FOLKRNN_E_NOMEM, "interpret");
    double big = 0;
    for (int i = 0; i < vocab; i++) {
        col[i] = u->data[(size_t)i * u->ld + k];
        big = fabs(col[i]) > fabs(big) ? col[i] : big;
    }
    for (int i = 0; i < vocab; i++) {
        col[i] = big < 0 ? -col[i] : col[i];
        neg[i] = -col[i];
    }
    printf("singular value %d = %.4g; its left vector\n", k + 1, s);
    print_top(m, col, col, vocab, "raises");
    print_top(m, neg, col, vocab, "lowers");
    free(col);
    free(neg);
}

int main(int argc, char **argv)
{
    folkrnn_model *m = ex_start(argc, argv);
    folkrnn_matrix *w, *V, *u, *right;
    ex_check(folkrnn_matrix_from_param(m, 0, FOLKRNN_P_DENSE_W, &w), "dense W"); /* units x vocab */
    ex_check(folkrnn_matrix_transpose(w, &V), "V");                              /* vocab x units */
    int k = V->rows < V->cols ? V->rows : V->cols;
    double *s = malloc((size_t)k * sizeof *s);
    ex_check(s ? 0 : FOLKRNN_E_NOMEM, "s");
    /* s[k] descending; u: vocab x k (left), right: units x k */
    ex_check(folkrnn_svd(V, s, &u, &right), "SVD of V");

    double cond;
    int rank;
    ex_check(folkrnn_rank(V, -1, &rank), "rank");
    ex_check(folkrnn_cond(V, &cond), "condition number");
    printf("V is %d x %d, rank %d, condition number %.4g\n", V->rows, V->cols, rank, cond);
    printf("singular values: %.4g %.4g %.4g %.4g ... %.4g; s1/s2 = %.3g\n", s[0], s[1], s[2], s[3],
           s[k - 1], s[0] / s[1]);
    for (int j = 0; j < NVEC && j < k; j++)
        interpret(m, u, j, s[j]);

    folkrnn_series sv = {"singular values of V", k, NULL, s};
    ex_plot("svd_values.svg", &sv, 1, "Singular values of the softmax weights V", "index",
            "singular value", 0, 1);

    /* The first NVEC left vectors as a token x vector picture. */
    int *order = ex_token_order(m);
    const char **labels = ex_token_labels(m, order);
    folkrnn_matrix *first, *first_sorted;
    ex_check(folkrnn_matrix_block(u, 0, 0, u->rows, NVEC < k ? NVEC : k, &first), "block");
    first_sorted = ex_reorder(first, order, 0);
    static const char *const vector_names[NVEC] = {"1", "2", "3", "4"};
    folkrnn_heatmap_opts o; /* ex_heatmap's options, plus column labels and wide cells */
    folkrnn_heatmap_opts_init(&o);
    o.title = "Left singular vectors of V";
    o.xlabel = "singular vector";
    o.ylabel = "token";
    o.row_labels = labels;
    o.col_labels = vector_names;
    o.cell_w = 60;
    o.colormap = FOLKRNN_CMAP_DIVERGING;
    ex_check(folkrnn_png_heatmap(ex_path("svd_left.png"), first_sorted, &o), "svd_left.png");
    printf("wrote %s\n", ex_path("svd_left.png"));

    /* Histograms of the entries of the first right vectors: which units a
       direction uses (a spread-out histogram: many units; spikes: few). */
    folkrnn_series hist[NVEC];
    static char names[NVEC][32];
    double centres[NBINS], counts[NVEC][NBINS];
    double lim = 4.0 / sqrt(right->rows); /* +-4 standard deviations of a random unit vector */
    for (int b = 0; b < NBINS; b++)
        centres[b] = -lim + (b + 0.5) * 2 * lim / NBINS;
    for (int j = 0; j < NVEC && j < k; j++) {
        folkrnn_matrix *col;
        long c[NBINS], outside;
        ex_check(folkrnn_matrix_block(right, 0, j, right->rows, 1, &col), "block");
        ex_check(folkrnn_histogram(col, -lim, lim, NBINS, c, &outside), "histogram");
        for (int b = 0; b < NBINS; b++)
            counts[j][b] = (double)c[b];
        snprintf(names[j], sizeof names[j], "right vector %d (%ld outside)", j + 1, outside);
        hist[j] = (folkrnn_series){names[j], NBINS, centres, counts[j]};
        folkrnn_matrix_free(col);
    }
    ex_plot("svd_right_hist.svg", hist, NVEC < k ? NVEC : k,
            "Entries of the right singular vectors of V (weights on the units)", "entry",
            "number of units", 0, 0);

    free(s);
    free(order);
    free(labels);
    folkrnn_matrix *all[] = {w, V, u, right, first, first_sorted};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        folkrnn_matrix_free(all[i]);
    folkrnn_model_free(m);
    return 0;
}
