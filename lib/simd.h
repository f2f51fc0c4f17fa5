/* simd.h -- eight-lane float vectors (GCC/Clang vector extensions) and
   the exponential the cell kernels of inference and training are built on (internal).

   Why: glibc's expf/tanhf cost more than the matrix products for small
   models and a large share for big ones; these run eight lanes at a time.
   The arithmetic is plain IEEE single precision with no contraction (the
   library builds as ISO C11, so a*b+c is never fused), so every lane, the
   partial tail and every CPU give bit-identical results.

   fr_vexp is Cephes' expf: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two
   parts so n ln2 is exact), e^r by a degree-7 polynomial, 2^n put into the
   exponent bits; relative error about 1e-7 over [-87.3, 88.7] (inputs are
   clamped to [-87.3, 88], so the result is always finite and normal).
   tanh(x) = 1 - 2 / (1 + e^(2x)), absolute error about 1e-7. */
#ifndef FOLKRNN_SIMD_H
#define FOLKRNN_SIMD_H

#include <stdint.h>
#include <string.h>

/* Every helper is inlined into its caller, so each compiled version of a
   kernel gets its own instructions and no vector crosses a call (which is
   also why the compilers' -Wpsabi note about passing AVX vectors does not apply). */
#define FR_VINLINE static inline __attribute__((always_inline))
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef float fr_v8 __attribute__((vector_size(32)));
typedef int32_t fr_v8i __attribute__((vector_size(32)));

/* Kernels that take these are compiled twice on x86-64: for AVX2/FMA
   machines and for any x86-64, chosen when the library loads.
   robustness (issue 8): not under ThreadSanitizer, whose instrumented ifunc
   resolver runs before the TSan runtime is set up and crashes the program
   while the library is being loaded (tests/sanitize.sh tsan); not with
   clang (14, Debian's) either, which gives the dispatcher a local symbol
   "fr_lstm_gates.ifunc", so state.c's calls fail to link (fuzz/run.sh). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__) && \
    !defined(__clang__) && __GNUC__ >= 8 && !defined(__SANITIZE_THREAD__)
#define FR_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FR_MULTIVERSION
#endif

FR_VINLINE fr_v8 fr_v8_set(float x)
{
    return (fr_v8){x, x, x, x, x, x, x, x};
}

/* Load / store n <= 8 floats; missing lanes read as 0. */
FR_VINLINE fr_v8 fr_v8_load(const float *p, int n)
{
    fr_v8 v = fr_v8_set(0.0f);
    if (n == 8)
        memcpy(&v, p, sizeof v); /* one unaligned vector load */
    else
        memcpy(&v, p, (size_t)n * sizeof(float));
    return v;
}

FR_VINLINE void fr_v8_store(float *p, fr_v8 v, int n)
{
    if (n == 8)
        memcpy(p, &v, sizeof v);
    else
        memcpy(p, &v, (size_t)n * sizeof(float));
}

/* Lanewise a where mask is set, else b. */
FR_VINLINE fr_v8 fr_v8_select(fr_v8i mask, fr_v8 a, fr_v8 b)
{
    return (fr_v8)(((fr_v8i)a & mask) | ((fr_v8i)b & ~mask));
}

FR_VINLINE fr_v8 fr_v8_clamp(fr_v8 x, float lo, float hi)
{
    fr_v8 l = fr_v8_set(lo), h = fr_v8_set(hi);
    x = fr_v8_select(x < l, l, x);
    return fr_v8_select(x > h, h, x);
}

FR_VINLINE fr_v8 fr_vexp(fr_v8 x)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    x = fr_v8_clamp(x, -87.33654f, 88.0f); /* keeps 2^n normal: -126 <= n <= 127 */
    fr_v8 t = x * fr_v8_set(1.44269504088896341f) + fr_v8_set(magic);
    fr_v8 n = t - fr_v8_set(magic);
    fr_v8i ni = (fr_v8i)t - (fr_v8i)fr_v8_set(magic); /* n as an integer */
    fr_v8 r = x - n * fr_v8_set(0.693359375f) - n * fr_v8_set(-2.12194440e-4f);
    fr_v8 p = fr_v8_set(1.9875691500e-4f);
    p = p * r + fr_v8_set(1.3981999507e-3f);
    p = p * r + fr_v8_set(8.3334519073e-3f);
    p = p * r + fr_v8_set(4.1665795894e-2f);
    p = p * r + fr_v8_set(1.6666665459e-1f);
    p = p * r + fr_v8_set(5.0000001201e-1f);
    fr_v8 y = p * r * r + r + fr_v8_set(1.0f);
    fr_v8i scale = (ni + 127) << 23;
    return y * (fr_v8)scale;
}

FR_VINLINE fr_v8 fr_vsigmoid(fr_v8 x)
{
    return fr_v8_set(1.0f) / (fr_v8_set(1.0f) + fr_vexp(-x));
}

FR_VINLINE fr_v8 fr_vtanh(fr_v8 x)
{
    return fr_v8_set(1.0f) - fr_v8_set(2.0f) / (fr_v8_set(1.0f) + fr_vexp(x + x));
}

#endif /* FOLKRNN_SIMD_H */
