/* train_data.c -- the training corpus: reading tunes and vocabularies,
   the training/validation split, epoch plans and packed batches. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train_internal.h"

/* ---- growable arrays ------------------------------------------------------- */

/* Make room for want elements of size bytes in *p (capacity *cap). */
static int grow(void **p, size_t *cap, size_t want, size_t size, const char *what)
{
    if (want <= *cap)
        return FOLKRNN_OK;
    size_t n = *cap ? *cap : 64;
    while (n < want)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return fr_oom(what, n * size);
    *p = q;
    *cap = n;
    return FOLKRNN_OK;
}

/* ---- token table: text -> id (open addressing, FNV-1a) ------------------------ */

struct table {
    char **texts;    /* [ntexts] owned, id order */
    int ntexts;
    size_t cap_texts;
    int *slots;      /* [nslots] id + 1, 0 = empty */
    size_t nslots;   /* a power of two, at least twice ntexts */
};

static uint32_t hash_text(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The slot holding text (or the empty slot where it would go). */
static size_t table_slot(const struct table *t, const char *s, size_t len)
{
    size_t i = hash_text(s, len) & (t->nslots - 1);
    for (;; i = (i + 1) & (t->nslots - 1)) {
        int id = t->slots[i] - 1;
        if (id < 0 || (strncmp(t->texts[id], s, len) == 0 && t->texts[id][len] == '\0'))
            return i;
    }
}

static int table_find(const struct table *t, const char *s, size_t len)
{
    return t->nslots ? t->slots[table_slot(t, s, len)] - 1 : -1;
}

static int table_rehash(struct table *t, size_t nslots)
{
    int *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return fr_oom("token table", nslots * sizeof *slots);
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    for (int id = 0; id < t->ntexts; id++)
        t->slots[table_slot(t, t->texts[id], strlen(t->texts[id]))] = id + 1;
    return FOLKRNN_OK;
}

/* Add a text not yet in the table; returns its id or a status. */
static int table_add(struct table *t, const char *s, size_t len)
{
    if (t->ntexts >= (1 << 24))
        return fr_error(FOLKRNN_E_RANGE, "more than %d distinct tokens", 1 << 24);
    int rc = grow((void **)&t->texts, &t->cap_texts, (size_t)t->ntexts + 1, sizeof *t->texts,
                  "token list");
    if (rc == FOLKRNN_OK && 2 * ((size_t)t->ntexts + 1) > t->nslots)
        rc = table_rehash(t, t->nslots ? 2 * t->nslots : 256);
    if (rc < 0)
        return rc;
    char *copy = malloc(len + 1);
    if (!copy)
        return fr_oom("token text", len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    t->texts[t->ntexts] = copy;
    t->slots[table_slot(t, s, len)] = t->ntexts + 1;
    return t->ntexts++;
}

static void table_free(struct table *t)
{
    fr_free_strings(t->texts, t->ntexts);
    free(t->slots);
}

void fr_free_strings(char **strings, int n)
{
    if (!strings)
        return;
    for (int i = 0; i < n; i++)
        free(strings[i]);
    free(strings);
}

/* ---- lines ------------------------------------------------------------------ */

/* A byte that has no place in a text file of tokens. */
static int is_control(unsigned char ch)
{
    return (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Check one line [s, e) for stray bytes. */
static int check_line(const char *name, long lineno, const char *s, const char *e)
{
    for (const char *p = s; p < e; p++)
        if (is_control((unsigned char)*p))
            return fr_error(FOLKRNN_E_PARSE, "%s:%ld: control byte 0x%02x in column %ld", name,
                            lineno, (unsigned char)*p, (long)(p - s) + 1);
    return FOLKRNN_OK;
}

static int line_is_blank(const char *s, const char *e)
{
    for (; s < e; s++)
        if (!is_blank(*s))
            return 0;
    return 1;
}

/* ---- vocabulary file -------------------------------------------------------- */

int fr_vocab_read(const char *path, char ***tokens, int *ntokens)
{
    *tokens = NULL;
    *ntokens = 0;
    unsigned char *data;
    size_t size;
    int rc = fr_read_file(path, &data, &size);
    if (rc < 0)
        return rc;
    struct table t = {0};
    const char *s = (const char *)data, *end = s + size;
    for (long lineno = 1; s < end && rc == FOLKRNN_OK; lineno++) {
        const char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e)
            e = end;
        const char *stop = e;
        while (stop > s && stop[-1] == '\r')
            stop--;
        rc = check_line(path, lineno, s, stop);
        if (rc < 0)
            break;
        for (const char *p = s; p < stop; p++)
            if (is_blank(*p)) {
                rc = fr_error(FOLKRNN_E_PARSE, "%s:%ld: a token may not contain blanks", path,
                              lineno);
                break;
            }
        if (rc == FOLKRNN_OK && stop == s)
            rc = fr_error(FOLKRNN_E_PARSE, "%s:%ld: empty line (one token per line)", path,
                          lineno);
        if (rc == FOLKRNN_OK && table_find(&t, s, (size_t)(stop - s)) >= 0)
            rc = fr_error(FOLKRNN_E_PARSE, "%s:%ld: token '%.*s' listed twice", path, lineno,
                          (int)(stop - s), s);
        if (rc == FOLKRNN_OK)
            rc = table_add(&t, s, (size_t)(stop - s));
        if (rc > 0)
            rc = FOLKRNN_OK;
        s = e + 1;
    }
    free(data);
    if (rc == FOLKRNN_OK && t.ntexts == 0)
        rc = fr_error(FOLKRNN_E_PARSE, "%s: no tokens", path);
    if (rc < 0) {
        table_free(&t);
        return rc;
    }
    free(t.slots);
    *tokens = t.texts;
    *ntokens = t.ntexts;
    return FOLKRNN_OK;
}

/* ---- corpus ----------------------------------------------------------------- */

static const char START[] = "<s>", END[] = "</s>";

/* The id of a token of line lineno, adding it unless the vocabulary is fixed. */
static int token_id(struct table *t, const char *s, size_t len, int fixed, const char *name,
                    long lineno)
{
    if ((len == 3 && !memcmp(s, START, 3)) || (len == 4 && !memcmp(s, END, 4)))
        return fr_error(FOLKRNN_E_PARSE, "%s:%ld: '%.*s' inside a tune (the trainer adds it)",
                        name, lineno, (int)len, s);
    int id = table_find(t, s, len);
    if (id >= 0)
        return id;
    if (fixed)
        return fr_error(FOLKRNN_E_PARSE, "%s:%ld: token '%.*s' is not in the model's vocabulary",
                        name, lineno, (int)len, s);
    return table_add(t, s, len);
}

/* Parser state while tunes are appended to the corpus. */
struct builder {
    struct fr_corpus *c;
    size_t cap_ids, cap_starts;
    long ntokens;      /* ids of the tune being read, <s> included */
    long max_tokens;
};

static int push_id(struct builder *b, int id)
{
    struct fr_corpus *c = b->c;
    size_t n = (size_t)c->tune_start[c->ntunes] + (size_t)b->ntokens;
    int rc = grow((void **)&c->ids, &b->cap_ids, n + 1, sizeof *c->ids, "corpus tokens");
    if (rc < 0)
        return rc;
    c->ids[n] = id;
    b->ntokens++;
    return FOLKRNN_OK;
}

/* Close the tune being read (if any): add </s>, or drop it when too long. */
static int end_tune(struct builder *b)
{
    struct fr_corpus *c = b->c;
    if (b->ntokens == 0)
        return FOLKRNN_OK;
    if (b->max_tokens > 0 && b->ntokens - 1 > b->max_tokens) {
        c->skipped++;
        b->ntokens = 0;
        return FOLKRNN_OK;
    }
    int rc = push_id(b, c->end_id);
    if (rc == FOLKRNN_OK)
        rc = grow((void **)&c->tune_start, &b->cap_starts, (size_t)c->ntunes + 2,
                  sizeof *c->tune_start, "tune offsets");
    if (rc < 0)
        return rc;
    c->tune_start[c->ntunes + 1] = c->tune_start[c->ntunes] + b->ntokens;
    c->ntunes++;
    b->ntokens = 0;
    return FOLKRNN_OK;
}

/* Add the tokens of one non-blank line to the tune being read. */
static int read_line(struct builder *b, struct table *t, const char *s, const char *e, int fixed,
                     const char *name, long lineno)
{
    int rc = check_line(name, lineno, s, e);
    if (rc == FOLKRNN_OK && b->ntokens == 0)
        rc = push_id(b, b->c->start_id);
    while (rc == FOLKRNN_OK) {
        while (s < e && is_blank(*s))
            s++;
        if (s == e)
            break;
        const char *tok = s;
        while (s < e && !is_blank(*s))
            s++;
        int id = token_id(t, tok, (size_t)(s - tok), fixed, name, lineno);
        rc = id < 0 ? id : push_id(b, id);
    }
    return rc;
}

/* Ids of <s> and </s>, added to the vocabulary when it lacks them. */
static int find_markers(struct table *t, int fixed, const char *name, struct fr_corpus *c)
{
    c->start_id = table_find(t, START, 3);
    c->end_id = table_find(t, END, 4);
    if (fixed && (c->start_id < 0 || c->end_id < 0))
        return fr_error(FOLKRNN_E_INVALID, "%s: the model's vocabulary has no '%s' token", name,
                        c->start_id < 0 ? START : END);
    if (c->start_id < 0)
        c->start_id = table_add(t, START, 3);
    if (c->start_id >= 0 && c->end_id < 0)
        c->end_id = table_add(t, END, 4);
    return c->start_id < 0 ? c->start_id : c->end_id < 0 ? c->end_id : FOLKRNN_OK;
}

int fr_corpus_parse(const char *text, size_t len, const char *name, const char *const *vocab,
                    int nvocab, int fixed, long max_tokens, struct fr_corpus *c)
{
    memset(c, 0, sizeof *c);
    struct table t = {0};
    struct builder b = {c, 0, 0, 0, max_tokens};
    int rc = FOLKRNN_OK;
    for (int i = 0; i < nvocab && rc >= 0; i++) {
        size_t n = strlen(vocab[i]);
        rc = table_find(&t, vocab[i], n) >= 0
                 ? fr_error(FOLKRNN_E_INVALID, "vocabulary token '%s' listed twice", vocab[i])
                 : table_add(&t, vocab[i], n);
    }
    if (rc >= 0)
        rc = find_markers(&t, fixed, name, c);
    if (rc >= 0)
        rc = grow((void **)&c->tune_start, &b.cap_starts, 1, sizeof *c->tune_start,
                  "tune offsets");
    if (rc >= 0)
        c->tune_start[0] = 0;
    const char *s = text, *end = text + len;
    for (long lineno = 1; s < end && rc >= 0; lineno++) {
        const char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e)
            e = end;
        rc = line_is_blank(s, e) ? end_tune(&b) : read_line(&b, &t, s, e, fixed, name, lineno);
        s = e + 1;
    }
    if (rc >= 0)
        rc = end_tune(&b);
    if (rc >= 0 && c->ntunes == 0)
        rc = fr_error(FOLKRNN_E_PARSE, "%s: no tunes%s", name,
                      c->skipped ? " short enough for the length limit" : "");
    if (rc < 0) {
        table_free(&t);
        fr_corpus_free(c);
        return rc;
    }
    free(t.slots);
    c->tokens = t.texts;
    c->ntokens = t.ntexts;
    fr_sha256_hex(text, len, c->sha256);
    return FOLKRNN_OK;
}

void fr_corpus_free(struct fr_corpus *c)
{
    fr_free_strings(c->tokens, c->ntokens);
    free(c->tune_start);
    free(c->ids);
    memset(c, 0, sizeof *c);
}

/* ---- split ------------------------------------------------------------------- */

static long tune_len(const struct fr_corpus *c, long i)
{
    return c->tune_start[i + 1] - c->tune_start[i];
}

/* Tunes by decreasing length, ties in file order (Python's stable sort). */
static int by_length_order(const struct fr_corpus *c, long **order)
{
    long n = c->ntunes, maxlen = 0;
    for (long i = 0; i < n; i++)
        if (tune_len(c, i) > maxlen)
            maxlen = tune_len(c, i);
    long *o = malloc((size_t)n * sizeof *o);
    long *count = calloc((size_t)maxlen + 2, sizeof *count);
    if (!o || !count) {
        free(o);
        free(count);
        return fr_oom("length order", (size_t)n * sizeof *o);
    }
    /* Counting sort on maxlen - len keeps ties stable. */
    for (long i = 0; i < n; i++)
        count[maxlen - tune_len(c, i) + 1]++;
    for (long k = 1; k <= maxlen + 1; k++)
        count[k] += count[k - 1];
    for (long i = 0; i < n; i++)
        o[count[maxlen - tune_len(c, i)]++] = i;
    free(count);
    *order = o;
    return FOLKRNN_OK;
}

static long valid_count(long n, double fraction, int batch)
{
    if (fraction <= 0.0)
        return 0;
    double batches = rint(n * fraction / batch);
    long k = (long)batch * (long)(batches < 1.0 ? 1.0 : batches);
    return k < n ? k : (long)rint(n * fraction);
}

int fr_corpus_split(const struct fr_corpus *c, double fraction, int batch, uint32_t split_seed,
                    long **train, long *ntrain, long **valid, long *nvalid)
{
    long n = c->ntunes, nv = valid_count(n, fraction, batch);
    long *order = NULL, *perm = malloc((size_t)n * sizeof *perm);
    char *is_valid = calloc((size_t)n, 1);
    long *tr = malloc((size_t)(n - nv + 1) * sizeof *tr), *va = malloc((size_t)(nv + 1) * sizeof *va);
    int rc = perm && is_valid && tr && va ? by_length_order(c, &order)
                                          : fr_oom("data split", (size_t)n * 3 * sizeof(long));
    if (rc == FOLKRNN_OK) {
        fr_mt_permutation(split_seed, n, perm);
        for (long k = 0; k < nv; k++)
            is_valid[perm[k]] = 1;
        long a = 0, v = 0;
        for (long k = 0; k < n; k++) {
            if (is_valid[k])
                va[v++] = order[k];
            else
                tr[a++] = order[k];
        }
        *train = tr, *ntrain = a, *valid = va, *nvalid = v;
    } else {
        free(tr);
        free(va);
    }
    free(order);
    free(perm);
    free(is_valid);
    return rc;
}

/* ---- epoch plan ------------------------------------------------------------------ */

static void shuffle(long *x, long n, struct fr_rng *r)
{
    for (long i = n - 1; i > 0; i--) {
        long j = (long)fr_rng_below(r, (uint64_t)i + 1);
        long tmp = x[i];
        x[i] = x[j];
        x[j] = tmp;
    }
}

int fr_epoch_plan(const struct fr_corpus *c, const long *idx, long n, int batch, uint64_t key,
                  long **tunes, long **chunks)
{
    long nchunks = (n + batch - 1) / batch;
    long *t = malloc((size_t)(n + 1) * sizeof *t), *k = malloc((size_t)(nchunks + 1) * sizeof *k);
    if (!t || !k) {
        free(t);
        free(k);
        return fr_oom("epoch plan", (size_t)(n + nchunks) * sizeof *t);
    }
    memcpy(t, idx, (size_t)n * sizeof *t);
    for (long j = 0; j < nchunks; j++)
        k[j] = j;
    if (key) {
        struct fr_rng r;
        fr_rng_seed(&r, key);
        for (long s = 0, e; s < n; s = e) {
            for (e = s + 1; e < n && tune_len(c, t[e]) == tune_len(c, t[s]); e++)
                ;
            shuffle(t + s, e - s, &r);
        }
        shuffle(k, nchunks, &r);
    }
    *tunes = t;
    *chunks = k;
    return FOLKRNN_OK;
}

/* ---- packed batches ------------------------------------------------------------- */

int fr_batch_fill(struct fr_batch *b, const struct fr_corpus *c, const long *idx, int n)
{
    int T = (int)tune_len(c, idx[0]) - 1;
    long npos = 0;
    for (int i = 0; i < n; i++)
        npos += tune_len(c, idx[i]) - 1;
    if ((long)T > b->cap_steps) {
        int *a = realloc(b->active, (size_t)T * sizeof *a);
        if (a)
            b->active = a;
        long *o = realloc(b->offset, (size_t)(T + 1) * sizeof *o);
        if (o)
            b->offset = o;
        if (!a || !o)
            return fr_oom("batch steps", (size_t)T * (sizeof *a + sizeof *o));
        b->cap_steps = T;
    }
    if (npos > b->cap_pos) {
        int *in = realloc(b->input, (size_t)npos * sizeof *in);
        if (in)
            b->input = in;
        int *tg = realloc(b->target, (size_t)npos * sizeof *tg);
        if (tg)
            b->target = tg;
        if (!in || !tg)
            return fr_oom("batch tokens", (size_t)npos * 2 * sizeof *in);
        b->cap_pos = npos;
    }
    b->ntunes = n;
    b->nsteps = T;
    b->npos = npos;
    long row = 0;
    int active = n;
    for (int t = 0; t < T; t++) {
        while (active > 0 && tune_len(c, idx[active - 1]) - 1 <= t)
            active--;
        b->active[t] = active;
        b->offset[t] = row;
        for (int i = 0; i < active; i++, row++) {
            const int *ids = c->ids + c->tune_start[idx[i]];
            b->input[row] = ids[t];
            b->target[row] = ids[t + 1];
        }
    }
    b->offset[T] = row;
    return FOLKRNN_OK;
}

void fr_batch_free(struct fr_batch *b)
{
    free(b->active);
    free(b->offset);
    free(b->input);
    free(b->target);
    memset(b, 0, sizeof *b);
}
