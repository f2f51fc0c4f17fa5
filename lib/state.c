/* state.c -- streams stepping through a model, and the hooks that watch
   and change every activation on the way.

   One step, for every layer l (x = the token's embedding row for l = 0,
   else h of layer l-1), row-vector convention as in folk-rnn's Lasagne:
   LSTM:  pre = [x h_prev] [W_in; W_hid] + b   (B, 4U)  one product per layer
          i = sig(pre_i)  f = sig(pre_f)  g = tanh(pre_g)  o = sig(pre_o)
          c = f*c_prev + i*g       h = o*tanh(c)
   GRU:   pre = x W_in + b, pre_hid = h_prev W_hid   (B, 3U) each, apart
          because the candidate needs r*(h W_hid_g)
          r = sig(pre_r + pre_hid_r)  u = sig(pre_u + pre_hid_u)
          g = tanh(pre_g + r*pre_hid_g)     h = (1-u)*h_prev + u*g
   A one-hot first layer gathers the token's row of W_in instead of
   multiplying by the identity.
   then logits = h_last W + b and probs = softmax(logits).
   New h and c go to scratch buffers that replace the old ones only when the
   whole step succeeded, so a hook that aborts leaves the state untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct hook {
    int id;
    int point;      /* FOLKRNN_HOOK_* */
    int layer;      /* -1: every layer */
    folkrnn_hook_fn fn;
    void *user;
};

struct folkrnn_state {
    const struct folkrnn_model *m;
    int nstreams;        /* B */
    long step;           /* steps since new/reset */
    float **h, **c;      /* [num_layers] (B, units): the committed state; c NULL for GRU */
    float **h_new, **c_new; /* [num_layers] (B, units): the step in progress */
    float *x0;           /* (B, input_size): first-layer inputs for dense or weighted input */
    float *pre;          /* (B, G*max_units): gate pre-activations, then the gates */
    float *pre_hid;      /* (B, G*max_units): h_prev W_hid; GRU only, NULL for LSTM */
    float *logits;       /* (B, V): logits of the last committed step */
    float *logits_new;   /* (B, V): logits of the step in progress */
    float *probs;        /* (B, V): probabilities of the step in progress */
    int has_logits;      /* a step has been committed since new/reset */
    struct hook *hooks;  /* [nhooks], in order added */
    int nhooks, hooks_cap, next_hook_id;
    int hooks_at[FOLKRNN_HOOK_NPOINTS]; /* number of hooks per point: 0 skips the point */
    float *xh;           /* (B, max of in+units): [x h_prev] of the layer in progress; LSTM */
};

/* ---- creation --------------------------------------------------------------- */

/* The widest [x h] row of any layer. */
static int max_xh(const struct folkrnn_model *m)
{
    int w = 0;
    for (int l = 0; l < m->num_layers; l++)
        if (m->layers[l].in + m->layers[l].units > w)
            w = m->layers[l].in + m->layers[l].units;
    return w;
}

/* calloc of n floats, counting the bytes for the failure message. */
static float *alloc_floats(size_t n, size_t *total)
{
    *total += n * sizeof(float);
    return calloc(n ? n : 1, sizeof(float));
}

static void free_layer_buffers(float **bufs, int n)
{
    for (int l = 0; bufs && l < n; l++)
        free(bufs[l]);
    free(bufs);
}

FOLKRNN_API void folkrnn_state_free(folkrnn_state *s)
{
    if (!s)
        return;
    int L = s->m->num_layers;
    free_layer_buffers(s->h, L);
    free_layer_buffers(s->c, L);
    free_layer_buffers(s->h_new, L);
    free_layer_buffers(s->c_new, L);
    free(s->x0);
    free(s->xh);
    free(s->pre);
    free(s->pre_hid);
    free(s->logits);
    free(s->logits_new);
    free(s->probs);
    free(s->hooks);
    free(s);
}

static int alloc_buffers(struct folkrnn_state *s)
{
    const struct folkrnn_model *m = s->m;
    size_t B = (size_t)s->nstreams, total = 0;
    size_t L = (size_t)m->num_layers;
    int lstm = m->cell == FOLKRNN_CELL_LSTM;
    s->h = calloc(L, sizeof(float *));
    s->h_new = calloc(L, sizeof(float *));
    s->c = calloc(L, sizeof(float *));
    s->c_new = calloc(L, sizeof(float *));
    if (!s->h || !s->h_new || !s->c || !s->c_new)
        return fr_oom("state layer table", 4 * L * sizeof(float *));
    for (size_t l = 0; l < L; l++) {
        size_t n = B * (size_t)m->layers[l].units;
        s->h[l] = alloc_floats(n, &total);
        s->h_new[l] = alloc_floats(n, &total);
        if (lstm) {
            s->c[l] = alloc_floats(n, &total);
            s->c_new[l] = alloc_floats(n, &total);
        }
        if (!s->h[l] || !s->h_new[l] || (lstm && (!s->c[l] || !s->c_new[l])))
            return fr_oom("state vectors", total);
    }
    size_t gates = B * (size_t)m->ngates * (size_t)fr_model_max_units(m);
    size_t V = (size_t)m->vocab_size;
    s->x0 = alloc_floats(B * (size_t)m->input_size, &total);
    s->pre = alloc_floats(gates, &total);
    if (lstm)
        s->xh = alloc_floats(B * (size_t)max_xh(m), &total);
    else
        s->pre_hid = alloc_floats(gates, &total);
    s->logits = alloc_floats(B * V, &total);
    s->logits_new = alloc_floats(B * V, &total);
    s->probs = alloc_floats(B * V, &total);
    if (!s->x0 || !s->pre || !(lstm ? s->xh : s->pre_hid) || !s->logits || !s->logits_new ||
        !s->probs)
        return fr_oom("state buffers", total);
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_state_new(const folkrnn_model *m, int nstreams, folkrnn_state **out)
{
    if (out)
        *out = NULL;
    if (!m || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_new: NULL %s", m ? "out" : "model");
    if (nstreams < 1 || nstreams > (1 << 20))
        return fr_error(FOLKRNN_E_INVALID, "number of streams %d is not in [1, %d]", nstreams,
                        1 << 20);
    struct folkrnn_state *s = calloc(1, sizeof *s);
    if (!s)
        return fr_oom("state", sizeof *s);
    s->m = m;
    s->nstreams = nstreams;
    int rc = alloc_buffers(s);
    if (rc < 0) {
        folkrnn_state_free(s);
        return rc;
    }
    folkrnn_state_reset(s);
    *out = s;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_state_reset(folkrnn_state *s)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_reset: NULL state");
    const struct folkrnn_model *m = s->m;
    for (int l = 0; l < m->num_layers; l++) {
        const struct fr_layer *L = &m->layers[l];
        size_t U = (size_t)L->units;
        for (int b = 0; b < s->nstreams; b++) {
            memcpy(s->h[l] + (size_t)b * U, L->hid_init, U * sizeof(float));
            if (L->cell_init)
                memcpy(s->c[l] + (size_t)b * U, L->cell_init, U * sizeof(float));
        }
    }
    s->step = 0;
    s->has_logits = 0;
    return FOLKRNN_OK;
}

/* ---- hooks -------------------------------------------------------------------- */

static const char *const point_names[FOLKRNN_HOOK_NPOINTS] = {
    "ingate", "forgetgate", "cellgate", "outgate", "cell",
    "hidden", "logits",     "probs",    "resetgate", "updategate"};

FOLKRNN_API const char *folkrnn_hook_point_name(int point)
{
    return point >= 0 && point < FOLKRNN_HOOK_NPOINTS ? point_names[point] : NULL;
}

FOLKRNN_API int folkrnn_hook_point_from_name(const char *name)
{
    for (int p = 0; name && p < FOLKRNN_HOOK_NPOINTS; p++)
        if (strcmp(name, point_names[p]) == 0)
            return p;
    return fr_error(FOLKRNN_E_INVALID, "unknown hook point \"%s\"", name ? name : "(null)");
}

/* Whether a cell type computes the quantity a hook point names. */
static int point_exists(int cell, int point)
{
    switch (point) {
    case FOLKRNN_HOOK_INGATE: case FOLKRNN_HOOK_FORGETGATE: case FOLKRNN_HOOK_OUTGATE:
    case FOLKRNN_HOOK_CELL:
        return cell == FOLKRNN_CELL_LSTM;
    case FOLKRNN_HOOK_RESETGATE: case FOLKRNN_HOOK_UPDATEGATE:
        return cell == FOLKRNN_CELL_GRU;
    default:
        return point >= 0 && point < FOLKRNN_HOOK_NPOINTS;
    }
}

FOLKRNN_API int folkrnn_state_add_hook(folkrnn_state *s, int point, int layer, folkrnn_hook_fn fn,
                                       void *user)
{
    if (!s || !fn)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_add_hook: NULL %s", s ? "fn" : "state");
    if (!point_exists(s->m->cell, point))
        return fr_error(FOLKRNN_E_INVALID, "hook point %d (%s) does not exist in a%s model", point,
                        folkrnn_hook_point_name(point) ? folkrnn_hook_point_name(point) : "unknown",
                        s->m->cell == FOLKRNN_CELL_LSTM ? "n LSTM" : " GRU");
    int per_layer = point != FOLKRNN_HOOK_LOGITS && point != FOLKRNN_HOOK_PROBS;
    if (!per_layer)
        layer = -1;
    if (layer < -1 || layer >= s->m->num_layers)
        return fr_error(FOLKRNN_E_RANGE, "hook layer %d is not -1 or in [0, %d)", layer,
                        s->m->num_layers);
    if (s->nhooks == s->hooks_cap) {
        int cap = s->hooks_cap ? 2 * s->hooks_cap : 8;
        struct hook *grown = realloc(s->hooks, (size_t)cap * sizeof *grown);
        if (!grown)
            return fr_oom("hook table", (size_t)cap * sizeof *grown);
        s->hooks = grown;
        s->hooks_cap = cap;
    }
    int id = s->next_hook_id++;
    s->hooks[s->nhooks++] = (struct hook){id, point, layer, fn, user};
    s->hooks_at[point]++;
    return id;
}

FOLKRNN_API int folkrnn_state_remove_hook(folkrnn_state *s, int hook_id)
{
    if (!s)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_remove_hook: NULL state");
    for (int i = 0; i < s->nhooks; i++) {
        if (s->hooks[i].id != hook_id)
            continue;
        s->hooks_at[s->hooks[i].point]--;
        memmove(s->hooks + i, s->hooks + i + 1, (size_t)(s->nhooks - i - 1) * sizeof *s->hooks);
        s->nhooks--;
        return FOLKRNN_OK;
    }
    return fr_error(FOLKRNN_E_RANGE, "no hook with id %d", hook_id);
}

/* Where in a step the hooks run: the event they are given. */
struct site {
    struct folkrnn_state *s;
    int layer, stream, token;
};

/* Run the hooks registered at point for this site over values[n]. */
static int run_hooks(const struct site *at, int point, float *values, int n)
{
    struct folkrnn_state *s = at->s;
    if (!s->hooks_at[point])
        return FOLKRNN_OK;
    folkrnn_hook_event ev = {point, at->layer, at->stream, s->step, at->token, n};
    for (int i = 0; i < s->nhooks; i++) {
        const struct hook *k = &s->hooks[i];
        if (k->point != point || (k->layer >= 0 && k->layer != at->layer))
            continue;
        int r = k->fn(&ev, values, k->user);
        if (r != 0)
            return fr_error(FOLKRNN_E_HOOK, "hook %d at %s (layer %d, stream %d, step %ld) "
                                            "returned %d; the step was undone",
                            k->id, point_names[point], at->layer, at->stream, s->step, r);
    }
    return FOLKRNN_OK;
}

/* ---- one layer of one stream ------------------------------------------------- */

/* LSTM cell for one stream: gates (4U) holds the pre-activations and is
   turned into i, f, g, o in place. */
static int lstm_stream(const struct site *at, int U, float *gates, const float *c_prev, float *c,
                       float *h)
{
    fr_lstm_gates(gates, U);
    int rc = run_hooks(at, FOLKRNN_HOOK_INGATE, gates, U);
    if (!rc)
        rc = run_hooks(at, FOLKRNN_HOOK_FORGETGATE, gates + U, U);
    if (!rc)
        rc = run_hooks(at, FOLKRNN_HOOK_CELLGATE, gates + 2 * U, U);
    if (!rc)
        rc = run_hooks(at, FOLKRNN_HOOK_OUTGATE, gates + 3 * U, U);
    if (rc)
        return rc;
    fr_lstm_cell(gates, c_prev, c, U);
    rc = run_hooks(at, FOLKRNN_HOOK_CELL, c, U);
    if (rc)
        return rc;
    fr_lstm_hidden(gates + 3 * U, c, h, U);
    return run_hooks(at, FOLKRNN_HOOK_HIDDEN, h, U);
}

/* GRU cell for one stream (Lasagne's GRULayer): gates r, u, candidate g,
   made in place in pre (3U). */
static int gru_stream(const struct site *at, int U, float *pre, const float *pre_hid,
                      const float *h_prev, float *h)
{
    fr_gru_gates(pre, pre_hid, U);
    int rc = run_hooks(at, FOLKRNN_HOOK_RESETGATE, pre, U);
    if (!rc)
        rc = run_hooks(at, FOLKRNN_HOOK_UPDATEGATE, pre + U, U);
    if (rc)
        return rc;
    fr_gru_candidate(pre, pre_hid, U);
    rc = run_hooks(at, FOLKRNN_HOOK_CELLGATE, pre + 2 * U, U);
    if (rc)
        return rc;
    fr_gru_hidden(pre + U, pre + 2 * U, h_prev, h, U);
    return run_hooks(at, FOLKRNN_HOOK_HIDDEN, h, U);
}

/* ---- the step ------------------------------------------------------------------- */

/* What the streams are fed: token ids, or weights over the vocabulary. */
struct feed {
    const int *tokens;    /* [B] ids or FOLKRNN_IDLE, or NULL */
    const float *weights; /* (B, V) when tokens is NULL */
};

static int stream_token(const struct feed *in, int b)
{
    return in->tokens ? in->tokens[b] : -1;
}

static int stream_active(const struct feed *in, int b)
{
    return !in->tokens || in->tokens[b] != FOLKRNN_IDLE;
}

/* Layer 0's input x (B, in): NULL for token input to a one-hot model,
   whose rows of W_in are gathered into pre (which holds b) instead; the
   weights themselves for weighted input to a one-hot model; otherwise the
   embedding rows, or inputs x embedding, in x0. */
static const float *first_layer_input(struct folkrnn_state *s, const struct feed *in)
{
    const struct folkrnn_model *m = s->m;
    const struct fr_layer *L = &m->layers[0];
    size_t GU = (size_t)m->ngates * (size_t)L->units, I = (size_t)m->input_size;
    int B = s->nstreams;
    if (in->tokens) {
        for (int b = 0; b < B; b++) {
            int t = in->tokens[b] == FOLKRNN_IDLE ? 0 : in->tokens[b];
            if (m->onehot) {
                float *row = s->pre + (size_t)b * GU;
                const float *w = L->W_in + (size_t)t * GU;
                for (size_t j = 0; j < GU; j++)
                    row[j] += w[j];
            } else {
                memcpy(s->x0 + (size_t)b * I, m->embedding + (size_t)t * I, I * sizeof(float));
            }
        }
        return m->onehot ? NULL : s->x0;
    }
    if (m->onehot)
        return in->weights;
    memset(s->x0, 0, (size_t)B * I * sizeof(float));
    fr_matmul_acc(B, m->vocab_size, (int)I, in->weights, m->vocab_size, m->embedding, (int)I,
                  s->x0, (int)I);
    return s->x0;
}

/* The products of layer l into pre (B, G*U), which holds b (and any
   gathered rows) already, x (B, in) being its input or NULL when that part
   is in pre.  LSTM: pre += [x h_prev] [W_in; W_hid], one product (two when
   the input was gathered).  GRU: pre += x W_in and pre_hid = h_prev W_hid. */
static void gate_products(struct folkrnn_state *s, int l, const float *x)
{
    const struct fr_layer *L = &s->m->layers[l];
    int B = s->nstreams, U = L->units, GU = s->m->ngates * U, K = L->in + U;
    if (s->pre_hid) {
        if (x)
            fr_matmul_acc(B, L->in, GU, x, L->in, L->W_in, GU, s->pre, GU);
        memset(s->pre_hid, 0, (size_t)B * GU * sizeof(float));
        fr_matmul_acc(B, U, GU, s->h[l], U, L->W_hid, GU, s->pre_hid, GU);
    } else if (!x) {
        fr_matmul_acc(B, U, GU, s->h[l], U, L->W_hid, GU, s->pre, GU);
    } else {
        for (int b = 0; b < B; b++) {
            float *row = s->xh + (size_t)b * K;
            memcpy(row, x + (size_t)b * L->in, (size_t)L->in * sizeof(float));
            memcpy(row + L->in, s->h[l] + (size_t)b * U, (size_t)U * sizeof(float));
        }
        fr_matmul_acc(B, K, GU, s->xh, K, L->W_in, GU, s->pre, GU);
    }
}

/* Layer l for every stream: products, then the cell of each active stream;
   idle streams keep their h and c. */
static int layer_step(struct folkrnn_state *s, int l, const struct feed *in)
{
    const struct folkrnn_model *m = s->m;
    const struct fr_layer *L = &m->layers[l];
    int B = s->nstreams, U = L->units, GU = m->ngates * U;
    for (int b = 0; b < B; b++)
        memcpy(s->pre + (size_t)b * GU, L->b, (size_t)GU * sizeof(float));
    gate_products(s, l, l == 0 ? first_layer_input(s, in) : s->h_new[l - 1]);

    for (int b = 0; b < B; b++) {
        size_t row = (size_t)b * U;
        if (!stream_active(in, b)) {
            memcpy(s->h_new[l] + row, s->h[l] + row, (size_t)U * sizeof(float));
            if (s->c[l])
                memcpy(s->c_new[l] + row, s->c[l] + row, (size_t)U * sizeof(float));
            continue;
        }
        struct site at = {s, l, b, stream_token(in, b)};
        float *pre = s->pre + (size_t)b * GU;
        int rc = m->cell == FOLKRNN_CELL_LSTM
                     ? lstm_stream(&at, U, pre, s->c[l] + row, s->c_new[l] + row,
                                   s->h_new[l] + row)
                     : gru_stream(&at, U, pre, s->pre_hid + (size_t)b * GU, s->h[l] + row,
                                  s->h_new[l] + row);
        if (rc)
            return rc;
    }
    return FOLKRNN_OK;
}

/* Dense layer and softmax for every active stream, into logits_new/probs. */
static int output_step(struct folkrnn_state *s, const struct feed *in, float *probs_out)
{
    const struct folkrnn_model *m = s->m;
    int B = s->nstreams, V = m->vocab_size, last = m->num_layers - 1;
    int U = m->layers[last].units;
    for (int b = 0; b < B; b++)
        memcpy(s->logits_new + (size_t)b * V, m->dense_b, (size_t)V * sizeof(float));
    fr_matmul_acc(B, U, V, s->h_new[last], U, m->dense_W, V, s->logits_new, V);
    for (int b = 0; b < B; b++) {
        size_t row = (size_t)b * V;
        if (!stream_active(in, b)) {
            memcpy(s->logits_new + row, s->logits + row, (size_t)V * sizeof(float));
            continue;
        }
        struct site at = {s, -1, b, stream_token(in, b)};
        int rc = run_hooks(&at, FOLKRNN_HOOK_LOGITS, s->logits_new + row, V);
        if (rc)
            return rc;
        if (!probs_out && !s->hooks_at[FOLKRNN_HOOK_PROBS])
            continue;
        float *p = s->probs + row;
        memcpy(p, s->logits_new + row, (size_t)V * sizeof(float));
        fr_softmax(p, V);
        rc = run_hooks(&at, FOLKRNN_HOOK_PROBS, p, V);
        if (rc)
            return rc;
        if (probs_out)
            memcpy(probs_out + row, p, (size_t)V * sizeof(float));
    }
    return FOLKRNN_OK;
}

static void swap_buffers(float **a, float **b)
{
    float *t = *a;
    *a = *b;
    *b = t;
}

/* The step proper: compute everything into the scratch buffers, then make
   them the state. */
static int step(struct folkrnn_state *s, const struct feed *in, float *probs)
{
    const struct folkrnn_model *m = s->m;
    for (int l = 0; l < m->num_layers; l++) {
        int rc = layer_step(s, l, in);
        if (rc)
            return rc;
    }
    int rc = output_step(s, in, probs);
    if (rc)
        return rc;
    for (int l = 0; l < m->num_layers; l++) {
        swap_buffers(&s->h[l], &s->h_new[l]);
        swap_buffers(&s->c[l], &s->c_new[l]);
    }
    swap_buffers(&s->logits, &s->logits_new);
    s->has_logits = 1;
    s->step++;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_state_step(folkrnn_state *s, const int *tokens, float *probs)
{
    if (!s || !tokens)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_step: NULL %s", s ? "tokens" : "state");
    int V = s->m->vocab_size;
    for (int b = 0; b < s->nstreams; b++)
        if (tokens[b] != FOLKRNN_IDLE && (tokens[b] < 0 || tokens[b] >= V))
            return fr_error(FOLKRNN_E_RANGE, "stream %d: token id %d is not in [0, %d)", b,
                            tokens[b], V);
    struct feed in = {tokens, NULL};
    return step(s, &in, probs);
}

FOLKRNN_API int folkrnn_state_step_input(folkrnn_state *s, const float *inputs, float *probs)
{
    if (!s || !inputs)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_step_input: NULL %s",
                        s ? "inputs" : "state");
    size_t V = (size_t)s->m->vocab_size;
    for (size_t k = 0; k < (size_t)s->nstreams * V; k++)
        if (!isfinite(inputs[k]))
            return fr_error(FOLKRNN_E_NUMERIC, "stream %zu: input weight of token %zu is %g",
                            k / V, k % V, (double)inputs[k]);
    struct feed in = {NULL, inputs};
    return step(s, &in, probs);
}

/* ---- copies and accessors ---------------------------------------------------- */

/* Copy stream sb of src into stream db of dst (same model). */
static void copy_stream(struct folkrnn_state *dst, int db, const struct folkrnn_state *src, int sb)
{
    const struct folkrnn_model *m = src->m;
    for (int l = 0; l < m->num_layers; l++) {
        size_t U = (size_t)m->layers[l].units;
        memcpy(dst->h[l] + (size_t)db * U, src->h[l] + (size_t)sb * U, U * sizeof(float));
        if (src->c[l])
            memcpy(dst->c[l] + (size_t)db * U, src->c[l] + (size_t)sb * U, U * sizeof(float));
    }
    size_t V = (size_t)m->vocab_size;
    memcpy(dst->logits + (size_t)db * V, src->logits + (size_t)sb * V, V * sizeof(float));
}

FOLKRNN_API int folkrnn_state_copy(folkrnn_state *dst, const folkrnn_state *src)
{
    if (!dst || !src)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_copy: NULL %s", dst ? "src" : "dst");
    if (dst->m != src->m || dst->nstreams != src->nstreams)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_copy: states differ in %s",
                        dst->m != src->m ? "model" : "number of streams");
    for (int b = 0; b < src->nstreams; b++)
        copy_stream(dst, b, src, b);
    dst->step = src->step;
    dst->has_logits = src->has_logits;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_state_copy_stream(folkrnn_state *dst, int dst_stream,
                                          const folkrnn_state *src, int src_stream)
{
    if (!dst || !src)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_copy_stream: NULL %s",
                        dst ? "src" : "dst");
    if (dst->m != src->m)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_state_copy_stream: states of different models");
    if (dst_stream < 0 || dst_stream >= dst->nstreams || src_stream < 0 ||
        src_stream >= src->nstreams)
        return fr_error(FOLKRNN_E_RANGE, "stream %d -> %d out of range (%d and %d streams)",
                        src_stream, dst_stream, src->nstreams, dst->nstreams);
    copy_stream(dst, dst_stream, src, src_stream);
    return FOLKRNN_OK;
}

FOLKRNN_API const folkrnn_model *folkrnn_state_model(const folkrnn_state *s)
{
    return s ? s->m : NULL;
}

FOLKRNN_API int folkrnn_state_nstreams(const folkrnn_state *s)
{
    return s ? s->nstreams : fr_error(FOLKRNN_E_INVALID, "folkrnn_state_nstreams: NULL state");
}

FOLKRNN_API long folkrnn_state_steps(const folkrnn_state *s)
{
    return s ? s->step : fr_error(FOLKRNN_E_INVALID, "folkrnn_state_steps: NULL state");
}

FOLKRNN_API float *folkrnn_state_vector(folkrnn_state *s, int point, int layer, int stream)
{
    if (!s) {
        fr_error(FOLKRNN_E_INVALID, "folkrnn_state_vector: NULL state");
        return NULL;
    }
    if (stream < 0 || stream >= s->nstreams) {
        fr_error(FOLKRNN_E_RANGE, "stream %d is not in [0, %d)", stream, s->nstreams);
        return NULL;
    }
    const struct folkrnn_model *m = s->m;
    if (point == FOLKRNN_HOOK_LOGITS) {
        if (!s->has_logits) {
            fr_error(FOLKRNN_E_INVALID, "no logits before the first step");
            return NULL;
        }
        return s->logits + (size_t)stream * (size_t)m->vocab_size;
    }
    if (layer < 0 || layer >= m->num_layers) {
        fr_error(FOLKRNN_E_RANGE, "layer %d is not in [0, %d)", layer, m->num_layers);
        return NULL;
    }
    size_t row = (size_t)stream * (size_t)m->layers[layer].units;
    if (point == FOLKRNN_HOOK_HIDDEN)
        return s->h[layer] + row;
    if (point == FOLKRNN_HOOK_CELL && s->c[layer])
        return s->c[layer] + row;
    fr_error(FOLKRNN_E_INVALID, "point %d has no stored vector (use hidden, cell or logits)",
             point);
    return NULL;
}
