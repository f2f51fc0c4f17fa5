/* an_ablate.c -- interventions on a running state (edits through hooks),
   snipping connections of a model, choosing units, and the odds arithmetic
   of logit changes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "an_internal.h"

/* ---- edits --------------------------------------------------------------- */

struct edit {
    int point, layer, stream; /* layer, stream -1: every one */
    int *units;               /* [nunits], owned; NULL: every value */
    int nunits;
    int op; /* FOLKRNN_EDIT_* */
    float value;
    long from, to; /* steps [from, to); to < 0: no end */
};

struct folkrnn_edits {
    folkrnn_state *s;
    int hook_id[FOLKRNN_HOOK_NPOINTS]; /* -1: point not hooked */
    struct edit *edits;
    int nedits, cap;
};

static float apply(int op, float x, float value)
{
    return op == FOLKRNN_EDIT_SET ? value : op == FOLKRNN_EDIT_SCALE ? x * value : x + value;
}

static int edit_applies(const struct edit *e, const folkrnn_hook_event *ev)
{
    return e->point == ev->point &&
           (e->layer < 0 || fr_is_output_point(e->point) || e->layer == ev->layer) &&
           (e->stream < 0 || e->stream == ev->stream) && ev->step >= e->from &&
           (e->to < 0 || ev->step < e->to);
}

static int on_edit(const folkrnn_hook_event *ev, float *values, void *user)
{
    const folkrnn_edits *set = user;
    for (int i = 0; i < set->nedits; i++) {
        const struct edit *e = &set->edits[i];
        if (!edit_applies(e, ev))
            continue;
        if (!e->units)
            for (int k = 0; k < ev->n; k++)
                values[k] = apply(e->op, values[k], e->value);
        for (int k = 0; e->units && k < e->nunits; k++)
            values[e->units[k]] = apply(e->op, values[e->units[k]], e->value);
    }
    return 0;
}

int folkrnn_edits_new(folkrnn_state *s, folkrnn_edits **out)
{
    if (!s || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_edits_new: NULL %s", s ? "out" : "state");
    folkrnn_edits *e = calloc(1, sizeof *e);
    if (!(*out = e))
        return fr_oom("edits", sizeof *e);
    e->s = s;
    for (int p = 0; p < FOLKRNN_HOOK_NPOINTS; p++)
        e->hook_id[p] = -1;
    return FOLKRNN_OK;
}

/* FOLKRNN_E_RANGE when a unit index is beyond the values of a layer the
   edit reaches. */
static int check_units(const folkrnn_model *m, int point, int layer, const int *units, int nunits)
{
    int nl = folkrnn_model_num_layers(m);
    for (int l = fr_is_output_point(point) ? 0 : layer < 0 ? 0 : layer; l < nl; l++) {
        int size = fr_is_output_point(point) ? folkrnn_model_vocab_size(m)
                                             : folkrnn_model_hidden_size(m, l);
        for (int k = 0; k < nunits; k++)
            if (units[k] < 0 || units[k] >= size)
                return fr_error(FOLKRNN_E_RANGE,
                                "folkrnn_edits_add: units[%d] = %d outside [0, %d) "
                                "of %s layer %d",
                                k, units[k], size, folkrnn_hook_point_name(point), l);
        if (fr_is_output_point(point) || layer >= 0)
            break;
    }
    return FOLKRNN_OK;
}

static int check_edit(const folkrnn_edits *e, int point, int layer, int stream, const int *units,
                      int nunits, int op, double value)
{
    const folkrnn_model *m = folkrnn_state_model(e->s);
    if (point < 0 || point >= FOLKRNN_HOOK_NPOINTS || op < FOLKRNN_EDIT_SET ||
        op > FOLKRNN_EDIT_ADD || isnan(value) || nunits < 0 || (nunits > 0 && !units))
        return fr_error(FOLKRNN_E_INVALID,
                        "folkrnn_edits_add: point %d, op %d, value %g, "
                        "%d units%s",
                        point, op, value, nunits, units ? "" : " (NULL)");
    if ((!fr_is_output_point(point) && (layer < -1 || layer >= folkrnn_model_num_layers(m))) ||
        stream < -1 || stream >= folkrnn_state_nstreams(e->s))
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_edits_add: layer %d (of %d), stream %d (of %d)",
                        layer, folkrnn_model_num_layers(m), stream, folkrnn_state_nstreams(e->s));
    return check_units(m, point, layer, units, nunits);
}

int folkrnn_edits_add(folkrnn_edits *e, int point, int layer, int stream, const int *units,
                      int nunits, int op, double value, long from, long to)
{
    if (!e)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_edits_add: NULL edits");
    int rc = check_edit(e, point, layer, stream, units, nunits, op, value);
    if (rc)
        return rc;
    if (e->nedits == e->cap) {
        int cap = e->cap ? 2 * e->cap : 8;
        struct edit *grown = realloc(e->edits, (size_t)cap * sizeof *grown);
        if (!grown)
            return fr_oom("edit list", (size_t)cap * sizeof *grown);
        e->edits = grown;
        e->cap = cap;
    }
    int *copy = NULL;
    if (nunits > 0) {
        if (!(copy = malloc((size_t)nunits * sizeof *copy)))
            return fr_oom("edit units", (size_t)nunits * sizeof *copy);
        memcpy(copy, units, (size_t)nunits * sizeof *copy);
    }
    if (e->hook_id[point] < 0) { /* the state refuses points the cell type lacks */
        int id = folkrnn_state_add_hook(e->s, point, -1, on_edit, e);
        if (id < 0) {
            free(copy);
            return id;
        }
        e->hook_id[point] = id;
    }
    e->edits[e->nedits++] =
        (struct edit){point, layer, stream, copy, nunits, op, (float)value, from, to};
    return FOLKRNN_OK;
}

void folkrnn_edits_free(folkrnn_edits *e)
{
    if (!e)
        return;
    for (int p = 0; p < FOLKRNN_HOOK_NPOINTS; p++)
        if (e->hook_id[p] >= 0)
            folkrnn_state_remove_hook(e->s, e->hook_id[p]);
    for (int i = 0; i < e->nedits; i++)
        free(e->edits[i].units);
    free(e->edits);
    free(e);
}

/* ---- snipping ------------------------------------------------------------ */

/* Zero rows units[] of parameter which of layer. */
static int zero_rows(folkrnn_model *m, int layer, int which, const int *units, int nunits)
{
    float *w;
    int rows, cols, ld;
    int rc = folkrnn_model_param(m, layer, which, &w, &rows, &cols, &ld);
    for (int k = 0; !rc && k < nunits; k++)
        memset(w + (size_t)units[k] * ld, 0, (size_t)cols * sizeof *w);
    return rc;
}

int folkrnn_model_snip(folkrnn_model *m, int layer, const int *units, int nunits, int what)
{
    if (!m || (nunits > 0 && !units) || nunits < 0 || what < 1 ||
        (what & ~(FOLKRNN_SNIP_FORWARD | FOLKRNN_SNIP_RECURRENT)))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_model_snip: %s",
                        !m                                     ? "NULL model"
                        : nunits < 0 || (nunits > 0 && !units) ? "bad units"
                                                               : "bad what");
    int nl = folkrnn_model_num_layers(m);
    if (layer < 0 || layer >= nl)
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_model_snip: layer %d of %d", layer, nl);
    int size = folkrnn_model_hidden_size(m, layer);
    for (int k = 0; k < nunits; k++)
        if (units[k] < 0 || units[k] >= size)
            return fr_error(FOLKRNN_E_RANGE, "folkrnn_model_snip: units[%d] = %d outside [0, %d)",
                            k, units[k], size);
    int rc = FOLKRNN_OK;
    if (what & FOLKRNN_SNIP_FORWARD)
        rc = layer + 1 < nl ? zero_rows(m, layer + 1, FOLKRNN_P_W_IN, units, nunits)
                            : zero_rows(m, 0, FOLKRNN_P_DENSE_W, units, nunits);
    if (!rc && (what & FOLKRNN_SNIP_RECURRENT))
        rc = zero_rows(m, layer, FOLKRNN_P_W_HID, units, nunits);
    return rc;
}

/* ---- choosing units ------------------------------------------------------ */

/* splitmix64: a documented 64-bit generator, the same on every platform. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int ascending(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int check_choice(const void *p, const int *units, int n, int k, const char *fn)
{
    if (!p || !units || k < 0 || n < k)
        return fr_error(FOLKRNN_E_INVALID, "%s: %s (n %d, k %d)", fn,
                        !p || !units ? "NULL argument" : "need 0 <= k <= n", n, k);
    return FOLKRNN_OK;
}

int folkrnn_choose_random(int n, int k, unsigned long long seed, int *units)
{
    int rc = check_choice(units, units, n, k, "folkrnn_choose_random");
    if (rc)
        return rc;
    int *pool = malloc((size_t)(n > 0 ? n : 1) * sizeof *pool); /* [n] */
    if (!pool)
        return fr_oom("folkrnn_choose_random", (size_t)n * sizeof *pool);
    for (int i = 0; i < n; i++)
        pool[i] = i;
    uint64_t x = seed;
    for (int i = 0; i < k; i++) { /* partial Fisher-Yates */
        double u = (double)(splitmix64(&x) >> 11) * 0x1p-53;
        int j = i + (int)(u * (n - i));
        int t = pool[i];
        pool[i] = pool[j], pool[j] = t;
    }
    memcpy(units, pool, (size_t)k * sizeof *units);
    free(pool);
    qsort(units, (size_t)k, sizeof *units, ascending);
    return FOLKRNN_OK;
}

struct scored {
    double score;
    int index;
};

/* Larger score first, NaN last, then lower index. */
static int by_score(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;
    int xn = isnan(x->score), yn = isnan(y->score);
    if (xn != yn)
        return xn - yn;
    if (!xn && x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

int folkrnn_choose_top(const double *score, int n, int k, int *units)
{
    int rc = check_choice(score, units, n, k, "folkrnn_choose_top");
    if (rc)
        return rc;
    struct scored *all = malloc((size_t)(n > 0 ? n : 1) * sizeof *all);
    if (!all)
        return fr_oom("folkrnn_choose_top", (size_t)n * sizeof *all);
    for (int i = 0; i < n; i++)
        all[i] = (struct scored){score[i], i};
    qsort(all, (size_t)n, sizeof *all, by_score);
    for (int i = 0; i < k; i++)
        units[i] = all[i].index;
    free(all);
    qsort(units, (size_t)k, sizeof *units, ascending);
    return FOLKRNN_OK;
}

/* ---- odds and forcing inputs --------------------------------------------- */

double folkrnn_odds_delta(double factor)
{
    return factor > 0.0 ? log(factor) : NAN;
}

double folkrnn_prob_after_delta(double p, double delta)
{
    if (!(p >= 0.0 && p <= 1.0))
        return NAN;
    if (p == 0.0 || p == 1.0)
        return p;
    /* p e^d / (1 - p + p e^d), written to stay finite for large |d| */
    return 1.0 / (1.0 + (1.0 - p) / p * exp(-delta));
}

int folkrnn_two_hot(float *row, int vocab, int a, double wa, int b, double wb)
{
    if (!row || vocab < 1 || !isfinite(wa) || !isfinite(wb))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_two_hot: %s",
                        !row        ? "NULL row"
                        : vocab < 1 ? "vocab < 1"
                                    : "non-finite weight");
    if (a < 0 || a >= vocab || b < 0 || b >= vocab)
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_two_hot: tokens %d, %d outside [0, %d)", a, b,
                        vocab);
    memset(row, 0, (size_t)vocab * sizeof *row);
    row[a] += (float)wa;
    row[b] += (float)wb;
    return FOLKRNN_OK;
}
