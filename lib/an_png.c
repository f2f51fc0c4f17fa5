/* an_png.c -- heatmaps as PNG pictures: a matrix drawn cell by cell through a
   colour map, with a title, axis labels, ticks and a colour bar, encoded as
   8-bit RGB PNG (signature, IHDR, IDAT of zlib-compressed rows with filter
   0, IEND; each chunk with its CRC-32).  Text uses the font of an_font.c. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "an_internal.h"

#define MAX_SIDE 16384
#define PAD 10
#define TICK 5
#define BIG 2 /* text scale of the title and axis labels */

typedef unsigned char rgb[3];

static const rgb INK = {0, 0, 0};
static const rgb PAPER = {255, 255, 255};
static const rgb NAN_GREY = {160, 160, 160};

/* ---- colour maps: anchors at equal steps of t in [0, 1] ------------------ */

static const rgb DIVERGING[5] = {
    {20, 50, 140}, {90, 150, 220}, {250, 250, 250}, {230, 110, 80}, {140, 10, 20}};
static const rgb SEQUENTIAL[5] = {
    {255, 255, 255}, {250, 220, 90}, {240, 130, 40}, {190, 30, 30}, {40, 0, 10}};

static void colour_at(const rgb *anchors, double t, unsigned char *out)
{
    t = fmin(1.0, fmax(0.0, t)) * 4.0;
    int k = t >= 4.0 ? 3 : (int)t;
    double f = t - k;
    for (int i = 0; i < 3; i++)
        out[i] = (unsigned char)lround(anchors[k][i] * (1.0 - f) + anchors[k + 1][i] * f);
}

/* ---- a canvas and drawing ------------------------------------------------ */

struct canvas {
    int w, h;
    unsigned char *px; /* h x w x 3 */
};

static void fill(struct canvas *c, int x, int y, int w, int h, const unsigned char *colour)
{
    for (int j = y < 0 ? 0 : y; j < y + h && j < c->h; j++)
        for (int i = x < 0 ? 0 : x; i < x + w && i < c->w; i++)
            memcpy(c->px + ((size_t)j * c->w + i) * 3, colour, 3);
}

static int text_width(const char *s, int scale)
{
    size_t n = strlen(s);
    return n ? (int)n * FR_FONT_W * scale - scale : 0;
}

/* Draw s with its top-left corner at (x, y); vertical text reads bottom to
   top, its box FR_FONT_H*scale wide and text_width tall. */
static void draw_text(struct canvas *c, int x, int y, const char *s, int scale, int vertical)
{
    int len = text_width(s, scale);
    for (int i = 0; s[i]; i++)
        for (int row = 0; row < 7; row++)
            for (int col = 0; col < 5; col++) {
                if (!fr_font_pixel((unsigned char)s[i], row, col))
                    continue;
                int along = (i * FR_FONT_W + col) * scale, across = row * scale;
                if (vertical)
                    fill(c, x + across, y + len - along - scale, scale, scale, INK);
                else
                    fill(c, x + along, y + across, scale, scale, INK);
            }
}

/* ---- ticks --------------------------------------------------------------- */

/* The smallest of 1, 2, 5 times a power of ten that is >= raw (> 0). */
static double nice_step(double raw)
{
    double p = pow(10.0, floor(log10(raw)));
    return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

/* Labels of an index axis: label i of n (names[i], or the number). */
static const char *index_label(const char *const *names, int i, char *buf, size_t size)
{
    if (names && names[i])
        return names[i];
    snprintf(buf, size, "%d", i);
    return buf;
}

/* One index axis: n cells of cell pixels, labelled from names or numbers. */
struct axis {
    int n, cell, scale; /* cells, pixels per cell, text scale of the labels */
    const char *const *names;
    int step;    /* a label every step cells */
    int label_w; /* widest label shown, pixels */
};

static void axis_plan(struct axis *a, int horizontal)
{
    char buf[32];
    a->scale = a->names && a->cell < FR_FONT_H * 2 ? 1 : 2;
    a->label_w = 0;
    for (int i = 0; i < a->n; i++) {
        int w = text_width(index_label(a->names, i, buf, sizeof buf), a->scale);
        a->label_w = w > a->label_w ? w : a->label_w;
    }
    /* room along the axis one label needs: its height (rows) or width (columns) */
    int room = horizontal ? a->label_w + 2 * FR_FONT_W : FR_FONT_H * a->scale + 1;
    a->step = (int)nice_step(fmax(1.0, (double)room / a->cell));
}

/* ---- the heatmap --------------------------------------------------------- */

void folkrnn_heatmap_opts_init(folkrnn_heatmap_opts *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->colormap = FOLKRNN_CMAP_AUTO;
    opts->vmin = opts->vmax = NAN;
}

/* Colour range and map from the options and the finite values of a. */
static void value_range(const folkrnn_matrix *a, folkrnn_heatmap_opts *o)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int r = 0; r < a->rows; r++)
        for (int c = 0; c < a->cols; c++) {
            double v = FR_AT(a, r, c);
            if (isfinite(v))
                lo = fmin(lo, v), hi = fmax(hi, v);
        }
    if (lo > hi)
        lo = 0.0, hi = 1.0;
    if (o->colormap == FOLKRNN_CMAP_AUTO)
        o->colormap = lo < 0.0 && hi > 0.0 ? FOLKRNN_CMAP_DIVERGING : FOLKRNN_CMAP_SEQUENTIAL;
    if (isnan(o->vmin) && isnan(o->vmax) && o->colormap == FOLKRNN_CMAP_DIVERGING) {
        double m = fmax(fabs(lo), fabs(hi));
        lo = -m, hi = m;
    }
    if (isnan(o->vmin))
        o->vmin = lo;
    if (isnan(o->vmax))
        o->vmax = hi;
    if (o->vmin == o->vmax) /* a constant matrix still gets a scale */
        o->vmin -= 0.5, o->vmax += 0.5;
}

static int check_opts(const folkrnn_heatmap_opts *o)
{
    if (o->colormap < FOLKRNN_CMAP_AUTO || o->colormap > FOLKRNN_CMAP_SEQUENTIAL)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_png_heatmap: colormap %d", o->colormap);
    if (o->cell_w < 0 || o->cell_h < 0 || o->cell_w > 256 || o->cell_h > 256)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_png_heatmap: cell %d x %d (0..256)", o->cell_w,
                        o->cell_h);
    if (!isnan(o->vmin) && !isnan(o->vmax) && !(o->vmin < o->vmax))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_png_heatmap: vmin %g not below vmax %g",
                        o->vmin, o->vmax);
    if (o->ncol_marks < 0 || (o->ncol_marks > 0 && !o->col_marks))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_png_heatmap: %d column marks", o->ncol_marks);
    return FOLKRNN_OK;
}

/* Where everything goes. */
struct layout {
    struct axis x, y;
    int left, top; /* corner of the plot */
    int plot_w, plot_h;
    int bar_x, bar_h; /* colour bar */
    int bar_label_w;
    double bar_step;   /* between colour bar ticks */
    int width, height; /* of the picture */
};

static void bar_ticks(const folkrnn_heatmap_opts *o, struct layout *l)
{
    char buf[32];
    l->bar_step = nice_step((o->vmax - o->vmin) / (l->bar_h >= 200 ? 5 : 2));
    l->bar_label_w = 0;
    for (double v = ceil(o->vmin / l->bar_step) * l->bar_step; v <= o->vmax; v += l->bar_step) {
        snprintf(buf, sizeof buf, "%.3g", fabs(v) < 1e-12 * l->bar_step ? 0.0 : v);
        int w = text_width(buf, BIG);
        l->bar_label_w = w > l->bar_label_w ? w : l->bar_label_w;
    }
}

static int picture_height(const folkrnn_heatmap_opts *o, const struct layout *l)
{
    return l->top + l->bar_h + TICK + 3 + FR_FONT_H * l->x.scale +
           (o->xlabel ? PAD + FR_FONT_H * BIG : 0) + PAD;
}

static int plan(const folkrnn_matrix *a, const folkrnn_heatmap_opts *o, struct layout *l)
{
    memset(l, 0, sizeof *l);
    l->x.n = a->cols;
    l->y.n = a->rows;
    l->x.names = o->col_labels;
    l->y.names = o->row_labels;
    l->x.cell = o->cell_w ? o->cell_w : (int)fmin(32, fmax(1, 800 / a->cols));
    l->y.cell = o->cell_h ? o->cell_h : (int)fmin(32, fmax(o->row_labels ? 9 : 1, 600 / a->rows));
    axis_plan(&l->x, 1);
    axis_plan(&l->y, 0);
    l->plot_w = a->cols * l->x.cell;
    l->plot_h = a->rows * l->y.cell;
    l->bar_h = l->plot_h > 100 ? l->plot_h : 100;
    bar_ticks(o, l);
    l->left = PAD + (o->ylabel ? FR_FONT_H * BIG + PAD : 0) + l->y.label_w + TICK + 3;
    l->top = PAD + (o->title ? FR_FONT_H * BIG + PAD : 0);
    l->bar_x = l->left + l->plot_w + 2 * PAD;
    int title_w = o->title ? 2 * PAD + text_width(o->title, BIG) : 0;
    l->width = l->bar_x + 16 + TICK + 3 + l->bar_label_w + PAD;
    l->width = l->width > title_w ? l->width : title_w;
    l->height = picture_height(o, l);
    if ((double)a->cols * l->x.cell > MAX_SIDE || (double)a->rows * l->y.cell > MAX_SIDE ||
        l->width > MAX_SIDE || l->height > MAX_SIDE)
        return fr_error(
            FOLKRNN_E_INVALID,
            "folkrnn_png_heatmap: %d x %d cells of %d x %d pixels exceed %d pixels a side", a->rows,
            a->cols, l->y.cell, l->x.cell, MAX_SIDE);
    return FOLKRNN_OK;
}

static void draw_cells(struct canvas *c, const folkrnn_matrix *a, const folkrnn_heatmap_opts *o,
                       const struct layout *l)
{
    const rgb *map = o->colormap == FOLKRNN_CMAP_DIVERGING ? DIVERGING : SEQUENTIAL;
    unsigned char colour[3];
    for (int r = 0; r < a->rows; r++)
        for (int col = 0; col < a->cols; col++) {
            double v = FR_AT(a, r, col);
            if (isnan(v))
                memcpy(colour, NAN_GREY, 3);
            else
                colour_at(map, (v - o->vmin) / (o->vmax - o->vmin), colour);
            fill(c, l->left + col * l->x.cell, l->top + r * l->y.cell, l->x.cell, l->y.cell,
                 colour);
        }
    for (int i = 0; i < o->ncol_marks; i++)
        if (o->col_marks[i] >= 0 && o->col_marks[i] <= a->cols)
            fill(c, l->left + o->col_marks[i] * l->x.cell, l->top, 1, l->plot_h, INK);
}

static void draw_axes(struct canvas *c, const folkrnn_heatmap_opts *o, const struct layout *l)
{
    char buf[32];
    int bottom = l->top + l->plot_h;
    fill(c, l->left - 1, l->top - 1, l->plot_w + 2, 1, INK); /* frame */
    fill(c, l->left - 1, bottom, l->plot_w + 2, 1, INK);
    fill(c, l->left - 1, l->top - 1, 1, l->plot_h + 2, INK);
    fill(c, l->left + l->plot_w, l->top - 1, 1, l->plot_h + 2, INK);
    for (int i = 0; i < l->x.n; i += l->x.step) {
        int cx = l->left + i * l->x.cell + l->x.cell / 2;
        const char *s = index_label(l->x.names, i, buf, sizeof buf);
        fill(c, cx, bottom + 1, 1, TICK, INK);
        draw_text(c, cx - text_width(s, l->x.scale) / 2, bottom + TICK + 3, s, l->x.scale, 0);
    }
    for (int i = 0; i < l->y.n; i += l->y.step) {
        int cy = l->top + i * l->y.cell + l->y.cell / 2;
        const char *s = index_label(l->y.names, i, buf, sizeof buf);
        fill(c, l->left - 1 - TICK, cy, TICK, 1, INK);
        draw_text(c, l->left - TICK - 3 - text_width(s, l->y.scale),
                  cy - FR_FONT_H * l->y.scale / 2, s, l->y.scale, 0);
    }
    if (o->title)
        draw_text(c, (c->w - text_width(o->title, BIG)) / 2, PAD, o->title, BIG, 0);
    if (o->xlabel)
        draw_text(c, l->left + (l->plot_w - text_width(o->xlabel, BIG)) / 2,
                  bottom + TICK + 3 + FR_FONT_H * l->x.scale + PAD, o->xlabel, BIG, 0);
    if (o->ylabel)
        draw_text(c, PAD, l->top + (l->plot_h - text_width(o->ylabel, BIG)) / 2, o->ylabel, BIG, 1);
}

static void draw_colour_bar(struct canvas *c, const folkrnn_heatmap_opts *o, const struct layout *l)
{
    const rgb *map = o->colormap == FOLKRNN_CMAP_DIVERGING ? DIVERGING : SEQUENTIAL;
    unsigned char colour[3];
    char buf[32];
    for (int j = 0; j < l->bar_h; j++) { /* top is vmax */
        colour_at(map, 1.0 - (double)j / (l->bar_h - 1), colour);
        fill(c, l->bar_x, l->top + j, 16, 1, colour);
    }
    fill(c, l->bar_x - 1, l->top - 1, 18, 1, INK);
    fill(c, l->bar_x - 1, l->top + l->bar_h, 18, 1, INK);
    fill(c, l->bar_x - 1, l->top - 1, 1, l->bar_h + 2, INK);
    fill(c, l->bar_x + 16, l->top - 1, 1, l->bar_h + 2, INK);
    double range = o->vmax - o->vmin;
    for (double v = ceil(o->vmin / l->bar_step) * l->bar_step; v <= o->vmax; v += l->bar_step) {
        int y = l->top + (int)lround((1.0 - (v - o->vmin) / range) * (l->bar_h - 1));
        snprintf(buf, sizeof buf, "%.3g", fabs(v) < 1e-12 * l->bar_step ? 0.0 : v);
        fill(c, l->bar_x + 17, y, TICK, 1, INK);
        draw_text(c, l->bar_x + 17 + TICK + 3, y - FR_FONT_H * BIG / 2, buf, BIG, 0);
    }
}

/* ---- PNG encoding -------------------------------------------------------- */

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24, p[1] = (v >> 16) & 0xff, p[2] = (v >> 8) & 0xff, p[3] = v & 0xff;
}

static void put_chunk(FILE *f, const char *type, const unsigned char *data, uint32_t len)
{
    unsigned char head[8], tail[4];
    be32(head, len);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0, (const Bytef *)type, 4);
    if (len) /* crc32 with a NULL buffer would restart */
        crc = crc32(crc, data, len);
    be32(tail, (uint32_t)crc);
    fwrite(head, 1, 8, f);
    if (len) /* robustness (issue 8): IEND has no data, and fwrite(NULL, ...)
                is undefined (UBSan nonnull-attribute in test_analysis) */
        fwrite(data, 1, len, f);
    fwrite(tail, 1, 4, f);
}

static int write_png(const char *path, const struct canvas *c)
{
    size_t stride = (size_t)c->w * 3 + 1, rawlen = stride * c->h;
    unsigned char *raw = malloc(rawlen); /* h x (1 + 3w): filter byte 0, then the row */
    uLongf zlen = compressBound((uLong)rawlen);
    unsigned char *z = malloc(zlen);
    int rc = FOLKRNN_OK;
    if (!raw || !z) {
        rc = fr_oom("PNG buffers", rawlen + zlen);
    } else {
        for (int y = 0; y < c->h; y++) {
            raw[y * stride] = 0;
            memcpy(raw + y * stride + 1, c->px + (size_t)y * c->w * 3, (size_t)c->w * 3);
        }
        if (compress2(z, &zlen, raw, (uLong)rawlen, 6) != Z_OK)
            rc = fr_oom("PNG compression", zlen);
    }
    struct fr_tmpfile t;
    if (!rc && !(rc = fr_tmpfile_open(&t, path))) {
        unsigned char ihdr[13] = {0};
        be32(ihdr, (uint32_t)c->w);
        be32(ihdr + 4, (uint32_t)c->h);
        ihdr[8] = 8; /* bits per sample */
        ihdr[9] = 2; /* RGB */
        fwrite("\x89PNG\r\n\x1a\n", 1, 8, t.f);
        put_chunk(t.f, "IHDR", ihdr, 13);
        for (uLongf at = 0; at < zlen; at += 1u << 20) {
            uLongf part = zlen - at < (1u << 20) ? zlen - at : 1u << 20;
            put_chunk(t.f, "IDAT", z + at, (uint32_t)part);
        }
        put_chunk(t.f, "IEND", NULL, 0);
        rc = fr_tmpfile_commit(&t, FOLKRNN_OK);
    }
    free(raw);
    free(z);
    return rc;
}

int folkrnn_png_heatmap(const char *path, const folkrnn_matrix *a, const folkrnn_heatmap_opts *opts)
{
    int rc = fr_mat_check(a, "folkrnn_png_heatmap a");
    if (rc)
        return rc;
    if (!path)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_png_heatmap: NULL path");
    folkrnn_heatmap_opts o;
    folkrnn_heatmap_opts_init(&o);
    if ((rc = fr_opts_over(&o, sizeof o, opts, offsetof(folkrnn_heatmap_opts, title),
                           "folkrnn_png_heatmap")))
        return rc;
    if ((rc = check_opts(&o)))
        return rc;
    value_range(a, &o);
    struct layout l;
    if ((rc = plan(a, &o, &l)))
        return rc;
    struct canvas c = {l.width, l.height, NULL};
    if (!(c.px = malloc((size_t)c.w * c.h * 3)))
        return fr_oom("PNG canvas", (size_t)c.w * c.h * 3);
    fill(&c, 0, 0, c.w, c.h, PAPER);
    draw_cells(&c, a, &o, &l);
    draw_axes(&c, &o, &l);
    draw_colour_bar(&c, &o, &l);
    rc = write_png(path, &c);
    free(c.px);
    return rc;
}
