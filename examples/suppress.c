/* suppress.c -- forbid bar lines for a stretch of a tune, or forbid the
   tune to end, and see whether the model still counts (the open question
   at the end of Sturm's part 8: "will the model only be able to count for
   16 measures or so?").

   Three ways to draw the same tunes (same seed):
     free       as the model likes;
     no bars    no bar token at tune positions WIN_FROM .. WIN_TO - 1;
     no end     no </s> at all (tunes run to MAX_LEN tokens).
   For each: how many bars come out right (folkrnn_bars_count), by position
   of the bar in the tune; and, for one tune, the model's own bar-token
   probability at each step (recorded before the sampler's suppression
   applies), which shows whether it keeps "wanting" bar lines on time while
   it may not write them.

   usage: suppress [MODEL [OUTDIR [N]]]     (N tunes per way, default 20)
   writes: suppress_bars.svg, suppress_barmass.svg */
#include "common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define WIN_FROM 20
#define WIN_TO 80
#define MAX_LEN 600
#define GROUP 4    /* bars per point of the by-position curve */
#define NGROUPS 20 /* so bars 1 .. 80 */
#define SEED 3

enum { FREE, NO_BARS, NO_END, NWAYS };
static const char *const way_names[NWAYS] = {"free", "no bars at positions 20-79", "no </s>"};

static folkrnn_sampler *new_sampler(const folkrnn_model *m, int way)
{
    folkrnn_sampler *s;
    ex_check(folkrnn_sampler_new(m, &s), "sampler");
    ex_check(folkrnn_sampler_set_max_len(s, MAX_LEN), "max_len");
    ex_check(folkrnn_sampler_set_seed(s, SEED), "seed");
    if (way == NO_BARS)
        ex_check(folkrnn_sampler_suppress_class(s, FOLKRNN_TOKEN_BAR, WIN_FROM, WIN_TO), "bars");
    if (way == NO_END)
        ex_check(folkrnn_sampler_suppress_class(s, FOLKRNN_TOKEN_END, 0, -1), "</s>");
    return s;
}

/* Draw ntunes tunes the given way; share[NGROUPS] gets the share of correct
   bars among bars GROUP*g+1 .. GROUP*(g+1) of every tune (NaN where no tune
   has such bars).  Prints the totals. */
static void count_bars(const folkrnn_model *m, const folkrnn_vocab *v, int way, int ntunes,
                       double *share)
{
    folkrnn_sampler *s = new_sampler(m, way);
    folkrnn_tunes *t;
    long correct[NGROUPS] = {0}, seen[NGROUPS] = {0}, tokens = 0, all = 0, all_ok = 0;
    long after = 0, after_ok = 0; /* bars that start after the window */
    ex_check(folkrnn_sample(s, ntunes, &t), "sample");
    for (int k = 0; k < ntunes; k++) {
        int len, nbars;
        const int *tune = folkrnn_tunes_tokens(t, k, &len);
        folkrnn_bars *b;
        ex_check(folkrnn_bars_count(v, tune, len, &b), "bars");
        ex_check(folkrnn_bars_summary(b, &nbars, NULL, NULL), "bars");
        for (int i = 0; i < nbars; i++) {
            int first, kind;
            ex_check(folkrnn_bars_bar(b, i, &first, NULL, &kind, NULL, NULL, NULL, NULL), "bar");
            int ok = kind == FOLKRNN_BAR_FULL || kind == FOLKRNN_BAR_PICKUP ||
                     kind == FOLKRNN_BAR_CLOSING;
            all++, all_ok += ok;
            if (first >= WIN_TO)
                after++, after_ok += ok;
            if (i / GROUP < NGROUPS)
                seen[i / GROUP]++, correct[i / GROUP] += ok;
        }
        tokens += len;
        folkrnn_bars_free(b);
    }
    for (int g = 0; g < NGROUPS; g++)
        share[g] = seen[g] ? (double)correct[g] / seen[g] : NAN;
    printf("%-27s mean length %5.1f tokens, %4ld bars, %5.1f%% right; bars starting at "
           "position >= %d: %5.1f%% right\n",
           way_names[way], (double)tokens / ntunes, all, all ? 100.0 * all_ok / all : 0.0, WIN_TO,
           after ? 100.0 * after_ok / after : 0.0);
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
}

/* The model's bar-token mass at each step of the first tune drawn the given
   way: mass[MAX_LEN + 1], returns the number of steps. */
static int bar_mass(const folkrnn_model *m, int way, double *mass)
{
    folkrnn_sampler *s = new_sampler(m, way);
    folkrnn_recorder *rec;
    folkrnn_tunes *t;
    folkrnn_matrix *probs, *classes;
    ex_check(folkrnn_recorder_new(folkrnn_sampler_state(s), 0, &rec), "recorder");
    ex_check(folkrnn_recorder_add(rec, FOLKRNN_HOOK_PROBS, -1), "record");
    ex_check(folkrnn_sample(s, 1, &t), "sample");
    ex_check(folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_PROBS, -1, 0, &probs), "probs");
    ex_check(folkrnn_class_mass(m, probs, &classes), "class mass"); /* steps x classes */
    int steps = classes->rows < MAX_LEN + 1 ? classes->rows : MAX_LEN + 1;
    for (int k = 0; k < steps; k++)
        mass[k] = classes->data[(size_t)k * classes->ld + FOLKRNN_TOKEN_BAR];
    folkrnn_matrix_free(probs);
    folkrnn_matrix_free(classes);
    folkrnn_recorder_free(rec);
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
    return steps;
}

int main(int argc, char **argv)
{
    folkrnn_model *m = ex_start(argc, argv);
    int ntunes = ex_count_arg(argc, argv, 20);
    folkrnn_vocab *v;
    ex_check(folkrnn_vocab_from_model(m, &v), "vocabulary");

    static double share[NWAYS][NGROUPS], group_x[NGROUPS];
    folkrnn_series by_position[NWAYS];
    for (int g = 0; g < NGROUPS; g++)
        group_x[g] = GROUP * g + (GROUP + 1) / 2.0; /* middle bar of the group */
    for (int w = 0; w < NWAYS; w++) {
        count_bars(m, v, w, ntunes, share[w]);
        by_position[w] = (folkrnn_series){way_names[w], NGROUPS, group_x, share[w]};
    }
    ex_plot("suppress_bars.svg", by_position, NWAYS, "Bars of the right length, by bar number",
            "bar number in the tune", "share of bars correct", 0, 0);

    static double mass[2][MAX_LEN + 1];
    folkrnn_series lines[2] = {
        {"free", bar_mass(m, FREE, mass[0]), NULL, mass[0]},
        {"no bars at positions 20-79", bar_mass(m, NO_BARS, mass[1]), NULL, mass[1]}};
    ex_plot("suppress_barmass.svg", lines, 2,
            "The model's bar-token probability at each step (one tune)", "tune position",
            "probability of a bar token", 0, 0);

    folkrnn_vocab_free(v);
    folkrnn_model_free(m);
    return 0;
}
