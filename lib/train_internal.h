/* train_internal.h -- what the files of the trainer share (internal).

   Map:
     random numbers ...... fr_mix64, fr_rng_*, fr_mt_*          (train_init.c)
     initialisation ...... fr_train_init_model                  (train_init.c)
     corpus .............. struct fr_corpus, fr_corpus_*        (train_data.c)
     batches ............. struct fr_batch, fr_batch_*          (train_data.c)
     backpropagation ..... struct fr_bptt, fr_bptt_*            (train_bptt.c)
     checkpoints ......... fr_ckpt_*                            (train_ckpt.c)
     hashing ............. fr_sha256                            (sha256.c)

   Packed batches.  A batch holds B tunes sorted by decreasing length, time
   major: step t has active[t] tunes, always the first active[t] of the
   batch (the longer ones), and they occupy the rows offset[t] ..
   offset[t] + active[t] - 1 of every per-position matrix.  A padded
   position is never stored nor computed: that is exactly Lasagne's masking
   (a masked step copies the state forward and adds nothing to the loss), as
   every tune's padding comes after its end. */
#ifndef FOLKRNN_TRAIN_INTERNAL_H
#define FOLKRNN_TRAIN_INTERNAL_H

#include <stdint.h>
#include "internal.h"

/* ---- random numbers (train_init.c) -------------------------------------- */

/* splitmix64's finaliser: a bijective 64-bit mix.  Keyed streams are
   fr_mix64(key + i * FR_GOLDEN64), so any element can be regenerated. */
#define FR_GOLDEN64 0x9e3779b97f4a7c15ULL
static inline uint64_t fr_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* A key from a parent key and one more number (seed, epoch, batch, ...). */
uint64_t fr_key(uint64_t parent, uint64_t value);

/* A sequential stream: splitmix64. */
struct fr_rng {
    uint64_t state;
};
void fr_rng_seed(struct fr_rng *r, uint64_t key);
uint64_t fr_rng_next(struct fr_rng *r);
double fr_rng_uniform(struct fr_rng *r);          /* [0, 1), 53 bits */
double fr_rng_normal(struct fr_rng *r);           /* standard normal (Box-Muller) */
uint64_t fr_rng_below(struct fr_rng *r, uint64_t n); /* uniform in [0, n), unbiased */

/* numpy's legacy RandomState: MT19937 seeded with init_genrand(seed), and
   the permutation RandomState(seed).permutation(n) (equivalently the order
   of choice(n, k, replace=False)), drawn as numpy draws it. */
struct fr_mt {
    uint32_t mt[624];
    int index;
};
void fr_mt_seed(struct fr_mt *s, uint32_t seed);
uint32_t fr_mt_next(struct fr_mt *s);
void fr_mt_permutation(uint32_t seed, long n, long *perm);

/* ---- initialisation (train_init.c) --------------------------------------- */

/* folk-rnn's initialisation of every weight of m from key: W_in Glorot
   uniform per gate, W_hid orthogonal per gate, biases 0 but the LSTM forget
   gate's forget_bias, dense W orthogonal, dense b 0, hid_init a random unit
   vector (Lasagne's orthogonal init of a 1 x units array), cell_init 0. */
int fr_train_init_model(struct folkrnn_model *m, uint64_t key, float forget_bias);

/* ---- corpus (train_data.c) ------------------------------------------------ */

struct fr_corpus {
    int ntokens;        /* vocabulary size */
    char **tokens;      /* [ntokens] texts, owned */
    int start_id, end_id; /* ids of <s> and </s> */
    long ntunes;
    long *tune_start;   /* [ntunes + 1] offsets into ids */
    int *ids;           /* every tune as <s> tokens </s>, concatenated */
    long skipped;       /* tunes left out for being longer than the limit */
    char sha256[65];    /* hex digest of the data bytes */
};

/* Parse data (tunes separated by blank lines, tokens by blanks) against a
   vocabulary: vocab[nvocab] in order (may be NULL/0), then <s> and </s> if
   missing, then the tokens the data brings, in order of first appearance.
   When fixed is non-zero no token may be added (fine-tuning a model): an
   unknown token is FOLKRNN_E_PARSE naming its line.  Tunes with more than
   max_tokens body tokens (0: no limit) are skipped and counted.  name is
   used in messages ("data_v2.txt:1234: ..."). */
int fr_corpus_parse(const char *text, size_t len, const char *name, const char *const *vocab,
                    int nvocab, int fixed, long max_tokens, struct fr_corpus *c);
/* Read a vocabulary file: one token per line.  *tokens is a NULL-terminated
   array, owned by the caller (fr_free_strings). */
int fr_vocab_read(const char *path, char ***tokens, int *ntokens);
void fr_free_strings(char **strings, int n);
void fr_corpus_free(struct fr_corpus *c);

/* The training/validation split: tunes ordered by decreasing length (stable),
   as folk-rnn sorts them; nvalid = batch * max(1, rint(n * fraction / batch))
   as folk-rnn rounds it (0 when fraction is 0; rint(n * fraction) when that
   would take every tune); the validation tunes are the first nvalid of
   numpy's RandomState(split_seed).permutation(n) over that order.  Outputs
   are malloc'd arrays of tune indices, each in increasing length-order
   position. */
int fr_corpus_split(const struct fr_corpus *c, double fraction, int batch, uint32_t split_seed,
                    long **train, long *ntrain, long **valid, long *nvalid);

/* ---- batches (train_data.c) ---------------------------------------------- */

struct fr_batch {
    int ntunes;      /* B */
    int nsteps;      /* T: input length of the longest tune (its tokens + 1) */
    long npos;       /* sum of input lengths: the rows of every packed matrix */
    int *active;     /* [T] tunes active at step t (a prefix of the batch) */
    long *offset;    /* [T + 1] first row of step t; offset[T] = npos */
    int *input;      /* [npos] token fed at (t, b) */
    int *target;     /* [npos] token to predict at (t, b) */
    int first_slot;  /* slot of tune 0 within the whole batch (dropout keys) */
    uint64_t key;    /* dropout key of the whole batch */
    long cap_pos;    /* allocated rows */
    int cap_steps;   /* allocated steps */
};

/* Fill b with tunes idx[0..n) of c, which must be in decreasing length
   order; grows b's arrays as needed. */
int fr_batch_fill(struct fr_batch *b, const struct fr_corpus *c, const long *idx, int n);
void fr_batch_free(struct fr_batch *b);

/* Epoch plan for the tunes idx[0..n) (in decreasing length order): batches
   of up to batch tunes of similar length.  *tunes receives idx shuffled
   within each run of equal length; chunk j is tunes [j*batch, min(n,
   (j+1)*batch)) of it (only the last may be short); *chunks receives the
   ceil(n / batch) chunk numbers in the order the epoch visits them
   (shuffled when key is not 0, in order when key is 0). */
int fr_epoch_plan(const struct fr_corpus *c, const long *idx, long n, int batch, uint64_t key,
                  long **tunes, long **chunks);

/* ---- backpropagation through time (train_bptt.c) ---------------------------- */

/* What one forward/backward pass needs besides the model and batch. */
struct fr_pass {
    float dropout;   /* probability of dropping a hidden unit (0: none) */
    float clip;      /* Lasagne grad_clipping (0: none) */
    float scale;     /* the loss is scale * (summed NLL over the tunes) */
};

/* Work buffers, grown on demand and reused by every pass. */
struct fr_bptt;
int fr_bptt_new(const struct folkrnn_model *m, struct fr_bptt **out);
void fr_bptt_free(struct fr_bptt *w);
/* Forward the batch; when grad is not NULL (a model of the same
   architecture) also backpropagate and ADD scale * d(NLL)/d(param) to its
   trainable parameters.  *nll receives the summed NLL (unscaled) in double. */
int fr_bptt_pass(struct fr_bptt *w, const struct folkrnn_model *m, const struct fr_batch *b,
                 const struct fr_pass *pass, struct folkrnn_model *grad, double *nll);

/* The trainable ranges of a model's storage, as offsets and lengths in
   floats: per layer W_in..b (contiguous), then dense W..b.  Returns the
   number of ranges (num_layers + 1); off/len have room for that many. */
int fr_trainable_ranges(const struct folkrnn_model *m, size_t *off, size_t *len);

/* ---- checkpoints (train_ckpt.c) ------------------------------------------- */

#define FR_CKPT_MAX_OPTIONS 64

/* A trainer's whole state.  fr_ckpt_write borrows model and acc;
   fr_ckpt_read allocates everything (free with fr_ckpt_free). */
struct fr_ckpt {
    struct folkrnn_model *model; /* weights (one-hot input) */
    struct folkrnn_model *acc;   /* RMSProp accumulators, in the model's layout */
    int noptions;
    double options[FR_CKPT_MAX_OPTIONS]; /* folkrnn_trainer_set values by option */
    int epoch;                   /* epochs completed */
    long batch_next;             /* next batch of the current epoch */
    float learning_rate;         /* in use */
    double epoch_nll;            /* summed NLL of the current epoch so far */
    long epoch_tokens;           /* tokens of the current epoch so far */
    double epoch_loss_sum;       /* sum of batch losses of the current epoch */
    long epoch_batches;          /* batches of the current epoch so far */
    double wall_seconds;         /* training time so far */
    double *losses_train;        /* [epoch] NLL per token */
    double *losses_valid;        /* [epoch] NLL per token (NaN: no validation) */
    int nlosses;                 /* used while reading */
    char data_sha256[65];
    char *data_name;
};

int fr_ckpt_write(const char *path, const struct fr_ckpt *k);
/* Errors: FOLKRNN_E_IO, FOLKRNN_E_FORMAT naming what is wrong (not a
   checkpoint, checksum mismatch, truncated), FOLKRNN_E_NOMEM. */
int fr_ckpt_read(const char *path, struct fr_ckpt *k);
void fr_ckpt_free(struct fr_ckpt *k);

/* ---- hashing (sha256.c) ------------------------------------------------ */

/* SHA-256 of size bytes as 64 lowercase hex digits and a NUL. */
void fr_sha256_hex(const void *data, size_t size, char hex[65]);

#endif /* FOLKRNN_TRAIN_INTERNAL_H */
