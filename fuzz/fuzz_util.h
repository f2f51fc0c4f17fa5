/* fuzz_util.h -- what the libFuzzer targets of fuzz/ share.

   Each target is one LLVMFuzzerTestOneInput over one public entry point of
   libfolkrnn.  A target may only fail by crashing or by a sanitizer report:
   every library status is an acceptable answer to hostile bytes, so the
   helpers here check the library's own promises instead (an error always
   has a message, *out is NULL after a failure, a loaded model can step). */
#ifndef FOLKRNN_FUZZ_UTIL_H
#define FOLKRNN_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <folkrnn.h>

/* Stop the run with a message: libFuzzer treats abort() as a crash and
   saves the input. */
#define FUZZ_CHECK(cond)                                                         \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: broken promise: %s (errmsg: %s)\n", __FILE__, \
                    __LINE__, #cond, folkrnn_errmsg());                         \
            abort();                                                             \
        }                                                                        \
    } while (0)

/* A failing status is negative, a known code, and leaves a message. */
static inline void fuzz_check_status(int rc)
{
    if (rc >= 0)
        return;
    FUZZ_CHECK(rc >= FOLKRNN_E_PARSE);
    FUZZ_CHECK(folkrnn_errmsg()[0] != '\0');
}

/* The fuzzer's bytes as a NUL-terminated string (caller frees). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Load bytes as a model; when that works, use the model the way a program
   would (so a loader that lets inconsistent shapes through is caught by
   ASan in the step): a state, two steps with the first and last token, a
   clone.  Models too big to step quickly are only freed. */
static inline void fuzz_load_and_use(const uint8_t *data, size_t size)
{
    folkrnn_model *m = (folkrnn_model *)1;
    int rc = folkrnn_model_load_buffer(data, size, &m);
    fuzz_check_status(rc);
    if (rc < 0) {
        FUZZ_CHECK(m == NULL);
        return;
    }
    int vocab = folkrnn_model_vocab_size(m);
    FUZZ_CHECK(vocab >= 1);
    FUZZ_CHECK(folkrnn_model_token(m, vocab - 1) != NULL);
    FUZZ_CHECK(folkrnn_model_token(m, vocab) == NULL);
    if (folkrnn_model_num_params(m) < (1L << 20)) {
        folkrnn_state *s = NULL;
        if (folkrnn_state_new(m, 1, &s) == FOLKRNN_OK) {
            float *probs = malloc(sizeof(float) * (size_t)vocab);
            if (!probs)
                abort();
            int tok = 0;
            FUZZ_CHECK(folkrnn_state_step(s, &tok, probs) == FOLKRNN_OK);
            tok = vocab - 1;
            FUZZ_CHECK(folkrnn_state_step(s, &tok, probs) == FOLKRNN_OK);
            tok = vocab;
            FUZZ_CHECK(folkrnn_state_step(s, &tok, probs) == FOLKRNN_E_RANGE);
            free(probs);
            folkrnn_state_free(s);
        }
        folkrnn_model *c = NULL;
        if (folkrnn_model_clone(m, &c) == FOLKRNN_OK)
            folkrnn_model_free(c);
    }
    folkrnn_model_free(m);
}

/* The folk-rnn v2 vocabulary, made once per process. */
static inline const folkrnn_vocab *fuzz_vocab_v2(void)
{
    static folkrnn_vocab *v;
    if (!v && folkrnn_vocab_v2(&v) != FOLKRNN_OK)
        abort();
    return v;
}

#endif
