/* train.c -- the trainer: options, data, the epoch loop, RMSProp,
   validation, progress, checkpoints and provenance. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "train_internal.h"

/* OpenBLAS's thread control, when the BLAS linked is OpenBLAS. */
extern void openblas_set_num_threads(int) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));

/* ---- options ------------------------------------------------------------------ */

enum { OPT_ARCH = 1, OPT_DATA = 2, OPT_INT = 4 };

static const struct option_spec {
    const char *name;  /* for messages and the recipe JSON */
    double def, min, max;
    int flags;
} specs[] = {
    [FOLKRNN_TRAIN_CELL] = {"cell", FOLKRNN_CELL_LSTM, 0, 1, OPT_ARCH | OPT_INT},
    [FOLKRNN_TRAIN_LAYERS] = {"layers", 3, 1, 64, OPT_ARCH | OPT_INT},
    [FOLKRNN_TRAIN_UNITS] = {"units", 512, 1, 65536, OPT_ARCH | OPT_INT},
    [FOLKRNN_TRAIN_DROPOUT] = {"dropout", 0.5, 0, 0.99, 0},
    [FOLKRNN_TRAIN_EPOCHS] = {"epochs", 100, 0, 1000000, OPT_INT},
    [FOLKRNN_TRAIN_BATCH_SIZE] = {"batch_size", 64, 1, 1 << 20, OPT_DATA | OPT_INT},
    [FOLKRNN_TRAIN_LEARNING_RATE] = {"learning_rate", 0.003, 0, 1e6, 0},
    [FOLKRNN_TRAIN_LR_DECAY] = {"learning_rate_decay", 0.97, 0, 1e6, 0},
    [FOLKRNN_TRAIN_LR_DECAY_AFTER] = {"learning_rate_decay_after", 20, -1, 1000000, OPT_INT},
    [FOLKRNN_TRAIN_RMS_RHO] = {"rmsprop_rho", 0.9, 0, 1, 0},
    [FOLKRNN_TRAIN_RMS_EPSILON] = {"rmsprop_epsilon", 1e-6, 0, 1, 0},
    [FOLKRNN_TRAIN_GRAD_CLIP] = {"grad_clipping", 5, 0, 1e30, 0},
    [FOLKRNN_TRAIN_FORGET_BIAS] = {"forget_bias", 5, -1e6, 1e6, OPT_ARCH},
    [FOLKRNN_TRAIN_SEED] = {"seed", 1, 0, 9007199254740991.0, OPT_INT},
    [FOLKRNN_TRAIN_THREADS] = {"threads", 0, 0, 1024, OPT_INT},
    [FOLKRNN_TRAIN_VALID_FRACTION] = {"validation_fraction", 0.05, 0, 0.9, OPT_DATA},
    [FOLKRNN_TRAIN_SPLIT_SEED] = {"split_seed", 42, 0, 4294967295.0, OPT_DATA | OPT_INT},
    [FOLKRNN_TRAIN_MAX_TUNE_TOKENS] = {"max_tune_tokens", 0, 0, 1e9, OPT_DATA | OPT_INT},
    [FOLKRNN_TRAIN_MAX_POSITIONS] = {"max_positions", 16384, 1, 1e9, OPT_INT},
    [FOLKRNN_TRAIN_CHECKPOINT_BATCHES] = {"checkpoint_batches", 0, 0, 1e12, OPT_INT},
    [FOLKRNN_TRAIN_CHECKPOINT_SECONDS] = {"checkpoint_seconds", 600, 0, 1e12, 0},
};
#define NOPTIONS ((int)(sizeof specs / sizeof specs[0]))

/* Options that describe the run rather than the training (not in the recipe). */
static int is_run_option(int o)
{
    return o == FOLKRNN_TRAIN_THREADS || o == FOLKRNN_TRAIN_MAX_POSITIONS ||
           o == FOLKRNN_TRAIN_CHECKPOINT_BATCHES || o == FOLKRNN_TRAIN_CHECKPOINT_SECONDS;
}

/* ---- the trainer ---------------------------------------------------------------- */

struct folkrnn_trainer {
    double opt[NOPTIONS];            /* option values by folkrnn_train_option */
    char *checkpoint_path;           /* NULL: no checkpoints */
    folkrnn_train_progress_fn progress;
    void *user;

    int have_data;
    struct fr_corpus corpus;
    char *data_name;
    long *train, ntrain;             /* training tunes, decreasing length */
    long *valid, nvalid;             /* validation tunes, decreasing length */
    long *valid_sorted;              /* [nvalid] the same in file order */
    long train_tokens, valid_tokens; /* predicted tokens per pass over each */

    struct folkrnn_model *model;     /* being trained, owned */
    struct folkrnn_model *grad;      /* gradient of the batch loss, model layout */
    struct folkrnn_model *acc;       /* RMSProp accumulators, model layout */
    char resume_sha256[65];          /* data digest of a resumed checkpoint, or "" */

    /* position and history (what a checkpoint saves) */
    int epoch;                       /* epochs completed */
    long batch_next;                 /* next batch of the current epoch */
    float learning_rate;             /* in use; float as in folk-rnn */
    double epoch_nll, epoch_loss_sum;
    long epoch_tokens, epoch_batches;
    double *losses_train, *losses_valid; /* [epoch] per token */
    double wall_seconds;             /* training time of earlier runs */

    /* this run */
    double run_start, run_tokens, last_checkpoint;
    long batches_since_checkpoint;
    struct fr_bptt *work;
    struct fr_batch batch;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

FOLKRNN_API int folkrnn_trainer_new(folkrnn_trainer **out)
{
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_new: NULL out");
    folkrnn_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        *out = NULL;
        return fr_oom("trainer", sizeof *t);
    }
    for (int o = 0; o < NOPTIONS; o++)
        t->opt[o] = specs[o].def;
    t->learning_rate = (float)specs[FOLKRNN_TRAIN_LEARNING_RATE].def;
    *out = t;
    return FOLKRNN_OK;
}

FOLKRNN_API void folkrnn_trainer_free(folkrnn_trainer *t)
{
    if (!t)
        return;
    free(t->checkpoint_path);
    fr_corpus_free(&t->corpus);
    free(t->data_name);
    free(t->train);
    free(t->valid);
    free(t->valid_sorted);
    folkrnn_model_free(t->model);
    folkrnn_model_free(t->grad);
    folkrnn_model_free(t->acc);
    free(t->losses_train);
    free(t->losses_valid);
    fr_bptt_free(t->work);
    fr_batch_free(&t->batch);
    free(t);
}

FOLKRNN_API int folkrnn_trainer_set(folkrnn_trainer *t, int option, double value)
{
    if (!t)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_set: NULL trainer");
    if (option < 0 || option >= NOPTIONS)
        return fr_error(FOLKRNN_E_INVALID, "unknown training option %d", option);
    const struct option_spec *s = &specs[option];
    if (!(value >= s->min && value <= s->max) || ((s->flags & OPT_INT) && value != floor(value)))
        return fr_error(FOLKRNN_E_INVALID, "%s = %g is not %s in [%g, %g]", s->name, value,
                        (s->flags & OPT_INT) ? "an integer" : "a number", s->min, s->max);
    if ((s->flags & OPT_ARCH) && t->model && value != t->opt[option])
        return fr_error(FOLKRNN_E_INVALID, "%s cannot change: the trainer has a model already",
                        s->name);
    if ((s->flags & OPT_DATA) && t->have_data && value != t->opt[option])
        return fr_error(FOLKRNN_E_INVALID, "%s cannot change: the data is set already", s->name);
    if (t->resume_sha256[0] && !is_run_option(option) && option != FOLKRNN_TRAIN_EPOCHS &&
        value != folkrnn_trainer_get(t, option))
        return fr_error(FOLKRNN_E_INVALID, "%s cannot change when resuming (the recipe is the "
                        "checkpoint's)", s->name);
    t->opt[option] = value;
    if (option == FOLKRNN_TRAIN_LEARNING_RATE)
        t->learning_rate = (float)value;
    return FOLKRNN_OK;
}

FOLKRNN_API double folkrnn_trainer_get(const folkrnn_trainer *t, int option)
{
    if (!t || option < 0 || option >= NOPTIONS)
        return NAN;
    return option == FOLKRNN_TRAIN_LEARNING_RATE ? (double)t->learning_rate : t->opt[option];
}

FOLKRNN_API int folkrnn_trainer_set_progress(folkrnn_trainer *t, folkrnn_train_progress_fn fn,
                                             void *user)
{
    if (!t)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_set_progress: NULL trainer");
    t->progress = fn;
    t->user = user;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_trainer_set_checkpoint(folkrnn_trainer *t, const char *path)
{
    if (!t)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_set_checkpoint: NULL trainer");
    char *copy = NULL;
    if (path && !(copy = strdup(path)))
        return fr_oom("checkpoint path", strlen(path) + 1);
    free(t->checkpoint_path);
    t->checkpoint_path = copy;
    return FOLKRNN_OK;
}

FOLKRNN_API folkrnn_model *folkrnn_trainer_model(folkrnn_trainer *t)
{
    return t ? t->model : NULL;
}

FOLKRNN_API int folkrnn_trainer_epochs_done(const folkrnn_trainer *t)
{
    return t ? t->epoch : fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_epochs_done: NULL");
}

FOLKRNN_API int folkrnn_trainer_epoch_loss(const folkrnn_trainer *t, int e, double *train,
                                           double *valid)
{
    if (!t)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_epoch_loss: NULL trainer");
    if (e < 0 || e >= t->epoch)
        return fr_error(FOLKRNN_E_RANGE, "epoch %d is not in [0, %d)", e, t->epoch);
    if (train)
        *train = t->losses_train[e];
    if (valid)
        *valid = t->losses_valid[e];
    return FOLKRNN_OK;
}

static int compare_longs(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

FOLKRNN_API int folkrnn_trainer_valid_tunes(const folkrnn_trainer *t, const long **idx, long *n)
{
    if (!t || !idx || !n)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_valid_tunes: NULL argument");
    if (!t->have_data)
        return fr_error(FOLKRNN_E_INVALID, "the trainer has no data");
    *idx = t->valid_sorted;
    *n = t->nvalid;
    return FOLKRNN_OK;
}

/* ---- model ------------------------------------------------------------------------ */

/* Gradient and accumulator models of t->model's architecture. */
static int alloc_optimiser(folkrnn_trainer *t, struct folkrnn_model *acc)
{
    const struct folkrnn_model *m = t->model;
    int units[1024];
    for (int l = 0; l < m->num_layers; l++)
        units[l] = m->layers[l].units;
    int rc = fr_model_alloc(m->cell, m->num_layers, units, m->vocab_size, m->input_size, &t->grad);
    if (rc == FOLKRNN_OK && !acc)
        rc = fr_model_alloc(m->cell, m->num_layers, units, m->vocab_size, m->input_size, &acc);
    if (rc == FOLKRNN_OK)
        rc = fr_bptt_new(m, &t->work);
    t->acc = acc;
    return rc;
}

static void adopt_architecture(folkrnn_trainer *t, const struct folkrnn_model *m)
{
    t->opt[FOLKRNN_TRAIN_CELL] = m->cell;
    t->opt[FOLKRNN_TRAIN_LAYERS] = m->num_layers;
    t->opt[FOLKRNN_TRAIN_UNITS] = m->layers[0].units;
}

FOLKRNN_API int folkrnn_trainer_set_model(folkrnn_trainer *t, const folkrnn_model *m)
{
    if (!t || !m)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_set_model: NULL %s",
                        t ? "model" : "trainer");
    if (t->model || t->have_data)
        return fr_error(FOLKRNN_E_INVALID, "set the model before the data, and only once");
    if (!m->onehot || m->num_layers > 1024)
        return fr_error(FOLKRNN_E_UNSUPPORTED,
                        "training supports one-hot input models only (this one has a dense "
                        "embedding)");
    int rc = folkrnn_model_clone(m, &t->model);
    if (rc == FOLKRNN_OK)
        rc = alloc_optimiser(t, NULL);
    if (rc == FOLKRNN_OK)
        adopt_architecture(t, m);
    return rc;
}

/* A freshly initialised model with the corpus vocabulary. */
static int build_model(folkrnn_trainer *t)
{
    int layers = (int)t->opt[FOLKRNN_TRAIN_LAYERS], units[64];
    for (int l = 0; l < layers; l++)
        units[l] = (int)t->opt[FOLKRNN_TRAIN_UNITS];
    int rc = folkrnn_model_new((int)t->opt[FOLKRNN_TRAIN_CELL], layers, units, t->corpus.ntokens,
                               (const char *const *)t->corpus.tokens, 0, &t->model);
    if (rc == FOLKRNN_OK)
        rc = fr_train_init_model(t->model, fr_key((uint64_t)t->opt[FOLKRNN_TRAIN_SEED], 1),
                                 (float)t->opt[FOLKRNN_TRAIN_FORGET_BIAS]);
    if (rc == FOLKRNN_OK)
        rc = alloc_optimiser(t, NULL);
    return rc;
}

/* ---- data --------------------------------------------------------------------- */

static long predicted_tokens(const struct fr_corpus *c, const long *idx, long n)
{
    long sum = 0;
    for (long i = 0; i < n; i++)
        sum += c->tune_start[idx[i] + 1] - c->tune_start[idx[i]] - 1;
    return sum;
}

FOLKRNN_API int folkrnn_trainer_set_data(folkrnn_trainer *t, const char *text, size_t len,
                                         const char *name, const char *const *vocab, int nvocab)
{
    if (!t || !text || !name)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_set_data: NULL argument");
    if (t->have_data)
        return fr_error(FOLKRNN_E_INVALID, "the trainer has data already");
    if (t->model && vocab)
        return fr_error(FOLKRNN_E_INVALID,
                        "the trainer has a model: its vocabulary is used, give none");
    const struct folkrnn_model *m = t->model;
    int rc = fr_corpus_parse(text, len, name, m ? (const char *const *)m->tokens : vocab,
                             m ? m->vocab_size : nvocab, m != NULL,
                             (long)t->opt[FOLKRNN_TRAIN_MAX_TUNE_TOKENS], &t->corpus);
    if (rc < 0)
        return rc;
    if (t->resume_sha256[0] && strcmp(t->resume_sha256, t->corpus.sha256) != 0) {
        rc = fr_error(FOLKRNN_E_INVALID, "%s has SHA-256 %s, but the checkpoint was trained on %s",
                      name, t->corpus.sha256, t->resume_sha256);
        fr_corpus_free(&t->corpus);
        return rc;
    }
    rc = fr_corpus_split(&t->corpus, t->opt[FOLKRNN_TRAIN_VALID_FRACTION],
                         (int)t->opt[FOLKRNN_TRAIN_BATCH_SIZE],
                         (uint32_t)t->opt[FOLKRNN_TRAIN_SPLIT_SEED], &t->train, &t->ntrain,
                         &t->valid, &t->nvalid);
    if (rc == FOLKRNN_OK && t->ntrain == 0)
        rc = fr_error(FOLKRNN_E_INVALID, "%s: no tunes left for training after the split", name);
    if (rc == FOLKRNN_OK && !(t->data_name = strdup(name)))
        rc = fr_oom("data name", strlen(name) + 1);
    if (rc == FOLKRNN_OK && !(t->valid_sorted = malloc(((size_t)t->nvalid + 1) * sizeof(long))))
        rc = fr_oom("validation tunes", (size_t)t->nvalid * sizeof(long));
    if (rc == FOLKRNN_OK) {
        memcpy(t->valid_sorted, t->valid, (size_t)t->nvalid * sizeof(long));
        qsort(t->valid_sorted, (size_t)t->nvalid, sizeof(long), compare_longs);
    }
    if (rc < 0) {
        fr_corpus_free(&t->corpus);
        free(t->train);
        free(t->valid);
        free(t->data_name);
        t->train = t->valid = NULL;
        t->data_name = NULL;
        return rc;
    }
    t->train_tokens = predicted_tokens(&t->corpus, t->train, t->ntrain);
    t->valid_tokens = predicted_tokens(&t->corpus, t->valid, t->nvalid);
    t->have_data = 1;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_trainer_set_data_file(folkrnn_trainer *t, const char *data_path,
                                              const char *vocab_path)
{
    if (!t || !data_path)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_set_data_file: NULL argument");
    char **vocab = NULL;
    int nvocab = 0;
    unsigned char *text = NULL;
    size_t len = 0;
    int rc = vocab_path ? fr_vocab_read(vocab_path, &vocab, &nvocab) : FOLKRNN_OK;
    if (rc == FOLKRNN_OK)
        rc = fr_read_file(data_path, &text, &len);
    if (rc == FOLKRNN_OK) {
        const char *base = strrchr(data_path, '/');
        rc = folkrnn_trainer_set_data(t, (const char *)text, len, base ? base + 1 : data_path,
                                      (const char *const *)vocab, nvocab);
    }
    free(text);
    fr_free_strings(vocab, nvocab);
    return rc;
}

/* ---- checkpoints ---------------------------------------------------------------- */

FOLKRNN_API int folkrnn_trainer_save_checkpoint(folkrnn_trainer *t, const char *path)
{
    if (!t || !path)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_save_checkpoint: NULL argument");
    if (!t->model || !t->have_data)
        return fr_error(FOLKRNN_E_INVALID, "nothing to checkpoint: no model or no data yet");
    struct fr_ckpt k = {0};
    k.model = t->model;
    k.acc = t->acc;
    k.noptions = NOPTIONS;
    memcpy(k.options, t->opt, sizeof t->opt);
    k.epoch = t->epoch;
    k.batch_next = t->batch_next;
    k.learning_rate = t->learning_rate;
    k.epoch_nll = t->epoch_nll;
    k.epoch_tokens = t->epoch_tokens;
    k.epoch_loss_sum = t->epoch_loss_sum;
    k.epoch_batches = t->epoch_batches;
    k.wall_seconds = t->wall_seconds + (t->run_start > 0 ? now_seconds() - t->run_start : 0);
    k.losses_train = t->losses_train;
    k.losses_valid = t->losses_valid;
    memcpy(k.data_sha256, t->corpus.sha256, sizeof k.data_sha256);
    k.data_name = t->data_name;
    return fr_ckpt_write(path, &k);
}

FOLKRNN_API int folkrnn_trainer_resume(folkrnn_trainer *t, const char *path)
{
    if (!t || !path)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_resume: NULL argument");
    if (t->model || t->have_data)
        return fr_error(FOLKRNN_E_INVALID, "resume before setting a model or data");
    struct fr_ckpt k;
    int rc = fr_ckpt_read(path, &k);
    if (rc < 0)
        return rc;
    for (int o = 0; o < k.noptions && o < NOPTIONS; o++)
        t->opt[o] = k.options[o];
    t->model = k.model;
    k.model = NULL;
    rc = alloc_optimiser(t, k.acc);
    k.acc = NULL;
    if (rc < 0) {
        fr_ckpt_free(&k);
        return rc;
    }
    t->epoch = k.epoch;
    t->batch_next = k.batch_next;
    t->learning_rate = k.learning_rate;
    t->epoch_nll = k.epoch_nll;
    t->epoch_tokens = k.epoch_tokens;
    t->epoch_loss_sum = k.epoch_loss_sum;
    t->epoch_batches = k.epoch_batches;
    t->wall_seconds = k.wall_seconds;
    t->losses_train = k.losses_train;
    t->losses_valid = k.losses_valid;
    k.losses_train = k.losses_valid = NULL;
    memcpy(t->resume_sha256, k.data_sha256, sizeof t->resume_sha256);
    fr_ckpt_free(&k);
    return FOLKRNN_OK;
}

/* ---- one batch --------------------------------------------------------------------- */

static void zero_grad(struct folkrnn_model *g)
{
    size_t off[1025], len[1025];
    int n = fr_trainable_ranges(g, off, len);
    for (int r = 0; r < n; r++)
        memset(g->storage + off[r], 0, len[r] * sizeof(float));
}

/* Lasagne's rmsprop: acc = rho acc + (1 - rho) g^2; w -= lr g / sqrt(acc + eps). */
static void rmsprop(folkrnn_trainer *t)
{
    float rho = (float)t->opt[FOLKRNN_TRAIN_RMS_RHO], eps = (float)t->opt[FOLKRNN_TRAIN_RMS_EPSILON];
    float lr = t->learning_rate;
    size_t off[1025], len[1025];
    int n = fr_trainable_ranges(t->model, off, len);
    for (int r = 0; r < n; r++) {
        float *w = t->model->storage + off[r];
        float *acc = t->acc->storage + off[r];
        const float *g = t->grad->storage + off[r];
        for (size_t i = 0; i < len[r]; i++) {
            float a = rho * acc[i] + (1.0f - rho) * g[i] * g[i];
            acc[i] = a;
            w[i] -= lr * g[i] / sqrtf(a + eps);
        }
    }
}

/* Loss (and gradient into t->grad when train) of the tunes idx[0..n), in
   parts of at most MAX_POSITIONS positions; returns the summed NLL. */
static int batch_pass(folkrnn_trainer *t, const long *idx, int n, uint64_t key, float dropout,
                      int train, double *nll)
{
    struct fr_pass pass = {dropout, (float)t->opt[FOLKRNN_TRAIN_GRAD_CLIP], 1.0f / (float)n};
    long max_pos = (long)t->opt[FOLKRNN_TRAIN_MAX_POSITIONS];
    const struct fr_corpus *c = &t->corpus;
    *nll = 0.0;
    for (int first = 0, count; first < n; first += count) {
        long pos = 0;
        for (count = 0; first + count < n; count++) {
            long len = c->tune_start[idx[first + count] + 1] - c->tune_start[idx[first + count]] - 1;
            if (count > 0 && pos + len > max_pos)
                break;
            pos += len;
        }
        int rc = fr_batch_fill(&t->batch, c, idx + first, count);
        if (rc < 0)
            return rc;
        t->batch.first_slot = first;
        t->batch.key = key;
        double part;
        rc = fr_bptt_pass(t->work, t->model, &t->batch, &pass, train ? t->grad : NULL, &part);
        if (rc < 0)
            return rc;
        *nll += part;
    }
    return FOLKRNN_OK;
}

/* ---- progress ----------------------------------------------------------------------- */

static double elapsed(const folkrnn_trainer *t)
{
    return t->wall_seconds + now_seconds() - t->run_start;
}

static int report(folkrnn_trainer *t, folkrnn_train_progress *p, int event, long nbatches)
{
    if (!t->progress)
        return FOLKRNN_OK;
    double run = now_seconds() - t->run_start;
    double rate = run > 0 ? t->run_tokens / run : 0;
    int epochs = (int)t->opt[FOLKRNN_TRAIN_EPOCHS];
    double left = (double)(epochs - t->epoch) * (double)t->train_tokens - (double)t->epoch_tokens;
    /* A validation token costs about a third of a training token. */
    left += (double)(epochs - t->epoch) * (double)t->valid_tokens / 3.0;
    p->event = event;
    p->epoch = t->epoch;
    p->epochs = epochs;
    p->batch = t->batch_next;
    p->batches = nbatches;
    p->train_token_loss = t->epoch_tokens ? t->epoch_nll / (double)t->epoch_tokens : NAN;
    p->learning_rate = t->learning_rate;
    p->tokens_per_second = rate;
    p->elapsed_seconds = elapsed(t);
    p->eta_seconds = rate > 0 ? (left > 0 ? left : 0) / rate : NAN;
    if (t->progress(p, t->user) != 0)
        return fr_error(FOLKRNN_E_HOOK, "training stopped by the progress callback");
    return FOLKRNN_OK;
}

static int checkpoint(folkrnn_trainer *t, long nbatches)
{
    if (!t->checkpoint_path)
        return FOLKRNN_OK;
    int rc = folkrnn_trainer_save_checkpoint(t, t->checkpoint_path);
    t->last_checkpoint = now_seconds();
    t->batches_since_checkpoint = 0;
    if (rc < 0)
        return rc;
    folkrnn_train_progress p = {0};
    p.valid_token_loss = p.valid_loss = NAN;
    p.checkpoint = t->checkpoint_path;
    return report(t, &p, FOLKRNN_TRAIN_EVENT_CHECKPOINT, nbatches);
}

static int checkpoint_due(const folkrnn_trainer *t)
{
    double every_batches = t->opt[FOLKRNN_TRAIN_CHECKPOINT_BATCHES];
    double every_seconds = t->opt[FOLKRNN_TRAIN_CHECKPOINT_SECONDS];
    return t->checkpoint_path &&
           ((every_batches > 0 && t->batches_since_checkpoint >= (long)every_batches) ||
            (every_seconds > 0 && now_seconds() - t->last_checkpoint >= every_seconds));
}

/* ---- provenance ------------------------------------------------------------------- */

static void json_number(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.9g", x);
    else
        fputs("null", f);
}

static void json_array(FILE *f, const double *x, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        json_number(f, x[i]);
    }
    fputc(']', f);
}

/* Set key to what f wrote, closing f. */
static int meta_from_stream(struct folkrnn_model *m, const char *key, FILE *f, char **buf)
{
    if (fclose(f) != 0 || !*buf)
        return fr_oom("metadata", 4096);
    int rc = folkrnn_model_set_meta(m, key, *buf);
    free(*buf);
    *buf = NULL;
    return rc;
}

static int set_meta_f(struct folkrnn_model *m, const char *key, const char *fmt, ...)
    FR_PRINTF(3, 4);
static int set_meta_f(struct folkrnn_model *m, const char *key, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return folkrnn_model_set_meta(m, key, buf);
}

static int write_provenance(folkrnn_trainer *t)
{
    struct folkrnn_model *m = t->model;
    char *buf = NULL;
    size_t size;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return fr_oom("metadata", 4096);
    fputs("{\"defaults\":\"folk-rnn config5\"", f);
    for (int o = 0; o < NOPTIONS; o++)
        if (!is_run_option(o)) {
            fprintf(f, ",\"%s\":", specs[o].name);
            if (o == FOLKRNN_TRAIN_CELL)
                fputs(t->opt[o] == FOLKRNN_CELL_GRU ? "\"gru\"" : "\"lstm\"", f);
            else
                json_number(f, t->opt[o]);
        }
    fputc('}', f);
    int rc = meta_from_stream(m, "training.recipe", f, &buf);
    if (rc == FOLKRNN_OK && (f = open_memstream(&buf, &size))) {
        json_array(f, t->losses_train, t->epoch);
        rc = meta_from_stream(m, "training.losses_train", f, &buf);
    }
    if (rc == FOLKRNN_OK && (f = open_memstream(&buf, &size))) {
        json_array(f, t->losses_valid, t->epoch);
        rc = meta_from_stream(m, "training.losses_valid", f, &buf);
    }
    if (rc == FOLKRNN_OK)
        rc = folkrnn_model_set_meta(m, "training.library", "libfolkrnn " FOLKRNN_VERSION);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_model_set_meta(m, "training.data", t->data_name);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_model_set_meta(m, "training.data_sha256", t->corpus.sha256);
    if (rc == FOLKRNN_OK)
        rc = set_meta_f(m, "training.data_tunes", "{\"tunes\":%ld,\"train\":%ld,\"valid\":%ld,"
                        "\"skipped\":%ld,\"train_tokens\":%ld,\"valid_tokens\":%ld}",
                        t->corpus.ntunes, t->ntrain, t->nvalid, t->corpus.skipped,
                        t->train_tokens, t->valid_tokens);
    if (rc == FOLKRNN_OK)
        rc = set_meta_f(m, "training.epochs", "%d", t->epoch);
    if (rc == FOLKRNN_OK)
        rc = set_meta_f(m, "training.learning_rate", "%.7g", (double)t->learning_rate);
    if (rc == FOLKRNN_OK)
        rc = set_meta_f(m, "training.wall_seconds", "%.1f", elapsed(t));
    return rc;
}

/* ---- epochs ------------------------------------------------------------------------ */

/* Validation NLL (summed) over the held-out tunes, dropout off. */
static int validate(folkrnn_trainer *t, double *nll)
{
    int B = (int)t->opt[FOLKRNN_TRAIN_BATCH_SIZE];
    *nll = 0.0;
    for (long first = 0; first < t->nvalid; first += B) {
        int n = (int)(t->nvalid - first < B ? t->nvalid - first : B);
        double part;
        int rc = batch_pass(t, t->valid + first, n, 0, 0.0f, 0, &part);
        if (rc < 0)
            return rc;
        *nll += part;
    }
    return FOLKRNN_OK;
}

static int train_batch(folkrnn_trainer *t, const long *idx, int n, uint64_t key, long nbatches)
{
    zero_grad(t->grad);
    double nll;
    int rc = batch_pass(t, idx, n, key, (float)t->opt[FOLKRNN_TRAIN_DROPOUT], 1, &nll);
    if (rc < 0)
        return rc;
    if (!isfinite(nll))
        return fr_error(FOLKRNN_E_NUMERIC, "epoch %d batch %ld: the loss is not finite "
                        "(learning rate too high?)", t->epoch, t->batch_next);
    rmsprop(t);
    long tokens = predicted_tokens(&t->corpus, idx, n);
    t->epoch_nll += nll;
    t->epoch_tokens += tokens;
    t->epoch_loss_sum += nll / n;
    t->epoch_batches++;
    t->run_tokens += (double)tokens;
    t->batch_next++;
    t->batches_since_checkpoint++;
    folkrnn_train_progress p = {0};
    p.batch_loss = nll / n;
    p.batch_token_loss = nll / (double)tokens;
    p.valid_token_loss = p.valid_loss = NAN;
    return report(t, &p, FOLKRNN_TRAIN_EVENT_BATCH, nbatches);
}

static int grow_losses(folkrnn_trainer *t)
{
    size_t n = (size_t)t->epoch + 1;
    double *a = realloc(t->losses_train, n * sizeof *a);
    if (a)
        t->losses_train = a;
    double *b = realloc(t->losses_valid, n * sizeof *b);
    if (b)
        t->losses_valid = b;
    return a && b ? FOLKRNN_OK : fr_oom("loss history", 2 * n * sizeof *a);
}

static int end_epoch(folkrnn_trainer *t, long nbatches)
{
    double nll = 0.0;
    int rc = validate(t, &nll);
    if (rc == FOLKRNN_OK)
        rc = grow_losses(t);
    if (rc < 0)
        return rc;
    double valid_token = t->nvalid ? nll / (double)t->valid_tokens : NAN;
    t->losses_train[t->epoch] = t->epoch_nll / (double)t->epoch_tokens;
    t->losses_valid[t->epoch] = valid_token;
    /* folk-rnn: after epoch e (0-based), if e > decay_after, lr *= decay. */
    if (t->epoch > (int)t->opt[FOLKRNN_TRAIN_LR_DECAY_AFTER])
        t->learning_rate = (float)(t->learning_rate * t->opt[FOLKRNN_TRAIN_LR_DECAY]);
    folkrnn_train_progress p = {0};
    p.valid_token_loss = valid_token;
    p.valid_loss = t->nvalid ? nll / (double)t->nvalid : NAN;
    p.batch_loss = t->epoch_batches ? t->epoch_loss_sum / (double)t->epoch_batches : NAN;
    p.batch_token_loss = t->losses_train[t->epoch];
    t->epoch++;
    t->batch_next = 0;
    t->epoch_nll = t->epoch_loss_sum = 0.0;
    t->epoch_tokens = t->epoch_batches = 0;
    rc = write_provenance(t);
    if (rc == FOLKRNN_OK)
        rc = report(t, &p, FOLKRNN_TRAIN_EVENT_EPOCH, nbatches);
    if (rc == FOLKRNN_OK)
        rc = checkpoint(t, nbatches);
    return rc;
}

static int run_epoch(folkrnn_trainer *t)
{
    int B = (int)t->opt[FOLKRNN_TRAIN_BATCH_SIZE];
    uint64_t seed = (uint64_t)t->opt[FOLKRNN_TRAIN_SEED];
    uint64_t epoch_key = fr_key(fr_key(seed, 2), (uint64_t)t->epoch);
    long *tunes, *chunks;
    int rc = fr_epoch_plan(&t->corpus, t->train, t->ntrain, B, epoch_key | 1, &tunes, &chunks);
    if (rc < 0)
        return rc;
    long nbatches = (t->ntrain + B - 1) / B;
    while (rc == FOLKRNN_OK && t->batch_next < nbatches) {
        long chunk = chunks[t->batch_next];
        long first = chunk * B;
        int n = (int)(t->ntrain - first < B ? t->ntrain - first : B);
        uint64_t key = fr_key(fr_key(seed, 3), ((uint64_t)t->epoch << 32) | (uint64_t)chunk);
        rc = train_batch(t, tunes + first, n, key, nbatches);
        if (rc == FOLKRNN_OK && checkpoint_due(t))
            rc = checkpoint(t, nbatches);
    }
    if (rc == FOLKRNN_OK)
        rc = end_epoch(t, nbatches);
    free(tunes);
    free(chunks);
    return rc;
}

FOLKRNN_API int folkrnn_trainer_run(folkrnn_trainer *t)
{
    if (!t)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_trainer_run: NULL trainer");
    if (!t->have_data)
        return fr_error(FOLKRNN_E_INVALID, "the trainer has no data");
    int rc = t->model ? FOLKRNN_OK : build_model(t);
    if (rc < 0)
        return rc;
    int threads = (int)t->opt[FOLKRNN_TRAIN_THREADS], old_threads = 0;
    if (threads > 0 && openblas_set_num_threads && openblas_get_num_threads) {
        old_threads = openblas_get_num_threads();
        openblas_set_num_threads(threads);
    }
    t->run_start = t->last_checkpoint = now_seconds();
    t->run_tokens = 0;
    t->batches_since_checkpoint = 0;
    while (rc == FOLKRNN_OK && t->epoch < (int)t->opt[FOLKRNN_TRAIN_EPOCHS])
        rc = run_epoch(t);
    t->wall_seconds = elapsed(t);
    t->run_start = 0;
    if (old_threads > 0)
        openblas_set_num_threads(old_threads);
    return rc;
}

/* ---- loss and gradient of given tunes ------------------------------------------- */

static int same_architecture(const struct folkrnn_model *a, const struct folkrnn_model *b)
{
    if (a->cell != b->cell || a->num_layers != b->num_layers || a->vocab_size != b->vocab_size ||
        a->input_size != b->input_size)
        return 0;
    for (int l = 0; l < a->num_layers; l++)
        if (a->layers[l].units != b->layers[l].units)
            return 0;
    return 1;
}

FOLKRNN_API int folkrnn_model_loss_grad(const folkrnn_model *m, int ntunes,
                                        const int *const *tunes, const int *lens,
                                        double dropout, unsigned long long dropout_seed,
                                        double clip, double *loss, folkrnn_model *grad)
{
    if (!m || !tunes || !lens || !loss || ntunes < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_loss_grad: NULL argument or no tunes");
    if (!m->onehot)
        return fr_error(FOLKRNN_E_UNSUPPORTED, "training supports one-hot input models only");
    if (grad && !same_architecture(m, grad))
        return fr_error(FOLKRNN_E_INVALID, "the gradient model's architecture differs");
    if (!(dropout >= 0.0 && dropout < 1.0) || !(clip >= 0.0))
        return fr_error(FOLKRNN_E_INVALID, "dropout %g or clip %g out of range", dropout, clip);
    /* A corpus of the given tunes, so that batches are built as in training. */
    struct fr_corpus c = {0};
    long total = 0;
    for (int i = 0; i < ntunes; i++) {
        if (!tunes[i] || lens[i] < 2)
            return fr_error(FOLKRNN_E_INVALID, "tune %d has fewer than 2 tokens", i);
        for (int k = 0; k < lens[i]; k++)
            if (tunes[i][k] < 0 || tunes[i][k] >= m->vocab_size)
                return fr_error(FOLKRNN_E_RANGE, "tune %d token %d: id %d out of range", i, k,
                                tunes[i][k]);
        total += lens[i];
    }
    c.ntunes = ntunes;
    c.tune_start = malloc(((size_t)ntunes + 1) * sizeof *c.tune_start);
    c.ids = malloc((size_t)total * sizeof *c.ids);
    long *order = malloc((size_t)ntunes * sizeof *order);
    struct fr_batch b = {0};
    struct fr_bptt *w = NULL;
    int rc = c.tune_start && c.ids && order ? fr_bptt_new(m, &w)
                                            : fr_oom("tunes", (size_t)total * sizeof *c.ids);
    if (rc == FOLKRNN_OK) {
        c.tune_start[0] = 0;
        for (int i = 0; i < ntunes; i++) {
            memcpy(c.ids + c.tune_start[i], tunes[i], (size_t)lens[i] * sizeof *c.ids);
            c.tune_start[i + 1] = c.tune_start[i] + lens[i];
        }
        /* Decreasing length, ties in given order (insertion sort keeps it stable). */
        for (int i = 0; i < ntunes; i++) {
            int k = i;
            for (; k > 0 && lens[order[k - 1]] < lens[i]; k--)
                order[k] = order[k - 1];
            order[k] = i;
        }
        rc = fr_batch_fill(&b, &c, order, ntunes);
    }
    if (rc == FOLKRNN_OK) {
        b.key = dropout_seed;
        struct fr_pass pass = {(float)dropout, (float)clip, 1.0f / (float)ntunes};
        double nll;
        rc = fr_bptt_pass(w, m, &b, &pass, grad, &nll);
        *loss = nll / ntunes;
    }
    fr_bptt_free(w);
    fr_batch_free(&b);
    free(order);
    free(c.tune_start);
    free(c.ids);
    return rc;
}
