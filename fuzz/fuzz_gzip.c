/* fuzz_gzip.c -- libFuzzer target: gzip-compressed models.

   Mutating compressed bytes mostly tests the inflater; mutating what is
   inside needs the harness to compress.  The first input byte chooses:
     0 (mod 3)  the rest is passed as is (seeds: small .gz models);
     1          the rest is gzip-compressed here, then loaded;
     2          as 1, and the gzip trailer's size field (ISIZE, the
                uncompressed size mod 2^32, which the loader uses as a
                first guess of the output size) is replaced by the 4 bytes
                after the mode byte: a hostile file lies about its size.
   Run with -malloc_limit_mb so that an allocation sized by such a lie,
   rather than by the bytes present, is reported as a crash. */
#include <zlib.h>
#include "fuzz_util.h"

/* gzip-compress in[n]; caller frees *out. */
static size_t gzip_bytes(const uint8_t *in, size_t n, uint8_t **out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&zs, (uLong)n) + 32;
    *out = malloc(cap);
    if (!*out)
        abort();
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = *out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 24))
        return 0;
    int mode = data[0] % 3;
    if (mode == 0) {
        fuzz_load_and_use(data + 1, size - 1);
        return 0;
    }
    const uint8_t *lie = data + 1;
    size_t skip = mode == 2 ? 5 : 1;
    if (size < skip)
        return 0;
    uint8_t *gz;
    size_t n = gzip_bytes(data + skip, size - skip, &gz);
    if (mode == 2)
        memcpy(gz + n - 4, lie, 4);
    fuzz_load_and_use(gz, n);
    free(gz);
    return 0;
}
