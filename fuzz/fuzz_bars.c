/* fuzz_bars.c -- libFuzzer target: bar counting (folkrnn_bars_count) of any
   token sequence, one byte per token: bytes below the v2 vocabulary size
   are ids; 254 is the first id past the end and 255 is -1 (both must be
   refused with FOLKRNN_E_RANGE); others wrap around the vocabulary.

   Promises checked beyond "no crash": every bar lies inside the sequence,
   bars come in order, lengths have positive denominators, the counts of
   the summary agree with the bars, every fault is one known bit at a token
   index in [0, n]. */
#include "fuzz_util.h"

static void check_bars(const folkrnn_bars *b, int n)
{
    int nbars = -1, ncorrect = -1;
    double share = -1;
    FUZZ_CHECK(folkrnn_bars_summary(b, &nbars, &ncorrect, &share) == FOLKRNN_OK);
    FUZZ_CHECK(nbars >= 0 && ncorrect >= 0 && ncorrect <= nbars);
    FUZZ_CHECK(share >= 0 && share <= 1);
    int correct = 0, prev_end = 0;
    for (int i = 0; i < nbars; i++) {
        int first, end, kind;
        long num, den, mnum, mden;
        FUZZ_CHECK(folkrnn_bars_bar(b, i, &first, &end, &kind, &num, &den, &mnum, &mden) == 0);
        FUZZ_CHECK(0 <= first && first <= end && end <= n);
        FUZZ_CHECK(first >= prev_end);
        FUZZ_CHECK(folkrnn_bar_kind_name(kind) != NULL);
        FUZZ_CHECK(den > 0 && mden > 0);
        correct += kind == FOLKRNN_BAR_FULL || kind == FOLKRNN_BAR_PICKUP ||
                   kind == FOLKRNN_BAR_CLOSING;
        prev_end = end;
    }
    FUZZ_CHECK(correct == ncorrect);
    FUZZ_CHECK(folkrnn_bars_bar(b, nbars, NULL, NULL, NULL, NULL, NULL, NULL, NULL) ==
               FOLKRNN_E_RANGE);
    int mask = folkrnn_bars_faults(b), seen = 0;
    FUZZ_CHECK(mask >= 0);
    int nfaults = folkrnn_bars_nfaults(b);
    FUZZ_CHECK(nfaults >= 0);
    for (int i = 0; i < nfaults; i++) {
        int kind, token;
        FUZZ_CHECK(folkrnn_bars_fault(b, i, &kind, &token) == FOLKRNN_OK);
        FUZZ_CHECK(folkrnn_fault_name(kind) != NULL);
        FUZZ_CHECK(0 <= token && token <= n);
        seen |= kind;
    }
    FUZZ_CHECK(seen == mask);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const folkrnn_vocab *v = fuzz_vocab_v2();
    int vocab = folkrnn_vocab_size(v);
    int n = (int)(size > 4096 ? 4096 : size);
    int *ids = malloc(sizeof(int) * (size_t)n + 1);
    FUZZ_CHECK(ids != NULL);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int b = data[i];
        ids[i] = b == 255 ? -1 : b == 254 ? vocab : b % vocab;
        bad |= b >= 254;
    }
    folkrnn_bars *bars = (folkrnn_bars *)1;
    int rc = folkrnn_bars_count(v, ids, n, &bars);
    fuzz_check_status(rc);
    FUZZ_CHECK(bad ? rc == FOLKRNN_E_RANGE : rc == FOLKRNN_OK);
    if (rc == FOLKRNN_OK) {
        check_bars(bars, n);
        folkrnn_bars_free(bars);
    }
    free(ids);
    return 0;
}
