/* an_stats.c -- statistics over the steps of recordings: class mass,
   entropy, one-hot rows, distances between steps, histograms, fractions in
   a range, largest magnitudes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "an_internal.h"

int folkrnn_class_mass(const folkrnn_model *m, const folkrnn_matrix *probs, folkrnn_matrix **out)
{
    int rc = fr_mat_input(probs, "folkrnn_class_mass probs");
    if (rc)
        return rc;
    if (!m || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_class_mass: NULL %s", m ? "out" : "model");
    *out = NULL;
    int vocab = folkrnn_model_vocab_size(m);
    if (probs->cols != vocab)
        return fr_error(FOLKRNN_E_SHAPE,
                        "folkrnn_class_mass: probs is %d x %d, the model has %d "
                        "tokens",
                        probs->rows, probs->cols, vocab);
    folkrnn_matrix *mass =
        fr_mat_new(probs->rows, FOLKRNN_TOKEN_NCLASSES, "folkrnn_class_mass", &rc);
    if (!mass)
        return rc;
    for (int k = 0; k < vocab; k++) {
        int cls = folkrnn_model_token_class(m, k);
        for (int t = 0; t < probs->rows; t++)
            FR_AT(mass, t, cls) += FR_AT(probs, t, k);
    }
    *out = mass;
    return FOLKRNN_OK;
}

int folkrnn_entropy(const folkrnn_matrix *probs, double *bits)
{
    int rc = fr_mat_input(probs, "folkrnn_entropy probs");
    if (rc)
        return rc;
    if (!bits)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_entropy: NULL bits");
    for (int t = 0; t < probs->rows; t++) {
        double sum = 0.0, h = 0.0;
        for (int k = 0; k < probs->cols; k++) {
            double p = FR_AT(probs, t, k);
            if (p < 0.0)
                return fr_error(FOLKRNN_E_NUMERIC, "folkrnn_entropy: probs[%d, %d] = %g < 0", t, k,
                                p);
            sum += p;
        }
        if (sum <= 0.0)
            return fr_error(FOLKRNN_E_NUMERIC, "folkrnn_entropy: row %d sums to 0", t);
        for (int k = 0; k < probs->cols; k++) {
            double p = FR_AT(probs, t, k) / sum;
            if (p > 0.0)
                h -= p * log2(p);
        }
        bits[t] = h;
    }
    return FOLKRNN_OK;
}

int folkrnn_onehot(const int *tokens, int n, int vocab, folkrnn_matrix **out)
{
    if (!tokens || !out || n < 1 || vocab < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_onehot: %s (n %d, vocab %d)",
                        !tokens || !out ? "NULL argument" : "counts < 1", n, vocab);
    *out = NULL;
    for (int t = 0; t < n; t++)
        if (tokens[t] < 0 || tokens[t] >= vocab)
            return fr_error(FOLKRNN_E_RANGE, "folkrnn_onehot: tokens[%d] = %d outside [0, %d)", t,
                            tokens[t], vocab);
    int rc;
    folkrnn_matrix *x = fr_mat_new(n, vocab, "folkrnn_onehot", &rc); /* n x vocab */
    if (!x)
        return rc;
    for (int t = 0; t < n; t++)
        FR_AT(x, t, tokens[t]) = 1.0;
    *out = x;
    return FOLKRNN_OK;
}

/* ||row a - row b|| of x. */
static double row_distance(const folkrnn_matrix *x, int a, int b)
{
    double sum = 0.0;
    for (int c = 0; c < x->cols; c++) {
        double d = FR_AT(x, a, c) - FR_AT(x, b, c);
        sum += d * d;
    }
    return sqrt(sum);
}

int folkrnn_row_distances(const folkrnn_matrix *x, folkrnn_matrix **out)
{
    int rc = fr_mat_input(x, "folkrnn_row_distances x");
    if (rc)
        return rc;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_row_distances: NULL out");
    folkrnn_matrix *d = fr_mat_new(x->rows, x->rows, "folkrnn_row_distances", &rc);
    if (!(*out = d))
        return rc;
    for (int a = 0; a < x->rows; a++)
        for (int b = a + 1; b < x->rows; b++)
            FR_AT(d, a, b) = FR_AT(d, b, a) = row_distance(x, a, b);
    return FOLKRNN_OK;
}

int folkrnn_lag_distances(const folkrnn_matrix *x, int maxlag, double *mean)
{
    int rc = fr_mat_input(x, "folkrnn_lag_distances x");
    if (rc)
        return rc;
    if (!mean)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_lag_distances: NULL mean");
    if (maxlag < 1 || maxlag >= x->rows)
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_lag_distances: maxlag %d outside [1, %d]", maxlag,
                        x->rows - 1);
    for (int lag = 1; lag <= maxlag; lag++) {
        double sum = 0.0;
        for (int t = 0; t + lag < x->rows; t++)
            sum += row_distance(x, t, t + lag);
        mean[lag - 1] = sum / (x->rows - lag);
    }
    return FOLKRNN_OK;
}

int folkrnn_histogram(const folkrnn_matrix *x, double lo, double hi, int nbins, long *counts,
                      long *outside)
{
    int rc = fr_mat_check(x, "folkrnn_histogram x");
    if (rc)
        return rc;
    if (!counts || nbins < 1 || !(lo < hi) || !isfinite(hi - lo))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_histogram: %s (nbins %d, [%g, %g))",
                        counts ? "bad bins" : "NULL counts", nbins, lo, hi);
    memset(counts, 0, (size_t)nbins * sizeof *counts);
    long out = 0;
    double width = (hi - lo) / nbins;
    for (int r = 0; r < x->rows; r++)
        for (int c = 0; c < x->cols; c++) {
            double v = FR_AT(x, r, c);
            if (!(v >= lo && v <= hi)) { /* also NaN */
                out++;
                continue;
            }
            int bin = (int)((v - lo) / width);
            counts[bin < nbins ? bin : nbins - 1]++;
        }
    if (outside)
        *outside = out;
    return FOLKRNN_OK;
}

int folkrnn_column_fraction(const folkrnn_matrix *x, double lo, double hi, double *fraction)
{
    int rc = fr_mat_check(x, "folkrnn_column_fraction x");
    if (rc)
        return rc;
    if (!fraction || !(lo <= hi))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_column_fraction: %s",
                        fraction ? "lo > hi" : "NULL fraction");
    for (int c = 0; c < x->cols; c++) {
        long inside = 0;
        for (int r = 0; r < x->rows; r++)
            inside += FR_AT(x, r, c) >= lo && FR_AT(x, r, c) <= hi;
        fraction[c] = (double)inside / x->rows;
    }
    return FOLKRNN_OK;
}

int folkrnn_column_max_abs(const folkrnn_matrix *x, double *maxabs, int *order)
{
    int rc = fr_mat_input(x, "folkrnn_column_max_abs x");
    if (rc)
        return rc;
    if (!maxabs)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_column_max_abs: NULL maxabs");
    for (int c = 0; c < x->cols; c++) {
        double big = 0.0;
        for (int r = 0; r < x->rows; r++)
            big = fmax(big, fabs(FR_AT(x, r, c)));
        maxabs[c] = big;
    }
    if (order)
        fr_order_descending(maxabs, x->cols, order);
    return FOLKRNN_OK;
}
