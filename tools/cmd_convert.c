/* cmd_convert.c -- folkrnn convert: any model the library loads (folk-rnn
   pickle, safetensors, either gzip-compressed) to libfolkrnn safetensors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
    "usage: folkrnn convert [--meta KEY=VALUE]... IN OUT\n"
    "\n"
    "Convert the model IN (a folk-rnn pickle such as folkrnn_v2.pkl, or a\n"
    "safetensors file; either may be gzip-compressed) to libfolkrnn's\n"
    "safetensors format (doc/format.md).  OUT ending in .gz is written\n"
    "gzip-compressed.  OUT is replaced atomically: on failure an existing OUT\n"
    "is left as it was.  Weights, vocabulary and metadata are kept exactly.\n"
    "\n"
    "options:\n"
    "  --meta KEY=VALUE  add or replace a metadata entry (repeatable),\n"
    "                    e.g. --meta source=folkrnn_v2.pkl\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit status: 0 converted, 1 IN could not be loaded or OUT written, 2 usage\n";

/* Apply one "KEY=VALUE" to m; CLI_USAGE when malformed. */
static int apply_meta(folkrnn_model *m, char *pair)
{
    char *eq = strchr(pair, '=');
    if (!eq || eq == pair)
        return cli_usage_error("convert", "--meta wants KEY=VALUE, not '%s'", pair);
    *eq = 0;
    int rc = folkrnn_model_set_meta(m, pair, eq + 1);
    *eq = '=';
    return rc < 0 ? cli_fail("convert", "--meta", rc) : CLI_OK;
}

/* Options parsed: the two paths and the --meta arguments (borrowed from argv). */
struct convert_args {
    const char *paths[2];
    int npaths;
    char **metas; /* [argc] */
    int nmetas;
};

static int parse_args(int argc, char **argv, struct convert_args *a)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (!strcmp(argv[i], "--meta")) {
            if (++i >= argc)
                return cli_usage_error("convert", "--meta needs KEY=VALUE");
            a->metas[a->nmetas++] = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("convert", "unknown option '%s'", argv[i]);
        } else if (a->npaths == 2) {
            return cli_usage_error("convert", "too many arguments ('%s')", argv[i]);
        } else {
            a->paths[a->npaths++] = argv[i];
        }
    }
    return a->npaths == 2 ? CLI_OK : cli_usage_error("convert", "needs IN and OUT");
}

static int convert(const struct convert_args *a)
{
    folkrnn_model *m = NULL;
    int rc = folkrnn_model_load(a->paths[0], &m);
    if (rc < 0)
        return cli_fail("convert", "cannot load IN", rc); /* the message names the file */
    int status = CLI_OK;
    for (int i = 0; i < a->nmetas && status == CLI_OK; i++)
        status = apply_meta(m, a->metas[i]);
    if (status == CLI_OK && (rc = folkrnn_model_save(m, a->paths[1])) < 0)
        status = cli_fail("convert", "cannot write OUT", rc);
    folkrnn_model_free(m);
    return status;
}

int cmd_convert(int argc, char **argv)
{
    struct convert_args a = {.metas = calloc((size_t)argc, sizeof(char *))};
    if (!a.metas) {
        fprintf(stderr, "folkrnn convert: out of memory\n");
        return CLI_FAIL;
    }
    int status = parse_args(argc, argv, &a);
    if (status == CLI_OK)
        status = convert(&a);
    free(a.metas);
    return status < 0 ? CLI_OK : status;
}
