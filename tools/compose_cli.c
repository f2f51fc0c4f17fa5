/* compose_cli.c -- helpers of folkrnn sample, score and beam. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compose_cli.h"

int compose_double(const char *cmd, const char *opt, const char *text, double lo, double hi,
                   double *out)
{
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : 0.0;
    if (!text || end == text || *end || errno || !(v >= lo && v <= hi)) {
        cli_usage_error(cmd, "%s '%s': a number in [%g, %g] is expected", opt,
                        text ? text : "", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int compose_long(const char *cmd, const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || end == text || *end || errno || v < lo || v > hi) {
        cli_usage_error(cmd, "%s '%s': an integer in [%ld, %ld] is expected", opt,
                        text ? text : "", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int compose_parse(const char *cmd, const char *what, const folkrnn_vocab *v, const char *text,
                  int wildcard, int **ids, int *n)
{
    int flags = wildcard ? FOLKRNN_PARSE_WILDCARD : 0;
    int count = folkrnn_parse_tokens(v, text, flags, NULL, 0);
    *ids = NULL;
    *n = 0;
    if (count < 0)
        return cli_fail(cmd, what, count), -1;
    if (count == 0)
        return 0;
    *ids = malloc((size_t)count * sizeof **ids);
    if (!*ids)
        return cli_fail(cmd, what, FOLKRNN_E_NOMEM), -1;
    *n = folkrnn_parse_tokens(v, text, flags, *ids, count);
    return 0;
}

/* All of f, NUL-terminated, malloc'd; NULL when it cannot be read. */
static char *slurp(FILE *f)
{
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    while (buf && !ferror(f) && !feof(f)) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* 1 when ids[n] hold a token other than meter and mode tokens. */
static int has_body(const folkrnn_vocab *v, const int *ids, int n)
{
    for (int i = 0; i < n; i++) {
        int cls = folkrnn_token_class(folkrnn_vocab_token(v, ids[i]));
        if (cls != FOLKRNN_TOKEN_METER && cls != FOLKRNN_TOKEN_MODE)
            return 1;
    }
    return 0;
}

/* Append ids[n] to the growing array *all (length *len, capacity *cap). */
static int append(int **all, size_t *len, size_t *cap, const int *ids, int n)
{
    if (*len + (size_t)n > *cap) {
        size_t want = (*len + (size_t)n) * 2 + 1024;
        int *grown = realloc(*all, want * sizeof *grown);
        if (!grown)
            return -1;
        *all = grown;
        *cap = want;
    }
    if (n > 0) /* robustness (issue 8): ids may be NULL when n is 0, and
                  memcpy(NULL) is undefined (UBSan in test_cli_sample.sh) */
        memcpy(*all + *len, ids, (size_t)n * sizeof *ids);
    *len += (size_t)n;
    return 0;
}

/* Close the tune being read (if it has tokens): record its length. */
static int close_tune(int **lengths, int *ntunes, int *cap, size_t *len, size_t *tune_start)
{
    if (*len == *tune_start)
        return 0;
    if (*ntunes == *cap) {
        int *grown = realloc(*lengths, (size_t)(*cap = *cap * 2 + 16) * sizeof *grown);
        if (!grown)
            return -1;
        *lengths = grown;
    }
    (*lengths)[(*ntunes)++] = (int)(*len - *tune_start);
    *tune_start = *len;
    return 0;
}

static int out_of_memory(const char *cmd)
{
    cli_fail(cmd, "tunes", FOLKRNN_E_NOMEM);
    return -1;
}

int compose_read_tunes(const char *cmd, const char *path, const folkrnn_vocab *v, int **tokens,
                       int **lengths, int *ntunes)
{
    int stdin_ = !path || !strcmp(path, "-");
    FILE *f = stdin_ ? stdin : fopen(path, "r");
    char *text = f ? slurp(f) : NULL;
    if (f && !stdin_)
        fclose(f);
    if (!text) {
        fprintf(stderr, "folkrnn %s: %s: %s\n", cmd, stdin_ ? "standard input" : path,
                strerror(errno ? errno : EIO));
        return -1;
    }
    *tokens = NULL;
    *lengths = NULL;
    *ntunes = 0;
    size_t len = 0, cap = 0, tune_start = 0;
    int lcap = 0, rc = 0, lineno = 0;
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        int *ids = NULL, n = 0;
        char what[64];
        snprintf(what, sizeof what, "line %d", lineno);
        rc = compose_parse(cmd, what, v, line, 0, &ids, &n);
        if (rc == 0 && (append(tokens, &len, &cap, ids, n) < 0 ||
                        ((n == 0 || has_body(v, ids, n)) &&
                         close_tune(lengths, ntunes, &lcap, &len, &tune_start) < 0)))
            rc = out_of_memory(cmd);
        free(ids);
    }
    if (rc == 0 && close_tune(lengths, ntunes, &lcap, &len, &tune_start) < 0)
        rc = out_of_memory(cmd);
    free(text);
    if (rc < 0) {
        free(*tokens);
        free(*lengths);
        *tokens = NULL;
        *lengths = NULL;
        *ntunes = 0;
    }
    return rc;
}
