/* cli_util.c -- helpers shared by the folkrnn subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli.h"

#ifndef FOLKRNN_MODELDIR
#define FOLKRNN_MODELDIR "."
#endif
#ifndef FOLKRNN_SRCMODELDIR
#define FOLKRNN_SRCMODELDIR "models"
#endif
#define DEFAULT_MODEL_NAME "default.safetensors.gz"

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
    const char *env = getenv("FOLKRNN_MODEL");
    if (env && *env)
        return env;
    /* Installed default first; an uninstalled build falls back to the
       source tree's copy so the command works straight after make. */
    static const char installed[] = FOLKRNN_MODELDIR "/" DEFAULT_MODEL_NAME;
    if (access(installed, R_OK) == 0)
        return installed;
    return FOLKRNN_SRCMODELDIR "/" DEFAULT_MODEL_NAME;
}

folkrnn_model *cli_load_model(const char *cmd, const char *explicit_path)
{
    const char *path = cli_model_path(explicit_path);
    folkrnn_model *m = NULL;
    int rc = folkrnn_model_load(path, &m);
    if (rc < 0) {
        cli_fail(cmd, "cannot load the model", rc); /* the message names the file */
        return NULL;
    }
    return m;
}
