/* cli.h -- what the subcommands of the folkrnn command share. */
#ifndef FOLKRNN_CLI_H
#define FOLKRNN_CLI_H

#include <stdio.h>
#include <folkrnn.h>

/* Exit codes: 0 success, 1 failure of the work, 2 bad usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Print "folkrnn CMD: WHAT: library message" to stderr for a failed status;
   returns CLI_FAIL. */
int cli_fail(const char *cmd, const char *what, int status);
/* Print "folkrnn CMD: message" to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The model path to use: explicit (from --model) if not NULL, else
   $FOLKRNN_MODEL, else the installed default model.  Never NULL. */
const char *cli_model_path(const char *explicit_path);
/* Load the model at cli_model_path(explicit_path); on failure print the
   error (saying so plainly when no model was given and none is installed)
   and return NULL. */
folkrnn_model *cli_load_model(const char *cmd, const char *explicit_path);

/* Subcommands: each takes argv after the subcommand name (argv[0] is the
   subcommand itself) and returns an exit code. */
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_tokens(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_beam(int argc, char **argv);
int cmd_analyze(int argc, char **argv);

#endif
