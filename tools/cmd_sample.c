/* cmd_sample.c -- folkrnn sample: draw tunes from a model, as folk-rnn's
   own sampler or with folkrnn.org's and Sturm's controls. */
#include <stdlib.h>
#include <string.h>
#include "compose_cli.h"

static const char usage_text[] =
    "usage: folkrnn sample [--model PATH] [--rng numpy|default] [--seed N]\n"
    "                      [--temperature T] [--ntunes K] [--prime TOKENS]\n"
    "                      [--meter M:6/8] [--mode K:Cdor] [--template TOKENS]\n"
    "                      [--bias TOKEN=DELTA]... [--bias-class CLASS=DELTA]...\n"
    "                      [--suppress TOKENS@FROM-TO]... [--top-k K] [--top-p P]\n"
    "                      [--max-len N] [--streams N] [--format tokens|abc]\n"
    "\n"
    "Draw K tunes and print them, one line of tokens per tune (the opening\n"
    "included, <s> and </s> left out), or as complete ABC tunes.\n"
    "\n"
    "  --model PATH        the model (default: $FOLKRNN_MODEL, else the installed one)\n"
    "  --rng numpy         folk-rnn's generator: numpy.random.RandomState(seed), one\n"
    "                      stream for all tunes; with no other control the tunes are\n"
    "                      those of folk-rnn's sample-rnn-fast.py --rng_seed N\n"
    "  --rng default       xoshiro256**: tune k uses seed N+k, many tunes at once\n"
    "                      (the default)\n"
    "  --seed N            the seed (default 42; numpy: below 2^32)\n"
    "  --temperature T     softmax temperature (default 1)\n"
    "  --ntunes K          number of tunes (default 1)\n"
    "  --prime TOKENS      forced opening tokens, e.g. \"M:6/8 K:Cdor |: G\"\n"
    "  --meter M, --mode K force the first (meter) and second (mode) token; with\n"
    "                      only one given, the model picks the other among its class\n"
    "  --template TOKENS   folkrnn.org template after the prime: '*' lets the model\n"
    "                      choose (never </s>), every other token is forced\n"
    "  --bias TOKEN=DELTA  add DELTA to the token's logit (repeatable)\n"
    "  --bias-class CLASS=DELTA\n"
    "                      add DELTA to every token of CLASS: meter mode bar start\n"
    "                      end pitch duration broken tuplet chord rest other\n"
    "  --suppress TOKENS@FROM-TO\n"
    "                      forbid tokens and/or classes (comma-separated) at tune\n"
    "                      positions FROM..TO-1 (0 is the first token after <s>;\n"
    "                      FROM- : to the end), e.g. '|,:|@0-50' or 'end@0-200'\n"
    "  --top-k K           keep the K most probable tokens (0: all; default)\n"
    "  --top-p P           keep the most probable tokens up to mass P (default 1)\n"
    "  --max-len N         stop a tune at N tokens (default 1000, folk-rnn's)\n"
    "  --streams N         tunes drawn at once by the default generator (default 16)\n"
    "  --format tokens|abc output (default tokens)\n"
    "  -h, --help          show this help\n"
    "\n"
    "exit status: 0 done, 1 model or sampling failed, 2 usage\n";

struct options {
    const char *model, *prime, *meter, *mode, *tmpl;
    int rng, abc;
    unsigned long long seed;
    double temperature, top_p;
    long ntunes, top_k, max_len, streams;
    const char **bias, **bias_class, **suppress; /* [argc] NULL-terminated lists */
    int nbias, nbias_class, nsuppress;
};

/* ---- options ------------------------------------------------------------- */

static int parse_option(struct options *o, const char *opt, const char *val)
{
    if (!strcmp(opt, "--model"))
        o->model = val;
    else if (!strcmp(opt, "--rng")) {
        if (strcmp(val, "numpy") && strcmp(val, "default"))
            return cli_usage_error("sample", "--rng '%s': numpy or default", val), -1;
        o->rng = !strcmp(val, "numpy") ? FOLKRNN_RNG_NUMPY : FOLKRNN_RNG_DEFAULT;
    } else if (!strcmp(opt, "--seed")) {
        char *end;
        o->seed = strtoull(val, &end, 10);
        if (!*val || *end || val[0] == '-')
            return cli_usage_error("sample", "--seed '%s': a non-negative integer", val), -1;
    } else if (!strcmp(opt, "--temperature"))
        return compose_double("sample", opt, val, 1e-6, 1e6, &o->temperature);
    else if (!strcmp(opt, "--ntunes"))
        return compose_long("sample", opt, val, 1, 10000000, &o->ntunes);
    else if (!strcmp(opt, "--prime"))
        o->prime = val;
    else if (!strcmp(opt, "--meter"))
        o->meter = val;
    else if (!strcmp(opt, "--mode"))
        o->mode = val;
    else if (!strcmp(opt, "--template"))
        o->tmpl = val;
    else if (!strcmp(opt, "--bias"))
        o->bias[o->nbias++] = val;
    else if (!strcmp(opt, "--bias-class"))
        o->bias_class[o->nbias_class++] = val;
    else if (!strcmp(opt, "--suppress"))
        o->suppress[o->nsuppress++] = val;
    else if (!strcmp(opt, "--top-k"))
        return compose_long("sample", opt, val, 0, 1000000, &o->top_k);
    else if (!strcmp(opt, "--top-p"))
        return compose_double("sample", opt, val, 1e-9, 1.0, &o->top_p);
    else if (!strcmp(opt, "--max-len"))
        return compose_long("sample", opt, val, 1, 100000000, &o->max_len);
    else if (!strcmp(opt, "--streams"))
        return compose_long("sample", opt, val, 1, 4096, &o->streams);
    else if (!strcmp(opt, "--format")) {
        if (strcmp(val, "tokens") && strcmp(val, "abc"))
            return cli_usage_error("sample", "--format '%s': tokens or abc", val), -1;
        o->abc = !strcmp(val, "abc");
    } else
        return cli_usage_error("sample", "unknown option '%s'", opt), -1;
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
        if (strncmp(argv[i], "--", 2))
            return cli_usage_error("sample", "unexpected argument '%s'", argv[i]), -1;
        if (i + 1 >= argc)
            return cli_usage_error("sample", "%s needs a value", argv[i]), -1;
        if (parse_option(o, argv[i], argv[i + 1]) < 0)
            return -1;
    }
    return 0;
}

/* ---- settings on the sampler ------------------------------------------------ */

/* TEXT=DELTA into its two parts. */
static int split_delta(const char *arg, const char *opt, char *name, size_t cap, double *delta)
{
    const char *eq = strrchr(arg, '=');
    if (!eq || eq == arg || (size_t)(eq - arg) >= cap)
        return cli_usage_error("sample", "%s '%s': NAME=DELTA expected", opt, arg), -1;
    snprintf(name, cap, "%.*s", (int)(eq - arg), arg);
    return compose_double("sample", opt, eq + 1, -1e6, 1e6, delta);
}

static int one_token(const folkrnn_model *m, const char *opt, const char *text)
{
    int id = folkrnn_model_token_id(m, text);
    if (id < 0)
        cli_usage_error("sample", "%s: the model has no token '%s'", opt, text);
    return id;
}

static int apply_bias(folkrnn_sampler *s, const folkrnn_model *m, const struct options *o)
{
    char name[128];
    double delta;
    for (int i = 0; i < o->nbias; i++) {
        int id;
        if (split_delta(o->bias[i], "--bias", name, sizeof name, &delta) < 0 ||
            (id = one_token(m, "--bias", name)) < 0)
            return -1;
        folkrnn_sampler_bias_token(s, id, delta);
    }
    for (int i = 0; i < o->nbias_class; i++) {
        if (split_delta(o->bias_class[i], "--bias-class", name, sizeof name, &delta) < 0)
            return -1;
        int cls = folkrnn_token_class_from_name(name);
        if (cls < 0)
            return cli_usage_error("sample", "--bias-class: %s", folkrnn_errmsg()), -1;
        folkrnn_sampler_bias_class(s, cls, delta);
    }
    return 0;
}

/* One --suppress: TOKENS@FROM-TO, each of TOKENS a token or a class name. */
static int apply_suppress(folkrnn_sampler *s, const folkrnn_model *m, const char *arg)
{
    const char *at = strrchr(arg, '@');
    char *end, *end2;
    long from = at ? strtol(at + 1, &end, 10) : -1, to = -1;
    if (at && *end == '-' && end[1])
        to = strtol(end + 1, &end2, 10), end = end2;
    else if (at && *end == '-')
        end++;
    if (!at || at == arg || end == at + 1 || *end || from < 0 || (to != -1 && to <= from))
        return cli_usage_error("sample", "--suppress '%s': TOKENS@FROM-TO expected, e.g. "
                               "'|@0-50' or 'end@0-'", arg), -1;
    char list[512];
    snprintf(list, sizeof list, "%.*s", (int)(at - arg), arg);
    for (char *save, *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        int id = folkrnn_model_token_id(m, item), rc;
        if (id >= 0) {
            rc = folkrnn_sampler_suppress_token(s, id, from, to);
        } else {
            int cls = folkrnn_token_class_from_name(item);
            if (cls < 0)
                return cli_usage_error("sample", "--suppress: '%s' is neither a token of the "
                                       "model nor a class", item), -1;
            rc = folkrnn_sampler_suppress_class(s, cls, from, to);
        }
        if (rc < 0)
            return cli_fail("sample", "--suppress", rc), -1;
    }
    return 0;
}

/* The opening: meter, mode, prime, template. */
static int apply_opening(folkrnn_sampler *s, const folkrnn_model *m, const folkrnn_vocab *v,
                         const struct options *o)
{
    int rc = 0, *ids, n, id;
    if (o->meter && ((id = one_token(m, "--meter", o->meter)) < 0 ||
                     (rc = folkrnn_sampler_set_meter(s, id)) < 0))
        return rc < 0 ? cli_fail("sample", "--meter", rc), -1 : -1;
    if (o->mode && ((id = one_token(m, "--mode", o->mode)) < 0 ||
                    (rc = folkrnn_sampler_set_mode(s, id)) < 0))
        return rc < 0 ? cli_fail("sample", "--mode", rc), -1 : -1;
    if (o->prime) {
        if (compose_parse("sample", "--prime", v, o->prime, 0, &ids, &n) < 0)
            return -1;
        rc = folkrnn_sampler_set_prime(s, ids, n);
        free(ids);
        if (rc < 0)
            return cli_fail("sample", "--prime", rc), -1;
    }
    if (o->tmpl) {
        if (compose_parse("sample", "--template", v, o->tmpl, 1, &ids, &n) < 0)
            return -1;
        rc = folkrnn_sampler_set_template(s, ids, n);
        free(ids);
        if (rc < 0)
            return cli_fail("sample", "--template", rc), -1;
    }
    return 0;
}

static int configure(folkrnn_sampler *s, const folkrnn_model *m, const folkrnn_vocab *v,
                     const struct options *o)
{
    int rc;
    if ((rc = folkrnn_sampler_set_rng(s, o->rng)) < 0 ||
        (rc = folkrnn_sampler_set_seed(s, o->seed)) < 0)
        return cli_fail("sample", "--seed", rc), -1;
    folkrnn_sampler_set_temperature(s, o->temperature);
    folkrnn_sampler_set_top_k(s, (int)o->top_k);
    folkrnn_sampler_set_top_p(s, o->top_p);
    folkrnn_sampler_set_max_len(s, (int)o->max_len);
    /* the numpy generator draws tunes one after the other: one stream */
    long streams = o->streams < o->ntunes ? o->streams : o->ntunes;
    if (o->rng == FOLKRNN_RNG_NUMPY)
        streams = 1;
    if ((rc = folkrnn_sampler_set_streams(s, (int)streams)) < 0)
        return cli_fail("sample", "streams", rc), -1;
    if (apply_opening(s, m, v, o) < 0 || apply_bias(s, m, o) < 0)
        return -1;
    for (int i = 0; i < o->nsuppress; i++)
        if (apply_suppress(s, m, o->suppress[i]) < 0)
            return -1;
    return 0;
}

/* ---- output --------------------------------------------------------------- */

static int print_tunes(const folkrnn_tunes *t, const folkrnn_vocab *v, int abc)
{
    for (int k = 0; k < folkrnn_tunes_count(t); k++) {
        int n;
        const int *ids = folkrnn_tunes_tokens(t, k, &n);
        int len = abc ? folkrnn_render_abc(v, ids, n, k + 1, NULL, NULL, 0)
                      : folkrnn_render_tokens(v, ids, n, NULL, 0);
        char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
        if (!buf)
            return cli_fail("sample", "rendering", len < 0 ? len : FOLKRNN_E_NOMEM);
        if (abc)
            folkrnn_render_abc(v, ids, n, k + 1, NULL, buf, (size_t)len + 1);
        else
            folkrnn_render_tokens(v, ids, n, buf, (size_t)len + 1);
        /* ABC tunes are separated by a blank line; token text is one line each */
        printf(abc ? "%s%s" : "%s\n", buf, abc && k + 1 < folkrnn_tunes_count(t) ? "\n" : "");
        free(buf);
    }
    return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

int cmd_sample(int argc, char **argv)
{
    const char **lists = calloc((size_t)(3 * argc + 3), sizeof *lists);
    if (!lists)
        return cli_fail("sample", "options", FOLKRNN_E_NOMEM);
    struct options o = {.rng = FOLKRNN_RNG_DEFAULT, .seed = 42, .temperature = 1.0,
                        .top_p = 1.0, .ntunes = 1, .max_len = 1000, .streams = 16,
                        .bias = lists, .bias_class = lists + argc + 1,
                        .suppress = lists + 2 * argc + 2};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        free(lists);
        if (rc > 0)
            fputs(usage_text, stdout);
        return rc > 0 ? CLI_OK : CLI_USAGE;
    }
    folkrnn_model *m = cli_load_model("sample", o.model);
    folkrnn_vocab *v = NULL;
    folkrnn_sampler *s = NULL;
    folkrnn_tunes *t = NULL;
    int status = CLI_FAIL;
    if (!m)
        goto done;
    if ((rc = folkrnn_vocab_from_model(m, &v)) < 0 || (rc = folkrnn_sampler_new(m, &s)) < 0) {
        cli_fail("sample", "model", rc);
        goto done;
    }
    if (configure(s, m, v, &o) < 0) {
        status = CLI_USAGE;
        goto done;
    }
    if ((rc = folkrnn_sample(s, (int)o.ntunes, &t)) < 0) {
        cli_fail("sample", "sampling", rc);
        goto done;
    }
    status = print_tunes(t, v, o.abc);
done:
    folkrnn_tunes_free(t);
    folkrnn_sampler_free(s);
    folkrnn_vocab_free(v);
    folkrnn_model_free(m);
    free(lists);
    return status;
}
