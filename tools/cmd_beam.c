/* cmd_beam.c -- folkrnn beam: the most probable continuations of a tune's
   opening, and the probability mass the search did not visit (Sturm). */
#include <stdlib.h>
#include <string.h>
#include "compose_cli.h"

static const char usage_text[] =
    "usage: folkrnn beam [--model PATH] [--prime TOKENS] [--depth N]\n"
    "                    [--width N | --width-fraction F] [--floor P]\n"
    "                    [--temperature T] [--top N] [--along]\n"
    "\n"
    "Search the next N tokens after <s> and the prime: every node keeps its most\n"
    "probable children (a count, or a fraction of the vocabulary rounded up) and\n"
    "drops those whose joint probability falls under the floor.  Prints the top\n"
    "continuations (joint probability, then tokens), then the mass visited, the\n"
    "mass outside the beam, the mass under the floor and their sum unvisited.\n"
    "\n"
    "  --model PATH        the model (default: $FOLKRNN_MODEL, else the installed one)\n"
    "  --prime TOKENS      the context, e.g. \"M:6/8 K:Cdor |: G\" (default: none)\n"
    "  --depth N           tokens per continuation (default 2)\n"
    "  --width N           children kept per node\n"
    "  --width-fraction F  ... as a fraction of the vocabulary (default 0.1)\n"
    "  --floor P           joint probability floor (default 1e-6; 0: none)\n"
    "  --temperature T     softmax temperature (default 1)\n"
    "  --top N             continuations printed (default 20; 0: all)\n"
    "  --along             instead, search after every prefix of the prime (<s>,\n"
    "                      <s> + first token, ...) and print one line per step:\n"
    "                      step, next token of the prime, visited, outside_beam,\n"
    "                      below_floor, unvisited (Sturm's missing-mass plots)\n"
    "  -h, --help          show this help\n"
    "\n"
    "exit status: 0 done, 1 model or search failed, 2 usage\n";

struct options {
    const char *model, *prime;
    folkrnn_beam_opts beam;
    long top;
    int along;
};

static int parse_option(struct options *o, const char *opt, const char *val)
{
    long n;
    int rc = 0;
    if (!strcmp(opt, "--model"))
        o->model = val;
    else if (!strcmp(opt, "--prime"))
        o->prime = val;
    else if (!strcmp(opt, "--depth") || !strcmp(opt, "--width")) {
        int depth = !strcmp(opt, "--depth");
        rc = compose_long("beam", opt, val, 1, depth ? 64 : 1 << 20, &n);
        *(depth ? &o->beam.depth : &o->beam.width) = (int)n;
    }
    else if (!strcmp(opt, "--width-fraction"))
        rc = compose_double("beam", opt, val, 1e-9, 1.0, &o->beam.width_fraction);
    else if (!strcmp(opt, "--floor"))
        rc = compose_double("beam", opt, val, 0.0, 1.0, &o->beam.floor);
    else if (!strcmp(opt, "--temperature"))
        rc = compose_double("beam", opt, val, 1e-6, 1e6, &o->beam.temperature);
    else if (!strcmp(opt, "--top"))
        rc = compose_long("beam", opt, val, 0, 100000000, &o->top);
    else
        return cli_usage_error("beam", "unknown option '%s'", opt), -1;
    return rc;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
        if (!strcmp(argv[i], "--along")) {
            o->along = 1;
            continue;
        }
        if (strncmp(argv[i], "--", 2))
            return cli_usage_error("beam", "unexpected argument '%s'", argv[i]), -1;
        if (i + 1 >= argc)
            return cli_usage_error("beam", "%s needs a value", argv[i]), -1;
        if (parse_option(o, argv[i], argv[i + 1]) < 0)
            return -1;
        i++;
    }
    return 0;
}

static void print_beam(const folkrnn_beam *b, const folkrnn_vocab *v, long top)
{
    int n = folkrnn_beam_count(b);
    for (int i = 0; i < n && (top == 0 || i < top); i++) {
        int len;
        double p;
        const int *ids = folkrnn_beam_leaf(b, i, &len, &p);
        printf("%.6e\t", p);
        for (int k = 0; k < len; k++)
            printf("%s%s", k ? " " : "", folkrnn_vocab_token(v, ids[k]));
        printf("\n");
    }
    double visited, outside, below;
    folkrnn_beam_mass(b, &visited, &outside, &below);
    printf("# continuations %d\n# visited %.9g\n# outside_beam %.9g\n# below_floor %.9g\n"
           "# unvisited %.9g\n", n, visited, outside, below, outside + below);
}

/* One search after each prefix ctx[0..i) of the prime, i = 0..n. */
static int print_along(const folkrnn_model *m, const folkrnn_vocab *v, const int *ctx, int n,
                       const folkrnn_beam_opts *opts)
{
    printf("# step\tnext\tvisited\toutside_beam\tbelow_floor\tunvisited\n");
    for (int i = 0; i <= n; i++) {
        folkrnn_beam *b;
        double visited, outside, below;
        int rc = folkrnn_beam_search(m, ctx, i, opts, &b);
        if (rc < 0)
            return cli_fail("beam", "search", rc);
        folkrnn_beam_mass(b, &visited, &outside, &below);
        printf("%d\t%s\t%.9g\t%.9g\t%.9g\t%.9g\n", i, i < n ? folkrnn_vocab_token(v, ctx[i]) : "-",
               visited, outside, below, outside + below);
        folkrnn_beam_free(b);
    }
    return CLI_OK;
}

int cmd_beam(int argc, char **argv)
{
    struct options o = {.top = 20};
    folkrnn_beam_opts_init(&o.beam);
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        if (rc > 0)
            fputs(usage_text, stdout);
        return rc > 0 ? CLI_OK : CLI_USAGE;
    }
    folkrnn_model *m = cli_load_model("beam", o.model);
    folkrnn_vocab *v = NULL;
    folkrnn_beam *b = NULL;
    int *ctx = NULL, nctx = 0, status = CLI_FAIL;
    if (!m)
        goto done;
    if ((rc = folkrnn_vocab_from_model(m, &v)) < 0) {
        cli_fail("beam", "model", rc);
        goto done;
    }
    if (o.prime && compose_parse("beam", "--prime", v, o.prime, 0, &ctx, &nctx) < 0)
        goto done;
    if (o.along) {
        status = print_along(m, v, ctx, nctx, &o.beam);
        if (status == CLI_OK && fflush(stdout) != 0)
            status = CLI_FAIL;
        goto done;
    }
    if ((rc = folkrnn_beam_search(m, ctx, nctx, &o.beam, &b)) < 0) {
        cli_fail("beam", "search", rc);
        goto done;
    }
    print_beam(b, v, o.top);
    status = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
done:
    folkrnn_beam_free(b);
    folkrnn_vocab_free(v);
    folkrnn_model_free(m);
    free(ctx);
    return status;
}
