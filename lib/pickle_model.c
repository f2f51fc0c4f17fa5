/* pickle_model.c -- a folk-rnn pickle dict to a struct folkrnn_model.

   The dict (reference: folkrnn-v2.md, "metadata/folkrnn_v2.pkl"):
     param_values  list of 3 + 14 L arrays:
                     [0]         embedding (V, I): identity for one-hot models
                     [1 + 14 l]  per layer, for each gate in ingate, forgetgate,
                                 cell, outgate: W_in (in, U), W_hid (U, U), b (U,);
                                 then cell_init and hid_init, (1, U) or (U,)
                     [1 + 14 L]  dense W (U_last, V), then dense b (V,)
     token2idx     dict token -> index, a permutation of 0 .. V-1
     anything else metadata: scalars as text, lists of numbers as JSON arrays.
   Layers, widths and vocabulary all come from the shapes. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pickle.h"

#define PARAMS_PER_LAYER 14
#define MAX_META_KEYS 1024 /* keys of the top dict; folk-rnn writes about ten */

int fr_is_pickle(const unsigned char *data, size_t size)
{
    return data && size >= 2 && data[0] == 0x80 && data[1] >= 2 && data[1] <= 5;
}

/* ---- shapes -------------------------------------------------------------- */

/* "(512,)", "(1, 512)", "()" as Python prints shapes. */
static const char *shape_text(char *buf, size_t cap, int ndim, const int64_t *dims)
{
    size_t len = (size_t)snprintf(buf, cap, "(");
    for (int k = 0; k < ndim && len < cap; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", k ? ", " : "", (long long)dims[k]);
    if (len < cap)
        snprintf(buf + len, cap - len, ndim == 1 ? ",)" : ")");
    return buf;
}

/* What parameter index i of a model with L layers is, for messages. */
static const char *param_name(char *buf, size_t cap, size_t i, int num_layers)
{
    static const char *const names[PARAMS_PER_LAYER] = {
        "W_in_to_ingate", "W_hid_to_ingate", "b_ingate",
        "W_in_to_forgetgate", "W_hid_to_forgetgate", "b_forgetgate",
        "W_in_to_cell", "W_hid_to_cell", "b_cell",
        "W_in_to_outgate", "W_hid_to_outgate", "b_outgate", "cell_init", "hid_init"};
    size_t last = 1 + PARAMS_PER_LAYER * (size_t)num_layers;
    if (i == 0)
        snprintf(buf, cap, "embedding");
    else if (i < last)
        snprintf(buf, cap, "%s of layer %zu", names[(i - 1) % PARAMS_PER_LAYER],
                 (i - 1) / PARAMS_PER_LAYER);
    else
        snprintf(buf, cap, i == last ? "dense W" : "dense b");
    return buf;
}

struct params {
    const struct fr_pk *list; /* param_values */
    int num_layers;
};

/* param_values[i] as a built array. */
static int get_array(const struct params *pv, size_t i, const struct fr_pk_array **out)
{
    const struct fr_pk *v = pv->list->u.seq.items[i];
    if (v->type != FR_PK_ARRAY || !v->u.arr->built) {
        char name[64];
        return fr_error(FOLKRNN_E_FORMAT, "param_values[%zu] (%s) is %s, not a numpy array", i,
                        param_name(name, sizeof name, i, pv->num_layers), fr_pk_type_name(v));
    }
    *out = v->u.arr;
    return 0;
}

/* Require shape (d0, d1) (ndim 2) or (d1,) (ndim 1); either when ndim is 0
   (for the initial states, which Lasagne keeps as (1, U) and others as (U,)). */
static int expect_shape(const struct params *pv, size_t i, int ndim, int64_t d0, int64_t d1)
{
    const struct fr_pk_array *a;
    int rc = get_array(pv, i, &a);
    if (rc)
        return rc;
    if (ndim == 0 && a->ndim == 1 && a->shape[0] == d1)
        return 0;
    int want = ndim ? ndim : 2;
    int64_t dims[2] = {want == 2 ? d0 : d1, d1};
    if (a->ndim == want && a->shape[0] == dims[0] && (want == 1 || a->shape[1] == d1))
        return 0;
    char got[200], expected[64], name[64];
    return fr_error(FOLKRNN_E_SHAPE, "param_values[%zu]: shape %s where %s was expected (%s)", i,
                    shape_text(got, sizeof got, a->ndim, a->shape),
                    shape_text(expected, sizeof expected, want, dims),
                    param_name(name, sizeof name, i, pv->num_layers));
}

/* A 2-d array's dimensions, each in 1 .. INT_MAX. */
static int matrix_dims(const struct params *pv, size_t i, int *rows, int *cols)
{
    const struct fr_pk_array *a;
    int rc = get_array(pv, i, &a);
    if (rc)
        return rc;
    if (a->ndim != 2 || a->shape[0] < 1 || a->shape[0] > INT_MAX || a->shape[1] < 1 ||
        a->shape[1] > INT_MAX) {
        char got[200], name[64];
        return fr_error(FOLKRNN_E_SHAPE, "param_values[%zu]: shape %s where a non-empty matrix "
                        "was expected (%s)", i, shape_text(got, sizeof got, a->ndim, a->shape),
                        param_name(name, sizeof name, i, pv->num_layers));
    }
    *rows = (int)a->shape[0];
    *cols = (int)a->shape[1];
    return 0;
}

/* The architecture from the shapes: units[num_layers] (malloc'd), vocab V,
   input width I; every shape checked against them. */
static int read_architecture(const struct params *pv, int **units_out, int *vocab, int *input)
{
    int V, I, in, rc = matrix_dims(pv, 0, &V, &I);
    if (rc)
        return rc;
    int L = pv->num_layers;
    int *units = malloc((size_t)L * sizeof *units);
    if (!units)
        return fr_oom("layer widths", (size_t)L * sizeof *units);
    in = I;
    for (int l = 0; l < L && !rc; l++) {
        size_t base = 1 + PARAMS_PER_LAYER * (size_t)l;
        int rows;
        rc = matrix_dims(pv, base, &rows, &units[l]);
        int U = units[l];
        for (size_t g = 0; g < 4 && !rc; g++) {
            rc = expect_shape(pv, base + 3 * g, 2, in, U);
            if (!rc)
                rc = expect_shape(pv, base + 3 * g + 1, 2, U, U);
            if (!rc)
                rc = expect_shape(pv, base + 3 * g + 2, 1, 0, U);
        }
        if (!rc)
            rc = expect_shape(pv, base + 12, 0, 1, U);
        if (!rc)
            rc = expect_shape(pv, base + 13, 0, 1, U);
        in = U;
    }
    size_t dense = 1 + PARAMS_PER_LAYER * (size_t)L;
    if (!rc)
        rc = expect_shape(pv, dense, 2, in, V);
    if (!rc)
        rc = expect_shape(pv, dense + 1, 1, 0, V);
    if (rc) {
        free(units);
        return rc;
    }
    *units_out = units;
    *vocab = V;
    *input = I;
    return 0;
}

/* ---- weights ------------------------------------------------------------- */

/* The first value of the file that is NaN or infinite, for the message. */
struct non_finite {
    long index; /* param_values index, -1 while all are finite */
    size_t row, col;
    float value;
};

/* Array i into rows x cols floats at dst (leading dimension ld), checked
   for NaN and infinities while it is still in cache. */
static void copy_param(const struct params *pv, size_t i, size_t rows, size_t cols, float *dst,
                       size_t ld, struct non_finite *bad)
{
    fr_pk_array_to_float(pv->list->u.seq.items[i]->u.arr, rows, cols, dst, ld);
    size_t r, c;
    if (bad->index < 0 && fr_find_non_finite(dst, rows, cols, ld, &r, &c))
        *bad = (struct non_finite){(long)i, r, c, dst[r * ld + c]};
}

/* Every array into the model's packed layout: gate g of a layer occupies
   columns [g*U, (g+1)*U) of W_in, W_hid and b. */
static void copy_weights(const struct params *pv, struct folkrnn_model *m, struct non_finite *bad)
{
    copy_param(pv, 0, (size_t)m->vocab_size, (size_t)m->input_size, m->embedding,
               (size_t)m->input_size, bad);
    for (int l = 0; l < m->num_layers; l++) {
        struct fr_layer *ly = &m->layers[l];
        size_t base = 1 + PARAMS_PER_LAYER * (size_t)l, U = (size_t)ly->units;
        size_t width = (size_t)m->ngates * U; /* columns of the packed blocks */
        for (size_t g = 0; g < 4; g++) {
            copy_param(pv, base + 3 * g, (size_t)ly->in, U, ly->W_in + g * U, width, bad);
            copy_param(pv, base + 3 * g + 1, U, U, ly->W_hid + g * U, width, bad);
            copy_param(pv, base + 3 * g + 2, 1, U, ly->b + g * U, width, bad);
        }
        copy_param(pv, base + 12, 1, U, ly->cell_init, U, bad);
        copy_param(pv, base + 13, 1, U, ly->hid_init, U, bad);
    }
    size_t dense = 1 + PARAMS_PER_LAYER * (size_t)m->num_layers, V = (size_t)m->vocab_size;
    size_t Ulast = (size_t)m->layers[m->num_layers - 1].units;
    copy_param(pv, dense, Ulast, V, m->dense_W, V, bad);
    copy_param(pv, dense + 1, 1, V, m->dense_b, V, bad);
}

/* ---- vocabulary ---------------------------------------------------------- */

static void free_tokens(char **tokens, int n)
{
    for (int k = 0; tokens && k < n; k++)
        free(tokens[k]);
    free(tokens);
}

/* token2idx: tokens[index] = token, checking it is a permutation of 0..V-1. */
static int read_tokens(const struct fr_pk *t2i, int V, char ***out)
{
    if (!t2i)
        return fr_error(FOLKRNN_E_FORMAT, "the pickle has no 'token2idx'");
    if (t2i->type != FR_PK_DICT)
        return fr_error(FOLKRNN_E_FORMAT, "token2idx is %s, not a dict", fr_pk_type_name(t2i));
    if (fr_pk_len(t2i) != (size_t)V)
        return fr_error(FOLKRNN_E_SHAPE, "token2idx has %zu tokens where the embedding and dense "
                        "layer have %d", fr_pk_len(t2i), V);
    char **tokens = calloc((size_t)V, sizeof *tokens);
    if (!tokens)
        return fr_oom("tokens", (size_t)V * sizeof *tokens);
    int rc = 0, oom;
    for (size_t k = 0; k < (size_t)V && !rc; k++) {
        const struct fr_pk *key = t2i->u.seq.items[2 * k], *val = t2i->u.seq.items[2 * k + 1];
        int64_t idx;
        char *text = fr_pk_text_dup(key, &oom);
        if (!text)
            rc = oom ? fr_oom("token", key->u.s.n)
                     : fr_error(FOLKRNN_E_FORMAT, "token2idx key %zu is %s, not text without NUL",
                                k, fr_pk_type_name(key));
        else if (!fr_pk_integer(val, &idx))
            rc = fr_error(FOLKRNN_E_FORMAT, "token2idx['%s'] is %s, not an integer", text,
                          fr_pk_type_name(val));
        else if (idx < 0 || idx >= V)
            rc = fr_error(FOLKRNN_E_RANGE, "token2idx['%s'] = %lld is outside 0..%d", text,
                          (long long)idx, V - 1);
        else if (tokens[idx])
            rc = fr_error(FOLKRNN_E_FORMAT, "token2idx maps both '%s' and '%s' to %lld",
                          tokens[idx], text, (long long)idx);
        if (rc)
            free(text);
        else
            tokens[idx] = text;
    }
    if (rc) {
        free_tokens(tokens, V);
        return rc;
    }
    *out = tokens;
    return 0;
}

/* ---- metadata ------------------------------------------------------------ */

struct text {
    char *s;
    size_t len, cap;
    int oom;
};

static void text_add(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *g = realloc(t->s, cap);
        if (!g) {
            t->oom = 1;
            return;
        }
        t->s = g;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

/* Write xf as printf's "%.9g" would (bit for bit: checked against glibc on
   40 million floats), without printf's multi-precision path:
   9 significant digits are round(|x| * 10^k) for the k that puts them in
   [1e8, 1e9).  For 0 <= k <= 22, 10^k is exact in double and |x| has 24
   bits, so the product is either exact (fma says so) or correctly rounded;
   the only case that could round the wrong way is a product that landed
   exactly on a half, which the sign of the fma residue settles.  Other
   magnitudes (|x| >= 1e9 or < 1e-14, never a loss) go to snprintf.  Why:
   v2's 35,000 losses through snprintf took longer than reading the file. */
static int f32_text(char *buf, size_t cap, float xf)
{
    double x = fabs((double)xf);
    if (!(x >= 1e-14 && x < 1e9)) /* also zero, NaN, infinity */
        return snprintf(buf, cap, "%.9g", (double)xf);
    static const double pow10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                     1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                                     1e20, 1e21, 1e22};
    int e2;
    frexp(x, &e2);
    int d = (int)floor((e2 - 1) * 0.30103); /* decimal exponent, corrected below */
    d = d < -14 ? -14 : d > 8 ? 8 : d;
    double p;
    for (;;) {
        p = x * pow10[8 - d];
        if (p < 1e8 && d > -14)
            d--;
        else if (p >= 1e9)
            d++;
        else
            break;
    }
    double n = nearbyint(p);
    if (p - floor(p) == 0.5) { /* a tie in double: the exact product decides */
        double residue = fma(x, pow10[8 - d], -p);
        if (residue > 0)
            n = floor(p) + 1;
        else if (residue < 0)
            n = floor(p);
    }
    if (n >= 1e9) {
        n /= 10;
        d++;
    }
    char digits[9];
    long v = (long)n;
    for (int k = 8; k >= 0; k--, v /= 10)
        digits[k] = (char)('0' + v % 10);
    int nd = 9;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    size_t len = 0;
    if (xf < 0)
        buf[len++] = '-';
    if (d < -4) { /* d.ddde-XX */
        buf[len++] = digits[0];
        if (nd > 1) {
            buf[len++] = '.';
            memcpy(buf + len, digits + 1, (size_t)nd - 1);
            len += (size_t)nd - 1;
        }
        buf[len++] = 'e';
        buf[len++] = '-';
        buf[len++] = (char)('0' + -d / 10);
        buf[len++] = (char)('0' + -d % 10);
    } else if (d < 0) { /* 0.000ddd */
        buf[len++] = '0';
        buf[len++] = '.';
        for (int k = -1; k > d; k--)
            buf[len++] = '0';
        memcpy(buf + len, digits, (size_t)nd);
        len += (size_t)nd;
    } else { /* ddd.ddd */
        memcpy(buf + len, digits, (size_t)d + 1);
        len += (size_t)d + 1;
        if (nd > d + 1) {
            buf[len++] = '.';
            memcpy(buf + len, digits + d + 1, (size_t)(nd - d - 1));
            len += (size_t)(nd - d - 1);
        }
    }
    buf[len] = 0;
    return (int)len;
}

/* A number as JSON/Python text: integers exactly, float32 values at %.9g
   (enough to read back the same float), doubles with 15 digits when those
   read back the same double, else 17; NaN and infinities as Python's json
   writes them. */
static void number_text(char *buf, size_t cap, double x, int is_int, int is_f32)
{
    if (isnan(x))
        snprintf(buf, cap, "NaN");
    else if (isinf(x))
        snprintf(buf, cap, x > 0 ? "Infinity" : "-Infinity");
    else if (is_int)
        snprintf(buf, cap, "%.0f", x);
    else if (is_f32)
        f32_text(buf, cap, (float)x);
    else {
        snprintf(buf, cap, "%.15g", x);
        if (strtod(buf, NULL) != x)
            snprintf(buf, cap, "%.17g", x);
    }
}

/* A scalar element's number text; 0 when v is not a number. */
static int scalar_text(char *buf, size_t cap, const struct fr_pk *v)
{
    double x;
    if (!fr_pk_number(v, &x))
        return 0;
    if (v->type == FR_PK_BOOL || (v->type == FR_PK_ARRAY && v->u.arr->dtype.kind == 'b')) {
        snprintf(buf, cap, "%s", x != 0 ? "True" : "False");
        return 1;
    }
    int is_int = v->type == FR_PK_INT ||
                 (v->type == FR_PK_ARRAY && v->u.arr->dtype.kind != 'f');
    int is_f32 = v->type == FR_PK_ARRAY && v->u.arr->dtype.itemsize == 4;
    if (is_int && v->type == FR_PK_INT)
        snprintf(buf, cap, "%lld", (long long)v->u.i);
    else
        number_text(buf, cap, x, is_int, is_f32);
    return 1;
}

/* A list/tuple of numbers, or a 1-d numeric array, as a JSON array. */
static char *json_numbers(const struct fr_pk *v, int *oom)
{
    struct text t = {0};
    char num[64];
    text_add(&t, "[");
    if (v->type == FR_PK_ARRAY) {
        const struct fr_pk_array *a = v->u.arr;
        for (size_t k = 0; k < a->count; k++) {
            number_text(num, sizeof num, fr_pk_array_get(a, k), a->dtype.kind != 'f',
                        a->dtype.itemsize == 4);
            text_add(&t, k ? ", " : "");
            text_add(&t, num);
        }
    } else {
        for (size_t k = 0; k < v->u.seq.n; k++) {
            if (!scalar_text(num, sizeof num, v->u.seq.items[k])) {
                free(t.s);
                return NULL;
            }
            text_add(&t, k ? ", " : "");
            text_add(&t, num);
        }
    }
    text_add(&t, "]");
    if (t.oom)
        free(t.s);
    *oom = t.oom;
    return t.oom ? NULL : t.s;
}

/* The metadata text of a value; NULL when it has none (containers of other
   things, arrays of 2 or more dimensions, text with NUL). */
static char *meta_text(const struct fr_pk *v, int *oom)
{
    char num[64];
    *oom = 0;
    if (v->type == FR_PK_STR || v->type == FR_PK_BYTES)
        return fr_pk_text_dup(v, oom);
    if (v->type == FR_PK_LIST || v->type == FR_PK_TUPLE ||
        (v->type == FR_PK_ARRAY && v->u.arr->ndim == 1))
        return json_numbers(v, oom);
    if (v->type == FR_PK_NONE)
        snprintf(num, sizeof num, "None");
    else if (!scalar_text(num, sizeof num, v)) /* 0-d arrays and numpy scalars are numbers */
        return NULL;
    char *s = strdup(num);
    *oom = !s;
    return s;
}

static int set_meta_entry(struct fr_pickle *pk, struct folkrnn_model *m,
                          const struct fr_pk *key, const struct fr_pk *val)
{
    int oom, rc = 0;
    char *k = fr_pk_text_dup(key, &oom), *v = NULL;
    if (!k || !*k) { /* a key that is not text, or empty: ignored */
        free(k);
        return oom ? fr_oom("metadata key", key->u.s.n) : 0;
    }
    const struct fr_pk *bad = fr_pk_find_unplain(pk, val, &oom);
    if (oom)
        rc = fr_oom("metadata walk", 0);
    else if (bad)
        rc = fr_error(FOLKRNN_E_UNSUPPORTED, "pickle key '%s' holds %s, which is not plain data",
                      k, fr_pk_type_name(bad));
    else if (!(v = meta_text(val, &oom)) && oom)
        rc = fr_oom("metadata value", 0);
    else if (v)
        rc = folkrnn_model_set_meta(m, k, v);
    free(k);
    free(v);
    return rc;
}

static int read_metadata(struct fr_pickle *pk, const struct fr_pk *dict,
                         struct folkrnn_model *m)
{
    if (fr_pk_len(dict) > MAX_META_KEYS)
        return fr_error(FOLKRNN_E_UNSUPPORTED, "the pickle's dict has %zu keys; at most %d are "
                        "supported", fr_pk_len(dict), MAX_META_KEYS);
    int rc = 0;
    for (size_t k = 0; k < fr_pk_len(dict) && !rc; k++) {
        const struct fr_pk *key = dict->u.seq.items[2 * k];
        if (!fr_pk_text_eq(key, "param_values") && !fr_pk_text_eq(key, "token2idx"))
            rc = set_meta_entry(pk, m, key, dict->u.seq.items[2 * k + 1]);
    }
    char source[40];
    snprintf(source, sizeof source, "pickle (protocol %d)", fr_pickle_protocol(pk));
    return rc ? rc : folkrnn_model_set_meta(m, "source_format", source);
}

/* ---- the whole model ----------------------------------------------------- */

static int read_params(const struct fr_pk *root, struct params *pv)
{
    const struct fr_pk *list = fr_pk_dict_get(root, "param_values");
    if (!list)
        return fr_error(FOLKRNN_E_FORMAT, "the pickle has no 'param_values'");
    if (list->type != FR_PK_LIST && list->type != FR_PK_TUPLE)
        return fr_error(FOLKRNN_E_FORMAT, "param_values is %s, not a list", fr_pk_type_name(list));
    size_t n = list->u.seq.n;
    if (n < 3 + PARAMS_PER_LAYER || (n - 3) % PARAMS_PER_LAYER || (n - 3) / PARAMS_PER_LAYER > 4096)
        return fr_error(FOLKRNN_E_SHAPE, "param_values has %zu arrays; an LSTM of L layers has "
                        "3 + 14 L", n);
    pv->list = list;
    pv->num_layers = (int)((n - 3) / PARAMS_PER_LAYER);
    return 0;
}

static int build_model(struct fr_pickle *pk, struct folkrnn_model **out)
{
    const struct fr_pk *root = fr_pickle_root(pk);
    if (root->type != FR_PK_DICT)
        return fr_error(FOLKRNN_E_FORMAT, "the pickle holds %s, not a folk-rnn dict",
                        fr_pk_type_name(root));
    struct params pv;
    int *units = NULL, V = 0, I = 0;
    char **tokens = NULL;
    struct folkrnn_model *m = NULL;
    int rc = read_params(root, &pv);
    if (!rc)
        rc = read_architecture(&pv, &units, &V, &I);
    if (!rc)
        rc = read_tokens(fr_pk_dict_get(root, "token2idx"), V, &tokens);
    if (!rc)
        rc = fr_model_alloc(FOLKRNN_CELL_LSTM, pv.num_layers, units, V, I, &m);
    if (!rc)
        rc = fr_model_set_tokens(m, (const char *const *)tokens);
    if (!rc) {
        struct non_finite bad = {-1, 0, 0, 0.0f};
        copy_weights(&pv, m, &bad);
        if (V == I && fr_model_embedding_is_identity(m))
            fr_model_set_identity(m);
        char name[64];
        if (bad.index >= 0)
            rc = fr_error(FOLKRNN_E_NUMERIC, "param_values[%ld] (%s): element (%zu, %zu) is %g",
                          bad.index, param_name(name, sizeof name, (size_t)bad.index,
                                                pv.num_layers),
                          bad.row, bad.col, (double)bad.value);
    }
    if (!rc)
        rc = read_metadata(pk, root, m);
    free(units);
    free_tokens(tokens, V);
    if (rc) {
        folkrnn_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int fr_load_pickle(const unsigned char *data, size_t size, struct folkrnn_model **out)
{
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "fr_load_pickle: NULL output");
    *out = NULL;
    if (!data)
        return fr_error(FOLKRNN_E_INVALID, "fr_load_pickle: NULL data");
    struct fr_pickle *pk;
    int rc = fr_pickle_parse(data, size, &pk);
    if (rc)
        return rc;
    rc = build_model(pk, out);
    fr_pickle_free(pk);
    return rc;
}
