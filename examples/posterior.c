/* posterior.c -- the model's posterior at every step of a tune it writes
   (Sturm, part 5).

   A recorder on the sampler's state keeps the softmax output (PROBS) of
   every step while a tune is drawn: row k is the distribution the k-th
   token of the tune was drawn from.  As a token x step picture, folk-rnn v2
   shows bar tokens gaining mass at regular intervals (the model counts),
   broken-rhythm mass decaying once the tune settles, and "echoes" in the
   pitch mass.  The mass per token class and the entropy per step give the
   same as numbers.

   usage: posterior [MODEL [OUTDIR [SEED]]]     (seed default 42)
   writes: posterior.png, posterior_classes.svg, posterior.abc */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>

#define MAX_LEN 300 /* tokens: longer tunes are cut, to keep the picture readable */

static void save_abc(const folkrnn_model *m, const int *tune, int len, int seed)
{
    folkrnn_vocab *v;
    char title[64];
    snprintf(title, sizeof title, "posterior example, seed %d", seed);
    ex_check(folkrnn_vocab_from_model(m, &v), "vocabulary");
    int n = folkrnn_render_abc(v, tune, len, 1, title, NULL, 0);
    ex_check(n, "ABC");
    char *abc = malloc((size_t)n + 1);
    ex_check(abc ? folkrnn_render_abc(v, tune, len, 1, title, abc, (size_t)n + 1) : FOLKRNN_E_NOMEM,
             "ABC");
    FILE *f = fopen(ex_path("posterior.abc"), "w");
    if (!f || fputs(abc, f) < 0 || fclose(f) != 0)
        ex_check(FOLKRNN_E_IO, ex_path("posterior.abc"));
    printf("%swrote %s\n", abc, ex_path("posterior.abc"));
    free(abc);
    folkrnn_vocab_free(v);
}

int main(int argc, char **argv)
{
    folkrnn_model *m = ex_start(argc, argv);
    int seed = ex_count_arg(argc, argv, 42);
    folkrnn_sampler *s;
    folkrnn_recorder *rec;
    folkrnn_tunes *tunes;
    ex_check(folkrnn_sampler_new(m, &s), "sampler");
    ex_check(folkrnn_sampler_set_seed(s, (unsigned long long)seed), "seed");
    ex_check(folkrnn_sampler_set_max_len(s, MAX_LEN), "max_len");
    ex_check(folkrnn_recorder_new(folkrnn_sampler_state(s), 0, &rec), "recorder");
    ex_check(folkrnn_recorder_add(rec, FOLKRNN_HOOK_PROBS, -1), "record probs");
    ex_check(folkrnn_sample(s, 1, &tunes), "sample");

    int len;
    const int *tune = folkrnn_tunes_tokens(tunes, 0, &len);
    save_abc(m, tune, len, seed);

    /* probs: steps x vocab; one row per token fed (<s> and the tune). Row k
       predicts tune[k], the last row </s> when the tune ended. */
    folkrnn_matrix *probs, *all, *ordered, *mass;
    ex_check(folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_PROBS, -1, 0, &all), "probs");
    int steps = all->rows < len + 1 ? all->rows : len + 1;
    ex_check(folkrnn_matrix_block(all, 0, 0, steps, all->cols, &probs), "rows");

    /* The picture: tokens (in reading order) down, steps across, a line
       before every step where a bar token was drawn. */
    int *order = ex_token_order(m), *bars = malloc((size_t)steps * sizeof *bars), nbars = 0;
    const char **labels = ex_token_labels(m, order);
    for (int k = 0; bars && k < steps && k < len; k++)
        if (folkrnn_model_token_class(m, tune[k]) == FOLKRNN_TOKEN_BAR)
            bars[nbars++] = k;
    folkrnn_matrix *transposed;
    ex_check(folkrnn_matrix_transpose(probs, &transposed), "transpose"); /* vocab x steps */
    ordered = ex_reorder(transposed, order, 0);
    ex_heatmap("posterior.png", ordered, "Posterior over the tokens while the model writes a tune",
               "step (lines: a bar token was drawn)", "token", labels, bars, nbars,
               FOLKRNN_CMAP_SEQUENTIAL);

    /* Mass per token class at each step: steps x FOLKRNN_TOKEN_NCLASSES. */
    ex_check(folkrnn_class_mass(m, probs, &mass), "class mass");
    static const int shown[] = {FOLKRNN_TOKEN_BAR, FOLKRNN_TOKEN_END, FOLKRNN_TOKEN_BROKEN,
                                FOLKRNN_TOKEN_DURATION};
    enum { NSHOWN = sizeof shown / sizeof *shown };
    double *column[NSHOWN];
    folkrnn_series series[NSHOWN];
    for (int c = 0; c < NSHOWN; c++) {
        column[c] = malloc((size_t)steps * sizeof(double));
        ex_check(column[c] ? 0 : FOLKRNN_E_NOMEM, "mass");
        for (int k = 0; k < steps; k++)
            column[c][k] = mass->data[(size_t)k * mass->ld + shown[c]];
        series[c] = (folkrnn_series){folkrnn_token_class_name(shown[c]), steps, NULL, column[c]};
    }
    ex_plot("posterior_classes.svg", series, NSHOWN, "Posterior mass of some token classes", "step",
            "probability mass", 0, 0);

    /* Numbers: bar mass where bars were drawn versus elsewhere, bar spacing,
       entropy. */
    double on = 0, off = 0, entropy = 0;
    double *bits = malloc((size_t)steps * sizeof *bits);
    ex_check(bits ? folkrnn_entropy(probs, bits) : FOLKRNN_E_NOMEM, "entropy");
    for (int k = 0, b = 0; k < steps; k++) {
        int is_bar = b < nbars && bars[b] == k;
        b += is_bar;
        *(is_bar ? &on : &off) += column[0][k];
        entropy += bits[k] / steps;
    }
    printf("tune of %d tokens (%s), %d bar tokens\n", len,
           folkrnn_tunes_ended(tunes, 0) ? "ended" : "cut", nbars);
    if (nbars > 1)
        printf("mean distance between bar tokens: %.2f steps\n",
               (double)(bars[nbars - 1] - bars[0]) / (nbars - 1));
    printf("mean bar-token mass: %.3f where a bar was drawn, %.3f elsewhere\n",
           nbars ? on / nbars : 0.0, steps > nbars ? off / (steps - nbars) : 0.0);
    printf("mean entropy of the posterior: %.2f bits\n", entropy);

    for (int c = 0; c < NSHOWN; c++)
        free(column[c]);
    free(bits);
    free(bars);
    free(order);
    free(labels);
    folkrnn_matrix *mats[] = {probs, all, transposed, ordered, mass};
    for (size_t i = 0; i < sizeof mats / sizeof *mats; i++)
        folkrnn_matrix_free(mats[i]);
    folkrnn_recorder_free(rec);
    folkrnn_tunes_free(tunes);
    folkrnn_sampler_free(s);
    folkrnn_model_free(m);
    return 0;
}
