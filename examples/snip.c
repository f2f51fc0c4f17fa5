/* snip.c -- cut the period-9 units, or as many random ones, and see
   whether the model still counts bars (Sturm, parts 6 and 7).

   Sturm cut the connections of the last-layer units with >= 5% of their
   power near period 9 (about 20% of them), then 27% and 33% of the units
   with most power there, and the same numbers of random units.  Cutting 20%
   of the period-9 units left bar counting intact, 27% weakened it, 33%
   broke it; 33% random units did not.  Cutting layer-1 period-9 units kept
   the counting but lost the melodies.

   folkrnn_snip_sweep does the whole experiment: for each rule (units with
   the largest band share, or random) and fraction, it snips a clone of the
   model, draws tunes from it, counts their bars (section 5 of folkrnn.h) and
   scores them under the intact model.  Here it runs on the last layer and
   on the first.

   usage: snip [MODEL [OUTDIR [N]]]     (N tunes per point, default 20)
   writes: snip_bars.svg, snip_loglik.svg */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>

#define GRID 256
#define SPECTRUM_TUNES 10 /* tunes whose spectra rank the units */
#define MAX_LEN 500       /* tokens per tune drawn by the sweep */
#define SEED 7

static const double fractions[] = {0.0, 0.1, 0.2, 0.27, 0.33, 0.5};
enum { NFRAC = sizeof fractions / sizeof *fractions };
static const int rules[] = {FOLKRNN_SWEEP_TOP, FOLKRNN_SWEEP_RANDOM};
enum { NRULES = 2 };

static int limit_length(folkrnn_sampler *s, void *user)
{
    (void)user;
    return folkrnn_sampler_set_max_len(s, MAX_LEN);
}

/* Sweep one layer; results[NRULES * NFRAC] rule by rule. */
static void sweep_layer(const folkrnn_model *m, int layer, int ntunes, folkrnn_sweep_point *results)
{
    int units = folkrnn_model_hidden_size(m, layer), selected = 0;
    folkrnn_matrix *power = ex_layer_spectra(m, layer, SPECTRUM_TUNES, SEED, GRID);
    double *share = malloc((size_t)units * sizeof *share); /* the TOP rule's score */
    ex_check(share ? folkrnn_band_share(power, GRID, 9.0, 0.5, share) : FOLKRNN_E_NOMEM,
             "band share");
    for (int u = 0; u < units; u++)
        selected += share[u] >= 0.05;
    printf("layer %d: %d of %d units (%.0f%%) have >= 5%% of their power at period 9 +- 0.5\n",
           layer, selected, units, 100.0 * selected / units);
    ex_check(folkrnn_snip_sweep(m, layer, FOLKRNN_SNIP_FORWARD | FOLKRNN_SNIP_RECURRENT, share,
                                rules, NRULES, fractions, NFRAC, ntunes, SEED, limit_length, NULL,
                                results),
             "sweep");
    printf("  rule    fraction units  ended   bars  correct  loglik/token\n");
    for (int i = 0; i < NRULES * NFRAC; i++) {
        const folkrnn_sweep_point *p = &results[i];
        printf("  %-7s %8.2f %5d %3d/%-3d %6ld %7.1f%% %13.3f\n",
               p->rule == FOLKRNN_SWEEP_TOP ? "period" : "random", p->fraction, p->nunits,
               p->nended, p->ntunes, p->nbars, p->nbars ? 100.0 * p->ncorrect / p->nbars : 0.0,
               p->ntokens ? p->loglik / p->ntokens : 0.0);
    }
    free(share);
    folkrnn_matrix_free(power);
}

int main(int argc, char **argv)
{
    folkrnn_model *m = ex_start(argc, argv);
    int ntunes = ex_count_arg(argc, argv, 20), last = folkrnn_model_num_layers(m) - 1;
    int layers[2] = {last, 0};
    folkrnn_sweep_point results[2][NRULES * NFRAC];
    double correct[2][NRULES][NFRAC], loglik[2][NRULES][NFRAC];
    folkrnn_series bars[2 * NRULES], likelihood[2 * NRULES];
    static char names[2 * NRULES][48];

    for (int l = 0; l < 2; l++) {
        sweep_layer(m, layers[l], ntunes, results[l]);
        for (int r = 0; r < NRULES; r++) {
            for (int f = 0; f < NFRAC; f++) {
                const folkrnn_sweep_point *p = &results[l][r * NFRAC + f];
                correct[l][r][f] = p->nbars ? (double)p->ncorrect / p->nbars : 0.0;
                loglik[l][r][f] = p->ntokens ? p->loglik / p->ntokens : 0.0;
            }
            int i = l * NRULES + r;
            snprintf(names[i], sizeof names[i], "layer %d, %s units", layers[l],
                     rules[r] == FOLKRNN_SWEEP_TOP ? "period-9" : "random");
            bars[i] = (folkrnn_series){names[i], NFRAC, fractions, correct[l][r]};
            likelihood[i] = (folkrnn_series){names[i], NFRAC, fractions, loglik[l][r]};
        }
    }
    ex_plot("snip_bars.svg", bars, 2 * NRULES, "Bars of the right length after snipping units",
            "fraction of the layer's units snipped", "share of bars correct", 0, 0);
    ex_plot("snip_loglik.svg", likelihood, 2 * NRULES,
            "Likelihood of the snipped model's tunes under the intact model",
            "fraction of the layer's units snipped", "log-likelihood per token (nats)", 0, 0);
    folkrnn_model_free(m);
    return 0;
}
