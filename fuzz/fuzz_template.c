/* fuzz_template.c -- libFuzzer target: folkrnn.org-style templates ("*"
   where the model chooses) parsed with FOLKRNN_PARSE_WILDCARD and sampled
   from, with a meter, a mode and a prime that may contradict them.

   Input: byte 0 picks the meter (a v2 meter token, or none), byte 1 the
   mode, byte 2 whether the text is a template (even) or a prime (odd;
   wildcards there must be refused), byte 3 the seed; the rest is the text.
   The model is the v2 vocabulary over one layer of 4 units with zero
   weights: a uniform distribution, so every forced and free path is
   reachable and a step costs little. */
#include "fuzz_util.h"

static folkrnn_model *uniform_model(void)
{
    static folkrnn_model *m;
    if (m)
        return m;
    const folkrnn_vocab *v = fuzz_vocab_v2();
    int n = folkrnn_vocab_size(v);
    const char **tokens = malloc(sizeof(char *) * (size_t)n);
    if (!tokens)
        abort();
    for (int i = 0; i < n; i++)
        tokens[i] = folkrnn_vocab_token(v, i);
    int units = 4;
    if (folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, &units, n, tokens, 0, &m) != FOLKRNN_OK)
        abort();
    free(tokens);
    return m;
}

/* Token id number `pick` of class cls, or -1 (none) when pick is past them. */
static int pick_of_class(const folkrnn_model *m, int cls, int pick)
{
    int ids[64];
    int n = folkrnn_model_class_ids(m, cls, ids, 64);
    return pick < n && pick < 64 ? ids[pick] : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    const folkrnn_vocab *v = fuzz_vocab_v2();
    folkrnn_model *m = uniform_model();
    char *text = fuzz_cstring(data + 4, size - 4);
    int n = folkrnn_parse_tokens(v, text, FOLKRNN_PARSE_WILDCARD, NULL, 0);
    fuzz_check_status(n);
    if (n < 0 || n > 2000) {
        free(text);
        return 0;
    }
    int *items = malloc(sizeof(int) * (size_t)n + 1);
    FUZZ_CHECK(items != NULL);
    FUZZ_CHECK(folkrnn_parse_tokens(v, text, FOLKRNN_PARSE_WILDCARD, items, n) == n);
    int wildcards = 0;
    for (int i = 0; i < n; i++)
        wildcards += items[i] == FOLKRNN_WILDCARD;

    folkrnn_sampler *s;
    FUZZ_CHECK(folkrnn_sampler_new(m, &s) == FOLKRNN_OK);
    FUZZ_CHECK(folkrnn_sampler_set_max_len(s, 48) == FOLKRNN_OK);
    FUZZ_CHECK(folkrnn_sampler_set_seed(s, data[3]) == FOLKRNN_OK);
    FUZZ_CHECK(folkrnn_sampler_set_meter(s, pick_of_class(m, FOLKRNN_TOKEN_METER, data[0] % 9)) ==
               FOLKRNN_OK);
    FUZZ_CHECK(folkrnn_sampler_set_mode(s, pick_of_class(m, FOLKRNN_TOKEN_MODE, data[1] % 6)) ==
               FOLKRNN_OK);
    int as_prime = data[2] & 1;
    int rc = as_prime ? folkrnn_sampler_set_prime(s, items, n)
                      : folkrnn_sampler_set_template(s, items, n);
    fuzz_check_status(rc);
    if (as_prime && wildcards)
        FUZZ_CHECK(rc < 0);
    if (rc == FOLKRNN_OK) {
        folkrnn_tunes *t = (folkrnn_tunes *)1;
        rc = folkrnn_sample(s, 1, &t);
        fuzz_check_status(rc);
        if (rc == FOLKRNN_OK) {
            int len;
            const int *tune = folkrnn_tunes_tokens(t, 0, &len);
            FUZZ_CHECK(tune != NULL && len >= 0);
            for (int i = 0; i < len; i++)
                FUZZ_CHECK(tune[i] >= 0 && tune[i] < folkrnn_model_vocab_size(m));
            folkrnn_tunes_free(t);
        } else {
            FUZZ_CHECK(t == NULL);
        }
    }
    folkrnn_sampler_free(s);
    free(items);
    free(text);
    return 0;
}
