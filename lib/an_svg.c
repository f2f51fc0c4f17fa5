/* an_svg.c -- line plots as SVG: several series, axes with "nice" ticks
   (1, 2, 5 times a power of ten; powers of ten on logarithmic axes), axis
   labels, a title and a legend.  The file is plain SVG 1.1 text that any
   browser or XML parser reads. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "an_internal.h"

#define FONT 13 /* px, tick labels; titles are larger */

/* Line colours, used in turn. */
static const char *const PALETTE[] = {"#1f5fa8", "#d9541e", "#2a9d3a", "#a02ab0",
                                      "#8c6d1f", "#e0409a", "#3aa6b8", "#555555"};
#define NPALETTE (sizeof PALETTE / sizeof *PALETTE)

void folkrnn_plot_opts_init(folkrnn_plot_opts *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->width = 800;
    opts->height = 500;
}

/* One axis: data range (in log10 units on a log axis) and pixel range. */
struct scale {
    int log;
    double lo, hi; /* data range after the transform */
    double p0, p1; /* pixels of lo and hi */
};

/* The value as plotted: log10 on a log axis; NAN when it cannot be. */
static double transform(const struct scale *s, double v)
{
    if (!isfinite(v) || (s->log && v <= 0.0))
        return NAN;
    return s->log ? log10(v) : v;
}

static double to_pixel(const struct scale *s, double t)
{
    return s->p0 + (t - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

static double point_x(const folkrnn_series *se, int i)
{
    return se->x ? se->x[i] : i;
}

/* Set lo and hi of a scale to [lo, hi], widened when empty; air added on
   linear y axes so lines do not run along the frame. */
static void set_range(struct scale *s, double lo, double hi, int air)
{
    if (lo == hi)
        lo -= 0.5, hi += 0.5;
    else if (air && !s->log)
        lo -= 0.04 * (hi - lo), hi += 0.04 * (hi - lo);
    s->lo = lo;
    s->hi = hi;
}

/* Ranges of the points plottable on both axes; 0 when there is none. */
static int data_ranges(const folkrnn_series *series, int nseries, struct scale *sx,
                       struct scale *sy)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int k = 0; k < nseries; k++)
        for (int i = 0; i < series[k].n; i++) {
            double x = transform(sx, point_x(&series[k], i)), y = transform(sy, series[k].y[i]);
            if (isnan(x) || isnan(y))
                continue;
            xlo = fmin(xlo, x), xhi = fmax(xhi, x);
            ylo = fmin(ylo, y), yhi = fmax(yhi, y);
        }
    if (xlo > xhi)
        return 0;
    set_range(sx, xlo, xhi, 0);
    set_range(sy, ylo, yhi, 1);
    return 1;
}

/* The step between ticks: about six ticks on the axis; on a log axis a
   whole number of decades. */
static double tick_step(const struct scale *s)
{
    double raw = (s->hi - s->lo) / 6.0;
    double p = pow(10.0, floor(log10(raw)));
    double step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
    return s->log && step < 1.0 ? 1.0 : step;
}

/* Text with &, <, >, " and ' escaped; other bytes below space dropped. */
static void put_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s >= 32)
                fputc(*s, f);
        }
    }
}

static void put_label(FILE *f, double x, double y, const char *anchor, int size, int rotate,
                      const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"", x, y, anchor,
            size);
    if (rotate)
        fprintf(f, " transform=\"rotate(-90 %.1f %.1f)\"", x, y);
    fputc('>', f);
    put_text(f, s);
    fputs("</text>\n", f);
}

/* The label of tick t (a power of ten on a log axis). */
static void tick_label(const struct scale *s, double t, char *buf, size_t size)
{
    if (s->log)
        snprintf(buf, size, "%g", pow(10.0, t));
    else
        snprintf(buf, size, "%g", fabs(t) < 1e-12 * (s->hi - s->lo) ? 0.0 : t);
}

/* Ticks, grid lines and tick labels of the x (axis 0) or y (1) axis. */
static void put_ticks(FILE *f, const struct scale *s, const struct scale *other, int axis)
{
    char buf[48];
    double step = tick_step(s);
    for (double t = ceil(s->lo / step) * step; t <= s->hi + 1e-9 * step; t += step) {
        double p = to_pixel(s, t);
        if (axis == 0) {
            fprintf(f,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
                    p, other->p0, p, other->p1);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
                    p, other->p0, p, other->p0 + 5);
            tick_label(s, t, buf, sizeof buf);
            put_label(f, p, other->p0 + 20, "middle", FONT, 0, buf);
        } else {
            fprintf(f,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
                    other->p0, p, other->p1, p);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
                    other->p0 - 5, p, other->p0, p);
            tick_label(s, t, buf, sizeof buf);
            put_label(f, other->p0 - 8, p + FONT / 3.0, "end", FONT, 0, buf);
        }
    }
}

/* One series as polylines, broken where a point cannot be plotted. */
static void put_series(FILE *f, const folkrnn_series *se, const struct scale *sx,
                       const struct scale *sy, const char *colour)
{
    int open = 0;
    for (int i = 0; i <= se->n; i++) {
        double x = i < se->n ? transform(sx, point_x(se, i)) : NAN;
        double y = i < se->n ? transform(sy, se->y[i]) : NAN;
        if (isnan(x) || isnan(y)) {
            if (open)
                fputs("\"/>\n", f);
            open = 0;
            continue;
        }
        if (!open)
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
                    colour);
        fprintf(f, "%s%.2f,%.2f", open ? " " : "", to_pixel(sx, x), to_pixel(sy, y));
        open = 1;
    }
}

static void put_legend(FILE *f, const folkrnn_series *series, int nseries, const struct scale *sx,
                       const struct scale *sy)
{
    int named = 0, longest = 0;
    for (int k = 0; k < nseries; k++)
        if (series[k].name) {
            named++;
            int len = (int)strlen(series[k].name);
            longest = len > longest ? len : longest;
        }
    if (!named)
        return;
    double w = 40 + 0.6 * FONT * longest, x = sx->p1 - w - 10, y = sy->p1 + 10;
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"white\" "
            "fill-opacity=\"0.85\" stroke=\"#999999\"/>\n",
            x, y, w, 8 + 18 * named);
    for (int k = 0, row = 0; k < nseries; k++) {
        if (!series[k].name)
            continue;
        double ly = y + 16 + 18 * row++;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2\"/>\n",
                x + 6, ly - 4, x + 30, ly - 4, PALETTE[k % NPALETTE]);
        put_label(f, x + 36, ly, "start", FONT, 0, series[k].name);
    }
}

static int check_args(const char *path, const folkrnn_series *series, int nseries,
                      const folkrnn_plot_opts *o)
{
    if (!path || !series || nseries < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_svg_lines: %s",
                        !path     ? "NULL path"
                        : !series ? "NULL series"
                                  : "nseries < 1");
    for (int k = 0; k < nseries; k++)
        if (series[k].n < 0 || (series[k].n > 0 && !series[k].y))
            return fr_error(FOLKRNN_E_INVALID, "folkrnn_svg_lines: series %d has n %d, y %p", k,
                            series[k].n, (const void *)series[k].y);
    if (o->width < 200 || o->height < 150 || o->width > 20000 || o->height > 20000)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_svg_lines: %d x %d pixels (200 x 150 .. 20000)",
                        o->width, o->height);
    return FOLKRNN_OK;
}

int folkrnn_svg_lines(const char *path, const folkrnn_series *series, int nseries,
                      const folkrnn_plot_opts *opts)
{
    folkrnn_plot_opts o;
    folkrnn_plot_opts_init(&o);
    int rc = fr_opts_over(&o, sizeof o, opts, offsetof(folkrnn_plot_opts, title),
                          "folkrnn_svg_lines");
    if (rc)
        return rc;
    rc = check_args(path, series, nseries, &o);
    if (rc)
        return rc;
    struct scale sx = {.log = o.log_x}, sy = {.log = o.log_y};
    if (!data_ranges(series, nseries, &sx, &sy))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_svg_lines: no plottable point");
    sx.p0 = 80, sx.p1 = o.width - 20;
    sy.p0 = o.height - 60, sy.p1 = o.title ? 45 : 20; /* y grows downwards in SVG */
    struct fr_tmpfile t;
    if ((rc = fr_tmpfile_open(&t, path)))
        return rc;
    FILE *f = t.f;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            o.width, o.height, o.width, o.height);
    put_ticks(f, &sx, &sy, 0);
    put_ticks(f, &sy, &sx, 1);
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"black\"/>\n",
            sx.p0, sy.p1, sx.p1 - sx.p0, sy.p0 - sy.p1);
    for (int k = 0; k < nseries; k++)
        put_series(f, &series[k], &sx, &sy, PALETTE[k % NPALETTE]);
    put_legend(f, series, nseries, &sx, &sy);
    if (o.title)
        put_label(f, o.width / 2.0, 28, "middle", FONT + 4, 0, o.title);
    if (o.xlabel)
        put_label(f, (sx.p0 + sx.p1) / 2, o.height - 15, "middle", FONT + 1, 0, o.xlabel);
    if (o.ylabel)
        put_label(f, 20, (sy.p0 + sy.p1) / 2, "middle", FONT + 1, 1, o.ylabel);
    fputs("</svg>\n", f);
    return fr_tmpfile_commit(&t, FOLKRNN_OK);
}
