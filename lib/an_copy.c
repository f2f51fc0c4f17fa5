/* an_copy.c -- the copy check: a corpus of token sequences and the number
   of its tunes that contain each figure (token n-gram) of a query.

   All figures of a query are looked up in one pass over the corpus: the
   query's windows go into a hash table keyed by a polynomial hash of their
   tokens (arithmetic mod 2^64, so rolling it along a corpus tune is exact),
   every hit is checked token by token, and a figure counts a tune once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "an_internal.h"

struct folkrnn_corpus {
    int ntunes;
    int *ids;    /* every tune's ids back to back */
    long *start; /* [ntunes + 1]: tune k is ids[start[k] .. start[k + 1]) */
    long cap_ids;
    int cap_tunes;
};

/* ---- reading ------------------------------------------------------------- */

static int grow(folkrnn_corpus *c, long more_ids)
{
    if (c->ntunes + 1 >= c->cap_tunes) {
        int cap = c->cap_tunes ? 2 * c->cap_tunes : 1024;
        long *start = realloc(c->start, (size_t)(cap + 1) * sizeof *start);
        if (!start)
            return fr_oom("corpus index", (size_t)(cap + 1) * sizeof *start);
        if (!c->start)
            start[0] = 0;
        c->start = start;
        c->cap_tunes = cap;
    }
    long need = c->start[c->ntunes] + more_ids;
    if (need > c->cap_ids) {
        long cap = c->cap_ids ? 2 * c->cap_ids : 1 << 16;
        while (cap < need)
            cap *= 2;
        int *ids = realloc(c->ids, (size_t)cap * sizeof *ids);
        if (!ids)
            return fr_oom("corpus tokens", (size_t)cap * sizeof *ids);
        c->ids = ids;
        c->cap_ids = cap;
    }
    return FOLKRNN_OK;
}

/* Append the tune whose text is the NUL-terminated text. */
static int add_tune(folkrnn_corpus *c, const folkrnn_vocab *v, const char *text)
{
    int n = folkrnn_parse_tokens(v, text, 0, NULL, 0);
    if (n >= 0) {
        int rc = grow(c, n);
        if (rc)
            return rc;
        if (n > 0)
            n = folkrnn_parse_tokens(v, text, 0, c->ids + c->start[c->ntunes], n);
    }
    if (n < 0) { /* name the tune in the parser's message */
        char why[512];
        snprintf(why, sizeof why, "%s", folkrnn_errmsg());
        return fr_error(n, "corpus tune %d: %s", c->ntunes, why);
    }
    c->start[c->ntunes + 1] = c->start[c->ntunes] + n;
    c->ntunes++;
    return FOLKRNN_OK;
}

static int blank_line(const char *at, const char *end)
{
    for (; at < end; at++)
        if (*at != ' ' && *at != '\t' && *at != '\r')
            return 0;
    return 1;
}

/* Split buf (writable) at blank lines and add each tune. */
static int add_tunes(folkrnn_corpus *c, const folkrnn_vocab *v, char *buf)
{
    char *at = buf, *tune = NULL;
    int rc = FOLKRNN_OK;
    while (!rc && *at) {
        char *eol = strchr(at, '\n');
        char *end = eol ? eol : at + strlen(at);
        if (blank_line(at, end)) {
            if (tune) {
                *at = '\0'; /* ends the tune's text */
                rc = add_tune(c, v, tune);
                tune = NULL;
            }
        } else if (!tune) {
            tune = at;
        }
        at = eol ? eol + 1 : end;
    }
    return rc || !tune ? rc : add_tune(c, v, tune);
}

int folkrnn_corpus_from_text(const folkrnn_vocab *v, const char *text, folkrnn_corpus **out)
{
    if (!v || !text || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_corpus_from_text: NULL argument");
    *out = NULL;
    size_t len = strlen(text);
    char *buf = malloc(len + 1);
    folkrnn_corpus *c = calloc(1, sizeof *c);
    int rc = !buf || !c ? fr_oom("corpus", len + 1) : grow(c, 0);
    if (!rc) {
        memcpy(buf, text, len + 1);
        rc = add_tunes(c, v, buf);
    }
    free(buf);
    if (rc) {
        folkrnn_corpus_free(c);
        return rc;
    }
    *out = c;
    return FOLKRNN_OK;
}

int folkrnn_corpus_load(const folkrnn_vocab *v, const char *path, folkrnn_corpus **out)
{
    if (!v || !path || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_corpus_load: NULL argument");
    *out = NULL;
    unsigned char *data, *text = NULL;
    size_t size, tsize;
    int rc = fr_read_file(path, &data, &size);
    if (rc)
        return rc;
    if (fr_is_gzip(data, size)) {
        rc = fr_gunzip(data, size, FR_MAX_MODEL_BYTES, &text, &tsize);
        free(data);
    } else {
        text = data, tsize = size;
    }
    unsigned char *z = rc ? NULL : realloc(text, tsize + 1); /* NUL-terminated */
    if (!rc && !z)
        rc = fr_oom("corpus text", tsize + 1);
    if (!rc) {
        text = z;
        text[tsize] = '\0';
        if (memchr(text, '\0', tsize))
            rc = fr_error(FOLKRNN_E_PARSE, "%s: a NUL byte in the text", path);
        else
            rc = folkrnn_corpus_from_text(v, (const char *)text, out);
    }
    free(text);
    return rc;
}

int folkrnn_corpus_count(const folkrnn_corpus *c)
{
    return c ? c->ntunes : fr_error(FOLKRNN_E_INVALID, "folkrnn_corpus_count: NULL corpus");
}

const int *folkrnn_corpus_tune(const folkrnn_corpus *c, int k, int *len)
{
    if (len)
        *len = 0;
    if (!c || k < 0 || k >= c->ntunes)
        return NULL;
    if (len)
        *len = (int)(c->start[k + 1] - c->start[k]);
    return c->ids + c->start[k];
}

void folkrnn_corpus_free(folkrnn_corpus *c)
{
    if (!c)
        return;
    free(c->ids);
    free(c->start);
    free(c);
}

/* ---- figures ------------------------------------------------------------- */

#define HASH_BASE 0x9e3779b97f4a7c15ULL /* odd, so powers never vanish mod 2^64 */

static uint64_t hash_window(const int *ids, int n)
{
    uint64_t h = 0;
    for (int i = 0; i < n; i++)
        h = h * HASH_BASE + (uint64_t)(unsigned)ids[i];
    return h;
}

/* The distinct windows of the query in an open-addressing table. */
struct figures {
    const int *query;
    int n, nwin;
    int *rep;       /* [nwin]: the first window with the same tokens */
    int *slot;      /* [size]: window index or -1 */
    uint64_t *key;  /* [size] */
    size_t mask;    /* size - 1 */
    int *last_tune; /* [nwin]: last corpus tune counted for a representative */
};

static void figures_free(struct figures *f)
{
    free(f->rep);
    free(f->slot);
    free(f->key);
    free(f->last_tune);
}

/* The table slot of a window with hash h and tokens ids, or of the empty
   slot where it would go. */
static size_t probe(const struct figures *f, uint64_t h, const int *ids)
{
    size_t i = (size_t)(h ^ (h >> 29)) & f->mask;
    while (f->slot[i] >= 0 &&
           (f->key[i] != h || memcmp(f->query + f->slot[i], ids, (size_t)f->n * sizeof *ids)))
        i = (i + 1) & f->mask;
    return i;
}

static int figures_build(struct figures *f, const int *query, int len, int n)
{
    memset(f, 0, sizeof *f);
    f->query = query;
    f->n = n;
    f->nwin = len - n + 1;
    size_t size = 16;
    while (size < 2 * (size_t)f->nwin)
        size *= 2;
    f->mask = size - 1;
    f->rep = malloc((size_t)f->nwin * sizeof *f->rep);
    f->last_tune = malloc((size_t)f->nwin * sizeof *f->last_tune);
    f->slot = malloc(size * sizeof *f->slot);
    f->key = malloc(size * sizeof *f->key);
    if (!f->rep || !f->last_tune || !f->slot || !f->key)
        return fr_oom("figure table", size * (sizeof(int) + sizeof(uint64_t)));
    for (size_t i = 0; i < size; i++)
        f->slot[i] = -1;
    for (int w = 0; w < f->nwin; w++) {
        uint64_t h = hash_window(query + w, n);
        size_t i = probe(f, h, query + w);
        if (f->slot[i] < 0)
            f->slot[i] = w, f->key[i] = h;
        f->rep[w] = f->slot[i];
        f->last_tune[w] = -1;
    }
    return FOLKRNN_OK;
}

/* Count tune k of the corpus for every figure it contains. */
static void scan_tune(struct figures *f, const int *ids, int len, int k, int *counts, uint64_t top)
{
    if (len < f->n)
        return;
    uint64_t h = hash_window(ids, f->n);
    for (int t = 0;; t++) {
        size_t i = probe(f, h, ids + t);
        int w = f->slot[i];
        if (w >= 0 && f->last_tune[w] != k) {
            f->last_tune[w] = k;
            counts[w]++;
        }
        if (t + f->n >= len)
            break;
        h = (h - (uint64_t)(unsigned)ids[t] * top) * HASH_BASE + (uint64_t)(unsigned)ids[t + f->n];
    }
}

int folkrnn_corpus_figures(const folkrnn_corpus *c, const int *tune, int len, int n, int *counts)
{
    if (!c || !tune || !counts || n < 1 || len < n)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_corpus_figures: %s (len %d, n %d)",
                        !c || !tune || !counts ? "NULL argument" : "need 1 <= n <= len", len, n);
    struct figures f;
    int rc = figures_build(&f, tune, len, n);
    if (!rc) {
        uint64_t top = 1; /* HASH_BASE^(n-1): the weight of a window's first token */
        for (int i = 1; i < n; i++)
            top *= HASH_BASE;
        memset(counts, 0, (size_t)f.nwin * sizeof *counts);
        for (int k = 0; k < c->ntunes; k++)
            scan_tune(&f, c->ids + c->start[k], (int)(c->start[k + 1] - c->start[k]), k, counts,
                      top);
        for (int w = 0; w < f.nwin; w++) /* repeated figures share their count */
            counts[w] = counts[f.rep[w]];
    }
    figures_free(&f);
    return rc;
}
