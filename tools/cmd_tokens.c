/* cmd_tokens.c -- folkrnn tokens: convert tunes between folk-rnn token text
   and ABC, and count their bars. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
    "usage: folkrnn tokens [--to abc|tokens|bars] [--from tokens|abc] [--bars]\n"
    "                      [--model PATH | --vocab v2|words|FILE] [--title TEXT] [FILE]\n"
    "\n"
    "Read tunes from FILE (default: standard input) and write them as ABC, as\n"
    "token text, or as bar counts.\n"
    "\n"
    "Token text is folk-rnn's: tokens separated by spaces, e.g. the data_v2\n"
    "layout (meter line, mode line, body line, blank line between tunes) or one\n"
    "tune per line as 'folkrnn sample' prints.  A tune ends at a blank line or\n"
    "after a line holding body tokens; compact words such as GEEE2DEDC| are cut\n"
    "into tokens by longest match.  ABC input is split into tunes at X: lines.\n"
    "\n"
    "options:\n"
    "  --to abc        complete ABC tunes: X:, T:, L:1/8, M:, K:, body (default\n"
    "                  when reading token text)\n"
    "  --to tokens     token text, one tune per line (default when reading ABC)\n"
    "  --to bars, --bars\n"
    "                  per tune: bars, correct bars, share correct, faults, and\n"
    "                  each bar's length in units of 1/8 (p pickup, c closing,\n"
    "                  ! wrong length, ? no meter); then a total line\n"
    "  --from tokens   read token text (default unless --to tokens)\n"
    "  --from abc      read ABC\n"
    "  --model PATH    use the vocabulary of this model\n"
    "  --vocab v2      use folk-rnn v2's 137 tokens (the default)\n"
    "  --vocab words   every space-separated word of the input is a token (token\n"
    "                  text of any vocabulary; no longest-match cutting)\n"
    "  --vocab FILE    use the tokens of FILE, one a line, line k = id k\n"
    "  --title TEXT    T: of the ABC tunes (default 'folkrnn tune N')\n"
    "  -h, --help      show this help\n"
    "\n"
    "exit status: 0 done, 1 input not understood or unreadable, 2 usage\n";

enum format { FMT_TOKENS, FMT_ABC, FMT_BARS };

struct options {
    int from, to;
    const char *model, *vocab, *title, *file;
};

/* ---- input ---------------------------------------------------------------- */

/* All of f, NUL-terminated, malloc'd; NULL on failure (errno set). */
static char *read_all(FILE *f)
{
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (ferror(f) || feof(f))
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* 1 when line [s, e) holds a word that is not a meter or mode field. */
static int has_body_words(const char *s, const char *e)
{
    while (s < e) {
        while (s < e && isspace((unsigned char)*s))
            s++;
        if (s < e && !((s[0] == 'M' || s[0] == 'K') && s + 1 < e && s[1] == ':'))
            return 1;
        while (s < e && !isspace((unsigned char)*s))
            s++;
    }
    return 0;
}

static int is_blank(const char *s, const char *e)
{
    while (s < e && isspace((unsigned char)*s))
        s++;
    return s == e;
}

/* The end of the tune starting at s: token text ends at a blank line or
   after a line with body words; ABC at the next X: line. */
static const char *tune_end(const char *s, int from)
{
    const char *line = s;
    int started = 0;
    while (*line) {
        const char *eol = line + strcspn(line, "\n");
        const char *next = *eol ? eol + 1 : eol;
        if (from == FMT_ABC) {
            if (line != s && line[0] == 'X' && line[1] == ':')
                return line;
        } else if (is_blank(line, eol)) {
            if (started)
                return next;
        } else {
            started = 1;
            if (has_body_words(line, eol))
                return next;
        }
        line = next;
    }
    return line;
}

/* ---- vocabulary ------------------------------------------------------------ */

/* The distinct space-separated words of text, as a vocabulary. */
static int vocab_of_words(const char *text, folkrnn_vocab **out)
{
    size_t n = 0, cap = 64;
    char **words = malloc(cap * sizeof *words);
    int rc = words ? FOLKRNN_OK : FOLKRNN_E_NOMEM;
    for (const char *s = text; rc == FOLKRNN_OK && *s;) {
        s += strspn(s, " \t\r\n\v\f");
        size_t len = strcspn(s, " \t\r\n\v\f");
        if (!len)
            break;
        size_t k = 0;
        while (k < n && !(strlen(words[k]) == len && !strncmp(words[k], s, len)))
            k++;
        if (k == n) {
            char **bigger = n == cap ? realloc(words, (cap *= 2) * sizeof *words) : words;
            char *w = bigger ? strndup(s, len) : NULL;
            if (bigger)
                words = bigger;
            if (w)
                words[n++] = w;
            else
                rc = FOLKRNN_E_NOMEM;
        }
        s += len;
    }
    if (rc == FOLKRNN_OK && n == 0)
        rc = folkrnn_vocab_v2(out); /* empty input: any vocabulary will do */
    else if (rc == FOLKRNN_OK)
        rc = folkrnn_vocab_new((const char *const *)words, (int)n, out);
    for (size_t k = 0; k < n; k++)
        free(words[k]);
    free(words);
    return rc;
}

/* The tokens of a file, one a line (a trailing empty line ignored). */
static int vocab_of_file(const char *path, folkrnn_vocab **out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "folkrnn tokens: %s: %s\n", path, strerror(errno));
        return FOLKRNN_E_IO;
    }
    char *text = read_all(f);
    fclose(f);
    if (!text)
        return FOLKRNN_E_NOMEM;
    int n = 0, rc;
    for (char *c = text; *c; c++)
        n += *c == '\n';
    char **lines = malloc(((size_t)n + 1) * sizeof *lines);
    if (!lines) {
        free(text);
        return FOLKRNN_E_NOMEM;
    }
    n = 0;
    for (char *line = text; *line;) {
        char *eol = line + strcspn(line, "\r\n");
        char *next = eol + strspn(eol, "\r\n") ;
        *eol = '\0';
        lines[n++] = line;
        line = next;
    }
    rc = folkrnn_vocab_new((const char *const *)lines, n, out);
    free(lines);
    free(text);
    return rc;
}

static folkrnn_vocab *load_vocab(const struct options *o, const char *input)
{
    folkrnn_vocab *v = NULL;
    int rc;
    const char *what = o->vocab ? o->vocab : "v2";
    if (o->model) {
        folkrnn_model *m = cli_load_model("tokens", o->model);
        if (!m)
            return NULL;
        rc = folkrnn_vocab_from_model(m, &v);
        folkrnn_model_free(m);
        what = o->model;
    } else if (!o->vocab || !strcmp(o->vocab, "v2")) {
        rc = folkrnn_vocab_v2(&v);
    } else if (!strcmp(o->vocab, "words")) {
        rc = vocab_of_words(input, &v);
    } else {
        rc = vocab_of_file(o->vocab, &v);
    }
    if (rc < 0) {
        if (rc != FOLKRNN_E_IO)
            cli_fail("tokens", what, rc);
        return NULL;
    }
    return v;
}

/* ---- output ---------------------------------------------------------------- */

/* Render with a buffer sized by a first call. */
static int print_rendered(const folkrnn_vocab *v, const int *ids, int n, int to, int number,
                          const char *title)
{
    int len = to == FMT_ABC ? folkrnn_render_abc(v, ids, n, number, title, NULL, 0)
                            : folkrnn_render_tokens(v, ids, n, NULL, 0);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (len >= 0 && !text)
        len = FOLKRNN_E_NOMEM;
    if (text) {
        len = to == FMT_ABC ? folkrnn_render_abc(v, ids, n, number, title, text, (size_t)len + 1)
                            : folkrnn_render_tokens(v, ids, n, text, (size_t)len + 1);
        if (len >= 0)
            printf(to == FMT_ABC ? "%s" : "%s\n", text); /* ABC ends with its line end */
    }
    free(text);
    return len < 0 ? len : FOLKRNN_OK;
}

struct totals {
    long tunes, bars, correct, faulty;
};

static void print_fault_names(int mask)
{
    if (!mask) {
        printf("none");
        return;
    }
    const char *sep = "";
    for (int bit = 1; bit > 0 && bit <= mask; bit <<= 1)
        if ((mask & bit) && folkrnn_fault_name(bit)) {
            printf("%s%s", sep, folkrnn_fault_name(bit));
            sep = ",";
        }
}

static int print_bars(const folkrnn_vocab *v, const int *ids, int n, int number,
                      struct totals *t)
{
    folkrnn_bars *b;
    int rc = folkrnn_bars_count(v, ids, n, &b);
    if (rc < 0)
        return rc;
    int nbars, ncorrect, mask = folkrnn_bars_faults(b);
    double share;
    folkrnn_bars_summary(b, &nbars, &ncorrect, &share);
    printf("tune %d: bars %d correct %d share %.3f faults ", number, nbars, ncorrect, share);
    print_fault_names(mask);
    printf("\n ");
    static const char mark[] = {'!', ' ', 'p', 'c', '?'}; /* by FOLKRNN_BAR_* */
    for (int i = 0; i < nbars; i++) {
        int kind;
        long num, den;
        folkrnn_bars_bar(b, i, NULL, NULL, &kind, &num, &den, NULL, NULL);
        if (den == 1)
            printf(" %ld", num);
        else
            printf(" %ld/%ld", num, den);
        if (kind != FOLKRNN_BAR_FULL)
            putchar(mark[kind]);
    }
    putchar('\n');
    t->tunes++;
    t->bars += nbars;
    t->correct += ncorrect;
    t->faulty += mask != 0;
    folkrnn_bars_free(b);
    return FOLKRNN_OK;
}

/* ---- one tune ------------------------------------------------------------------ */

static int convert_tune(const folkrnn_vocab *v, const struct options *o, const char *text,
                        int number, struct totals *t)
{
    int n = o->from == FMT_ABC ? folkrnn_parse_abc(v, text, 0, NULL, 0)
                               : folkrnn_parse_tokens(v, text, 0, NULL, 0);
    if (n < 0)
        return n;
    int *ids = malloc(((size_t)n + 1) * sizeof *ids);
    if (!ids)
        return FOLKRNN_E_NOMEM;
    int rc = o->from == FMT_ABC ? folkrnn_parse_abc(v, text, 0, ids, n)
                                : folkrnn_parse_tokens(v, text, 0, ids, n);
    if (rc >= 0)
        rc = o->to == FMT_BARS ? print_bars(v, ids, n, number, t)
                               : print_rendered(v, ids, n, o->to, number, o->title);
    free(ids);
    return rc;
}

static int convert_all(const folkrnn_vocab *v, const struct options *o, const char *input)
{
    struct totals t = {0, 0, 0, 0};
    const char *s = input;
    /* ABC before the first X: is a file header, unless there is no X: at all. */
    if (o->from == FMT_ABC && !(s[0] == 'X' && s[1] == ':')) {
        const char *x = strstr(s, "\nX:");
        s = x ? x + 1 : s;
    }
    for (int number = 1; *s; number++) {
        const char *end = tune_end(s, o->from);
        if (is_blank(s, end)) {
            s = end;
            number--;
            continue;
        }
        char *tune = strndup(s, (size_t)(end - s));
        if (!tune)
            return cli_fail("tokens", "reading", FOLKRNN_E_NOMEM);
        if (o->to == FMT_ABC && number > 1)
            putchar('\n'); /* ABC tunes are separated by a blank line */
        int rc = convert_tune(v, o, tune, number, &t);
        free(tune);
        if (rc < 0) {
            char what[32];
            snprintf(what, sizeof what, "tune %d", number);
            return cli_fail("tokens", what, rc);
        }
        s = end;
    }
    if (o->to == FMT_BARS)
        printf("total: tunes %ld bars %ld correct %ld share %.4f tunes-with-faults %ld\n",
               t.tunes, t.bars, t.correct, t.bars ? (double)t.correct / t.bars : 0.0, t.faulty);
    return CLI_OK;
}

/* ---- command line ----------------------------------------------------------------- */

static int parse_format(const char *s, int allow_bars)
{
    if (!strcmp(s, "abc"))
        return FMT_ABC;
    if (!strcmp(s, "tokens"))
        return FMT_TOKENS;
    if (allow_bars && !strcmp(s, "bars"))
        return FMT_BARS;
    return -1;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    int from = -1, to = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = !strcmp(a, "--model")   ? &o->model
                             : !strcmp(a, "--vocab") ? &o->vocab
                             : !strcmp(a, "--title") ? &o->title
                                                     : NULL;
        int is_to = !strcmp(a, "--to"), is_from = !strcmp(a, "--from");
        if ((value || is_to || is_from) && ++i >= argc)
            return cli_usage_error("tokens", "%s needs a value", a);
        if (value) {
            *value = argv[i];
        } else if (is_to || is_from) {
            int f = parse_format(argv[i], is_to);
            if (f < 0)
                return cli_usage_error("tokens", "%s: unknown format '%s'", a, argv[i]);
            *(is_to ? &to : &from) = f;
        } else if (!strcmp(a, "--bars")) {
            to = FMT_BARS;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("tokens", "unknown option '%s'", a);
        } else if (o->file) {
            return cli_usage_error("tokens", "more than one input file");
        } else {
            o->file = a;
        }
    }
    if (o->model && o->vocab)
        return cli_usage_error("tokens", "give --model or --vocab, not both");
    o->to = to >= 0 ? to : from == FMT_ABC ? FMT_TOKENS : FMT_ABC;
    o->from = from >= 0 ? from : o->to == FMT_TOKENS ? FMT_ABC : FMT_TOKENS;
    if (o->vocab && !strcmp(o->vocab, "words") && o->from == FMT_ABC)
        return cli_usage_error("tokens", "--vocab words needs token text input");
    return CLI_OK;
}

int cmd_tokens(int argc, char **argv)
{
    struct options o = {0};
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage_text, stdout);
            return CLI_OK;
        }
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    FILE *f = o.file ? fopen(o.file, "r") : stdin;
    if (!f) {
        fprintf(stderr, "folkrnn tokens: %s: %s\n", o.file, strerror(errno));
        return CLI_FAIL;
    }
    char *input = read_all(f);
    if (o.file)
        fclose(f);
    if (!input) {
        fprintf(stderr, "folkrnn tokens: cannot read the input: %s\n", strerror(errno));
        return CLI_FAIL;
    }
    folkrnn_vocab *v = load_vocab(&o, input);
    rc = v ? convert_all(v, &o, input) : CLI_FAIL;
    folkrnn_vocab_free(v);
    free(input);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "folkrnn tokens: cannot write the output: %s\n", strerror(errno));
        return CLI_FAIL;
    }
    return rc;
}
