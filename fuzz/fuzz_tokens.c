/* fuzz_tokens.c -- libFuzzer target: token text (folkrnn_parse_tokens) and
   the single-token functions of section 5 (class, MIDI pitch, duration).

   Promises checked beyond "no crash": sizing with cap 0 and parsing into an
   array of that size agree; a parsed sequence rendered as token text and
   parsed again gives the same ids (every rendered word is one vocabulary
   token, so longest match must find exactly it). */
#include "fuzz_util.h"

static void single_token_functions(const char *text)
{
    /* The text up to the first blank, as a candidate token; the rest as a mode. */
    const char *blank = strchr(text, ' ');
    size_t n = blank ? (size_t)(blank - text) : strlen(text);
    char *tok = fuzz_cstring((const uint8_t *)text, n);
    int cls = folkrnn_token_class(tok);
    FUZZ_CHECK(cls >= 0 && cls < FOLKRNN_TOKEN_NCLASSES);
    int midi = folkrnn_token_midi(tok, blank ? blank + 1 : NULL);
    fuzz_check_status(midi);
    FUZZ_CHECK(midi < 128);
    int num = 0, den = 0;
    int rc = folkrnn_token_duration(tok, &num, &den);
    fuzz_check_status(rc);
    if (rc == FOLKRNN_OK)
        FUZZ_CHECK(num > 0 && den > 0);
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int flags = data[0] & 1 ? FOLKRNN_PARSE_WILDCARD : 0;
    char *text = fuzz_cstring(data + 1, size - 1);
    const folkrnn_vocab *v = fuzz_vocab_v2();
    single_token_functions(text);

    int n = folkrnn_parse_tokens(v, text, flags, NULL, 0);
    fuzz_check_status(n);
    if (n >= 0) {
        int *ids = malloc(sizeof(int) * (size_t)n + 1);
        FUZZ_CHECK(ids != NULL);
        FUZZ_CHECK(folkrnn_parse_tokens(v, text, flags, ids, n) == n);
        int len = folkrnn_render_tokens(v, ids, n, NULL, 0);
        FUZZ_CHECK(len >= 0);
        char *out = malloc((size_t)len + 1);
        FUZZ_CHECK(out != NULL);
        FUZZ_CHECK(folkrnn_render_tokens(v, ids, n, out, (size_t)len + 1) == len);
        FUZZ_CHECK(strlen(out) == (size_t)len);
        int *again = malloc(sizeof(int) * (size_t)n + 1);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(folkrnn_parse_tokens(v, out, flags, again, n) == n);
        FUZZ_CHECK(n == 0 || memcmp(ids, again, sizeof(int) * (size_t)n) == 0);
        free(again);
        free(out);
        free(ids);
    }
    free(text);
    return 0;
}
