/* train_bptt.c -- forward and backward passes of a packed batch
   (backpropagation through time), for LSTM and GRU stacks with folk-rnn's
   one-hot input, dropout between layers, dense softmax output and Lasagne's
   gradient clipping.

   Layout (see train_internal.h): every per-position matrix has one row per
   real (tune, step) position, step-major, so a step's rows are contiguous
   and all steps of a layer form one matrix.  Per layer the work is:
     forward:  G = X W_in + b for all positions in one product (one-hot input:
               a row gather), then per step G_t += H_{t-1} W_hid and the
               elementwise cell;
     backward: per step the elementwise gradients (clipped like Lasagne) and
               dH_{t-1} = dG_t W_hid^T; after the loop one product each for
               dW_hid = H_prev^T dG, dW_in = X^T dG and dX = dG W_in^T.
   Gradients are written over the activations they come from, so a layer
   needs no more memory for its backward pass than for its forward pass.

   Lasagne's equations (row vectors), gates packed as in the model:
     LSTM  i f g o = sig, sig, tanh, sig of (x W_in + h_prev W_hid + b)
           c = f c_prev + i g;  h = o tanh(c)
           grad_clipping clips d(loss)/d(gate pre-activations) to [-clip, clip].
     GRU   r = sig(x W_xr + h_prev W_hr + b_r);  u = sig(x W_xu + h_prev W_hu + b_u)
           c = tanh(x W_xc + r (h_prev W_hc) + b_c);  h = (1 - u) h_prev + u c
           grad_clipping clips the gradients of x W_in + b, of h_prev W_hid,
           and of the candidate's pre-activation.
   Dropout (Lasagne's DropoutLayer, rescaled) multiplies a layer's output by
   mask / (1 - p) on its way to the next layer or the dense layer; the
   recurrence inside the layer uses the undropped h. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "train_internal.h"
#include "simd.h"

/* ---- buffers ------------------------------------------------------------------ */

struct layer_buf {
    float *gates;  /* (cap, ngates*U): pre-activations, then activations, then their gradients */
    float *hid_in; /* GRU (cap, 3U): h_prev W_hid, then its gradient; NULL for LSTM */
    float *prev;   /* (cap, U): row (t, b) holds h_{t-1} of tune b (hid_init at t = 0) */
    float *cell;   /* LSTM (cap, U): c_t; NULL for GRU */
    float *out;    /* (cap, U): h_t after dropout: the next layer's input */
};

struct fr_bptt {
    int nlayers;
    long cap;          /* rows every per-position matrix has room for */
    int cap_tunes;     /* rows of the recurrent gradient buffers */
    struct layer_buf *L; /* [nlayers] */
    float *logits;     /* (cap, V): logits, then d(loss)/d(logits) */
    float *dout;       /* (cap, maxU): d(loss)/d(out) of the layer being backpropagated */
    float *din;        /* (cap, maxU): d(loss)/d(its input) = dout of the layer below */
    float *dh;         /* (cap_tunes, maxU): d(loss)/d(h_{t-1}) through the recurrence */
    float *dc;         /* (cap_tunes, maxU): LSTM d(loss)/d(c_{t-1}) */
};

static void free_buffers(struct fr_bptt *w)
{
    for (int l = 0; l < w->nlayers; l++) {
        free(w->L[l].gates);
        free(w->L[l].hid_in);
        free(w->L[l].prev);
        free(w->L[l].cell);
        free(w->L[l].out);
        memset(&w->L[l], 0, sizeof w->L[l]);
    }
    free(w->logits);
    free(w->dout);
    free(w->din);
    free(w->dh);
    free(w->dc);
    w->logits = w->dout = w->din = w->dh = w->dc = NULL;
    w->cap = 0;
    w->cap_tunes = 0;
}

static float *alloc_floats(size_t n, size_t *total)
{
    *total += n * sizeof(float);
    return malloc(n * sizeof(float));
}

/* Room for npos positions and ntunes tunes; contents are not kept. */
static int reserve(struct fr_bptt *w, const struct folkrnn_model *m, long npos, int ntunes)
{
    if (npos <= w->cap && ntunes <= w->cap_tunes)
        return FOLKRNN_OK;
    long cap = npos > w->cap ? npos : w->cap;
    int cap_tunes = ntunes > w->cap_tunes ? ntunes : w->cap_tunes;
    free_buffers(w);
    size_t n = (size_t)cap, total = 0, U = (size_t)fr_model_max_units(m);
    int ok = 1;
    for (int l = 0; l < m->num_layers; l++) {
        size_t u = (size_t)m->layers[l].units, g = (size_t)m->ngates * u;
        struct layer_buf *b = &w->L[l];
        ok &= (b->gates = alloc_floats(n * g, &total)) != NULL;
        ok &= (b->prev = alloc_floats(n * u, &total)) != NULL;
        ok &= (b->out = alloc_floats(n * u, &total)) != NULL;
        if (m->cell == FOLKRNN_CELL_GRU)
            ok &= (b->hid_in = alloc_floats(n * g, &total)) != NULL;
        else
            ok &= (b->cell = alloc_floats(n * u, &total)) != NULL;
    }
    ok &= (w->logits = alloc_floats(n * (size_t)m->vocab_size, &total)) != NULL;
    ok &= (w->dout = alloc_floats(n * U, &total)) != NULL;
    ok &= (w->din = alloc_floats(n * U, &total)) != NULL;
    ok &= (w->dh = alloc_floats((size_t)cap_tunes * U, &total)) != NULL;
    ok &= (w->dc = alloc_floats((size_t)cap_tunes * U, &total)) != NULL;
    if (!ok) {
        free_buffers(w);
        return fr_oom("training activations", total);
    }
    w->cap = cap;
    w->cap_tunes = cap_tunes;
    return FOLKRNN_OK;
}

int fr_bptt_new(const struct folkrnn_model *m, struct fr_bptt **out)
{
    struct fr_bptt *w = calloc(1, sizeof *w);
    if (w)
        w->L = calloc((size_t)m->num_layers, sizeof *w->L);
    if (!w || !w->L) {
        free(w);
        *out = NULL;
        return fr_oom("training work space", sizeof *w);
    }
    w->nlayers = m->num_layers;
    *out = w;
    return FOLKRNN_OK;
}

void fr_bptt_free(struct fr_bptt *w)
{
    if (!w)
        return;
    free_buffers(w);
    free(w->L);
    free(w);
}

int fr_trainable_ranges(const struct folkrnn_model *m, size_t *off, size_t *len)
{
    for (int l = 0; l < m->num_layers; l++) {
        const struct fr_layer *L = &m->layers[l];
        size_t g = (size_t)m->ngates * (size_t)L->units;
        off[l] = (size_t)(L->W_in - m->storage);
        len[l] = (size_t)L->in * g + (size_t)L->units * g + g; /* W_in, W_hid, b */
    }
    int top = m->layers[m->num_layers - 1].units;
    off[m->num_layers] = (size_t)(m->dense_W - m->storage);
    len[m->num_layers] = (size_t)top * (size_t)m->vocab_size + (size_t)m->vocab_size;
    return m->num_layers + 1;
}

/* ---- elementwise kernels ------------------------------------------------------------ */

/* Multiply x[0..n) by the dropout mask of one row: each unit is 0 with
   probability p, else scaled by 1 / (1 - p).  The mask is a function of key
   alone, so the backward pass regenerates it instead of storing it. */
static void dropout_row(float *x, int n, uint64_t key, float p)
{
    double t = (double)p * 4294967296.0;
    uint32_t threshold = t >= 4294967295.0 ? 4294967295u : (uint32_t)t;
    float scale = 1.0f / (1.0f - p);
    for (int j = 0; j < n; j += 2) {
        uint64_t r = fr_mix64(key + (uint64_t)(j / 2) * FR_GOLDEN64);
        x[j] = (uint32_t)r < threshold ? 0.0f : x[j] * scale;
        if (j + 1 < n)
            x[j + 1] = (uint32_t)(r >> 32) < threshold ? 0.0f : x[j + 1] * scale;
    }
}

/* The key of row (t, tune i) of layer l's dropout. */
static uint64_t dropout_key(const struct fr_batch *b, int l, int t, int i)
{
    return fr_key(fr_key(b->key, (uint64_t)l), ((uint64_t)(b->first_slot + i) << 32) | (uint32_t)t);
}

static void apply_dropout(float *x, int U, const struct fr_batch *b, int l, float p)
{
    if (p <= 0.0f)
        return;
    for (int t = 0; t < b->nsteps; t++)
        for (int i = 0; i < b->active[t]; i++)
            dropout_row(x + (size_t)(b->offset[t] + i) * U, U, dropout_key(b, l, t, i), p);
}

/* The row kernels below run eight units at a time (simd.h); k is the
   number of lanes in use, 8 but at a row's end.  clip is +infinity when
   there is no clipping, so clamping then changes nothing. */
#define LANES(j, k, U) for (int j = 0, k = (U) < 8 ? (U) : 8; j < (U); j += 8, k = (U) - j < 8 ? (U) - j : 8)

/* One LSTM row: g[4U] pre-activations in, activations out; c = cell. */
FR_MULTIVERSION
static void lstm_row_forward(float *restrict g, const float *restrict c_prev, float *restrict c,
                             float *restrict h, int U)
{
    LANES(j, k, U) {
        fr_v8 i = fr_vsigmoid(fr_v8_load(g + j, k));
        fr_v8 f = fr_vsigmoid(fr_v8_load(g + U + j, k));
        fr_v8 gg = fr_vtanh(fr_v8_load(g + 2 * U + j, k));
        fr_v8 o = fr_vsigmoid(fr_v8_load(g + 3 * U + j, k));
        fr_v8 cj = f * fr_v8_load(c_prev + j, k) + i * gg;
        fr_v8_store(g + j, i, k);
        fr_v8_store(g + U + j, f, k);
        fr_v8_store(g + 2 * U + j, gg, k);
        fr_v8_store(g + 3 * U + j, o, k);
        fr_v8_store(c + j, cj, k);
        fr_v8_store(h + j, o * fr_vtanh(cj), k);
    }
}

/* One LSTM row backward: g[4U] activations in, clipped pre-activation
   gradients out.  dh = gradient from above (+ recurrent dh_rec when not
   NULL); dc_in is d/dc_t from step t+1 (or NULL); dc_out receives
   d/dc_{t-1} (it may be dc_in). */
FR_MULTIVERSION
static void lstm_row_backward(float *restrict g, const float *restrict c,
                              const float *restrict c_prev, const float *restrict dh_above,
                              const float *dh_rec, const float *dc_in, float *dc_out, float clip,
                              int U)
{
    const fr_v8 one = fr_v8_set(1.0f);
    LANES(j, k, U) {
        fr_v8 dh = fr_v8_load(dh_above + j, k);
        if (dh_rec)
            dh += fr_v8_load(dh_rec + j, k);
        fr_v8 i = fr_v8_load(g + j, k), f = fr_v8_load(g + U + j, k);
        fr_v8 gg = fr_v8_load(g + 2 * U + j, k), o = fr_v8_load(g + 3 * U + j, k);
        fr_v8 th = fr_vtanh(fr_v8_load(c + j, k));
        fr_v8 dc = dh * o * (one - th * th);
        if (dc_in)
            dc += fr_v8_load(dc_in + j, k);
        fr_v8 di = dc * gg * i * (one - i);
        fr_v8 df = dc * fr_v8_load(c_prev + j, k) * f * (one - f);
        fr_v8 dg = dc * i * (one - gg * gg);
        fr_v8 dout = dh * th * o * (one - o);
        fr_v8_store(g + j, fr_v8_clamp(di, -clip, clip), k);
        fr_v8_store(g + U + j, fr_v8_clamp(df, -clip, clip), k);
        fr_v8_store(g + 2 * U + j, fr_v8_clamp(dg, -clip, clip), k);
        fr_v8_store(g + 3 * U + j, fr_v8_clamp(dout, -clip, clip), k);
        fr_v8_store(dc_out + j, dc * f, k);
    }
}

/* One GRU row: g[3U] input pre-activations, hh[3U] = h_prev W_hid. */
FR_MULTIVERSION
static void gru_row_forward(float *restrict g, const float *restrict hh,
                            const float *restrict h_prev, float *restrict h, int U)
{
    LANES(j, k, U) {
        fr_v8 r = fr_vsigmoid(fr_v8_load(g + j, k) + fr_v8_load(hh + j, k));
        fr_v8 u = fr_vsigmoid(fr_v8_load(g + U + j, k) + fr_v8_load(hh + U + j, k));
        fr_v8 c = fr_vtanh(fr_v8_load(g + 2 * U + j, k) + r * fr_v8_load(hh + 2 * U + j, k));
        fr_v8_store(g + j, r, k);
        fr_v8_store(g + U + j, u, k);
        fr_v8_store(g + 2 * U + j, c, k);
        fr_v8_store(h + j, (fr_v8_set(1.0f) - u) * fr_v8_load(h_prev + j, k) + u * c, k);
    }
}

/* One GRU row backward: g (activations r, u, c) becomes the clipped
   gradient of x W_in + b, hh that of h_prev W_hid; dh_prev receives the
   direct part (1 - u) dh of d/dh_{t-1} (it may be dh_rec). */
FR_MULTIVERSION
static void gru_row_backward(float *restrict g, float *restrict hh, const float *restrict h_prev,
                             const float *restrict dh_above, const float *dh_rec, float *dh_prev,
                             float clip, int U)
{
    const fr_v8 one = fr_v8_set(1.0f);
    LANES(j, k, U) {
        fr_v8 dh = fr_v8_load(dh_above + j, k);
        if (dh_rec)
            dh += fr_v8_load(dh_rec + j, k);
        fr_v8 r = fr_v8_load(g + j, k), u = fr_v8_load(g + U + j, k);
        fr_v8 c = fr_v8_load(g + 2 * U + j, k), hc = fr_v8_load(hh + 2 * U + j, k);
        fr_v8 dcand = fr_v8_clamp(dh * u * (one - c * c), -clip, clip);
        fr_v8 du = fr_v8_clamp(dh * (c - fr_v8_load(h_prev + j, k)) * u * (one - u), -clip, clip);
        fr_v8 dr = fr_v8_clamp(dcand * hc * r * (one - r), -clip, clip);
        fr_v8_store(g + j, dr, k);
        fr_v8_store(g + U + j, du, k);
        fr_v8_store(g + 2 * U + j, dcand, k);
        fr_v8_store(hh + j, dr, k);
        fr_v8_store(hh + U + j, du, k);
        fr_v8_store(hh + 2 * U + j, fr_v8_clamp(dcand * r, -clip, clip), k);
        fr_v8_store(dh_prev + j, dh * (one - u), k);
    }
}

/* y[0..n) += x[0..n) */
FR_MULTIVERSION
static void add_row(float *restrict y, const float *restrict x, int n)
{
    LANES(j, k, n)
        fr_v8_store(y + j, fr_v8_load(y + j, k) + fr_v8_load(x + j, k), k);
}

/* y[0..n) = x[0..n) + b[0..n) */
FR_MULTIVERSION
static void sum_row(float *restrict y, const float *restrict x, const float *restrict b, int n)
{
    LANES(j, k, n)
        fr_v8_store(y + j, fr_v8_load(x + j, k) + fr_v8_load(b + j, k), k);
}

/* z[0..n) = exp(z - max); returns the sum in double. */
FR_MULTIVERSION
static double exp_row(float *z, int n, float max)
{
    double sum = 0.0;
    LANES(j, k, n) {
        fr_v8 e = fr_vexp(fr_v8_load(z + j, k) - fr_v8_set(max));
        fr_v8_store(z + j, e, k);
        for (int q = 0; q < k; q++)
            sum += e[q];
    }
    return sum;
}

/* ---- one layer ---------------------------------------------------------------- */

/* G = X W_in + b for every position; x NULL means one-hot input. */
static void input_projection(const struct fr_layer *L, int ngates, const struct fr_batch *b,
                             const float *x, float *G)
{
    size_t width = (size_t)ngates * (size_t)L->units;
    for (long p = 0; p < b->npos; p++) {
        float *row = G + (size_t)p * width;
        if (x) {
            memcpy(row, L->b, width * sizeof *row);
        } else {
            sum_row(row, L->W_in + (size_t)b->input[p] * width, L->b, (int)width);
        }
    }
    if (x)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b->npos, (int)width, L->in,
                    1.0f, x, L->in, L->W_in, (int)width, 1.0f, G, (int)width);
}

static void layer_forward(const struct folkrnn_model *m, int l, struct layer_buf *lb,
                          const struct fr_batch *b, const float *x, float dropout)
{
    const struct fr_layer *L = &m->layers[l];
    int U = L->units, width = m->ngates * U, lstm = m->cell == FOLKRNN_CELL_LSTM;
    input_projection(L, m->ngates, b, x, lb->gates);
    for (int i = 0; i < b->active[0]; i++)
        memcpy(lb->prev + (size_t)i * U, L->hid_init, (size_t)U * sizeof(float));
    for (int t = 0; t < b->nsteps; t++) {
        int n = b->active[t], next = t + 1 < b->nsteps ? b->active[t + 1] : 0;
        size_t off = (size_t)b->offset[t];
        float *G = lb->gates + off * width, *Hprev = lb->prev + off * U;
        float *Hh = lstm ? G : lb->hid_in + off * width;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, width, U, 1.0f, Hprev, U,
                    L->W_hid, width, lstm ? 1.0f : 0.0f, Hh, width);
        for (int i = 0; i < n; i++) {
            float *h = lb->out + (off + i) * U;
            if (lstm) {
                const float *c_prev =
                    t ? lb->cell + ((size_t)b->offset[t - 1] + i) * U : L->cell_init;
                lstm_row_forward(G + (size_t)i * width, c_prev, lb->cell + (off + i) * U, h, U);
            } else {
                gru_row_forward(G + (size_t)i * width, Hh + (size_t)i * width,
                                Hprev + (size_t)i * U, h, U);
            }
            if (i < next)
                memcpy(lb->prev + ((size_t)b->offset[t + 1] + i) * U, h, (size_t)U * sizeof *h);
        }
    }
    apply_dropout(lb->out, U, b, l, dropout);
}

/* Column sums of A (rows, n) added to s[n]. */
static void add_column_sums(const float *A, long rows, int n, float *s)
{
    for (long p = 0; p < rows; p++)
        add_row(s, A + (size_t)p * n, n);
}

/* Backward through layer l.  dout (npos, U) is d(loss)/d(out) and is
   consumed; din (npos, in) receives d(loss)/d(x) unless l is 0. */
static void layer_backward(const struct folkrnn_model *m, int l, struct fr_bptt *w,
                           const struct fr_batch *b, const float *x, const struct fr_pass *pass,
                           struct fr_layer *dL)
{
    const struct fr_layer *L = &m->layers[l];
    struct layer_buf *lb = &w->L[l];
    int U = L->units, width = m->ngates * U, lstm = m->cell == FOLKRNN_CELL_LSTM;
    float clip = pass->clip > 0.0f ? pass->clip : INFINITY;
    apply_dropout(w->dout, U, b, l, pass->dropout);
    int nrec = 0; /* rows of w->dh / w->dc holding gradients from step t+1 */
    for (int t = b->nsteps - 1; t >= 0; t--) {
        int n = b->active[t];
        size_t off = (size_t)b->offset[t];
        float *G = lb->gates + off * width;
        float *dG_hid = lstm ? G : lb->hid_in + off * width;
        for (int i = 0; i < n; i++) {
            const float *dh_above = w->dout + (off + i) * U;
            const float *dh_rec = i < nrec ? w->dh + (size_t)i * U : NULL;
            if (lstm) {
                const float *c_prev =
                    t ? lb->cell + ((size_t)b->offset[t - 1] + i) * U : L->cell_init;
                float *dc = w->dc + (size_t)i * U;
                lstm_row_backward(G + (size_t)i * width, lb->cell + (off + i) * U, c_prev,
                                  dh_above, dh_rec, i < nrec ? dc : NULL, dc, clip, U);
            } else {
                gru_row_backward(G + (size_t)i * width, dG_hid + (size_t)i * width,
                                 lb->prev + (off + i) * U, dh_above, dh_rec,
                                 w->dh + (size_t)i * U, clip, U);
            }
        }
        /* dh_{t-1} (+)= dG_hid W_hid^T; the GRU rows already hold (1 - u) dh. */
        if (t > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, U, width, 1.0f, dG_hid,
                        width, L->W_hid, width, lstm ? 0.0f : 1.0f, w->dh, U);
        nrec = n;
    }
    int npos = (int)b->npos;
    const float *dG_hid_all = lstm ? lb->gates : lb->hid_in;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, U, width, npos, 1.0f, lb->prev, U,
                dG_hid_all, width, 1.0f, dL->W_hid, width);
    add_column_sums(lb->gates, b->npos, width, dL->b);
    if (x) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->in, width, npos, 1.0f, x, L->in,
                    lb->gates, width, 1.0f, dL->W_in, width);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, npos, L->in, width, 1.0f, lb->gates,
                    width, L->W_in, width, 0.0f, w->din, L->in);
    } else {
        for (long p = 0; p < b->npos; p++)
            add_row(dL->W_in + (size_t)b->input[p] * width, lb->gates + (size_t)p * width, width);
    }
}

/* ---- output layer ------------------------------------------------------------ */

/* Softmax NLL of one logit row; when scale is not 0, the row becomes
   scale * d(NLL)/d(logits) = scale * (softmax - onehot(target)). */
static double row_nll(float *z, int V, int target, float scale)
{
    float max = z[0];
    for (int k = 1; k < V; k++)
        if (z[k] > max)
            max = z[k];
    float zt = z[target];
    double sum = exp_row(z, V, max);
    if (scale != 0.0f) {
        float s = (float)(scale / sum);
        for (int k = 0; k < V; k++)
            z[k] *= s;
        z[target] -= scale;
    }
    return log(sum) + (double)max - (double)zt;
}

/* Logits, summed NLL and, when grad is set, the dense layer's gradients and
   w->dout = d(loss)/d(top layer's out). */
static double dense_pass(const struct folkrnn_model *m, struct fr_bptt *w,
                         const struct fr_batch *b, const float *top, float scale,
                         struct folkrnn_model *grad)
{
    int V = m->vocab_size, U = m->layers[m->num_layers - 1].units, npos = (int)b->npos;
    for (long p = 0; p < b->npos; p++)
        memcpy(w->logits + (size_t)p * V, m->dense_b, (size_t)V * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, npos, V, U, 1.0f, top, U, m->dense_W,
                V, 1.0f, w->logits, V);
    double nll = 0.0;
    for (long p = 0; p < b->npos; p++)
        nll += row_nll(w->logits + (size_t)p * V, V, b->target[p], grad ? scale : 0.0f);
    if (grad) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, U, V, npos, 1.0f, top, U, w->logits,
                    V, 1.0f, grad->dense_W, V);
        add_column_sums(w->logits, b->npos, V, grad->dense_b);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, npos, U, V, 1.0f, w->logits, V,
                    m->dense_W, V, 0.0f, w->dout, U);
    }
    return nll;
}

/* ---- the pass ----------------------------------------------------------------- */

int fr_bptt_pass(struct fr_bptt *w, const struct folkrnn_model *m, const struct fr_batch *b,
                 const struct fr_pass *pass, struct folkrnn_model *grad, double *nll)
{
    int rc = reserve(w, m, b->npos, b->ntunes);
    if (rc < 0)
        return rc;
    const float *x = NULL; /* layer 0 reads one-hot tokens */
    for (int l = 0; l < m->num_layers; l++) {
        layer_forward(m, l, &w->L[l], b, x, pass->dropout);
        x = w->L[l].out;
    }
    *nll = dense_pass(m, w, b, x, pass->scale, grad);
    if (!grad)
        return FOLKRNN_OK;
    for (int l = m->num_layers - 1; l >= 0; l--) {
        const float *below = l ? w->L[l - 1].out : NULL;
        layer_backward(m, l, w, b, below, pass, &grad->layers[l]);
        float *tmp = w->dout; /* din of this layer is dout of the one below */
        w->dout = w->din;
        w->din = tmp;
    }
    return FOLKRNN_OK;
}
