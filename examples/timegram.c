/* timegram.c -- which steps of a tune look alike: Gram matrices over time
   (Sturm, part 10).

   Entry (i, j) of a step x step Gram matrix compares step i with step j: of
   the one-hot inputs (1 where the same token was fed), of the softmax
   outputs and of the last layer's hidden states (both normalised: cosine
   similarities).  In folk-rnn v2 the hidden-state picture is a lattice with
   the spacing of the bars: the state repeats every bar.  The mean distance
   between hidden states lag steps apart says the same as a curve (a dip at
   the bar length).

   usage: timegram [MODEL [OUTDIR [SEED]]]     (seed default 42)
   writes: timegram_input.png, timegram_output.png, timegram_hidden.png,
           timegram_lags.svg */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>

#define MAX_LEN 200 /* tokens: a 200 x 200 picture stays readable */
#define MAXLAG 40

static void gram_picture(const char *name, const folkrnn_matrix *x, int normalise,
                         const char *title, const int *bars, int nbars)
{
    folkrnn_matrix *g; /* steps x steps */
    ex_check(folkrnn_gram(x, FOLKRNN_GRAM_ROWS, normalise, &g), "Gram matrix");
    ex_heatmap(name, g, title, "step (lines: bar tokens fed)", "step", NULL, bars, nbars,
               FOLKRNN_CMAP_AUTO);
    folkrnn_matrix_free(g);
}

int main(int argc, char **argv)
{
    folkrnn_model *m = ex_start(argc, argv);
    int seed = ex_count_arg(argc, argv, 42), last = folkrnn_model_num_layers(m) - 1;
    folkrnn_sampler *s;
    folkrnn_recorder *rec;
    folkrnn_tunes *t;
    ex_check(folkrnn_sampler_new(m, &s), "sampler");
    ex_check(folkrnn_sampler_set_seed(s, (unsigned long long)seed), "seed");
    ex_check(folkrnn_sampler_set_max_len(s, MAX_LEN), "max_len");
    ex_check(folkrnn_recorder_new(folkrnn_sampler_state(s), 0, &rec), "recorder");
    ex_check(folkrnn_recorder_add(rec, FOLKRNN_HOOK_PROBS, -1), "record probs");
    ex_check(folkrnn_recorder_add(rec, FOLKRNN_HOOK_HIDDEN, last), "record hidden");
    ex_check(folkrnn_sample(s, 1, &t), "sample");

    /* Step k fed fed[k]: <s> first, then the tune. */
    folkrnn_matrix *probs, *hidden, *onehot;
    ex_check(folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_PROBS, -1, 0, &probs), "probs");
    ex_check(folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_HIDDEN, last, 0, &hidden), "hidden");
    int len, steps = probs->rows, nbars = 0;
    const int *tune = folkrnn_tunes_tokens(t, 0, &len);
    int *fed = malloc((size_t)steps * sizeof *fed), *bars = malloc((size_t)steps * sizeof *bars);
    ex_check(fed && bars ? 0 : FOLKRNN_E_NOMEM, "steps");
    fed[0] = folkrnn_model_token_id(m, "<s>");
    for (int k = 1; k < steps; k++) {
        fed[k] = tune[k - 1];
        if (folkrnn_model_token_class(m, fed[k]) == FOLKRNN_TOKEN_BAR)
            bars[nbars++] = k;
    }
    ex_check(folkrnn_onehot(fed, steps, folkrnn_model_vocab_size(m), &onehot), "one-hot");
    printf("tune of %d tokens, %d steps, %d bar tokens\n", len, steps, nbars);

    gram_picture("timegram_input.png", onehot, 0, "Same token fed? (Gram matrix of the inputs)",
                 bars, nbars);
    gram_picture("timegram_output.png", probs, 1, "Cosine similarity of the posteriors", bars,
                 nbars);
    gram_picture("timegram_hidden.png", hidden, 1, "Cosine similarity of the last hidden states",
                 bars, nbars);

    double lag_x[MAXLAG], lag_mean[MAXLAG];
    int maxlag = steps - 1 < MAXLAG ? steps - 1 : MAXLAG;
    ex_check(folkrnn_lag_distances(hidden, maxlag, lag_mean), "lag distances");
    int best = maxlag >= 2 ? 2 : 1;
    for (int k = 1; k <= maxlag; k++) {
        lag_x[k - 1] = k;
        if (k > 2 && lag_mean[k - 1] < lag_mean[best - 1])
            best = k;
    }
    printf("mean distance between last hidden states: lag 1 %.3f, lag 9 %.3f; "
           "smallest beyond lag 1 at lag %d (%.3f)\n",
           lag_mean[0], maxlag >= 9 ? lag_mean[8] : 0.0, best, lag_mean[best - 1]);
    folkrnn_series line = {"last layer", maxlag, lag_x, lag_mean};
    ex_plot("timegram_lags.svg", &line, 1, "Mean distance between hidden states lag steps apart",
            "lag (steps)", "mean Euclidean distance", 0, 0);

    free(fed);
    free(bars);
    folkrnn_matrix_free(probs);
    folkrnn_matrix_free(hidden);
    folkrnn_matrix_free(onehot);
    folkrnn_recorder_free(rec);
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
    folkrnn_model_free(m);
    return 0;
}
