/* common.c -- helpers shared by the examples (see common.h). */
#include "common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *outdir = ".";

void ex_check(int status, const char *what)
{
    if (status >= 0)
        return;
    const char *msg = *folkrnn_errmsg() ? folkrnn_errmsg() : folkrnn_strerror(status);
    fprintf(stderr, "%s: %s\n", what, msg);
    exit(1);
}

folkrnn_model *ex_start(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : folkrnn_default_model_path();
    if (argc > 2)
        outdir = argv[2];
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s\n", outdir, strerror(errno));
        exit(1);
    }
    folkrnn_model *m;
    ex_check(folkrnn_model_load(path, &m), path);
    printf("model %s: %d layers of %d units, %d tokens\n", path, folkrnn_model_num_layers(m),
           folkrnn_model_hidden_size(m, 0), folkrnn_model_vocab_size(m));
    return m;
}

int ex_count_arg(int argc, char **argv, int fallback)
{
    if (argc <= 3)
        return fallback;
    int n = atoi(argv[3]);
    if (n < 1) {
        fprintf(stderr, "%s: the count must be a positive number\n", argv[3]);
        exit(2);
    }
    return n;
}

const char *ex_path(const char *name)
{
    static char buf[4][4096];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", outdir, name);
    return p;
}

/* ---- tokens in reading order -------------------------------------------- */

/* Rank of each class in the reading order (index: FOLKRNN_TOKEN_*). */
static const int class_rank[FOLKRNN_TOKEN_NCLASSES] = {
    [FOLKRNN_TOKEN_METER] = 0,    [FOLKRNN_TOKEN_MODE] = 1,   [FOLKRNN_TOKEN_START] = 2,
    [FOLKRNN_TOKEN_END] = 3,      [FOLKRNN_TOKEN_BAR] = 4,    [FOLKRNN_TOKEN_PITCH] = 5,
    [FOLKRNN_TOKEN_DURATION] = 6, [FOLKRNN_TOKEN_BROKEN] = 7, [FOLKRNN_TOKEN_TUPLET] = 8,
    [FOLKRNN_TOKEN_CHORD] = 9,    [FOLKRNN_TOKEN_REST] = 10,  [FOLKRNN_TOKEN_OTHER] = 11};

static const folkrnn_model *sort_model; /* qsort has no user pointer */

/* Within a class: pitches by MIDI note, durations by length, else by text. */
static double within_class(const char *text, int cls)
{
    int num, den;
    if (cls == FOLKRNN_TOKEN_PITCH)
        return folkrnn_token_midi(text, NULL);
    if (cls == FOLKRNN_TOKEN_DURATION && folkrnn_token_duration(text, &num, &den) == 0)
        return (double)num / den;
    return 0.0;
}

static int by_reading_order(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    const char *ta = folkrnn_model_token(sort_model, a), *tb = folkrnn_model_token(sort_model, b);
    int ca = folkrnn_model_token_class(sort_model, a),
        cb = folkrnn_model_token_class(sort_model, b);
    if (class_rank[ca] != class_rank[cb])
        return class_rank[ca] - class_rank[cb];
    double ka = within_class(ta, ca), kb = within_class(tb, cb);
    if (ka != kb)
        return ka < kb ? -1 : 1;
    return strcmp(ta, tb);
}

int *ex_token_order(const folkrnn_model *m)
{
    int vocab = folkrnn_model_vocab_size(m);
    int *order = malloc((size_t)vocab * sizeof *order);
    if (!order)
        ex_check(FOLKRNN_E_NOMEM, "token order");
    for (int i = 0; i < vocab; i++)
        order[i] = i;
    sort_model = m;
    qsort(order, (size_t)vocab, sizeof *order, by_reading_order);
    return order;
}

const char **ex_token_labels(const folkrnn_model *m, const int *order)
{
    int vocab = folkrnn_model_vocab_size(m);
    const char **labels = malloc((size_t)vocab * sizeof *labels);
    if (!labels)
        ex_check(FOLKRNN_E_NOMEM, "token labels");
    for (int i = 0; i < vocab; i++)
        labels[i] = folkrnn_model_token(m, order[i]);
    return labels;
}

folkrnn_matrix *ex_reorder(const folkrnn_matrix *a, const int *order, int cols_too)
{
    folkrnn_matrix *out;
    ex_check(folkrnn_matrix_new(a->rows, a->cols, &out), "reorder");
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++)
            out->data[(size_t)i * out->ld + j] =
                a->data[(size_t)order[i] * a->ld + (cols_too ? order[j] : j)];
    return out;
}

/* ---- pictures ------------------------------------------------------------ */

void ex_heatmap(const char *name, const folkrnn_matrix *a, const char *title, const char *xlabel,
                const char *ylabel, const char *const *row_labels, const int *marks, int nmarks,
                int colormap)
{
    folkrnn_heatmap_opts o;
    folkrnn_heatmap_opts_init(&o);
    o.title = title, o.xlabel = xlabel, o.ylabel = ylabel, o.colormap = colormap;
    o.row_labels = row_labels, o.col_marks = marks, o.ncol_marks = nmarks;
    ex_check(folkrnn_png_heatmap(ex_path(name), a, &o), ex_path(name));
    printf("wrote %s\n", ex_path(name));
}

void ex_plot(const char *name, const folkrnn_series *series, int nseries, const char *title,
             const char *xlabel, const char *ylabel, int log_x, int log_y)
{
    folkrnn_plot_opts o;
    folkrnn_plot_opts_init(&o);
    o.title = title, o.xlabel = xlabel, o.ylabel = ylabel, o.log_x = log_x, o.log_y = log_y;
    ex_check(folkrnn_svg_lines(ex_path(name), series, nseries, &o), ex_path(name));
    printf("wrote %s\n", ex_path(name));
}

/* ---- spectra of a layer over many tunes ----------------------------------- */

folkrnn_matrix *ex_layer_spectra(const folkrnn_model *m, int layer, int ntunes,
                                 unsigned long long seed, int grid)
{
    folkrnn_sampler *s;
    folkrnn_recorder *rec;
    folkrnn_matrix *sum = NULL;
    ex_check(folkrnn_sampler_new(m, &s), "sampler");
    ex_check(folkrnn_sampler_set_seed(s, seed), "seed");
    ex_check(folkrnn_recorder_new(folkrnn_sampler_state(s), 0, &rec), "recorder");
    ex_check(folkrnn_recorder_add(rec, FOLKRNN_HOOK_HIDDEN, layer), "record hidden");
    for (int k = 0; k < ntunes; k++) {
        folkrnn_tunes *t;
        folkrnn_matrix *h, *power;
        folkrnn_recorder_clear(rec); /* one tune at a time */
        ex_check(folkrnn_sample(s, 1, &t), "sample");
        ex_check(folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_HIDDEN, layer, 0, &h), "hidden");
        /* h: steps x units; power: units x (grid/2 + 1) */
        ex_check(folkrnn_unit_spectra(h, FOLKRNN_WINDOW_HANN, 1, grid, &power), "spectra");
        if (sum)
            ex_check(folkrnn_matrix_add(sum, power, 1.0), "sum of spectra");
        else
            ex_check(folkrnn_matrix_copy(power, &sum), "sum of spectra");
        folkrnn_matrix_free(power);
        folkrnn_matrix_free(h);
        folkrnn_tunes_free(t);
    }
    folkrnn_recorder_free(rec);
    folkrnn_sampler_free(s);
    return sum;
}
