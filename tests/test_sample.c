/* test_sample.c -- random generators, the sampler, scoring and beam search.

   Known answers come from tests/sample_ref.py (numpy's RandomState and
   folk-rnn's sampling loop run in numpy on the model of tiny_weights.txt)
   through tests/fixtures/sample_ref.txt.  The controls (templates, bias,
   suppression, top-k/top-p, lengths) are tested on the same model with its
   logits replaced by a LOGITS hook, so the distribution is known exactly.
   Scoring is checked against step-by-step probabilities and beam search
   against brute-force enumeration of every path. */
#include <math.h>
#include "testutil.h"

/* ---- fixtures --------------------------------------------------------------- */

/* Split line into whitespace-separated fields (in place); returns the count. */
static int split(char *line, char **f, int cap)
{
    int n = 0;
    for (char *tok = strtok(line, " \t\n"); tok && n < cap; tok = strtok(NULL, " \t\n"))
        f[n++] = tok;
    return n;
}

#define MAXF 4096

/* Map a tiny_weights.txt parameter name to (layer, which); -1: not a weight to set. */
static int param_of(const char *name, int *layer)
{
    static const struct { const char *suffix; int which; } names[] = {
        {"W_in_to_ingate", FOLKRNN_P_W_IN_INGATE},
        {"W_hid_to_ingate", FOLKRNN_P_W_HID_INGATE},
        {"b_ingate", FOLKRNN_P_B_INGATE},
        {"W_in_to_forgetgate", FOLKRNN_P_W_IN_FORGETGATE},
        {"W_hid_to_forgetgate", FOLKRNN_P_W_HID_FORGETGATE},
        {"b_forgetgate", FOLKRNN_P_B_FORGETGATE},
        {"W_in_to_cell", FOLKRNN_P_W_IN_CELL},
        {"W_hid_to_cell", FOLKRNN_P_W_HID_CELL},
        {"b_cell", FOLKRNN_P_B_CELL},
        {"W_in_to_outgate", FOLKRNN_P_W_IN_OUTGATE},
        {"W_hid_to_outgate", FOLKRNN_P_W_HID_OUTGATE},
        {"b_outgate", FOLKRNN_P_B_OUTGATE},
        {"cell_init", FOLKRNN_P_CELL_INIT},
        {"hid_init", FOLKRNN_P_HID_INIT}};
    *layer = 0;
    if (!strcmp(name, "dense.W"))
        return FOLKRNN_P_DENSE_W;
    if (!strcmp(name, "dense.b"))
        return FOLKRNN_P_DENSE_B;
    if (name[0] != 'l' || !strchr(name, '.'))
        return -1;
    *layer = atoi(name + 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(strchr(name, '.') + 1, names[i].suffix))
            return names[i].which;
    return -1;
}

/* The tiny model of tests/fixtures/tiny_weights.txt, built in memory. */
static folkrnn_model *tiny_model(void)
{
    FILE *f = fopen(fixture_path("tiny_weights.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", fixture_path("tiny_weights.txt"));
    char *line = NULL, *fld[MAXF], *tokens[64] = {0};
    size_t cap = 0;
    int ntok = 0, units = 0, nlayers = 0;
    folkrnn_model *m = NULL;
    while (getline(&line, &cap, f) > 0) {
        int n = split(line, fld, MAXF), layer;
        if (n >= 3 && !strcmp(fld[0], "token"))
            tokens[ntok++] = strdup(fld[2]);
        if (n < 4 || strcmp(fld[0], "param"))
            continue;
        int which = param_of(fld[2], &layer);
        if (which == FOLKRNN_P_HID_INIT) {
            units = atoi(fld[5]);
            nlayers = layer + 1 > nlayers ? layer + 1 : nlayers;
        }
        if (which == FOLKRNN_P_DENSE_W) { /* the last layer is known by now */
            int u[8] = {units, units, units, units, units, units, units, units};
            ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, nlayers, u, ntok,
                                           (const char *const *)tokens, 0, &m));
        }
    }
    ck_assert_ptr_nonnull(m);
    rewind(f); /* second pass: the weights */
    while (getline(&line, &cap, f) > 0) {
        int n = split(line, fld, MAXF), layer;
        if (n < 4 || strcmp(fld[0], "param"))
            continue;
        int which = param_of(fld[2], &layer), ndim = atoi(fld[3]);
        if (which < 0)
            continue;
        float *w;
        int rows, cols, ld;
        ck_assert_ok(folkrnn_model_param(m, layer, which, &w, &rows, &cols, &ld));
        ck_assert_int_eq(n - 4 - ndim, rows * cols);
        for (int k = 0; k < rows * cols; k++)
            w[(k / cols) * ld + k % cols] = strtof(fld[4 + ndim + k], NULL);
    }
    for (int i = 0; i < ntok; i++)
        free(tokens[i]);
    free(line);
    fclose(f);
    return m;
}

static int tok(const folkrnn_model *m, const char *text)
{
    int id = folkrnn_model_token_id(m, text);
    ck_assert_msg(id >= 0, "no token '%s'", text);
    return id;
}

/* The lines of sample_ref.txt starting with kind, each split into fields;
   calls fn(fields, n, user) for each. */
static void each_record(const char *kind, void (*fn)(char **, int, void *), void *user)
{
    FILE *f = fopen(fixture_path("sample_ref.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open sample_ref.txt");
    char *line = NULL, *fld[MAXF];
    size_t cap = 0;
    int seen = 0;
    while (getline(&line, &cap, f) > 0) {
        int n = split(line, fld, MAXF);
        if (n > 0 && !strcmp(fld[0], kind)) {
            fn(fld, n, user);
            seen++;
        }
    }
    free(line);
    fclose(f);
    ck_assert_msg(seen > 0, "no '%s' records in sample_ref.txt", kind);
}

/* ---- 6.1 generators ------------------------------------------------------ */

static void check_uniform(char **f, int n, void *user)
{
    folkrnn_rng *r;
    ck_assert_ok(folkrnn_rng_new(FOLKRNN_RNG_NUMPY, strtoull(f[1], NULL, 10), &r));
    for (int i = 2; i < n; i++)
        ck_assert_msg(folkrnn_rng_uniform(r) == strtod(f[i], NULL), "seed %s draw %d", f[1], i - 2);
    folkrnn_rng_free(r);
}

START_TEST(numpy_uniform_matches_random_sample)
{
    each_record("uniform", check_uniform, NULL);
}
END_TEST

static void check_choice(char **f, int n, void *user)
{
    int N = atoi(f[2]);
    float p[256];
    for (int i = 0; i < N; i++)
        p[i] = strtof(f[3 + i], NULL);
    ck_assert_str_eq(f[3 + N], ";");
    folkrnn_rng *r;
    ck_assert_ok(folkrnn_rng_new(FOLKRNN_RNG_NUMPY, strtoull(f[1], NULL, 10), &r));
    for (int i = 4 + N; i < n; i++)
        ck_assert_int_eq(folkrnn_rng_choice(r, p, N), atoi(f[i]));
    folkrnn_rng_free(r);
}

START_TEST(numpy_choice_matches_randomstate_choice)
{
    each_record("choice", check_choice, NULL);
}
END_TEST

static void check_xoshiro(char **f, int n, void *user)
{
    folkrnn_rng *r;
    ck_assert_ok(folkrnn_rng_new(FOLKRNN_RNG_DEFAULT, strtoull(f[1], NULL, 10), &r));
    for (int i = 2; i < n; i++) {
        unsigned long long x = strtoull(f[i], NULL, 10);
        ck_assert(folkrnn_rng_uniform(r) == (double)(x >> 11) * 0x1.0p-53);
    }
    folkrnn_rng_free(r);
}

START_TEST(default_rng_is_xoshiro256starstar)
{
    each_record("xoshiro", check_xoshiro, NULL);
}
END_TEST

START_TEST(numpy_choice_refuses_what_numpy_refuses)
{
    folkrnn_rng *r, *twin;
    ck_assert_int_eq(folkrnn_rng_new(FOLKRNN_RNG_NUMPY, 1ull << 32, &r), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_rng_new(7, 1, &r), FOLKRNN_E_INVALID);
    ck_assert_ok(folkrnn_rng_new(FOLKRNN_RNG_NUMPY, 3, &r));
    ck_assert_ok(folkrnn_rng_new(FOLKRNN_RNG_NUMPY, 3, &twin));
    float off[3] = {0.3f, 0.3f, 0.3f}, neg[3] = {1.2f, -0.2f, 0.0f}, nan3[3] = {NAN, 0.5f, 0.5f};
    float close[3] = {0.3333f, 0.3333f, 0.3333f}; /* off by 1e-4: within numpy's 3.45e-4 */
    ck_assert_int_eq(folkrnn_rng_choice(r, off, 3), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_rng_choice(r, neg, 3), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_rng_choice(r, nan3, 3), FOLKRNN_E_NUMERIC);
    /* failures draw nothing: r is still in step with its twin */
    ck_assert(folkrnn_rng_uniform(r) == folkrnn_rng_uniform(twin));
    ck_assert_int_ge(folkrnn_rng_choice(r, close, 3), 0);
    /* the default kind normalises any non-negative weights */
    folkrnn_rng *d;
    ck_assert_ok(folkrnn_rng_new(FOLKRNN_RNG_DEFAULT, 3, &d));
    float w[3] = {0.0f, 5.0f, 0.0f};
    ck_assert_int_eq(folkrnn_rng_choice(d, w, 3), 1);
    ck_assert_int_eq(folkrnn_rng_choice(d, off, 3) >= 0, 1);
    float zero[3] = {0};
    ck_assert_int_eq(folkrnn_rng_choice(d, zero, 3), FOLKRNN_E_INVALID);
    /* reseeding restarts the sequence */
    double first = folkrnn_rng_uniform(d);
    ck_assert_ok(folkrnn_rng_seed(d, 3));
    folkrnn_rng_uniform(d);
    ck_assert(folkrnn_rng_uniform(d) != first);
    ck_assert_ok(folkrnn_rng_seed(d, 3));
    folkrnn_rng_free(d);
    folkrnn_rng_free(r);
    folkrnn_rng_free(twin);
}
END_TEST

/* ---- 6.2 folk-rnn's sampler, token for token ---------------------------------- */

struct numpy_case {
    folkrnn_model *m;
    folkrnn_sampler *s;
    char name[64];
    folkrnn_tunes *tunes;
    int checked;
};

static void run_case(char **f, int n, void *user)
{
    struct numpy_case *c = user;
    int prime[64], np = 0;
    for (int i = 5; i < n; i++)
        prime[np++] = tok(c->m, f[i]);
    ck_assert_ok(folkrnn_sampler_set_rng(c->s, FOLKRNN_RNG_NUMPY));
    ck_assert_ok(folkrnn_sampler_set_seed(c->s, strtoull(f[2], NULL, 10)));
    ck_assert_ok(folkrnn_sampler_set_temperature(c->s, strtod(f[3], NULL)));
    ck_assert_ok(folkrnn_sampler_set_prime(c->s, prime, np));
    /* the first tune in one call, the rest in another: one RNG stream */
    int ntunes = atoi(f[4]);
    folkrnn_tunes *first, *rest = NULL;
    ck_assert_ok(folkrnn_sample(c->s, 1, &first));
    if (ntunes > 1)
        ck_assert_ok(folkrnn_sample(c->s, ntunes - 1, &rest));
    folkrnn_tunes_free(c->tunes);
    c->tunes = NULL;
    /* keep both by re-drawing everything at once as well */
    ck_assert_ok(folkrnn_sampler_set_seed(c->s, strtoull(f[2], NULL, 10)));
    ck_assert_ok(folkrnn_sample(c->s, ntunes, &c->tunes));
    int len0, lenall;
    const int *a = folkrnn_tunes_tokens(first, 0, &len0);
    const int *b = folkrnn_tunes_tokens(c->tunes, 0, &lenall);
    ck_assert_int_eq(len0, lenall);
    ck_assert(memcmp(a, b, (size_t)len0 * sizeof *a) == 0);
    for (int k = 1; k < ntunes; k++) {
        a = folkrnn_tunes_tokens(rest, k - 1, &len0);
        b = folkrnn_tunes_tokens(c->tunes, k, &lenall);
        ck_assert_int_eq(len0, lenall);
        ck_assert(memcmp(a, b, (size_t)len0 * sizeof *a) == 0);
    }
    folkrnn_tunes_free(first);
    folkrnn_tunes_free(rest);
    snprintf(c->name, sizeof c->name, "%s", f[1]);
}

static void check_tune(char **f, int n, void *user)
{
    struct numpy_case *c = user;
    if (strcmp(f[1], c->name))
        return;
    int k = atoi(f[2]), len;
    const int *t = folkrnn_tunes_tokens(c->tunes, k, &len);
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(len == n - 4, "case %s tune %d: %d tokens, numpy %d", f[1], k, len, n - 4);
    for (int i = 0; i < len; i++)
        ck_assert_msg(!strcmp(folkrnn_model_token(c->m, t[i]), f[4 + i]),
                      "case %s tune %d token %d: %s, numpy %s", f[1], k, i,
                      folkrnn_model_token(c->m, t[i]), f[4 + i]);
    ck_assert_int_eq(folkrnn_tunes_ended(c->tunes, k), atoi(f[3]));
    c->checked++;
}

static void case_and_tunes(char **f, int n, void *user)
{
    run_case(f, n, user);
    each_record("tune", check_tune, user);
}

START_TEST(numpy_mode_reproduces_folkrnn)
{
    struct numpy_case c = {tiny_model(), NULL, "", NULL, 0};
    ck_assert_ok(folkrnn_sampler_new(c.m, &c.s));
    each_record("case", case_and_tunes, &c);
    ck_assert_int_ge(c.checked, 15);
    folkrnn_tunes_free(c.tunes);
    folkrnn_sampler_free(c.s);
    folkrnn_model_free(c.m);
}
END_TEST

/* A 137-token model whose logits are always b (every other weight and the
   initial state zero, so h = 0): ids 0 <s>, 1 </s>, k + 2 "tk". */
static folkrnn_model *flat_model(const float *b)
{
    char names[137][8];
    const char *tokens[137] = {"<s>", "</s>"};
    for (int k = 2; k < 137; k++) {
        snprintf(names[k], sizeof names[k], "t%d", k - 2);
        tokens[k] = names[k];
    }
    folkrnn_model *m;
    int units = 1;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, &units, 137, tokens, 0, &m));
    float *dense_b;
    ck_assert_ok(folkrnn_model_param(m, 0, FOLKRNN_P_DENSE_B, &dense_b, NULL, NULL, NULL));
    memcpy(dense_b, b, 137 * sizeof *b);
    return m;
}

static void check_flat(char **f, int n, void *user)
{
    float logits[137];
    ck_assert_str_eq(f[4], ";");
    for (int i = 0; i < 137; i++)
        logits[i] = strtof(f[5 + i], NULL);
    ck_assert_str_eq(f[142], ";");
    folkrnn_model *m = flat_model(logits);
    folkrnn_sampler *s;
    folkrnn_tunes *t;
    ck_assert_ok(folkrnn_sampler_new(m, &s));
    ck_assert_ok(folkrnn_sampler_set_rng(s, FOLKRNN_RNG_NUMPY));
    ck_assert_ok(folkrnn_sampler_set_seed(s, strtoull(f[1], NULL, 10)));
    ck_assert_ok(folkrnn_sampler_set_temperature(s, strtod(f[2], NULL)));
    ck_assert_ok(folkrnn_sample(s, 1, &t));
    int len, ndraws = n - 143;
    const int *tk = folkrnn_tunes_tokens(t, 0, &len);
    ck_assert_int_eq(len + folkrnn_tunes_ended(t, 0), ndraws);
    for (int i = 0; i < ndraws; i++)
        ck_assert_int_eq(i < len ? tk[i] : 1, atoi(f[143 + i]));
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
    folkrnn_model_free(m);
}

/* 137 tokens: numpy's float32 sum splits in pairwise halves past 128 values */
START_TEST(numpy_mode_on_a_v2_sized_vocabulary)
{
    each_record("flat", check_flat, NULL);
}
END_TEST

/* ---- the default generator: reproducible per tune, whatever the streams ---- */

static int same_tune(const folkrnn_tunes *a, int ka, const folkrnn_tunes *b, int kb)
{
    int la, lb;
    const int *ta = folkrnn_tunes_tokens(a, ka, &la), *tb = folkrnn_tunes_tokens(b, kb, &lb);
    return la == lb && memcmp(ta, tb, (size_t)la * sizeof *ta) == 0 &&
           folkrnn_tunes_ended(a, ka) == folkrnn_tunes_ended(b, kb);
}

START_TEST(default_tunes_follow_their_seed)
{
    folkrnn_model *m = tiny_model();
    folkrnn_sampler *s;
    folkrnn_tunes *four, *one, *batched;
    ck_assert_ok(folkrnn_sampler_new(m, &s));
    ck_assert_ok(folkrnn_sampler_set_seed(s, 5));
    ck_assert_ok(folkrnn_sample(s, 6, &four));
    ck_assert_ok(folkrnn_sampler_set_seed(s, 7)); /* tune 2 of seed 5 */
    ck_assert_ok(folkrnn_sample(s, 1, &one));
    ck_assert(same_tune(four, 2, one, 0));
    folkrnn_tunes_free(one);
    ck_assert_ok(folkrnn_sample(s, 1, &one)); /* the count goes on: seed 8 = tune 3 */
    ck_assert(same_tune(four, 3, one, 0));
    /* four streams at once give the same tunes as one */
    ck_assert_ok(folkrnn_sampler_set_streams(s, 4));
    ck_assert_ok(folkrnn_sampler_set_seed(s, 5));
    ck_assert_ok(folkrnn_sample(s, 6, &batched));
    int differ = 0;
    for (int k = 0; k < 6; k++) {
        ck_assert(same_tune(four, k, batched, k));
        differ |= !same_tune(four, 0, four, k);
    }
    ck_assert(differ); /* and the tunes are not all the same */
    folkrnn_tunes_free(one);
    folkrnn_tunes_free(four);
    folkrnn_tunes_free(batched);
    folkrnn_sampler_free(s);
    folkrnn_model_free(m);
}
END_TEST

/* ---- controls on a known distribution ------------------------------------------- */

/* A LOGITS hook that replaces the logits by fixed ones. */
static int fixed_logits(const folkrnn_hook_event *ev, float *values, void *user)
{
    memcpy(values, user, (size_t)ev->n * sizeof *values);
    return 0;
}

struct fixture {
    folkrnn_model *m;
    folkrnn_sampler *s;
    float logits[16];
    int V, end, bar, C, D, rep, meter, mode;
};

static void setup_fixture(struct fixture *x, int streams)
{
    x->m = tiny_model();
    x->V = folkrnn_model_vocab_size(x->m);
    ck_assert_int_le(x->V, 16);
    ck_assert_ok(folkrnn_sampler_new(x->m, &x->s));
    ck_assert_ok(folkrnn_sampler_set_streams(x->s, streams));
    ck_assert_int_ge(folkrnn_state_add_hook(folkrnn_sampler_state(x->s), FOLKRNN_HOOK_LOGITS, -1,
                                            fixed_logits, x->logits), 0);
    x->end = tok(x->m, "</s>");
    x->bar = tok(x->m, "|");
    x->rep = tok(x->m, ":|");
    x->C = tok(x->m, "C");
    x->D = tok(x->m, "D");
    x->meter = tok(x->m, "M:6/8");
    x->mode = tok(x->m, "K:Cmaj");
    for (int i = 0; i < x->V; i++)
        x->logits[i] = 0.0f;
}

static void teardown_fixture(struct fixture *x)
{
    folkrnn_sampler_free(x->s);
    folkrnn_model_free(x->m);
}

/* Draw n tunes; the caller frees. */
static folkrnn_tunes *draw(struct fixture *x, int n)
{
    folkrnn_tunes *t;
    ck_assert_ok(folkrnn_sample(x->s, n, &t));
    ck_assert_int_eq(folkrnn_tunes_count(t), n);
    return t;
}

START_TEST(template_forces_tokens_and_keeps_the_stars_open)
{
    struct fixture x;
    setup_fixture(&x, 3);
    x.logits[x.end] = 8.0f; /* without the template, tunes end at once */
    folkrnn_tunes *t = draw(&x, 5);
    int len, ended_at_once = 0;
    for (int k = 0; k < 5; k++)
        ended_at_once += folkrnn_tunes_tokens(t, k, &len) && len == 0;
    ck_assert_int_ge(ended_at_once, 4);
    folkrnn_tunes_free(t);
    int items[5] = {x.meter, FOLKRNN_WILDCARD, x.C, FOLKRNN_WILDCARD, x.bar};
    ck_assert_ok(folkrnn_sampler_set_template(x.s, items, 5));
    t = draw(&x, 20);
    for (int k = 0; k < 20; k++) {
        const int *tk = folkrnn_tunes_tokens(t, k, &len);
        ck_assert_int_ge(len, 5);
        ck_assert_int_eq(tk[0], x.meter);
        ck_assert_int_eq(tk[2], x.C);
        ck_assert_int_eq(tk[4], x.bar);
        ck_assert_int_ne(tk[1], x.end);
        ck_assert_int_ne(tk[3], x.end);
    }
    folkrnn_tunes_free(t);
    /* a template may not hold <s> or </s>, nor unknown ids */
    items[1] = x.end;
    ck_assert_int_eq(folkrnn_sampler_set_template(x.s, items, 5), FOLKRNN_E_INVALID);
    items[1] = 99;
    ck_assert_int_eq(folkrnn_sampler_set_template(x.s, items, 5), FOLKRNN_E_RANGE);
    teardown_fixture(&x);
}
END_TEST

START_TEST(meter_mode_and_prime_open_every_tune)
{
    struct fixture x;
    setup_fixture(&x, 2);
    x.logits[x.C] = 9.0f; /* the model wants C everywhere */
    ck_assert_ok(folkrnn_sampler_set_mode(x.s, x.mode)); /* meter chosen among meters */
    int prime[2] = {x.bar, x.D};
    ck_assert_ok(folkrnn_sampler_set_prime(x.s, prime, 2));
    ck_assert_ok(folkrnn_sampler_set_max_len(x.s, 8));
    folkrnn_tunes *t = draw(&x, 6);
    for (int k = 0; k < 6; k++) {
        int len;
        const int *tk = folkrnn_tunes_tokens(t, k, &len);
        ck_assert_int_eq(len, 8);
        ck_assert_int_eq(folkrnn_tunes_ended(t, k), 0);
        ck_assert_int_eq(tk[0], x.meter);
        ck_assert_int_eq(tk[1], x.mode);
        ck_assert_int_eq(tk[2], x.bar);
        ck_assert_int_eq(tk[3], x.D);
    }
    folkrnn_tunes_free(t);
    ck_assert_int_eq(folkrnn_sampler_set_meter(x.s, x.C), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_sampler_set_mode(x.s, x.meter), FOLKRNN_E_INVALID);
    teardown_fixture(&x);
}
END_TEST

/* Shares of tokens a and b among all tokens of n tunes drawn at once. */
static void shares_of(struct fixture *x, int n, int a, int b, double *sa, double *sb, int *total)
{
    folkrnn_tunes *t = draw(x, n);
    int hits_a = 0, hits_b = 0, all = 0;
    for (int k = 0; k < n; k++) {
        int len;
        const int *tk = folkrnn_tunes_tokens(t, k, &len);
        for (int i = 0; i < len; i++, all++) {
            hits_a += tk[i] == a;
            hits_b += tk[i] == b;
        }
    }
    folkrnn_tunes_free(t);
    *total = all;
    *sa = all ? (double)hits_a / all : 0.0;
    *sb = all ? (double)hits_b / all : 0.0;
}

static double share_of(struct fixture *x, int n, int id, int *total)
{
    double sa, sb;
    shares_of(x, n, id, id, &sa, &sb, total);
    return sa;
}

START_TEST(token_bias_follows_sturms_formula)
{
    struct fixture x;
    setup_fixture(&x, 4);
    ck_assert_ok(folkrnn_sampler_suppress_token(x.s, x.end, 0, -1));
    ck_assert_ok(folkrnn_sampler_set_max_len(x.s, 50));
    /* V-1 tokens of equal logit (</s> forbidden): p(C) = 1/(V-1) = 0.1 */
    double delta = log(4.0), p = 1.0 / (x.V - 1);
    double expect = p * exp(delta) / (1 - p + p * exp(delta)); /* 4/13 */
    ck_assert_ok(folkrnn_sampler_bias_token(x.s, x.C, delta));
    int n;
    double got = share_of(&x, 200, x.C, &n);
    double sd = sqrt(expect * (1 - expect) / n);
    ck_assert_msg(fabs(got - expect) < 5 * sd, "share %g, Sturm's formula %g", got, expect);
    /* a huge bias makes C certain; removing it brings C back to 0.1 */
    ck_assert_ok(folkrnn_sampler_bias_token(x.s, x.C, 60.0));
    ck_assert(share_of(&x, 10, x.C, &n) == 1.0);
    ck_assert_ok(folkrnn_sampler_bias_token(x.s, x.C, 0.0));
    got = share_of(&x, 200, x.C, &n);
    ck_assert_msg(fabs(got - p) < 5 * sqrt(p * (1 - p) / n), "share %g after removal", got);
    ck_assert_int_eq(folkrnn_sampler_bias_token(x.s, 99, 1.0), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_sampler_bias_token(x.s, x.C, INFINITY), FOLKRNN_E_INVALID);
    teardown_fixture(&x);
}
END_TEST

START_TEST(class_bias_and_class_suppression)
{
    struct fixture x;
    setup_fixture(&x, 4);
    ck_assert_ok(folkrnn_sampler_suppress_token(x.s, x.end, 0, -1));
    ck_assert_ok(folkrnn_sampler_set_max_len(x.s, 30));
    ck_assert_ok(folkrnn_sampler_bias_class(x.s, FOLKRNN_TOKEN_BAR, 50.0));
    folkrnn_tunes *t = draw(&x, 5);
    for (int k = 0; k < 5; k++) {
        int len;
        const int *tk = folkrnn_tunes_tokens(t, k, &len);
        ck_assert_int_eq(len, 30);
        for (int i = 0; i < len; i++)
            ck_assert(tk[i] == x.bar || tk[i] == x.rep);
    }
    folkrnn_tunes_free(t);
    /* bars forbidden at positions 10..19: then the next favourite class wins */
    ck_assert_ok(folkrnn_sampler_suppress_class(x.s, FOLKRNN_TOKEN_BAR, 10, 20));
    ck_assert_ok(folkrnn_sampler_bias_class(x.s, FOLKRNN_TOKEN_PITCH, 40.0));
    t = draw(&x, 5);
    for (int k = 0; k < 5; k++) {
        int len;
        const int *tk = folkrnn_tunes_tokens(t, k, &len);
        for (int i = 0; i < len; i++) {
            int cls = folkrnn_model_token_class(x.m, tk[i]);
            ck_assert_int_eq(cls, i >= 10 && i < 20 ? FOLKRNN_TOKEN_PITCH : FOLKRNN_TOKEN_BAR);
        }
    }
    folkrnn_tunes_free(t);
    ck_assert_int_eq(folkrnn_sampler_bias_class(x.s, 99, 1.0), FOLKRNN_E_INVALID);
    teardown_fixture(&x);
}
END_TEST

START_TEST(suppression_windows)
{
    struct fixture x;
    setup_fixture(&x, 2);
    x.logits[x.end] = 30.0f; /* </s> is all but certain ... */
    ck_assert_ok(folkrnn_sampler_suppress_token(x.s, x.end, 0, 25)); /* ... from 25 on */
    x.logits[x.bar] = 20.0f;
    ck_assert_ok(folkrnn_sampler_suppress_token(x.s, x.bar, 0, 5));
    folkrnn_tunes *t = draw(&x, 6);
    for (int k = 0; k < 6; k++) {
        int len;
        const int *tk = folkrnn_tunes_tokens(t, k, &len);
        ck_assert_int_eq(len, 25);
        ck_assert_int_eq(folkrnn_tunes_ended(t, k), 1);
        for (int i = 0; i < len; i++)
            ck_assert(i < 5 ? tk[i] != x.bar : tk[i] == x.bar);
    }
    folkrnn_tunes_free(t);
    ck_assert_int_eq(folkrnn_sampler_suppress_token(x.s, x.bar, 5, 5), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_sampler_suppress_token(x.s, x.bar, -1, 5), FOLKRNN_E_INVALID);
    /* everything forbidden at position 0: an error naming the position */
    for (int cls = 0; cls < FOLKRNN_TOKEN_NCLASSES; cls++)
        ck_assert_ok(folkrnn_sampler_suppress_class(x.s, cls, 0, 1));
    ck_assert_int_eq(folkrnn_sample(x.s, 1, &t), FOLKRNN_E_INVALID);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "position 0"));
    ck_assert_ok(folkrnn_sampler_clear_suppress(x.s));
    folkrnn_tunes_free(draw(&x, 1));
    teardown_fixture(&x);
}
END_TEST

START_TEST(top_k_and_top_p)
{
    struct fixture x;
    setup_fixture(&x, 4);
    ck_assert_ok(folkrnn_sampler_suppress_token(x.s, x.end, 0, -1));
    ck_assert_ok(folkrnn_sampler_set_max_len(x.s, 40));
    /* p: C 0.5, D 0.3, | 0.2 (others -inf-like) */
    for (int i = 0; i < x.V; i++)
        x.logits[i] = -200.0f;
    x.logits[x.C] = logf(0.5f);
    x.logits[x.D] = logf(0.3f);
    x.logits[x.bar] = logf(0.2f);
    int n;
    ck_assert_ok(folkrnn_sampler_set_top_k(x.s, 1)); /* greedy */
    ck_assert(share_of(&x, 4, x.C, &n) == 1.0);
    ck_assert_ok(folkrnn_sampler_set_top_k(x.s, 2)); /* C or D, 5/8 and 3/8 */
    double c, d;
    shares_of(&x, 50, x.C, x.D, &c, &d, &n);
    ck_assert_msg(fabs(c + d - 1.0) < 1e-12 && fabs(c - 0.625) < 5 * sqrt(0.625 * 0.375 / n),
                  "top-2 shares C %g D %g", c, d);
    ck_assert_ok(folkrnn_sampler_set_top_k(x.s, 0));
    ck_assert_ok(folkrnn_sampler_set_top_p(x.s, 0.45)); /* C alone reaches 0.45 */
    ck_assert(share_of(&x, 4, x.C, &n) == 1.0);
    ck_assert_ok(folkrnn_sampler_set_top_p(x.s, 0.75)); /* C and D reach 0.8 */
    shares_of(&x, 50, x.C, x.D, &c, &d, &n);
    ck_assert_msg(fabs(c + d - 1.0) < 1e-12 && d > 0.2, "top-p 0.75 shares C %g D %g", c, d);
    ck_assert_ok(folkrnn_sampler_set_top_p(x.s, 1.0)); /* off: | appears again */
    ck_assert(share_of(&x, 50, x.bar, &n) > 0.1);
    ck_assert_int_eq(folkrnn_sampler_set_top_p(x.s, 0.0), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_sampler_set_top_k(x.s, -1), FOLKRNN_E_INVALID);
    /* the numpy kind applies the same rules */
    ck_assert_ok(folkrnn_sampler_set_rng(x.s, FOLKRNN_RNG_NUMPY));
    ck_assert_ok(folkrnn_sampler_set_top_k(x.s, 1));
    ck_assert(share_of(&x, 3, x.C, &n) == 1.0);
    teardown_fixture(&x);
}
END_TEST

START_TEST(max_len_is_folkrnns_1000)
{
    struct fixture x;
    setup_fixture(&x, 1);
    x.logits[x.end] = -100.0f; /* </s> never comes */
    ck_assert_ok(folkrnn_sampler_set_rng(x.s, FOLKRNN_RNG_NUMPY));
    folkrnn_tunes *t = draw(&x, 1);
    int len;
    ck_assert_ptr_nonnull(folkrnn_tunes_tokens(t, 0, &len));
    ck_assert_int_eq(len, 1000);
    ck_assert_int_eq(folkrnn_tunes_ended(t, 0), 0);
    ck_assert_ptr_null(folkrnn_tunes_tokens(t, 1, &len));
    ck_assert_int_eq(folkrnn_tunes_ended(t, 1), -1);
    folkrnn_tunes_free(t);
    ck_assert_int_eq(folkrnn_sampler_set_max_len(x.s, 0), FOLKRNN_E_INVALID);
    teardown_fixture(&x);
}
END_TEST

START_TEST(numpy_mode_fails_where_folkrnn_fails)
{
    struct fixture x;
    setup_fixture(&x, 1);
    x.logits[x.C] = 50.0f; /* exp(50 / 0.5) overflows float32 */
    ck_assert_ok(folkrnn_sampler_set_rng(x.s, FOLKRNN_RNG_NUMPY));
    ck_assert_ok(folkrnn_sampler_set_temperature(x.s, 0.5));
    folkrnn_tunes *t;
    ck_assert_int_eq(folkrnn_sample(x.s, 1, &t), FOLKRNN_E_NUMERIC);
    /* the default kind's softmax is stable: C every time */
    ck_assert_ok(folkrnn_sampler_set_rng(x.s, FOLKRNN_RNG_DEFAULT));
    ck_assert_ok(folkrnn_sampler_set_max_len(x.s, 5));
    int n;
    ck_assert(share_of(&x, 2, x.C, &n) == 1.0);
    ck_assert_int_eq(folkrnn_sampler_set_seed(x.s, 1ull << 40), FOLKRNN_OK);
    ck_assert_int_eq(folkrnn_sampler_set_rng(x.s, FOLKRNN_RNG_NUMPY), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_sampler_set_temperature(x.s, 0.0), FOLKRNN_E_INVALID);
    teardown_fixture(&x);
}
END_TEST

/* ---- 6.3 scoring ------------------------------------------------------------------ */

/* log p of every token of <s> tune </s>, one plain step at a time. */
static double stepwise_loglik(const folkrnn_model *m, const int *tune, int len, double *each)
{
    int V = folkrnn_model_vocab_size(m), feed = tok(m, "<s>"), end = tok(m, "</s>");
    folkrnn_state *s;
    ck_assert_ok(folkrnn_state_new(m, 1, &s));
    float probs[64];
    double total = 0.0;
    for (int i = 0; i <= len; i++) {
        ck_assert_ok(folkrnn_state_step(s, &feed, probs));
        feed = i < len ? tune[i] : end;
        each[i] = log((double)probs[feed]);
        total += each[i];
    }
    (void)V;
    folkrnn_state_free(s);
    return total;
}

START_TEST(score_is_the_sum_of_stepwise_log_probs)
{
    folkrnn_model *m = tiny_model();
    const char *texts[5] = {"M:6/8 K:Cmaj | C D 2 C | D /2 C :|", "", "C", "z z z | D D",
                            "K:Cmaj C 2 D /2 | z :| C D C D | 2 2"};
    int tokens[200], lengths[5], n = 0;
    for (int k = 0; k < 5; k++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", texts[k]);
        lengths[k] = 0;
        for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
            tokens[n + lengths[k]++] = tok(m, t);
        n += lengths[k];
    }
    for (int streams = 1; streams <= 4; streams += 3) {
        folkrnn_state *s;
        ck_assert_ok(folkrnn_state_new(m, streams, &s));
        double loglik[5], each[205], expect[64];
        ck_assert_ok(folkrnn_score(s, tokens, lengths, 5, 0, loglik, each));
        int at = 0, off = 0;
        for (int k = 0; k < 5; k++) {
            double total = stepwise_loglik(m, tokens + at, lengths[k], expect);
            ck_assert_msg(fabs(loglik[k] - total) < 1e-5, "tune %d: %.9g vs %.9g", k,
                          loglik[k], total);
            for (int i = 0; i <= lengths[k]; i++)
                ck_assert(fabs(each[off + i] - expect[i]) < 1e-5);
            ck_assert(loglik[k] < 0);
            at += lengths[k];
            off += lengths[k] + 1;
        }
        /* without </s>: the same minus its last term */
        double noend[5];
        ck_assert_ok(folkrnn_score(s, tokens, lengths, 5, FOLKRNN_SCORE_NO_END, noend, NULL));
        ck_assert(noend[1] == 0.0);
        stepwise_loglik(m, tokens, lengths[0], expect);
        ck_assert(fabs(loglik[0] - noend[0] - expect[lengths[0]]) < 1e-5);
        folkrnn_state_free(s);
    }
    folkrnn_state *s;
    ck_assert_ok(folkrnn_state_new(m, 2, &s));
    double ll[5];
    tokens[3] = 77;
    ck_assert_int_eq(folkrnn_score(s, tokens, lengths, 5, 0, ll, NULL), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_score(s, tokens, lengths, 5, 8, ll, NULL), FOLKRNN_E_INVALID);
    lengths[0] = -1;
    ck_assert_int_eq(folkrnn_score(s, tokens, lengths, 5, 0, ll, NULL), FOLKRNN_E_INVALID);
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

/* ---- 6.4 beam search against brute force -------------------------------------- */

struct brute {
    const folkrnn_model *m;
    int V, end, depth, width;
    double floor, visited, outside, below;
    int nleaves;
};

/* q = softmax(logits) in double, and whether id is among the width best. */
static int in_beam(const double *q, int V, int id, int width)
{
    int better = 0;
    for (int i = 0; i < V; i++)
        better += q[i] > q[id] || (q[i] == q[id] && i < id);
    return better < width;
}

/* Walk every path of the full tree below the node in stream 0 of st.
   fate: 0 still visited, 1 already left out of the beam, 2 already under the floor. */
static void walk(struct brute *b, folkrnn_state *st, int d, double P, int fate)
{
    const float *lg = folkrnn_state_vector(st, FOLKRNN_HOOK_LOGITS, -1, 0);
    double q[64], max = lg[0], sum = 0.0;
    for (int i = 1; i < b->V; i++)
        max = lg[i] > max ? lg[i] : max;
    for (int i = 0; i < b->V; i++)
        sum += q[i] = exp(lg[i] - max);
    for (int c = 0; c < b->V; c++) {
        q[c] /= sum;
    }
    for (int c = 0; c < b->V; c++) {
        double Pc = P * q[c];
        int f = fate ? fate : !in_beam(q, b->V, c, b->width) ? 1 : Pc < b->floor ? 2 : 0;
        if (c == b->end || d + 1 == b->depth) {
            *(f == 0 ? &b->visited : f == 1 ? &b->outside : &b->below) += Pc;
            b->nleaves += f == 0;
            continue;
        }
        folkrnn_state *child;
        ck_assert_ok(folkrnn_state_new(b->m, 1, &child));
        ck_assert_ok(folkrnn_state_copy(child, st));
        ck_assert_ok(folkrnn_state_step(child, &c, NULL));
        walk(b, child, d + 1, Pc, f);
        folkrnn_state_free(child);
    }
}

static void check_beam(folkrnn_model *m, const int *ctx, int nctx, int depth, int width,
                       double floor)
{
    struct brute b = {m, folkrnn_model_vocab_size(m), tok(m, "</s>"), depth, width, floor,
                      0, 0, 0, 0};
    folkrnn_state *root;
    ck_assert_ok(folkrnn_state_new(m, 1, &root));
    int start = tok(m, "<s>");
    ck_assert_ok(folkrnn_state_step(root, &start, NULL));
    for (int i = 0; i < nctx; i++)
        ck_assert_ok(folkrnn_state_step(root, &ctx[i], NULL));
    walk(&b, root, 0, 1.0, 0);
    folkrnn_state_free(root);

    folkrnn_beam_opts o;
    folkrnn_beam_opts_init(&o);
    o.depth = depth;
    o.width = width;
    o.floor = floor;
    folkrnn_beam *beam;
    ck_assert_ok(folkrnn_beam_search(m, ctx, nctx, &o, &beam));
    double visited, outside, below;
    ck_assert_ok(folkrnn_beam_mass(beam, &visited, &outside, &below));
    ck_assert_int_eq(folkrnn_beam_count(beam), b.nleaves);
    /* the search steps many streams at once, brute force one: logits may
       differ in their last float bits */
    ck_assert_msg(fabs(visited - b.visited) < 1e-6 && fabs(outside - b.outside) < 1e-6 &&
                  fabs(below - b.below) < 1e-6,
                  "depth %d width %d floor %g: visited %g/%g outside %g/%g below %g/%g", depth,
                  width, floor, visited, b.visited, outside, b.outside, below, b.below);
    ck_assert(fabs(visited + outside + below - 1.0) < 1e-12);
    double prev = 2.0, sum = 0.0;
    for (int i = 0; i < folkrnn_beam_count(beam); i++) {
        int len;
        double p;
        const int *path = folkrnn_beam_leaf(beam, i, &len, &p);
        ck_assert_ptr_nonnull(path);
        ck_assert(p <= prev && p >= floor);
        ck_assert(len == depth || path[len - 1] == b.end);
        prev = p;
        sum += p;
    }
    ck_assert(fabs(sum - visited) < 1e-12);
    folkrnn_beam_free(beam);
}

START_TEST(beam_mass_accounting_matches_brute_force)
{
    folkrnn_model *m = tiny_model();
    int ctx[3] = {tok(m, "M:6/8"), tok(m, "K:Cmaj"), tok(m, "|")};
    check_beam(m, ctx, 3, 3, 4, 1e-3);
    check_beam(m, ctx, 0, 2, 3, 0.0);
    check_beam(m, ctx, 2, 4, 2, 1e-2);
    check_beam(m, ctx, 1, 3, 11, 0.0); /* everything: visited is all the mass */
    folkrnn_beam *beam;
    ck_assert_ok(folkrnn_beam_search(m, ctx, 1, NULL, &beam)); /* defaults: 10% of 11 -> 2 */
    int len;
    double p, q;
    ck_assert_ptr_nonnull(folkrnn_beam_leaf(beam, 0, &len, &p));
    ck_assert(len >= 1 && len <= 2 && p > 0);
    ck_assert_ptr_null(folkrnn_beam_leaf(beam, folkrnn_beam_count(beam), &len, &q));
    folkrnn_beam_free(beam);
    folkrnn_beam_opts o;
    folkrnn_beam_opts_init(&o);
    o.depth = 0;
    ck_assert_int_eq(folkrnn_beam_search(m, ctx, 1, &o, &beam), FOLKRNN_E_INVALID);
    o.depth = 2;
    o.size = 4;
    ck_assert_int_eq(folkrnn_beam_search(m, ctx, 1, &o, &beam), FOLKRNN_E_INVALID);
    ctx[0] = 40;
    ck_assert_int_eq(folkrnn_beam_search(m, ctx, 1, NULL, &beam), FOLKRNN_E_RANGE);
    folkrnn_model_free(m);
}
END_TEST

static Suite *sample_suite(void)
{
    Suite *s = suite_create("sample");
    TCase *rng = tcase_create("rng");
    tcase_add_test(rng, numpy_uniform_matches_random_sample);
    tcase_add_test(rng, numpy_choice_matches_randomstate_choice);
    tcase_add_test(rng, default_rng_is_xoshiro256starstar);
    tcase_add_test(rng, numpy_choice_refuses_what_numpy_refuses);
    suite_add_tcase(s, rng);
    TCase *sampler = tcase_create("sampler");
    tcase_add_test(sampler, numpy_mode_reproduces_folkrnn);
    tcase_add_test(sampler, numpy_mode_on_a_v2_sized_vocabulary);
    tcase_add_test(sampler, default_tunes_follow_their_seed);
    tcase_add_test(sampler, template_forces_tokens_and_keeps_the_stars_open);
    tcase_add_test(sampler, meter_mode_and_prime_open_every_tune);
    tcase_add_test(sampler, token_bias_follows_sturms_formula);
    tcase_add_test(sampler, class_bias_and_class_suppression);
    tcase_add_test(sampler, suppression_windows);
    tcase_add_test(sampler, top_k_and_top_p);
    tcase_add_test(sampler, max_len_is_folkrnns_1000);
    tcase_add_test(sampler, numpy_mode_fails_where_folkrnn_fails);
    suite_add_tcase(s, sampler);
    TCase *score = tcase_create("score");
    tcase_add_test(score, score_is_the_sum_of_stepwise_log_probs);
    tcase_add_test(score, beam_mass_accounting_matches_brute_force);
    suite_add_tcase(s, score);
    return s;
}

int main(void)
{
    return run_suite(sample_suite());
}
