/* test_safetensors.c -- the safetensors model format: round trips, the
   fixture written by the independent Python writer, and bad input.

   Run as "test_safetensors --write DIR" it only writes pattern models for
   tests/check_safetensors.py to verify (tests/test_safetensors_py.sh). */
#include <math.h>
#include <stdint.h>
#include <unistd.h>
#include "testutil.h"

/* ---- models with known weights ------------------------------------------- */

/* pattern(name, i): the value tests/check_safetensors.py computes too. */
static float pattern(const char *name, size_t i)
{
    unsigned sum = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        sum += *p;
    double base = (double)(sum % 13) * 0.1 - 0.5;
    return (float)((double)(i % 97) * 0.01 + base);
}

struct tensor {
    char name[64];
    int layer, which;
};

/* The tensors of the format's naming scheme for m, in file order. */
static int scheme(const folkrnn_model *m, struct tensor *t)
{
    static const char *const lstm[] = {"ingate", "forgetgate", "cell", "outgate"};
    static const char *const gru[] = {"resetgate", "updategate", "hidden_update"};
    static const char *const sides[] = {"W_in_to_", "W_hid_to_", "b_"};
    int is_lstm = folkrnn_model_cell_type(m) == FOLKRNN_CELL_LSTM;
    int ngates = is_lstm ? 4 : 3, first = is_lstm ? FOLKRNN_P_W_IN_INGATE : FOLKRNN_P_W_IN_RESETGATE;
    int n = 0;
    t[n++] = (struct tensor){"embedding", 0, FOLKRNN_P_EMBEDDING};
    for (int l = 0; l < folkrnn_model_num_layers(m); l++) {
        for (int k = 0; k < 3 * ngates; k++) {
            t[n] = (struct tensor){"", l, first + k};
            snprintf(t[n++].name, 64, "layers.%d.%s%s", l, sides[k % 3],
                     is_lstm ? lstm[k / 3] : gru[k / 3]);
        }
        if (is_lstm) {
            t[n] = (struct tensor){"", l, FOLKRNN_P_CELL_INIT};
            snprintf(t[n++].name, 64, "layers.%d.cell_init", l);
        }
        t[n] = (struct tensor){"", l, FOLKRNN_P_HID_INIT};
        snprintf(t[n++].name, 64, "layers.%d.hid_init", l);
    }
    t[n++] = (struct tensor){"dense.W", 0, FOLKRNN_P_DENSE_W};
    t[n++] = (struct tensor){"dense.b", 0, FOLKRNN_P_DENSE_B};
    return n;
}

#define MAX_TENSORS 64

static void fill_pattern(folkrnn_model *m)
{
    struct tensor t[MAX_TENSORS];
    int n = scheme(m, t), onehot = folkrnn_model_is_onehot(m);
    for (int i = onehot ? 1 : 0; i < n; i++) {
        float *d;
        int rows, cols, ld;
        ck_assert_ok(folkrnn_model_param(m, t[i].layer, t[i].which, &d, &rows, &cols, &ld));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                d[(size_t)r * ld + c] = pattern(t[i].name, (size_t)r * cols + c);
    }
}

static const char *const tokens[] = {"<s>", "</s>", "M:4/4", "a\"b", "back\\slash",
                                     "tab\tnewline\n", "\xc3\xa9\xe2\x99\xaa", "\xf0\x9d\x84\x9e"};
#define NTOKENS 8

static const char provenance[] = "trained by \"test\" \xc3\xbc\nline 2\\";

/* cell, layer widths, input 0 = one-hot */
static folkrnn_model *make_model(int cell, int nlayers, const int *units, int input)
{
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(cell, nlayers, units, NTOKENS, tokens, input, &m));
    fill_pattern(m);
    ck_assert_ok(folkrnn_model_set_meta(m, "provenance", provenance));
    ck_assert_ok(folkrnn_model_set_meta(m, "losses_train", "[2.5, 2.25, 1.5]"));
    return m;
}

static folkrnn_model *make_lstm_onehot(void)
{
    static const int units[] = {5, 6};
    return make_model(FOLKRNN_CELL_LSTM, 2, units, 0);
}

static folkrnn_model *make_lstm_dense(void)
{
    static const int units[] = {4, 3, 5};
    return make_model(FOLKRNN_CELL_LSTM, 3, units, 3);
}

static folkrnn_model *make_gru(void)
{
    static const int units[] = {6, 4};
    return make_model(FOLKRNN_CELL_GRU, 2, units, 0);
}

static void assert_same_model(const folkrnn_model *a, const folkrnn_model *b)
{
    ck_assert_int_eq(folkrnn_model_cell_type(a), folkrnn_model_cell_type(b));
    ck_assert_int_eq(folkrnn_model_num_layers(a), folkrnn_model_num_layers(b));
    ck_assert_int_eq(folkrnn_model_vocab_size(a), folkrnn_model_vocab_size(b));
    ck_assert_int_eq(folkrnn_model_input_size(a), folkrnn_model_input_size(b));
    ck_assert_int_eq(folkrnn_model_is_onehot(a), folkrnn_model_is_onehot(b));
    for (int l = 0; l < folkrnn_model_num_layers(a); l++)
        ck_assert_int_eq(folkrnn_model_hidden_size(a, l), folkrnn_model_hidden_size(b, l));
    for (int i = 0; i < folkrnn_model_vocab_size(a); i++)
        ck_assert_str_eq(folkrnn_model_token(a, i), folkrnn_model_token(b, i));
    struct tensor t[MAX_TENSORS];
    int n = scheme(a, t);
    for (int i = 0; i < n; i++) {
        const float *x, *y;
        int rows, cols, ldx, ldy;
        ck_assert_ok(folkrnn_model_param_const(a, t[i].layer, t[i].which, &x, &rows, &cols, &ldx));
        ck_assert_ok(folkrnn_model_param_const(b, t[i].layer, t[i].which, &y, NULL, NULL, &ldy));
        for (int r = 0; r < rows; r++)
            ck_assert_msg(!memcmp(x + (size_t)r * ldx, y + (size_t)r * ldy, cols * sizeof(float)),
                          "%s row %d differs", t[i].name, r);
    }
    int nmeta = 0;
    for (const char *k; (k = folkrnn_model_meta_key(a, nmeta)); nmeta++) {
        ck_assert_str_eq(folkrnn_model_meta_key(b, nmeta), k);
        ck_assert_str_eq(folkrnn_model_meta(b, k), folkrnn_model_meta(a, k));
    }
    ck_assert_ptr_null(folkrnn_model_meta_key(b, nmeta));
}

/* A fresh temporary path ending in suffix (static buffer). */
static const char *temp_path(const char *suffix)
{
    static char path[256];
    static int serial;
    snprintf(path, sizeof path, "/tmp/test_safetensors.%ld.%d%s", (long)getpid(), serial++, suffix);
    return path;
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return data;
}

static void round_trip(folkrnn_model *m, const char *suffix)
{
    const char *path = temp_path(suffix);
    folkrnn_model *back;
    ck_assert_ok(folkrnn_model_save(m, path));
    ck_assert_ok(folkrnn_model_load(path, &back));
    assert_same_model(m, back);
    size_t size;
    unsigned char *bytes = read_all(path, &size);
    int gz = size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    ck_assert_int_eq(gz, !strcmp(suffix, ".gz"));
    free(bytes);
    unlink(path);
    folkrnn_model_free(back);
    folkrnn_model_free(m);
}

START_TEST(round_trip_lstm_onehot)
{
    folkrnn_model *m = make_lstm_onehot();
    ck_assert_int_eq(folkrnn_model_is_onehot(m), 1);
    round_trip(m, ".safetensors");
}
END_TEST

START_TEST(round_trip_lstm_dense)
{
    folkrnn_model *m = make_lstm_dense();
    ck_assert_int_eq(folkrnn_model_is_onehot(m), 0);
    round_trip(m, ".safetensors");
}
END_TEST

START_TEST(round_trip_gru)
{
    round_trip(make_gru(), ".safetensors");
}
END_TEST

START_TEST(round_trip_gzip)
{
    round_trip(make_lstm_dense(), ".gz");
}
END_TEST

/* The v2 shape: 3 x 512 LSTM over 137 tokens, one-hot; 5,599,881 parameters. */
START_TEST(round_trip_v2_shape)
{
    static const int units[] = {512, 512, 512};
    const char *names[137];
    char text[137][8];
    for (int i = 0; i < 137; i++) {
        snprintf(text[i], sizeof text[i], "t%d", i);
        names[i] = text[i];
    }
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 3, units, 137, names, 0, &m));
    ck_assert_int_eq(folkrnn_model_num_params(m), 5599881);
    fill_pattern(m);
    round_trip(m, ".safetensors");
}
END_TEST

/* Header and offsets as the format document says (independent of the reader). */
START_TEST(layout_is_documented_one)
{
    folkrnn_model *m = make_lstm_onehot();
    const char *path = temp_path(".safetensors");
    ck_assert_ok(folkrnn_model_save(m, path));
    size_t size;
    unsigned char *b = read_all(path, &size);
    uint64_t n = 0;
    for (int k = 7; k >= 0; k--)
        n = n << 8 | b[k];
    ck_assert_uint_eq(n % 8, 0);
    ck_assert_uint_le(8 + n, size);
    ck_assert_int_eq(b[8], '{');
    char *header = strndup((const char *)b + 8, (size_t)n);
    ck_assert_ptr_nonnull(strstr(header, "\"format\":\"folkrnn\""));
    ck_assert_ptr_nonnull(strstr(header, "\"cell\":\"lstm\""));
    ck_assert_ptr_nonnull(strstr(header, "\"onehot\":\"1\""));
    ck_assert_ptr_nonnull(strstr(header, "\"embedding\":{\"dtype\":\"F32\",\"shape\":[8,8],"
                                         "\"data_offsets\":[0,256]}"));
    ck_assert_ptr_nonnull(strstr(header, "\"layers.1.W_in_to_ingate\":{\"dtype\":\"F32\","
                                         "\"shape\":[5,6]"));
    ck_assert_ptr_nonnull(strstr(header, "\"dense.b\":{\"dtype\":\"F32\",\"shape\":[8],"));
    /* dense.b is the last tensor: its values end the file */
    float last;
    memcpy(&last, b + size - 4, 4);
    ck_assert_float_eq(last, pattern("dense.b", 7));
    free(header);
    free(b);
    unlink(path);
    folkrnn_model_free(m);
}
END_TEST

/* Written by tests/check_safetensors.py: reverse order, no padding, mixed dtypes. */
START_TEST(reads_python_fixture)
{
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_load(fixture_path("st_python.safetensors"), &m));
    ck_assert_int_eq(folkrnn_model_cell_type(m), FOLKRNN_CELL_LSTM);
    ck_assert_int_eq(folkrnn_model_num_layers(m), 2);
    ck_assert_int_eq(folkrnn_model_hidden_size(m, 0), 3);
    ck_assert_int_eq(folkrnn_model_hidden_size(m, 1), 4);
    ck_assert_int_eq(folkrnn_model_input_size(m), 2);
    ck_assert_int_eq(folkrnn_model_is_onehot(m), 0);
    ck_assert_int_eq(folkrnn_model_vocab_size(m), 5);
    ck_assert_str_eq(folkrnn_model_token(m, 3), "\xf0\x9d\x84\x9e"); /* from a surrogate pair */
    ck_assert_str_eq(folkrnn_model_token(m, 4), "\xc3\xa9\xe2\x99\xaa");
    ck_assert_str_eq(folkrnn_model_meta(m, "provenance"), "written by tests/check_safetensors.py");
    ck_assert_str_eq(folkrnn_model_meta(m, "note"),
                     "quote \" backslash \\ tab \t unicode \xc3\xbc");
    ck_assert_ptr_null(folkrnn_model_meta(m, "vocab")); /* reserved keys are not metadata */
    struct tensor t[MAX_TENSORS];
    int n = scheme(m, t);
    for (int i = 0; i < n; i++) {
        const float *d;
        int rows, cols, ld;
        /* F16 and BF16 tensors carry the pattern rounded */
        double tol = !strcmp(t[i].name, "layers.1.hid_init")  ? 1e-3
                     : !strcmp(t[i].name, "layers.0.b_cell") ? 1e-2
                                                              : 0;
        ck_assert_ok(folkrnn_model_param_const(m, t[i].layer, t[i].which, &d, &rows, &cols, &ld));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                float want = pattern(t[i].name, (size_t)r * cols + c);
                ck_assert_msg(fabs(d[(size_t)r * ld + c] - want) <= tol, "%s[%d,%d] = %g, not %g",
                              t[i].name, r, c, d[(size_t)r * ld + c], want);
            }
    }
    folkrnn_model_free(m);
}
END_TEST

/* ---- bad input -------------------------------------------------------------- */

/* A small valid file's bytes. */
static unsigned char *small_file(size_t *size)
{
    static const int units[] = {3};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, units, 4, tokens, 0, &m));
    fill_pattern(m);
    ck_assert_ok(folkrnn_model_set_meta(m, "provenance", "small"));
    const char *path = temp_path(".safetensors");
    ck_assert_ok(folkrnn_model_save(m, path));
    folkrnn_model_free(m);
    unsigned char *b = read_all(path, size);
    unlink(path);
    return b;
}

static uint64_t header_len(const unsigned char *b)
{
    uint64_t n = 0;
    for (int k = 7; k >= 0; k--)
        n = n << 8 | b[k];
    return n;
}

/* The file with its header text's first occurrence of find replaced by
   repl, the header length updated, and the last drop bytes of the data
   buffer removed.  Caller frees. */
static unsigned char *edit(const unsigned char *b, size_t size, const char *find, const char *repl,
                           size_t drop, size_t *outsize)
{
    size_t n = (size_t)header_len(b);
    char *header = strndup((const char *)b + 8, n);
    char *at = strstr(header, find);
    ck_assert_msg(at != NULL, "'%s' not in the header", find);
    size_t head = (size_t)(at - header), tail = n - head - strlen(find);
    size_t newn = head + strlen(repl) + tail, data = size - 8 - n - drop;
    unsigned char *out = malloc(8 + newn + data);
    for (int k = 0; k < 8; k++)
        out[k] = (unsigned char)((uint64_t)newn >> 8 * k);
    memcpy(out + 8, header, head);
    memcpy(out + 8 + head, repl, strlen(repl));
    memcpy(out + 8 + head + strlen(repl), at + strlen(find), tail);
    memcpy(out + 8 + newn, b + 8 + n, data);
    *outsize = 8 + newn + data;
    free(header);
    return out;
}

/* Load must fail with status and a message containing words. */
static void expect_failure(const unsigned char *b, size_t size, int status, const char *words)
{
    folkrnn_model *m = (folkrnn_model *)&m;
    int rc = folkrnn_model_load_buffer(b, size, &m);
    ck_assert_ptr_null(m);
    ck_assert_msg(rc == status, "status %d, expected %d (%s)", rc, status, folkrnn_errmsg());
    ck_assert_msg(strstr(folkrnn_errmsg(), words) != NULL, "message '%s' lacks '%s'",
                  folkrnn_errmsg(), words);
}

static void expect_edit_failure(const char *find, const char *repl, size_t drop, int status,
                                const char *words)
{
    size_t size, esize;
    unsigned char *b = small_file(&size);
    unsigned char *e = edit(b, size, find, repl, drop, &esize);
    expect_failure(e, esize, status, words);
    free(e);
    free(b);
}

START_TEST(edit_helper_keeps_valid_file)
{
    size_t size, esize;
    unsigned char *b = small_file(&size);
    unsigned char *e = edit(b, size, "\"small\"", "\"edited\"", 0, &esize);
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_load_buffer(e, esize, &m));
    ck_assert_str_eq(folkrnn_model_meta(m, "provenance"), "edited");
    folkrnn_model_free(m);
    free(e);
    free(b);
}
END_TEST

START_TEST(truncated_at_every_length)
{
    size_t size;
    unsigned char *b = small_file(&size);
    for (size_t n = 0; n < size; n++) {
        folkrnn_model *m = NULL;
        int rc = folkrnn_model_load_buffer(b, n, &m);
        ck_assert_msg(rc < 0 && m == NULL, "length %zu of %zu loaded", n, size);
        ck_assert_msg(*folkrnn_errmsg(), "length %zu: no message", n);
    }
    free(b);
}
END_TEST

/* Every single-bit flip either loads (a changed weight, a changed metadata
   character) or fails with a message; never crashes. */
START_TEST(bit_flips)
{
    size_t size;
    unsigned char *b = small_file(&size);
    int failed = 0;
    for (size_t i = 0; i < size; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            folkrnn_model *m = NULL;
            int rc = folkrnn_model_load_buffer(b, size, &m);
            if (rc < 0) {
                ck_assert_ptr_null(m);
                ck_assert_msg(*folkrnn_errmsg(), "flip %zu.%d: no message", i, bit);
                failed++;
            }
            folkrnn_model_free(m);
            b[i] ^= (unsigned char)(1u << bit);
        }
    ck_assert_int_gt(failed, 0);
    free(b);
}
END_TEST

START_TEST(header_length_beyond_file)
{
    size_t size;
    unsigned char *b = small_file(&size);
    uint64_t n = size - 7;
    for (int k = 0; k < 8; k++)
        b[k] = (unsigned char)(n >> 8 * k);
    expect_failure(b, size, FOLKRNN_E_FORMAT, "exceeds");
    memset(b, 0xff, 4); /* 2^32 - 1 */
    expect_failure(b, size, FOLKRNN_E_FORMAT, "exceeds");
    b[7] = 0xff; /* 2^63 and more: not taken for safetensors at all */
    expect_failure(b, size, FOLKRNN_E_FORMAT, "");
    free(b);
}
END_TEST

/* The small file's last tensors: dense.W (3, 4) = 48 bytes, dense.b (4) = 16. */
static void dense_offsets(uint64_t *wb, uint64_t *bb)
{
    size_t size;
    unsigned char *b = small_file(&size);
    uint64_t n = header_len(b), data = size - 8 - n;
    *bb = data - 16;
    *wb = *bb - 48;
    free(b);
}

START_TEST(offsets_out_of_range)
{
    uint64_t wb, bb;
    char find[128], repl[128];
    dense_offsets(&wb, &bb);
    snprintf(find, sizeof find, "\"data_offsets\":[%llu,%llu]", (unsigned long long)bb,
             (unsigned long long)bb + 16);
    snprintf(repl, sizeof repl, "\"data_offsets\":[%llu,%llu]", (unsigned long long)bb + 16,
             (unsigned long long)bb + 32);
    expect_edit_failure(find, repl, 0, FOLKRNN_E_FORMAT, "outside the data buffer");
    snprintf(repl, sizeof repl, "\"data_offsets\":[%llu,18446744073709551615]",
             (unsigned long long)bb);
    expect_edit_failure(find, repl, 0, FOLKRNN_E_FORMAT, "'dense.b'");
    snprintf(repl, sizeof repl, "\"data_offsets\":[%llu,%llu]", (unsigned long long)bb + 16,
             (unsigned long long)bb);
    expect_edit_failure(find, repl, 0, FOLKRNN_E_FORMAT, "'dense.b'");
    snprintf(repl, sizeof repl, "\"data_offsets\":[%llu,184467440737095516150]",
             (unsigned long long)bb);
    expect_edit_failure(find, repl, 0, FOLKRNN_E_FORMAT, "data_offsets");
}
END_TEST

START_TEST(offsets_overlap_or_gap)
{
    uint64_t wb, bb;
    char find[128], repl[128];
    dense_offsets(&wb, &bb);
    snprintf(find, sizeof find, "\"data_offsets\":[%llu,%llu]", (unsigned long long)bb,
             (unsigned long long)bb + 16);
    snprintf(repl, sizeof repl, "\"data_offsets\":[%llu,%llu]", (unsigned long long)bb - 4,
             (unsigned long long)bb + 12);
    expect_edit_failure(find, repl, 0, FOLKRNN_E_FORMAT, "overlap");
    /* dense.b moved to the end of a buffer 4 bytes longer: a hole */
    size_t size, esize;
    unsigned char *b = small_file(&size);
    snprintf(repl, sizeof repl, "\"data_offsets\":[%llu,%llu]", (unsigned long long)bb + 4,
             (unsigned long long)bb + 20);
    unsigned char *e = edit(b, size, find, repl, 0, &esize);
    unsigned char *longer = malloc(esize + 4);
    memcpy(longer, e, esize);
    memset(longer + esize, 0, 4);
    expect_failure(longer, esize + 4, FOLKRNN_E_FORMAT, "belong to no tensor");
    free(longer);
    free(e);
    free(b);
}
END_TEST

START_TEST(wrong_dtype)
{
    expect_edit_failure("\"dense.b\":{\"dtype\":\"F32\"", "\"dense.b\":{\"dtype\":\"I32\"", 0,
                        FOLKRNN_E_UNSUPPORTED, "dtype I32");
    /* F64 needs twice the bytes the offsets give */
    expect_edit_failure("\"dense.b\":{\"dtype\":\"F32\"", "\"dense.b\":{\"dtype\":\"F64\"", 0,
                        FOLKRNN_E_FORMAT, "needs 32");
    expect_edit_failure("\"dense.b\":{\"dtype\":\"F32\"", "\"dense.b\":{\"dtype\":7", 0,
                        FOLKRNN_E_FORMAT, "dtype");
}
END_TEST

START_TEST(shape_mismatch)
{
    /* same byte count, wrong shape */
    expect_edit_failure("\"layers.0.W_hid_to_cell\":{\"dtype\":\"F32\",\"shape\":[3,3]",
                        "\"layers.0.W_hid_to_cell\":{\"dtype\":\"F32\",\"shape\":[9,1]", 0,
                        FOLKRNN_E_SHAPE,
                        "tensor 'layers.0.W_hid_to_cell': shape (9, 1) where (3, 3) was expected");
    expect_edit_failure("\"dense.W\":{\"dtype\":\"F32\",\"shape\":[3,4]",
                        "\"dense.W\":{\"dtype\":\"F32\",\"shape\":[4,3]", 0, FOLKRNN_E_SHAPE,
                        "'dense.W': shape (4, 3) where (3, 4)");
    expect_edit_failure("\"layers.0.b_ingate\":{\"dtype\":\"F32\",\"shape\":[3]",
                        "\"layers.0.b_ingate\":{\"dtype\":\"F32\",\"shape\":[1,3]", 0,
                        FOLKRNN_E_SHAPE, "shape (1, 3) where (3,) was expected");
    /* a vocabulary one token short of the embedding's rows */
    expect_edit_failure(",\\\"M:4/4\\\"", "", 0, FOLKRNN_E_SHAPE, "'embedding'");
}
END_TEST

START_TEST(missing_tensor)
{
    uint64_t wb, bb;
    char find[160];
    dense_offsets(&wb, &bb);
    snprintf(find, sizeof find, ",\"dense.b\":{\"dtype\":\"F32\",\"shape\":[4],"
             "\"data_offsets\":[%llu,%llu]}", (unsigned long long)bb, (unsigned long long)bb + 16);
    expect_edit_failure(find, "", 16, FOLKRNN_E_FORMAT, "missing tensor 'dense.b'");
}
END_TEST

START_TEST(unknown_tensor)
{
    expect_edit_failure("\"dense.b\"", "\"dense.bias\"", 0, FOLKRNN_E_FORMAT,
                        "unknown tensor 'dense.bias'");
    /* a GRU gate in an LSTM */
    expect_edit_failure("\"layers.0.b_ingate\"", "\"layers.0.b_resetgate\"", 0, FOLKRNN_E_FORMAT,
                        "unknown tensor 'layers.0.b_resetgate'");
    /* a layer index with a leading zero is not the canonical name */
    expect_edit_failure("\"layers.0.b_ingate\"", "\"layers.00.b_ingate\"", 0, FOLKRNN_E_FORMAT,
                        "unknown tensor 'layers.00.b_ingate'");
    expect_edit_failure("\"layers.0.b_ingate\"", "\"layers.99999999999.b_ingate\"", 0,
                        FOLKRNN_E_FORMAT, "layer index");
}
END_TEST

START_TEST(bad_json)
{
    static const struct {
        const char *find, *repl, *words;
    } cases[] = {
        {"{\"__metadata__\"", "{,\"__metadata__\"", "member name expected"},
        {"\"cell\":\"lstm\"", "\"cell\":\"lstm\",", "member name expected"},
        {"\"cell\":\"lstm\"", "\"cell\" \"lstm\"", "':' expected"},
        {"\"cell\":\"lstm\"", "\"cell\":\"ls\x01tm\"", "control character"},
        {"\"cell\":\"lstm\"", "\"cell\":\"ls\xc3tm\"", "invalid UTF-8"},
        {"\"cell\":\"lstm\"", "\"cell\":\"ls\\xtm\"", "unknown escape"},
        {"\"cell\":\"lstm\"", "\"cell\":\"ls\\ud800tm\"", "surrogate"},
        {"\"cell\":\"lstm\"", "\"cell\":\"ls\\u0000tm\"", "\\u0000"},
        {"\"cell\":\"lstm\"", "\"cell\":\"lstm\",\"cell\":\"gru\"", "duplicate key \"cell\""},
        {"\"shape\":[4]", "\"shape\":[04]", "',' or ']' expected"},
        {"\"shape\":[4]", "\"shape\":[4.0]", "shape dimension"},
        {"\"shape\":[4]", "\"shape\":[-4]", "shape dimension"},
        {"\"shape\":[4]", "\"shape\":[4,]", "value expected"},
        {"\"shape\":[4]", "\"shape\":[4}", "',' or ']' expected"},
        {"\"shape\":[4]", "\"shape\":[tru]", "unknown literal"},
        {"\"shape\":[4]", "\"shape\":[1e]", "digit expected"},
        {"\"format\":\"folkrnn\"", "\"format\":\"folkrnn\"} ", "unexpected text after"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_edit_failure(cases[i].find, cases[i].repl, 0, FOLKRNN_E_FORMAT, cases[i].words);
}
END_TEST

START_TEST(deep_nesting)
{
    char repl[4096] = "\"deep\":";
    for (int i = 0; i < 1000; i++)
        strcat(repl, "[");
    strcat(repl, ",\"__metadata__\"");
    expect_edit_failure("\"__metadata__\"", repl, 0, FOLKRNN_E_FORMAT, "nested too deeply");
}
END_TEST

START_TEST(bad_metadata)
{
    expect_edit_failure("\"format\":\"folkrnn\"", "\"format\":\"other\"", 0, FOLKRNN_E_FORMAT,
                        "not a libfolkrnn model");
    expect_edit_failure("\"format_version\":\"1\"", "\"format_version\":\"2\"", 0,
                        FOLKRNN_E_UNSUPPORTED, "format_version \"2\"");
    expect_edit_failure("\"cell\":\"lstm\"", "\"cell\":\"rnn\"", 0, FOLKRNN_E_UNSUPPORTED,
                        "cell \"rnn\"");
    expect_edit_failure("\"onehot\":\"1\"", "\"onehot\":1", 0, FOLKRNN_E_FORMAT,
                        "\"onehot\" is not a string");
    expect_edit_failure("\"onehot\":\"1\"", "\"onehot\":\"yes\"", 0, FOLKRNN_E_FORMAT,
                        "onehot \"yes\"");
    expect_edit_failure("\"vocab\":\"[", "\"vocab\":\"{", 0, FOLKRNN_E_FORMAT, "vocab");
    expect_edit_failure("\"vocab\"", "\"vocabulary\"", 0, FOLKRNN_E_FORMAT, "lacks \"vocab\"");
    expect_edit_failure("\\\"</s>\\\"", "\\\"<s>\\\"", 0, FOLKRNN_E_FORMAT, "appears twice");
    expect_edit_failure("\\\"</s>\\\"", "\\\"\\\"", 0, FOLKRNN_E_FORMAT, "empty");
    expect_edit_failure("\"__metadata__\"", "\"__meta__\"", 0, FOLKRNN_E_FORMAT,
                        "no __metadata__");
}
END_TEST

/* onehot "1" promises the identity embedding. */
START_TEST(onehot_flag_checked)
{
    size_t size;
    unsigned char *b = small_file(&size);
    /* the embedding (4, 4) is the first tensor: make its (0, 1) element 0.5 */
    float half = 0.5f;
    memcpy(b + 8 + header_len(b) + 4, &half, 4);
    expect_failure(b, size, FOLKRNN_E_FORMAT, "not the identity");
    free(b);
}
END_TEST

START_TEST(nan_weight)
{
    size_t size;
    unsigned char *b = small_file(&size);
    float nan = NAN;
    memcpy(b + size - 4, &nan, 4);
    expect_failure(b, size, FOLKRNN_E_NUMERIC, "tensor 'dense.b': element (0, 3) is nan");
    free(b);
}
END_TEST

/* Header lengths 0x280, 0x380, 0x480, 0x580 would begin the file with the
   bytes of a pickle PROTO opcode: the writer pads past them. */
START_TEST(header_never_looks_like_pickle)
{
    static const int units[] = {1};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_GRU, 1, units, 2, tokens, 0, &m));
    char value[0x600];
    const char *path = temp_path(".safetensors");
    int hits = 0;
    for (size_t len = 0; len < sizeof value - 1; len++) {
        memset(value, 'x', len);
        value[len] = 0;
        ck_assert_ok(folkrnn_model_set_meta(m, "filler", value));
        size_t size;
        ck_assert_ok(folkrnn_model_save(m, path));
        unsigned char *b = read_all(path, &size);
        uint64_t n = header_len(b);
        ck_assert_msg(!(b[0] == 0x80 && b[1] >= 2 && b[1] <= 5), "header length %llu",
                      (unsigned long long)n);
        hits += n == 0x288 || n == 0x388 || n == 0x488 || n == 0x588;
        folkrnn_model *back;
        ck_assert_ok(folkrnn_model_load_buffer(b, size, &back));
        folkrnn_model_free(back);
        free(b);
        len += 6; /* header lengths move in steps of 8 anyway */
    }
    ck_assert_int_gt(hits, 0);
    unlink(path);
    folkrnn_model_free(m);
}
END_TEST

START_TEST(save_rejects_invalid_utf8)
{
    folkrnn_model *m = make_lstm_onehot();
    ck_assert_ok(folkrnn_model_set_meta(m, "bad", "\xff\xfe"));
    const char *path = temp_path(".safetensors");
    ck_assert_int_eq(folkrnn_model_save(m, path), FOLKRNN_E_INVALID);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "UTF-8"));
    ck_assert_int_eq(access(path, F_OK), -1);
    folkrnn_model_free(m);
}
END_TEST

/* ---- writing pattern models for the Python check ------------------------------ */

static const char *write_dir; /* --write DIR */

START_TEST(write_pattern_models)
{
    static const struct {
        const char *file;
        folkrnn_model *(*make)(void);
    } models[] = {{"lstm_onehot.safetensors", make_lstm_onehot},
                  {"lstm_dense.safetensors", make_lstm_dense},
                  {"gru.safetensors.gz", make_gru}};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", write_dir, models[i].file);
        folkrnn_model *m = models[i].make();
        ck_assert_ok(folkrnn_model_save(m, path));
        folkrnn_model_free(m);
    }
}
END_TEST

static Suite *write_suite(void)
{
    Suite *s = suite_create("safetensors: write pattern models");
    TCase *tc = tcase_create("write");
    tcase_add_test(tc, write_pattern_models);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *safetensors_suite(void)
{
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("round trip");
    tcase_add_test(tc, round_trip_lstm_onehot);
    tcase_add_test(tc, round_trip_lstm_dense);
    tcase_add_test(tc, round_trip_gru);
    tcase_add_test(tc, round_trip_gzip);
    tcase_add_test(tc, round_trip_v2_shape);
    tcase_add_test(tc, layout_is_documented_one);
    tcase_add_test(tc, reads_python_fixture);
    tcase_add_test(tc, save_rejects_invalid_utf8);
    tcase_add_test(tc, header_never_looks_like_pickle);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad input");
    tcase_add_test(tc, edit_helper_keeps_valid_file);
    tcase_add_test(tc, truncated_at_every_length);
    tcase_add_test(tc, bit_flips);
    tcase_add_test(tc, header_length_beyond_file);
    tcase_add_test(tc, offsets_out_of_range);
    tcase_add_test(tc, offsets_overlap_or_gap);
    tcase_add_test(tc, wrong_dtype);
    tcase_add_test(tc, shape_mismatch);
    tcase_add_test(tc, missing_tensor);
    tcase_add_test(tc, unknown_tensor);
    tcase_add_test(tc, bad_json);
    tcase_add_test(tc, deep_nesting);
    tcase_add_test(tc, bad_metadata);
    tcase_add_test(tc, onehot_flag_checked);
    tcase_add_test(tc, nan_weight);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write")) {
        write_dir = argv[2];
        return run_suite(write_suite());
    }
    return run_suite(safetensors_suite());
}
