/* train_init.c -- random numbers and folk-rnn's weight initialisation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "train_internal.h"

/* ---- keyed streams (splitmix64) ------------------------------------------ */

uint64_t fr_key(uint64_t parent, uint64_t value)
{
    return fr_mix64(fr_mix64(parent) ^ (value * FR_GOLDEN64 + 0x632be59bd9b4e019ULL));
}

void fr_rng_seed(struct fr_rng *r, uint64_t key)
{
    r->state = key;
}

uint64_t fr_rng_next(struct fr_rng *r)
{
    r->state += FR_GOLDEN64;
    return fr_mix64(r->state);
}

double fr_rng_uniform(struct fr_rng *r)
{
    return (double)(fr_rng_next(r) >> 11) * 0x1p-53;
}

double fr_rng_normal(struct fr_rng *r)
{
    /* Box-Muller; 1 - u keeps the logarithm's argument in (0, 1]. */
    double u = 1.0 - fr_rng_uniform(r), v = fr_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

uint64_t fr_rng_below(struct fr_rng *r, uint64_t n)
{
    /* Reject the top partial copy of [0, n) so every value is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = fr_rng_next(r);
    while (x >= limit);
    return x % n;
}

/* ---- numpy's RandomState (MT19937) ------------------------------------------- */

void fr_mt_seed(struct fr_mt *s, uint32_t seed)
{
    s->mt[0] = seed;
    for (int i = 1; i < 624; i++)
        s->mt[i] = 1812433253u * (s->mt[i - 1] ^ (s->mt[i - 1] >> 30)) + (uint32_t)i;
    s->index = 624;
}

uint32_t fr_mt_next(struct fr_mt *s)
{
    if (s->index >= 624) {
        for (int i = 0; i < 624; i++) {
            uint32_t y = (s->mt[i] & 0x80000000u) | (s->mt[(i + 1) % 624] & 0x7fffffffu);
            s->mt[i] = s->mt[(i + 397) % 624] ^ (y >> 1) ^ (y & 1 ? 0x9908b0dfu : 0);
        }
        s->index = 0;
    }
    uint32_t y = s->mt[s->index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

/* numpy's legacy random_interval(max): masked draws, rejected above max. */
static uint32_t mt_interval(struct fr_mt *s, uint32_t max)
{
    uint32_t mask = max;
    mask |= mask >> 1, mask |= mask >> 2, mask |= mask >> 4, mask |= mask >> 8, mask |= mask >> 16;
    uint32_t v;
    do
        v = fr_mt_next(s) & mask;
    while (v > max);
    return v;
}

void fr_mt_permutation(uint32_t seed, long n, long *perm)
{
    struct fr_mt s;
    fr_mt_seed(&s, seed);
    for (long i = 0; i < n; i++)
        perm[i] = i;
    /* numpy's shuffle: Fisher-Yates from the last element down. */
    for (long i = n - 1; i > 0; i--) {
        long j = (long)mt_interval(&s, (uint32_t)i);
        long tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
}

/* ---- initialisers ---------------------------------------------------------- */

/* Lasagne's GlorotUniform for a (fan_in, fan_out) block with leading
   dimension ld: uniform in +-sqrt(6 / (fan_in + fan_out)). */
static void glorot_uniform(struct fr_rng *r, float *w, int fan_in, int fan_out, int ld)
{
    double limit = sqrt(6.0 / (fan_in + fan_out));
    for (int i = 0; i < fan_in; i++)
        for (int j = 0; j < fan_out; j++)
            w[(size_t)i * ld + j] = (float)((2.0 * fr_rng_uniform(r) - 1.0) * limit);
}

/* Lasagne's Orthogonal for a rows x cols block (leading dimension ld):
   orthonormal columns when rows >= cols, orthonormal rows otherwise, drawn
   uniformly (Gram-Schmidt of a Gaussian matrix, in double).  Lasagne takes
   the same frame from an SVD; both are uniformly distributed. */
static int orthogonal(struct fr_rng *r, float *w, int rows, int cols, int ld)
{
    int k = rows >= cols ? cols : rows, n = rows >= cols ? rows : cols;
    double *v = malloc((size_t)k * (size_t)n * sizeof *v); /* (k, n): the vectors to orthonormalise */
    if (!v)
        return fr_oom("orthogonal initialisation", (size_t)k * (size_t)n * sizeof *v);
    for (size_t i = 0; i < (size_t)k * (size_t)n; i++)
        v[i] = fr_rng_normal(r);
    for (int i = 0; i < k; i++) {
        double *vi = v + (size_t)i * n;
        for (int j = 0; j < i; j++) {
            const double *vj = v + (size_t)j * n;
            double dot = 0.0;
            for (int c = 0; c < n; c++)
                dot += vi[c] * vj[c];
            for (int c = 0; c < n; c++)
                vi[c] -= dot * vj[c];
        }
        double norm = 0.0;
        for (int c = 0; c < n; c++)
            norm += vi[c] * vi[c];
        norm = sqrt(norm);
        for (int c = 0; c < n; c++)
            vi[c] /= norm;
    }
    for (int i = 0; i < k; i++)
        for (int c = 0; c < n; c++) {
            float x = (float)v[(size_t)i * n + c];
            if (rows >= cols)
                w[(size_t)c * ld + i] = x; /* vector i is column i */
            else
                w[(size_t)i * ld + c] = x; /* vector i is row i */
        }
    free(v);
    return FOLKRNN_OK;
}

int fr_train_init_model(struct folkrnn_model *m, uint64_t key, float forget_bias)
{
    struct fr_rng r;
    fr_rng_seed(&r, key);
    for (int l = 0; l < m->num_layers; l++) {
        struct fr_layer *L = &m->layers[l];
        int U = L->units, width = m->ngates * U;
        for (int g = 0; g < m->ngates; g++) {
            glorot_uniform(&r, L->W_in + g * U, L->in, U, width);
            int rc = orthogonal(&r, L->W_hid + g * U, U, U, width);
            if (rc < 0)
                return rc;
        }
        memset(L->b, 0, (size_t)width * sizeof *L->b);
        if (m->cell == FOLKRNN_CELL_LSTM) {
            for (int j = 0; j < U; j++)
                L->b[U + j] = forget_bias; /* gate 1 is the forget gate */
            memset(L->cell_init, 0, (size_t)U * sizeof *L->cell_init);
        }
        int rc = orthogonal(&r, L->hid_init, 1, U, U);
        if (rc < 0)
            return rc;
    }
    int top = m->layers[m->num_layers - 1].units;
    memset(m->dense_b, 0, (size_t)m->vocab_size * sizeof *m->dense_b);
    return orthogonal(&r, m->dense_W, top, m->vocab_size, m->vocab_size);
}
