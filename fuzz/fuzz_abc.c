/* fuzz_abc.c -- libFuzzer target: ABC text (folkrnn_parse_abc), and the
   tokens it gives through folkrnn_render_abc and back.

   Promises checked beyond "no crash": sizing and parsing agree; a parsed
   tune renders (ABC and token text) with the sizes announced, and the
   rendered ABC parses again. */
#include "fuzz_util.h"

/* Render ids[n] as ABC, then parse it back; both must work. */
static void render_and_reparse(const folkrnn_vocab *v, const int *ids, int n)
{
    int len = folkrnn_render_abc(v, ids, n, 1, "fuzz", NULL, 0);
    FUZZ_CHECK(len >= 0);
    char *abc = malloc((size_t)len + 1);
    FUZZ_CHECK(abc != NULL);
    FUZZ_CHECK(folkrnn_render_abc(v, ids, n, 1, "fuzz", abc, (size_t)len + 1) == len);
    FUZZ_CHECK(strlen(abc) == (size_t)len);
    /* A short buffer truncates but still terminates. */
    char small[8];
    FUZZ_CHECK(folkrnn_render_abc(v, ids, n, 1, "fuzz", small, sizeof small) == len);
    FUZZ_CHECK(strlen(small) < sizeof small);
    int again = folkrnn_parse_abc(v, abc, 0, NULL, 0);
    if (again < 0)
        fprintf(stderr, "rendered ABC does not parse back: %s\n%s\n", folkrnn_errmsg(), abc);
    FUZZ_CHECK(again >= 0);
    free(abc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    const folkrnn_vocab *v = fuzz_vocab_v2();
    int n = folkrnn_parse_abc(v, text, 0, NULL, 0);
    fuzz_check_status(n);
    if (n >= 0) {
        int *ids = malloc(sizeof(int) * (size_t)n + 1);
        FUZZ_CHECK(ids != NULL);
        FUZZ_CHECK(folkrnn_parse_abc(v, text, 0, ids, n) == n);
        render_and_reparse(v, ids, n);
        free(ids);
    }
    free(text);
    return 0;
}
