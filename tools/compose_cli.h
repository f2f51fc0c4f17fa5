/* compose_cli.h -- what folkrnn sample, score and beam share: numbers from
   options, token text to ids, and tunes read from a file. */
#ifndef FOLKRNN_COMPOSE_CLI_H
#define FOLKRNN_COMPOSE_CLI_H

#include "cli.h"

/* Strict number parsing of an option's value: 0 on success, -1 (after
   printing a usage error naming opt) when text is not a number in range. */
int compose_double(const char *cmd, const char *opt, const char *text, double lo, double hi,
                   double *out);
int compose_long(const char *cmd, const char *opt, const char *text, long lo, long hi,
                 long *out);

/* Token text to a malloc'd array of ids (*n of them; *ids NULL when n is 0),
   "*" as FOLKRNN_WILDCARD when wildcard is set.  Prints the error (naming
   what) and returns -1 on failure. */
int compose_parse(const char *cmd, const char *what, const folkrnn_vocab *v, const char *text,
                  int wildcard, int **ids, int *n);

/* Tunes of token text read from path ("-" or NULL: standard input): a tune
   ends at a blank line or after a line holding a token other than meter and
   mode tokens (so both the data_v2 layout and one tune per line read).
   On success *tokens holds every tune's ids back to back, lengths[*ntunes];
   both malloc'd.  Prints the error and returns -1 on failure. */
int compose_read_tunes(const char *cmd, const char *path, const folkrnn_vocab *v, int **tokens,
                       int **lengths, int *ntunes);

#endif
