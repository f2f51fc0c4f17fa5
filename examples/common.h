/* common.h -- the little every example shares, so that each example shows
   only its analysis: arguments, stopping on errors, output file names,
   tokens in a readable order, and writing a picture in one call.

   Every example is run as
       example [MODEL [OUTDIR [N]]]
   MODEL defaults to folkrnn_default_model_path(), OUTDIR to "." (made when
   missing), N (where an example draws tunes) to a number it states. */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <folkrnn.h>

/* Load argv[1] (or the default model), make the output folder argv[2] (or
   ".") and remember it for ex_path.  Stops the program on failure. */
folkrnn_model *ex_start(int argc, char **argv);

/* argv[3] as a positive count, or fallback when absent. */
int ex_count_arg(int argc, char **argv, int fallback);

/* Stop with a message naming what failed when status < 0. */
void ex_check(int status, const char *what);

/* OUTDIR/name, in one of a few rotating static buffers. */
const char *ex_path(const char *name);

/* The model's token ids in reading order: meter, mode, start, end, bar,
   pitch (low to high), duration (short to long), broken rhythm, tuplet,
   chord, rest, other.  order[vocab], malloc'ed: caller frees. */
int *ex_token_order(const folkrnn_model *m);

/* Token texts in that order, borrowed from m; labels[vocab], malloc'ed. */
const char **ex_token_labels(const folkrnn_model *m, const int *order);

/* A new matrix whose row i is row order[i] of a (and, when cols_too, whose
   column j is column order[j]: for token x token Gram matrices). */
folkrnn_matrix *ex_reorder(const folkrnn_matrix *a, const int *order, int cols_too);

/* Write a PNG heatmap OUTDIR/name and say so.  row_labels may be NULL;
   marks[nmarks] are columns to draw a line before. */
void ex_heatmap(const char *name, const folkrnn_matrix *a, const char *title, const char *xlabel,
                const char *ylabel, const char *const *row_labels, const int *marks, int nmarks,
                int colormap);

/* Write an SVG line plot OUTDIR/name and say so. */
void ex_plot(const char *name, const folkrnn_series *series, int nseries, const char *title,
             const char *xlabel, const char *ylabel, int log_x, int log_y);

/* The power spectra of the hidden units of layer, summed over ntunes tunes
   drawn from m with seed: units x (grid/2 + 1), each tune's periodogram
   (Hann window, mean removed) resampled onto the bins of a signal of grid
   steps so that tunes of any length add up.  Caller frees.  Parts 6 and 7
   of Sturm's series choose units by these spectra. */
folkrnn_matrix *ex_layer_spectra(const folkrnn_model *m, int layer, int ntunes,
                                 unsigned long long seed, int grid);

#endif
