/* an_spectral.c -- Fourier transforms of any length, windows, periodograms,
   per-unit spectra, band shares, dominant periods, unit selection.

   The FFT is a recursive mixed-radix decimation in time: a length n = r * m
   transform is r transforms of length m (the samples t = q mod r) combined
   by r-point DFTs with twiddle factors.  Prime factors up to MAX_RADIX are
   done directly (cost n * r per level); a length with a larger prime factor
   goes through Bluestein's chirp z-transform, a circular convolution of
   power-of-two length m >= 2n - 1, so every length costs O(n log n). */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "an_internal.h"

/* C11's CMPLX, which glibc's <complex.h> defines for GCC only (clang 14 has
   none): a complex is laid out as an array of its two parts (C11 6.2.5),
   so the parts are stored as they are, infinities and signed zeros too. */
#ifndef CMPLX
static inline double complex fr_cmplx(double re, double im)
{
    union {
        double complex z;
        double part[2];
    } u = {.part = {re, im}};
    return u.z;
}
#define CMPLX(re, im) fr_cmplx(re, im)
#endif

#define MAX_RADIX 32
#define MAX_FACTORS 64

typedef double complex cplx;

struct fft_plan {
    int n;
    int nfactors;
    int factors[MAX_FACTORS]; /* product n, smallest first (radix 4 before 2) */
    cplx *tw;                 /* [n] e^{-2 pi i j / n} */
    cplx *work;               /* [n] scratch of the recursion */
    /* Bluestein, when n has a prime factor > MAX_RADIX (sub != NULL) */
    int m;                /* power of two >= 2n - 1 */
    struct fft_plan *sub; /* plan of length m */
    cplx *chirp;          /* [n] e^{-pi i j^2 / n} */
    cplx *bhat;           /* [m] transform of the wrapped conjugate chirp, / m */
    cplx *conv;           /* [m] scratch */
};

static void plan_free(struct fft_plan *p)
{
    if (!p)
        return;
    plan_free(p->sub);
    free(p->tw);
    free(p->work);
    free(p->chirp);
    free(p->bhat);
    free(p->conv);
    free(p);
}

/* Factor n into radices; 0 when a prime factor exceeds MAX_RADIX. */
static int factorise(int n, int *factors, int *nfactors)
{
    *nfactors = 0;
    while (n % 4 == 0)
        factors[(*nfactors)++] = 4, n /= 4;
    for (int r = 2; n > 1; r++) {
        if (r > MAX_RADIX)
            return 0;
        while (n % r == 0)
            factors[(*nfactors)++] = r, n /= r;
    }
    return 1;
}

/* e^{-2 pi i num / den}, with num reduced first so the angle is exact-ish. */
static cplx unit_root(long long num, long long den)
{
    double angle = -2.0 * FR_PI * (double)(num % den) / (double)den;
    return CMPLX(cos(angle), sin(angle));
}

static struct fft_plan *plan_new(int n, int *rc);
static void fft_exec(const struct fft_plan *p, cplx *x);

static int plan_bluestein(struct fft_plan *p, int *rc)
{
    int n = p->n;
    p->m = 1;
    while (p->m < 2 * n - 1)
        p->m *= 2;
    int m = p->m;
    p->chirp = malloc((size_t)n * sizeof *p->chirp);
    p->bhat = calloc((size_t)m, sizeof *p->bhat);
    p->conv = malloc((size_t)m * sizeof *p->conv);
    if (!p->chirp || !p->bhat || !p->conv)
        return *rc = fr_oom("FFT chirp", ((size_t)n + 2 * (size_t)m) * sizeof(cplx));
    if (!(p->sub = plan_new(m, rc)))
        return *rc;
    for (int j = 0; j < n; j++) /* e^{-pi i j^2/n} = e^{-2 pi i (j^2 mod 2n) / 2n} */
        p->chirp[j] = unit_root((long long)j * j, 2LL * n);
    p->bhat[0] = conj(p->chirp[0]);
    for (int j = 1; j < n; j++)
        p->bhat[j] = p->bhat[m - j] = conj(p->chirp[j]);
    fft_exec(p->sub, p->bhat);
    for (int j = 0; j < m; j++)
        p->bhat[j] /= m;
    return *rc = FOLKRNN_OK;
}

/* A plan for forward transforms of length n; NULL with *rc set on failure. */
static struct fft_plan *plan_new(int n, int *rc)
{
    struct fft_plan *p = calloc(1, sizeof *p);
    if (!p) {
        *rc = fr_oom("FFT plan", sizeof *p);
        return NULL;
    }
    p->n = n;
    if (!factorise(n, p->factors, &p->nfactors)) {
        if (plan_bluestein(p, rc)) {
            plan_free(p);
            return NULL;
        }
        return p;
    }
    p->tw = malloc((size_t)n * sizeof *p->tw);
    p->work = malloc((size_t)n * sizeof *p->work);
    if (!p->tw || !p->work) {
        plan_free(p);
        *rc = fr_oom("FFT twiddles", 2 * (size_t)n * sizeof(cplx));
        return NULL;
    }
    for (int j = 0; j < n; j++)
        p->tw[j] = unit_root(j, n);
    *rc = FOLKRNN_OK;
    return p;
}

/* a * b without the NaN/infinity recovery of C's complex product, which
   would cost a library call per product (inputs are checked finite). */
static inline cplx cmul(cplx a, cplx b)
{
    return CMPLX(creal(a) * creal(b) - cimag(a) * cimag(b),
                 creal(a) * cimag(b) + cimag(a) * creal(b));
}

/* Combine r transforms of length m, out[q*m + k], into one of length r*m in
   place; step is n / (r*m), so W_{rm}^j = tw[j * step]. */
static void butterflies(const struct fft_plan *p, cplx *out, int r, int m, size_t step)
{
    size_t rstep = (size_t)(p->n / r); /* W_r^j = tw[j * rstep] */
    cplx t[MAX_RADIX];
    for (int k = 0; k < m; k++) {
        t[0] = out[k];
        for (int q = 1; q < r; q++)
            t[q] = cmul(out[(size_t)q * m + k], p->tw[(size_t)q * k * step]);
        if (r == 2) {
            out[k] = t[0] + t[1];
            out[m + k] = t[0] - t[1];
        } else if (r == 4) { /* W_4 = -i */
            cplx a0 = t[0] + t[2], a1 = t[0] - t[2], a2 = t[1] + t[3], d = t[1] - t[3];
            cplx a3 = CMPLX(cimag(d), -creal(d));
            out[k] = a0 + a2;
            out[m + k] = a1 + a3;
            out[2 * (size_t)m + k] = a0 - a2;
            out[3 * (size_t)m + k] = a1 - a3;
        } else {
            for (int s = 0; s < r; s++) {
                cplx sum = t[0];
                for (int q = 1, j = s; q < r; q++, j = (j + s) % r) /* j = q s mod r */
                    sum += cmul(t[q], p->tw[(size_t)j * rstep]);
                out[(size_t)s * m + k] = sum;
            }
        }
    }
}

/* out[0..len) = DFT of in[0], in[stride], ... (len samples), by the
   radices factors[]; out must not overlap in. */
static void fft_rec(const struct fft_plan *p, const cplx *in, size_t stride, cplx *out, int len,
                    const int *factors)
{
    if (len == 1) {
        out[0] = in[0];
        return;
    }
    int r = factors[0], m = len / r;
    for (int q = 0; q < r; q++) /* sub-transform q of the samples t = q (mod r) */
        fft_rec(p, in + q * stride, stride * r, out + (size_t)q * m, m, factors + 1);
    butterflies(p, out, r, m, (size_t)(p->n / len));
}

/* Forward transform of x[n] in place. */
static void fft_exec(const struct fft_plan *p, cplx *x)
{
    if (!p->sub) {
        memcpy(p->work, x, (size_t)p->n * sizeof *x);
        fft_rec(p, p->work, 1, x, p->n, p->factors);
        return;
    }
    /* X_k = chirp_k * sum_j (x_j chirp_j) conj(chirp_{k-j}): a convolution */
    int n = p->n, m = p->m;
    for (int j = 0; j < m; j++)
        p->conv[j] = j < n ? cmul(x[j], p->chirp[j]) : 0.0;
    fft_exec(p->sub, p->conv);
    for (int j = 0; j < m; j++) /* inverse as conj(forward(conj)) */
        p->conv[j] = conj(cmul(p->conv[j], p->bhat[j]));
    fft_exec(p->sub, p->conv);
    for (int k = 0; k < n; k++)
        x[k] = cmul(conj(p->conv[k]), p->chirp[k]);
}

int folkrnn_fft(double *re, double *im, int n, int sign)
{
    if (!re || !im)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_fft: NULL %s", re ? "im" : "re");
    if (n < 1 || (sign != 1 && sign != -1))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_fft: n %d (needs >= 1), sign %d (needs +-1)", n,
                        sign);
    int rc;
    struct fft_plan *p = plan_new(n, &rc);
    cplx *x = p ? malloc((size_t)n * sizeof *x) : NULL;
    if (p && !x)
        rc = fr_oom("folkrnn_fft buffer", (size_t)n * sizeof *x);
    if (x) {
        for (int j = 0; j < n; j++) /* the inverse is conj(forward(conj x)) */
            x[j] = CMPLX(re[j], sign < 0 ? im[j] : -im[j]);
        fft_exec(p, x);
        for (int j = 0; j < n; j++) {
            re[j] = creal(x[j]);
            im[j] = sign < 0 ? cimag(x[j]) : -cimag(x[j]);
        }
    }
    free(x);
    plan_free(p);
    return rc;
}

int folkrnn_rfft(const double *x, int n, double *re, double *im)
{
    if (!x || !re || !im)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_rfft: NULL argument");
    if (n < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_rfft: n %d (needs >= 1)", n);
    int rc = fr_vec_finite(x, n, "folkrnn_rfft x");
    if (rc)
        return rc;
    struct fft_plan *p = plan_new(n, &rc);
    cplx *buf = p ? malloc((size_t)n * sizeof *buf) : NULL;
    if (p && !buf)
        rc = fr_oom("folkrnn_rfft buffer", (size_t)n * sizeof *buf);
    if (buf) {
        for (int j = 0; j < n; j++)
            buf[j] = x[j];
        fft_exec(p, buf);
        for (int k = 0; k <= n / 2; k++) {
            re[k] = creal(buf[k]);
            im[k] = cimag(buf[k]);
        }
    }
    free(buf);
    plan_free(p);
    return rc;
}

/* ---- windows and periodograms -------------------------------------------- */

int folkrnn_window(int kind, int n, double *w)
{
    if (!w || n < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_window: %s", w ? "n < 1" : "NULL w");
    if (kind < FOLKRNN_WINDOW_RECT || kind > FOLKRNN_WINDOW_BLACKMAN)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_window: kind %d is not a FOLKRNN_WINDOW_*",
                        kind);
    for (int t = 0; t < n; t++) {
        double phase = n > 1 ? 2.0 * FR_PI * t / (n - 1) : 0.0;
        switch (kind) {
        case FOLKRNN_WINDOW_HANN: w[t] = 0.5 - 0.5 * cos(phase); break;
        case FOLKRNN_WINDOW_HAMMING: w[t] = 0.54 - 0.46 * cos(phase); break;
        case FOLKRNN_WINDOW_BLACKMAN:
            w[t] = 0.42 - 0.5 * cos(phase) + 0.08 * cos(2.0 * phase);
            break;
        default: w[t] = 1.0;
        }
        if (n == 1)
            w[t] = 1.0;
    }
    return FOLKRNN_OK;
}

/* What the periodograms of many signals of one length share. */
struct pgram {
    int n;
    struct fft_plan *plan;
    double *w;    /* [n] window */
    double sumw2; /* sum of w^2 */
    cplx *buf;    /* [n] */
    int demean;
};

static void pgram_free(struct pgram *g)
{
    plan_free(g->plan);
    free(g->w);
    free(g->buf);
}

static int pgram_init(struct pgram *g, int n, int window, int demean)
{
    int rc;
    memset(g, 0, sizeof *g);
    g->n = n;
    g->demean = demean;
    g->w = malloc((size_t)n * sizeof *g->w);
    g->buf = malloc((size_t)n * sizeof *g->buf);
    if (!g->w || !g->buf)
        return fr_oom("periodogram buffers", (size_t)n * (sizeof(double) + sizeof(cplx)));
    if ((rc = folkrnn_window(window, n, g->w)))
        return rc;
    for (int t = 0; t < n; t++)
        g->sumw2 += g->w[t] * g->w[t];
    g->plan = plan_new(n, &rc);
    return rc;
}

/* power[n/2 + 1] of the signal x[t * stride], t < n. */
static void pgram_run(struct pgram *g, const double *x, size_t stride, double *power)
{
    double mean = 0.0;
    for (int t = 0; g->demean && t < g->n; t++)
        mean += x[t * stride];
    mean /= g->n;
    for (int t = 0; t < g->n; t++)
        g->buf[t] = (x[t * stride] - mean) * g->w[t];
    fft_exec(g->plan, g->buf);
    for (int k = 0; k <= g->n / 2; k++) { /* an all-zero window (Hann of 2) sees nothing */
        double a = cabs(g->buf[k]);
        power[k] = g->sumw2 > 0.0 ? a * a / g->sumw2 : 0.0;
    }
}

int folkrnn_periodogram(const double *x, int n, int window, int demean, double *power)
{
    if (!x || !power || n < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_periodogram: %s",
                        n < 1 ? "n < 1" : "NULL argument");
    int rc = fr_vec_finite(x, n, "folkrnn_periodogram x");
    if (rc)
        return rc;
    struct pgram g;
    if (!(rc = pgram_init(&g, n, window, demean)))
        pgram_run(&g, x, 1, power);
    pgram_free(&g);
    return rc;
}

/* Resample native[n/2 + 1] onto the bins of length grid: out[grid/2 + 1]. */
static void resample(const double *native, int n, int grid, double *out)
{
    int last = n / 2;
    for (int j = 0; j <= grid / 2; j++) {
        double pos = (double)j * n / grid; /* frequency j/grid in native bins */
        int k = (int)pos;
        if (k >= last) {
            out[j] = native[last];
            continue;
        }
        double frac = pos - k;
        out[j] = native[k] * (1.0 - frac) + native[k + 1] * frac;
    }
}

int folkrnn_unit_spectra(const folkrnn_matrix *x, int window, int demean, int grid,
                         folkrnn_matrix **out)
{
    int rc = fr_mat_input(x, "folkrnn_unit_spectra x");
    if (rc)
        return rc;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_unit_spectra: NULL out");
    *out = NULL;
    if (grid < 0 || grid == 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_unit_spectra: grid %d (0 or >= 2)", grid);
    int n = x->rows, g_n = grid ? grid : n;
    struct pgram g;
    double *native = malloc((size_t)(n / 2 + 1) * sizeof *native); /* [n/2 + 1] */
    if (!native)
        return fr_oom("folkrnn_unit_spectra", (size_t)(n / 2 + 1) * sizeof *native);
    folkrnn_matrix *p = NULL; /* units x (g_n/2 + 1) */
    if (!(rc = pgram_init(&g, n, window, demean)) &&
        (p = fr_mat_new(x->cols, g_n / 2 + 1, "folkrnn_unit_spectra", &rc))) {
        for (int u = 0; u < x->cols; u++) {
            pgram_run(&g, &FR_AT(x, 0, u), (size_t)x->ld, native);
            resample(native, n, g_n, &FR_AT(p, u, 0));
        }
        *out = p;
    }
    pgram_free(&g);
    free(native);
    return rc;
}

/* ---- reading spectra ----------------------------------------------------- */

/* The weight of bin k in a one-sided spectrum of length n: 2, or 1 at DC and
   at the Nyquist bin of even n. */
static double bin_weight(int k, int n)
{
    return k == 0 || 2 * k == n ? 1.0 : 2.0;
}

/* First and last bin of the band [period - tol, period + tol] (see header). */
static void band_bins(int n, double period, double tol, int *lo, int *hi)
{
    int last = n / 2;
    double kmin = n / (period + tol), kmax = period - tol > 0.0 ? n / (period - tol) : last;
    *lo = (int)ceil(kmin - 1e-9);
    *hi = (int)floor(kmax + 1e-9);
    if (*lo < 1)
        *lo = 1;
    if (*hi > last)
        *hi = last;
    if (*lo > *hi) { /* no bin in the band: the nearest in frequency */
        int k = (int)lround(n / period);
        *lo = *hi = k < 1 ? 1 : k > last ? last : k;
    }
}

int folkrnn_band_share(const folkrnn_matrix *power, int n, double period, double tol, double *share)
{
    int rc = fr_mat_input(power, "folkrnn_band_share power");
    if (rc)
        return rc;
    if (!share || n < 2)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_band_share: %s",
                        share ? "n < 2" : "NULL share");
    if (power->cols != n / 2 + 1)
        return fr_error(FOLKRNN_E_SHAPE,
                        "folkrnn_band_share: power is %d x %d, a length-%d spectrum has %d bins",
                        power->rows, power->cols, n, n / 2 + 1);
    if (!(period >= 2.0) || !(tol >= 0.0) || !isfinite(period + tol))
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_band_share: period %g (>= 2), tol %g (>= 0)",
                        period, tol);
    int lo, hi;
    band_bins(n, period, tol, &lo, &hi);
    for (int r = 0; r < power->rows; r++) {
        double band = 0.0, total = 0.0;
        for (int k = 1; k <= n / 2; k++) {
            double pk = bin_weight(k, n) * FR_AT(power, r, k);
            total += pk;
            if (k >= lo && k <= hi)
                band += pk;
        }
        share[r] = total > 0.0 ? band / total : 0.0;
    }
    return FOLKRNN_OK;
}

int folkrnn_dominant_periods(const double *power, int n, int max, double *periods, double *strength,
                             int *found)
{
    if (!power || !periods || !found)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_dominant_periods: NULL argument");
    if (n < 2 || max < 1)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_dominant_periods: n %d (>= 2), max %d (>= 1)",
                        n, max);
    int last = n / 2;
    int rc = fr_vec_finite(power, last + 1, "folkrnn_dominant_periods power");
    if (rc)
        return rc;
    int *peaks = malloc((size_t)last * sizeof *peaks); /* bins of the local maxima */
    if (!peaks)
        return fr_oom("folkrnn_dominant_periods", (size_t)last * sizeof *peaks);
    int npeaks = 0;
    for (int k = 1; k <= last; k++) {
        double pk = power[k];
        if (pk > 0.0 && (k == 1 || pk > power[k - 1]) && (k == last || pk >= power[k + 1])) {
            int at = npeaks++; /* insertion, strongest first, stable */
            for (; at > 0 && power[peaks[at - 1]] < pk; at--)
                peaks[at] = peaks[at - 1];
            peaks[at] = k;
        }
    }
    *found = npeaks < max ? npeaks : max;
    for (int i = 0; i < *found; i++) {
        periods[i] = (double)n / peaks[i];
        if (strength)
            strength[i] = power[peaks[i]];
    }
    free(peaks);
    return FOLKRNN_OK;
}

int folkrnn_select_units(const double *score, int count, double threshold, int *units,
                         int *selected)
{
    if (!score || !units || !selected || count < 0)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_select_units: %s",
                        count < 0 ? "count < 0" : "NULL argument");
    *selected = 0;
    for (int i = 0; i < count; i++)
        if (score[i] >= threshold) /* false for NaN */
            units[(*selected)++] = i;
    return FOLKRNN_OK;
}
