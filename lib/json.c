/* json.c -- strict JSON reader and writer pieces (see json.h).

   The reader runs the same recursive-descent parser twice: the first pass
   checks the grammar and counts values and text bytes, the second fills
   arrays of exactly that size.  Depth is bounded, so recursion is too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "json.h"

struct parser {
    const unsigned char *start, *p, *end;
    const char *what;      /* name of the text for messages */
    struct fr_json *nodes; /* NULL in the counting pass */
    char *text;            /* NULL in the counting pass */
    size_t nnodes;         /* values seen so far */
    size_t ntext;          /* text bytes (with terminators) so far */
};

static int syntax_error(struct parser *ps, const char *msg)
{
    return fr_error(FOLKRNN_E_FORMAT, "%s: byte %zu: %s", ps->what,
                    (size_t)(ps->p - ps->start), msg);
}

static void skip_space(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Length of the well-formed UTF-8 sequence at s (s < end), 0 if there is none. */
static size_t utf8_seq_len(const unsigned char *s, const unsigned char *end)
{
    size_t n;
    unsigned long cp, min;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, cp = s[0] & 0x1F, min = 0x80;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, cp = s[0] & 0x0F, min = 0x800;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, cp = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - s) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

int fr_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        size_t k = utf8_seq_len(p, end);
        if (!k)
            return 0;
        p += k;
    }
    return 1;
}

/* Append bytes to the text store (only counted in the first pass). */
static void emit(struct parser *ps, const void *bytes, size_t n)
{
    if (ps->text)
        memcpy(ps->text + ps->ntext, bytes, n);
    ps->ntext += n;
}

static void emit_codepoint(struct parser *ps, unsigned long cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (unsigned char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (unsigned char)(0xC0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        u[0] = (unsigned char)(0xE0 | cp >> 12), u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)),
        u[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    else
        u[0] = (unsigned char)(0xF0 | cp >> 18), u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F)),
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (unsigned char)(0x80 | (cp & 0x3F)),
        n = 4;
    emit(ps, u, n);
}

/* Four hex digits after "\u" (ps->p at the first digit). */
static int read_hex4(struct parser *ps, unsigned long *cp)
{
    if (ps->end - ps->p < 4)
        return syntax_error(ps, "truncated \\u escape");
    *cp = 0;
    for (int i = 0; i < 4; i++) {
        int c = ps->p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return syntax_error(ps, "bad hex digit in \\u escape");
        *cp = *cp << 4 | (unsigned long)d;
    }
    ps->p += 4;
    return 0;
}

/* After the backslash of "\uXXXX", joining a surrogate pair. */
static int read_unicode_escape(struct parser *ps)
{
    unsigned long cp, lo;
    int rc = read_hex4(ps, &cp);
    if (rc < 0)
        return rc;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return syntax_error(ps, "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
            return syntax_error(ps, "high surrogate without its low half");
        ps->p += 2;
        if ((rc = read_hex4(ps, &lo)) < 0)
            return rc;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return syntax_error(ps, "high surrogate without its low half");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0)
        return syntax_error(ps, "\\u0000 in a string is not supported");
    emit_codepoint(ps, cp);
    return 0;
}

/* A string literal (ps->p at the opening quote), decoded into the text
   store; *out is its text in the second pass. */
static int parse_string(struct parser *ps, const char **out, size_t *outlen)
{
    size_t first = ps->ntext;
    ps->p++;
    for (;;) {
        if (ps->p >= ps->end)
            return syntax_error(ps, "unterminated string");
        unsigned char c = *ps->p;
        if (c == '"')
            break;
        if (c < 0x20)
            return syntax_error(ps, "control character in string");
        if (c != '\\') {
            size_t n = utf8_seq_len(ps->p, ps->end);
            if (!n)
                return syntax_error(ps, "invalid UTF-8 in string");
            emit(ps, ps->p, n);
            ps->p += n;
            continue;
        }
        if (++ps->p >= ps->end)
            return syntax_error(ps, "unterminated string");
        static const char escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
        const char *e = strchr(escapes, *ps->p);
        if (*ps->p == 'u') {
            ps->p++;
            int rc = read_unicode_escape(ps);
            if (rc < 0)
                return rc;
            continue;
        }
        /* escapes holds (letter, meaning) pairs: a letter sits at an even offset */
        if (!*ps->p || !e || (e - escapes) % 2)
            return syntax_error(ps, "unknown escape in string");
        emit(ps, e + 1, 1);
        ps->p++;
    }
    ps->p++;
    emit(ps, "", 1);
    if (ps->text) {
        *out = ps->text + first;
        *outlen = ps->ntext - first - 1;
    }
    return 0;
}

static int parse_digits(struct parser *ps)
{
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return syntax_error(ps, "digit expected in number");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    return 0;
}

/* A number literal, checked against the grammar and kept as written. */
static int parse_number(struct parser *ps, struct fr_json *v)
{
    const unsigned char *first = ps->p;
    int rc;
    if (*ps->p == '-')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '0')
        ps->p++;
    else if ((rc = parse_digits(ps)) < 0)
        return rc;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if ((rc = parse_digits(ps)) < 0)
            return rc;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if ((rc = parse_digits(ps)) < 0)
            return rc;
    }
    size_t at = ps->ntext, n = (size_t)(ps->p - first);
    emit(ps, first, n);
    emit(ps, "", 1);
    if (v) {
        v->str = ps->text + at;
        v->len = n;
    }
    return 0;
}

static int keys_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Second pass only: duplicate member names are an error. */
static int check_duplicate_keys(struct parser *ps, const struct fr_json *obj)
{
    if (obj->count < 2)
        return 0;
    const char **keys = malloc(obj->count * sizeof *keys);
    if (!keys)
        return fr_oom("JSON object keys", obj->count * sizeof *keys);
    size_t n = 0;
    for (const struct fr_json *c = obj->child; c; c = c->next)
        keys[n++] = c->key;
    qsort(keys, n, sizeof *keys, keys_compare);
    int rc = 0;
    for (size_t i = 1; i < n && !rc; i++)
        if (!strcmp(keys[i - 1], keys[i]))
            rc = fr_error(FOLKRNN_E_FORMAT, "%s: duplicate key \"%s\"", ps->what, keys[i]);
    free(keys);
    return rc;
}

static int parse_value(struct parser *ps, int depth, struct fr_json **out);

/* Elements of an array or members of an object (ps->p at the bracket). */
static int parse_container(struct parser *ps, int depth, struct fr_json *v, int is_object)
{
    char close = is_object ? '}' : ']';
    struct fr_json **link = v ? &v->child : NULL;
    ps->p++;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return 0;
    }
    for (;;) {
        const char *key = NULL;
        size_t keylen;
        int rc;
        skip_space(ps);
        if (is_object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return syntax_error(ps, "member name expected");
            if ((rc = parse_string(ps, &key, &keylen)) < 0)
                return rc;
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return syntax_error(ps, "':' expected after member name");
            ps->p++;
        }
        struct fr_json *elem = NULL;
        if ((rc = parse_value(ps, depth + 1, &elem)) < 0)
            return rc;
        if (v) {
            elem->key = key;
            *link = elem;
            link = &elem->next;
            v->count++;
        }
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return v && is_object ? check_duplicate_keys(ps, v) : 0;
        }
        return syntax_error(ps, is_object ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static int parse_literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return syntax_error(ps, "unknown literal");
    ps->p += n;
    return 0;
}

static int parse_value(struct parser *ps, int depth, struct fr_json **out)
{
    if (depth > FR_JSON_MAX_DEPTH)
        return syntax_error(ps, "nested too deeply");
    skip_space(ps);
    if (ps->p >= ps->end)
        return syntax_error(ps, "value expected, found the end");
    struct fr_json *v = NULL;
    if (ps->nodes) {
        v = &ps->nodes[ps->nnodes];
        memset(v, 0, sizeof *v);
        *out = v;
    }
    ps->nnodes++;
    int type, rc;
    switch (*ps->p) {
    case '{': type = FR_JSON_OBJECT; rc = parse_container(ps, depth, v, 1); break;
    case '[': type = FR_JSON_ARRAY; rc = parse_container(ps, depth, v, 0); break;
    case 't': type = FR_JSON_TRUE; rc = parse_literal(ps, "true"); break;
    case 'f': type = FR_JSON_FALSE; rc = parse_literal(ps, "false"); break;
    case 'n': type = FR_JSON_NULL; rc = parse_literal(ps, "null"); break;
    case '"': {
        const char *s = NULL;
        size_t len = 0;
        type = FR_JSON_STRING;
        rc = parse_string(ps, &s, &len);
        if (v)
            v->str = s, v->len = len;
        break;
    }
    default:
        if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
            return syntax_error(ps, "value expected");
        type = FR_JSON_NUMBER;
        rc = parse_number(ps, v);
    }
    if (v)
        v->type = type;
    return rc;
}

static int parse_pass(struct parser *ps, const char *text, size_t len, struct fr_json **root)
{
    ps->start = ps->p = (const unsigned char *)text;
    ps->end = ps->start + len;
    ps->nnodes = ps->ntext = 0;
    int rc = parse_value(ps, 0, root);
    if (rc < 0)
        return rc;
    skip_space(ps);
    if (ps->p != ps->end)
        return syntax_error(ps, "unexpected text after the value");
    return 0;
}

int fr_json_parse(const char *text, size_t len, const char *what, struct fr_json_doc *doc)
{
    struct parser ps = {.what = what};
    struct fr_json *root = NULL;
    memset(doc, 0, sizeof *doc);
    int rc = parse_pass(&ps, text, len, &root);
    if (rc < 0)
        return rc;
    doc->nodes = malloc(ps.nnodes * sizeof *doc->nodes);
    doc->text = malloc(ps.ntext ? ps.ntext : 1);
    if (!doc->nodes || !doc->text) {
        fr_json_free(doc);
        return fr_oom("JSON document", ps.nnodes * sizeof *doc->nodes + ps.ntext);
    }
    ps.nodes = doc->nodes;
    ps.text = doc->text;
    if ((rc = parse_pass(&ps, text, len, &root)) < 0) {
        fr_json_free(doc);
        return rc;
    }
    doc->root = root;
    return 0;
}

void fr_json_free(struct fr_json_doc *doc)
{
    free(doc->nodes);
    free(doc->text);
    memset(doc, 0, sizeof *doc);
}

const struct fr_json *fr_json_member(const struct fr_json *obj, const char *key)
{
    if (!obj || obj->type != FR_JSON_OBJECT)
        return NULL;
    for (const struct fr_json *c = obj->child; c; c = c->next)
        if (!strcmp(c->key, key))
            return c;
    return NULL;
}

int fr_json_uint(const struct fr_json *v, uint64_t max, uint64_t *out)
{
    if (!v || v->type != FR_JSON_NUMBER)
        return 0;
    uint64_t x = 0;
    for (const char *s = v->str; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned d = (unsigned)(*s - '0');
        if (x > (max - d) / 10)
            return 0;
        x = x * 10 + d;
    }
    *out = x;
    return 1;
}

/* ---- writing ------------------------------------------------------------ */

static int buf_reserve(struct fr_buf *b, size_t more)
{
    if (b->failed)
        return 0;
    if (more < b->cap - b->len)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= more) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return 0;
        }
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = 1;
        return 0;
    }
    b->data = data;
    b->cap = cap;
    return 1;
}

void fr_buf_put(struct fr_buf *b, const void *bytes, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = 0;
}

void fr_buf_puts(struct fr_buf *b, const char *s)
{
    fr_buf_put(b, s, strlen(s));
}

void fr_buf_printf(struct fr_buf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        fr_buf_put(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void fr_buf_put_json_string(struct fr_buf *b, const char *s)
{
    fr_buf_put(b, "\"", 1);
    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fr_buf_put(b, run, (size_t)(s - run));
        if (!c)
            break;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            fr_buf_put(b, esc, 2);
        } else {
            fr_buf_printf(b, "\\u%04x", c);
        }
        run = s + 1;
    }
    fr_buf_put(b, "\"", 1);
}

void fr_buf_free(struct fr_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
