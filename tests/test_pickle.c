/* test_pickle.c -- the folk-rnn pickle reader: both dialects, the restricted
   unpickler's refusals, shape and vocabulary checks, hostile bytes, v2's size.

   Two sources of input:
   - the numpy fixtures of tests/make_fixtures.py (tiny_*.pkl, dense_py2.pkl),
     checked value by value against the side files it writes
     (tiny_weights.txt, dense_weights.txt);
   - small pickles built here byte by byte (struct spec + build_pickle) in
     four dialects: Python 2 cPickle, Python 3 protocol 3, Python 3
     protocol 2 (_codecs.encode) and protocol 5 (_frombuffer, FRAME,
     MEMOIZE, STACK_GLOBAL), with knobs for each kind of damage. */
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "testutil.h"

/* ======================================================================
   a pickle writer
   ====================================================================== */

struct buf {
    unsigned char *p;
    size_t n, cap;
    unsigned memo;  /* next memo index */
    int dialect;
};

enum { D_PY2, D_P3, D_P2CODECS, D_P5 };

static void put(struct buf *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void op(struct buf *b, int c)
{
    unsigned char x = (unsigned char)c;
    put(b, &x, 1);
}

static void le(struct buf *b, uint64_t v, int n)
{
    for (int k = 0; k < n; k++)
        op(b, (int)(v >> (8 * k) & 0xff));
}

static void opbytes(struct buf *b, const char *s) { put(b, s, strlen(s)); }
/* A string literal that may hold NUL bytes. */
#define PUTLIT(b, lit) put((b), (lit), sizeof(lit) - 1)

/* Memoize the top of the stack: BINPUT / LONG_BINPUT, MEMOIZE in protocol 4+. */
static unsigned memo_put(struct buf *b)
{
    if (b->dialect == D_P5) {
        op(b, 0x94);
    } else if (b->memo < 256) {
        op(b, 'q');
        op(b, (int)b->memo);
    } else {
        op(b, 'r');
        le(b, b->memo, 4);
    }
    return b->memo++;
}

static void memo_get(struct buf *b, unsigned idx)
{
    if (idx < 256) {
        op(b, 'h');
        op(b, (int)idx);
    } else {
        op(b, 'j');
        le(b, idx, 4);
    }
}

static void pk_int(struct buf *b, long v)
{
    if (v >= 0 && v < 256) {
        op(b, 'K');
        op(b, (int)v);
    } else {
        op(b, 'J');
        le(b, (uint32_t)(int32_t)v, 4);
    }
}

static void pk_bool(struct buf *b, int v)
{
    if (b->dialect == D_PY2)
        pk_int(b, v); /* numpy under Python 2 passes ints for the dtype flags */
    else
        op(b, v ? 0x88 : 0x89);
}

/* Text: a Python 2 str, or a Python 3 str. */
static void pk_text(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->dialect == D_PY2) {
        op(b, 'U');
        op(b, (int)n);
    } else if (b->dialect == D_P5) {
        op(b, 0x8c);
        op(b, (int)n);
    } else {
        op(b, 'X');
        le(b, n, 4);
    }
    put(b, s, n);
}

static void pk_raw(struct buf *b, const unsigned char *data, size_t n)
{
    switch (b->dialect) {
    case D_PY2:
        op(b, 'T');
        le(b, n, 4);
        put(b, data, n);
        break;
    case D_P3:
        op(b, 'B');
        le(b, n, 4);
        put(b, data, n);
        break;
    case D_P5:
        op(b, 0x96); /* BYTEARRAY8, as numpy's in-band buffers */
        le(b, n, 8);
        put(b, data, n);
        break;
    case D_P2CODECS: {
        opbytes(b, "c_codecs\nencode\n");
        struct buf u = {0};
        for (size_t k = 0; k < n; k++) {
            if (data[k] < 0x80) {
                op(&u, data[k]);
            } else {
                op(&u, 0xc0 | data[k] >> 6);
                op(&u, 0x80 | (data[k] & 0x3f));
            }
        }
        op(b, 'X');
        le(b, u.n, 4);
        put(b, u.p, u.n);
        free(u.p);
        pk_text(b, "latin1");
        op(b, 0x86);
        op(b, 'R');
        break;
    }
    }
}

static void pk_global(struct buf *b, const char *mod, const char *name)
{
    if (b->dialect == D_P5) {
        pk_text(b, mod);
        pk_text(b, name);
        op(b, 0x93);
    } else {
        opbytes(b, "c");
        opbytes(b, mod);
        opbytes(b, "\n");
        opbytes(b, name);
        opbytes(b, "\n");
    }
}

/* numpy.dtype(descr, False, True) with BUILD state (3, order, ...). */
static void pk_dtype(struct buf *b, const char *descr, char order)
{
    char o[2] = {order, 0};
    pk_global(b, "numpy", "dtype");
    pk_text(b, descr);
    pk_bool(b, 0);
    pk_bool(b, 1);
    op(b, 0x87);
    op(b, 'R');
    op(b, '(');
    pk_int(b, 3);
    pk_text(b, o);
    opbytes(b, "NNN");
    pk_int(b, -1);
    pk_int(b, -1);
    pk_int(b, 0);
    op(b, 't');
    op(b, 'b');
}

/* An array of values (row-major) written as dtype descr/order, in Fortran
   order when fortran is set, in the buffer's dialect. */
struct arr {
    int ndim;
    long shape[2];
    const double *values;
    const char *descr;
    char order;
    int fortran;
};

static void encode(unsigned char *dst, double v, const char *descr, char order)
{
    unsigned char tmp[8];
    int size = descr[1] - '0';
    if (descr[0] == 'f' && size == 4) {
        float f = (float)v;
        memcpy(tmp, &f, 4);
    } else if (descr[0] == 'f') {
        memcpy(tmp, &v, 8);
    } else if (size == 4) {
        int32_t i = (int32_t)v;
        memcpy(tmp, &i, 4);
    } else {
        int64_t i = (int64_t)v;
        memcpy(tmp, &i, 8);
    }
    for (int k = 0; k < size; k++) /* the test machine is little-endian */
        dst[k] = tmp[order == '>' ? size - 1 - k : k];
}

static void pk_array(struct buf *b, const struct arr *a)
{
    long rows = a->ndim == 2 ? a->shape[0] : 1, cols = a->ndim ? a->shape[a->ndim - 1] : 1;
    int size = a->descr[1] - '0';
    size_t n = (size_t)(rows * cols);
    unsigned char *raw = malloc(n * (size_t)size + 1);
    for (long r = 0; r < rows; r++)
        for (long c = 0; c < cols; c++) {
            size_t at = a->fortran ? (size_t)(c * rows + r) : (size_t)(r * cols + c);
            encode(raw + at * (size_t)size, a->values[r * cols + c], a->descr, a->order);
        }
    if (b->dialect == D_P5) {
        pk_global(b, "numpy.core.numeric", "_frombuffer");
        op(b, '(');
        pk_raw(b, raw, n * (size_t)size);
        pk_dtype(b, a->descr, a->order);
        op(b, '(');
        for (int k = 0; k < a->ndim; k++)
            pk_int(b, a->shape[k]);
        op(b, 't');
        pk_text(b, a->fortran ? "F" : "C");
        op(b, 't');
        op(b, 'R');
    } else {
        pk_global(b, "numpy.core.multiarray", "_reconstruct");
        pk_global(b, "numpy", "ndarray");
        pk_int(b, 0);
        op(b, 0x85);
        if (b->dialect == D_PY2) {
            opbytes(b, "U\x01" "b");
        } else {
            opbytes(b, "C\x01" "b");
        }
        op(b, 0x87);
        op(b, 'R');
        op(b, '(');
        pk_int(b, 1);
        op(b, '(');
        for (int k = 0; k < a->ndim; k++)
            pk_int(b, a->shape[k]);
        op(b, 't');
        pk_dtype(b, a->descr, a->order);
        pk_bool(b, a->fortran);
        pk_raw(b, raw, n * (size_t)size);
        op(b, 't');
        op(b, 'b');
    }
    free(raw);
}

/* ======================================================================
   the model pickles: L layers of U units over V tokens
   ====================================================================== */

#define TL 1
#define TU 2
#define TV 3
#define TN (3 + 14 * TL) /* 17 arrays */
static const char *const tokens3[TV] = {"<s>", "</s>", "|"};

/* What to write, and what to break. */
struct spec {
    int dialect;
    const char *descr;   /* dtype of every parameter: "f4" unless set */
    char order;          /* '<' unless set */
    int fortran;         /* matrices column-major */
    int init_1d;         /* cell_init/hid_init as (U,) instead of (1, U) */
    int dense;           /* embedding not the identity */
    int bad_shape;       /* param index (> 0) given one extra element in its last dim */
    int drop_params;     /* write this many fewer arrays */
    int nan_param;       /* param index (> 0) whose first value is NaN */
    int tok_damage;      /* 1 duplicate index, 2 index out of range, 3 no token2idx,
                            4 one token too many, 5 a value that is text */
    int no_param_values;
    const char *extra;   /* opcodes of an extra key's value ("extra") */
    size_t nextra;
    int memo_dtype;      /* write the f4 dtype once and BINGET it afterwards */
};

/* Element j of parameter i: small integers, exact in every dtype. */
static double pval(int i, long j) { return i * 16 + j + 1; }

static void param_shape(int i, int init_1d, int *ndim, long shape[2])
{
    int base = (i - 1) % 14;
    *ndim = 2;
    if (i == 0) {
        shape[0] = TV, shape[1] = TV;
    } else if (i == TN - 2) {
        shape[0] = TU, shape[1] = TV;
    } else if (i == TN - 1) {
        *ndim = 1, shape[0] = TV;
    } else if (base == 12 || base == 13) {
        if (init_1d)
            *ndim = 1, shape[0] = TU;
        else
            shape[0] = 1, shape[1] = TU;
    } else if (base % 3 == 2) {
        *ndim = 1, shape[0] = TU;
    } else {
        shape[0] = base % 3 == 0 ? (i < 15 ? TV : TU) : TU;
        shape[1] = TU;
    }
}

static void write_param(struct buf *b, const struct spec *s, int i)
{
    struct arr a = {.descr = s->descr ? s->descr : "f4", .order = s->order ? s->order : '<',
                    .fortran = s->fortran};
    param_shape(i, s->init_1d, &a.ndim, a.shape);
    if (s->bad_shape && s->bad_shape == i)
        a.shape[a.ndim - 1]++;
    long n = a.ndim == 2 ? a.shape[0] * a.shape[1] : a.shape[0];
    double *v = malloc((size_t)n * sizeof *v);
    for (long j = 0; j < n; j++)
        v[j] = i == 0 && !s->dense ? (j / TV == j % TV) : pval(i, j);
    if (s->nan_param && s->nan_param == i)
        v[0] = NAN;
    a.values = v;
    pk_array(b, &a);
    free(v);
}

static void write_tokens(struct buf *b, const struct spec *s)
{
    pk_text(b, "token2idx");
    op(b, '}');
    memo_put(b);
    op(b, '(');
    for (int k = 0; k < TV; k++) {
        pk_text(b, tokens3[k]);
        if (s->tok_damage == 5 && k == 1)
            pk_text(b, "one");
        else
            pk_int(b, s->tok_damage == 1 && k == 2 ? 0 : s->tok_damage == 2 && k == 2 ? 3 : k);
    }
    if (s->tok_damage == 4) {
        pk_text(b, "z");
        pk_int(b, 3);
    }
    op(b, 'u');
}

static void write_metadata(struct buf *b)
{
    pk_text(b, "configuration");
    pk_text(b, "test");
    pk_text(b, "epoch_since_start");
    pk_int(b, 7);
    pk_text(b, "iters_since_start");
    op(b, 0x8a), op(b, 5), le(b, 5000000000ull, 5); /* LONG1 */
    pk_text(b, "learning_rate"); /* a 0-d float32 array */
    double lr = 0.003;
    struct arr a = {.ndim = 0, .values = &lr, .descr = "f4", .order = '<'};
    pk_array(b, &a);
    pk_text(b, "losses_eval_valid"); /* Python floats */
    op(b, ']');
    op(b, '(');
    static const unsigned char one_and_half[8] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0};
    static const unsigned char two_and_quarter[8] = {0x40, 0x02, 0, 0, 0, 0, 0, 0};
    op(b, 'G'), put(b, one_and_half, 8);
    op(b, 'G'), put(b, two_and_quarter, 8);
    op(b, 'e');
}

/* The whole dict.  Caller frees b->p. */
static void build_pickle(struct buf *b, const struct spec *s)
{
    memset(b, 0, sizeof *b);
    b->dialect = s->dialect;
    int proto = s->dialect == D_P5 ? 5 : s->dialect == D_P3 ? 3 : 2;
    op(b, 0x80);
    op(b, proto);
    size_t frame_at = b->n;
    if (proto == 5) {
        op(b, 0x95);
        le(b, 0, 8); /* patched below */
    }
    op(b, '}');
    memo_put(b);
    op(b, '(');
    write_metadata(b);
    if (s->tok_damage != 3)
        write_tokens(b, s);
    if (!s->no_param_values) {
        pk_text(b, "param_values");
        op(b, ']');
        memo_put(b);
        op(b, '(');
        for (int i = 0; i < TN - s->drop_params; i++)
            write_param(b, s, i);
        op(b, 'e');
    }
    if (s->extra) {
        pk_text(b, "extra");
        put(b, s->extra, s->nextra);
    }
    op(b, 'u');
    op(b, '.');
    if (proto == 5) {
        size_t len = b->n - frame_at - 9;
        for (int k = 0; k < 8; k++)
            b->p[frame_at + 1 + k] = (unsigned char)(len >> (8 * k));
    }
}

static int load_spec(const struct spec *s, folkrnn_model **m)
{
    struct buf b;
    build_pickle(&b, s);
    int rc = folkrnn_model_load_buffer(b.p, b.n, m);
    free(b.p);
    return rc;
}

static void assert_fails(const struct spec *s, int status, const char *needle)
{
    folkrnn_model *m = (folkrnn_model *)1;
    int rc = load_spec(s, &m);
    ck_assert_msg(rc == status, "status %d (%s) where %d was expected", rc, folkrnn_errmsg(),
                  status);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(folkrnn_errmsg(), needle), "message '%s' lacks '%s'", folkrnn_errmsg(),
                  needle);
}

static void assert_bytes_fail(const void *data, size_t n, int status, const char *needle)
{
    folkrnn_model *m = NULL;
    int rc = folkrnn_model_load_buffer(data, n, &m);
    ck_assert_msg(rc == status, "status %d (%s) where %d was expected", rc, folkrnn_errmsg(),
                  status);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(folkrnn_errmsg(), needle), "message '%s' lacks '%s'", folkrnn_errmsg(),
                  needle);
}

/* Every parameter of a model built from spec s equals what was written. */
static void check_built_model(const folkrnn_model *m, const struct spec *s)
{
    ck_assert_int_eq(folkrnn_model_num_layers(m), TL);
    ck_assert_int_eq(folkrnn_model_hidden_size(m, 0), TU);
    ck_assert_int_eq(folkrnn_model_vocab_size(m), TV);
    ck_assert_int_eq(folkrnn_model_is_onehot(m), !s->dense);
    for (int k = 0; k < TV; k++)
        ck_assert_str_eq(folkrnn_model_token(m, k), tokens3[k]);
    for (int i = 0; i < TN; i++) {
        int which = i == 0 ? FOLKRNN_P_EMBEDDING : i == TN - 2 ? FOLKRNN_P_DENSE_W
                  : i == TN - 1 ? FOLKRNN_P_DENSE_B : FOLKRNN_P_W_IN_INGATE + (i - 1) % 14;
        const float *d;
        int rows, cols, ld, ndim;
        long shape[2];
        int layer = i >= 1 && i < TN - 2 ? (i - 1) / 14 : 0;
        ck_assert_ok(folkrnn_model_param_const(m, layer, which, &d, &rows, &cols, &ld));
        param_shape(i, 0, &ndim, shape);
        long r0 = ndim == 2 ? shape[0] : 1, c0 = ndim == 2 ? shape[1] : shape[0];
        ck_assert_int_eq(rows, r0);
        ck_assert_int_eq(cols, c0);
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++) {
                double want = i == 0 && !s->dense ? (r == c) : pval(i, r * cols + c);
                ck_assert_msg(d[r * ld + c] == (float)want, "param %d (%ld, %ld): %g where %g",
                              i, r, c, d[r * ld + c], want);
            }
    }
}

/* ======================================================================
   fixtures against their side files
   ====================================================================== */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* Compare one "param K NAME NDIM DIMS... VALUES" line with the model. */
static void check_param_line(const folkrnn_model *m, char *line)
{
    char *p = line + 6, *end;
    long k = strtol(p, &end, 10);
    p = strchr(end + 1, ' ') + 1; /* skip the name */
    long ndim = strtol(p, &end, 10), count = 1;
    for (long d = 0; d < ndim; d++)
        count *= strtol(end, &end, 10);
    int L = folkrnn_model_num_layers(m);
    int which = k == 0 ? FOLKRNN_P_EMBEDDING : k == 1 + 14 * L ? FOLKRNN_P_DENSE_W
              : k == 2 + 14 * L ? FOLKRNN_P_DENSE_B : FOLKRNN_P_W_IN_INGATE + (int)(k - 1) % 14;
    const float *data;
    int rows, cols, ld;
    ck_assert_ok(folkrnn_model_param_const(m, k ? (int)(k - 1) / 14 % L : 0, which, &data,
                                           &rows, &cols, &ld));
    ck_assert_msg((long)rows * cols == count, "param %ld: %d x %d where %ld values", k, rows,
                  cols, count);
    for (long i = 0; i < count; i++) {
        float want = strtof(end, &end);
        float got = data[(i / cols) * ld + i % cols];
        ck_assert_msg(got == want, "param %ld value %ld: %.9g where %.9g", k, i, got, want);
    }
}

/* The numbers of a JSON array of metadata. */
static int json_count(const char *s)
{
    int n = s[1] != ']';
    for (; *s; s++)
        n += *s == ',';
    return n;
}

static void check_field(const folkrnn_model *m, const char *key, const char *want)
{
    const char *got = folkrnn_model_meta(m, key);
    if (!strcmp(key, "losses_train_len")) {
        ck_assert_int_eq(json_count(folkrnn_model_meta(m, "losses_train")), atoi(want));
    } else if (!strcmp(key, "losses_train_first")) {
        ck_assert_float_eq(strtof(folkrnn_model_meta(m, "losses_train") + 1, NULL),
                           strtof(want, NULL));
    } else if (!strcmp(key, "losses_eval_valid")) {
        char *p = (char *)got + 1, *w = (char *)want;
        for (int k = 0; k < 5; k++) {
            double a = strtod(p, &p), b = strtod(w, &w);
            ck_assert_msg(a == b, "losses_eval_valid[%d]: %.17g where %.17g", k, a, b);
            p++;
        }
    } else if (!strcmp(key, "learning_rate")) {
        ck_assert_msg(got && strtof(got, NULL) == strtof(want, NULL), "learning_rate %s", got);
    } else {
        ck_assert_msg(got && !strcmp(got, want), "%s: '%s' where '%s'", key, got, want);
    }
}

/* Load a fixture and compare it with every line of its weights file. */
static void check_fixture(const char *name, const char *weights, int onehot, const char *source)
{
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_load(fixture_path(name), &m));
    char *text = read_text(fixture_path(weights));
    int nparams = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char a[64], b[256];
        int id;
        if (!strncmp(line, "param ", 6)) {
            check_param_line(m, line);
            nparams++;
        } else if (sscanf(line, "vocab %d", &id) == 1) {
            ck_assert_int_eq(folkrnn_model_vocab_size(m), id);
        } else if (sscanf(line, "token %d %255s", &id, b) == 2) {
            ck_assert_str_eq(folkrnn_model_token(m, id), b);
            ck_assert_int_eq(folkrnn_model_token_id(m, b), id);
        } else if (sscanf(line, "field %63s", a) == 1) {
            check_field(m, a, line + 7 + strlen(a));
        }
    }
    ck_assert_int_eq(nparams, 3 + 14 * folkrnn_model_num_layers(m));
    ck_assert_int_eq(folkrnn_model_is_onehot(m), onehot);
    ck_assert_str_eq(folkrnn_model_meta(m, "source_format"), source);
    free(text);
    folkrnn_model_free(m);
}

START_TEST(fixture_py2)
{
    check_fixture("tiny_py2.pkl", "tiny_weights.txt", 1, "pickle (protocol 2)");
    check_fixture("tiny_py2.pkl.gz", "tiny_weights.txt", 1, "pickle (protocol 2)");
    check_fixture("dense_py2.pkl", "dense_weights.txt", 0, "pickle (protocol 2)");
}
END_TEST

START_TEST(fixture_py3)
{
    static const char *const names[] = {"tiny_p2.pkl", "tiny_p3.pkl", "tiny_p4.pkl",
                                        "tiny_p5.pkl", "tiny_np2names_p4.pkl",
                                        "tiny_np2names_p5.pkl"};
    static const char *const sources[] = {"pickle (protocol 2)", "pickle (protocol 3)",
                                          "pickle (protocol 4)", "pickle (protocol 5)",
                                          "pickle (protocol 4)", "pickle (protocol 5)"};
    for (int k = 0; k < 6; k++)
        check_fixture(names[k], "tiny_weights.txt", 1, sources[k]);
}
END_TEST

START_TEST(fixture_architecture)
{
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_load(fixture_path("dense_py2.pkl"), &m));
    ck_assert_int_eq(folkrnn_model_num_layers(m), 2);
    ck_assert_int_eq(folkrnn_model_hidden_size(m, 1), 5);
    ck_assert_int_eq(folkrnn_model_input_size(m), 4);
    ck_assert_str_eq(folkrnn_model_meta(m, "configuration"), "dense");
    ck_assert_str_eq(folkrnn_model_meta(m, "iters_since_start"), "300");
    ck_assert_ptr_null(folkrnn_model_meta(m, "param_values"));
    ck_assert_ptr_null(folkrnn_model_meta(m, "token2idx"));
    folkrnn_model_free(m);
}
END_TEST

/* ======================================================================
   built pickles: every dialect and dtype
   ====================================================================== */

START_TEST(dialects)
{
    static const int dialects[] = {D_PY2, D_P3, D_P2CODECS, D_P5};
    for (int d = 0; d < 4; d++) {
        struct spec s = {.dialect = dialects[d]};
        folkrnn_model *m;
        ck_assert_ok(load_spec(&s, &m));
        check_built_model(m, &s);
        ck_assert_str_eq(folkrnn_model_meta(m, "configuration"), "test");
        ck_assert_str_eq(folkrnn_model_meta(m, "epoch_since_start"), "7");
        ck_assert_str_eq(folkrnn_model_meta(m, "iters_since_start"), "5000000000");
        ck_assert_str_eq(folkrnn_model_meta(m, "learning_rate"), "0.00300000003");
        ck_assert_str_eq(folkrnn_model_meta(m, "losses_eval_valid"), "[1.5, 2.25]");
        folkrnn_model_free(m);
    }
}
END_TEST

START_TEST(dtypes_orders_layouts)
{
    static const char *const descrs[] = {"f4", "f8", "i4", "i8"};
    for (int d = 0; d < 4; d++)
        for (int big = 0; big < 2; big++)
            for (int fortran = 0; fortran < 2; fortran++)
                for (int dialect = 0; dialect < 4; dialect++) {
                    struct spec s = {.dialect = dialect, .descr = descrs[d],
                                     .order = big ? '>' : '<', .fortran = fortran,
                                     .init_1d = fortran, .dense = big};
                    folkrnn_model *m;
                    ck_assert_ok(load_spec(&s, &m));
                    check_built_model(m, &s);
                    folkrnn_model_free(m);
                }
}
END_TEST

/* ======================================================================
   refusals
   ====================================================================== */

START_TEST(unknown_globals)
{
    static const char os_system[] = "\x80\x02" "cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85R.";
    assert_bytes_fail(os_system, sizeof os_system - 1, FOLKRNN_E_UNSUPPORTED,
                      "pickle global os.system is not allowed");
    static const char eval[] = "\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93\x8c\x01" "1\x85R.";
    assert_bytes_fail(eval, sizeof eval - 1, FOLKRNN_E_UNSUPPORTED,
                      "pickle global builtins.eval is not allowed");
    /* A permitted module with another name, and a near miss of a module. */
    static const char ones[] = "\x80\x02" "cnumpy\nones\n)R.";
    assert_bytes_fail(ones, sizeof ones - 1, FOLKRNN_E_UNSUPPORTED, "numpy.ones");
    static const char near[] = "\x80\x02" "cnumpy.core.multiarrayX\n_reconstruct\n.";
    assert_bytes_fail(near, sizeof near - 1, FOLKRNN_E_UNSUPPORTED,
                      "numpy.core.multiarrayX._reconstruct");
    /* Inside the model dict, under an extra key. */
    static const char sub[] = "csubprocess\ncall\n";
    struct spec s = {.dialect = D_PY2, .extra = sub, .nextra = sizeof sub - 1};
    assert_fails(&s, FOLKRNN_E_UNSUPPORTED, "subprocess.call");
}
END_TEST

START_TEST(refused_opcodes)
{
    static const char newobj[] = "\x80\x02" "cnumpy\ndtype\n)\x81.";
    assert_bytes_fail(newobj, sizeof newobj - 1, FOLKRNN_E_UNSUPPORTED, "NEWOBJ");
    static const char inst[] = "\x80\x02(i__main__\nX\n.";
    assert_bytes_fail(inst, sizeof inst - 1, FOLKRNN_E_UNSUPPORTED, "INST");
    static const char persid[] = "\x80\x02K\x01Q.";
    assert_bytes_fail(persid, sizeof persid - 1, FOLKRNN_E_UNSUPPORTED, "BINPERSID");
    static const char oob[] = "\x80\x05\x97.";
    assert_bytes_fail(oob, sizeof oob - 1, FOLKRNN_E_UNSUPPORTED, "out-of-band");
    static const char unknown[] = "\x80\x02\xff.";
    assert_bytes_fail(unknown, sizeof unknown - 1, FOLKRNN_E_FORMAT, "unknown pickle opcode 0xff");
    /* REDUCE on ndarray itself, BUILD on a list, a dtype that is not a number. */
    static const char nd[] = "\x80\x02" "cnumpy\nndarray\n)R.";
    assert_bytes_fail(nd, sizeof nd - 1, FOLKRNN_E_UNSUPPORTED, "ndarray");
    static const char build[] = "\x80\x02]K\x01" "b.";
    assert_bytes_fail(build, sizeof build - 1, FOLKRNN_E_UNSUPPORTED, "BUILD on a list");
    static const char obj[] = "\x80\x02" "cnumpy\ndtype\nU\x02O8K\x00K\x01\x87R.";
    assert_bytes_fail(obj, sizeof obj - 1, FOLKRNN_E_UNSUPPORTED, "'O8'");
    /* A dtype under an extra key is not plain data. */
    static const char dt[] = "cnumpy\ndtype\nU\x02" "f4K\x00K\x01\x87R";
    struct spec s = {.dialect = D_PY2, .extra = dt, .nextra = sizeof dt - 1};
    assert_fails(&s, FOLKRNN_E_UNSUPPORTED, "pickle key 'extra' holds a numpy dtype");
}
END_TEST

START_TEST(huge_declared_sizes)
{
    /* Each declares far more than the kilobyte that follows. */
    static const struct { const char *head; size_t n; } heads[] = {
        {"\x80\x02T\xff\xff\xff\x7f", 7},                  /* BINSTRING 2 GB */
        {"\x80\x02T\xff\xff\xff\xff", 7},                  /* BINSTRING negative */
        {"\x80\x03" "B\xff\xff\xff\xff", 7},               /* BINBYTES 4 GB */
        {"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f", 11}, /* BINBYTES8 */
        {"\x80\x05\x96\x00\x00\x00\x00\x01\x00\x00\x00", 11}, /* BYTEARRAY8 4 GB */
        {"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff", 11}, /* BINUNICODE8 */
        {"\x80\x02X\x00\x00\x00\x01", 7},                  /* BINUNICODE 16 MB */
        {"\x80\x02\x8b\xff\xff\xff\x7f", 7},               /* LONG4 */
        {"\x80\x04\x95\xff\xff\xff\xff\x00\x00\x00\x00", 11}, /* FRAME */
        {"\x80\x02U\xff", 4},                              /* SHORT_BINSTRING 255 */
    };
    unsigned char data[1024 + 16];
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
        memset(data, 'N', sizeof data);
        memcpy(data, heads[k].head, heads[k].n);
        size_t n = k == 9 ? 100 : sizeof data; /* the 255 needs a small file */
        assert_bytes_fail(data, n, FOLKRNN_E_FORMAT, "pickle byte");
    }
    /* A shape whose product overflows, and one that disagrees with its bytes. */
    struct buf b = {.dialect = D_PY2};
    op(&b, 0x80), op(&b, 2);
    pk_global(&b, "numpy.core.multiarray", "_reconstruct");
    pk_global(&b, "numpy", "ndarray");
    PUTLIT(&b, "K\x00\x85U\x01" "b\x87R(K\x01(J\xff\xff\xff\x7fJ\xff\xff\xff\x7f"
                "J\xff\xff\xff\x7fJ\xff\xff\xff\x7ft");
    pk_dtype(&b, "f8", '<');
    PUTLIT(&b, "K\x00T\x10\x00\x00\x00" "0123456789abcdeftb.");
    assert_bytes_fail(b.p, b.n, FOLKRNN_E_FORMAT, "does not fit its shape");
    b.n = 0;
    op(&b, 0x80), op(&b, 2);
    pk_global(&b, "numpy.core.multiarray", "_reconstruct");
    pk_global(&b, "numpy", "ndarray");
    PUTLIT(&b, "K\x00\x85U\x01" "b\x87R(K\x01(K\x02K\x02t");
    pk_dtype(&b, "f4", '<');
    PUTLIT(&b, "K\x00T\x0c\x00\x00\x00" "0123456789abtb.");
    assert_bytes_fail(b.p, b.n, FOLKRNN_E_FORMAT, "holds 12 bytes");
    free(b.p);
}
END_TEST

START_TEST(memo)
{
    static const char unset[] = "\x80\x02K\x01q\x00h\x05.";
    assert_bytes_fail(unset, sizeof unset - 1, FOLKRNN_E_FORMAT, "memo entry 5 was never stored");
    static const char far_get[] = "\x80\x02K\x01q\x00j\xff\xff\xff\xff.";
    assert_bytes_fail(far_get, sizeof far_get - 1, FOLKRNN_E_FORMAT, "never stored");
    static const char far_put[] = "\x80\x02K\x01r\xf0\xff\xff\xff.";
    assert_bytes_fail(far_put, sizeof far_put - 1, FOLKRNN_E_FORMAT, "memo index 4294967280");
    static const char empty_put[] = "\x80\x02q\x00.";
    assert_bytes_fail(empty_put, sizeof empty_put - 1, FOLKRNN_E_FORMAT, "PUT needs 1 value");
    /* A model whose every dtype after the first is a memo reference, past
       entry 256 (LONG_BINPUT / LONG_BINGET): the loader must follow them. */
    struct buf b = {.dialect = D_PY2};
    op(&b, 0x80), op(&b, 2);
    for (int k = 0; k < 300; k++) { /* fill the memo */
        pk_int(&b, k);
        memo_put(&b);
        op(&b, '0');
    }
    pk_dtype(&b, "f4", '<');
    unsigned dt = memo_put(&b);
    ck_assert_uint_gt(dt, 255);
    op(&b, '0');
    /* A list of three 0-d arrays sharing that dtype, and the list twice. */
    op(&b, ']');
    unsigned list = memo_put(&b);
    op(&b, '(');
    for (int k = 0; k < 3; k++) {
        pk_global(&b, "numpy.core.multiarray", "scalar");
        memo_get(&b, dt);
        float f = 0.5f + (float)k;
        op(&b, 'U'), op(&b, 4), put(&b, &f, 4);
        op(&b, 0x86), op(&b, 'R');
    }
    op(&b, 'e');
    op(&b, '0');
    /* {'param_values': 1, 'x': list, 'y': list} is not a model, but the
       walk must get there: check the message names param_values. */
    op(&b, '}'), op(&b, '(');
    pk_text(&b, "x"), memo_get(&b, list);
    pk_text(&b, "y"), memo_get(&b, list);
    op(&b, 'u'), op(&b, '.');
    assert_bytes_fail(b.p, b.n, FOLKRNN_E_FORMAT, "no 'param_values'");
    free(b.p);
}
END_TEST

START_TEST(nesting_and_cycles)
{
    /* 5000 open MARKs: over the limit, refused without recursion. */
    struct buf b = {0};
    op(&b, 0x80), op(&b, 2);
    for (int k = 0; k < 5000; k++)
        op(&b, '(');
    op(&b, '.');
    assert_bytes_fail(b.p, b.n, FOLKRNN_E_UNSUPPORTED, "MARK");
    free(b.p);
    /* A list nested 200,000 deep and a list that contains itself, as extra
       keys of a good model: plain data, ignored, no deep recursion. */
    struct buf x = {0};
    for (int k = 0; k < 200000; k++)
        op(&x, ']');
    for (int k = 0; k < 199999; k++)
        op(&x, 'a');
    struct spec s = {.dialect = D_PY2, .extra = (const char *)x.p, .nextra = x.n};
    folkrnn_model *m;
    ck_assert_ok(load_spec(&s, &m));
    ck_assert_ptr_null(folkrnn_model_meta(m, "extra"));
    folkrnn_model_free(m);
    static const char cycle[] = "]q\xc8h\xc8" "a"; /* a list in itself */
    s.extra = cycle;
    s.nextra = sizeof cycle - 1;
    ck_assert_ok(load_spec(&s, &m));
    folkrnn_model_free(m);
    free(x.p);
}
END_TEST

START_TEST(extra_metadata)
{
    /* Lists of ints, bools, None, text; a dict is plain data but has no text. */
    static const struct { const char *ops; size_t n; const char *want; } cases[] = {
        {"](K\x01K\x02J\xff\xff\xff\xff" "e", 12, "[1, 2, -1]"},
        {"\x88", 1, "True"},
        {"N", 1, "None"},
        {"U\x05" "hello", 7, "hello"},
        {"U\x02\xe9t", 4, "\xc3\xa9t"}, /* a Python 2 str in latin-1 */
        {"](e", 3, "[]"},
        {"}", 1, NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct spec s = {.dialect = D_PY2, .extra = cases[k].ops, .nextra = cases[k].n};
        folkrnn_model *m;
        ck_assert_ok(load_spec(&s, &m));
        if (cases[k].want)
            ck_assert_str_eq(folkrnn_model_meta(m, "extra"), cases[k].want);
        else
            ck_assert_ptr_null(folkrnn_model_meta(m, "extra"));
        folkrnn_model_free(m);
    }
}
END_TEST

/* Python 3's protocol 2 writes bytes as _codecs.encode(str, 'latin1'):
   every byte value comes back, and text that is not latin-1 is refused. */
static size_t codecs_call(char *dst, const unsigned char *utf8, size_t n)
{
    size_t k = 0;
    k += (size_t)sprintf(dst + k, "c_codecs\nencode\nX");
    for (int i = 0; i < 4; i++)
        dst[k++] = (char)(n >> 8 * i);
    memcpy(dst + k, utf8, n);
    k += n;
    memcpy(dst + k, "X\x06\0\0\0latin1\x86R", 13);
    return k + 13;
}

START_TEST(codecs_encode)
{
    unsigned char utf8[512], want[512];
    size_t n = 0;
    for (int b = 1; b < 256; b++) { /* U+0001..U+00FF */
        if (b >= 0x80)
            utf8[n++] = (unsigned char)(0xc0 | b >> 6);
        utf8[n++] = (unsigned char)(b < 0x80 ? b : 0x80 | (b & 0x3f));
    }
    memcpy(want, utf8, n);
    want[n] = 0; /* the metadata text: the bytes, latin-1, as UTF-8 again */
    char ops[600];
    struct spec s = {.dialect = D_PY2, .extra = ops, .nextra = codecs_call(ops, utf8, n)};
    folkrnn_model *m;
    ck_assert_ok(load_spec(&s, &m));
    ck_assert_str_eq(folkrnn_model_meta(m, "extra"), (const char *)want);
    folkrnn_model_free(m);

    static const struct { const char *text; size_t n; } bad[] = {
        {"\xe2\x82\xac", 3}, /* U+20AC, beyond latin-1 */
        {"a\xc3", 2},       /* a lead byte at the end */
        {"\x80", 1},        /* a continuation without a lead */
        {"\xc3\xc3\xa9", 3}, /* a lead followed by a lead */
        {"\xc4\x80", 2},    /* U+0100 */
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char p[64] = "\x80\x02";
        size_t len = 2 + codecs_call(p + 2, (const unsigned char *)bad[k].text, bad[k].n);
        p[len++] = '.';
        assert_bytes_fail(p, len, FOLKRNN_E_FORMAT, "_codecs.encode: not latin-1");
    }
}
END_TEST

/* float32 metadata is written by the library's own %.9g: compare it with
   printf's on values of every magnitude. */
START_TEST(float32_text)
{
    enum { N = 4000 };
    double *v = malloc(N * sizeof *v);
    uint32_t seed = 5;
    char *want = malloc(N * 24 + 2), num[40];
    size_t len = 0;
    want[len++] = '[';
    for (int k = 0; k < N; k++) {
        uint32_t u;
        float f;
        do {
            seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
            u = k < N / 2 ? seed : 0x2f800000u + (uint32_t)k * 0x9e37u; /* 1e-10 .. */
            memcpy(&f, &u, 4);
        } while (!isfinite(f));
        v[k] = f;
        len += (size_t)snprintf(want + len, 40, "%s", k ? ", " : "");
        snprintf(num, sizeof num, "%.9g", (double)f);
        len += (size_t)snprintf(want + len, 40, "%s", num);
    }
    want[len++] = ']';
    want[len] = 0;
    struct buf x = {.dialect = D_PY2};
    struct arr a = {.ndim = 1, .shape = {N, 0}, .values = v, .descr = "f4", .order = '<'};
    pk_array(&x, &a);
    struct spec s = {.dialect = D_PY2, .extra = (const char *)x.p, .nextra = x.n};
    folkrnn_model *m;
    ck_assert_ok(load_spec(&s, &m));
    ck_assert_str_eq(folkrnn_model_meta(m, "extra"), want);
    folkrnn_model_free(m);
    free(x.p);
    free(want);
    free(v);
}
END_TEST

/* ======================================================================
   shapes and vocabulary
   ====================================================================== */

START_TEST(wrong_shapes)
{
    struct spec s = {.dialect = D_PY2, .bad_shape = 14};
    assert_fails(&s, FOLKRNN_E_SHAPE,
                 "param_values[14]: shape (1, 3) where (1, 2) was expected (hid_init of layer 0)");
    s.init_1d = 1;
    assert_fails(&s, FOLKRNN_E_SHAPE, "param_values[14]: shape (3,) where (1, 2) was expected");
    s = (struct spec){.dialect = D_P5, .bad_shape = 3};
    assert_fails(&s, FOLKRNN_E_SHAPE, "param_values[3]: shape (3,) where (2,) was expected");
    s.bad_shape = 2;
    assert_fails(&s, FOLKRNN_E_SHAPE, "param_values[2]: shape (2, 3) where (2, 2) was expected");
    s.bad_shape = TN - 2;
    assert_fails(&s, FOLKRNN_E_SHAPE, "(dense W)");
    s.bad_shape = TN - 1;
    assert_fails(&s, FOLKRNN_E_SHAPE, "(dense b)");
    s = (struct spec){.dialect = D_P3, .drop_params = 1};
    assert_fails(&s, FOLKRNN_E_SHAPE, "param_values has 16 arrays");
    s = (struct spec){.dialect = D_P3, .no_param_values = 1};
    assert_fails(&s, FOLKRNN_E_FORMAT, "no 'param_values'");
    s = (struct spec){.dialect = D_PY2, .nan_param = 5};
    assert_fails(&s, FOLKRNN_E_NUMERIC,
                 "param_values[5] (W_hid_to_forgetgate of layer 0): element (0, 0) is nan");
}
END_TEST

START_TEST(bad_token2idx)
{
    struct spec s = {.dialect = D_PY2, .tok_damage = 1};
    assert_fails(&s, FOLKRNN_E_FORMAT, "token2idx maps both '<s>' and '|' to 0");
    s.tok_damage = 2;
    assert_fails(&s, FOLKRNN_E_RANGE, "token2idx['|'] = 3 is outside 0..2");
    s.tok_damage = 3;
    assert_fails(&s, FOLKRNN_E_FORMAT, "no 'token2idx'");
    s.tok_damage = 4;
    assert_fails(&s, FOLKRNN_E_SHAPE, "token2idx has 4 tokens");
    s.tok_damage = 5;
    assert_fails(&s, FOLKRNN_E_FORMAT, "token2idx['</s>'] is bytes, not an integer");
}
END_TEST

START_TEST(null_arguments)
{
    folkrnn_model *m = (folkrnn_model *)1;
    ck_assert_int_eq(folkrnn_model_load_buffer(NULL, 10, &m), FOLKRNN_E_INVALID);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(folkrnn_model_load_buffer("\x80\x02N.", 4, NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_model_load(NULL, &m), FOLKRNN_E_INVALID);
    /* The smallest pickles: not a dict. */
    assert_bytes_fail("\x80\x02N.", 4, FOLKRNN_E_FORMAT, "holds None, not a folk-rnn dict");
    assert_bytes_fail("\x80\x02", 2, FOLKRNN_E_FORMAT, "truncated");
    assert_bytes_fail("\x80\x02.", 3, FOLKRNN_E_FORMAT, "STOP needs 1 value");
}
END_TEST

/* ======================================================================
   hostile bytes: every truncation, seeded bit flips
   ====================================================================== */

/* Loads must fail cleanly or succeed; the sanitizers and valgrind see the rest. */
static void try_load(const unsigned char *p, size_t n)
{
    folkrnn_model *m = NULL;
    int rc = folkrnn_model_load_buffer(p, n, &m);
    ck_assert(rc <= 0);
    ck_assert((rc == 0) == (m != NULL));
    folkrnn_model_free(m);
}

START_TEST(every_truncation)
{
    static const int dialects[] = {D_PY2, D_P3, D_P2CODECS, D_P5};
    for (int d = 0; d < 4; d++) {
        struct spec s = {.dialect = dialects[d], .init_1d = d & 1};
        struct buf b;
        build_pickle(&b, &s);
        for (size_t n = 0; n < b.n; n++) {
            folkrnn_model *m = NULL;
            ck_assert_msg(folkrnn_model_load_buffer(b.p, n, &m) < 0, "dialect %d: %zu of %zu "
                          "bytes loaded", d, n, b.n);
            ck_assert_ptr_null(m);
        }
        try_load(b.p, b.n);
        free(b.p);
    }
}
END_TEST

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

START_TEST(bit_flips)
{
    uint32_t seed = 20170101u;
    static const int dialects[] = {D_PY2, D_P3, D_P2CODECS, D_P5};
    for (int d = 0; d < 4; d++) {
        struct spec s = {.dialect = dialects[d]};
        struct buf b;
        build_pickle(&b, &s);
        unsigned char *copy = malloc(b.n);
        for (int trial = 0; trial < 1500; trial++) {
            memcpy(copy, b.p, b.n);
            int flips = 1 + (int)(xorshift(&seed) % 3);
            for (int f = 0; f < flips; f++) {
                uint32_t bit = xorshift(&seed) % (uint32_t)(b.n * 8);
                copy[bit / 8] ^= (unsigned char)(1u << bit % 8);
            }
            try_load(copy, b.n);
        }
        free(copy);
        free(b.p);
    }
    /* And a few hundred on a real fixture (Python 3, protocol 5). */
    FILE *f = fopen(fixture_path("tiny_p5.pkl"), "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char *data = malloc(1 << 17);
    size_t n = fread(data, 1, 1 << 17, f);
    fclose(f);
    unsigned char *copy = malloc(n);
    for (int trial = 0; trial < 300; trial++) {
        memcpy(copy, data, n);
        uint32_t bit = xorshift(&seed) % (uint32_t)(n * 8);
        copy[bit / 8] ^= (unsigned char)(1u << bit % 8);
        try_load(copy, n);
    }
    free(copy);
    free(data);
}
END_TEST

/* ======================================================================
   size: a pickle of folk-rnn v2's size
   ====================================================================== */

/* v2's layout in the Python 2 dialect: 137 tokens, 3 x 512, 35,000 0-d losses. */
static void build_v2_size(struct buf *b)
{
    enum { V = 137, U = 512, L = 3 };
    memset(b, 0, sizeof *b);
    b->dialect = D_PY2;
    op(b, 0x80), op(b, 2), op(b, '}'), op(b, '(');
    pk_text(b, "losses_train");
    op(b, ']');
    /* As cPickle writes them: the globals, 'b' and the dtype are memo
       references after the first loss. */
    pk_global(b, "numpy.core.multiarray", "_reconstruct");
    unsigned rec = memo_put(b);
    pk_global(b, "numpy", "ndarray");
    unsigned nd = memo_put(b);
    op(b, '0'), op(b, '0');
    PUTLIT(b, "U\x01" "b");
    unsigned letter_b = memo_put(b);
    op(b, '0');
    pk_dtype(b, "f4", '<');
    unsigned dt = memo_put(b);
    op(b, '0');
    for (int k = 0; k < 35000; k++) {
        if (k % 1000 == 0)
            op(b, '(');
        float x = 3.0f / (float)(1 + k);
        memo_get(b, rec), memo_get(b, nd), PUTLIT(b, "K\x00\x85"), memo_put(b);
        memo_get(b, letter_b), op(b, 0x87), memo_put(b), op(b, 'R'), memo_put(b);
        PUTLIT(b, "(K\x01)"), memo_get(b, dt), op(b, 0x89);
        op(b, 'U'), op(b, 4), put(b, &x, 4), memo_put(b), op(b, 't'), memo_put(b), op(b, 'b');
        if (k % 1000 == 999 || k == 34999)
            op(b, 'e');
    }
    pk_text(b, "token2idx");
    op(b, '}'), op(b, '(');
    for (int k = 0; k < V; k++) {
        char t[16];
        snprintf(t, sizeof t, "t%d", k);
        pk_text(b, t);
        pk_int(b, k);
    }
    op(b, 'u');
    pk_text(b, "param_values");
    op(b, ']'), op(b, '(');
    double *v = calloc((size_t)U * 4 * U, sizeof *v);
    for (int k = 0; k < V; k++)
        v[k * V + k] = 1;
    struct arr e = {2, {V, V}, v, "f4", '<', 0};
    pk_array(b, &e);
    memset(v, 0, (size_t)V * V * sizeof *v);
    for (int l = 0; l < L; l++)
        for (int g = 0; g < 4; g++) {
            struct arr win = {2, {l ? U : V, U}, v, "f4", '<', 0};
            struct arr whid = {2, {U, U}, v, "f4", '<', 0};
            struct arr bias = {1, {U, 0}, v, "f4", '<', 0};
            pk_array(b, &win), pk_array(b, &whid), pk_array(b, &bias);
            if (g == 3) {
                struct arr init = {2, {1, U}, v, "f4", '<', 0};
                pk_array(b, &init), pk_array(b, &init);
            }
        }
    struct arr dw = {2, {U, V}, v, "f4", '<', 0}, db = {1, {V, 0}, v, "f4", '<', 0};
    pk_array(b, &dw), pk_array(b, &db);
    free(v);
    op(b, 'e'), op(b, 'u'), op(b, '.');
}

START_TEST(v2_size_load)
{
    /* A file of v2's size and folk-rnn's own metadata loads whole (its
       speed against reading the bytes is measured by make bench). */
    struct buf b;
    build_v2_size(&b);
    char path[] = "/tmp/test_pickle_v2_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, b.p, b.n), (ssize_t)b.n);
    close(fd);
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_load(path, &m));
    ck_assert_int_eq(folkrnn_model_num_params(m), 5599881);
    ck_assert_int_eq(json_count(folkrnn_model_meta(m, "losses_train")), 35000);
    folkrnn_model_free(m);
    unlink(path);
    free(b.p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pickle");
    TCase *tc = tcase_create("pickle");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fixture_py2);
    tcase_add_test(tc, fixture_py3);
    tcase_add_test(tc, fixture_architecture);
    tcase_add_test(tc, dialects);
    tcase_add_test(tc, dtypes_orders_layouts);
    tcase_add_test(tc, unknown_globals);
    tcase_add_test(tc, refused_opcodes);
    tcase_add_test(tc, huge_declared_sizes);
    tcase_add_test(tc, memo);
    tcase_add_test(tc, nesting_and_cycles);
    tcase_add_test(tc, extra_metadata);
    tcase_add_test(tc, codecs_encode);
    tcase_add_test(tc, float32_text);
    tcase_add_test(tc, wrong_shapes);
    tcase_add_test(tc, bad_token2idx);
    tcase_add_test(tc, null_arguments);
    tcase_add_test(tc, every_truncation);
    tcase_add_test(tc, bit_flips);
    tcase_add_test(tc, v2_size_load);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
