/* test_robust.c -- every row of doc/robustness.md's bad-input table, the
   allocation-failure sweep, and the replay of fuzzing finds (tests/regress).

   Allocation accounting.  This program defines malloc, calloc, realloc and
   free itself, forwarding to glibc's __libc_* functions; the dynamic linker
   then sends every allocation of the process, libfolkrnn's (and zlib's, and
   libc's own: strdup, fopen) included, through them.  Between watch_begin()
   and watch_end() the calling thread's allocations are counted, the live
   ones kept in a table (so leaks show), the largest request recorded, and
   the fail_at-th one refused.  Sanitizer builds (ASan, TSan) bring their own
   malloc, so there the interposer is compiled out and the tests that need it
   only check status codes; Valgrind replaces __libc_malloc and works with it.

   Fixtures: tests/fixtures/robust/ (tests/make_robust_fixtures.py, one
   defect per file), safetensors bytes made at run time by saving the
   fixture model, and byte strings written here for what is easier to say
   in bytes (pickle opcodes, declared lengths). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include "testutil.h"

/* The fuzz targets, each under its own name, so that tests/regress/<target>/
   replays an input through exactly the code that found it. */
#define LLVMFuzzerTestOneInput fuzz_model_one
#include "../fuzz/fuzz_model.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_gzip_one
#include "../fuzz/fuzz_gzip.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_tokens_one
#include "../fuzz/fuzz_tokens.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_abc_one
#include "../fuzz/fuzz_abc.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_template_one
#include "../fuzz/fuzz_template.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_bars_one
#include "../fuzz/fuzz_bars.c"
#undef LLVMFuzzerTestOneInput

/* ======================================================================
   Allocation interposer
   ====================================================================== */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define INTERPOSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define INTERPOSE 0
#endif
#endif
#ifndef INTERPOSE
#define INTERPOSE 1
#endif

#define LIVE_SLOTS 65536 /* open-addressing table of live watched blocks */

static _Thread_local int watching; /* this thread's allocations are watched */
static long watch_calls;           /* allocation calls since watch_begin */
static long watch_fail_at;         /* refuse call number fail_at (1-based); 0: never */
static size_t watch_largest;       /* largest single request, bytes */
static long watch_live;            /* watched blocks not yet freed */
static int watch_overflow;         /* the table was full: leak count unknown */
static void *live[LIVE_SLOTS];

#if INTERPOSE
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static size_t slot_of(const void *p)
{
    return ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15u >> 48 & (LIVE_SLOTS - 1);
}

static void live_add(void *p)
{
    for (size_t i = slot_of(p), k = 0; k < LIVE_SLOTS; k++, i = (i + 1) & (LIVE_SLOTS - 1))
        if (!live[i] || live[i] == (void *)1) {
            live[i] = p;
            watch_live++;
            return;
        }
    watch_overflow = 1;
}

/* Forget p if it is a watched block (tombstone 1 keeps probe chains). */
static void live_remove(void *p)
{
    for (size_t i = slot_of(p), k = 0; k < LIVE_SLOTS && live[i]; k++,
                i = (i + 1) & (LIVE_SLOTS - 1))
        if (live[i] == p) {
            live[i] = (void *)1;
            watch_live--;
            return;
        }
}

/* Count one request; 1 when it is the one to refuse. */
static int watch_refuse(size_t bytes)
{
    if (!watching)
        return 0;
    watch_calls++;
    if (bytes > watch_largest)
        watch_largest = bytes;
    return watch_calls == watch_fail_at;
}

void *malloc(size_t n)
{
    if (watch_refuse(n)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __libc_malloc(n);
    if (p && watching)
        live_add(p);
    return p;
}

void *calloc(size_t k, size_t n)
{
    if (watch_refuse(n && k > SIZE_MAX / n ? SIZE_MAX : k * n)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __libc_calloc(k, n);
    if (p && watching)
        live_add(p);
    return p;
}

void *realloc(void *old, size_t n)
{
    if (watch_refuse(n)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __libc_realloc(old, n);
    if (p && watching) {
        if (old)
            live_remove(old);
        live_add(p);
    }
    return p;
}

void free(void *p)
{
    if (p && watching)
        live_remove(p);
    __libc_free(p);
}
#endif

/* Watch this thread's allocations, refusing the fail_at-th (0: none). */
static void watch_begin(long fail_at)
{
    memset(live, 0, sizeof live);
    watch_calls = 0;
    watch_fail_at = fail_at;
    watch_largest = 0;
    watch_live = 0;
    watch_overflow = 0;
    watching = 1;
}

static void watch_end(void)
{
    watching = 0;
}

/* 1 when this program's malloc is the one called: not under a sanitizer
   (compiled out) nor under Valgrind (which replaces it at run time). */
static int interposed(void)
{
    static int active = -1; /* probed once, before any watch that matters */
    if (active < 0) {
        watch_begin(0);
        free(malloc(1));
        watch_end();
        active = watch_calls == 1;
    }
    return active;
}

/* OpenBLAS starts its thread pool and buffers on first use: do that outside
   any watch, single-threaded, so that its allocations are never counted. */
extern void openblas_set_num_threads(int) __attribute__((weak));

static void quiet_blas(void)
{
    if (openblas_set_num_threads)
        openblas_set_num_threads(1);
}

/* ======================================================================
   Bytes: fixtures, models, safetensors surgery
   ====================================================================== */

/* A whole file (caller frees). */
static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    ck_assert(buf != NULL);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static unsigned char *robust_fixture(const char *name, size_t *size)
{
    char rel[256];
    snprintf(rel, sizeof rel, "robust/%s", name);
    return slurp(fixture_path(rel), size);
}

/* A scratch folder for this process (removed by the tests that use it). */
static const char *scratch(const char *name)
{
    static char path[512];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/folkrnn_robust_%ld_%s", tmp ? tmp : "/tmp", (long)getpid(),
             name);
    return path;
}

/* The fixture model (robust/ok_py2.pkl) saved as safetensors, gzipped or not. */
static unsigned char *safetensors_bytes(int gz, size_t *size)
{
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_load(fixture_path("robust/ok_py2.pkl"), &m));
    char path[600];
    snprintf(path, sizeof path, "%s%s", scratch("st.safetensors"), gz ? ".gz" : "");
    ck_assert_ok(folkrnn_model_save(m, path));
    folkrnn_model_free(m);
    unsigned char *bytes = slurp(path, size);
    unlink(path);
    return bytes;
}

/* gzip-compress in[n] (caller frees). */
static unsigned char *gzip_bytes_of(const unsigned char *in, size_t n, size_t *outsize)
{
    uint8_t *out;
    *outsize = gzip_bytes(in, n, &out);
    return out;
}

/* A safetensors file whose JSON header has `from` replaced by `to` (first
   occurrence; the data buffer is untouched, the length prefix fixed). */
static unsigned char *st_patch(const unsigned char *st, size_t size, const char *from,
                               const char *to, size_t *outsize)
{
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | st[i];
    char *header = malloc(hlen + 1);
    ck_assert(header != NULL);
    memcpy(header, st + 8, hlen);
    header[hlen] = '\0';
    char *at = strstr(header, from);
    ck_assert_msg(at != NULL, "'%s' not in the safetensors header", from);
    size_t nfrom = strlen(from), nto = strlen(to);
    uint64_t newlen = hlen - nfrom + nto;
    *outsize = size - hlen + newlen;
    unsigned char *out = malloc(*outsize);
    ck_assert(out != NULL);
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(newlen >> (8 * i));
    size_t pre = (size_t)(at - header);
    memcpy(out + 8, header, pre);
    memcpy(out + 8 + pre, to, nto);
    memcpy(out + 8 + pre + nto, at + nfrom, hlen - pre - nfrom);
    memcpy(out + 8 + newlen, st + 8 + hlen, size - 8 - hlen);
    free(header);
    return out;
}

/* Offset in the whole file of the first data byte of tensor name. */
static size_t st_tensor_offset(const unsigned char *st, const char *name)
{
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | st[i];
    char *header = malloc(hlen + 1);
    memcpy(header, st + 8, hlen);
    header[hlen] = '\0';
    char key[128];
    snprintf(key, sizeof key, "\"%s\":", name);
    char *at = strstr(header, key);
    ck_assert(at != NULL);
    at = strstr(at, "\"data_offsets\":[");
    ck_assert(at != NULL);
    unsigned long long begin = strtoull(at + 16, NULL, 10);
    free(header);
    return 8 + (size_t)hlen + (size_t)begin;
}

/* Load bytes expecting status want; the message must be set and, when
   needle is not NULL, contain it.  With the interposer, also check that no
   single allocation exceeded max_alloc bytes and nothing leaked. */
static void expect_load(const char *what, const void *data, size_t size, int want,
                        const char *needle, size_t max_alloc)
{
    folkrnn_model *m = (folkrnn_model *)1;
    int active = interposed();
    watch_begin(0);
    int rc = folkrnn_model_load_buffer(data, size, &m);
    if (rc == FOLKRNN_OK)
        folkrnn_model_free(m);
    watch_end();
    if (getenv("ROBUST_SHOW")) /* the messages doc/robustness.md quotes */
        printf("%-40s %-24s %s\n", what, rc ? folkrnn_strerror(rc) : "ok", folkrnn_errmsg());
    ck_assert_msg(rc == want, "%s: status %d (%s), expected %d; message: %s", what, rc,
                  folkrnn_strerror(rc), want, folkrnn_errmsg());
    if (rc != FOLKRNN_OK) {
        ck_assert_msg(m == NULL, "%s: *out not NULL after failure", what);
        ck_assert_msg(folkrnn_errmsg()[0] != '\0', "%s: no message", what);
        if (needle)
            ck_assert_msg(strstr(folkrnn_errmsg(), needle) != NULL,
                          "%s: message '%s' does not name '%s'", what, folkrnn_errmsg(), needle);
    }
    if (active) {
        ck_assert_msg(watch_largest <= max_alloc,
                      "%s: allocated %zu bytes at once (bound %zu) before refusing", what,
                      watch_largest, max_alloc);
        ck_assert_msg(!watch_overflow && watch_live == 0, "%s: %ld blocks leaked", what,
                      watch_live);
    }
}

/* ======================================================================
   Row: truncated and bit-flipped model files, every format
   ====================================================================== */

struct format_case {
    const char *name;
    unsigned char *bytes;
    size_t size;
};

/* The valid model in every form the loader reads (caller frees the bytes). */
static int all_formats(struct format_case *fc)
{
    fc[0].name = "pickle py2";
    fc[0].bytes = robust_fixture("ok_py2.pkl", &fc[0].size);
    fc[1].name = "pickle protocol 5";
    fc[1].bytes = robust_fixture("ok_p5.pkl", &fc[1].size);
    fc[2].name = "pickle.gz";
    fc[2].bytes = robust_fixture("ok_py2.pkl.gz", &fc[2].size);
    fc[3].name = "safetensors";
    fc[3].bytes = safetensors_bytes(0, &fc[3].size);
    fc[4].name = "safetensors.gz";
    fc[4].bytes = safetensors_bytes(1, &fc[4].size);
    return 5;
}

START_TEST(truncated_models)
{
    struct format_case fc[5];
    int n = all_formats(fc);
    for (int f = 0; f < n; f++) {
        /* Every length below 80 (headers, opcodes), then about 150 more. */
        size_t stride = fc[f].size / 150 + 1;
        for (size_t len = 0; len < fc[f].size; len += len < 80 ? 1 : stride) {
            char what[128];
            snprintf(what, sizeof what, "%s cut to %zu of %zu bytes", fc[f].name, len,
                     fc[f].size);
            /* A cut gzip trailer is read as any size deflate could reach
               (at most 1032 times the input). */
            expect_load(what, fc[f].bytes, len, FOLKRNN_E_FORMAT, NULL,
                        1032 * fc[f].size + 65536);
        }
        expect_load(fc[f].name, fc[f].bytes, fc[f].size, FOLKRNN_OK, NULL, SIZE_MAX);
        free(fc[f].bytes);
    }
}
END_TEST

/* A small deterministic generator (splitmix64) for the flips. */
static uint64_t mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

START_TEST(bit_flipped_models)
{
    struct format_case fc[5];
    int n = all_formats(fc);
    uint64_t seed = 8;
    int active = interposed();
    for (int f = 0; f < n; f++) {
        int refused = 0;
        for (int trial = 0; trial < 300; trial++) {
            unsigned char *copy = malloc(fc[f].size);
            memcpy(copy, fc[f].bytes, fc[f].size);
            int flips = 1 + trial % 4;
            for (int k = 0; k < flips; k++) {
                uint64_t r = mix(&seed);
                copy[r % fc[f].size] ^= (unsigned char)(1u << (r >> 32) % 8);
            }
            /* Any status may answer a flipped file; a model that loads must
               work (fuzz_load_and_use steps it and aborts on a broken promise). */
            watch_begin(0);
            fuzz_load_and_use(copy, fc[f].size);
            watch_end();
            refused += folkrnn_errmsg()[0] != '\0';
            if (active)
                ck_assert_msg(watch_live == 0, "%s flip trial %d: %ld blocks leaked",
                              fc[f].name, trial, watch_live);
            free(copy);
        }
        ck_assert_int_gt(refused, 0);
        free(fc[f].bytes);
    }
}
END_TEST

/* ======================================================================
   Row: shapes that disagree
   ====================================================================== */

START_TEST(shapes_disagree)
{
    size_t n;
    unsigned char *b = robust_fixture("shape_gate.pkl", &n);
    expect_load("W_hid_to_forgetgate (3, 4)", b, n, FOLKRNN_E_SHAPE, "(3, 4)", 1 << 20);
    free(b);
    b = robust_fixture("shape_dense.pkl", &n);
    expect_load("dense W (2, 11)", b, n, FOLKRNN_E_SHAPE, "dense W", 1 << 20);
    free(b);

    size_t sn, pn;
    unsigned char *st = safetensors_bytes(0, &sn);
    unsigned char *p = st_patch(st, sn, "\"dense.W\":{\"dtype\":\"F32\",\"shape\":[3,11]",
                                "\"dense.W\":{\"dtype\":\"F32\",\"shape\":[11,3]", &pn);
    expect_load("safetensors dense.W [11,3]", p, pn, FOLKRNN_E_SHAPE, "dense.W", 1 << 20);
    free(p);
    p = st_patch(st, sn, "\"layers.0.W_in_to_cell\":{\"dtype\":\"F32\",\"shape\":[11,3]",
                 "\"layers.0.W_in_to_cell\":{\"dtype\":\"F32\",\"shape\":[3,11]", &pn);
    expect_load("safetensors W_in_to_cell [3,11]", p, pn, FOLKRNN_E_SHAPE, "W_in_to_cell",
                1 << 20);
    free(p);
    free(st);
}
END_TEST

/* ======================================================================
   Row: declared sizes far beyond the file
   ====================================================================== */

/* A byte string literal and its length without the final NUL. */
#define BYTES(s) s, sizeof(s) - 1

/* Byte strings with an opcode declaring far more than follows. */
static const struct {
    const char *what;
    const char *bytes;
    size_t size;
} huge_pickles[] = {
    {"BINSTRING of 2 GiB", BYTES("\x80\x02T\xff\xff\xff\x7f" "abc.")},
    {"BINUNICODE8 of 2^62 bytes", BYTES("\x80\x04\x8d\0\0\0\0\0\0\0\x40" "ab.")},
    {"BINBYTES8 of 2^60 bytes", BYTES("\x80\x04\x8e\0\0\0\0\0\0\0\x10" "ab.")},
    {"FRAME of 2^50 bytes", BYTES("\x80\x04\x95\0\0\0\0\0\0\x04\0" "N.")},
    {"LONG_BINPUT at index 4294967280", BYTES("\x80\x02Nr\xf0\xff\xff\xff.")},
    {"LONG_BINGET of index 4294967280", BYTES("\x80\x02Nj\xf0\xff\xff\xff.")},
};

START_TEST(declared_sizes_beyond_file)
{
    for (size_t i = 0; i < sizeof huge_pickles / sizeof huge_pickles[0]; i++)
        expect_load(huge_pickles[i].what, huge_pickles[i].bytes, huge_pickles[i].size,
                    FOLKRNN_E_FORMAT, NULL, 1 << 20);

    size_t sn, pn;
    unsigned char *st = safetensors_bytes(0, &sn);
    /* Header length 2^62. */
    unsigned char *p = malloc(sn);
    memcpy(p, st, sn);
    memset(p, 0, 8);
    p[7] = 0x40;
    expect_load("safetensors header length 2^62", p, sn, FOLKRNN_E_FORMAT, NULL, 1 << 20);
    free(p);
    /* A tensor whose data would end far past the file. */
    p = st_patch(st, sn, "\"dense.b\":{\"dtype\":\"F32\",\"shape\":[11]",
                 "\"dense.b\":{\"dtype\":\"F32\",\"shape\":[1152921504606846976]", &pn);
    expect_load("safetensors dense.b of 2^60 elements", p, pn, FOLKRNN_E_FORMAT, NULL,
                4 * sn);
    free(p);
    /* dense.b's data_offsets [begin, end] become [99999999999begin, end]. */
    p = st_patch(st, sn, "\"shape\":[11],\"data_offsets\":[",
                 "\"shape\":[11],\"data_offsets\":[99999999999", &pn);
    expect_load("safetensors data_offsets past the end", p, pn, FOLKRNN_E_FORMAT, NULL,
                4 * sn);
    free(p);
    free(st);

    /* gzip trailer (ISIZE) claiming 4 GiB for a few bytes of pickle. */
    size_t gn, mn;
    unsigned char *model = robust_fixture("ok_py2.pkl", &mn);
    unsigned char *gz = gzip_bytes_of(model, mn, &gn);
    memset(gz + gn - 4, 0xff, 4);
    expect_load("gzip ISIZE 4 GiB", gz, gn, FOLKRNN_E_FORMAT, NULL, 64 * mn);
    free(gz);
    free(model);
}
END_TEST

/* ======================================================================
   Row: NaN / Inf weights
   ====================================================================== */

START_TEST(nonfinite_weights)
{
    size_t n;
    unsigned char *b = robust_fixture("nan_weight.pkl", &n);
    expect_load("NaN in dense b", b, n, FOLKRNN_E_NUMERIC,
                "param_values[16] (dense b): element (0, 3) is nan", 1 << 20);
    free(b);
    b = robust_fixture("inf_weight_p4.pkl", &n);
    expect_load("inf in W_hid_to_cell", b, n, FOLKRNN_E_NUMERIC,
                "param_values[8] (W_hid_to_cell of layer 0): element (0, 1) is inf", 1 << 20);
    free(b);

    unsigned char *st = safetensors_bytes(0, &n);
    float nan = NAN;
    memcpy(st + st_tensor_offset(st, "layers.0.hid_init"), &nan, sizeof nan);
    expect_load("safetensors NaN in hid_init", st, n, FOLKRNN_E_NUMERIC,
                "tensor 'layers.0.hid_init': element (0, 0) is nan", 1 << 20);
    free(st);
}
END_TEST

/* ======================================================================
   Row: unknown pickle globals
   ====================================================================== */

START_TEST(unknown_pickle_globals)
{
    static const struct {
        const char *bytes;
        size_t size;
        const char *name;
    } cases[] = {
        /* GLOBAL os system; 'ls'; TUPLE1; REDUCE */
        {BYTES("\x80\x02" "cos\nsystem\nq\0X\x02\0\0\0lsq\x01\x85q\x02Rq\x03."), "os.system"},
        /* protocol 4: STACK_GLOBAL builtins.eval */
        {BYTES("\x80\x04\x8c\x08" "builtins\x94\x8c\x04" "eval\x94\x93\x94."), "builtins.eval"},
        /* a numpy function that is not one of the array rebuilders */
        {BYTES("\x80\x02" "cnumpy\nload\nq\0."), "numpy.load"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_load(cases[i].name, cases[i].bytes, cases[i].size, FOLKRNN_E_UNSUPPORTED,
                    cases[i].name, 1 << 20);
}
END_TEST

/* ======================================================================
   A small model for the rows about states and sampling
   ====================================================================== */

static folkrnn_model *fixture_model(void)
{
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_load(fixture_path("robust/ok_py2.pkl"), &m));
    return m;
}

static int token(const folkrnn_model *m, const char *text)
{
    int id = folkrnn_model_token_id(m, text);
    ck_assert_msg(id >= 0, "no token %s", text);
    return id;
}

/* ======================================================================
   Row: token ids out of range
   ====================================================================== */

START_TEST(token_ids_out_of_range)
{
    folkrnn_model *m = fixture_model();
    int V = folkrnn_model_vocab_size(m);
    folkrnn_state *s;
    ck_assert_ok(folkrnn_state_new(m, 2, &s));
    int toks[2] = {0, 1};
    ck_assert_ok(folkrnn_state_step(s, toks, NULL));
    int bad[][2] = {{V, 0}, {0, -2}, {-1000, 0}, {0, 2147483647}};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(folkrnn_state_step(s, bad[i], NULL), FOLKRNN_E_RANGE);
        ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "token id"));
        ck_assert_int_eq(folkrnn_state_steps(s), 1); /* nothing changed */
    }
    folkrnn_vocab *v;
    ck_assert_ok(folkrnn_vocab_from_model(m, &v));
    int ids[3] = {token(m, "C"), V, token(m, "D")};
    char buf[64];
    ck_assert_int_eq(folkrnn_render_tokens(v, ids, 3, buf, sizeof buf), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_render_abc(v, ids, 3, 1, NULL, buf, sizeof buf), FOLKRNN_E_RANGE);
    folkrnn_bars *bars = NULL;
    ck_assert_int_eq(folkrnn_bars_count(v, ids, 3, &bars), FOLKRNN_E_RANGE);
    folkrnn_sampler *smp;
    ck_assert_ok(folkrnn_sampler_new(m, &smp));
    ck_assert_int_eq(folkrnn_sampler_set_prime(smp, ids, 3), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_sampler_set_template(smp, ids, 3), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_sampler_bias_token(smp, -5, 1.0), FOLKRNN_E_RANGE);
    double ll;
    int len = 3;
    ck_assert_int_eq(folkrnn_score(s, ids, &len, 1, 0, &ll, NULL), FOLKRNN_E_RANGE);
    ck_assert_ptr_null(folkrnn_model_token(m, V));
    ck_assert_ptr_null(folkrnn_model_token(m, -1));
    folkrnn_sampler_free(smp);
    folkrnn_vocab_free(v);
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

/* ======================================================================
   Row: temperature <= 0 or NaN
   ====================================================================== */

START_TEST(bad_temperatures)
{
    folkrnn_model *m = fixture_model();
    folkrnn_sampler *s;
    ck_assert_ok(folkrnn_sampler_new(m, &s));
    const double bad[] = {0.0, -0.0, -1.0, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(folkrnn_sampler_set_temperature(s, bad[i]), FOLKRNN_E_INVALID);
        ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "temperature"));
    }
    ck_assert_ok(folkrnn_sampler_set_temperature(s, 1e-3));
    folkrnn_beam_opts o;
    folkrnn_beam_opts_init(&o);
    folkrnn_beam *b = (folkrnn_beam *)1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.temperature = bad[i];
        ck_assert_int_eq(folkrnn_beam_search(m, NULL, 0, &o, &b), FOLKRNN_E_INVALID);
    }
    folkrnn_sampler_free(s);
    folkrnn_model_free(m);
}
END_TEST

/* ======================================================================
   Row: empty or over-long primes
   ====================================================================== */

START_TEST(empty_and_long_primes)
{
    folkrnn_model *m = fixture_model();
    folkrnn_sampler *s;
    folkrnn_tunes *t;
    int len;
    ck_assert_ok(folkrnn_sampler_new(m, &s));
    ck_assert_ok(folkrnn_sampler_set_max_len(s, 20));
    /* Empty: the text gives no token, and no prime is a valid prime. */
    folkrnn_vocab *v;
    ck_assert_ok(folkrnn_vocab_from_model(m, &v));
    ck_assert_int_eq(folkrnn_parse_tokens(v, "", 0, NULL, 0), 0);
    ck_assert_int_eq(folkrnn_parse_tokens(v, " \t\n ", 0, NULL, 0), 0);
    ck_assert_ok(folkrnn_sampler_set_prime(s, NULL, 0));
    ck_assert_int_eq(folkrnn_sampler_set_prime(s, NULL, 3), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_sampler_set_prime(s, (int[]){1}, -1), FOLKRNN_E_INVALID);
    ck_assert_ok(folkrnn_sample(s, 1, &t));
    folkrnn_tunes_free(t);
    /* Over-long: 50 forced tokens with max_len 20 give the first 20, not ended. */
    int c = token(m, "C"), d = token(m, "D");
    int prime[50];
    for (int i = 0; i < 50; i++)
        prime[i] = i % 2 ? d : c;
    ck_assert_ok(folkrnn_sampler_set_prime(s, prime, 50));
    ck_assert_ok(folkrnn_sample(s, 2, &t));
    for (int k = 0; k < 2; k++) {
        const int *ids = folkrnn_tunes_tokens(t, k, &len);
        ck_assert_int_eq(len, 20);
        ck_assert_int_eq(folkrnn_tunes_ended(t, k), 0);
        ck_assert_mem_eq(ids, prime, 20 * sizeof(int));
    }
    folkrnn_tunes_free(t);
    /* A prime of <s> or </s> is refused. */
    int end = token(m, "</s>");
    ck_assert_int_eq(folkrnn_sampler_set_prime(s, &end, 1), FOLKRNN_E_INVALID);
    /* A very long token text parses (nothing is limited by the parser). */
    size_t nlong = 200000;
    char *text = malloc(nlong * 2 + 1);
    for (size_t i = 0; i < nlong; i++)
        memcpy(text + 2 * i, "C ", 2);
    text[2 * nlong] = '\0';
    ck_assert_int_eq(folkrnn_parse_tokens(v, text, 0, NULL, 0), (int)nlong);
    free(text);
    folkrnn_vocab_free(v);
    folkrnn_sampler_free(s);
    folkrnn_model_free(m);
}
END_TEST

/* ======================================================================
   Row: templates that contradict the meter
   ====================================================================== */

START_TEST(template_contradicts_meter)
{
    folkrnn_vocab *v;
    ck_assert_ok(folkrnn_vocab_v2(&v));
    int n = folkrnn_vocab_size(v);
    const char **tokens = malloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++)
        tokens[i] = folkrnn_vocab_token(v, i);
    int units = 4;
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, &units, n, tokens, 0, &m));
    free(tokens);
    folkrnn_sampler *s;
    ck_assert_ok(folkrnn_sampler_new(m, &s));
    ck_assert_ok(folkrnn_sampler_set_meter(s, token(m, "M:6/8")));
    ck_assert_ok(folkrnn_sampler_set_mode(s, token(m, "K:Cmaj")));
    /* A forced bar of 8 units under M:6/8, then a second meter token. */
    const char *text = "c 2 d 2 e 2 f 2 | M:3/4 * * |";
    int items[32];
    int k = folkrnn_parse_tokens(v, text, FOLKRNN_PARSE_WILDCARD, items, 32);
    ck_assert_int_eq(k, 13);
    ck_assert_ok(folkrnn_sampler_set_template(s, items, k));
    ck_assert_ok(folkrnn_sampler_set_max_len(s, 2 + k));
    folkrnn_tunes *t;
    ck_assert_ok(folkrnn_sample(s, 1, &t));
    int len;
    const int *tune = folkrnn_tunes_tokens(t, 0, &len);
    ck_assert_int_eq(len, 2 + k);
    /* Not refused: forced tokens are kept as given ... */
    for (int i = 0; i < k; i++)
        if (items[i] != FOLKRNN_WILDCARD)
            ck_assert_int_eq(tune[2 + i], items[i]);
    /* ... and bar counting reports the contradiction. */
    folkrnn_bars *bars;
    ck_assert_ok(folkrnn_bars_count(v, tune, len, &bars));
    int kind;
    long num, den, mnum, mden;
    ck_assert_ok(folkrnn_bars_bar(bars, 0, NULL, NULL, &kind, &num, &den, &mnum, &mden));
    ck_assert_int_eq(kind, FOLKRNN_BAR_WRONG);
    ck_assert_int_eq(num, 8);
    ck_assert_int_eq(mnum, 6);
    folkrnn_bars_free(bars);
    folkrnn_tunes_free(t);
    /* A template the opening's own class rules forbid: </s>. */
    int end = token(m, "</s>");
    ck_assert_int_eq(folkrnn_sampler_set_template(s, &end, 1), FOLKRNN_E_INVALID);
    /* A wildcard in a prime is refused. */
    int star = FOLKRNN_WILDCARD;
    ck_assert_int_eq(folkrnn_sampler_set_prime(s, &star, 1), FOLKRNN_E_RANGE);
    folkrnn_sampler_free(s);
    folkrnn_model_free(m);
    folkrnn_vocab_free(v);
}
END_TEST

/* ======================================================================
   Row: a hook that fails
   ====================================================================== */

struct hook_plan {
    long fail_step; /* the step at which the hook scribbles and fails */
};

static int scribble_then_fail(const folkrnn_hook_event *ev, float *values, void *user)
{
    const struct hook_plan *plan = user;
    if (ev->step != plan->fail_step)
        return 0;
    for (int i = 0; i < ev->n; i++)
        values[i] = 1e6f;
    return 7;
}

/* Copies of everything a step changes, for stream 0..nstreams-1. */
static float *snapshot(folkrnn_state *s, const folkrnn_model *m, size_t *n)
{
    int L = folkrnn_model_num_layers(m), S = folkrnn_state_nstreams(s);
    int V = folkrnn_model_vocab_size(m);
    size_t total = 0;
    for (int l = 0; l < L; l++)
        total += 2 * (size_t)folkrnn_model_hidden_size(m, l) * (size_t)S;
    total += (size_t)V * (size_t)S;
    float *copy = malloc(total * sizeof(float));
    size_t at = 0;
    for (int b = 0; b < S; b++) {
        for (int l = 0; l < L; l++) {
            int H = folkrnn_model_hidden_size(m, l);
            memcpy(copy + at, folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, l, b), H * sizeof(float));
            at += (size_t)H;
            memcpy(copy + at, folkrnn_state_vector(s, FOLKRNN_HOOK_CELL, l, b), H * sizeof(float));
            at += (size_t)H;
        }
        memcpy(copy + at, folkrnn_state_vector(s, FOLKRNN_HOOK_LOGITS, -1, b), V * sizeof(float));
        at += (size_t)V;
    }
    *n = total;
    return copy;
}

START_TEST(hook_fails_step_undone)
{
    folkrnn_model *m = fixture_model();
    int V = folkrnn_model_vocab_size(m);
    const int points[] = {FOLKRNN_HOOK_INGATE, FOLKRNN_HOOK_CELL, FOLKRNN_HOOK_HIDDEN,
                          FOLKRNN_HOOK_LOGITS, FOLKRNN_HOOK_PROBS};
    for (size_t p = 0; p < sizeof points / sizeof points[0]; p++) {
        folkrnn_state *s, *clean;
        ck_assert_ok(folkrnn_state_new(m, 2, &s));
        ck_assert_ok(folkrnn_state_new(m, 2, &clean));
        struct hook_plan plan = {2};
        int id = folkrnn_state_add_hook(s, points[p], -1, scribble_then_fail, &plan);
        ck_assert_int_ge(id, 0);
        int toks[2] = {1, 2};
        for (int k = 0; k < 2; k++) {
            ck_assert_ok(folkrnn_state_step(s, toks, NULL));
            ck_assert_ok(folkrnn_state_step(clean, toks, NULL));
        }
        size_t n1, n2;
        float *before = snapshot(s, m, &n1);
        float probs[2 * 64];
        ck_assert_int_le(V, 64);
        ck_assert_int_eq(folkrnn_state_step(s, toks, probs), FOLKRNN_E_HOOK);
        ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "hook"));
        ck_assert_int_eq(folkrnn_state_steps(s), 2);
        float *after = snapshot(s, m, &n2);
        ck_assert_mem_eq(before, after, n1 * sizeof(float));
        /* Without the hook the next step is exactly a clean state's. */
        ck_assert_ok(folkrnn_state_remove_hook(s, id));
        float p1[2 * 64], p2[2 * 64];
        ck_assert_ok(folkrnn_state_step(s, toks, p1));
        ck_assert_ok(folkrnn_state_step(clean, toks, p2));
        ck_assert_mem_eq(p1, p2, 2 * (size_t)V * sizeof(float));
        free(before);
        free(after);
        folkrnn_state_free(s);
        folkrnn_state_free(clean);
    }
    folkrnn_model_free(m);
}
END_TEST

/* ======================================================================
   Row: allocation failure at every allocation site
   ====================================================================== */

/* Shared inputs of the operations, made before any watch. */
static struct {
    unsigned char *pkl, *p5, *gz, *st;
    size_t npkl, np5, ngz, nst;
    folkrnn_model *model;  /* the fixture model */
    folkrnn_model *v2;     /* v2 vocabulary, 1 layer of 4 units, zero weights */
    folkrnn_vocab *vocab;  /* the v2 vocabulary */
} in;

static int op_load(const unsigned char *b, size_t n)
{
    folkrnn_model *m;
    int rc = folkrnn_model_load_buffer(b, n, &m);
    folkrnn_model_free(m);
    return rc;
}
static int op_load_pickle_py2(void) { return op_load(in.pkl, in.npkl); }
static int op_load_pickle_p5(void) { return op_load(in.p5, in.np5); }
static int op_load_gzip(void) { return op_load(in.gz, in.ngz); }
static int op_load_safetensors(void) { return op_load(in.st, in.nst); }

static int op_load_file(void)
{
    folkrnn_model *m;
    int rc = folkrnn_model_load(fixture_path("robust/ok_py2.pkl"), &m);
    folkrnn_model_free(m);
    return rc;
}

static int op_save(const char *suffix)
{
    char path[600];
    snprintf(path, sizeof path, "%s%s", scratch("save"), suffix);
    int rc = folkrnn_model_save(in.model, path);
    unlink(path);
    return rc;
}
static int op_save_st(void) { return op_save(".safetensors"); }
static int op_save_gz(void) { return op_save(".safetensors.gz"); }

static int op_clone(void)
{
    folkrnn_model *c;
    int rc = folkrnn_model_clone(in.model, &c);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_model_set_meta(c, "note", "edited clone");
    folkrnn_model_free(c);
    return rc;
}

static int op_model_new(void)
{
    const char *tokens[] = {"<s>", "</s>", "C", "|"};
    int units[2] = {3, 2};
    folkrnn_model *m;
    int rc = folkrnn_model_new(FOLKRNN_CELL_LSTM, 2, units, 4, tokens, 0, &m);
    folkrnn_model_free(m);
    return rc;
}

static int count_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    ++*(int *)user;
    return 0;
}

static int op_state(void)
{
    folkrnn_state *s, *t = NULL;
    int calls = 0;
    int rc = folkrnn_state_new(in.model, 3, &s);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_state_add_hook(s, FOLKRNN_HOOK_HIDDEN, -1, count_hook, &calls);
    if (rc >= 0)
        rc = folkrnn_state_step(s, (int[]){1, 2, FOLKRNN_IDLE}, NULL);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_state_new(in.model, 3, &t);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_state_copy(t, s);
    folkrnn_state_free(t);
    folkrnn_state_free(s);
    return rc < 0 ? rc : FOLKRNN_OK;
}

static const char *const tune_text = "M:6/8 K:Cdor |: c 2 d (3 c d e [ c e ] z > c :| |1 C |2 D |";

static int op_text(void)
{
    folkrnn_vocab *v;
    int rc = folkrnn_vocab_from_model(in.v2, &v);
    if (rc < 0)
        return rc;
    int ids[64];
    int n = folkrnn_parse_tokens(v, tune_text, 0, ids, 64);
    char abc[1024];
    if (n >= 0)
        rc = folkrnn_render_abc(v, ids, n, 1, "t", abc, sizeof abc);
    else
        rc = n;
    if (rc >= 0)
        rc = folkrnn_parse_abc(v, abc, 0, ids, 64);
    folkrnn_bars *bars = NULL;
    if (rc >= 0)
        rc = folkrnn_bars_count(v, ids, rc, &bars);
    folkrnn_bars_free(bars);
    folkrnn_vocab_free(v);
    return rc < 0 ? rc : FOLKRNN_OK;
}

static int op_vocab_v2(void)
{
    folkrnn_vocab *v;
    int rc = folkrnn_vocab_v2(&v);
    folkrnn_vocab_free(v);
    return rc;
}

static int op_sample(void)
{
    folkrnn_sampler *s;
    int rc = folkrnn_sampler_new(in.v2, &s);
    if (rc < 0)
        return rc;
    int items[4] = {FOLKRNN_WILDCARD, folkrnn_model_token_id(in.v2, "|"), FOLKRNN_WILDCARD,
                    FOLKRNN_WILDCARD};
    folkrnn_tunes *t = NULL;
    rc = folkrnn_sampler_set_streams(s, 2);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_sampler_set_template(s, items, 4);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_sampler_suppress_class(s, FOLKRNN_TOKEN_END, 0, 6);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_sampler_set_max_len(s, 12);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_sample(s, 3, &t);
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
    return rc;
}

static int op_sample_numpy(void)
{
    folkrnn_sampler *s;
    int rc = folkrnn_sampler_new(in.v2, &s);
    if (rc < 0)
        return rc;
    folkrnn_tunes *t = NULL;
    rc = folkrnn_sampler_set_rng(s, FOLKRNN_RNG_NUMPY);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_sampler_set_top_k(s, 5);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_sampler_set_max_len(s, 8);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_sample(s, 2, &t);
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
    return rc;
}

static int op_score(void)
{
    folkrnn_state *s;
    int rc = folkrnn_state_new(in.model, 2, &s);
    if (rc < 0)
        return rc;
    int toks[5] = {2, 3, 4, 5, 6}, lens[2] = {2, 3};
    double ll[2], lp[7];
    rc = folkrnn_score(s, toks, lens, 2, 0, ll, lp);
    folkrnn_state_free(s);
    return rc;
}

static int op_beam(void)
{
    folkrnn_beam_opts o;
    folkrnn_beam_opts_init(&o);
    o.depth = 3;
    o.width = 3;
    folkrnn_beam *b = NULL;
    int rc = folkrnn_beam_search(in.model, (int[]){2, 3}, 2, &o, &b);
    folkrnn_beam_free(b);
    return rc;
}

static const struct {
    const char *name;
    int (*run)(void);
    int io_ok; /* FOLKRNN_E_IO also acceptable: libc's file calls allocate too */
} ops[] = {
    {"load pickle py2", op_load_pickle_py2, 0},
    {"load pickle p5", op_load_pickle_p5, 0},
    {"load pickle.gz", op_load_gzip, 0},
    {"load safetensors", op_load_safetensors, 0},
    {"load from a file", op_load_file, 1},
    {"save safetensors", op_save_st, 1},
    {"save safetensors.gz", op_save_gz, 1},
    {"clone and set_meta", op_clone, 0},
    {"model_new", op_model_new, 0},
    {"state, hook, step, copy", op_state, 0},
    {"token text, ABC, bars", op_text, 0},
    {"vocab_v2", op_vocab_v2, 0},
    {"sample (template, streams)", op_sample, 0},
    {"sample (numpy, top-k)", op_sample_numpy, 0},
    {"score", op_score, 0},
    {"beam search", op_beam, 0},
};

static void alloc_inputs(void)
{
    quiet_blas();
    in.pkl = robust_fixture("ok_py2.pkl", &in.npkl);
    in.p5 = robust_fixture("ok_p5.pkl", &in.np5);
    in.gz = robust_fixture("ok_py2.pkl.gz", &in.ngz);
    in.st = safetensors_bytes(0, &in.nst);
    in.model = fixture_model();
    ck_assert_ok(folkrnn_vocab_v2(&in.vocab));
    int n = folkrnn_vocab_size(in.vocab);
    const char **tokens = malloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++)
        tokens[i] = folkrnn_vocab_token(in.vocab, i);
    int units = 4;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, &units, n, tokens, 0, &in.v2));
    free(tokens);
}

START_TEST(allocation_failure_everywhere)
{
    if (!interposed())
        return; /* a sanitizer or Valgrind owns malloc */
    if (!in.model)
        alloc_inputs(); /* once per process (CK_FORK=no runs every loop in one) */
    const char *name = ops[_i].name;
    ck_assert_msg(ops[_i].run() == FOLKRNN_OK, "%s fails without injection: %s", name,
                  folkrnn_errmsg());
    /* Refuse allocation 1, 2, 3, ... until the operation makes fewer calls
       than the refused number, i.e. has run through without meeting it. */
    long sites = 0;
    for (long nth = 1;; nth++) {
        watch_begin(nth);
        int rc = ops[_i].run();
        watch_end();
        ck_assert_msg(!watch_overflow && watch_live == 0,
                      "%s, allocation %ld refused: %ld blocks leaked (status %d)", name, nth,
                      watch_live, rc);
        if (watch_calls < nth) {
            ck_assert_msg(rc == FOLKRNN_OK, "%s: fails with every allocation granted", name);
            break;
        }
        sites++;
        if (rc == FOLKRNN_OK)
            continue; /* a refusal the code tolerates (e.g. a cache it can do without) */
        ck_assert_msg(rc == FOLKRNN_E_NOMEM || (ops[_i].io_ok && rc == FOLKRNN_E_IO),
                      "%s, allocation %ld of %ld refused: status %d (%s), message: %s", name,
                      nth, watch_calls, rc, folkrnn_strerror(rc), folkrnn_errmsg());
        ck_assert_msg(folkrnn_errmsg()[0] != '\0', "%s: no message", name);
        ck_assert_msg(nth < 200000, "%s: no end to allocations", name);
    }
    ck_assert_int_gt(sites, 0);
}
END_TEST

/* The interposer itself: library allocations are seen, strdup included. */
START_TEST(interposer_sees_library_allocations)
{
    if (!interposed())
        return;
    watch_begin(0);
    char *copy = strdup("abc");
    folkrnn_vocab *v;
    int rc = folkrnn_vocab_v2(&v);
    long during = watch_live;
    folkrnn_vocab_free(v);
    free(copy);
    watch_end();
    ck_assert_ok(rc);
    ck_assert_int_gt(during, 137);
    ck_assert_int_eq(watch_live, 0);
    watch_begin(1);
    copy = strdup("abc");
    watch_end();
    ck_assert_ptr_null(copy);
}
END_TEST

/* ======================================================================
   Row: files that vanish or fill the disk while saving
   ====================================================================== */

/* Write text to path (the "old file" a save must not damage). */
static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* Number of entries of dir other than . and .. */
static int entries(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    ck_assert(fscanf(p, "%d", &n) == 1);
    pclose(p);
    return n;
}

/* A model of some size (a few hundred KB) so that saving it passes a small
   file-size limit. */
static folkrnn_model *big_model(void)
{
    const char *tokens[] = {"<s>", "</s>", "C", "D", "|"};
    int units[2] = {128, 128};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 2, units, 5, tokens, 0, &m));
    /* Incompressible weights, so that the .gz file is large too. */
    uint64_t seed = 1;
    for (int l = 0; l < 2; l++) {
        float *w;
        int rows, cols, ld;
        ck_assert_ok(folkrnn_model_param(m, l, FOLKRNN_P_W_HID, &w, &rows, &cols, &ld));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                w[r * ld + c] = (float)(mix(&seed) >> 40) / (float)(1 << 24) - 0.5f;
    }
    return m;
}

START_TEST(disk_full_while_saving)
{
    const char *dir = scratch("full");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    const char *names[] = {"model.safetensors", "model.safetensors.gz"};
    for (int g = 0; g < 2; g++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", dir, names[g]);
        write_text(path, "old contents");
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            /* A full disk, as the kernel reports a file-size limit: EFBIG. */
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit lim = {16384, 16384};
            setrlimit(RLIMIT_FSIZE, &lim);
            folkrnn_model *m = big_model();
            int rc = folkrnn_model_save(m, path);
            folkrnn_model_free(m);
            _exit(rc == FOLKRNN_E_IO && strstr(folkrnn_errmsg(), path) ? 0 : 10 - rc);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "%s: save on a full disk: child status %d", names[g], status);
        size_t n;
        unsigned char *now = slurp(path, &n);
        ck_assert_msg(n == 12 && memcmp(now, "old contents", 12) == 0,
                      "%s: the old file was damaged", names[g]);
        free(now);
        ck_assert_int_eq(entries(dir), 1); /* no temporary file left behind */
        unlink(path);
    }
    rmdir(dir);
}
END_TEST

START_TEST(vanished_paths)
{
    folkrnn_model *m = fixture_model(), *out = (folkrnn_model *)1;
    const char *dir = scratch("gone");
    char path[700];
    snprintf(path, sizeof path, "%s/sub/model.safetensors", dir);
    /* The folder does not exist (removed before or during the save). */
    ck_assert_int_eq(folkrnn_model_save(m, path), FOLKRNN_E_IO);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), path));
    ck_assert_int_eq(folkrnn_model_load(path, &out), FOLKRNN_E_IO);
    ck_assert_ptr_null(out);
    /* The path is a folder: nothing is written, the folder stays. */
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(folkrnn_model_save(m, dir), FOLKRNN_E_IO);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(folkrnn_model_load(dir, &out), FOLKRNN_E_IO);
    /* Not a regular file; an empty file. */
    ck_assert_int_eq(folkrnn_model_load("/dev/null", &out), FOLKRNN_E_IO);
    snprintf(path, sizeof path, "%s/empty", dir);
    write_text(path, "");
    ck_assert_int_eq(folkrnn_model_load(path, &out), FOLKRNN_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), path));
    unlink(path);
    ck_assert_int_eq(entries(dir), 0);
    rmdir(dir);
    folkrnn_model_free(m);
}
END_TEST

/* ======================================================================
   Regression inputs found by fuzzing (tests/regress/<target>/)
   ====================================================================== */

static const struct {
    const char *dir;
    int (*one)(const uint8_t *, size_t);
} regress_targets[] = {
    {"pickle", fuzz_model_one},      {"safetensors", fuzz_model_one},
    {"gzip", fuzz_gzip_one},         {"tokens", fuzz_tokens_one},
    {"abc", fuzz_abc_one},           {"template", fuzz_template_one},
    {"bars", fuzz_bars_one},
};

START_TEST(fuzz_regressions)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", fixture_path("../regress"));
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "cd '%s' && ls -1 */* 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    ck_assert(p != NULL);
    char rel[400];
    int replayed = 0;
    while (fgets(rel, sizeof rel, p)) {
        rel[strcspn(rel, "\n")] = '\0';
        size_t k;
        for (k = 0; k < sizeof regress_targets / sizeof regress_targets[0]; k++) {
            size_t len = strlen(regress_targets[k].dir);
            if (strncmp(rel, regress_targets[k].dir, len) == 0 && rel[len] == '/')
                break;
        }
        ck_assert_msg(k < sizeof regress_targets / sizeof regress_targets[0],
                      "tests/regress/%s: unknown target folder", rel);
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        size_t n;
        unsigned char *b = slurp(path, &n);
        regress_targets[k].one(b, n); /* aborts on a broken promise */
        free(b);
        replayed++;
    }
    pclose(p);
    ck_assert_int_gt(replayed, 0);
}
END_TEST

static Suite *robust_suite(void)
{
    Suite *s = suite_create("robust");
    TCase *t = tcase_create("bad input");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, truncated_models);
    tcase_add_test(t, bit_flipped_models);
    tcase_add_test(t, shapes_disagree);
    tcase_add_test(t, declared_sizes_beyond_file);
    tcase_add_test(t, nonfinite_weights);
    tcase_add_test(t, unknown_pickle_globals);
    tcase_add_test(t, token_ids_out_of_range);
    tcase_add_test(t, bad_temperatures);
    tcase_add_test(t, empty_and_long_primes);
    tcase_add_test(t, template_contradicts_meter);
    tcase_add_test(t, hook_fails_step_undone);
    tcase_add_test(t, disk_full_while_saving);
    tcase_add_test(t, vanished_paths);
    tcase_add_test(t, fuzz_regressions);
    suite_add_tcase(s, t);
    TCase *a = tcase_create("allocation failure");
    tcase_set_timeout(a, 300);
    tcase_add_test(a, interposer_sees_library_allocations);
    tcase_add_loop_test(a, allocation_failure_everywhere, 0, (int)(sizeof ops / sizeof ops[0]));
    suite_add_tcase(s, a);
    return s;
}

int main(void)
{
    return run_suite(robust_suite());
}
