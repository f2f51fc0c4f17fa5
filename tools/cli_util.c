/* cli_util.c -- helpers shared by the folkrnn subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli.h"

#ifndef FOLKRNN_SRCMODELDIR
#define FOLKRNN_SRCMODELDIR "models"
#endif

int cli_fail(const char *cmd, const char *what, int status)
{
    const char *detail = folkrnn_errmsg();
    fprintf(stderr, "folkrnn %s: %s: %s\n", cmd, what, *detail ? detail : folkrnn_strerror(status));
    return CLI_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "folkrnn %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'folkrnn %s --help')\n", cmd);
    return CLI_USAGE;
}

const char *cli_model_path(const char *explicit_path)
{
    if (explicit_path)
        return explicit_path;
    /* The library's default first; an uninstalled build falls back to the
       source tree's copy so the command works straight after make. */
    const char *path = folkrnn_default_model_path();
    if (access(path, R_OK) == 0 || getenv("FOLKRNN_MODEL"))
        return path;
    return FOLKRNN_SRCMODELDIR "/default.safetensors.gz";
}

folkrnn_model *cli_load_model(const char *cmd, const char *explicit_path)
{
    const char *path = cli_model_path(explicit_path);
    const char *env = getenv("FOLKRNN_MODEL");
    if (!explicit_path && !(env && *env) && access(path, R_OK) != 0) {
        fprintf(stderr, "folkrnn %s: no model: no --model given, FOLKRNN_MODEL is not set, and "
                        "no default model is installed (looked for %s)\n", cmd, path);
        return NULL;
    }
    folkrnn_model *m = NULL;
    int rc = folkrnn_model_load(path, &m);
    if (rc < 0) {
        cli_fail(cmd, "cannot load the model", rc); /* the message names the file */
        return NULL;
    }
    return m;
}
