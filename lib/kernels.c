/* kernels.c -- the small numerical building blocks of a step. */
#include <cblas.h>
#include <math.h>
#include "internal.h"

float fr_sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

void fr_softmax(float *x, int n)
{
    float max = x[0];
    for (int i = 1; i < n; i++)
        if (x[i] > max)
            max = x[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += exp((double)x[i] - (double)max);
    for (int i = 0; i < n; i++)
        x[i] = (float)(exp((double)x[i] - (double)max) / sum);
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
