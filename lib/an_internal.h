/* an_internal.h -- what the analysis files (lib/an_*.c) share.

   Map:
     matrices ....... fr_mat_new, fr_mat_check, fr_mat_finite   (an_matrix.c)
     linear algebra . fr_order_descending                       (an_linalg.c)
     files .......... fr_tmpfile_open, fr_tmpfile_commit        (an_npy.c)
     text ........... fr_font_pixel                             (an_font.c) */
#ifndef FOLKRNN_AN_INTERNAL_H
#define FOLKRNN_AN_INTERNAL_H

#include <stdio.h>
#include "internal.h"

/* pi, which strict C11 <math.h> does not define. */
#define FR_PI 3.14159265358979323846

/* Element (r, c) of a folkrnn_matrix. */
#define FR_AT(a, r, c) ((a)->data[(size_t)(r) * (size_t)(a)->ld + (size_t)(c)])

/* 1 for the hook points that have no layer (LOGITS, PROBS). */
static inline int fr_is_output_point(int point)
{
    return point == FOLKRNN_HOOK_LOGITS || point == FOLKRNN_HOOK_PROBS;
}

/* ---- matrices (an_matrix.c) ---------------------------------------------- */

/* A new owning rows x cols matrix of zeros, or NULL with the error set
   (FOLKRNN_E_NOMEM naming what, or FOLKRNN_E_INVALID for counts < 1). */
folkrnn_matrix *fr_mat_new(int rows, int cols, const char *what, int *status);

/* FOLKRNN_E_INVALID naming the argument when a is NULL or malformed. */
int fr_mat_check(const folkrnn_matrix *a, const char *name);

/* FOLKRNN_E_NUMERIC naming the first non-finite element of a. */
int fr_mat_finite(const folkrnn_matrix *a, const char *name);

/* fr_mat_check then fr_mat_finite. */
int fr_mat_input(const folkrnn_matrix *a, const char *name);

/* FOLKRNN_E_NUMERIC naming the first non-finite of x[n]. */
int fr_vec_finite(const double *x, int n, const char *name);

/* ---- linear algebra (an_linalg.c) ---------------------------------------- */

/* order[n] = indices 0..n-1 by descending v, ties in index order (a stable
   insertion sort: the lengths here are unit and value counts). */
void fr_order_descending(const double *v, int n, int *order);

/* ---- files (an_npy.c) ---------------------------------------------------- */

/* A file written beside its final path and renamed over it when complete. */
struct fr_tmpfile {
    FILE *f;
    char *path; /* final path, owned */
    char *tmp;  /* temporary path, owned */
};

/* Open a temporary file in path's folder for writing. */
int fr_tmpfile_open(struct fr_tmpfile *t, const char *path);
/* Close it; when ok (status 0) and every write succeeded, rename it over the
   final path; otherwise remove it.  Frees the names.  Returns the status. */
int fr_tmpfile_commit(struct fr_tmpfile *t, int status);

/* ---- text (an_font.c) ---------------------------------------------------- */

/* Width and height in pixels of the built-in font's glyph cell at scale 1. */
#define FR_FONT_W 6
#define FR_FONT_H 8

/* 1 when pixel (row < 7, col < 5) of character ch is ink (an_font.c);
   characters outside printable ASCII draw as '?'. */
int fr_font_pixel(int ch, int row, int col);

#endif
