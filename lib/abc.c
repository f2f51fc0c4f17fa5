/* abc.c -- token text and ABC in and out.

   Reading cuts text into tokens by longest match against a vocabulary
   (folk-rnn's own tokens are ABC cut into pieces, so joining them and cutting
   again gives them back); writing joins tokens into token text or into a
   complete ABC 2.1 tune.  Outputs go to caller buffers with snprintf-like
   sizes, so C callers and foreign-function interfaces need no allocator. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "text.h"

/* ---- outputs ------------------------------------------------------------ */

/* Ids written to ids[0 .. cap), counted beyond. */
struct id_out {
    int *ids; /* [cap] */
    int cap;
    long n;   /* ids seen so far, also those that did not fit */
};

static void put_id(struct id_out *o, int id)
{
    if (o->n < o->cap)
        o->ids[o->n] = id;
    o->n++;
}

/* Text written to buf[0 .. cap - 1] plus a NUL, counted beyond. */
struct text_out {
    char *buf;  /* [cap] */
    size_t cap;
    size_t len; /* length of the whole text so far */
    int line_used; /* characters on the current line */
};

static void put_mem(struct text_out *o, const char *s, size_t k)
{
    if (o->len + 1 < o->cap) {
        size_t room = o->cap - 1 - o->len;
        memcpy(o->buf + o->len, s, k < room ? k : room);
    }
    o->len += k;
    o->line_used = k && s[k - 1] == '\n' ? 0 : o->line_used + (int)k;
}

static void put_str(struct text_out *o, const char *s)
{
    put_mem(o, s, strlen(s));
}

/* Terminate and return the length, or FOLKRNN_E_RANGE when it exceeds int. */
static int finish_text(struct text_out *o)
{
    if (o->cap > 0)
        o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    if (o->len > INT_MAX)
        return fr_error(FOLKRNN_E_RANGE, "rendered text of %zu bytes exceeds INT_MAX", o->len);
    return (int)o->len;
}

static int finish_ids(const struct id_out *o)
{
    if (o->n > INT_MAX)
        return fr_error(FOLKRNN_E_RANGE, "more than INT_MAX tokens");
    return (int)o->n;
}

/* ---- reading ------------------------------------------------------------ */

/* FOLKRNN_E_PARSE (or status) naming offset, line, column and the text at. */
static int text_error(int status, const char *text, size_t at, const char *what)
{
    int line = 1, col = 1;
    for (size_t i = 0; i < at; i++) {
        col = text[i] == '\n' ? 1 : col + 1;
        line += text[i] == '\n';
    }
    int shown = (int)strcspn(text + at, "\r\n");
    return fr_error(status, "%s at offset %zu (line %d, column %d): '%.*s'", what, at, line, col,
                    shown > 24 ? 24 : shown, text + at);
}

static int check_parse_args(const folkrnn_vocab *v, const char *text, int *ids, int cap,
                            int flags, int allowed_flags)
{
    if (!v || !text || cap < 0 || (!ids && cap > 0) || (flags & ~allowed_flags))
        return fr_error(FOLKRNN_E_INVALID, "parse: %s",
                        !v || !text ? "NULL argument"
                        : (flags & ~allowed_flags) ? "unknown flag" : "bad ids/cap");
    return FOLKRNN_OK;
}

/* Cut text[at .. end) into tokens by longest match.  White space separates;
   with wildcards, '*' stands for FOLKRNN_WILDCARD. */
static int cut(const folkrnn_vocab *v, const char *text, size_t at, size_t end, int wildcards,
               struct id_out *o)
{
    while (at < end) {
        size_t len;
        int id;
        if (isspace((unsigned char)text[at])) {
            at++;
        } else if (wildcards && text[at] == '*') {
            put_id(o, FOLKRNN_WILDCARD);
            at++;
        } else if ((id = fr_vocab_match(v, text + at, end - at, &len)) >= 0) {
            put_id(o, id);
            at += len;
        } else {
            return text_error(FOLKRNN_E_PARSE, text, at, "no token of the vocabulary matches");
        }
    }
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_parse_tokens(const folkrnn_vocab *v, const char *text, int flags,
                                     int *ids, int cap)
{
    int rc = check_parse_args(v, text, ids, cap, flags, FOLKRNN_PARSE_WILDCARD);
    if (rc < 0)
        return rc;
    struct id_out o = {ids, cap, 0};
    rc = cut(v, text, 0, strlen(text), flags & FOLKRNN_PARSE_WILDCARD, &o);
    return rc < 0 ? rc : finish_ids(&o);
}

/* A meter value in canonical form: no spaces, C as 4/4, C| as 2/2. */
static void canonical_meter(const char *value, size_t len, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < cap; i++)
        if (value[i] != ' ')
            out[k++] = value[i];
    out[k] = '\0';
    if (strcmp(out, "C") == 0)
        strcpy(out, "4/4");
    else if (strcmp(out, "C|") == 0)
        strcpy(out, "2/2");
}

/* The id of the vocabulary's token for a field value: the meter token of
   the same canonical meter, or the mode token of the same key. */
static int field_token(const folkrnn_vocab *v, char field, const char *value, size_t len)
{
    char want[64], have[64], tonic, mode[4], vtonic, vmode[4];
    int alter, fifths, valter, vfifths;
    if (len >= sizeof want)
        return -1;
    memcpy(want, value, len);
    want[len] = '\0';
    if (field == 'M')
        canonical_meter(value, len, want, sizeof want);
    else if (fr_mode_key(want, &tonic, &alter, mode, &fifths) < 0)
        return -1;
    int cls = field == 'M' ? FOLKRNN_TOKEN_METER : FOLKRNN_TOKEN_MODE;
    for (int id = 0; id < v->n; id++) {
        const char *tv = v->tokens[id] + 2; /* after "M:" or "K:" */
        if (v->cls[id] != cls)
            continue;
        if (field == 'M') {
            canonical_meter(tv, strlen(tv), have, sizeof have);
            if (strcmp(have, want) == 0)
                return id;
        } else if (fr_mode_key(tv, &vtonic, &valter, vmode, &vfifths) == 0 &&
                   vtonic == tonic && valter == alter && strcmp(vmode, mode) == 0) {
            return id;
        }
    }
    return -1;
}

/* One field "X:value" at text[at .. end): M and K give tokens, L must be
   1/8, the others carry nothing folk-rnn models. */
static int read_field(const folkrnn_vocab *v, const char *text, size_t at, size_t end,
                      struct id_out *o)
{
    char field = text[at];
    size_t vstart = at + 2, vend = end;
    while (vstart < vend && isspace((unsigned char)text[vstart]))
        vstart++;
    while (vend > vstart && isspace((unsigned char)text[vend - 1]))
        vend--;
    if (field == 'L') {
        char unit[16];
        canonical_meter(text + vstart, vend - vstart, unit, sizeof unit);
        if (strcmp(unit, "1/8") != 0)
            return text_error(FOLKRNN_E_UNSUPPORTED, text, at,
                              "unit length other than L:1/8 (folk-rnn's)");
        return FOLKRNN_OK;
    }
    if (field != 'M' && field != 'K')
        return FOLKRNN_OK;
    int id = field_token(v, field, text + vstart, vend - vstart);
    if (id < 0)
        return text_error(FOLKRNN_E_PARSE, text, at,
                          field == 'M' ? "meter not in the vocabulary"
                                       : "mode not understood or not in the vocabulary");
    put_id(o, id);
    return FOLKRNN_OK;
}

/* 1 when text[at] begins an inline field "[M:...]". */
static int is_inline_field(const char *text, size_t at, size_t end)
{
    return at + 3 < end && text[at] == '[' && isalpha((unsigned char)text[at + 1]) &&
           text[at + 2] == ':';
}

/* A body line text[at .. end): inline fields and tokens. */
static int read_body(const folkrnn_vocab *v, const char *text, size_t at, size_t end,
                     struct id_out *o)
{
    while (at < end) {
        size_t stop = at;
        while (stop < end && !is_inline_field(text, stop, end))
            stop++;
        int rc = cut(v, text, at, stop, 0, o);
        if (rc < 0 || stop == end)
            return rc;
        const char *close = memchr(text + stop, ']', end - stop);
        if (!close)
            return text_error(FOLKRNN_E_PARSE, text, stop, "inline field without ']'");
        rc = read_field(v, text, stop + 1, (size_t)(close - text), o);
        if (rc < 0)
            return rc;
        at = (size_t)(close - text) + 1;
    }
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_parse_abc(const folkrnn_vocab *v, const char *text, int flags,
                                  int *ids, int cap)
{
    int rc = check_parse_args(v, text, ids, cap, flags, 0);
    struct id_out o = {ids, cap, 0};
    size_t at = 0;
    while (rc == FOLKRNN_OK && text[at]) {
        size_t line_end = at + strcspn(text + at, "\n");
        size_t end = at + strcspn(text + at, "%\n"); /* '%' starts a comment */
        /* A line continued with '\' reads as if joined to the next. */
        size_t body_end = end > at && text[end - 1] == '\\' ? end - 1 : end;
        if (isalpha((unsigned char)text[at]) && text[at + 1] == ':')
            rc = read_field(v, text, at, end, &o);
        else
            rc = read_body(v, text, at, body_end, &o);
        at = line_end + (text[line_end] == '\n');
    }
    return rc < 0 ? rc : finish_ids(&o);
}

/* ---- writing ------------------------------------------------------------ */

static int check_render_args(const folkrnn_vocab *v, const int *ids, int n, const char *buf,
                             size_t cap, int wildcards)
{
    if (!v || n < 0 || (!ids && n > 0) || (!buf && cap > 0))
        return fr_error(FOLKRNN_E_INVALID, "render: %s",
                        !v ? "NULL vocabulary" : n < 0 ? "negative count" : "NULL buffer");
    for (int i = 0; i < n; i++)
        if ((ids[i] < 0 || ids[i] >= v->n) && !(wildcards && ids[i] == FOLKRNN_WILDCARD))
            return fr_error(FOLKRNN_E_RANGE, "token %d: id %d outside the vocabulary [0, %d)", i,
                            ids[i], v->n);
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_render_tokens(const folkrnn_vocab *v, const int *ids, int n,
                                      char *buf, size_t cap)
{
    int rc = check_render_args(v, ids, n, buf, cap, 1);
    if (rc < 0)
        return rc;
    struct text_out o = {buf, cap, 0, 0};
    for (int i = 0; i < n; i++) {
        if (i)
            put_str(&o, " ");
        put_str(&o, ids[i] == FOLKRNN_WILDCARD ? "*" : v->tokens[ids[i]]);
    }
    return finish_text(&o);
}

/* 1 when writing token b right after token a would read back as something
   other than a (a longer token starting with a's text). */
static int needs_space(const folkrnn_vocab *v, int a, int b)
{
    char joined[128];
    size_t la = v->len[a], lb = v->len[b], matched;
    if (la + lb >= sizeof joined)
        return 1;
    memcpy(joined, v->tokens[a], la);
    memcpy(joined + la, v->tokens[b], lb);
    return fr_vocab_match(v, joined, la + lb, &matched) != a;
}

/* A line of rendered ABC is full after this many bar lines or characters:
   short lines for people and for abcm2ps. */
#define BARS_PER_LINE 4
#define CHARS_PER_LINE 60

/* The header: X, T, L, then the meter and mode tokens that come before the
   body as field lines (K:C when there is no mode).  Returns the index of
   the first body token. */
static int render_header(const folkrnn_vocab *v, const int *ids, int n, int number,
                         const char *title, struct text_out *o)
{
    char line[64];
    snprintf(line, sizeof line, "X:%d\nT:", number);
    put_str(o, line);
    if (title) { /* one line: a line end would end the field */
        for (const char *c = title; *c; c++)
            put_mem(o, *c == '\n' || *c == '\r' ? " " : c, 1);
    } else {
        snprintf(line, sizeof line, "folkrnn tune %d", number);
        put_str(o, line);
    }
    put_str(o, "\nL:1/8\n");
    int i = 0, has_mode = 0;
    for (; i < n; i++) {
        int cls = v->cls[ids[i]];
        if (cls != FOLKRNN_TOKEN_METER && cls != FOLKRNN_TOKEN_MODE && cls != FOLKRNN_TOKEN_START)
            break;
        if (cls == FOLKRNN_TOKEN_START)
            continue;
        has_mode |= cls == FOLKRNN_TOKEN_MODE;
        put_str(o, v->tokens[ids[i]]);
        put_str(o, "\n");
    }
    if (!has_mode)
        put_str(o, "K:C\n");
    return i;
}

/* Lines break after a bar line (never right before another), or before an
   ending's bar line so that "|2" stays with its music. */
static void render_body(const folkrnn_vocab *v, const int *ids, int first, int n,
                        struct text_out *o)
{
    int prev = -1;         /* the token just written; -1 when none can join it */
    int space = 0;         /* a space is due before the next token (after a bar) */
    int bars_on_line = 0;
    for (int i = first; i < n; i++) {
        int id = ids[i], cls = v->cls[id];
        if (cls == FOLKRNN_TOKEN_END)
            break;
        if (cls == FOLKRNN_TOKEN_START)
            continue;
        int is_bar = cls == FOLKRNN_TOKEN_BAR;
        int is_field = cls == FOLKRNN_TOKEN_METER || cls == FOLKRNN_TOKEN_MODE;
        int is_ending = is_bar && (fr_bar_shape(v->tokens[id]) & FR_BAR_ENDING);
        int full = bars_on_line >= BARS_PER_LINE || o->line_used >= CHARS_PER_LINE;
        if (is_ending && full) {
            put_str(o, "\n");
            bars_on_line = 0;
        } else if (o->line_used &&
                   (space || is_bar || (prev >= 0 && !is_field && needs_space(v, prev, id)))) {
            put_str(o, " ");
        }
        put_str(o, is_field ? "[" : "");
        put_str(o, v->tokens[id]);
        put_str(o, is_field ? "]" : "");
        prev = is_bar || is_field ? -1 : id;
        space = is_bar;
        bars_on_line += is_bar;
        full = bars_on_line >= BARS_PER_LINE || o->line_used >= CHARS_PER_LINE;
        int next_is_bar = i + 1 < n && v->cls[ids[i + 1]] == FOLKRNN_TOKEN_BAR;
        if (is_bar && !is_ending && full && !next_is_bar) {
            put_str(o, "\n");
            bars_on_line = 0;
            space = 0;
        }
    }
    if (o->line_used)
        put_str(o, "\n");
}

FOLKRNN_API int folkrnn_render_abc(const folkrnn_vocab *v, const int *ids, int n, int number,
                                   const char *title, char *buf, size_t cap)
{
    int rc = check_render_args(v, ids, n, buf, cap, 0);
    if (rc < 0)
        return rc;
    struct text_out o = {buf, cap, 0, 0};
    int first = render_header(v, ids, n, number, title, &o);
    render_body(v, ids, first, n, &o);
    return finish_text(&o);
}
