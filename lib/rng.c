/* rng.c -- the two random generators of the sampler: numpy's MT19937 for
   reproducing folk-rnn, and xoshiro256** for everything else.

   MT19937 (Matsumoto and Nishimura, 1998) as numpy.random.RandomState(seed)
   runs it: init_genrand(seed), the tempered 32-bit outputs, random_sample()
   = ((a >> 5) * 2^26 + (b >> 6)) / 2^53, and choice(n, p) = searchsorted of
   the float64 cumulative sums normalised by their last value.
   xoshiro256** (Blackman and Vigna, 2018) is seeded by splitmix64, the
   seeding its authors recommend.  Both are exact integer recurrences, so
   every platform draws the same numbers. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "internal.h"

#define MT_N 624
#define MT_M 397

struct folkrnn_rng {
    int kind;           /* FOLKRNN_RNG_* */
    uint32_t mt[MT_N];  /* MT19937 state */
    int mti;            /* next word of mt to temper; MT_N: regenerate first */
    uint64_t xo[4];     /* xoshiro256** state */
};

/* ---- MT19937 ------------------------------------------------------------ */

static void mt_seed(struct folkrnn_rng *r, uint32_t seed)
{
    r->mt[0] = seed;
    for (int i = 1; i < MT_N; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->mti = MT_N;
}

/* The next block of 624 words (the "twist"). */
static void mt_twist(uint32_t *mt)
{
    for (int i = 0; i < MT_N; i++) {
        uint32_t y = (mt[i] & 0x80000000u) | (mt[(i + 1) % MT_N] & 0x7fffffffu);
        mt[i] = mt[(i + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
}

static uint32_t mt_next(struct folkrnn_rng *r)
{
    if (r->mti >= MT_N) {
        mt_twist(r->mt);
        r->mti = 0;
    }
    uint32_t y = r->mt[r->mti++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* ---- xoshiro256** --------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t xo_next(struct folkrnn_rng *r)
{
    uint64_t *s = r->xo;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* ---- public ----------------------------------------------------------------- */

FOLKRNN_API int folkrnn_rng_seed(folkrnn_rng *r, unsigned long long seed)
{
    if (!r)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_rng_seed: NULL generator");
    if (r->kind == FOLKRNN_RNG_NUMPY) {
        if (seed > 0xffffffffull)
            return fr_error(FOLKRNN_E_INVALID,
                            "numpy seed %llu: RandomState takes seeds in [0, 2^32)", seed);
        mt_seed(r, (uint32_t)seed);
    } else {
        uint64_t x = seed;
        for (int i = 0; i < 4; i++)
            r->xo[i] = splitmix64(&x);
    }
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_rng_new(int kind, unsigned long long seed, folkrnn_rng **out)
{
    if (out)
        *out = NULL;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_rng_new: NULL out");
    if (kind != FOLKRNN_RNG_DEFAULT && kind != FOLKRNN_RNG_NUMPY)
        return fr_error(FOLKRNN_E_INVALID, "unknown generator kind %d", kind);
    struct folkrnn_rng *r = calloc(1, sizeof *r);
    if (!r)
        return fr_oom("random generator", sizeof *r);
    r->kind = kind;
    int rc = folkrnn_rng_seed(r, seed);
    if (rc < 0) {
        free(r);
        return rc;
    }
    *out = r;
    return FOLKRNN_OK;
}

FOLKRNN_API void folkrnn_rng_free(folkrnn_rng *r)
{
    free(r);
}

FOLKRNN_API double folkrnn_rng_uniform(folkrnn_rng *r)
{
    if (!r)
        return NAN;
    if (r->kind == FOLKRNN_RNG_NUMPY) {
        uint32_t a = mt_next(r) >> 5, b = mt_next(r) >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }
    return (double)(xo_next(r) >> 11) * 0x1.0p-53;
}

/* numpy's kahan_sum over p as float64, used for its "sum to 1" check. */
static double kahan_sum(const float *p, int n)
{
    double sum = p[0], c = 0.0;
    for (int i = 1; i < n; i++) {
        double y = (double)p[i] - c;
        double t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    return sum;
}

/* The checks numpy's choice makes, and the ones the default kind needs. */
static int check_probs(const struct folkrnn_rng *r, const float *p, int n)
{
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(p[i]))
            return fr_error(FOLKRNN_E_NUMERIC, "probability %d is %g", i, (double)p[i]);
        if (p[i] < 0)
            return fr_error(FOLKRNN_E_INVALID, "probability %d is negative (%g)", i, (double)p[i]);
        total += p[i];
    }
    if (!(total > 0))
        return fr_error(FOLKRNN_E_INVALID, "all %d probabilities are zero", n);
    /* numpy: atol = max(sqrt(eps(float64)), sqrt(eps(float32))) for float32 p */
    const double atol = 3.4526698300124393e-04;
    double sum = kahan_sum(p, n);
    if (r->kind == FOLKRNN_RNG_NUMPY && fabs(sum - 1.0) > atol)
        return fr_error(FOLKRNN_E_INVALID, "probabilities sum to %.9g, not 1 within %g "
                        "(numpy's choice refuses them)", sum, atol);
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_rng_choice(folkrnn_rng *r, const float *p, int n)
{
    if (!r || !p || n < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_rng_choice: %s",
                        !r ? "NULL generator" : !p ? "NULL p" : "n < 1");
    int rc = check_probs(r, p, n);
    if (rc < 0)
        return rc;
    /* cdf = cumsum(p) in float64, cdf /= cdf[-1]; the second pass repeats the
       same additions, so it meets exactly the values numpy stores. */
    double last = 0.0;
    for (int i = 0; i < n; i++)
        last += (double)p[i];
    double u = folkrnn_rng_uniform(r), cum = 0.0;
    for (int i = 0; i < n; i++) {
        cum += (double)p[i];
        if (cum / last > u) /* searchsorted(side='right') */
            return i;
    }
    return n - 1; /* not reached: cdf[-1] / cdf[-1] = 1 > u */
}
