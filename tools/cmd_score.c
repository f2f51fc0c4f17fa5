/* cmd_score.c -- folkrnn score: how probable a model finds given tunes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compose_cli.h"

static const char usage_text[] =
    "usage: folkrnn score [--model PATH] [--per-token] [--no-end] [--streams N] [FILE]\n"
    "\n"
    "Read tunes of token text from FILE (default: standard input; the data_v2\n"
    "layout or one tune per line as 'folkrnn sample' prints) and print, per tune,\n"
    "its number (from 1), the tokens scored, the log-likelihood (natural log,\n"
    "teacher forcing from <s>) and the perplexity per token, tab-separated; then\n"
    "a 'total' line over all tunes.\n"
    "\n"
    "  --model PATH   the model (default: $FOLKRNN_MODEL, else the installed one)\n"
    "  --per-token    after each tune, one line per token: its text and log p\n"
    "  --no-end       do not score the closing </s>\n"
    "  --streams N    tunes scored at once (default 32)\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 done, 1 model or input failed, 2 usage\n";

struct options {
    const char *model, *file;
    int per_token, flags;
    long streams;
};

static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return 1;
        if (!strcmp(a, "--per-token"))
            o->per_token = 1;
        else if (!strcmp(a, "--no-end"))
            o->flags |= FOLKRNN_SCORE_NO_END;
        else if ((!strcmp(a, "--model") || !strcmp(a, "--streams")) && i + 1 >= argc)
            return cli_usage_error("score", "%s needs a value", a), -1;
        else if (!strcmp(a, "--model"))
            o->model = argv[++i];
        else if (!strcmp(a, "--streams")) {
            if (compose_long("score", a, argv[++i], 1, 4096, &o->streams) < 0)
                return -1;
        } else if (a[0] == '-' && a[1])
            return cli_usage_error("score", "unknown option '%s'", a), -1;
        else if (o->file)
            return cli_usage_error("score", "one FILE only ('%s' and '%s')", o->file, a), -1;
        else
            o->file = a;
    }
    return 0;
}

static void print_scores(const struct options *o, const folkrnn_vocab *v, const int *tokens,
                         const int *lengths, int ntunes, const double *loglik,
                         const double *each)
{
    const char *end = "</s>";
    int with_end = !(o->flags & FOLKRNN_SCORE_NO_END);
    long total_tokens = 0, at = 0, off = 0;
    double total = 0.0;
    printf("# tune\ttokens\tloglik\tperplexity\n");
    for (int k = 0; k < ntunes; k++) {
        int scored = lengths[k] + with_end;
        printf("%d\t%d\t%.6f\t%.6g\n", k + 1, scored, loglik[k],
               scored ? exp(-loglik[k] / scored) : NAN);
        for (int i = 0; o->per_token && i < scored; i++)
            printf("  %s\t%.6f\n", i < lengths[k] ? folkrnn_vocab_token(v, tokens[at + i]) : end,
                   each[off + i]);
        total_tokens += scored;
        total += loglik[k];
        at += lengths[k];
        off += scored;
    }
    printf("total\t%ld\t%.6f\t%.6g\n", total_tokens, total,
           total_tokens ? exp(-total / (double)total_tokens) : NAN);
}

int cmd_score(int argc, char **argv)
{
    struct options o = {.streams = 32};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        if (rc > 0)
            fputs(usage_text, stdout);
        return rc > 0 ? CLI_OK : CLI_USAGE;
    }
    folkrnn_model *m = cli_load_model("score", o.model);
    folkrnn_vocab *v = NULL;
    folkrnn_state *s = NULL;
    int *tokens = NULL, *lengths = NULL, ntunes = 0, status = CLI_FAIL;
    double *loglik = NULL, *each = NULL;
    if (!m)
        goto done;
    if ((rc = folkrnn_vocab_from_model(m, &v)) < 0) {
        cli_fail("score", "model", rc);
        goto done;
    }
    if (compose_read_tunes("score", o.file, v, &tokens, &lengths, &ntunes) < 0)
        goto done;
    if (ntunes == 0) {
        fprintf(stderr, "folkrnn score: no tunes in the input\n");
        goto done;
    }
    long nscored = 0;
    for (int k = 0; k < ntunes; k++)
        nscored += lengths[k] + 1;
    loglik = malloc((size_t)ntunes * sizeof *loglik);
    each = o.per_token ? malloc((size_t)nscored * sizeof *each) : NULL;
    if (!loglik || (o.per_token && !each)) {
        cli_fail("score", "scores", FOLKRNN_E_NOMEM);
        goto done;
    }
    int streams = o.streams < ntunes ? (int)o.streams : ntunes;
    if ((rc = folkrnn_state_new(m, streams, &s)) < 0 ||
        (rc = folkrnn_score(s, tokens, lengths, ntunes, o.flags, loglik, each)) < 0) {
        cli_fail("score", "scoring", rc);
        goto done;
    }
    print_scores(&o, v, tokens, lengths, ntunes, loglik, each);
    status = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
done:
    folkrnn_state_free(s);
    folkrnn_vocab_free(v);
    folkrnn_model_free(m);
    free(tokens);
    free(lengths);
    free(loglik);
    free(each);
    return status;
}
