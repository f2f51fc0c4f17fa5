/* folkrnn -- the command-line face of libfolkrnn: one subcommand per task. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"info", cmd_info, "describe a model: architecture, vocabulary, parameters, metadata"},
    {"convert", cmd_convert, "convert a model (e.g. folk-rnn pickle) to safetensors, optionally .gz"},
    {"tokens", cmd_tokens, "convert tunes between token text and ABC, count bars"},
    {"train", cmd_train, "train a model on a corpus of tunes (folk-rnn config5 recipe)"},
    {"sample", cmd_sample, "draw tunes: folk-rnn's own sampler, templates, bias, suppression"},
    {"score", cmd_score, "log-likelihood and perplexity of tunes under a model"},
    {"beam", cmd_beam, "most probable continuations and the probability mass left unvisited"},
    {"analyze", cmd_analyze, "take the model apart: softmax, gates, activations, spectra, snips"},
};
#define NSUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void usage(FILE *to)
{
    fprintf(to, "usage: folkrnn COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t i = 0; i < NSUBCOMMANDS; i++)
        fprintf(to, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(to, "\n'folkrnn COMMAND --help' describes a command.  "
                "The model is --model PATH, else $FOLKRNN_MODEL, else the installed default.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("folkrnn %s\n", folkrnn_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < NSUBCOMMANDS; i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "folkrnn: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
