/* an_sweep.c -- snipping sweeps: for each rule and fraction, snip a clone,
   generate tunes, count their bars and score them under the intact model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "an_internal.h"

/* Streams of the state that scores tunes under the intact model. */
#define JUDGE_STREAMS 8

/* What every point of a sweep shares. */
struct sweep {
    const folkrnn_model *m;
    int layer, what, units; /* units of the layer */
    const double *score;
    int ntunes;
    unsigned long long seed;
    folkrnn_sweep_setup_fn setup;
    void *user;
    folkrnn_vocab *vocab; /* of m, for counting bars */
    folkrnn_state *judge; /* of m, for scoring */
};

/* Bars of every tune, and how many ended. */
static int count_bars(const struct sweep *w, const folkrnn_tunes *t, folkrnn_sweep_point *pt)
{
    for (int k = 0; k < folkrnn_tunes_count(t); k++) {
        int len, nbars, ncorrect;
        const int *ids = folkrnn_tunes_tokens(t, k, &len);
        folkrnn_bars *b;
        int rc = folkrnn_bars_count(w->vocab, ids, len, &b);
        if (rc)
            return rc;
        folkrnn_bars_summary(b, &nbars, &ncorrect, NULL);
        folkrnn_bars_free(b);
        pt->nbars += nbars;
        pt->ncorrect += ncorrect;
        pt->nended += folkrnn_tunes_ended(t, k) == 1;
    }
    return FOLKRNN_OK;
}

/* Score under the intact model the tunes whose ended flag is ended: with
   their </s> when they ended, without when they were cut. */
static int score_tunes(const struct sweep *w, const folkrnn_tunes *t, int ended,
                       folkrnn_sweep_point *pt)
{
    int n = folkrnn_tunes_count(t), count = 0;
    size_t total = 0;
    for (int k = 0; k < n; k++) {
        int len;
        folkrnn_tunes_tokens(t, k, &len);
        if (folkrnn_tunes_ended(t, k) == ended)
            count++, total += (size_t)len;
    }
    if (!count)
        return FOLKRNN_OK;
    int *tokens = malloc((total ? total : 1) * sizeof *tokens); /* [total] back to back */
    int *lengths = malloc((size_t)count * sizeof *lengths);     /* [count] */
    double *loglik = malloc((size_t)count * sizeof *loglik);    /* [count] */
    int rc = !tokens || !lengths || !loglik ? fr_oom("sweep scoring", total * sizeof(int)) : 0;
    for (int k = 0, i = 0, at = 0; !rc && k < n; k++) {
        int len;
        const int *ids = folkrnn_tunes_tokens(t, k, &len);
        if (folkrnn_tunes_ended(t, k) != ended)
            continue;
        memcpy(tokens + at, ids, (size_t)len * sizeof *ids);
        lengths[i++] = len;
        at += len;
    }
    if (!rc)
        rc = folkrnn_score(w->judge, tokens, lengths, count, ended ? 0 : FOLKRNN_SCORE_NO_END,
                           loglik, NULL);
    for (int i = 0; !rc && i < count; i++)
        pt->loglik += loglik[i];
    if (!rc)
        pt->ntokens += (long)total + (ended ? count : 0);
    free(tokens);
    free(lengths);
    free(loglik);
    return rc;
}

/* Generate from model and measure into pt. */
static int draw_and_measure(const struct sweep *w, const folkrnn_model *model,
                            folkrnn_sweep_point *pt)
{
    folkrnn_sampler *s;
    folkrnn_tunes *t = NULL;
    int rc = folkrnn_sampler_new(model, &s);
    if (rc)
        return rc;
    if (w->setup)
        rc = w->setup(s, w->user);
    if (!rc)
        rc = folkrnn_sampler_set_seed(s, w->seed);
    if (!rc)
        rc = folkrnn_sample(s, w->ntunes, &t);
    if (!rc) {
        pt->ntunes = folkrnn_tunes_count(t);
        rc = count_bars(w, t, pt);
    }
    for (int ended = 0; !rc && ended <= 1; ended++)
        rc = score_tunes(w, t, ended, pt);
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
    return rc;
}

/* One point: choose, snip a clone, draw, measure. */
static int run_point(const struct sweep *w, int rule, double fraction, int index,
                     folkrnn_sweep_point *pt)
{
    memset(pt, 0, sizeof *pt);
    pt->rule = rule;
    pt->fraction = fraction;
    pt->nunits = (int)lround(fraction * w->units);
    int *chosen = malloc((size_t)(pt->nunits ? pt->nunits : 1) * sizeof *chosen);
    if (!chosen)
        return fr_oom("sweep units", (size_t)pt->nunits * sizeof *chosen);
    int rc = rule == FOLKRNN_SWEEP_TOP
                 ? folkrnn_choose_top(w->score, w->units, pt->nunits, chosen)
                 : folkrnn_choose_random(w->units, pt->nunits, w->seed + (unsigned)index, chosen);
    folkrnn_model *clone = NULL;
    if (!rc)
        rc = folkrnn_model_clone(w->m, &clone);
    if (!rc && pt->nunits > 0)
        rc = folkrnn_model_snip(clone, w->layer, chosen, pt->nunits, w->what);
    if (!rc)
        rc = draw_and_measure(w, clone, pt);
    folkrnn_model_free(clone);
    free(chosen);
    return rc;
}

static int check_sweep(const folkrnn_model *m, int layer, const double *score, const int *rules,
                       int nrules, const double *fractions, int nfractions, int ntunes,
                       const folkrnn_sweep_point *results)
{
    if (!m || !rules || !fractions || !results || nrules < 1 || nfractions < 1 || ntunes < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_snip_sweep: NULL argument or a count < 1");
    if (layer < 0 || layer >= folkrnn_model_num_layers(m))
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_snip_sweep: layer %d of %d", layer,
                        folkrnn_model_num_layers(m));
    for (int i = 0; i < nfractions; i++)
        if (!(fractions[i] >= 0.0 && fractions[i] <= 1.0))
            return fr_error(FOLKRNN_E_INVALID,
                            "folkrnn_snip_sweep: fractions[%d] = %g outside [0, 1]", i,
                            fractions[i]);
    for (int r = 0; r < nrules; r++)
        if ((rules[r] != FOLKRNN_SWEEP_TOP && rules[r] != FOLKRNN_SWEEP_RANDOM) ||
            (rules[r] == FOLKRNN_SWEEP_TOP && !score))
            return fr_error(FOLKRNN_E_INVALID, "folkrnn_snip_sweep: rules[%d] = %d%s", r, rules[r],
                            score ? "" : " (TOP needs a score)");
    return FOLKRNN_OK;
}

int folkrnn_snip_sweep(const folkrnn_model *m, int layer, int what, const double *score,
                       const int *rules, int nrules, const double *fractions, int nfractions,
                       int ntunes, unsigned long long seed, folkrnn_sweep_setup_fn setup,
                       void *user, folkrnn_sweep_point *results)
{
    int rc = check_sweep(m, layer, score, rules, nrules, fractions, nfractions, ntunes, results);
    if (rc)
        return rc;
    struct sweep w = {m,     layer,  what, folkrnn_model_hidden_size(m, layer),
                      score, ntunes, seed, setup,
                      user,  NULL,   NULL};
    if (!(rc = folkrnn_vocab_from_model(m, &w.vocab)))
        rc = folkrnn_state_new(m, JUDGE_STREAMS, &w.judge);
    for (int r = 0; !rc && r < nrules; r++)
        for (int i = 0; !rc && i < nfractions; i++)
            rc = run_point(&w, rules[r], fractions[i], i, &results[r * nfractions + i]);
    folkrnn_state_free(w.judge);
    folkrnn_vocab_free(w.vocab);
    return rc;
}
