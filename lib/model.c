/* model.c -- the model object: layout, vocabulary, parameters, metadata,
   and the load/save/clone entry points that dispatch to the file formats. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- layout ------------------------------------------------------------- */

int fr_cell_ngates(int cell)
{
    return cell == FOLKRNN_CELL_LSTM ? 4 : cell == FOLKRNN_CELL_GRU ? 3 : 0;
}

/* Floats needed by one layer: W_in, W_hid, b, cell_init (LSTM), hid_init. */
static size_t layer_floats(int cell, int in, int units)
{
    size_t g = (size_t)fr_cell_ngates(cell) * (size_t)units;
    return (size_t)in * g + (size_t)units * g + g +
           (cell == FOLKRNN_CELL_LSTM ? (size_t)units : 0) + (size_t)units;
}

/* Point every parameter of m into m->storage, in the order of the file
   formats: embedding, then per layer W_in, W_hid, b, cell_init, hid_init,
   then dense W and b. */
static void layout(struct folkrnn_model *m)
{
    float *p = m->storage;
    m->embedding = p;
    p += (size_t)m->vocab_size * (size_t)m->input_size;
    for (int l = 0; l < m->num_layers; l++) {
        struct fr_layer *L = &m->layers[l];
        size_t g = (size_t)m->ngates * (size_t)L->units;
        L->W_in = p, p += (size_t)L->in * g;
        L->W_hid = p, p += (size_t)L->units * g;
        L->b = p, p += g;
        L->cell_init = NULL;
        if (m->cell == FOLKRNN_CELL_LSTM)
            L->cell_init = p, p += (size_t)L->units;
        L->hid_init = p, p += (size_t)L->units;
    }
    m->dense_W = p;
    p += (size_t)m->layers[m->num_layers - 1].units * (size_t)m->vocab_size;
    m->dense_b = p;
}

int fr_model_max_units(const struct folkrnn_model *m)
{
    int u = 0;
    for (int l = 0; l < m->num_layers; l++)
        if (m->layers[l].units > u)
            u = m->layers[l].units;
    return u;
}

/* Sizes are ints in the API; keep every product far inside size_t and the
   total below what any machine could hold. */
#define FR_MAX_DIM (1 << 24)
#define FR_MAX_FLOATS ((size_t)1 << 34)

int fr_model_alloc(int cell, int num_layers, const int *units, int vocab_size,
                   int input_size, struct folkrnn_model **out)
{
    *out = NULL;
    if (!fr_cell_ngates(cell))
        return fr_error(FOLKRNN_E_UNSUPPORTED, "unknown cell type %d", cell);
    if (num_layers < 1 || num_layers > 1024)
        return fr_error(FOLKRNN_E_INVALID, "number of layers %d is not in [1, 1024]", num_layers);
    if (vocab_size < 1 || vocab_size > FR_MAX_DIM || input_size < 1 || input_size > FR_MAX_DIM)
        return fr_error(FOLKRNN_E_INVALID, "vocabulary size %d or input size %d is not in [1, %d]",
                        vocab_size, input_size, FR_MAX_DIM);
    size_t total = (size_t)vocab_size * (size_t)input_size;
    int in = input_size;
    for (int l = 0; l < num_layers; l++) {
        if (units[l] < 1 || units[l] > FR_MAX_DIM)
            return fr_error(FOLKRNN_E_INVALID, "layer %d: %d units is not in [1, %d]", l,
                            units[l], FR_MAX_DIM);
        total += layer_floats(cell, in, units[l]);
        if (total > FR_MAX_FLOATS)
            return fr_error(FOLKRNN_E_INVALID, "model too large (layer %d)", l);
        in = units[l];
    }
    total += (size_t)in * (size_t)vocab_size + (size_t)vocab_size;

    struct folkrnn_model *m = calloc(1, sizeof *m);
    if (!m)
        return fr_oom("model", sizeof *m);
    m->cell = cell;
    m->ngates = fr_cell_ngates(cell);
    m->num_layers = num_layers;
    m->vocab_size = vocab_size;
    m->input_size = input_size;
    m->layers = calloc((size_t)num_layers, sizeof *m->layers);
    m->storage = fr_block_alloc(total * sizeof(float));
    m->nstorage = m->storage ? total : 0;
    if (!m->layers || !m->storage) {
        folkrnn_model_free(m);
        return fr_oom("model parameters", total * sizeof(float));
    }
    in = input_size;
    for (int l = 0; l < num_layers; l++) {
        m->layers[l].in = in;
        m->layers[l].units = units[l];
        in = units[l];
    }
    layout(m);
    *out = m;
    return FOLKRNN_OK;
}

/* ---- vocabulary ----------------------------------------------------------- */

struct token_ref {
    const char *text;
    int id;
};

static int compare_token_refs(const void *a, const void *b)
{
    return strcmp(((const struct token_ref *)a)->text, ((const struct token_ref *)b)->text);
}

int fr_model_set_tokens(struct folkrnn_model *m, const char *const *tokens)
{
    size_t n = (size_t)m->vocab_size;
    char **texts = calloc(n, sizeof *texts);
    int *sorted = malloc(n * sizeof *sorted);
    struct token_ref *refs = malloc(n * sizeof *refs);
    int rc = FOLKRNN_OK;
    if (!texts || !sorted || !refs) {
        rc = fr_oom("vocabulary", n * (sizeof *texts + sizeof *sorted + sizeof *refs));
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!tokens[i] || !*tokens[i]) {
            rc = fr_error(FOLKRNN_E_FORMAT, "token %zu is empty", i);
            goto done;
        }
        texts[i] = strdup(tokens[i]);
        if (!texts[i]) {
            rc = fr_oom("token text", strlen(tokens[i]) + 1);
            goto done;
        }
        refs[i].text = texts[i];
        refs[i].id = (int)i;
    }
    qsort(refs, n, sizeof *refs, compare_token_refs);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(refs[i - 1].text, refs[i].text) == 0) {
            rc = fr_error(FOLKRNN_E_FORMAT, "token \"%s\" appears twice (ids %d and %d)",
                          refs[i].text, refs[i - 1].id, refs[i].id);
            goto done;
        }
        sorted[i] = refs[i].id;
    }
done:
    if (rc == FOLKRNN_OK) {
        for (int i = 0; m->tokens && i < m->vocab_size; i++)
            free(m->tokens[i]);
        free(m->tokens);
        free(m->sorted);
        m->tokens = texts;
        m->sorted = sorted;
    } else {
        for (size_t i = 0; texts && i < n; i++)
            free(texts[i]);
        free(texts);
        free(sorted);
    }
    free(refs);
    return rc;
}

FOLKRNN_API const char *folkrnn_model_token(const folkrnn_model *m, int id)
{
    if (!m || id < 0 || id >= m->vocab_size)
        return NULL;
    return m->tokens[id];
}

FOLKRNN_API int folkrnn_model_token_id(const folkrnn_model *m, const char *token)
{
    if (!m || !token)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_token_id: NULL %s",
                        m ? "token" : "model");
    int lo = 0, hi = m->vocab_size - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(token, m->tokens[m->sorted[mid]]);
        if (c == 0)
            return m->sorted[mid];
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return FOLKRNN_E_RANGE;
}

/* ---- embedding and checks -------------------------------------------------- */

void fr_model_set_identity(struct folkrnn_model *m)
{
    size_t n = (size_t)m->vocab_size * (size_t)m->input_size;
    memset(m->embedding, 0, n * sizeof(float));
    for (int i = 0; i < m->vocab_size && i < m->input_size; i++)
        m->embedding[(size_t)i * (size_t)m->input_size + (size_t)i] = 1.0f;
    m->onehot = m->vocab_size == m->input_size;
}

int fr_model_embedding_is_identity(const struct folkrnn_model *m)
{
    if (m->vocab_size != m->input_size)
        return 0;
    for (size_t r = 0; r < (size_t)m->vocab_size; r++)
        for (size_t c = 0; c < (size_t)m->input_size; c++)
            if (m->embedding[r * (size_t)m->input_size + c] != (r == c ? 1.0f : 0.0f))
                return 0;
    return 1;
}

/* 1 for NaN and the infinities: all exponent bits set. */
static uint32_t non_finite(const float *x)
{
    uint32_t bits;
    memcpy(&bits, x, sizeof bits);
    return (bits & 0x7F800000u) == 0x7F800000u;
}

int fr_all_finite(const float *x, size_t n)
{
    /* Branch-free over fixed blocks, which the compiler vectorises at -O2:
       checking a 22 MB model costs about as much as reading it. */
    enum { BLOCK = 64 };
    uint32_t bad = 0;
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) {
        uint32_t block_bad = 0;
        for (int k = 0; k < BLOCK; k++)
            block_bad |= non_finite(&x[i + (size_t)k]);
        bad |= block_bad;
    }
    for (; i < n; i++)
        bad |= non_finite(&x[i]);
    return !bad;
}

int fr_find_non_finite(const float *x, size_t rows, size_t cols, size_t ld, size_t *row,
                       size_t *col)
{
    for (size_t r = 0; r < rows; r++) {
        const float *p = x + r * ld;
        if (fr_all_finite(p, cols))
            continue;
        size_t c = 0;
        while (isfinite(p[c]))
            c++;
        *row = r;
        *col = c;
        return 1;
    }
    return 0;
}

static int check_block(const char *name, int layer, const float *x, size_t n)
{
    size_t row, at;
    if (!fr_find_non_finite(x, 1, n, n, &row, &at))
        return FOLKRNN_OK;
    if (layer < 0)
        return fr_error(FOLKRNN_E_NUMERIC, "%s: element %zu is %g", name, at, (double)x[at]);
    return fr_error(FOLKRNN_E_NUMERIC, "layer %d %s: element %zu is %g", layer, name, at,
                    (double)x[at]);
}

int fr_model_check_finite(const struct folkrnn_model *m)
{
    int rc = check_block("embedding", -1, m->embedding,
                         (size_t)m->vocab_size * (size_t)m->input_size);
    for (int l = 0; rc == FOLKRNN_OK && l < m->num_layers; l++) {
        const struct fr_layer *L = &m->layers[l];
        size_t g = (size_t)m->ngates * (size_t)L->units;
        rc = check_block("W_in", l, L->W_in, (size_t)L->in * g);
        if (rc == FOLKRNN_OK)
            rc = check_block("W_hid", l, L->W_hid, (size_t)L->units * g);
        if (rc == FOLKRNN_OK)
            rc = check_block("b", l, L->b, g);
        if (rc == FOLKRNN_OK && L->cell_init)
            rc = check_block("cell_init", l, L->cell_init, (size_t)L->units);
        if (rc == FOLKRNN_OK)
            rc = check_block("hid_init", l, L->hid_init, (size_t)L->units);
    }
    size_t last = (size_t)m->layers[m->num_layers - 1].units;
    if (rc == FOLKRNN_OK)
        rc = check_block("dense W", -1, m->dense_W, last * (size_t)m->vocab_size);
    if (rc == FOLKRNN_OK)
        rc = check_block("dense b", -1, m->dense_b, (size_t)m->vocab_size);
    return rc;
}

/* ---- construction, loading, saving, cloning -------------------------------- */

FOLKRNN_API int folkrnn_model_new(int cell, int num_layers, const int *units,
                                  int vocab_size, const char *const *tokens,
                                  int input_size, folkrnn_model **out)
{
    if (out)
        *out = NULL;
    if (!units || !tokens || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_new: NULL %s",
                        !units ? "units" : !tokens ? "tokens" : "out");
    if (input_size < 0)
        return fr_error(FOLKRNN_E_INVALID, "input size %d is negative", input_size);
    struct folkrnn_model *m;
    int rc = fr_model_alloc(cell, num_layers, units, vocab_size,
                            input_size ? input_size : vocab_size, &m);
    if (rc < 0)
        return rc == FOLKRNN_E_UNSUPPORTED ? FOLKRNN_E_INVALID : rc;
    rc = fr_model_set_tokens(m, tokens);
    if (rc < 0) {
        folkrnn_model_free(m);
        return rc == FOLKRNN_E_FORMAT ? FOLKRNN_E_INVALID : rc;
    }
    if (input_size == 0)
        fr_model_set_identity(m);
    *out = m;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_model_load_buffer(const void *data, size_t size, folkrnn_model **out)
{
    if (out)
        *out = NULL;
    if (!data || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_load_buffer: NULL %s",
                        data ? "out" : "data");
    const unsigned char *bytes = data;
    unsigned char *inflated = NULL;
    if (fr_is_gzip(bytes, size)) {
        int rc = fr_gunzip(bytes, size, FR_MAX_MODEL_BYTES, &inflated, &size);
        if (rc < 0)
            return rc;
        bytes = inflated;
    }
    int rc;
    /* safetensors first: its test (zero high length bytes, then '{') is the
       stricter one, while a header length can begin with a pickle opcode. */
    if (fr_is_safetensors(bytes, size))
        rc = fr_load_safetensors(bytes, size, out);
    else if (fr_is_pickle(bytes, size))
        rc = fr_load_pickle(bytes, size, out);
    else
        rc = fr_error(FOLKRNN_E_FORMAT, "not a folk-rnn pickle or a safetensors file "
                                        "(%zu bytes%s)", size, inflated ? " after gunzip" : "");
    free(inflated);
    return rc;
}

FOLKRNN_API int folkrnn_model_load(const char *path, folkrnn_model **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_load: NULL %s", path ? "out" : "path");
    struct fr_file file;
    int rc = fr_file_open(path, &file);
    if (rc < 0)
        return rc;
    rc = folkrnn_model_load_buffer(file.data, file.size, out);
    fr_file_close(&file);
    if (rc < 0 && rc != FOLKRNN_E_NOMEM) {
        /* Say which file the message is about. */
        char detail[400];
        snprintf(detail, sizeof detail, "%s", folkrnn_errmsg());
        fr_error(rc, "%s: %s", path, detail);
    }
    return rc;
}

#ifndef FOLKRNN_MODELDIR
#define FOLKRNN_MODELDIR "."
#endif

FOLKRNN_API const char *folkrnn_default_model_path(void)
{
    const char *env = getenv("FOLKRNN_MODEL");
    return env && *env ? env : FOLKRNN_MODELDIR "/default.safetensors.gz";
}

FOLKRNN_API int folkrnn_model_save(const folkrnn_model *m, const char *path)
{
    if (!m || !path)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_save: NULL %s", m ? "path" : "model");
    unsigned char *bytes;
    size_t size;
    int rc = fr_save_safetensors(m, &bytes, &size);
    if (rc < 0)
        return rc;
    rc = fr_write_atomic(path, bytes, size, fr_has_suffix(path, ".gz"));
    free(bytes);
    return rc;
}

FOLKRNN_API int folkrnn_model_clone(const folkrnn_model *m, folkrnn_model **out)
{
    if (out)
        *out = NULL;
    if (!m || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_clone: NULL %s", m ? "out" : "model");
    int *units = malloc((size_t)m->num_layers * sizeof *units);
    if (!units)
        return fr_oom("layer sizes", (size_t)m->num_layers * sizeof *units);
    for (int l = 0; l < m->num_layers; l++)
        units[l] = m->layers[l].units;
    struct folkrnn_model *c;
    int rc = fr_model_alloc(m->cell, m->num_layers, units, m->vocab_size, m->input_size, &c);
    free(units);
    if (rc < 0)
        return rc;
    memcpy(c->storage, m->storage, m->nstorage * sizeof(float));
    c->onehot = m->onehot;
    rc = fr_model_set_tokens(c, (const char *const *)m->tokens);
    for (int i = 0; rc == FOLKRNN_OK && i < m->nmeta; i++)
        rc = folkrnn_model_set_meta(c, m->meta_keys[i], m->meta_vals[i]);
    if (rc < 0) {
        folkrnn_model_free(c);
        return rc;
    }
    *out = c;
    return FOLKRNN_OK;
}

FOLKRNN_API void folkrnn_model_free(folkrnn_model *m)
{
    if (!m)
        return;
    for (int i = 0; m->tokens && i < m->vocab_size; i++)
        free(m->tokens[i]);
    for (int i = 0; i < m->nmeta; i++) {
        free(m->meta_keys[i]);
        free(m->meta_vals[i]);
    }
    free(m->meta_keys);
    free(m->meta_vals);
    free(m->tokens);
    free(m->sorted);
    free(m->layers);
    fr_block_free(m->storage, m->nstorage * sizeof(float));
    free(m);
}

/* ---- architecture ----------------------------------------------------------- */

#define NEED_MODEL(m)                                                                  \
    do {                                                                               \
        if (!(m))                                                                      \
            return fr_error(FOLKRNN_E_INVALID, "%s: NULL model", __func__);            \
    } while (0)

FOLKRNN_API int folkrnn_model_cell_type(const folkrnn_model *m)
{
    NEED_MODEL(m);
    return m->cell;
}

FOLKRNN_API int folkrnn_model_num_layers(const folkrnn_model *m)
{
    NEED_MODEL(m);
    return m->num_layers;
}

FOLKRNN_API int folkrnn_model_hidden_size(const folkrnn_model *m, int layer)
{
    NEED_MODEL(m);
    if (layer < 0 || layer >= m->num_layers)
        return fr_error(FOLKRNN_E_RANGE, "layer %d is not in [0, %d)", layer, m->num_layers);
    return m->layers[layer].units;
}

FOLKRNN_API int folkrnn_model_vocab_size(const folkrnn_model *m)
{
    NEED_MODEL(m);
    return m->vocab_size;
}

FOLKRNN_API int folkrnn_model_input_size(const folkrnn_model *m)
{
    NEED_MODEL(m);
    return m->input_size;
}

FOLKRNN_API int folkrnn_model_is_onehot(const folkrnn_model *m)
{
    NEED_MODEL(m);
    return fr_model_embedding_is_identity(m);
}

FOLKRNN_API long folkrnn_model_num_params(const folkrnn_model *m)
{
    if (!m)
        return -1;
    long total = fr_model_embedding_is_identity(m) ? 0 : (long)m->vocab_size * m->input_size;
    for (int l = 0; l < m->num_layers; l++) {
        const struct fr_layer *L = &m->layers[l];
        total += (long)m->ngates * L->units * ((long)L->in + L->units + 1);
    }
    return total + ((long)m->layers[m->num_layers - 1].units + 1) * m->vocab_size;
}

/* ---- parameter views -------------------------------------------------------- */

int fr_param_gate(int cell, int which, int *side)
{
    int first = cell == FOLKRNN_CELL_LSTM  ? FOLKRNN_P_W_IN_INGATE
                : cell == FOLKRNN_CELL_GRU ? FOLKRNN_P_W_IN_RESETGATE
                                           : -1;
    int ngates = fr_cell_ngates(cell);
    if (first < 0 || which < first || which >= first + 3 * ngates)
        return -1;
    *side = (which - first) % 3;
    return (which - first) / 3;
}

struct view {
    float *data;
    int rows, cols, ld;
};

static int param_view(const struct folkrnn_model *m, int layer, int which, struct view *v)
{
    if (!m)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_param: NULL model");
    int V = m->vocab_size;
    if (which == FOLKRNN_P_EMBEDDING) {
        *v = (struct view){m->embedding, V, m->input_size, m->input_size};
        return FOLKRNN_OK;
    }
    int last = m->layers[m->num_layers - 1].units;
    if (which == FOLKRNN_P_DENSE_W) {
        *v = (struct view){m->dense_W, last, V, V};
        return FOLKRNN_OK;
    }
    if (which == FOLKRNN_P_DENSE_B) {
        *v = (struct view){m->dense_b, 1, V, V};
        return FOLKRNN_OK;
    }
    if (layer < 0 || layer >= m->num_layers)
        return fr_error(FOLKRNN_E_RANGE, "parameter %d: layer %d is not in [0, %d)", which, layer,
                        m->num_layers);
    const struct fr_layer *L = &m->layers[layer];
    int U = L->units, GU = m->ngates * L->units;
    switch (which) {
    case FOLKRNN_P_W_IN: *v = (struct view){L->W_in, L->in, GU, GU}; return FOLKRNN_OK;
    case FOLKRNN_P_W_HID: *v = (struct view){L->W_hid, U, GU, GU}; return FOLKRNN_OK;
    case FOLKRNN_P_B: *v = (struct view){L->b, 1, GU, GU}; return FOLKRNN_OK;
    case FOLKRNN_P_HID_INIT: *v = (struct view){L->hid_init, 1, U, U}; return FOLKRNN_OK;
    case FOLKRNN_P_CELL_INIT:
        if (!L->cell_init)
            return fr_error(FOLKRNN_E_INVALID, "a GRU has no cell_init");
        *v = (struct view){L->cell_init, 1, U, U};
        return FOLKRNN_OK;
    }
    int side;
    int gate = fr_param_gate(m->cell, which, &side);
    if (gate < 0)
        return fr_error(FOLKRNN_E_INVALID, "parameter %d is not a parameter of a%s model", which,
                        m->cell == FOLKRNN_CELL_LSTM ? "n LSTM" : " GRU");
    size_t off = (size_t)gate * (size_t)U;
    if (side == 0)
        *v = (struct view){L->W_in + off, L->in, U, GU};
    else if (side == 1)
        *v = (struct view){L->W_hid + off, U, U, GU};
    else
        *v = (struct view){L->b + off, 1, U, GU};
    return FOLKRNN_OK;
}

static void put_view(const struct view *v, int *rows, int *cols, int *ld)
{
    if (rows)
        *rows = v->rows;
    if (cols)
        *cols = v->cols;
    if (ld)
        *ld = v->ld;
}

FOLKRNN_API int folkrnn_model_param(folkrnn_model *m, int layer, int which, float **data,
                                    int *rows, int *cols, int *ld)
{
    struct view v;
    int rc = param_view(m, layer, which, &v);
    if (rc < 0)
        return rc;
    /* The caller may write the embedding: stop assuming it is the identity. */
    if (which == FOLKRNN_P_EMBEDDING)
        m->onehot = 0;
    if (data)
        *data = v.data;
    put_view(&v, rows, cols, ld);
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_model_param_const(const folkrnn_model *m, int layer, int which,
                                          const float **data, int *rows, int *cols, int *ld)
{
    struct view v;
    int rc = param_view(m, layer, which, &v);
    if (rc < 0)
        return rc;
    if (data)
        *data = v.data;
    put_view(&v, rows, cols, ld);
    return FOLKRNN_OK;
}

/* ---- metadata ----------------------------------------------------------------- */

static int meta_index(const struct folkrnn_model *m, const char *key)
{
    for (int i = 0; i < m->nmeta; i++)
        if (strcmp(m->meta_keys[i], key) == 0)
            return i;
    return -1;
}

FOLKRNN_API const char *folkrnn_model_meta(const folkrnn_model *m, const char *key)
{
    if (!m || !key)
        return NULL;
    int i = meta_index(m, key);
    return i < 0 ? NULL : m->meta_vals[i];
}

FOLKRNN_API const char *folkrnn_model_meta_key(const folkrnn_model *m, int i)
{
    if (!m || i < 0 || i >= m->nmeta)
        return NULL;
    return m->meta_keys[i];
}

static void meta_remove(struct folkrnn_model *m, int i)
{
    free(m->meta_keys[i]);
    free(m->meta_vals[i]);
    memmove(m->meta_keys + i, m->meta_keys + i + 1, (size_t)(m->nmeta - i - 1) * sizeof(char *));
    memmove(m->meta_vals + i, m->meta_vals + i + 1, (size_t)(m->nmeta - i - 1) * sizeof(char *));
    m->nmeta--;
}

FOLKRNN_API int folkrnn_model_set_meta(folkrnn_model *m, const char *key, const char *value)
{
    if (!m || !key || !*key)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_set_meta: %s",
                        !m ? "NULL model" : "NULL or empty key");
    int i = meta_index(m, key);
    if (!value) {
        if (i >= 0)
            meta_remove(m, i);
        return FOLKRNN_OK;
    }
    char *copy = strdup(value);
    if (!copy)
        return fr_oom("metadata value", strlen(value) + 1);
    if (i >= 0) {
        free(m->meta_vals[i]);
        m->meta_vals[i] = copy;
        return FOLKRNN_OK;
    }
    char *key_copy = strdup(key);
    char **keys = realloc(m->meta_keys, (size_t)(m->nmeta + 1) * sizeof(char *));
    if (keys)
        m->meta_keys = keys;
    char **vals = keys ? realloc(m->meta_vals, (size_t)(m->nmeta + 1) * sizeof(char *)) : NULL;
    if (vals)
        m->meta_vals = vals;
    if (!key_copy || !keys || !vals) {
        free(copy);
        free(key_copy);
        return fr_oom("metadata entry", strlen(key) + strlen(value) + 2);
    }
    m->meta_keys[m->nmeta] = key_copy;
    m->meta_vals[m->nmeta] = copy;
    m->nmeta++;
    return FOLKRNN_OK;
}
