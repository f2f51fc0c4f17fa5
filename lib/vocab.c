/* vocab.c -- what the library knows about tokens: their classes, pitches
   and lengths read from their text, exact fractions, and vocabularies with
   longest-match lookup.  Every fact about ABC used here is ABC 2.1's. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "text.h"

/* ---- exact fractions ---------------------------------------------------- */

static long long gcd_ll(long long a, long long b)
{
    if (a < 0)
        a = -a;
    while (b) {
        long long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The largest magnitude kept: far above any bar or note length, so that
   garbage input fails cleanly and cross products fit in 64 bits. */
#define FR_RAT_MAX ((1LL << 31) - 1)

int fr_rat_make(struct fr_rat *r, long long num, long long den)
{
    if (den == 0)
        return -1;
    if (den < 0) {
        num = -num;
        den = -den;
    }
    long long g = gcd_ll(num, den);
    if (g > 1) {
        num /= g;
        den /= g;
    }
    if (num > FR_RAT_MAX || num < -FR_RAT_MAX || den > FR_RAT_MAX)
        return -1;
    r->num = num;
    r->den = den;
    return 0;
}

int fr_rat_add(struct fr_rat *r, struct fr_rat a, struct fr_rat b)
{
    long long g = gcd_ll(a.den, b.den), bd = b.den / g, t1, t2, num, den;
    if (__builtin_mul_overflow(a.num, bd, &t1) || __builtin_mul_overflow(b.num, a.den / g, &t2) ||
        __builtin_add_overflow(t1, t2, &num) || __builtin_mul_overflow(a.den, bd, &den))
        return -1;
    return fr_rat_make(r, num, den);
}

int fr_rat_mul(struct fr_rat *r, struct fr_rat a, struct fr_rat b)
{
    /* Cross-reduce first: the result is then already reduced. */
    long long g1 = gcd_ll(a.num, b.den), g2 = gcd_ll(b.num, a.den);
    if (g1 == 0)
        g1 = 1;
    if (g2 == 0)
        g2 = 1;
    long long n1 = a.num / g1, d2 = b.den / g1, n2 = b.num / g2, d1 = a.den / g2;
    long long num, den;
    if (__builtin_mul_overflow(n1, n2, &num) || __builtin_mul_overflow(d1, d2, &den))
        return -1;
    return fr_rat_make(r, num, den);
}

int fr_rat_cmp(struct fr_rat a, struct fr_rat b)
{
    long long l = a.num * b.den, rgt = b.num * a.den; /* below 2^62: exact */
    return (l > rgt) - (l < rgt);
}

/* ---- pieces of ABC ------------------------------------------------------ */

/* Read 1..4 decimal digits with a value in 1..9999; 0 characters if none. */
static size_t read_number(const char *s, int *value)
{
    size_t i = 0;
    int v = 0;
    while (isdigit((unsigned char)s[i])) {
        if (i == 4)
            return 0;
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0 || v == 0)
        return 0;
    *value = v;
    return i;
}

size_t fr_read_length(const char *s, struct fr_rat *len)
{
    int num = 1, den = 1;
    size_t i = read_number(s, &num);
    if (s[i] == '/') {
        i++;
        size_t k = read_number(s + i, &den);
        if (k) {
            i += k;
        } else { /* "/" halves, "//" quarters, ... */
            den = 2;
            while (s[i] == '/' && den < 1024) {
                den *= 2;
                i++;
            }
        }
    }
    if (i == 0 || fr_rat_make(len, num, den) < 0)
        return 0;
    return i;
}

int fr_read_broken(const char *t, struct fr_rat *len, int *has_len, int *dir, int *count)
{
    size_t i = fr_read_length(t, len);
    *has_len = i > 0;
    if (!i)
        fr_rat_make(len, 1, 1);
    char sign = t[i];
    if (sign != '>' && sign != '<')
        return 0;
    int k = 0;
    while (t[i] == sign) {
        k++;
        i++;
    }
    if (t[i] || k > 3)
        return 0;
    *dir = sign == '>' ? 1 : -1;
    *count = k;
    return 1;
}

/* Read up to two digits (1..99) at s; 0 characters if none. */
static size_t read_small(const char *s, int *value)
{
    size_t k = read_number(s, value);
    return k && *value <= 99 ? k : 0;
}

int fr_read_tuplet(const char *t, int *p, int *q, int *r)
{
    if (t[0] != '(')
        return 0;
    size_t i = 1, k = read_small(t + i, p);
    if (!k)
        return 0;
    i += k;
    *q = *r = 0;
    if (t[i] == ':') {
        i++;
        i += read_small(t + i, q);
        if (t[i] == ':') {
            i++;
            i += read_small(t + i, r);
        }
    }
    return t[i] == '\0';
}

int fr_bar_shape(const char *t)
{
    size_t i = strspn(t, "|:[]");
    size_t rest = strspn(t + i, "0123456789,-");
    if (i == 0 || t[i + rest] != '\0')
        return 0;
    int has_pipe = memchr(t, '|', i) != NULL;
    int is_repeat2 = i == 2 && t[0] == ':' && t[1] == ':';
    int is_variant = i == 1 && t[0] == '[' && rest > 0; /* "[1" */
    if (!has_pipe && !is_repeat2 && !is_variant)
        return 0;
    int shape = FR_BAR_LINE;
    if (t[i - 1] == ':')
        shape |= FR_BAR_OPEN_REPEAT;
    if (t[0] == ':')
        shape |= FR_BAR_CLOSE_REPEAT;
    if (rest)
        shape |= FR_BAR_ENDING;
    if (strstr(t, "||") || strstr(t, "[|") || strstr(t, "|]"))
        shape |= FR_BAR_DOUBLE;
    return shape;
}

int fr_bar_ending(const char *t)
{
    int value = 0;
    read_number(t + strspn(t, "|:[]"), &value);
    return value;
}

int fr_meter_length(const char *value, struct fr_rat *len, int *compound)
{
    while (*value == ' ')
        value++;
    int a, b;
    size_t i;
    if (value[0] == 'C') { /* common time 4/4, cut time 2/2 */
        a = value[1] == '|' ? 2 : 4;
        b = a;
        i = value[1] == '|' ? 2 : 1;
    } else {
        i = read_small(value, &a);
        if (!i || value[i] != '/')
            return -1;
        size_t k = read_small(value + i + 1, &b);
        if (!k)
            return -1;
        i += 1 + k;
    }
    while (value[i] == ' ')
        i++;
    if (value[i] != '\0')
        return -1;
    *compound = a % 3 == 0 && a > 3;
    return fr_rat_make(len, 8LL * a, b);
}

int fr_mode_key(const char *value, char *tonic, int *alter, char mode[4], int *fifths)
{
    /* Position of each letter's major key on the circle of fifths. */
    static const int letter_fifths[7] = {3, 5, 0, 2, 4, -1, 1}; /* A B C D E F G */
    static const struct { const char *name; int fifths; } modes[] = {
        {"maj", 0}, {"ion", 0}, {"min", -3}, {"aeo", -3}, {"dor", -2},
        {"phr", -4}, {"lyd", 1}, {"mix", -1}, {"loc", -5}};
    while (*value == ' ')
        value++;
    char letter = (char)toupper((unsigned char)value[0]);
    if (letter < 'A' || letter > 'G')
        return -1;
    size_t i = 1;
    *alter = value[i] == '#' ? 1 : value[i] == 'b' ? -1 : 0;
    i += *alter != 0;
    while (value[i] == ' ')
        i++;
    size_t word = 0;
    while (isalpha((unsigned char)value[i + word]))
        word++;
    char m[4] = "maj";
    if (word == 1 && tolower((unsigned char)value[i]) == 'm') {
        strcpy(m, "min");
    } else if (word >= 3) {
        for (int k = 0; k < 3; k++)
            m[k] = (char)tolower((unsigned char)value[i + k]);
    } else if (word != 0) {
        return -1;
    }
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        if (strcmp(m, modes[k].name) == 0) {
            *tonic = letter;
            /* ion and aeo are the same keys as maj and min. */
            strcpy(mode, modes[k].fifths == 0 ? "maj" : modes[k].fifths == -3 ? "min" : m);
            *fifths = letter_fifths[letter - 'A'] + 7 * *alter + modes[k].fifths;
            return 0;
        }
    }
    return -1;
}

/* ---- classes ------------------------------------------------------------ */

/* An accidental, a letter and octave marks: the pitch's parts, or 0. */
static int read_pitch(const char *t, int *accidental, int *explicit_acc, char *letter, int *octave)
{
    size_t i = 0;
    *explicit_acc = 1;
    if (t[0] == '^' || t[0] == '_') {
        int sign = t[0] == '^' ? 1 : -1;
        i = t[1] == t[0] ? 2 : 1;
        *accidental = sign * (int)i;
    } else if (t[0] == '=') {
        i = 1;
        *accidental = 0;
    } else {
        *explicit_acc = 0;
        *accidental = 0;
    }
    char c = t[i];
    if (!((c >= 'A' && c <= 'G') || (c >= 'a' && c <= 'g')))
        return 0;
    *letter = c;
    *octave = islower((unsigned char)c) ? 1 : 0;
    for (i++; t[i]; i++) {
        if (t[i] == ',')
            (*octave)--;
        else if (t[i] == '\'')
            (*octave)++;
        else
            return 0;
    }
    return 1;
}

static int is_field(const char *t, char field)
{
    return t[0] == field && t[1] == ':';
}

FOLKRNN_API int folkrnn_token_class(const char *t)
{
    if (!t || !*t)
        return FOLKRNN_TOKEN_OTHER;
    int p, q, r, has_len, dir, count, acc, explicit_acc, octave;
    char letter;
    struct fr_rat len;
    if (strcmp(t, "<s>") == 0)
        return FOLKRNN_TOKEN_START;
    if (strcmp(t, "</s>") == 0)
        return FOLKRNN_TOKEN_END;
    if (is_field(t, 'M'))
        return FOLKRNN_TOKEN_METER;
    if (is_field(t, 'K'))
        return FOLKRNN_TOKEN_MODE;
    if (strcmp(t, "[") == 0 || strcmp(t, "]") == 0)
        return FOLKRNN_TOKEN_CHORD;
    if (fr_bar_shape(t))
        return FOLKRNN_TOKEN_BAR;
    if (fr_read_tuplet(t, &p, &q, &r))
        return FOLKRNN_TOKEN_TUPLET;
    if (fr_read_broken(t, &len, &has_len, &dir, &count))
        return FOLKRNN_TOKEN_BROKEN;
    size_t k = fr_read_length(t, &len);
    if (k && t[k] == '\0')
        return FOLKRNN_TOKEN_DURATION;
    if (read_pitch(t, &acc, &explicit_acc, &letter, &octave))
        return FOLKRNN_TOKEN_PITCH;
    if (strchr("zxZX", t[0]) && t[1] == '\0')
        return FOLKRNN_TOKEN_REST;
    return FOLKRNN_TOKEN_OTHER;
}

static const char *const class_names[FOLKRNN_TOKEN_NCLASSES] = {
    "other", "meter", "mode", "bar", "start", "end",
    "pitch", "duration", "broken", "tuplet", "chord", "rest"};

FOLKRNN_API const char *folkrnn_token_class_name(int cls)
{
    return cls >= 0 && cls < FOLKRNN_TOKEN_NCLASSES ? class_names[cls] : NULL;
}

FOLKRNN_API int folkrnn_token_class_from_name(const char *name)
{
    for (int c = 0; name && c < FOLKRNN_TOKEN_NCLASSES; c++)
        if (strcmp(name, class_names[c]) == 0)
            return c;
    return fr_error(FOLKRNN_E_INVALID, "'%s' is no token class (meter, mode, bar, start, end, "
                    "pitch, duration, broken, tuplet, chord, rest, other)", name ? name : "(null)");
}

FOLKRNN_API int folkrnn_model_token_class(const folkrnn_model *m, int id)
{
    if (!m)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_token_class: NULL model");
    const char *t = folkrnn_model_token(m, id);
    if (!t)
        return fr_error(FOLKRNN_E_RANGE, "token id %d outside [0, %d)", id,
                        folkrnn_model_vocab_size(m));
    return folkrnn_token_class(t);
}

FOLKRNN_API int folkrnn_model_class_ids(const folkrnn_model *m, int cls, int *ids, int cap)
{
    if (!m || cap < 0 || (!ids && cap > 0) || !folkrnn_token_class_name(cls))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_class_ids: %s",
                        !m ? "NULL model" : !folkrnn_token_class_name(cls) ? "unknown class"
                                                                           : "bad ids/cap");
    int count = 0, n = folkrnn_model_vocab_size(m);
    for (int id = 0; id < n; id++) {
        if (folkrnn_token_class(folkrnn_model_token(m, id)) != cls)
            continue;
        if (count < cap)
            ids[count] = id;
        count++;
    }
    return count;
}

/* ---- pitches and lengths ------------------------------------------------ */

/* 1 when letter (upper case) is altered by a key signature of fifths, with
   *alter its alteration. */
static int key_alteration(int fifths, char letter)
{
    static const char sharps[] = "FCGDAEB", flats[] = "BEADGCF";
    if (fifths > 0 && memchr(sharps, letter, (size_t)(fifths > 7 ? 7 : fifths)))
        return 1 + (fifths > 7 && memchr(sharps, letter, (size_t)(fifths - 7)) != NULL);
    if (fifths < 0 && memchr(flats, letter, (size_t)(-fifths > 7 ? 7 : -fifths)))
        return -1 - (-fifths > 7 && memchr(flats, letter, (size_t)(-fifths - 7)) != NULL);
    return 0;
}

FOLKRNN_API int folkrnn_token_midi(const char *text, const char *mode)
{
    static const int semitone[7] = {9, 11, 0, 2, 4, 5, 7}; /* A B C D E F G above C */
    int acc, explicit_acc, octave, fifths = 0, alter;
    char letter, tonic, m[4];
    if (!text || !read_pitch(text, &acc, &explicit_acc, &letter, &octave))
        return fr_error(FOLKRNN_E_INVALID, "'%s' is not a pitch token", text ? text : "(null)");
    if (mode && fr_mode_key(is_field(mode, 'K') ? mode + 2 : mode, &tonic, &alter, m, &fifths) < 0)
        return fr_error(FOLKRNN_E_INVALID, "mode '%s' not understood", mode);
    char upper = (char)toupper((unsigned char)letter);
    if (!explicit_acc)
        acc = key_alteration(fifths, upper);
    int midi = 60 + 12 * octave + semitone[upper - 'A'] + acc;
    if (midi < 0 || midi > 127)
        return fr_error(FOLKRNN_E_RANGE, "'%s' is MIDI %d, outside 0..127", text, midi);
    return midi;
}

FOLKRNN_API int folkrnn_token_duration(const char *text, int *num, int *den)
{
    struct fr_rat len;
    size_t k = text ? fr_read_length(text, &len) : 0;
    if (!num || !den || !k || text[k] != '\0')
        return fr_error(FOLKRNN_E_INVALID, "'%s' is not a duration token",
                        text ? text : "(null)");
    *num = (int)len.num;
    *den = (int)len.den;
    return FOLKRNN_OK;
}

/* ---- vocabularies ------------------------------------------------------- */

/* folk-rnn v2's tokens in the id order of the released model. */
static const char *const v2_tokens[137] = {
    "d'", "=A,", "^c'", "=e", "=d", "=g", "=f", "=a", "=c", "=b", "_G", "_E", "_D", "_C",
    "_B", "_A", "2<", "2>", "=E", "=D", "_B,", "=F", "=A", "4", "=C", "=B", "_g", "8", "_e",
    "_d", "_c", "<", "_a", "(9", "|2", "D", "|1", "(2", "(3", "|:", "(7", "(4", "(5", ":|",
    "9", "3/2", "3/4", "=f'", "2", "d", "_E,", "B,", "16", "|", "^A,", "b'", "_e'", "M:9/8",
    "E,", "</s>", "3", "7", "^F,", "=G,", "C", "G", "e'", "_d'", "^f'", "[", "b", "c", "z",
    "g", "^G,", "=F,", "K:Cmin", "K:Cmix", "=c'", "C,", "<s>", "]", "=G", "M:12/8", "6",
    "=E,", "K:Cmaj", ">", "B", "F", "c'", "^C,", "5/2", "G,", "f", "=e'", "_b", "_A,", "F,",
    "/2>", "/2<", "f'", "M:6/8", "4>", "M:4/4", "A,", "M:2/4", "=C,", "5", "M:3/4", "12",
    "M:3/2", "K:Cdor", "A", "E", "a'", "(6", "^A", "^C", "^D", "^F", "^G", "a", "g'", "D,",
    "/4", "e", "/3", "7/2", "=B,", "/8", "^a", "^c", "^d", "/2", "^f", "^g"};

FOLKRNN_API void folkrnn_vocab_free(folkrnn_vocab *v)
{
    if (!v)
        return;
    for (int i = 0; v->tokens && i < v->n; i++)
        free(v->tokens[i]);
    free(v->tokens);
    free(v->cls);
    free(v->len);
    free(v->by_first);
    free(v);
}

struct sort_entry {
    const char *text;
    size_t len;
    int id;
};

/* First byte ascending, then longest first, then text: the order longest
   match walks, with equal texts side by side. */
static int cmp_entry(const void *pa, const void *pb)
{
    const struct sort_entry *a = pa, *b = pb;
    unsigned char ca = (unsigned char)a->text[0], cb = (unsigned char)b->text[0];
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (a->len != b->len)
        return a->len > b->len ? -1 : 1;
    return strcmp(a->text, b->text);
}

/* Fill by_first and group[] from the tokens; fails naming a duplicate. */
static int build_index(struct folkrnn_vocab *v)
{
    struct sort_entry *e = malloc((size_t)v->n * sizeof *e);
    if (!e)
        return fr_oom("vocabulary index", (size_t)v->n * sizeof *e);
    for (int i = 0; i < v->n; i++)
        e[i] = (struct sort_entry){v->tokens[i], v->len[i], i};
    qsort(e, (size_t)v->n, sizeof *e, cmp_entry);
    int rc = FOLKRNN_OK;
    for (int i = 1; i < v->n && rc == FOLKRNN_OK; i++)
        if (strcmp(e[i - 1].text, e[i].text) == 0)
            rc = fr_error(FOLKRNN_E_INVALID, "token '%s' appears twice (ids %d and %d)",
                          e[i].text, e[i - 1].id, e[i].id);
    memset(v->group, 0, sizeof v->group);
    for (int i = 0; i < v->n; i++) {
        v->by_first[i] = e[i].id;
        v->group[(unsigned char)e[i].text[0] + 1]++;
    }
    for (int c = 0; c < 256; c++)
        v->group[c + 1] += v->group[c];
    free(e);
    return rc;
}

static int check_token(const char *t, int id)
{
    if (!t || !*t)
        return fr_error(FOLKRNN_E_INVALID, "token %d is %s", id, t ? "empty" : "NULL");
    for (const char *c = t; *c; c++)
        if (isspace((unsigned char)*c))
            return fr_error(FOLKRNN_E_INVALID, "token %d '%s' contains white space", id, t);
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_vocab_new(const char *const *tokens, int n, folkrnn_vocab **out)
{
    if (out)
        *out = NULL;
    if (!tokens || !out || n < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_vocab_new: %s",
                        n < 1 ? "fewer than one token" : "NULL argument");
    for (int i = 0; i < n; i++)
        if (check_token(tokens[i], i) < 0)
            return FOLKRNN_E_INVALID;
    struct folkrnn_vocab *v = calloc(1, sizeof *v);
    if (!v)
        return fr_oom("vocabulary", sizeof *v);
    v->n = n;
    v->tokens = calloc((size_t)n, sizeof *v->tokens);
    v->cls = malloc((size_t)n);
    v->len = malloc((size_t)n * sizeof *v->len);
    v->by_first = malloc((size_t)n * sizeof *v->by_first);
    int rc = v->tokens && v->cls && v->len && v->by_first
                 ? FOLKRNN_OK : fr_oom("vocabulary", (size_t)n * 32);
    for (int i = 0; i < n && rc == FOLKRNN_OK; i++) {
        v->tokens[i] = strdup(tokens[i]);
        if (!v->tokens[i])
            rc = fr_oom("token text", strlen(tokens[i]) + 1);
        else {
            v->len[i] = strlen(tokens[i]);
            v->cls[i] = (unsigned char)folkrnn_token_class(tokens[i]);
        }
    }
    if (rc == FOLKRNN_OK)
        rc = build_index(v);
    if (rc < 0) {
        folkrnn_vocab_free(v);
        return rc;
    }
    *out = v;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_vocab_from_model(const folkrnn_model *m, folkrnn_vocab **out)
{
    if (!m || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_vocab_from_model: NULL argument");
    /* The model keeps its texts in m->tokens, in id order. */
    return folkrnn_vocab_new((const char *const *)m->tokens, m->vocab_size, out);
}

FOLKRNN_API int folkrnn_vocab_v2(folkrnn_vocab **out)
{
    return folkrnn_vocab_new(v2_tokens, 137, out);
}

FOLKRNN_API int folkrnn_vocab_size(const folkrnn_vocab *v)
{
    return v ? v->n : fr_error(FOLKRNN_E_INVALID, "folkrnn_vocab_size: NULL vocabulary");
}

FOLKRNN_API const char *folkrnn_vocab_token(const folkrnn_vocab *v, int id)
{
    return v && id >= 0 && id < v->n ? v->tokens[id] : NULL;
}

FOLKRNN_API int folkrnn_vocab_token_id(const folkrnn_vocab *v, const char *text)
{
    if (!v || !text)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_vocab_token_id: NULL argument");
    size_t len = strlen(text), matched;
    int id = fr_vocab_match(v, text, len, &matched);
    return id >= 0 && matched == len ? id : FOLKRNN_E_RANGE;
}

int fr_vocab_match(const struct folkrnn_vocab *v, const char *s, size_t avail, size_t *len)
{
    if (avail == 0)
        return -1;
    unsigned char c = (unsigned char)s[0];
    for (int k = v->group[c]; k < v->group[c + 1]; k++) {
        int id = v->by_first[k];
        if (v->len[id] <= avail && memcmp(v->tokens[id], s, v->len[id]) == 0) {
            *len = v->len[id];
            return id;
        }
    }
    return -1;
}
