/* cmd_analyze.c -- folkrnn analyze: Sturm's analyses of a model as numbers,
   .npz files and pictures.  One verb per analysis; each writes into --out. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

#define CMD "analyze"

static const char usage_text[] =
    "usage: folkrnn analyze VERB [--model PATH] [--out DIR] [options]\n"
    "\n"
    "Take the model apart as Bob Sturm did in 'Making sense of the folk-rnn v2\n"
    "model'.  Every verb prints its key numbers and writes an .npz (numpy.load),\n"
    "PNG heatmaps and SVG plots into DIR (default: the current folder).\n"
    "\n"
    "verbs:\n"
    "  softmax    the softmax weights V (vocab x units) and bias v: correlations\n"
    "             of the columns and with v, singular values and vectors\n"
    "             (softmax.npz, softmax_V.png, softmax_corr.png, softmax_sv.svg)\n"
    "  gates      Gramians and per-token norms of a layer's gate input matrices\n"
    "             (gates_lL.npz, gates_lL_GATE.png)                 [--layer L]\n"
    "  run        record every activation while the model writes one tune (or\n"
    "             reads one given with --tokens): posterior over the tokens,\n"
    "             hidden states, spectra and the units with power near a period\n"
    "             (run.npz, run_probs.png, run_hL.png, run_spectra.svg,\n"
    "             run_entropy.svg)  [--tokens TEXT] [--seed N] [--max-len N]\n"
    "  sweep      snip the units of a layer with most power near the period\n"
    "             versus as many random ones, at several fractions: bars counted\n"
    "             right and log-likelihood of new tunes (sweep.csv, sweep.svg)\n"
    "             [--layer L] [--fractions A,B,..] [--tunes N] [--seed N]\n"
    "  copies     how many corpus tunes contain each figure of a tune\n"
    "             --corpus FILE --tokens TEXT [-n N]\n"
    "\n"
    "options:\n"
    "  --model PATH      the model (default: $FOLKRNN_MODEL, else the installed one)\n"
    "  --out DIR         where files go (made if missing; default .)\n"
    "  --layer L         layer, from 0 (gates: 0; sweep: the last)\n"
    "  --tokens TEXT     a tune as token text (run: read instead of written)\n"
    "  --seed N          random seed (default 42)\n"
    "  --max-len N       longest tune written (default 1000)\n"
    "  --period P        period in steps (default 9), --tol T its half width\n"
    "                    (default 0.5), --threshold S the least share of a unit's\n"
    "                    power in the band (default 0.05)\n"
    "  --fractions LIST  sweep fractions (default 0,0.2,0.27,0.33)\n"
    "  --tunes N         sweep: tunes per point (default 20); run spectra: tunes\n"
    "                    that choose the units (default 10)\n"
    "  --corpus FILE     copies: the corpus (folk-rnn data layout)\n"
    "  -n N              copies: figure length (default 4)\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit status: 0 done, 1 failed, 2 usage\n";

struct options {
    const char *verb, *model, *out, *tokens, *corpus, *fractions;
    long layer, seed, max_len, tunes, n;
    double period, tol, threshold;
};

/* ---- small helpers ------------------------------------------------------- */

static int parse_number(const char *opt, const char *text, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(text, &end);
    if (errno || end == text || *end || !(*v >= lo && *v <= hi))
        return cli_usage_error(CMD, "%s: '%s' is not a number in [%g, %g]", opt, text, lo, hi);
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){.out = ".",
                          .layer = -1,
                          .seed = 42,
                          .max_len = 1000,
                          .tunes = -1,
                          .n = 4,
                          .period = 9.0,
                          .tol = 0.5,
                          .threshold = 0.05,
                          .fractions = "0,0.2,0.27,0.33"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return 1;
        if (a[0] != '-') {
            if (o->verb)
                return cli_usage_error(CMD, "one verb only ('%s' and '%s')", o->verb, a), -1;
            o->verb = a;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error(CMD, "unknown option or missing value: '%s'", a), -1;
        const char *val = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--model"))
            o->model = val;
        else if (!strcmp(a, "--out"))
            o->out = val;
        else if (!strcmp(a, "--tokens"))
            o->tokens = val;
        else if (!strcmp(a, "--corpus"))
            o->corpus = val;
        else if (!strcmp(a, "--fractions"))
            o->fractions = val;
        else if (!strcmp(a, "--layer"))
            bad = parse_number(a, val, 0, 1000, &v), o->layer = (long)v;
        else if (!strcmp(a, "--seed"))
            bad = parse_number(a, val, 0, 4294967295.0, &v), o->seed = (long)v;
        else if (!strcmp(a, "--max-len"))
            bad = parse_number(a, val, 1, 100000, &v), o->max_len = (long)v;
        else if (!strcmp(a, "--tunes"))
            bad = parse_number(a, val, 1, 100000, &v), o->tunes = (long)v;
        else if (!strcmp(a, "-n"))
            bad = parse_number(a, val, 1, 1000, &v), o->n = (long)v;
        else if (!strcmp(a, "--period"))
            bad = parse_number(a, val, 2, 1e6, &o->period);
        else if (!strcmp(a, "--tol"))
            bad = parse_number(a, val, 0, 1e6, &o->tol);
        else if (!strcmp(a, "--threshold"))
            bad = parse_number(a, val, 0, 1, &o->threshold);
        else
            return cli_usage_error(CMD, "unknown option '%s'", a), -1;
        if (bad)
            return -1;
    }
    if (!o->verb)
        return cli_usage_error(CMD, "which analysis? (softmax, gates, run, sweep, copies)"), -1;
    return 0;
}

/* DIR/name in buf (static storage per call site is the caller's). */
static const char *out_file(const struct options *o, char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", o->out, name);
    return buf;
}

/* The model's token texts, borrowed from it. */
static const char **token_texts(const folkrnn_model *m)
{
    int v = folkrnn_model_vocab_size(m);
    const char **t = malloc((size_t)v * sizeof *t);
    for (int i = 0; t && i < v; i++)
        t[i] = folkrnn_model_token(m, i);
    return t;
}

static int heatmap(const struct options *o, const char *name, const folkrnn_matrix *a,
                   const char *title, const char *xlabel, const char *ylabel,
                   const char *const *row_labels, const int *marks, int nmarks, int cmap)
{
    char path[4096];
    folkrnn_heatmap_opts h;
    folkrnn_heatmap_opts_init(&h);
    h.title = title, h.xlabel = xlabel, h.ylabel = ylabel, h.row_labels = row_labels;
    h.col_marks = marks, h.ncol_marks = nmarks, h.colormap = cmap;
    int rc = folkrnn_png_heatmap(out_file(o, path, sizeof path, name), a, &h);
    if (rc)
        return cli_fail(CMD, name, rc);
    printf("wrote %s\n", path);
    return CLI_OK;
}

/* The indices of the k largest |x[n]| (smallest when smallest is set),
   most extreme first, into top[k]; k <= n. */
static void extremes(const double *x, int n, int k, int smallest, int *top)
{
    for (int i = 0; i < k; i++) {
        int best = -1;
        for (int j = 0; j < n; j++) {
            int taken = 0;
            for (int t = 0; t < i; t++)
                taken |= top[t] == j;
            double a = fabs(x[j]), b = best < 0 ? 0 : fabs(x[best]);
            if (!taken && (best < 0 || (smallest ? a < b : a > b)))
                best = j;
        }
        top[i] = best;
    }
}

/* ---- softmax ------------------------------------------------------------- */

static int analyze_softmax(const struct options *o, const folkrnn_model *m)
{
    folkrnn_matrix *w = NULL, *b = NULL, *V = NULL, *corr = NULL, *u = NULL, *vv = NULL;
    folkrnn_npz *z = NULL;
    const char **tokens = token_texts(m);
    int vocab = folkrnn_model_vocab_size(m), rc, status = CLI_FAIL;
    char path[4096];
    rc = folkrnn_matrix_from_param(m, 0, FOLKRNN_P_DENSE_W, &w); /* units x vocab */
    if (!rc)
        rc = folkrnn_matrix_from_param(m, 0, FOLKRNN_P_DENSE_B, &b); /* 1 x vocab */
    if (!rc)
        rc = folkrnn_matrix_transpose(w, &V); /* Sturm's V: vocab x units */
    int k = V ? (V->rows < V->cols ? V->rows : V->cols) : 0;
    double *s = calloc((size_t)k + 1, sizeof *s);
    double *cb = calloc(V ? (size_t)V->cols : 1, sizeof *cb); /* [units] */
    if (!rc)
        rc = folkrnn_corr_columns(V, FOLKRNN_CORR_PEARSON, &corr); /* units x units */
    if (!rc)
        rc = folkrnn_corr_vector(V, b->data, FOLKRNN_CORR_PEARSON, cb); /* units: with v */
    if (!rc)
        rc = folkrnn_svd(V, s, &u, &vv);
    if (rc) {
        cli_fail(CMD, "softmax analysis", rc);
        goto done;
    }
    if ((rc = folkrnn_npz_open(out_file(o, path, sizeof path, "softmax.npz"), 0, &z)) ||
        (rc = folkrnn_npz_add_matrix(z, "V", V, FOLKRNN_DTYPE_F32)) ||
        (rc = folkrnn_npz_add_matrix(z, "v", b, FOLKRNN_DTYPE_F32)) ||
        (rc = folkrnn_npz_add_matrix(z, "corr_columns", corr, FOLKRNN_DTYPE_F64)) ||
        (rc = folkrnn_npz_add(z, "corr_bias", cb, FOLKRNN_DTYPE_F64, 1, (long[]){V->cols})) ||
        (rc = folkrnn_npz_add(z, "singular_values", s, FOLKRNN_DTYPE_F64, 1, (long[]){k})) ||
        (rc = folkrnn_npz_add_matrix(z, "left_vectors", u, FOLKRNN_DTYPE_F64)) ||
        (rc = folkrnn_npz_add_matrix(z, "right_vectors", vv, FOLKRNN_DTYPE_F64))) {
        folkrnn_npz_close(z);
        cli_fail(CMD, path, rc);
        goto done;
    }
    if ((rc = folkrnn_npz_close(z))) {
        cli_fail(CMD, path, rc);
        goto done;
    }
    printf("wrote %s\n", path);
    printf("softmax: V is %d tokens x %d units\n", V->rows, V->cols);
    printf("singular values:");
    for (int i = 0; i < k && i < 8; i++)
        printf(" %.4g", s[i]);
    printf("%s\n", k > 8 ? " ..." : "");
    for (int j = 0; j < 3 && j < k; j++) {
        double *col = malloc((size_t)vocab * sizeof *col);
        int top[5];
        for (int i = 0; col && i < vocab; i++)
            col[i] = u->data[(size_t)i * u->ld + j];
        extremes(col, vocab, vocab < 5 ? vocab : 5, 0, top);
        printf("left singular vector %d (%.4g), largest tokens:", j + 1, s[j]);
        for (int i = 0; i < 5 && i < vocab; i++)
            printf(" %s (%+.3f)", tokens[top[i]], col[top[i]]);
        printf("\n");
        free(col);
    }
    double maxc = 0.0, meanc = 0.0;
    for (int i = 0; i < V->cols; i++)
        if (!isnan(cb[i]))
            maxc = fmax(maxc, fabs(cb[i])), meanc += fabs(cb[i]) / V->cols;
    printf("correlation of the unit columns of V with v: max |r| %.3f, mean |r| %.3f\n", maxc,
           meanc);
    folkrnn_series sv = {"singular values", k, NULL, s};
    folkrnn_plot_opts po;
    folkrnn_plot_opts_init(&po);
    po.title = "Singular values of the softmax weights V";
    po.xlabel = "index";
    po.ylabel = "singular value";
    po.log_y = 1;
    if ((rc = folkrnn_svg_lines(out_file(o, path, sizeof path, "softmax_sv.svg"), &sv, 1, &po))) {
        cli_fail(CMD, path, rc);
        goto done;
    }
    printf("wrote %s\n", path);
    if (heatmap(o, "softmax_V.png", V, "Softmax weights V (token x unit)", "unit", "token", tokens,
                NULL, 0, FOLKRNN_CMAP_DIVERGING) ||
        heatmap(o, "softmax_corr.png", corr, "Correlation of the unit columns of V", "unit", "unit",
                NULL, NULL, 0, FOLKRNN_CMAP_DIVERGING))
        goto done;
    status = CLI_OK;
done:
    free(s);
    free(cb);
    free(tokens);
    folkrnn_matrix *all[] = {w, b, V, corr, u, vv};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        folkrnn_matrix_free(all[i]);
    return status;
}

/* ---- gates --------------------------------------------------------------- */

static int analyze_gates(const struct options *o, const folkrnn_model *m)
{
    static const char *lstm[] = {"ingate", "forgetgate", "cell", "outgate"};
    static const char *gru[] = {"resetgate", "updategate", "hidden_update"};
    int layer = o->layer < 0 ? 0 : (int)o->layer;
    int is_gru = folkrnn_model_cell_type(m) == FOLKRNN_CELL_GRU, ngates = is_gru ? 3 : 4;
    int units = folkrnn_model_hidden_size(m, layer);
    if (units < 0)
        return cli_fail(CMD, "--layer", units);
    const char **tokens = layer == 0 && folkrnn_model_is_onehot(m) ? token_texts(m) : NULL;
    folkrnn_matrix *w_in = NULL;
    folkrnn_npz *z = NULL;
    char path[4096], name[256];
    int rc = folkrnn_matrix_from_param(m, layer, FOLKRNN_P_W_IN, &w_in); /* in x gates*units */
    snprintf(name, sizeof name, "gates_l%d.npz", layer);
    if (!rc)
        rc = folkrnn_npz_open(out_file(o, path, sizeof path, name), 0, &z);
    int status = rc ? cli_fail(CMD, "gates", rc) : CLI_OK;
    for (int g = 0; !status && g < ngates; g++) {
        const char *gate = is_gru ? gru[g] : lstm[g];
        folkrnn_matrix *block = NULL, *gram = NULL;
        double *norms = malloc((size_t)w_in->rows * sizeof *norms);
        char key[64];
        rc = folkrnn_matrix_block(w_in, 0, g * units, w_in->rows, units, &block);
        if (!rc)
            rc = folkrnn_gram(block, FOLKRNN_GRAM_ROWS, 0, &gram); /* in x in */
        for (int i = 0; !rc && i < w_in->rows; i++)
            norms[i] = sqrt(gram->data[(size_t)i * gram->ld + i]);
        snprintf(key, sizeof key, "%s_gram", gate);
        if (!rc)
            rc = folkrnn_npz_add_matrix(z, key, gram, FOLKRNN_DTYPE_F64);
        snprintf(key, sizeof key, "%s_norms", gate);
        if (!rc)
            rc = folkrnn_npz_add(z, key, norms, FOLKRNN_DTYPE_F64, 1, (long[]){w_in->rows});
        if (rc) {
            status = cli_fail(CMD, gate, rc);
        } else {
            int low[5], n = w_in->rows < 5 ? w_in->rows : 5;
            extremes(norms, w_in->rows, n, 1, low);
            printf("layer %d %s: input norms %s", layer, gate, tokens ? "smallest at" : "");
            for (int i = 0; tokens && i < n; i++)
                printf(" %s (%.3f)", tokens[low[i]], norms[low[i]]);
            printf("\n");
            char title[128];
            snprintf(title, sizeof title, "Gramian of the %s input weights, layer %d", gate, layer);
            snprintf(name, sizeof name, "gates_l%d_%s.png", layer, gate);
            status = heatmap(o, name, gram, title, tokens ? "token" : "input",
                             tokens ? "token" : "input", tokens, NULL, 0, FOLKRNN_CMAP_DIVERGING);
        }
        free(norms);
        folkrnn_matrix_free(gram);
        folkrnn_matrix_free(block);
    }
    rc = folkrnn_npz_close(z);
    if (!status && rc)
        status = cli_fail(CMD, path, rc);
    else if (!status)
        printf("wrote %s\n", path);
    folkrnn_matrix_free(w_in);
    free(tokens);
    return status;
}

/* ---- run ----------------------------------------------------------------- */

/* The tokens fed at each recorded step: <s>, then the tune.  *fed[steps]. */
static int fed_tokens(const folkrnn_model *m, const int *tune, int len, int steps, int **fed)
{
    int start = folkrnn_model_token_id(m, "<s>");
    if (start < 0)
        return start;
    if (!(*fed = malloc((size_t)steps * sizeof **fed)))
        return FOLKRNN_E_NOMEM;
    (*fed)[0] = start;
    for (int t = 1; t < steps; t++)
        (*fed)[t] = t - 1 < len ? tune[t - 1] : start;
    return FOLKRNN_OK;
}

/* Record every point over one tune: read (--tokens) or written (sampler).
   *tune[*len] receives the tune's ids. */
static int record_tune(const struct options *o, const folkrnn_model *m, folkrnn_recorder **rec,
                       folkrnn_state **own, folkrnn_sampler **sampler, int **tune, int *len)
{
    int rc;
    *tune = NULL;
    if (o->tokens) {
        folkrnn_vocab *v;
        if ((rc = folkrnn_vocab_from_model(m, &v)))
            return rc;
        int n = folkrnn_parse_tokens(v, o->tokens, 0, NULL, 0);
        *tune = n > 0 ? malloc((size_t)n * sizeof **tune) : NULL;
        rc = n < 0 ? n : !*tune ? FOLKRNN_E_INVALID : 0;
        if (!rc)
            n = folkrnn_parse_tokens(v, o->tokens, 0, *tune, n);
        folkrnn_vocab_free(v);
        *len = n;
        int start = folkrnn_model_token_id(m, "<s>");
        if (!rc && (rc = start < 0 ? start : folkrnn_state_new(m, 1, own)) == 0 &&
            (rc = folkrnn_recorder_new(*own, 0, rec)) == 0 &&
            (rc = folkrnn_recorder_add_all(*rec)) == 0)
            for (int t = -1; !rc && t < n; t++)
                rc = folkrnn_state_step(*own, t < 0 ? &start : &(*tune)[t], NULL);
        return rc;
    }
    folkrnn_tunes *t = NULL;
    if ((rc = folkrnn_sampler_new(m, sampler)) ||
        (rc = folkrnn_sampler_set_seed(*sampler, o->seed)) ||
        (rc = folkrnn_sampler_set_max_len(*sampler, (int)o->max_len)) ||
        (rc = folkrnn_recorder_new(folkrnn_sampler_state(*sampler), 0, rec)) ||
        (rc = folkrnn_recorder_add_all(*rec)) || (rc = folkrnn_sample(*sampler, 1, &t)))
        return rc;
    const int *ids = folkrnn_tunes_tokens(t, 0, len);
    *tune = malloc((size_t)(*len ? *len : 1) * sizeof **tune);
    if (*tune)
        memcpy(*tune, ids, (size_t)*len * sizeof **tune);
    folkrnn_tunes_free(t);
    return *tune ? FOLKRNN_OK : FOLKRNN_E_NOMEM;
}

/* Print the tune and its bar count. */
static void print_tune(const folkrnn_model *m, const int *tune, int len)
{
    folkrnn_vocab *v;
    folkrnn_bars *b;
    int nbars = 0, ncorrect = 0;
    printf("tune (%d tokens):", len);
    for (int i = 0; i < len; i++)
        printf(" %s", folkrnn_model_token(m, tune[i]));
    printf("\n");
    if (!folkrnn_vocab_from_model(m, &v)) {
        if (!folkrnn_bars_count(v, tune, len, &b)) {
            folkrnn_bars_summary(b, &nbars, &ncorrect, NULL);
            printf("bars: %d, of which %d have the length the meter asks for\n", nbars, ncorrect);
            folkrnn_bars_free(b);
        }
        folkrnn_vocab_free(v);
    }
}

/* Spectra of one layer's hidden units over the run: print and plot. */
static int layer_spectra(const struct options *o, const folkrnn_matrix *h, int layer, double *mean,
                         double *periods)
{
    folkrnn_matrix *p = NULL;
    int n = h->rows, nb = n / 2 + 1, rc;
    double *share = malloc((size_t)h->cols * sizeof *share);
    int *units = malloc((size_t)h->cols * sizeof *units), selected = 0, found = 0;
    double peaks[5];
    if (!share || !units)
        rc = FOLKRNN_E_NOMEM;
    else if (!(rc = folkrnn_unit_spectra(h, FOLKRNN_WINDOW_HANN, 1, 0, &p)) &&
             !(rc = folkrnn_column_means(p, mean)) &&
             !(rc = folkrnn_band_share(p, n, o->period, o->tol, share)) &&
             !(rc = folkrnn_select_units(share, h->cols, o->threshold, units, &selected)))
        rc = folkrnn_dominant_periods(mean, n, 5, peaks, NULL, &found);
    if (!rc) {
        printf("layer %d: %d of %d units have >= %.0f%% of their power at period %g +- %g", layer,
               selected, h->cols, 100 * o->threshold, o->period, o->tol);
        for (int i = 0; i < selected && i < 12; i++)
            printf("%s%d", i ? " " : ": ", units[i]);
        int lo = (int)ceil(n / (o->period + o->tol)),
            hi = (int)floor(n / fmax(o->period - o->tol, 1e-9));
        printf(
            "%s%s\nlayer %d: strongest periods of the mean spectrum:", selected > 12 ? " ..." : "",
            lo > hi || lo > n / 2 ? " (too few steps for a bin in the band: the nearest one counts)"
                                  : "",
            layer);
        for (int i = 0; i < found; i++)
            printf(" %.2f", peaks[i]);
        printf("\n");
        for (int k = 1; k < nb; k++)
            periods[k - 1] = (double)n / k;
    }
    folkrnn_matrix_free(p);
    free(share);
    free(units);
    return rc;
}

static int run_pictures(const struct options *o, const folkrnn_model *m,
                        const folkrnn_recorder *rec, const int *fed, int steps)
{
    const char **tokens = token_texts(m);
    folkrnn_matrix *probs = NULL, *pt = NULL;
    int nl = folkrnn_model_num_layers(m), nmarks = 0, status = CLI_FAIL, rc;
    int *marks = malloc((size_t)steps * sizeof *marks);
    double *bits = malloc((size_t)steps * sizeof *bits);
    for (int t = 0; marks && t < steps; t++)
        if (folkrnn_model_token_class(m, fed[t]) == FOLKRNN_TOKEN_BAR)
            marks[nmarks++] = t;
    if (!tokens || !marks || !bits ||
        (rc = folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_PROBS, 0, 0, &probs)) ||
        (rc = folkrnn_matrix_transpose(probs, &pt)) || (rc = folkrnn_entropy(probs, bits))) {
        cli_fail(CMD, "run", FOLKRNN_E_NOMEM);
        goto done;
    }
    if (heatmap(o, "run_probs.png", pt, "Posterior over the tokens at each step",
                "step (lines: bar tokens fed)", "token", tokens, marks, nmarks,
                FOLKRNN_CMAP_SEQUENTIAL))
        goto done;
    folkrnn_series *series = calloc((size_t)nl, sizeof *series);
    double *mean = calloc((size_t)nl * (steps / 2 + 1), sizeof *mean);
    double *periods = calloc((size_t)steps / 2 + 1, sizeof *periods);
    status = !series || !mean || !periods ? cli_fail(CMD, "run", FOLKRNN_E_NOMEM) : CLI_OK;
    char name[64], title[96], path[4096];
    static char labels[16][32];
    for (int l = 0; !status && l < nl; l++) {
        folkrnn_matrix *h = NULL, *ht = NULL;
        if ((rc = folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_HIDDEN, l, 0, &h)) ||
            (rc = folkrnn_matrix_transpose(h, &ht)))
            status = cli_fail(CMD, "hidden states", rc);
        snprintf(name, sizeof name, "run_h%d.png", l);
        snprintf(title, sizeof title, "Hidden state of layer %d (unit x step)", l);
        if (!status)
            status = heatmap(o, name, ht, title, "step", "unit", NULL, marks, nmarks,
                             FOLKRNN_CMAP_DIVERGING);
        if (!status && steps >= 4 &&
            (rc = layer_spectra(o, h, l, mean + (size_t)l * (steps / 2 + 1), periods)))
            status = cli_fail(CMD, "spectra", rc);
        snprintf(labels[l % 16], sizeof labels[0], "layer %d", l);
        series[l] = (folkrnn_series){labels[l % 16], steps / 2, periods,
                                     mean + (size_t)l * (steps / 2 + 1) + 1};
        folkrnn_matrix_free(h);
        folkrnn_matrix_free(ht);
    }
    folkrnn_plot_opts po;
    folkrnn_plot_opts_init(&po);
    po.title = "Mean power spectrum of the hidden units";
    po.xlabel = "period (steps)";
    po.ylabel = "power";
    po.log_x = po.log_y = 1;
    if (!status && steps >= 4) {
        if ((rc = folkrnn_svg_lines(out_file(o, path, sizeof path, "run_spectra.svg"), series, nl,
                                    &po)))
            status = cli_fail(CMD, path, rc);
        else
            printf("wrote %s\n", path);
    }
    folkrnn_series es = {"entropy", steps, NULL, bits};
    folkrnn_plot_opts_init(&po);
    po.title = "Entropy of the posterior at each step";
    po.xlabel = "step";
    po.ylabel = "bits";
    if (!status) {
        if ((rc =
                 folkrnn_svg_lines(out_file(o, path, sizeof path, "run_entropy.svg"), &es, 1, &po)))
            status = cli_fail(CMD, path, rc);
        else
            printf("wrote %s\n", path);
    }
    free(series);
    free(mean);
    free(periods);
done:
    free(tokens);
    free(marks);
    free(bits);
    folkrnn_matrix_free(probs);
    folkrnn_matrix_free(pt);
    return status;
}

static int analyze_run(const struct options *o, const folkrnn_model *m)
{
    folkrnn_recorder *rec = NULL;
    folkrnn_state *own = NULL;
    folkrnn_sampler *sampler = NULL;
    int *tune = NULL, *fed = NULL, len = 0, steps = 0, status = CLI_FAIL;
    char path[4096];
    int rc = record_tune(o, m, &rec, &own, &sampler, &tune, &len);
    if (!rc)
        rc = folkrnn_recorder_data(rec, FOLKRNN_HOOK_PROBS, 0, 0, NULL, NULL, &steps, NULL);
    if (!rc && steps < 1)
        rc = FOLKRNN_E_RANGE;
    if (!rc)
        rc = fed_tokens(m, tune, len, steps, &fed);
    if (!rc)
        rc = folkrnn_recorder_save_npz(rec, out_file(o, path, sizeof path, "run.npz"), 0);
    if (rc) {
        cli_fail(CMD, "run", rc);
    } else {
        printf("wrote %s\n", path);
        print_tune(m, tune, len);
        status = run_pictures(o, m, rec, fed, steps);
    }
    folkrnn_recorder_free(rec);
    folkrnn_state_free(own);
    folkrnn_sampler_free(sampler);
    free(tune);
    free(fed);
    return status;
}

/* ---- sweep --------------------------------------------------------------- */

#define CHOOSER_TUNES 10  /* tunes whose spectra choose the units */
#define SPECTRUM_GRID 256 /* common bins of the chooser tunes' spectra */

static int set_max_len(folkrnn_sampler *s, void *user)
{
    return folkrnn_sampler_set_max_len(s, (int)*(const long *)user);
}

/* Band shares of the layer's hidden units over CHOOSER_TUNES tunes. */
static int band_shares(const struct options *o, const folkrnn_model *m, int layer, double *share)
{
    folkrnn_sampler *s = NULL;
    folkrnn_recorder *rec = NULL;
    folkrnn_matrix *sum = NULL;
    int rc;
    if ((rc = folkrnn_sampler_new(m, &s)) || (rc = folkrnn_sampler_set_seed(s, o->seed + 1000)) ||
        (rc = folkrnn_sampler_set_max_len(s, (int)o->max_len)) ||
        (rc = folkrnn_recorder_new(folkrnn_sampler_state(s), 0, &rec)) ||
        (rc = folkrnn_recorder_add(rec, FOLKRNN_HOOK_HIDDEN, layer)))
        goto done;
    for (int k = 0; !rc && k < CHOOSER_TUNES; k++) {
        folkrnn_tunes *t = NULL;
        folkrnn_matrix *h = NULL, *p = NULL;
        folkrnn_recorder_clear(rec);
        if (!(rc = folkrnn_sample(s, 1, &t)) &&
            !(rc = folkrnn_recorder_matrix(rec, FOLKRNN_HOOK_HIDDEN, layer, 0, &h)) &&
            !(rc = folkrnn_unit_spectra(h, FOLKRNN_WINDOW_HANN, 1, SPECTRUM_GRID, &p)))
            rc = sum ? folkrnn_matrix_add(sum, p, 1.0) : folkrnn_matrix_copy(p, &sum);
        folkrnn_tunes_free(t);
        folkrnn_matrix_free(h);
        folkrnn_matrix_free(p);
    }
    if (!rc)
        rc = folkrnn_band_share(sum, SPECTRUM_GRID, o->period, o->tol, share);
done:
    folkrnn_matrix_free(sum);
    folkrnn_recorder_free(rec);
    folkrnn_sampler_free(s);
    return rc;
}

static int sweep_report(const struct options *o, const folkrnn_sweep_point *res, int nres,
                        int nfrac)
{
    char path[4096];
    folkrnn_matrix *table;
    int rc = folkrnn_matrix_new(nres, 9, &table);
    if (rc)
        return cli_fail(CMD, "sweep", rc);
    double *x = malloc((size_t)nres * sizeof *x), *y = malloc((size_t)nres * sizeof *y);
    printf("rule\tfraction\tunits\ttunes\tended\tbars\tcorrect\tshare\tloglik/token\n");
    for (int i = 0; i < nres; i++) {
        const folkrnn_sweep_point *p = &res[i];
        double share = p->nbars ? (double)p->ncorrect / p->nbars : 0.0;
        double per_token = p->ntokens ? p->loglik / p->ntokens : 0.0;
        printf("%s\t%.3f\t%d\t%d\t%d\t%ld\t%ld\t%.3f\t%.4f\n",
               p->rule == FOLKRNN_SWEEP_TOP ? "period" : "random", p->fraction, p->nunits,
               p->ntunes, p->nended, p->nbars, p->ncorrect, share, per_token);
        double row[9] = {p->rule,  p->fraction, p->nunits, p->ntunes, p->nended,
                         p->nbars, p->ncorrect, share,     per_token};
        memcpy(table->data + (size_t)i * table->ld, row, sizeof row);
        if (x && y)
            x[i] = p->fraction, y[i] = share;
    }
    static const char *cols[9] = {"rule", "fraction", "units",         "tunes",           "ended",
                                  "bars", "correct",  "share_correct", "loglik_per_token"};
    int status = CLI_OK;
    if ((rc = folkrnn_csv_save(out_file(o, path, sizeof path, "sweep.csv"), table, cols)))
        status = cli_fail(CMD, path, rc);
    else
        printf("wrote %s\n", path);
    folkrnn_series series[2] = {{"units with power near the period", nfrac, x, y},
                                {"random units", nfrac, x + nfrac, y + nfrac}};
    folkrnn_plot_opts po;
    folkrnn_plot_opts_init(&po);
    po.title = "Bars of the right length after snipping";
    po.xlabel = "fraction of the layer's units snipped";
    po.ylabel = "share of bars correct";
    if (!status && x && y) {
        if ((rc = folkrnn_svg_lines(out_file(o, path, sizeof path, "sweep.svg"), series, 2, &po)))
            status = cli_fail(CMD, path, rc);
        else
            printf("wrote %s\n", path);
    }
    free(x);
    free(y);
    folkrnn_matrix_free(table);
    return status;
}

static int analyze_sweep(const struct options *o, const folkrnn_model *m)
{
    int nl = folkrnn_model_num_layers(m), layer = o->layer < 0 ? nl - 1 : (int)o->layer;
    int units = folkrnn_model_hidden_size(m, layer);
    if (units < 0)
        return cli_fail(CMD, "--layer", units);
    double fractions[64];
    int nfrac = 0;
    for (const char *at = o->fractions; *at && nfrac < 64;) {
        char *end;
        fractions[nfrac] = strtod(at, &end);
        if (end == at || !(fractions[nfrac] >= 0 && fractions[nfrac] <= 1))
            return cli_usage_error(CMD, "--fractions: '%s' is not a list of numbers in [0, 1]",
                                   o->fractions);
        nfrac++;
        at = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return cli_usage_error(CMD, "--fractions: '%s'", o->fractions);
    }
    double *share = malloc((size_t)units * sizeof *share);
    folkrnn_sweep_point *res = malloc((size_t)2 * nfrac * sizeof *res);
    int rules[2] = {FOLKRNN_SWEEP_TOP, FOLKRNN_SWEEP_RANDOM}, selected = 0, rc;
    if (!share || !res)
        rc = FOLKRNN_E_NOMEM;
    else
        rc = band_shares(o, m, layer, share);
    for (int u = 0; !rc && u < units; u++)
        selected += share[u] >= o->threshold;
    if (!rc)
        printf("layer %d: %d of %d units (%.0f%%) have >= %.0f%% of their power at period %g +- %g "
               "over %d tunes\n",
               layer, selected, units, 100.0 * selected / units, 100 * o->threshold, o->period,
               o->tol, CHOOSER_TUNES);
    long max_len = o->max_len;
    if (!rc)
        rc = folkrnn_snip_sweep(m, layer, FOLKRNN_SNIP_FORWARD | FOLKRNN_SNIP_RECURRENT, share,
                                rules, 2, fractions, nfrac, o->tunes > 0 ? (int)o->tunes : 20,
                                (unsigned long long)o->seed, set_max_len, &max_len, res);
    int status = rc ? cli_fail(CMD, "sweep", rc) : sweep_report(o, res, 2 * nfrac, nfrac);
    free(share);
    free(res);
    return status;
}

/* ---- copies -------------------------------------------------------------- */

static int analyze_copies(const struct options *o, const folkrnn_vocab *v)
{
    if (!o->corpus || !o->tokens)
        return cli_usage_error(CMD, "copies needs --corpus FILE and --tokens TEXT");
    folkrnn_corpus *c = NULL;
    int n = folkrnn_parse_tokens(v, o->tokens, 0, NULL, 0), *ids = NULL, *counts = NULL, rc;
    if (n < 0)
        return cli_fail(CMD, "--tokens", n);
    if (n < o->n)
        return cli_usage_error(CMD, "the tune has %d tokens, fewer than -n %ld", n, o->n);
    ids = malloc((size_t)n * sizeof *ids);
    counts = malloc((size_t)n * sizeof *counts);
    rc = !ids || !counts ? FOLKRNN_E_NOMEM : 0;
    if (!rc && (n = folkrnn_parse_tokens(v, o->tokens, 0, ids, n)) < 0)
        rc = n;
    if (!rc)
        rc = folkrnn_corpus_load(v, o->corpus, &c);
    if (!rc)
        rc = folkrnn_corpus_figures(c, ids, n, (int)o->n, counts);
    if (!rc) {
        printf("%d tunes in %s; figures of %ld tokens:\n", folkrnn_corpus_count(c), o->corpus,
               o->n);
        for (int w = 0; w + o->n <= n; w++) {
            printf("%d\t%d\t", w, counts[w]);
            for (int i = 0; i < o->n; i++)
                printf("%s%s", i ? " " : "", folkrnn_vocab_token(v, ids[w + i]));
            printf("\n");
        }
    }
    folkrnn_corpus_free(c);
    free(ids);
    free(counts);
    return rc ? cli_fail(CMD, "copies", rc) : CLI_OK;
}

/* ---- the command --------------------------------------------------------- */

int cmd_analyze(int argc, char **argv)
{
    struct options o;
    int parsed = parse_args(argc, argv, &o);
    if (parsed)
        return parsed > 0 ? (fputs(usage_text, stdout), CLI_OK) : CLI_USAGE;
    static const char *verbs[] = {"softmax", "gates", "run", "sweep", "copies"};
    int verb = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(o.verb, verbs[i]))
            verb = i;
    if (verb < 0)
        return cli_usage_error(CMD, "unknown verb '%s'", o.verb);
    if (mkdir(o.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "folkrnn %s: cannot make %s: %s\n", CMD, o.out, strerror(errno));
        return CLI_FAIL;
    }
    if (verb == 4 && !o.model) { /* copies needs only a vocabulary */
        folkrnn_vocab *v;
        int rc = folkrnn_vocab_v2(&v);
        int status = rc ? cli_fail(CMD, "vocabulary", rc) : analyze_copies(&o, v);
        folkrnn_vocab_free(v);
        return status;
    }
    folkrnn_model *m = cli_load_model(CMD, o.model);
    if (!m)
        return CLI_FAIL;
    int status;
    if (verb == 4) {
        folkrnn_vocab *v;
        int rc = folkrnn_vocab_from_model(m, &v);
        status = rc ? cli_fail(CMD, "vocabulary", rc) : analyze_copies(&o, v);
        folkrnn_vocab_free(v);
    } else {
        int (*run[])(const struct options *, const folkrnn_model *) = {
            analyze_softmax, analyze_gates, analyze_run, analyze_sweep};
        status = run[verb](&o, m);
    }
    folkrnn_model_free(m);
    return status;
}
