/* train_ckpt.c -- checkpoint files: everything a run needs to continue
   exactly where it stopped.

   Layout: a text header, the raw parameters, a checksum line.
     FOLKRNN-CHECKPOINT 1
     key value...                 (one per line; floats as C99 hex, exact)
     end
     <nstorage float32: the model's storage, in the model's layout>
     <nstorage float32: RMSProp accumulators, same layout>
     crc32 XXXXXXXX               (zlib CRC-32 of every byte before this line)
   Floats are in the machine's byte order (little-endian on every platform
   this library is built for); the header says so and a reader checks it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "train_internal.h"

#define MAGIC "FOLKRNN-CHECKPOINT 1\n"
#define TRAILER_LEN 15 /* "crc32 XXXXXXXX\n" */

static const char *byte_order(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one ? "little" : "big";
}

/* ---- writing ---------------------------------------------------------------- */

static void write_header(FILE *f, const struct fr_ckpt *k)
{
    const struct folkrnn_model *m = k->model;
    fprintf(f, MAGIC "byteorder %s\ncell %d\nlayers %d\nunits", byte_order(), m->cell,
            m->num_layers);
    for (int l = 0; l < m->num_layers; l++)
        fprintf(f, " %d", m->layers[l].units);
    fprintf(f, "\nvocab %d\n", m->vocab_size);
    for (int i = 0; i < m->vocab_size; i++)
        fprintf(f, "token %s\n", m->tokens[i]);
    for (int i = 0; i < k->noptions; i++)
        fprintf(f, "option %d %a\n", i, k->options[i]);
    fprintf(f, "epoch %d\nbatch_next %ld\nlearning_rate %a\nepoch_nll %a\nepoch_tokens %ld\n",
            k->epoch, k->batch_next, (double)k->learning_rate, k->epoch_nll, k->epoch_tokens);
    fprintf(f, "epoch_loss_sum %a\nepoch_batches %ld\nwall_seconds %a\n", k->epoch_loss_sum,
            k->epoch_batches, k->wall_seconds);
    for (int e = 0; e < k->epoch; e++)
        fprintf(f, "loss %a %a\n", k->losses_train[e], k->losses_valid[e]);
    fprintf(f, "data_sha256 %s\ndata_name %s\nnstorage %zu\nend\n", k->data_sha256, k->data_name,
            m->nstorage);
}

int fr_ckpt_write(const char *path, const struct fr_ckpt *k)
{
    const struct folkrnn_model *m = k->model;
    for (int i = 0; i < m->vocab_size; i++)
        if (strchr(m->tokens[i], '\n'))
            return fr_error(FOLKRNN_E_INVALID, "token %d contains a newline", i);
    if (strchr(k->data_name, '\n'))
        return fr_error(FOLKRNN_E_INVALID, "data name contains a newline");
    char *header = NULL;
    size_t header_len = 0;
    FILE *f = open_memstream(&header, &header_len);
    if (!f)
        return fr_oom("checkpoint header", 4096);
    write_header(f, k);
    if (fclose(f) != 0) {
        free(header);
        return fr_oom("checkpoint header", header_len);
    }
    size_t payload = m->nstorage * sizeof(float);
    size_t size = header_len + 2 * payload + TRAILER_LEN;
    unsigned char *buf = malloc(size);
    if (!buf) {
        free(header);
        return fr_oom("checkpoint", size);
    }
    memcpy(buf, header, header_len);
    memcpy(buf + header_len, m->storage, payload);
    memcpy(buf + header_len + payload, k->acc->storage, payload);
    free(header);
    /* zlib's crc32 takes uInt lengths: feed it in pieces. */
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0, n; off < size - TRAILER_LEN; off += n) {
        n = size - TRAILER_LEN - off;
        if (n > (1u << 30))
            n = 1u << 30;
        crc = crc32(crc, buf + off, (uInt)n);
    }
    char trailer[TRAILER_LEN + 1];
    snprintf(trailer, sizeof trailer, "crc32 %08lx\n", crc & 0xffffffffUL);
    memcpy(buf + size - TRAILER_LEN, trailer, TRAILER_LEN);
    int rc = fr_write_atomic(path, buf, size, 0);
    free(buf);
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

static int check_crc(const char *path, const unsigned char *data, size_t size)
{
    if (size < sizeof MAGIC - 1 + TRAILER_LEN || memcmp(data, MAGIC, sizeof MAGIC - 1) != 0)
        return fr_error(FOLKRNN_E_FORMAT, "%s: not a libfolkrnn checkpoint", path);
    const char *tr = (const char *)data + size - TRAILER_LEN;
    char *end;
    if (memcmp(tr, "crc32 ", 6) != 0 || tr[TRAILER_LEN - 1] != '\n')
        return fr_error(FOLKRNN_E_FORMAT, "%s: checkpoint truncated (no checksum line)", path);
    unsigned long want = strtoul(tr + 6, &end, 16);
    if (end != tr + 14)
        return fr_error(FOLKRNN_E_FORMAT, "%s: checkpoint truncated (bad checksum line)", path);
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0, n; off < size - TRAILER_LEN; off += n) {
        n = size - TRAILER_LEN - off;
        if (n > (1u << 30))
            n = 1u << 30;
        crc = crc32(crc, data + off, (uInt)n);
    }
    if ((crc & 0xffffffffUL) != want)
        return fr_error(FOLKRNN_E_FORMAT,
                        "%s: checkpoint corrupt: checksum %08lx, file says %08lx", path,
                        crc & 0xffffffffUL, want);
    return FOLKRNN_OK;
}

/* Header reading state: the current line [s, e) and what was read. */
struct reader {
    const char *path;
    const char *s, *e, *end;
    long lineno;
};

/* Advance to the next line; 0 at the end of the header text. */
static int next_line(struct reader *r)
{
    if (r->e)
        r->s = r->e + 1;
    if (r->s >= r->end)
        return 0;
    r->e = memchr(r->s, '\n', (size_t)(r->end - r->s));
    if (!r->e)
        return 0;
    r->lineno++;
    return 1;
}

/* The value of the current line if its key is key, else NULL. */
static const char *value_of(const struct reader *r, const char *key)
{
    size_t n = strlen(key);
    if ((size_t)(r->e - r->s) > n && !memcmp(r->s, key, n) && r->s[n] == ' ')
        return r->s + n + 1;
    return NULL;
}

static int bad(const struct reader *r, const char *what)
{
    return fr_error(FOLKRNN_E_FORMAT, "%s: checkpoint header line %ld: %s", r->path, r->lineno,
                    what);
}

/* A copy of the rest of the line after value. */
static char *line_text(const struct reader *r, const char *value)
{
    size_t n = (size_t)(r->e - value);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, value, n);
        s[n] = '\0';
    }
    return s;
}

/* Read the architecture lines and build the empty model and accumulators. */
static int read_architecture(struct reader *r, struct fr_ckpt *k)
{
    int cell, layers, vocab, units[1024];
    const char *v;
    if (!next_line(r) || !(v = value_of(r, "byteorder")) || strncmp(v, byte_order(), 3) != 0)
        return bad(r, "byte order missing or not this machine's");
    if (!next_line(r) || !(v = value_of(r, "cell")) || sscanf(v, "%d", &cell) != 1)
        return bad(r, "expected 'cell N'");
    if (!next_line(r) || !(v = value_of(r, "layers")) || sscanf(v, "%d", &layers) != 1 ||
        layers < 1 || layers > 1024)
        return bad(r, "expected 'layers N'");
    if (!next_line(r) || !(v = value_of(r, "units")))
        return bad(r, "expected 'units ...'");
    for (int l = 0; l < layers; l++) {
        char *end;
        units[l] = (int)strtol(v, &end, 10);
        if (end == v)
            return bad(r, "too few unit counts");
        v = end;
    }
    if (!next_line(r) || !(v = value_of(r, "vocab")) || sscanf(v, "%d", &vocab) != 1 ||
        vocab < 1 || vocab > (1 << 24))
        return bad(r, "expected 'vocab N'");
    char **tokens = calloc((size_t)vocab, sizeof *tokens);
    if (!tokens)
        return fr_oom("checkpoint tokens", (size_t)vocab * sizeof *tokens);
    int rc = FOLKRNN_OK;
    for (int i = 0; i < vocab && rc == FOLKRNN_OK; i++) {
        if (!next_line(r) || !(v = value_of(r, "token")))
            rc = bad(r, "expected 'token TEXT'");
        else if (!(tokens[i] = line_text(r, v)))
            rc = fr_oom("token", (size_t)(r->e - v));
    }
    if (rc == FOLKRNN_OK)
        rc = fr_model_alloc(cell, layers, units, vocab, vocab, &k->model);
    if (rc == FOLKRNN_OK)
        rc = fr_model_set_tokens(k->model, (const char *const *)tokens);
    if (rc == FOLKRNN_OK)
        rc = fr_model_alloc(cell, layers, units, vocab, vocab, &k->acc);
    if (rc == FOLKRNN_OK)
        fr_model_set_identity(k->model);
    fr_free_strings(tokens, vocab);
    return rc;
}

/* One "key value" line of the training state. */
static int read_state_line(struct reader *r, struct fr_ckpt *k)
{
    const char *v;
    double a, b;
    int i;
    if ((v = value_of(r, "option"))) {
        if (sscanf(v, "%d %la", &i, &a) != 2 || i < 0 || i >= FR_CKPT_MAX_OPTIONS)
            return bad(r, "bad option line");
        k->options[i] = a;
        if (i + 1 > k->noptions)
            k->noptions = i + 1;
    } else if ((v = value_of(r, "loss"))) {
        if (sscanf(v, "%la %la", &a, &b) != 2 || k->nlosses >= k->epoch)
            return bad(r, "bad or extra loss line");
        k->losses_train[k->nlosses] = a;
        k->losses_valid[k->nlosses++] = b;
    } else if ((v = value_of(r, "epoch"))) {
        if (sscanf(v, "%d", &k->epoch) != 1 || k->epoch < 0 || k->epoch > 1000000)
            return bad(r, "bad epoch");
        free(k->losses_train);
        free(k->losses_valid);
        k->losses_train = malloc(((size_t)k->epoch + 1) * sizeof(double));
        k->losses_valid = malloc(((size_t)k->epoch + 1) * sizeof(double));
        if (!k->losses_train || !k->losses_valid)
            return fr_oom("losses", 2 * ((size_t)k->epoch + 1) * sizeof(double));
    } else if ((v = value_of(r, "batch_next"))) {
        if (sscanf(v, "%ld", &k->batch_next) != 1)
            return bad(r, "bad batch_next");
    } else if ((v = value_of(r, "learning_rate"))) {
        if (sscanf(v, "%la", &a) != 1)
            return bad(r, "bad learning_rate");
        k->learning_rate = (float)a;
    } else if ((v = value_of(r, "epoch_nll"))) {
        if (sscanf(v, "%la", &k->epoch_nll) != 1)
            return bad(r, "bad epoch_nll");
    } else if ((v = value_of(r, "epoch_tokens"))) {
        if (sscanf(v, "%ld", &k->epoch_tokens) != 1)
            return bad(r, "bad epoch_tokens");
    } else if ((v = value_of(r, "epoch_loss_sum"))) {
        if (sscanf(v, "%la", &k->epoch_loss_sum) != 1)
            return bad(r, "bad epoch_loss_sum");
    } else if ((v = value_of(r, "epoch_batches"))) {
        if (sscanf(v, "%ld", &k->epoch_batches) != 1)
            return bad(r, "bad epoch_batches");
    } else if ((v = value_of(r, "wall_seconds"))) {
        if (sscanf(v, "%la", &k->wall_seconds) != 1)
            return bad(r, "bad wall_seconds");
    } else if ((v = value_of(r, "data_sha256"))) {
        if (r->e - v != 64)
            return bad(r, "bad data_sha256");
        memcpy(k->data_sha256, v, 64);
        k->data_sha256[64] = '\0';
    } else if ((v = value_of(r, "data_name"))) {
        free(k->data_name);
        if (!(k->data_name = line_text(r, v)))
            return fr_oom("data name", (size_t)(r->e - v));
    } else if ((v = value_of(r, "nstorage"))) {
        size_t n;
        if (sscanf(v, "%zu", &n) != 1 || n != k->model->nstorage)
            return bad(r, "parameter count does not match the architecture");
    } else {
        return bad(r, "unknown key");
    }
    return FOLKRNN_OK;
}

int fr_ckpt_read(const char *path, struct fr_ckpt *k)
{
    memset(k, 0, sizeof *k);
    unsigned char *data;
    size_t size;
    int rc = fr_read_file(path, &data, &size);
    if (rc < 0)
        return rc;
    rc = check_crc(path, data, size);
    struct reader r = {path, (const char *)data + sizeof MAGIC - 1, NULL,
                       (const char *)data + size - TRAILER_LEN, 1};
    if (rc == FOLKRNN_OK)
        rc = read_architecture(&r, k);
    int ended = 0;
    while (rc == FOLKRNN_OK && !ended) {
        if (!next_line(&r))
            rc = bad(&r, "header does not end");
        else if (r.e - r.s == 3 && !memcmp(r.s, "end", 3))
            ended = 1;
        else
            rc = read_state_line(&r, k);
    }
    if (rc == FOLKRNN_OK && (k->nlosses != k->epoch || !k->data_name))
        rc = bad(&r, "losses or data name missing");
    size_t payload = rc == FOLKRNN_OK ? k->model->nstorage * sizeof(float) : 0;
    const unsigned char *p = (const unsigned char *)r.e + 1;
    if (rc == FOLKRNN_OK && (size_t)(data + size - TRAILER_LEN - p) != 2 * payload)
        rc = fr_error(FOLKRNN_E_FORMAT, "%s: checkpoint parameters have the wrong size", path);
    if (rc == FOLKRNN_OK) {
        memcpy(k->model->storage, p, payload);
        memcpy(k->acc->storage, p + payload, payload);
        rc = fr_model_check_finite(k->model);
    }
    free(data);
    if (rc < 0)
        fr_ckpt_free(k);
    return rc;
}

void fr_ckpt_free(struct fr_ckpt *k)
{
    folkrnn_model_free(k->model);
    folkrnn_model_free(k->acc);
    free(k->losses_train);
    free(k->losses_valid);
    free(k->data_name);
    memset(k, 0, sizeof *k);
}
