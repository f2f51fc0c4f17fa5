/* an_matrix.c -- the double-precision matrix of the analysis functions:
   constructors (owning copies and views), parameter copies, free. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "an_internal.h"

folkrnn_matrix *fr_mat_new(int rows, int cols, const char *what, int *status)
{
    if (rows < 1 || cols < 1) {
        *status =
            fr_error(FOLKRNN_E_INVALID, "%s: shape (%d, %d) needs both >= 1", what, rows, cols);
        return NULL;
    }
    size_t n = (size_t)rows * (size_t)cols;
    folkrnn_matrix *a = malloc(sizeof *a);
    double *data = n <= SIZE_MAX / sizeof(double) ? calloc(n, sizeof(double)) : NULL;
    if (!a || !data) {
        free(a);
        free(data);
        *status = fr_oom(what, n * sizeof(double));
        return NULL;
    }
    a->rows = rows;
    a->cols = cols;
    a->ld = cols;
    a->data = data;
    a->owner = 1;
    *status = FOLKRNN_OK;
    return a;
}

int fr_mat_check(const folkrnn_matrix *a, const char *name)
{
    if (!a || !a->data)
        return fr_error(FOLKRNN_E_INVALID, "%s: NULL matrix", name);
    if (a->rows < 1 || a->cols < 1 || a->ld < a->cols)
        return fr_error(FOLKRNN_E_INVALID, "%s: malformed matrix (%d x %d, ld %d)", name, a->rows,
                        a->cols, a->ld);
    return FOLKRNN_OK;
}

int fr_mat_finite(const folkrnn_matrix *a, const char *name)
{
    for (int r = 0; r < a->rows; r++)
        for (int c = 0; c < a->cols; c++)
            if (!isfinite(FR_AT(a, r, c)))
                return fr_error(FOLKRNN_E_NUMERIC, "%s[%d, %d] is %g: finite values needed", name,
                                r, c, FR_AT(a, r, c));
    return FOLKRNN_OK;
}

int fr_mat_input(const folkrnn_matrix *a, const char *name)
{
    int rc = fr_mat_check(a, name);
    return rc ? rc : fr_mat_finite(a, name);
}

int fr_vec_finite(const double *x, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return fr_error(FOLKRNN_E_NUMERIC, "%s[%d] is %g: finite values needed", name, i, x[i]);
    return FOLKRNN_OK;
}

int folkrnn_matrix_new(int rows, int cols, folkrnn_matrix **out)
{
    int rc;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_matrix_new: NULL out");
    *out = fr_mat_new(rows, cols, "folkrnn_matrix_new", &rc);
    return rc;
}

/* Arguments shared by the constructors that take caller memory. */
static int check_source(const void *data, int rows, int cols, int ld, void *out, const char *fn)
{
    if (!data || !out)
        return fr_error(FOLKRNN_E_INVALID, "%s: NULL %s", fn, data ? "out" : "data");
    if (rows < 1 || cols < 1 || ld < cols)
        return fr_error(FOLKRNN_E_INVALID, "%s: %d x %d with ld %d (need counts >= 1, ld >= cols)",
                        fn, rows, cols, ld);
    return FOLKRNN_OK;
}

int folkrnn_matrix_from_double(const double *data, int rows, int cols, int ld, folkrnn_matrix **out)
{
    int rc = check_source(data, rows, cols, ld, out, "folkrnn_matrix_from_double");
    if (rc)
        return rc;
    if (!(*out = fr_mat_new(rows, cols, "folkrnn_matrix_from_double", &rc)))
        return rc;
    for (int r = 0; r < rows; r++)
        memcpy(&FR_AT(*out, r, 0), data + (size_t)r * ld, (size_t)cols * sizeof(double));
    return FOLKRNN_OK;
}

int folkrnn_matrix_from_float(const float *data, int rows, int cols, int ld, folkrnn_matrix **out)
{
    int rc = check_source(data, rows, cols, ld, out, "folkrnn_matrix_from_float");
    if (rc)
        return rc;
    if (!(*out = fr_mat_new(rows, cols, "folkrnn_matrix_from_float", &rc)))
        return rc;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            FR_AT(*out, r, c) = data[(size_t)r * ld + c];
    return FOLKRNN_OK;
}

/* A non-owning matrix header over data. */
static int make_view(double *data, int rows, int cols, int ld, folkrnn_matrix **out)
{
    folkrnn_matrix *a = malloc(sizeof *a);
    if (!a)
        return fr_oom("matrix view", sizeof *a);
    a->rows = rows;
    a->cols = cols;
    a->ld = ld;
    a->data = data;
    a->owner = 0;
    *out = a;
    return FOLKRNN_OK;
}

int folkrnn_matrix_view(double *data, int rows, int cols, int ld, folkrnn_matrix **out)
{
    int rc = check_source(data, rows, cols, ld, out, "folkrnn_matrix_view");
    if (rc)
        return rc;
    *out = NULL;
    return make_view(data, rows, cols, ld, out);
}

int folkrnn_matrix_block(const folkrnn_matrix *a, int r0, int c0, int rows, int cols,
                         folkrnn_matrix **out)
{
    int rc = fr_mat_check(a, "folkrnn_matrix_block");
    if (rc)
        return rc;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_matrix_block: NULL out");
    *out = NULL;
    if (rows < 1 || cols < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_matrix_block: block %d x %d", rows, cols);
    if (r0 < 0 || c0 < 0 || r0 > a->rows - rows || c0 > a->cols - cols)
        return fr_error(
            FOLKRNN_E_RANGE,
            "folkrnn_matrix_block: rows [%d, %d) x cols [%d, %d) outside a %d x %d matrix", r0,
            r0 + rows, c0, c0 + cols, a->rows, a->cols);
    return make_view(&FR_AT(a, r0, c0), rows, cols, a->ld, out);
}

int folkrnn_matrix_from_param(const folkrnn_model *m, int layer, int which, folkrnn_matrix **out)
{
    const float *data;
    int rows, cols, ld;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_matrix_from_param: NULL out");
    *out = NULL;
    int rc = folkrnn_model_param_const(m, layer, which, &data, &rows, &cols, &ld);
    return rc ? rc : folkrnn_matrix_from_float(data, rows, cols, ld, out);
}

int folkrnn_matrix_copy(const folkrnn_matrix *a, folkrnn_matrix **out)
{
    int rc = fr_mat_check(a, "folkrnn_matrix_copy");
    if (rc)
        return rc;
    return folkrnn_matrix_from_double(a->data, a->rows, a->cols, a->ld, out);
}

int folkrnn_matrix_transpose(const folkrnn_matrix *a, folkrnn_matrix **out)
{
    int rc = fr_mat_check(a, "folkrnn_matrix_transpose");
    if (rc)
        return rc;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_matrix_transpose: NULL out");
    if (!(*out = fr_mat_new(a->cols, a->rows, "folkrnn_matrix_transpose", &rc)))
        return rc;
    for (int r = 0; r < a->rows; r++)
        for (int c = 0; c < a->cols; c++)
            FR_AT(*out, c, r) = FR_AT(a, r, c);
    return FOLKRNN_OK;
}

int folkrnn_matrix_add(folkrnn_matrix *dst, const folkrnn_matrix *src, double scale)
{
    int rc = fr_mat_check(dst, "folkrnn_matrix_add dst");
    if (rc || (rc = fr_mat_check(src, "folkrnn_matrix_add src")))
        return rc;
    if (dst->rows != src->rows || dst->cols != src->cols)
        return fr_error(FOLKRNN_E_SHAPE, "folkrnn_matrix_add: dst is %d x %d, src %d x %d",
                        dst->rows, dst->cols, src->rows, src->cols);
    for (int r = 0; r < dst->rows; r++)
        for (int c = 0; c < dst->cols; c++)
            FR_AT(dst, r, c) += scale * FR_AT(src, r, c);
    return FOLKRNN_OK;
}

void folkrnn_matrix_free(folkrnn_matrix *a)
{
    if (!a)
        return;
    if (a->owner)
        free(a->data);
    free(a);
}
