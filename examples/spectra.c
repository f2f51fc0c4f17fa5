/* spectra.c -- hidden activations over time and their periodicities
   (Sturm, parts 6 and 7).

   The hidden units of folk-rnn v2 are sparse (mostly near 0), more
   saturated the deeper the layer, and strongly periodic: their power
   spectra peak near 9 steps (a bar of 6/8 or 9/8 tunes in folk-rnn's
   tokens) and its harmonics, and about 20% of the last layer's units keep
   at least 5% of their power within half a step of period 9.  Those units
   are the ones snip.c cuts.

   This example records the hidden states of every layer while the model
   writes a tune and pictures the last layer's (unit x step), then sums the
   spectra of each layer over N tunes and finds each layer's period-9 units.

   usage: spectra [MODEL [OUTDIR [N]]]     (N tunes, default 10)
   writes: spectra_hidden.png, spectra_units.png, spectra.svg */
#include "common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define GRID 256 /* every tune's spectrum is put on the bins of 256 steps */
#define NBINS (GRID / 2 + 1)
#define PERIOD 9.0 /* steps */
#define TOL 0.5    /* half width of the band around PERIOD */
#define THRESHOLD 0.05
#define SEED 1

static int *units_by_share; /* qsort helper: sort unit ids by share, descending */
static const double *sort_share;
static int by_share_desc(const void *a, const void *b)
{
    double x = sort_share[*(const int *)a], y = sort_share[*(const int *)b];
    return (x < y) - (x > y);
}

/* Sparsity (share of |h| <= 0.1) and saturation (share of |h| >= 0.9) of a
   recording h (steps x units), averaged over units. */
static void sparsity(int layer, const folkrnn_matrix *h)
{
    double *inside = malloc((size_t)h->cols * sizeof *inside), sparse = 0, saturated = 0;
    ex_check(inside ? folkrnn_column_fraction(h, -0.1, 0.1, inside) : FOLKRNN_E_NOMEM, "sparsity");
    for (int u = 0; u < h->cols; u++)
        sparse += inside[u] / h->cols;
    ex_check(folkrnn_column_fraction(h, -0.9, 0.9, inside), "saturation");
    for (int u = 0; u < h->cols; u++)
        saturated += (1 - inside[u]) / h->cols;
    printf("layer %d: %.0f%% of activations within 0.1 of 0, %.1f%% beyond +-0.9\n", layer,
           100 * sparse, 100 * saturated);
    free(inside);
}

/* Row labels for units in the given order: their numbers as text.
   labels[n] malloc'ed (caller frees), the texts in static storage. */
static const char **unit_names(const int *order, int n)
{
    static char text[4096][8];
    const char **labels = malloc((size_t)n * sizeof *labels);
    ex_check(labels && n <= 4096 ? 0 : FOLKRNN_E_NOMEM, "unit names");
    for (int i = 0; i < n; i++) {
        snprintf(text[i], sizeof text[i], "%d", order[i]);
        labels[i] = text[i];
    }
    return labels;
}

/* Record one tune (tune 0 of the spectra's seed) at every layer's hidden
   state; picture the last layer with its units ordered by share. */
static void one_tune(const folkrnn_model *m)
{
    int layers = folkrnn_model_num_layers(m), last = layers - 1;
    folkrnn_sampler *s;
    folkrnn_recorder *rec;
    folkrnn_tunes *t;
    ex_check(folkrnn_sampler_new(m, &s), "sampler");
    ex_check(folkrnn_sampler_set_seed(s, SEED), "seed");
    ex_check(folkrnn_recorder_new(folkrnn_sampler_state(s), 0, &rec), "recorder");
    ex_check(folkrnn_recorder_add(rec, FOLKRNN_HOOK_HIDDEN, -1), "record");
    ex_check(folkrnn_sample(s, 1, &t), "sample");
    int len, nbars = 0;
    const int *tune = folkrnn_tunes_tokens(t, 0, &len);
    int *bars = malloc((size_t)len * sizeof *bars); /* steps that fed a bar token */
    for (int k = 0; bars && k < len; k++)
        if (folkrnn_model_token_class(m, tune[k]) == FOLKRNN_TOKEN_BAR)
            bars[nbars++] = k + 1; /* tune[k] is fed at step k + 1, after <s> */
    for (int l = 0; l < layers; l++) {
        folkrnn_matrix *h;
        ex_check(folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_HIDDEN, l, 0, &h), "hidden");
        sparsity(l, h); /* steps x units */
        if (l == last) {
            folkrnn_matrix *ht, *sorted;
            ex_check(folkrnn_matrix_transpose(h, &ht), "transpose"); /* units x steps */
            sorted = ex_reorder(ht, units_by_share, 0);
            const char **names = unit_names(units_by_share, ht->rows);
            ex_heatmap("spectra_hidden.png", sorted,
                       "Last layer's hidden state while writing a tune",
                       "step (lines: bar tokens fed)", "unit (most power near period 9 first)",
                       names, bars, nbars, FOLKRNN_CMAP_DIVERGING);
            free(names);
            folkrnn_matrix_free(ht);
            folkrnn_matrix_free(sorted);
        }
        folkrnn_matrix_free(h);
    }
    free(bars);
    folkrnn_tunes_free(t);
    folkrnn_recorder_free(rec);
    folkrnn_sampler_free(s);
}

/* The last layer's spectra, one row per unit ordered by share, each row
   divided by its total power above DC: where each unit's power lies. */
static void picture_units(const folkrnn_matrix *power)
{
    static char period_text[NBINS][16];
    static const char *period_labels[NBINS - 1];
    folkrnn_matrix *rows;
    ex_check(folkrnn_matrix_new(power->rows, NBINS - 1, &rows), "unit spectra");
    for (int k = 1; k < NBINS; k++) {
        snprintf(period_text[k], sizeof period_text[k], "%.3g", (double)GRID / k);
        period_labels[k - 1] = period_text[k];
    }
    for (int i = 0; i < power->rows; i++) {
        const double *p = power->data + (size_t)units_by_share[i] * power->ld;
        double total = 0;
        for (int k = 1; k < NBINS; k++)
            total += p[k];
        for (int k = 1; k < NBINS; k++)
            rows->data[(size_t)i * rows->ld + k - 1] = total > 0 ? p[k] / total : 0;
    }
    folkrnn_heatmap_opts o;
    folkrnn_heatmap_opts_init(&o);
    o.title = "Where each last-layer unit's power lies";
    o.xlabel = "period (steps)";
    o.ylabel = "unit (most power near period 9 first)";
    o.col_labels = period_labels;
    o.row_labels = unit_names(units_by_share, power->rows);
    o.colormap = FOLKRNN_CMAP_SEQUENTIAL;
    o.vmax = 0.1; /* shares above 10% of a unit's power saturate */
    ex_check(folkrnn_png_heatmap(ex_path("spectra_units.png"), rows, &o), "spectra_units.png");
    printf("wrote %s\n", ex_path("spectra_units.png"));
    free((void *)o.row_labels);
    folkrnn_matrix_free(rows);
}

int main(int argc, char **argv)
{
    folkrnn_model *m = ex_start(argc, argv);
    int ntunes = ex_count_arg(argc, argv, 10), layers = folkrnn_model_num_layers(m);
    folkrnn_series *series = calloc((size_t)layers, sizeof *series);
    double *periods = malloc((NBINS - 1) * sizeof *periods), *means[16];
    static char names[16][32];
    ex_check(series && periods && layers <= 16 ? 0 : FOLKRNN_E_NOMEM, "setup");
    for (int k = 1; k < NBINS; k++)
        periods[k - 1] = (double)GRID / k;

    for (int l = 0; l < layers; l++) {
        int units = folkrnn_model_hidden_size(m, l), selected, found;
        /* power: units x NBINS, summed over the tunes */
        folkrnn_matrix *power = ex_layer_spectra(m, l, ntunes, SEED, GRID);
        double *share = malloc((size_t)units * sizeof *share), peaks[6];
        int *chosen = malloc((size_t)units * sizeof *chosen);
        means[l] = malloc(NBINS * sizeof(double));
        ex_check(share && chosen && means[l] ? 0 : FOLKRNN_E_NOMEM, "layer");
        ex_check(folkrnn_band_share(power, GRID, PERIOD, TOL, share), "band share");
        ex_check(folkrnn_select_units(share, units, THRESHOLD, chosen, &selected), "select");
        ex_check(folkrnn_column_means(power, means[l]), "mean spectrum");
        ex_check(folkrnn_dominant_periods(means[l], GRID, 6, peaks, NULL, &found), "peaks");
        printf("layer %d: %d of %d units (%.0f%%) have >= %.0f%% of their power at period "
               "%g +- %g\n",
               l, selected, units, 100.0 * selected / units, 100 * THRESHOLD, PERIOD, TOL);
        printf("layer %d: strongest periods of the mean spectrum:", l);
        for (int i = 0; i < found; i++)
            printf(" %.2f", peaks[i]);
        printf("\n");
        snprintf(names[l], sizeof names[l], "layer %d", l);
        series[l] = (folkrnn_series){names[l], NBINS - 1, periods, means[l] + 1};
        if (l == layers - 1) {
            units_by_share = malloc((size_t)units * sizeof *units_by_share);
            ex_check(units_by_share ? 0 : FOLKRNN_E_NOMEM, "order");
            for (int u = 0; u < units; u++)
                units_by_share[u] = u;
            sort_share = share;
            qsort(units_by_share, (size_t)units, sizeof *units_by_share, by_share_desc);
            picture_units(power);
            one_tune(m);
        }
        free(share);
        free(chosen);
        folkrnn_matrix_free(power);
    }
    ex_plot("spectra.svg", series, layers, "Mean power spectrum of the hidden units",
            "period (steps)", "power (sum over tunes)", 1, 1);

    for (int l = 0; l < layers; l++)
        free(means[l]);
    free(series);
    free(periods);
    free(units_by_share);
    folkrnn_model_free(m);
    return 0;
}
