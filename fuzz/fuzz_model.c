/* fuzz_model.c -- libFuzzer target: bytes through folkrnn_model_load_buffer.

   run.sh builds this file twice, as fuzz_pickle and fuzz_safetensors, and
   gives each its own seed corpus (fuzz/corpus/pickle: small folk-rnn
   pickles of every dialect; fuzz/corpus/safetensors: small libfolkrnn
   safetensors files), so the mutations of each stay deep inside one reader
   and its mapping to a model instead of dying at format detection. */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_and_use(data, size);
    return 0;
}
