/* kernels.c -- the small numerical building blocks of a step.

   The cell kernels run eight units at a time with simd.h's vector
   exponential (compiled for AVX2 machines and for any x86-64, chosen when
   the library loads).  Each lane does the same IEEE single-precision
   operations whatever its position, so a value does not depend on the
   vector width or on which kernels computed its neighbours: a step with
   hooks gives bit for bit the numbers of a step without. */
#include <cblas.h>
#include <math.h>
#include "internal.h"
#include "simd.h"

void fr_softmax(float *x, int n)
{
    float max = x[0];
    for (int i = 1; i < n; i++)
        if (x[i] > max)
            max = x[i];
    /* Each exponential once, kept as a float: rounding it before the
       division costs at most one more float rounding of the result. */
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double e = exp((double)x[i] - (double)max);
        sum += e;
        x[i] = (float)e;
    }
    double scale = 1.0 / sum;
    for (int i = 0; i < n; i++)
        x[i] = (float)(x[i] * scale);
}

void fr_matmul_acc(int rows, int k, int n, const float *X, int ldx, const float *W, int ldw,
                   float *Y, int ldy)
{
    /* One row is a matrix-vector product: y += W^T x with W row-major. */
    if (rows == 1)
        cblas_sgemv(CblasRowMajor, CblasTrans, k, n, 1.0f, W, ldw, X, 1, 1.0f, Y, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n, k, 1.0f, X, ldx, W, ldw,
                    1.0f, Y, ldy);
}

/* j runs over the units eight at a time; k is the number of lanes in use,
   8 but at the end of a row. */
#define LANES(j, k, U) \
    for (int j = 0, k = (U) < 8 ? (U) : 8; j < (U); j += 8, k = (U) - j < 8 ? (U) - j : 8)

FR_MULTIVERSION
void fr_lstm_gates(float *pre, int U)
{
    LANES(j, k, U) {
        fr_v8_store(pre + j, fr_vsigmoid(fr_v8_load(pre + j, k)), k);
        fr_v8_store(pre + U + j, fr_vsigmoid(fr_v8_load(pre + U + j, k)), k);
        fr_v8_store(pre + 2 * U + j, fr_vtanh(fr_v8_load(pre + 2 * U + j, k)), k);
        fr_v8_store(pre + 3 * U + j, fr_vsigmoid(fr_v8_load(pre + 3 * U + j, k)), k);
    }
}

FR_MULTIVERSION
void fr_lstm_cell(const float *gates, const float *c_prev, float *c, int U)
{
    const float *i = gates, *f = gates + U, *g = gates + 2 * U;
    LANES(j, k, U) {
        fr_v8 cj = fr_v8_load(f + j, k) * fr_v8_load(c_prev + j, k) +
                   fr_v8_load(i + j, k) * fr_v8_load(g + j, k);
        fr_v8_store(c + j, cj, k);
    }
}

FR_MULTIVERSION
void fr_lstm_hidden(const float *o, const float *c, float *h, int U)
{
    LANES(j, k, U)
        fr_v8_store(h + j, fr_v8_load(o + j, k) * fr_vtanh(fr_v8_load(c + j, k)), k);
}

FR_MULTIVERSION
void fr_gru_gates(float *pre_in, const float *pre_hid, int U)
{
    LANES(j, k, 2 * U)
        fr_v8_store(pre_in + j, fr_vsigmoid(fr_v8_load(pre_in + j, k) + fr_v8_load(pre_hid + j, k)),
                    k);
}

FR_MULTIVERSION
void fr_gru_candidate(float *pre_in, const float *pre_hid, int U)
{
    const float *r = pre_in;
    float *g = pre_in + 2 * U;
    const float *hid_g = pre_hid + 2 * U;
    LANES(j, k, U) {
        fr_v8 a = fr_v8_load(g + j, k) + fr_v8_load(r + j, k) * fr_v8_load(hid_g + j, k);
        fr_v8_store(g + j, fr_vtanh(a), k);
    }
}

FR_MULTIVERSION
void fr_gru_hidden(const float *u, const float *g, const float *h_prev, float *h, int U)
{
    LANES(j, k, U) {
        fr_v8 uj = fr_v8_load(u + j, k);
        fr_v8 hj = (fr_v8_set(1.0f) - uj) * fr_v8_load(h_prev + j, k) + uj * fr_v8_load(g + j, k);
        fr_v8_store(h + j, hj, k);
    }
}
