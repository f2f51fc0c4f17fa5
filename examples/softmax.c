/* softmax.c -- the softmax layer read token by token (Sturm, part 2).

   p = softmax(V h + v): V (tokens x units) is the transpose of the dense
   weights, v the bias.  Column u of V is what unit u of the last layer adds
   to every token's logit.  This example pictures V with its tokens in
   reading order, correlates its columns with each other and with v, and
   tabulates Sturm's rule for what a logit change does to a probability.

   usage: softmax [MODEL [OUTDIR]]
   writes: softmax_V.png, softmax_corr.png, softmax_corr_bias.svg */
#include "common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Sort helper: ascending. */
static int ascending(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The most negative and most positive correlation between two different
   columns (Sturm saw near-copies of columns with the sign flipped). */
static void extreme_pairs(const folkrnn_matrix *corr)
{
    double lo = 2, hi = -2;
    int lo_i = 0, lo_j = 0, hi_i = 0, hi_j = 0, strong = 0, pairs = 0;
    for (int i = 0; i < corr->rows; i++)
        for (int j = i + 1; j < corr->cols; j++) {
            double r = corr->data[(size_t)i * corr->ld + j];
            if (isnan(r))
                continue;
            pairs++;
            strong += fabs(r) > 0.5;
            if (r < lo)
                lo = r, lo_i = i, lo_j = j;
            if (r > hi)
                hi = r, hi_i = i, hi_j = j;
        }
    printf("columns of V: most negative pair r(%d, %d) = %.3f, most positive r(%d, %d) = %.3f\n",
           lo_i, lo_j, lo, hi_i, hi_j, hi);
    printf("columns of V: %d of %d pairs have |r| > 0.5\n", strong, pairs);
}

int main(int argc, char **argv)
{
    folkrnn_model *m = ex_start(argc, argv);
    int *order = ex_token_order(m);
    const char **labels = ex_token_labels(m, order);
    folkrnn_matrix *w, *b, *V, *Vsorted, *corr;

    ex_check(folkrnn_matrix_from_param(m, 0, FOLKRNN_P_DENSE_W, &w), "dense W"); /* units x vocab */
    ex_check(folkrnn_matrix_from_param(m, 0, FOLKRNN_P_DENSE_B, &b), "dense b"); /* 1 x vocab */
    ex_check(folkrnn_matrix_transpose(w, &V), "V");                              /* vocab x units */
    int units = V->cols;

    Vsorted = ex_reorder(V, order, 0);
    ex_heatmap("softmax_V.png", Vsorted, "Softmax weights V: what each unit adds to each logit",
               "unit of the last layer", "token", labels, NULL, 0, FOLKRNN_CMAP_DIVERGING);

    /* Correlations of the columns of V with each other: units x units. */
    ex_check(folkrnn_corr_columns(V, FOLKRNN_CORR_PEARSON, &corr), "correlations");
    ex_heatmap("softmax_corr.png", corr, "Correlation between the columns of V", "unit", "unit",
               NULL, NULL, 0, FOLKRNN_CMAP_DIVERGING);
    extreme_pairs(corr);

    /* ... and with the bias v: corr_bias[units]. */
    double *corr_bias = malloc((size_t)units * sizeof *corr_bias);
    ex_check(corr_bias ? folkrnn_corr_vector(V, b->data, FOLKRNN_CORR_PEARSON, corr_bias)
                       : FOLKRNN_E_NOMEM,
             "correlation with v");
    double max_abs = 0, mean_abs = 0;
    for (int u = 0; u < units; u++) {
        max_abs = fmax(max_abs, fabs(corr_bias[u]));
        mean_abs += fabs(corr_bias[u]) / units;
    }
    printf("correlation of the columns of V with v: max |r| %.3f, mean |r| %.3f "
           "(folk-rnn v2: about 0.8 and 0.4)\n",
           max_abs, mean_abs);
    qsort(corr_bias, (size_t)units, sizeof *corr_bias, ascending);
    folkrnn_series line = {"r(column of V, v)", units, NULL, corr_bias};
    ex_plot("softmax_corr_bias.svg", &line, 1, "Correlation of each column of V with the bias v",
            "units, sorted by r", "Pearson r", 0, 0);

    /* Sturm's rule: a logit change delta takes p to p e^d / (1 - p + p e^d). */
    static const double p[] = {0.01, 0.1, 0.5, 0.9}, delta[] = {-3, -1, 1, 3};
    printf("probability after a logit change:\n    p  ");
    for (int j = 0; j < 4; j++)
        printf("  d=%+g  ", delta[j]);
    printf("\n");
    for (int i = 0; i < 4; i++) {
        printf("%5.2f ", p[i]);
        for (int j = 0; j < 4; j++)
            printf("  %7.4f", folkrnn_prob_after_delta(p[i], delta[j]));
        printf("\n");
    }
    printf("doubling a token's odds takes a logit change of %.4f\n", folkrnn_odds_delta(2.0));

    free(corr_bias);
    free(order);
    free(labels);
    folkrnn_matrix_free(w);
    folkrnn_matrix_free(b);
    folkrnn_matrix_free(V);
    folkrnn_matrix_free(Vsorted);
    folkrnn_matrix_free(corr);
    folkrnn_model_free(m);
    return 0;
}
