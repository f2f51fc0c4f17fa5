/* safetensors.c -- the library's own model format (doc/format.md, section
   "safetensors layout").

   File: 8-byte little-endian header length N, N bytes of JSON header, then
   the data buffer.  The header maps each tensor name to its dtype, shape and
   [begin, end) byte offsets in the buffer, and "__metadata__" to string
   pairs: format, format_version, cell, vocab (a JSON array of the tokens in
   id order), onehot, then the model's own metadata.

   Names and orientation are those of folk-rnn's Lasagne model and pickle:
     embedding                    (vocab, input)
     layers.{l}.W_in_to_{gate}    (in, units)
     layers.{l}.W_hid_to_{gate}   (units, units)
     layers.{l}.b_{gate}          (units)
     layers.{l}.cell_init         (1, units)    LSTM only
     layers.{l}.hid_init          (1, units)
     dense.W                      (units, vocab)
     dense.b                      (vocab)
   The model keeps the gates of a layer side by side (internal.h), so each
   gate tensor is one column block of the packed matrices.

   Reading validates everything before a weight is copied: the header
   length against the file, the JSON, every dtype, shape and offset (inside
   the buffer, sizes matching, tensors covering the buffer without overlap),
   the names against the scheme and the shapes against each other.  Only
   then is the model allocated, so its size is bounded by the file's. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "json.h"

#define ST_FORMAT "folkrnn"
#define ST_FORMAT_VERSION "1"
/* Headers above this are refused before parsing (the limit of the
   reference safetensors implementation). */
#define ST_MAX_HEADER ((uint64_t)100000000)
#define ST_MAX_LAYERS 1024
#define ST_MAX_META 4096
#define ST_MAX_RANK 8
#define ST_NAME_MAX 64

/* ---- dtypes ------------------------------------------------------------- */

enum { ST_F32, ST_F64, ST_F16, ST_BF16 };

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {{"F32", 4}, {"F64", 8}, {"F16", 2}, {"BF16", 2}};
#define NDTYPES (int)(sizeof dtypes / sizeof dtypes[0])

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static uint64_t load_le(const unsigned char *p, int nbytes)
{
    uint64_t x = 0;
    for (int i = nbytes - 1; i >= 0; i--)
        x = x << 8 | p[i];
    return x;
}

static float bits_to_float(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* IEEE half precision to single: exact for every value. */
static float half_to_float(uint32_t h)
{
    uint32_t sign = (h & 0x8000u) << 16, exp = h >> 10 & 0x1F, mant = h & 0x3FF;
    if (exp == 0)
        return (sign ? -1.0f : 1.0f) * ldexpf((float)mant, -24);
    if (exp == 31)
        return bits_to_float(sign | 0x7F800000u | mant << 13);
    return bits_to_float(sign | (exp + 112) << 23 | mant << 13);
}

/* n little-endian values of dtype at src to floats at dst.  F64 values
   beyond float range become infinite and are caught by the finiteness check. */
static void decode_floats(float *dst, const unsigned char *src, size_t n, int dtype)
{
    if (dtype == ST_F32 && host_is_little_endian()) {
        memcpy(dst, src, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        switch (dtype) {
        case ST_F32: dst[i] = bits_to_float((uint32_t)load_le(src + 4 * i, 4)); break;
        case ST_F16: dst[i] = half_to_float((uint32_t)load_le(src + 2 * i, 2)); break;
        case ST_BF16: dst[i] = bits_to_float((uint32_t)load_le(src + 2 * i, 2) << 16); break;
        default: {
            uint64_t bits = load_le(src + 8 * i, 8);
            double d;
            memcpy(&d, &bits, sizeof d);
            dst[i] = (float)d;
        }
        }
    }
}

static void encode_floats(unsigned char *dst, const float *src, size_t n)
{
    if (host_is_little_endian()) {
        memcpy(dst, src, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &src[i], sizeof bits);
        for (int k = 0; k < 4; k++)
            dst[4 * i + (size_t)k] = (unsigned char)(bits >> 8 * k);
    }
}

/* ---- the naming scheme ---------------------------------------------------- */

static const char *const lstm_gates[] = {"ingate", "forgetgate", "cell", "outgate"};
static const char *const gru_gates[] = {"resetgate", "updategate", "hidden_update"};

static const char *gate_name(int cell, int gate)
{
    return cell == FOLKRNN_CELL_LSTM ? lstm_gates[gate] : gru_gates[gate];
}

enum slot_kind { S_EMBEDDING, S_W_IN, S_W_HID, S_B, S_CELL_INIT, S_HID_INIT, S_DENSE_W, S_DENSE_B };

/* One tensor of the scheme. */
struct slot {
    int kind;  /* S_* */
    int layer; /* -1 for embedding and dense */
    int gate;  /* gate index for S_W_IN, S_W_HID, S_B */
};

/* What the shapes of a model follow from. */
struct arch {
    int cell, ngates, num_layers;
    int vocab, input;
    const int *units; /* [num_layers] */
};

/* Tensors of one layer: W_in, W_hid and b per gate, then cell_init (LSTM)
   and hid_init, in the order of folk-rnn's param_values. */
static int layer_slots(const struct arch *a)
{
    return 3 * a->ngates + (a->cell == FOLKRNN_CELL_LSTM) + 1;
}

/* The i-th tensor of the scheme in file order, written to s and its name
   to name[ST_NAME_MAX]; 0 past the end. */
static int slot_at(const struct arch *a, int i, struct slot *s, char *name)
{
    int per_layer = layer_slots(a), nlayer = a->num_layers * per_layer;
    if (i < 0 || i > nlayer + 2)
        return 0;
    *s = (struct slot){.layer = -1};
    if (i == 0) {
        s->kind = S_EMBEDDING;
        strcpy(name, "embedding");
    } else if (i > nlayer) {
        s->kind = i == nlayer + 1 ? S_DENSE_W : S_DENSE_B;
        strcpy(name, s->kind == S_DENSE_W ? "dense.W" : "dense.b");
    } else {
        int k = (i - 1) % per_layer;
        s->layer = (i - 1) / per_layer;
        if (k < 3 * a->ngates) {
            static const char *const sides[] = {"W_in_to_", "W_hid_to_", "b_"};
            s->kind = S_W_IN + k % 3;
            s->gate = k / 3;
            snprintf(name, ST_NAME_MAX, "layers.%d.%s%s", s->layer, sides[k % 3],
                     gate_name(a->cell, s->gate));
        } else {
            s->kind = k == 3 * a->ngates && a->cell == FOLKRNN_CELL_LSTM ? S_CELL_INIT : S_HID_INIT;
            snprintf(name, ST_NAME_MAX, "layers.%d.%s", s->layer,
                     s->kind == S_CELL_INIT ? "cell_init" : "hid_init");
        }
    }
    return 1;
}

/* Shape of a tensor in the file: rank 1 or 2. */
struct shape {
    int rank;
    uint64_t dim[ST_MAX_RANK];
};

static struct shape slot_shape(const struct arch *a, const struct slot *s)
{
    int units = s->layer >= 0 ? a->units[s->layer] : a->units[a->num_layers - 1];
    int in = s->layer > 0 ? a->units[s->layer - 1] : a->input;
    switch (s->kind) {
    case S_EMBEDDING: return (struct shape){2, {(uint64_t)a->vocab, (uint64_t)a->input}};
    case S_W_IN: return (struct shape){2, {(uint64_t)in, (uint64_t)units}};
    case S_W_HID: return (struct shape){2, {(uint64_t)units, (uint64_t)units}};
    case S_B: return (struct shape){1, {(uint64_t)units}};
    case S_CELL_INIT:
    case S_HID_INIT: return (struct shape){2, {1, (uint64_t)units}};
    case S_DENSE_W: return (struct shape){2, {(uint64_t)units, (uint64_t)a->vocab}};
    default: return (struct shape){1, {(uint64_t)a->vocab}};
    }
}

/* Where a tensor lives in the model: rows x cols at data with leading
   dimension ld (the packed gate blocks make W_in and W_hid strided). */
struct place {
    float *data;
    size_t rows, cols, ld;
};

static struct place slot_place(const struct folkrnn_model *m, const struct slot *s)
{
    size_t V = (size_t)m->vocab_size;
    if (s->kind == S_EMBEDDING)
        return (struct place){m->embedding, V, (size_t)m->input_size, (size_t)m->input_size};
    if (s->kind == S_DENSE_W || s->kind == S_DENSE_B) {
        size_t last = (size_t)m->layers[m->num_layers - 1].units;
        return s->kind == S_DENSE_W ? (struct place){m->dense_W, last, V, V}
                                    : (struct place){m->dense_b, 1, V, V};
    }
    const struct fr_layer *L = &m->layers[s->layer];
    size_t U = (size_t)L->units, GU = (size_t)m->ngates * U, off = (size_t)s->gate * U;
    switch (s->kind) {
    case S_W_IN: return (struct place){L->W_in + off, (size_t)L->in, U, GU};
    case S_W_HID: return (struct place){L->W_hid + off, U, U, GU};
    case S_B: return (struct place){L->b + off, 1, U, U};
    case S_CELL_INIT: return (struct place){L->cell_init, 1, U, U};
    default: return (struct place){L->hid_init, 1, U, U};
    }
}

static void arch_of_model(const struct folkrnn_model *m, int *units, struct arch *a)
{
    for (int l = 0; l < m->num_layers; l++)
        units[l] = m->layers[l].units;
    *a = (struct arch){m->cell, m->ngates, m->num_layers, m->vocab_size, m->input_size, units};
}

/* "(2, 3)" or "(5,)", as numpy prints shapes. */
static const char *shape_text(const struct shape *sh, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < sh->rank && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, d ? ", %llu" : "%llu",
                              (unsigned long long)sh->dim[d]);
    if (n < cap)
        snprintf(buf + n, cap - n, sh->rank == 1 ? ",)" : ")");
    return buf;
}

/* ---- detection ------------------------------------------------------------ */

/* A header length below 2^32 and the opening brace: a truncated or damaged
   file still reaches fr_load_safetensors and gets a precise message, while
   no pickle matches (their bytes 4-7 or byte 8 differ for every protocol). */
int fr_is_safetensors(const unsigned char *data, size_t size)
{
    return size >= 9 && load_le(data + 4, 4) == 0 && data[8] == '{';
}

/* A header length whose first bytes read as a pickle PROTO opcode (0x80,
   protocol 2-5) would make readers that try pickles first misread the file. */
static int looks_like_pickle(uint64_t header_len)
{
    unsigned proto = (unsigned)(header_len >> 8 & 0xFF);
    return (header_len & 0xFF) == 0x80 && proto >= 2 && proto <= 5;
}

/* ---- reading: the header ---------------------------------------------------- */

/* One tensor entry of the header, validated against the data buffer. */
struct entry {
    const char *name;
    int dtype;
    struct shape shape;
    uint64_t begin, end; /* byte offsets in the data buffer */
    int used;            /* matched to a slot of the scheme */
};

static int parse_shape(const struct fr_json *v, const char *name, struct shape *sh)
{
    if (!v || v->type != FR_JSON_ARRAY)
        return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': \"shape\" is not an array", name);
    if (v->count > ST_MAX_RANK)
        return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': %zu dimensions", name, v->count);
    sh->rank = 0;
    for (const struct fr_json *d = v->child; d; d = d->next)
        if (!fr_json_uint(d, INT_MAX, &sh->dim[sh->rank++]))
            return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': shape dimension %d is not an "
                            "integer in [0, %d]", name, sh->rank - 1, INT_MAX);
    return 0;
}

static int parse_dtype(const struct fr_json *v, const char *name, int *dtype)
{
    if (!v || v->type != FR_JSON_STRING)
        return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': \"dtype\" is not a string", name);
    for (int i = 0; i < NDTYPES; i++)
        if (!strcmp(v->str, dtypes[i].name)) {
            *dtype = i;
            return 0;
        }
    return fr_error(FOLKRNN_E_UNSUPPORTED, "tensor '%s': dtype %s (weights must be F32, F64, "
                    "F16 or BF16)", name, v->str);
}

static int parse_entry(const struct fr_json *v, uint64_t bufsize, struct entry *e)
{
    const char *name = v->key;
    *e = (struct entry){.name = name};
    if (v->type != FR_JSON_OBJECT)
        return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': not an object", name);
    for (const struct fr_json *c = v->child; c; c = c->next)
        if (strcmp(c->key, "dtype") && strcmp(c->key, "shape") && strcmp(c->key, "data_offsets"))
            return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': unknown field \"%s\"", name, c->key);
    int rc = parse_dtype(fr_json_member(v, "dtype"), name, &e->dtype);
    if (rc < 0 || (rc = parse_shape(fr_json_member(v, "shape"), name, &e->shape)) < 0)
        return rc;
    const struct fr_json *off = fr_json_member(v, "data_offsets");
    if (!off || off->type != FR_JSON_ARRAY || off->count != 2 ||
        !fr_json_uint(off->child, UINT64_MAX, &e->begin) ||
        !fr_json_uint(off->child->next, UINT64_MAX, &e->end))
        return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': \"data_offsets\" is not [begin, end]",
                        name);
    if (e->begin > e->end || e->end > bufsize)
        return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': data_offsets [%llu, %llu] outside the "
                        "data buffer of %llu bytes", name, (unsigned long long)e->begin,
                        (unsigned long long)e->end, (unsigned long long)bufsize);
    uint64_t count = 1;
    for (int d = 0; d < e->shape.rank; d++) {
        if (e->shape.dim[d] && count > UINT64_MAX / 8 / e->shape.dim[d])
            return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': shape too large", name);
        count *= e->shape.dim[d];
    }
    if (count * dtypes[e->dtype].size != e->end - e->begin) {
        char sh[160];
        return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': data_offsets [%llu, %llu] hold %llu "
                        "bytes but shape %s of %s needs %llu", name,
                        (unsigned long long)e->begin, (unsigned long long)e->end,
                        (unsigned long long)(e->end - e->begin),
                        shape_text(&e->shape, sh, sizeof sh), dtypes[e->dtype].name,
                        (unsigned long long)(count * dtypes[e->dtype].size));
    }
    return 0;
}

static int compare_entry_offsets(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static int compare_entry_names(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* The tensors must tile the data buffer: no overlap (one byte read as two
   weights) and no gap (bytes nobody accounts for).  Sorts e by offset. */
static int check_tiling(struct entry *e, size_t n, uint64_t bufsize)
{
    qsort(e, n, sizeof *e, compare_entry_offsets);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].begin < at)
            return fr_error(FOLKRNN_E_FORMAT, "tensors '%s' and '%s' overlap in the data buffer",
                            e[i - 1].name, e[i].name);
        if (e[i].begin > at)
            return fr_error(FOLKRNN_E_FORMAT, "bytes [%llu, %llu) of the data buffer belong to "
                            "no tensor", (unsigned long long)at, (unsigned long long)e[i].begin);
        at = e[i].end;
    }
    if (at != bufsize)
        return fr_error(FOLKRNN_E_FORMAT, "bytes [%llu, %llu) of the data buffer belong to no "
                        "tensor", (unsigned long long)at, (unsigned long long)bufsize);
    return 0;
}

/* ---- reading: metadata ------------------------------------------------------- */

static int is_reserved_key(const char *key)
{
    static const char *const reserved[] = {"format", "format_version", "cell", "vocab", "onehot"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (!strcmp(key, reserved[i]))
            return 1;
    return 0;
}

static const char *meta_string(const struct fr_json *meta, const char *key)
{
    const struct fr_json *v = fr_json_member(meta, key);
    return v ? v->str : NULL;
}

/* __metadata__: an object of strings with the reserved keys right. */
static int check_metadata(const struct fr_json *meta, int *cell)
{
    if (!meta)
        return fr_error(FOLKRNN_E_FORMAT, "no __metadata__: not a libfolkrnn model");
    if (meta->type != FR_JSON_OBJECT)
        return fr_error(FOLKRNN_E_FORMAT, "__metadata__ is not an object");
    if (meta->count > ST_MAX_META)
        return fr_error(FOLKRNN_E_FORMAT, "__metadata__ has %zu entries, more than %d",
                        meta->count, ST_MAX_META);
    for (const struct fr_json *c = meta->child; c; c = c->next)
        if (c->type != FR_JSON_STRING)
            return fr_error(FOLKRNN_E_FORMAT, "__metadata__ \"%s\" is not a string", c->key);
    const char *format = meta_string(meta, "format"), *version = meta_string(meta, "format_version");
    const char *cellname = meta_string(meta, "cell");
    if (!format || strcmp(format, ST_FORMAT))
        return fr_error(FOLKRNN_E_FORMAT, "__metadata__ lacks \"format\": \"" ST_FORMAT "\": "
                        "not a libfolkrnn model");
    if (!version || strcmp(version, ST_FORMAT_VERSION))
        return fr_error(FOLKRNN_E_UNSUPPORTED, "format_version \"%s\" (this library reads \""
                        ST_FORMAT_VERSION "\")", version ? version : "(missing)");
    if (!cellname)
        return fr_error(FOLKRNN_E_FORMAT, "__metadata__ lacks \"cell\"");
    if (!strcmp(cellname, "lstm"))
        *cell = FOLKRNN_CELL_LSTM;
    else if (!strcmp(cellname, "gru"))
        *cell = FOLKRNN_CELL_GRU;
    else
        return fr_error(FOLKRNN_E_UNSUPPORTED, "cell \"%s\" (lstm or gru expected)", cellname);
    const char *onehot = meta_string(meta, "onehot");
    if (onehot && strcmp(onehot, "0") && strcmp(onehot, "1"))
        return fr_error(FOLKRNN_E_FORMAT, "onehot \"%s\" (\"0\" or \"1\" expected)", onehot);
    return 0;
}

/* The tokens: __metadata__ "vocab" holds a JSON array of strings.  On
   success tokens[*n] points into doc (caller frees tokens and doc). */
static int parse_vocab(const struct fr_json *meta, struct fr_json_doc *doc,
                       const char ***tokens, int *n)
{
    const char *text = meta_string(meta, "vocab");
    if (!text)
        return fr_error(FOLKRNN_E_FORMAT, "__metadata__ lacks \"vocab\"");
    int rc = fr_json_parse(text, strlen(text), "__metadata__ vocab", doc);
    if (rc < 0)
        return rc;
    const struct fr_json *arr = doc->root;
    if (arr->type != FR_JSON_ARRAY || arr->count < 1 || arr->count > INT_MAX)
        return fr_error(FOLKRNN_E_FORMAT, "__metadata__ vocab is not a non-empty array");
    *tokens = malloc(arr->count * sizeof **tokens);
    if (!*tokens)
        return fr_oom("vocabulary", arr->count * sizeof **tokens);
    int i = 0;
    for (const struct fr_json *t = arr->child; t; t = t->next, i++) {
        if (t->type != FR_JSON_STRING)
            return fr_error(FOLKRNN_E_FORMAT, "__metadata__ vocab[%d] is not a string", i);
        (*tokens)[i] = t->str;
    }
    *n = i;
    return 0;
}

static int copy_metadata(struct folkrnn_model *m, const struct fr_json *meta)
{
    for (const struct fr_json *c = meta->child; c; c = c->next) {
        if (is_reserved_key(c->key))
            continue;
        int rc = folkrnn_model_set_meta(m, c->key, c->str);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- reading: tensors to the model ------------------------------------------- */

static struct entry *find_entry(struct entry *e, size_t n, const char *name)
{
    struct entry key = {.name = name};
    return bsearch(&key, e, n, sizeof *e, compare_entry_names);
}

/* Layers = 1 + the largest l of any "layers.{l}." name (canonical decimal). */
static int count_layers(const struct entry *e, size_t n, int *num_layers)
{
    *num_layers = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = e[i].name;
        if (strncmp(s, "layers.", 7))
            continue;
        s += 7;
        long l = 0;
        const char *digits = s;
        for (; *s >= '0' && *s <= '9'; s++)
            l = l > ST_MAX_LAYERS ? l : l * 10 + (*s - '0'); /* saturates: no overflow */
        if (s == digits || *s != '.' || (*digits == '0' && s - digits > 1))
            continue; /* not a layer name: reported as unknown later */
        if (l >= ST_MAX_LAYERS)
            return fr_error(FOLKRNN_E_FORMAT, "tensor '%s': layer index beyond %d",
                            e[i].name, ST_MAX_LAYERS - 1);
        if (l + 1 > *num_layers)
            *num_layers = (int)l + 1;
    }
    if (!*num_layers)
        return fr_error(FOLKRNN_E_FORMAT, "no tensor 'layers.0.*': the model has no layers");
    return 0;
}

/* Match every name of the scheme to an entry (e sorted by name); unknown
   names and missing tensors are errors. */
static int match_names(const struct arch *a, struct entry *e, size_t n)
{
    struct slot s;
    char name[ST_NAME_MAX];
    char missing[ST_NAME_MAX] = "";
    for (int i = 0; slot_at(a, i, &s, name); i++) {
        struct entry *hit = find_entry(e, n, name);
        if (hit)
            hit->used = 1;
        else if (!*missing)
            strcpy(missing, name);
    }
    for (size_t i = 0; i < n; i++)
        if (!e[i].used)
            return fr_error(FOLKRNN_E_FORMAT, "unknown tensor '%s' for a %d-layer %s model "
                            "(doc/format.md lists the names)", e[i].name, a->num_layers,
                            a->cell == FOLKRNN_CELL_LSTM ? "LSTM" : "GRU");
    if (*missing)
        return fr_error(FOLKRNN_E_FORMAT, "missing tensor '%s'", missing);
    return 0;
}

static int shape_mismatch(const char *name, const struct shape *got, const struct shape *want,
                          const char *why)
{
    char g[160], w[160];
    return fr_error(FOLKRNN_E_SHAPE, "tensor '%s': shape %s where %s was expected%s", name,
                    shape_text(got, g, sizeof g), shape_text(want, w, sizeof w), why);
}

static int same_shape(const struct shape *x, const struct shape *y)
{
    if (x->rank != y->rank)
        return 0;
    for (int d = 0; d < x->rank; d++)
        if (x->dim[d] != y->dim[d])
            return 0;
    return 1;
}

/* Input width from the embedding, units from each hid_init (1, units);
   every other shape must then follow. */
static int derive_arch(struct arch *a, int *units, struct entry *e, size_t n)
{
    const struct entry *emb = find_entry(e, n, "embedding");
    if (emb->shape.rank != 2 || emb->shape.dim[0] != (uint64_t)a->vocab || !emb->shape.dim[1]) {
        struct shape want = {2, {(uint64_t)a->vocab, emb->shape.rank == 2 ? emb->shape.dim[1] : 1}};
        return shape_mismatch("embedding", &emb->shape, &want, " (rows = vocabulary size)");
    }
    a->input = (int)emb->shape.dim[1];
    for (int l = 0; l < a->num_layers; l++) {
        char name[ST_NAME_MAX];
        snprintf(name, sizeof name, "layers.%d.hid_init", l);
        const struct entry *h = find_entry(e, n, name);
        if (h->shape.rank != 2 || h->shape.dim[0] != 1 || !h->shape.dim[1]) {
            struct shape want = {2, {1, h->shape.rank == 2 ? h->shape.dim[1] : 1}};
            return shape_mismatch(name, &h->shape, &want, " (1, units)");
        }
        units[l] = (int)h->shape.dim[1];
    }
    struct slot s;
    char name[ST_NAME_MAX];
    for (int i = 0; slot_at(a, i, &s, name); i++) {
        const struct entry *t = find_entry(e, n, name);
        struct shape want = slot_shape(a, &s);
        if (!same_shape(&t->shape, &want))
            return shape_mismatch(name, &t->shape, &want, "");
    }
    return 0;
}

/* Copy tensor name into its place in the model, checked for NaN and
   infinities while it is still in cache. */
static int copy_tensor(struct folkrnn_model *m, const struct slot *s, const struct entry *t,
                       const unsigned char *buf, const char *name)
{
    struct place p = slot_place(m, s);
    size_t row_bytes = p.cols * dtypes[t->dtype].size;
    const unsigned char *src = buf + t->begin;
    for (size_t r = 0; r < p.rows; r++)
        decode_floats(p.data + r * p.ld, src + r * row_bytes, p.cols, t->dtype);
    size_t r, c;
    if (fr_find_non_finite(p.data, p.rows, p.cols, p.ld, &r, &c))
        return fr_error(FOLKRNN_E_NUMERIC, "tensor '%s': element (%zu, %zu) is %g", name, r, c,
                        (double)p.data[r * p.ld + c]);
    return 0;
}

/* The model described by the validated entries and metadata. */
static int build_model(const struct arch *a, struct entry *e, size_t n,
                       const unsigned char *buf, const char *const *tokens,
                       const struct fr_json *meta, struct folkrnn_model **out)
{
    struct folkrnn_model *m;
    int rc = fr_model_alloc(a->cell, a->num_layers, a->units, a->vocab, a->input, &m);
    if (rc < 0) /* sizes beyond the library's limits are not a bad argument here */
        return rc == FOLKRNN_E_INVALID ? FOLKRNN_E_UNSUPPORTED : rc;
    struct slot s;
    char name[ST_NAME_MAX];
    for (int i = 0; rc == 0 && slot_at(a, i, &s, name); i++)
        rc = copy_tensor(m, &s, find_entry(e, n, name), buf, name);
    const char *onehot = meta_string(meta, "onehot");
    m->onehot = fr_model_embedding_is_identity(m);
    if (rc == 0 && onehot && !strcmp(onehot, "1") && !m->onehot)
        rc = fr_error(FOLKRNN_E_FORMAT, "onehot is \"1\" but tensor 'embedding' is not the "
                      "identity");
    if (rc == 0)
        rc = fr_model_set_tokens(m, tokens);
    if (rc == 0)
        rc = copy_metadata(m, meta);
    if (rc < 0) {
        folkrnn_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Header parsed: check it all, then build. */
static int load_from_header(const struct fr_json *root, const unsigned char *buf,
                            uint64_t bufsize, struct folkrnn_model **out)
{
    if (root->type != FR_JSON_OBJECT)
        return fr_error(FOLKRNN_E_FORMAT, "safetensors header is not a JSON object");
    const struct fr_json *meta = fr_json_member(root, "__metadata__");
    struct arch a = {0};
    int rc = check_metadata(meta, &a.cell);
    if (rc < 0)
        return rc;
    a.ngates = fr_cell_ngates(a.cell);

    size_t n = root->count - 1;
    struct entry *e = malloc((n ? n : 1) * sizeof *e);
    const char **tokens = NULL;
    int *units = NULL;
    struct fr_json_doc vocab = {0};
    if (!e)
        return fr_oom("tensor table", n * sizeof *e);
    size_t k = 0;
    for (const struct fr_json *c = root->child; c && rc == 0; c = c->next)
        if (strcmp(c->key, "__metadata__"))
            rc = parse_entry(c, bufsize, &e[k++]);
    if (rc == 0)
        rc = check_tiling(e, n, bufsize);
    if (rc == 0) {
        qsort(e, n, sizeof *e, compare_entry_names);
        rc = count_layers(e, n, &a.num_layers);
    }
    if (rc == 0 && !(units = calloc((size_t)a.num_layers, sizeof *units)))
        rc = fr_oom("layer sizes", (size_t)a.num_layers * sizeof *units);
    a.units = units;
    if (rc == 0)
        rc = match_names(&a, e, n);
    if (rc == 0)
        rc = parse_vocab(meta, &vocab, &tokens, &a.vocab);
    if (rc == 0)
        rc = derive_arch(&a, units, e, n);
    if (rc == 0)
        rc = build_model(&a, e, n, buf, tokens, meta, out);
    fr_json_free(&vocab);
    free(tokens);
    free(units);
    free(e);
    return rc;
}

int fr_load_safetensors(const unsigned char *data, size_t size, struct folkrnn_model **out)
{
    *out = NULL;
    if (size < 8)
        return fr_error(FOLKRNN_E_FORMAT, "safetensors: %zu bytes, shorter than the 8-byte "
                        "header length", size);
    uint64_t hlen = load_le(data, 8);
    if (hlen > size - 8)
        return fr_error(FOLKRNN_E_FORMAT, "safetensors: header length %llu exceeds the %zu "
                        "bytes after it (truncated file?)", (unsigned long long)hlen, size - 8);
    if (hlen > ST_MAX_HEADER)
        return fr_error(FOLKRNN_E_FORMAT, "safetensors: header length %llu above the limit %llu",
                        (unsigned long long)hlen, (unsigned long long)ST_MAX_HEADER);
    struct fr_json_doc doc;
    int rc = fr_json_parse((const char *)data + 8, (size_t)hlen, "safetensors header", &doc);
    if (rc < 0)
        return rc;
    rc = load_from_header(doc.root, data + 8 + hlen, size - 8 - hlen, out);
    fr_json_free(&doc);
    return rc;
}

/* ---- writing ------------------------------------------------------------------ */

static int check_utf8(const char *what, const char *s)
{
    if (fr_utf8_valid(s, strlen(s)))
        return 0;
    return fr_error(FOLKRNN_E_INVALID, "%s \"%s\" is not valid UTF-8, which JSON requires",
                    what, s);
}

static void put_meta(struct fr_buf *b, const char *key, const char *value)
{
    fr_buf_puts(b, ",");
    fr_buf_put_json_string(b, key);
    fr_buf_puts(b, ":");
    fr_buf_put_json_string(b, value);
}

/* "vocab": the tokens as a JSON array, itself a string value. */
static int put_vocab(struct fr_buf *b, const struct folkrnn_model *m)
{
    struct fr_buf arr = {0};
    int rc = 0;
    fr_buf_puts(&arr, "[");
    for (int i = 0; i < m->vocab_size && rc == 0; i++) {
        rc = check_utf8("token", m->tokens[i]);
        fr_buf_puts(&arr, i ? "," : "");
        fr_buf_put_json_string(&arr, m->tokens[i]);
    }
    fr_buf_puts(&arr, "]");
    if (rc == 0 && !arr.failed)
        put_meta(b, "vocab", arr.data);
    if (rc == 0 && arr.failed)
        rc = fr_oom("vocabulary JSON", arr.cap * 2);
    fr_buf_free(&arr);
    return rc;
}

static int put_metadata(struct fr_buf *b, const struct folkrnn_model *m)
{
    fr_buf_puts(b, "\"__metadata__\":{\"format\":\"" ST_FORMAT "\"");
    put_meta(b, "format_version", ST_FORMAT_VERSION);
    put_meta(b, "cell", m->cell == FOLKRNN_CELL_LSTM ? "lstm" : "gru");
    put_meta(b, "onehot", fr_model_embedding_is_identity(m) ? "1" : "0");
    int rc = put_vocab(b, m);
    for (int i = 0; i < m->nmeta && rc == 0; i++) {
        if (is_reserved_key(m->meta_keys[i]))
            continue; /* the library writes these itself */
        if ((rc = check_utf8("metadata key", m->meta_keys[i])) == 0 &&
            (rc = check_utf8("metadata value", m->meta_vals[i])) == 0)
            put_meta(b, m->meta_keys[i], m->meta_vals[i]);
    }
    fr_buf_puts(b, "}");
    return rc;
}

/* The header JSON (without padding); *data_bytes = size of the buffer. */
static int build_header(const struct folkrnn_model *m, const struct arch *a, struct fr_buf *b,
                        uint64_t *data_bytes)
{
    fr_buf_puts(b, "{");
    int rc = put_metadata(b, m);
    struct slot s;
    char name[ST_NAME_MAX];
    uint64_t at = 0;
    for (int i = 0; rc == 0 && slot_at(a, i, &s, name); i++) {
        struct shape shape = slot_shape(a, &s);
        uint64_t bytes = 4;
        fr_buf_printf(b, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", name);
        for (int d = 0; d < shape.rank; d++) {
            fr_buf_printf(b, d ? ",%llu" : "%llu", (unsigned long long)shape.dim[d]);
            bytes *= shape.dim[d];
        }
        fr_buf_printf(b, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)at,
                      (unsigned long long)(at + bytes));
        at += bytes;
    }
    fr_buf_puts(b, "}");
    *data_bytes = at;
    return rc;
}

int fr_save_safetensors(const struct folkrnn_model *m, unsigned char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    int *units = malloc((size_t)m->num_layers * sizeof *units);
    if (!units)
        return fr_oom("layer sizes", (size_t)m->num_layers * sizeof *units);
    struct arch a;
    arch_of_model(m, units, &a);
    struct fr_buf header = {0};
    uint64_t data_bytes;
    int rc = build_header(m, &a, &header, &data_bytes);
    /* Spaces pad the header so the data buffer starts 8-byte aligned. */
    while (rc == 0 && !header.failed && (header.len % 8 || looks_like_pickle(header.len)))
        fr_buf_puts(&header, " ");
    if (rc == 0 && header.failed)
        rc = fr_oom("safetensors header", header.cap * 2);
    size_t total = 8 + header.len + (size_t)data_bytes;
    unsigned char *out = rc == 0 ? malloc(total) : NULL;
    if (rc == 0 && !out)
        rc = fr_oom("safetensors file", total);
    if (rc == 0) {
        for (int k = 0; k < 8; k++)
            out[k] = (unsigned char)((uint64_t)header.len >> 8 * k);
        memcpy(out + 8, header.data, header.len);
        unsigned char *p = out + 8 + header.len;
        struct slot s;
        char name[ST_NAME_MAX];
        for (int i = 0; slot_at(&a, i, &s, name); i++) {
            struct place pl = slot_place(m, &s);
            for (size_t r = 0; r < pl.rows; r++, p += pl.cols * 4)
                encode_floats(p, pl.data + r * pl.ld, pl.cols);
        }
        *data = out;
        *size = total;
    }
    fr_buf_free(&header);
    free(units);
    return rc;
}
