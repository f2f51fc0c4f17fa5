/* cmd_train.c -- folkrnn train: train a model on a corpus of tunes. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
    "usage: folkrnn train --data FILE --out MODEL.safetensors[.gz] [options]\n"
    "\n"
    "Train a folk-rnn model with folk-rnn's config5 recipe unless told otherwise.\n"
    "\n"
    "  --data FILE            tunes separated by blank lines, tokens by spaces (data_v2 format)\n"
    "  --vocab FILE           token order, one per line (folkrnn_v2_vocab.txt); data tokens\n"
    "                         outside it are appended\n"
    "  --out PATH             the trained model; also rewritten after every epoch\n"
    "  --model PATH           fine-tune this model instead of starting from scratch\n"
    "  --cell lstm|gru        [lstm]        --layers N     [3]     --units N   [512]\n"
    "  --dropout P            [0.5]         --epochs N     [100]   --batch N   [64]\n"
    "  --lr X                 [0.003]       --lr-decay X   [0.97]  --lr-decay-after E [20]\n"
    "  --clip X               gradient clipping, 0 = none [5]\n"
    "  --seed N               initialisation, batch order and dropout [1]\n"
    "  --threads N            BLAS threads [as the BLAS decides]\n"
    "  --valid-fraction X     [0.05]        --split-seed N [42]\n"
    "  --max-tune-tokens N    leave out longer tunes [no limit]\n"
    "  --max-positions N      memory bound of one pass [16384]\n"
    "  --checkpoint PATH      write checkpoints there (atomically)\n"
    "  --checkpoint-every N   every N batches      --checkpoint-minutes M [10]\n"
    "  --resume PATH          continue from a checkpoint (options given override its own)\n"
    "  --quiet                no progress line\n"
    "\n"
    "Ctrl-C stops after the current batch and writes the checkpoint (if --checkpoint).\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct progress_state {
    int quiet;
    const char *out;       /* model path rewritten after each epoch */
    folkrnn_trainer *trainer;
    int save_failed;
    char save_error[512];  /* the library's message when saving failed */
};

static void format_duration(double s, char *buf, size_t size)
{
    if (!isfinite(s))
        snprintf(buf, size, "?");
    else if (s >= 3600)
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
}

static int on_progress(const folkrnn_train_progress *p, void *user)
{
    struct progress_state *st = user;
    char eta[32];
    format_duration(p->eta_seconds, eta, sizeof eta);
    if (p->event == FOLKRNN_TRAIN_EVENT_BATCH && !st->quiet) {
        fprintf(stderr, "\repoch %d/%d  batch %ld/%ld  loss %.2f (%.4f/token, epoch %.4f)  "
                "%.0f tokens/s  ETA %s   ", p->epoch + 1, p->epochs, p->batch, p->batches,
                p->batch_loss, p->batch_token_loss, p->train_token_loss, p->tokens_per_second, eta);
        fflush(stderr);
    } else if (p->event == FOLKRNN_TRAIN_EVENT_EPOCH) {
        char took[32];
        format_duration(p->elapsed_seconds, took, sizeof took);
        fprintf(stderr, "%sepoch %d/%d: train %.4f  valid %.4f nats/token  (valid %.2f per tune)"
                "  lr %.6g  elapsed %s\n", st->quiet ? "" : "\n", p->epoch, p->epochs,
                p->batch_token_loss, p->valid_token_loss, p->valid_loss, p->learning_rate, took);
        if (folkrnn_model_save(folkrnn_trainer_model(st->trainer), st->out) < 0) {
            snprintf(st->save_error, sizeof st->save_error, "%s", folkrnn_errmsg());
            st->save_failed = 1;
            return 1;
        }
    }
    return interrupted;
}

/* Apply one numeric option; returns 0 or a CLI exit code. */
static int set_option(folkrnn_trainer *t, int option, const char *name, const char *text,
                      double scale)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end)
        return cli_usage_error("train", "%s: '%s' is not a number", name, text);
    int rc = folkrnn_trainer_set(t, option, v * scale);
    return rc < 0 ? cli_fail("train", name, rc) : 0;
}

static const struct {
    const char *flag;
    int option;
    double scale;
} numeric_flags[] = {
    {"--layers", FOLKRNN_TRAIN_LAYERS, 1},
    {"--units", FOLKRNN_TRAIN_UNITS, 1},
    {"--dropout", FOLKRNN_TRAIN_DROPOUT, 1},
    {"--epochs", FOLKRNN_TRAIN_EPOCHS, 1},
    {"--batch", FOLKRNN_TRAIN_BATCH_SIZE, 1},
    {"--lr", FOLKRNN_TRAIN_LEARNING_RATE, 1},
    {"--lr-decay", FOLKRNN_TRAIN_LR_DECAY, 1},
    {"--lr-decay-after", FOLKRNN_TRAIN_LR_DECAY_AFTER, 1},
    {"--clip", FOLKRNN_TRAIN_GRAD_CLIP, 1},
    {"--seed", FOLKRNN_TRAIN_SEED, 1},
    {"--threads", FOLKRNN_TRAIN_THREADS, 1},
    {"--valid-fraction", FOLKRNN_TRAIN_VALID_FRACTION, 1},
    {"--split-seed", FOLKRNN_TRAIN_SPLIT_SEED, 1},
    {"--max-tune-tokens", FOLKRNN_TRAIN_MAX_TUNE_TOKENS, 1},
    {"--max-positions", FOLKRNN_TRAIN_MAX_POSITIONS, 1},
    {"--checkpoint-every", FOLKRNN_TRAIN_CHECKPOINT_BATCHES, 1},
    {"--checkpoint-minutes", FOLKRNN_TRAIN_CHECKPOINT_SECONDS, 60},
};
#define NNUMERIC (sizeof numeric_flags / sizeof numeric_flags[0])

struct args {
    const char *data, *vocab, *out, *model, *checkpoint, *resume, *cell;
    int quiet;
    int numeric_at[NNUMERIC]; /* argv index of each numeric flag's value, 0 if absent */
};

static int parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (!strcmp(f, "--quiet")) {
            a->quiet = 1;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error("train", "%s needs a value", f);
        const char *v = argv[++i];
        const char **dst = !strcmp(f, "--data")         ? &a->data
                           : !strcmp(f, "--vocab")      ? &a->vocab
                           : !strcmp(f, "--out")        ? &a->out
                           : !strcmp(f, "--model")      ? &a->model
                           : !strcmp(f, "--checkpoint") ? &a->checkpoint
                           : !strcmp(f, "--resume")     ? &a->resume
                           : !strcmp(f, "--cell")       ? &a->cell
                                                        : NULL;
        if (dst) {
            *dst = v;
            continue;
        }
        size_t k = 0;
        while (k < NNUMERIC && strcmp(f, numeric_flags[k].flag))
            k++;
        if (k == NNUMERIC)
            return cli_usage_error("train", "unknown option '%s'", f);
        a->numeric_at[k] = i;
    }
    if (!a->data || !a->out)
        return cli_usage_error("train", "--data and --out are required");
    if (a->cell && strcmp(a->cell, "lstm") && strcmp(a->cell, "gru"))
        return cli_usage_error("train", "--cell must be lstm or gru, not '%s'", a->cell);
    if (a->resume && (a->model || a->cell || a->vocab))
        return cli_usage_error("train", "--resume takes model, cell and vocabulary from the "
                                        "checkpoint: drop --model, --cell and --vocab");
    if (a->model && a->vocab)
        return cli_usage_error("train", "--model brings its own vocabulary: drop --vocab");
    return 0;
}

/* Configure t from the arguments: checkpoint or model first, then options,
   then data (whose split depends on the options). */
static int configure(folkrnn_trainer *t, char **argv, const struct args *a)
{
    int rc = 0;
    if (a->resume && (rc = folkrnn_trainer_resume(t, a->resume)) < 0)
        return cli_fail("train", a->resume, rc);
    if (a->model) {
        folkrnn_model *m = cli_load_model("train", a->model);
        if (!m)
            return CLI_FAIL;
        rc = folkrnn_trainer_set_model(t, m);
        folkrnn_model_free(m);
        if (rc < 0)
            return cli_fail("train", a->model, rc);
    }
    if (a->cell && (rc = folkrnn_trainer_set(t, FOLKRNN_TRAIN_CELL, !strcmp(a->cell, "gru")
                                                                        ? FOLKRNN_CELL_GRU
                                                                        : FOLKRNN_CELL_LSTM)) < 0)
        return cli_fail("train", "--cell", rc);
    for (size_t k = 0; k < NNUMERIC; k++)
        if (a->numeric_at[k] &&
            (rc = set_option(t, numeric_flags[k].option, numeric_flags[k].flag,
                             argv[a->numeric_at[k]], numeric_flags[k].scale)) != 0)
            return rc;
    if (a->checkpoint && (rc = folkrnn_trainer_set_checkpoint(t, a->checkpoint)) < 0)
        return cli_fail("train", "--checkpoint", rc);
    if ((rc = folkrnn_trainer_set_data_file(t, a->data, a->vocab)) < 0)
        return cli_fail("train", a->data, rc);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    struct args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    folkrnn_trainer *t;
    if ((rc = folkrnn_trainer_new(&t)) < 0)
        return cli_fail("train", "trainer", rc);
    int code = configure(t, argv, &a);
    struct progress_state st = {a.quiet, a.out, t, 0, ""};
    if (!code) {
        folkrnn_trainer_set_progress(t, on_progress, &st);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        rc = folkrnn_trainer_run(t);
        if (!a.quiet)
            fputc('\n', stderr);
        if (rc == FOLKRNN_E_HOOK && interrupted && !st.save_failed) {
            fprintf(stderr, "folkrnn train: interrupted\n");
            code = CLI_FAIL;
            if (a.checkpoint && (rc = folkrnn_trainer_save_checkpoint(t, a.checkpoint)) < 0)
                code = cli_fail("train", a.checkpoint, rc);
            else if (a.checkpoint)
                fprintf(stderr, "folkrnn train: checkpoint written to %s; continue with "
                                "--resume %s\n", a.checkpoint, a.checkpoint);
        } else if (st.save_failed) {
            fprintf(stderr, "folkrnn train: %s: %s\n", a.out, st.save_error);
            code = CLI_FAIL;
        } else if (rc < 0) {
            code = cli_fail("train", "training", rc);
        } else if ((rc = folkrnn_model_save(folkrnn_trainer_model(t), a.out)) < 0) {
            code = cli_fail("train", a.out, rc);
        }
    }
    folkrnn_trainer_free(t);
    return code;
}
