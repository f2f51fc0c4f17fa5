/* sample.c -- drawing tunes from a model: folk-rnn's sampler token for
   token, and folkrnn.org's and Sturm's controls on top of it.

   Map:
     settings ......... folkrnn_sampler_new and the setters
     one token ........ forbid, add bias, softmax (numpy's float32 way or the
                        stable double way), top-k/top-p, draw
     many tunes ....... the stream loop of folkrnn_sample
     results .......... folkrnn_tunes accessors
   The rules are documented in include/folkrnn.h, section 6.2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* Opening items besides token ids and FOLKRNN_WILDCARD: the model chooses among
   the meter (mode) tokens; OPEN_FREE is any position after the opening. */
enum { OPEN_FREE = -1, OPEN_METER = -3, OPEN_MODE = -4 };

/* A suppression window: token (>= 0) or every token of class cls (>= 0),
   forbidden at tune positions [from, to), to = -1 meaning no end. */
struct window {
    int token, cls;
    long from, to;
};

struct folkrnn_sampler {
    const folkrnn_model *m;
    int V;                  /* vocabulary size */
    int start, end;         /* ids of <s> and </s> */
    int *cls;               /* [V] FOLKRNN_TOKEN_* of every token */
    folkrnn_state *state;   /* nstreams streams */
    folkrnn_state *fresh;   /* 1 stream at the initial state, copied to restart a stream */
    int nstreams;
    double temperature;
    int rng_kind;
    unsigned long long seed;
    long tunes_drawn;       /* since the seed was set; the default kind seeds tune k with seed+k */
    folkrnn_rng *numpy_rng; /* the numpy kind's one stream of draws */
    int meter, mode;        /* token ids, -1: not set */
    int *prime, nprime;     /* [nprime] */
    int *tmpl, ntmpl;       /* [ntmpl] token ids or FOLKRNN_WILDCARD */
    float *token_bias;      /* [V] */
    float class_bias[FOLKRNN_TOKEN_NCLASSES];
    struct window *windows; /* [nwindows] */
    int nwindows;
    int top_k;              /* 0: off */
    double top_p;           /* 1: off */
    int max_len;
    /* work space of folkrnn_sample */
    int *opening, nopening; /* [nopening] the opening items of every tune */
    float *bias;            /* [V] token bias + class bias */
    float *z;               /* [V] biased logits, -inf where forbidden */
    float *p;               /* [V] probabilities of the draw */
    int *order;             /* [V] ids by decreasing p, for top-k/top-p */
};

/* ---- settings ------------------------------------------------------------ */

FOLKRNN_API void folkrnn_sampler_free(folkrnn_sampler *s)
{
    if (!s)
        return;
    folkrnn_state_free(s->state);
    folkrnn_state_free(s->fresh);
    folkrnn_rng_free(s->numpy_rng);
    free(s->cls);
    free(s->prime);
    free(s->tmpl);
    free(s->token_bias);
    free(s->windows);
    free(s->opening);
    free(s->bias);
    free(s->z);
    free(s->p);
    free(s->order);
    free(s);
}

static int alloc_work(struct folkrnn_sampler *s)
{
    size_t V = (size_t)s->V;
    s->cls = malloc(V * sizeof *s->cls);
    s->token_bias = calloc(V, sizeof *s->token_bias);
    s->bias = malloc(V * sizeof *s->bias);
    s->z = malloc(V * sizeof *s->z);
    s->p = malloc(V * sizeof *s->p);
    s->order = malloc(V * sizeof *s->order);
    if (!s->cls || !s->token_bias || !s->bias || !s->z || !s->p || !s->order)
        return fr_oom("sampler work space", V * (4 * sizeof(float) + 2 * sizeof(int)));
    for (int i = 0; i < s->V; i++)
        s->cls[i] = folkrnn_model_token_class(s->m, i);
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_new(const folkrnn_model *m, folkrnn_sampler **out)
{
    if (out)
        *out = NULL;
    if (!m || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_new: NULL %s", m ? "out" : "model");
    int start = folkrnn_model_token_id(m, "<s>"), end = folkrnn_model_token_id(m, "</s>");
    if (start < 0 || end < 0)
        return fr_error(FOLKRNN_E_INVALID, "the model's vocabulary has no %s token",
                        start < 0 ? "<s>" : "</s>");
    struct folkrnn_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return fr_oom("sampler", sizeof *s);
    s->m = m;
    s->V = folkrnn_model_vocab_size(m);
    s->start = start;
    s->end = end;
    s->temperature = 1.0;
    s->rng_kind = FOLKRNN_RNG_DEFAULT;
    s->seed = 42;
    s->meter = s->mode = -1;
    s->top_p = 1.0;
    s->max_len = 1000;
    int rc = alloc_work(s);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_state_new(m, 1, &s->fresh);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_sampler_set_streams(s, 1);
    if (rc < 0) {
        folkrnn_sampler_free(s);
        return rc;
    }
    *out = s;
    return FOLKRNN_OK;
}

FOLKRNN_API folkrnn_state *folkrnn_sampler_state(folkrnn_sampler *s)
{
    return s ? s->state : NULL;
}

FOLKRNN_API int folkrnn_sampler_set_streams(folkrnn_sampler *s, int n)
{
    if (!s || n < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_set_streams: %s",
                        s ? "fewer than 1 stream" : "NULL sampler");
    folkrnn_state *st = NULL;
    int rc = folkrnn_state_new(s->m, n, &st);
    if (rc < 0)
        return rc;
    folkrnn_state_free(s->state);
    s->state = st;
    s->nstreams = n;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_set_temperature(folkrnn_sampler *s, double t)
{
    if (!s || !(t > 0) || !isfinite(t))
        return fr_error(FOLKRNN_E_INVALID, "temperature %g: must be finite and > 0", t);
    s->temperature = t;
    return FOLKRNN_OK;
}

/* Start the tune count and the numpy stream again from the seed. */
static int restart_rng(struct folkrnn_sampler *s, int kind, unsigned long long seed)
{
    if (kind == FOLKRNN_RNG_NUMPY && seed > 0xffffffffull)
        return fr_error(FOLKRNN_E_INVALID,
                        "numpy seed %llu: RandomState takes seeds in [0, 2^32)", seed);
    folkrnn_rng *r = NULL;
    int rc = folkrnn_rng_new(kind, seed, &r);
    if (rc < 0)
        return rc;
    folkrnn_rng_free(s->numpy_rng);
    s->numpy_rng = r;
    s->rng_kind = kind;
    s->seed = seed;
    s->tunes_drawn = 0;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_set_rng(folkrnn_sampler *s, int kind)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_set_rng: NULL sampler");
    return restart_rng(s, kind, s->seed);
}

FOLKRNN_API int folkrnn_sampler_set_seed(folkrnn_sampler *s, unsigned long long seed)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_set_seed: NULL sampler");
    return restart_rng(s, s->rng_kind, seed);
}

static int check_class_token(const struct folkrnn_sampler *s, int token, int cls, const char *what)
{
    if (token == -1)
        return FOLKRNN_OK;
    if (token < 0 || token >= s->V)
        return fr_error(FOLKRNN_E_RANGE, "%s token id %d is not in [0, %d)", what, token, s->V);
    if (s->cls[token] != cls)
        return fr_error(FOLKRNN_E_INVALID, "%s: token '%s' is not a %s token", what,
                        folkrnn_model_token(s->m, token), what);
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_set_meter(folkrnn_sampler *s, int token)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_set_meter: NULL sampler");
    int rc = check_class_token(s, token, FOLKRNN_TOKEN_METER, "meter");
    if (rc == FOLKRNN_OK)
        s->meter = token;
    return rc;
}

FOLKRNN_API int folkrnn_sampler_set_mode(folkrnn_sampler *s, int token)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_set_mode: NULL sampler");
    int rc = check_class_token(s, token, FOLKRNN_TOKEN_MODE, "mode");
    if (rc == FOLKRNN_OK)
        s->mode = token;
    return rc;
}

/* Copy items[n] into *dst (replacing it) after checking every item: a token
   id other than <s> and </s>, or FOLKRNN_WILDCARD when any_ok. */
static int set_items(struct folkrnn_sampler *s, const int *items, int n, int any_ok,
                     const char *what, int **dst, int *ndst)
{
    if (n < 0 || (n > 0 && !items))
        return fr_error(FOLKRNN_E_INVALID, "%s: %s", what, n < 0 ? "n < 0" : "NULL items");
    for (int i = 0; i < n; i++) {
        if (any_ok && items[i] == FOLKRNN_WILDCARD)
            continue;
        if (items[i] < 0 || items[i] >= s->V)
            return fr_error(FOLKRNN_E_RANGE, "%s item %d: token id %d is not in [0, %d)", what,
                            i, items[i], s->V);
        if (items[i] == s->start || items[i] == s->end)
            return fr_error(FOLKRNN_E_INVALID, "%s item %d: %s cannot be part of a tune", what,
                            i, folkrnn_model_token(s->m, items[i]));
    }
    int *copy = NULL;
    if (n > 0) {
        copy = malloc((size_t)n * sizeof *copy);
        if (!copy)
            return fr_oom(what, (size_t)n * sizeof *copy);
        memcpy(copy, items, (size_t)n * sizeof *copy);
    }
    free(*dst);
    *dst = copy;
    *ndst = n;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_set_prime(folkrnn_sampler *s, const int *tokens, int n)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_set_prime: NULL sampler");
    return set_items(s, tokens, n, 0, "prime", &s->prime, &s->nprime);
}

FOLKRNN_API int folkrnn_sampler_set_template(folkrnn_sampler *s, const int *items, int n)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_set_template: NULL sampler");
    return set_items(s, items, n, 1, "template", &s->tmpl, &s->ntmpl);
}

FOLKRNN_API int folkrnn_sampler_bias_token(folkrnn_sampler *s, int token, double delta)
{
    if (!s || !isfinite(delta))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_bias_token: %s",
                        s ? "delta is not finite" : "NULL sampler");
    if (token < 0 || token >= s->V)
        return fr_error(FOLKRNN_E_RANGE, "bias: token id %d is not in [0, %d)", token, s->V);
    s->token_bias[token] = (float)delta;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_bias_class(folkrnn_sampler *s, int cls, double delta)
{
    if (!s || !isfinite(delta) || cls < 0 || cls >= FOLKRNN_TOKEN_NCLASSES)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_bias_class: %s",
                        !s ? "NULL sampler" : !isfinite(delta) ? "delta is not finite"
                                                               : "unknown class");
    s->class_bias[cls] = (float)delta;
    return FOLKRNN_OK;
}

static int add_window(struct folkrnn_sampler *s, struct window w)
{
    if (w.from < 0 || (w.to != -1 && w.to <= w.from))
        return fr_error(FOLKRNN_E_INVALID, "suppression window [%ld, %ld) is empty or negative",
                        w.from, w.to);
    struct window *grown = realloc(s->windows, (size_t)(s->nwindows + 1) * sizeof *grown);
    if (!grown)
        return fr_oom("suppression windows", (size_t)(s->nwindows + 1) * sizeof *grown);
    s->windows = grown;
    s->windows[s->nwindows++] = w;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_suppress_token(folkrnn_sampler *s, int token, long from, long to)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_suppress_token: NULL sampler");
    if (token < 0 || token >= s->V)
        return fr_error(FOLKRNN_E_RANGE, "suppress: token id %d is not in [0, %d)", token, s->V);
    return add_window(s, (struct window){token, -1, from, to});
}

FOLKRNN_API int folkrnn_sampler_suppress_class(folkrnn_sampler *s, int cls, long from, long to)
{
    if (!s || cls < 0 || cls >= FOLKRNN_TOKEN_NCLASSES)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_suppress_class: %s",
                        s ? "unknown class" : "NULL sampler");
    return add_window(s, (struct window){-1, cls, from, to});
}

FOLKRNN_API int folkrnn_sampler_clear_suppress(folkrnn_sampler *s)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sampler_clear_suppress: NULL sampler");
    free(s->windows);
    s->windows = NULL;
    s->nwindows = 0;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_set_top_k(folkrnn_sampler *s, int k)
{
    if (!s || k < 0)
        return fr_error(FOLKRNN_E_INVALID, "top-k %d: must be >= 0 (0: off)", k);
    s->top_k = k;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_set_top_p(folkrnn_sampler *s, double p)
{
    if (!s || !(p > 0 && p <= 1))
        return fr_error(FOLKRNN_E_INVALID, "top-p %g: must be in (0, 1] (1: off)", p);
    s->top_p = p;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_sampler_set_max_len(folkrnn_sampler *s, int n)
{
    if (!s || n < 1)
        return fr_error(FOLKRNN_E_INVALID, "maximum length %d: must be >= 1", n);
    s->max_len = n;
    return FOLKRNN_OK;
}

/* ---- one token ----------------------------------------------------------- */

/* The opening of every tune (header section 6.2) into s->opening. */
static int build_opening(struct folkrnn_sampler *s)
{
    int n = 0, cap = 2 + s->nprime + s->ntmpl;
    int *items = malloc((size_t)cap * sizeof *items);
    if (!items)
        return fr_oom("opening", (size_t)cap * sizeof *items);
    if (s->meter >= 0 || s->mode >= 0) {
        items[n++] = s->meter >= 0 ? s->meter : OPEN_METER;
        items[n++] = s->mode >= 0 ? s->mode : OPEN_MODE;
    }
    for (int i = 0; i < s->nprime; i++)
        items[n++] = s->prime[i];
    for (int i = 0; i < s->ntmpl; i++)
        items[n++] = s->tmpl[i];
    free(s->opening);
    s->opening = items;
    s->nopening = n;
    for (int i = 0; i < s->V; i++)
        s->bias[i] = s->token_bias[i] + s->class_bias[s->cls[i]];
    return FOLKRNN_OK;
}

/* z = logits + bias, then -inf for every token forbidden at pos by the
   opening item there and the suppression windows.  Fails when nothing is
   left. */
static int biased_logits(struct folkrnn_sampler *s, const float *logits, long pos, int item)
{
    int V = s->V;
    for (int i = 0; i < V; i++)
        s->z[i] = logits[i] + s->bias[i];
    if (item == FOLKRNN_WILDCARD)
        s->z[s->end] = -INFINITY;
    for (int i = 0; i < V && (item == OPEN_METER || item == OPEN_MODE); i++)
        if (s->cls[i] != (item == OPEN_METER ? FOLKRNN_TOKEN_METER : FOLKRNN_TOKEN_MODE))
            s->z[i] = -INFINITY;
    for (int w = 0; w < s->nwindows; w++) {
        const struct window *win = &s->windows[w];
        if (pos < win->from || (win->to != -1 && pos >= win->to))
            continue;
        for (int i = 0; i < V; i++)
            if (i == win->token || s->cls[i] == win->cls)
                s->z[i] = -INFINITY;
    }
    for (int i = 0; i < V; i++)
        if (s->z[i] != -INFINITY)
            return FOLKRNN_OK;
    return fr_error(FOLKRNN_E_INVALID, "every token is forbidden at tune position %ld", pos);
}

/* numpy's sum of a float32 array: pairwise summation in blocks of at most
   128 with eight accumulators (numpy's pairwise_sum), in float32. */
static float numpy_sum_f32(const float *a, int n)
{
    if (n < 8) {
        float res = 0.0f;
        for (int i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        float r[8];
        int i;
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        for (i = 8; i < n - n % 8; i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    int n2 = n / 2;
    n2 -= n2 % 8;
    return numpy_sum_f32(a, n2) + numpy_sum_f32(a + n2, n - n2);
}

/* sample-rnn-fast.py's softmax(x, T): exp(x / T) / sum, all in float32 and
   without subtracting the maximum; a zero sum gives one-hot at the first
   maximum.  An overflow is refused as numpy's choice would refuse it. */
static int numpy_softmax(const float *z, int V, double temperature, float *p, long pos)
{
    float t = (float)temperature;
    for (int i = 0; i < V; i++)
        p[i] = expf(z[i] / t);
    float sum = numpy_sum_f32(p, V);
    if (!isfinite(sum))
        return fr_error(FOLKRNN_E_NUMERIC, "tune position %ld: exp(logit / %g) overflows "
                        "float32, which folk-rnn's sampler fails on too", pos, temperature);
    if (sum == 0.0f) {
        int best = 0;
        for (int i = 1; i < V; i++)
            if (z[i] > z[best])
                best = i;
        memset(p, 0, (size_t)V * sizeof *p);
        p[best] = 1.0f;
        return FOLKRNN_OK;
    }
    for (int i = 0; i < V; i++)
        p[i] = p[i] / sum;
    return FOLKRNN_OK;
}

/* softmax(z / T) computed stably in double. */
static void stable_softmax(const float *z, int V, double temperature, float *p)
{
    float max = -INFINITY;
    for (int i = 0; i < V; i++)
        if (z[i] > max)
            max = z[i];
    double sum = 0.0;
    for (int i = 0; i < V; i++)
        sum += exp(((double)z[i] - max) / temperature);
    for (int i = 0; i < V; i++)
        p[i] = (float)(exp(((double)z[i] - max) / temperature) / sum);
}

/* Insertion sort of ids by decreasing p, lower id first among equals
   (a stable sort of the identity order). */
static void rank_by_prob(const float *p, int V, int *order)
{
    for (int i = 0; i < V; i++) {
        int id = i, j = i;
        for (; j > 0 && p[order[j - 1]] < p[id]; j--)
            order[j] = order[j - 1];
        order[j] = id;
    }
}

/* Zero every probability outside top-k and then top-p; 1 when any was. */
static int truncate_probs(struct folkrnn_sampler *s)
{
    int V = s->V, keep = V;
    if (s->top_k == 0 && s->top_p >= 1.0)
        return 0;
    rank_by_prob(s->p, V, s->order);
    if (s->top_k > 0 && s->top_k < keep)
        keep = s->top_k;
    if (s->top_p < 1.0) {
        double total = 0.0, cum = 0.0;
        for (int r = 0; r < keep; r++)
            total += s->p[s->order[r]];
        int r = 0;
        while (r < keep && (cum += s->p[s->order[r]]) < s->top_p * total)
            r++;
        keep = r < keep ? r + 1 : keep;
    }
    for (int r = keep; r < V; r++)
        s->p[s->order[r]] = 0.0f;
    return keep < V;
}

/* The token at tune position pos of the tune in stream b. */
static int choose_token(struct folkrnn_sampler *s, folkrnn_rng *rng, int b, long pos, int *tok)
{
    int item = pos < s->nopening ? s->opening[pos] : OPEN_FREE;
    if (item >= 0) {
        *tok = item;
        return FOLKRNN_OK;
    }
    const float *logits = folkrnn_state_vector(s->state, FOLKRNN_HOOK_LOGITS, -1, b);
    int rc = biased_logits(s, logits, pos, item);
    if (rc < 0)
        return rc;
    int numpy = s->rng_kind == FOLKRNN_RNG_NUMPY;
    if (numpy) {
        rc = numpy_softmax(s->z, s->V, s->temperature, s->p, pos);
        if (rc < 0)
            return rc;
    } else {
        stable_softmax(s->z, s->V, s->temperature, s->p);
    }
    if (truncate_probs(s) && numpy) {
        float sum = numpy_sum_f32(s->p, s->V); /* p /= p.sum(), as a numpy user would */
        for (int i = 0; i < s->V; i++)
            s->p[i] = s->p[i] / sum;
    }
    rc = folkrnn_rng_choice(rng, s->p, s->V);
    if (rc < 0)
        return rc;
    *tok = rc;
    return FOLKRNN_OK;
}

/* ---- many tunes ------------------------------------------------------------ */

struct tune {
    int *tokens; /* [len], capacity cap */
    int len, cap;
    int ended;   /* 1: </s> came */
};

struct folkrnn_tunes {
    int n;
    struct tune *tunes; /* [n] */
};

FOLKRNN_API void folkrnn_tunes_free(folkrnn_tunes *t)
{
    if (!t)
        return;
    for (int k = 0; k < t->n; k++)
        free(t->tunes[k].tokens);
    free(t->tunes);
    free(t);
}

static int append_token(struct tune *t, int tok)
{
    if (t->len == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        int *grown = realloc(t->tokens, (size_t)cap * sizeof *grown);
        if (!grown)
            return fr_oom("tune tokens", (size_t)cap * sizeof *grown);
        t->tokens = grown;
        t->cap = cap;
    }
    t->tokens[t->len++] = tok;
    return FOLKRNN_OK;
}

/* What each stream of the state is doing. */
struct lane {
    int tune;         /* index into the result, -1: idle */
    folkrnn_rng *rng; /* the generator it draws from */
};

/* Put the next pending tune into stream b (its initial state, <s> to feed)
   or make it idle when none is left. */
static int start_tune(struct folkrnn_sampler *s, struct lane *lane, int b, int *next,
                      int ntunes, int *feed)
{
    if (*next >= ntunes) {
        lane->tune = -1;
        feed[b] = FOLKRNN_IDLE;
        return FOLKRNN_OK;
    }
    lane->tune = (*next)++;
    feed[b] = s->start;
    if (s->rng_kind == FOLKRNN_RNG_DEFAULT) {
        int rc = folkrnn_rng_seed(lane->rng, s->seed + (unsigned long long)(s->tunes_drawn +
                                                                          lane->tune));
        if (rc < 0)
            return rc;
    }
    return folkrnn_state_copy_stream(s->state, b, s->fresh, 0);
}

/* Advance stream b of the state by the token chosen for it; start its next
   tune when this one is over. */
static int advance_lane(struct folkrnn_sampler *s, struct folkrnn_tunes *res,
                        struct lane *lane, int b, int *next, int *feed)
{
    struct tune *t = &res->tunes[lane->tune];
    int tok, rc = choose_token(s, lane->rng, b, t->len, &tok);
    if (rc < 0)
        return rc;
    if (tok == s->end) {
        t->ended = 1;
    } else {
        rc = append_token(t, tok);
        if (rc < 0)
            return rc;
        feed[b] = tok;
        if (t->len < s->max_len)
            return FOLKRNN_OK;
    }
    return start_tune(s, lane, b, next, res->n, feed);
}

/* The stream loop: every busy stream steps together, each choosing its next
   token from its own logits. */
static int run_lanes(struct folkrnn_sampler *s, struct folkrnn_tunes *res, struct lane *lanes,
                     int nlanes, int *feed)
{
    int next = 0, rc = FOLKRNN_OK;
    for (int b = 0; b < s->nstreams; b++)
        feed[b] = FOLKRNN_IDLE;
    for (int b = 0; b < nlanes && rc == FOLKRNN_OK; b++)
        rc = start_tune(s, &lanes[b], b, &next, res->n, feed);
    for (;;) {
        int busy = 0;
        for (int b = 0; b < nlanes; b++)
            busy |= lanes[b].tune >= 0;
        if (rc < 0 || !busy)
            return rc;
        rc = folkrnn_state_step(s->state, feed, NULL);
        for (int b = 0; b < nlanes && rc == FOLKRNN_OK; b++)
            if (lanes[b].tune >= 0)
                rc = advance_lane(s, res, &lanes[b], b, &next, feed);
    }
}

/* Lanes of the draw: the numpy kind's single stream of draws is one lane
   that runs the tunes one after the other; the default kind has a lane per
   stream, each with its own generator. */
static int draw(struct folkrnn_sampler *s, struct folkrnn_tunes *res)
{
    int numpy = s->rng_kind == FOLKRNN_RNG_NUMPY;
    int nlanes = numpy ? 1 : res->n < s->nstreams ? res->n : s->nstreams;
    struct lane *lanes = calloc((size_t)nlanes, sizeof *lanes);
    int *feed = malloc((size_t)s->nstreams * sizeof *feed);
    int rc = lanes && feed ? FOLKRNN_OK : fr_oom("sampler lanes", (size_t)nlanes * sizeof *lanes);
    for (int b = 0; b < nlanes && rc == FOLKRNN_OK; b++) {
        if (numpy)
            lanes[b].rng = s->numpy_rng;
        else
            rc = folkrnn_rng_new(FOLKRNN_RNG_DEFAULT, 0, &lanes[b].rng);
    }
    if (rc == FOLKRNN_OK)
        rc = run_lanes(s, res, lanes, nlanes, feed);
    for (int b = 0; lanes && !numpy && b < nlanes; b++)
        folkrnn_rng_free(lanes[b].rng);
    free(lanes);
    free(feed);
    return rc;
}

FOLKRNN_API int folkrnn_sample(folkrnn_sampler *s, int ntunes, folkrnn_tunes **out)
{
    if (out)
        *out = NULL;
    if (!s || !out || ntunes < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_sample: %s",
                        !s ? "NULL sampler" : !out ? "NULL out" : "ntunes < 1");
    if (!s->numpy_rng) {
        int rc = restart_rng(s, s->rng_kind, s->seed);
        if (rc < 0)
            return rc;
    }
    struct folkrnn_tunes *res = calloc(1, sizeof *res);
    if (res)
        res->tunes = calloc((size_t)ntunes, sizeof *res->tunes);
    if (!res || !res->tunes) {
        free(res);
        return fr_oom("tunes", (size_t)ntunes * sizeof *res->tunes);
    }
    res->n = ntunes;
    int rc = build_opening(s);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_state_reset(s->state);
    if (rc == FOLKRNN_OK)
        rc = draw(s, res);
    if (rc < 0) {
        folkrnn_tunes_free(res);
        return rc;
    }
    s->tunes_drawn += ntunes;
    *out = res;
    return FOLKRNN_OK;
}

/* ---- results ----------------------------------------------------------------- */

FOLKRNN_API int folkrnn_tunes_count(const folkrnn_tunes *t)
{
    return t ? t->n : -1;
}

FOLKRNN_API const int *folkrnn_tunes_tokens(const folkrnn_tunes *t, int k, int *len)
{
    if (len)
        *len = 0;
    if (!t || k < 0 || k >= t->n)
        return NULL;
    if (len)
        *len = t->tunes[k].len;
    /* an empty tune still gets a valid pointer */
    static const int none[1] = {0};
    return t->tunes[k].tokens ? t->tunes[k].tokens : none;
}

FOLKRNN_API int folkrnn_tunes_ended(const folkrnn_tunes *t, int k)
{
    if (!t || k < 0 || k >= t->n)
        return -1;
    return t->tunes[k].ended;
}
