/* an_record.c -- the recorder: hooks that copy activations into growing
   steps x n tables, one per (point, layer, stream), under a memory bound.

   One hook per recorded point is registered for every layer; the wanted
   layers are a mask, so adding a point twice (or for a layer and then for
   all) never records a row twice.  The hook is a lookup and a memcpy. */
#include <stdlib.h>
#include <string.h>
#include "an_internal.h"

/* The rows of one (point, layer, stream). */
struct track {
    int point, layer, stream;
    int n;       /* values per row */
    float *rows; /* cap x n */
    long *steps; /* cap */
    int count, cap;
};

struct folkrnn_recorder {
    folkrnn_state *s;
    int num_layers, nstreams;
    size_t max_bytes; /* 0: no bound */
    size_t bytes;     /* held by rows and steps in use */
    int truncated;
    int hook_id[FOLKRNN_HOOK_NPOINTS]; /* -1: point not hooked */
    unsigned char *wanted;             /* [NPOINTS x num_layers] */
    int *slot;                         /* [NPOINTS x num_layers x nstreams]: track index or -1 */
    struct track *tracks;
    int ntracks, cap;
};

/* Where (point, layer, stream) is in the tables; LOGITS and PROBS have no
   layer and live at layer 0. */
static size_t slot_of(const folkrnn_recorder *r, int point, int layer, int stream)
{
    size_t at = (size_t)point * r->num_layers + (fr_is_output_point(point) ? 0 : layer);
    return at * r->nstreams + (size_t)stream;
}

/* The track of an event, made on first use; NULL when it cannot be. */
static struct track *track_for(folkrnn_recorder *r, const folkrnn_hook_event *ev)
{
    int *slot = &r->slot[slot_of(r, ev->point, ev->layer, ev->stream)];
    if (*slot >= 0)
        return &r->tracks[*slot];
    if (r->ntracks == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        struct track *grown = realloc(r->tracks, (size_t)cap * sizeof *grown);
        if (!grown)
            return NULL;
        r->tracks = grown;
        r->cap = cap;
    }
    struct track *t = &r->tracks[r->ntracks];
    int layer = fr_is_output_point(ev->point) ? -1 : ev->layer;
    *t = (struct track){ev->point, layer, ev->stream, ev->n, NULL, NULL, 0, 0};
    *slot = r->ntracks++;
    return t;
}

/* Room for one more row in t, within the bound; 0 when there is none. */
static int make_room(folkrnn_recorder *r, struct track *t)
{
    size_t row_bytes = (size_t)t->n * sizeof(float) + sizeof(long);
    if (r->max_bytes && r->bytes + row_bytes > r->max_bytes)
        return 0;
    if (t->count < t->cap)
        return 1;
    size_t cap = t->cap ? 2 * (size_t)t->cap : 64;
    if (r->max_bytes) { /* never hold much more than the bound allows */
        size_t fits = t->count + (r->max_bytes - r->bytes) / row_bytes;
        cap = cap < fits ? cap : fits;
    }
    if (cap > (size_t)1 << 30)
        return 0;
    float *rows = realloc(t->rows, cap * (size_t)t->n * sizeof *rows);
    if (rows)
        t->rows = rows;
    long *steps = rows ? realloc(t->steps, cap * sizeof *steps) : NULL;
    if (!steps)
        return 0;
    t->steps = steps;
    t->cap = (int)cap;
    return 1;
}

static int on_event(const folkrnn_hook_event *ev, float *values, void *user)
{
    folkrnn_recorder *r = user;
    int layer = fr_is_output_point(ev->point) ? 0 : ev->layer;
    if (!r->wanted[(size_t)ev->point * r->num_layers + layer] || r->truncated)
        return 0;
    struct track *t = track_for(r, ev);
    if (!t || !make_room(r, t)) {
        r->truncated = 1;
        return 0;
    }
    memcpy(t->rows + (size_t)t->count * t->n, values, (size_t)t->n * sizeof *values);
    t->steps[t->count++] = ev->step;
    r->bytes += (size_t)t->n * sizeof(float) + sizeof(long);
    return 0;
}

int folkrnn_recorder_new(folkrnn_state *s, size_t max_bytes, folkrnn_recorder **out)
{
    if (!s || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_recorder_new: NULL %s", s ? "out" : "state");
    *out = NULL;
    const folkrnn_model *m = folkrnn_state_model(s);
    folkrnn_recorder *r = calloc(1, sizeof *r);
    if (!r)
        return fr_oom("recorder", sizeof *r);
    r->s = s;
    r->num_layers = folkrnn_model_num_layers(m);
    r->nstreams = folkrnn_state_nstreams(s);
    r->max_bytes = max_bytes;
    size_t masks = (size_t)FOLKRNN_HOOK_NPOINTS * r->num_layers;
    r->wanted = calloc(masks, 1);
    r->slot = malloc(masks * r->nstreams * sizeof *r->slot);
    if (!r->wanted || !r->slot) {
        folkrnn_recorder_free(r);
        return fr_oom("recorder tables", masks * (1 + r->nstreams * sizeof(int)));
    }
    for (size_t i = 0; i < masks * r->nstreams; i++)
        r->slot[i] = -1;
    for (int p = 0; p < FOLKRNN_HOOK_NPOINTS; p++)
        r->hook_id[p] = -1;
    *out = r;
    return FOLKRNN_OK;
}

int folkrnn_recorder_add(folkrnn_recorder *r, int point, int layer)
{
    if (!r)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_recorder_add: NULL recorder");
    if (point < 0 || point >= FOLKRNN_HOOK_NPOINTS)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_recorder_add: unknown point %d", point);
    if (!fr_is_output_point(point) && (layer < -1 || layer >= r->num_layers))
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_recorder_add: layer %d is not -1 or in [0, %d)",
                        layer, r->num_layers);
    if (r->hook_id[point] < 0) { /* the state checks the point exists for the cell type */
        int id = folkrnn_state_add_hook(r->s, point, -1, on_event, r);
        if (id < 0)
            return id;
        r->hook_id[point] = id;
    }
    for (int l = 0; l < r->num_layers; l++)
        if (fr_is_output_point(point) ? l == 0 : layer == -1 || layer == l)
            r->wanted[(size_t)point * r->num_layers + l] = 1;
    return FOLKRNN_OK;
}

int folkrnn_recorder_add_all(folkrnn_recorder *r)
{
    if (!r)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_recorder_add_all: NULL recorder");
    static const int lstm[] = {FOLKRNN_HOOK_INGATE,  FOLKRNN_HOOK_FORGETGATE, FOLKRNN_HOOK_CELLGATE,
                               FOLKRNN_HOOK_OUTGATE, FOLKRNN_HOOK_CELL,       FOLKRNN_HOOK_HIDDEN,
                               FOLKRNN_HOOK_LOGITS,  FOLKRNN_HOOK_PROBS};
    static const int gru[] = {FOLKRNN_HOOK_RESETGATE, FOLKRNN_HOOK_UPDATEGATE,
                              FOLKRNN_HOOK_CELLGATE,  FOLKRNN_HOOK_HIDDEN,
                              FOLKRNN_HOOK_LOGITS,    FOLKRNN_HOOK_PROBS};
    int is_gru = folkrnn_model_cell_type(folkrnn_state_model(r->s)) == FOLKRNN_CELL_GRU;
    const int *points = is_gru ? gru : lstm;
    int n = is_gru ? (int)(sizeof gru / sizeof *gru) : (int)(sizeof lstm / sizeof *lstm);
    for (int i = 0; i < n; i++) {
        int rc = folkrnn_recorder_add(r, points[i], -1);
        if (rc)
            return rc;
    }
    return FOLKRNN_OK;
}

/* The track of (point, layer, stream), or NULL when nothing was recorded. */
static int find_track(const folkrnn_recorder *r, int point, int layer, int stream,
                      const struct track **t, const char *fn)
{
    *t = NULL;
    if (!r)
        return fr_error(FOLKRNN_E_INVALID, "%s: NULL recorder", fn);
    if (point < 0 || point >= FOLKRNN_HOOK_NPOINTS)
        return fr_error(FOLKRNN_E_INVALID, "%s: unknown point %d", fn, point);
    if ((!fr_is_output_point(point) && (layer < 0 || layer >= r->num_layers)) || stream < 0 ||
        stream >= r->nstreams)
        return fr_error(FOLKRNN_E_RANGE, "%s: layer %d (of %d), stream %d (of %d)", fn, layer,
                        r->num_layers, stream, r->nstreams);
    int slot = r->slot[slot_of(r, point, layer, stream)];
    if (slot >= 0 && r->tracks[slot].count > 0)
        *t = &r->tracks[slot];
    return FOLKRNN_OK;
}

int folkrnn_recorder_data(const folkrnn_recorder *r, int point, int layer, int stream,
                          const float **data, const long **steps, int *rows, int *cols)
{
    const struct track *t;
    int rc = find_track(r, point, layer, stream, &t, "folkrnn_recorder_data");
    if (rc)
        return rc;
    if (data)
        *data = t ? t->rows : NULL;
    if (steps)
        *steps = t ? t->steps : NULL;
    if (rows)
        *rows = t ? t->count : 0;
    if (cols)
        *cols = t ? t->n : 0;
    return FOLKRNN_OK;
}

int folkrnn_recorder_matrix(const folkrnn_recorder *r, int point, int layer, int stream,
                            folkrnn_matrix **out)
{
    const struct track *t;
    if (!out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_recorder_matrix: NULL out");
    *out = NULL;
    int rc = find_track(r, point, layer, stream, &t, "folkrnn_recorder_matrix");
    if (rc)
        return rc;
    if (!t)
        return fr_error(FOLKRNN_E_RANGE,
                        "folkrnn_recorder_matrix: nothing recorded at %s, layer "
                        "%d, stream %d",
                        folkrnn_hook_point_name(point), layer, stream);
    return folkrnn_matrix_from_float(t->rows, t->count, t->n, t->n, out);
}

int folkrnn_recorder_truncated(const folkrnn_recorder *r)
{
    return r ? r->truncated : -1;
}

size_t folkrnn_recorder_bytes(const folkrnn_recorder *r)
{
    return r ? r->bytes : 0;
}

void folkrnn_recorder_clear(folkrnn_recorder *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->ntracks; i++)
        r->tracks[i].count = 0;
    r->bytes = 0;
    r->truncated = 0;
}

/* Member names of a track: "hidden_l2_s0" or "logits_s0". */
static void track_name(const struct track *t, char *buf, size_t size)
{
    if (t->layer < 0)
        snprintf(buf, size, "%s_s%d", folkrnn_hook_point_name(t->point), t->stream);
    else
        snprintf(buf, size, "%s_l%d_s%d", folkrnn_hook_point_name(t->point), t->layer, t->stream);
}

/* Add one track's rows and step numbers to z. */
static int save_track(folkrnn_npz *z, const struct track *t)
{
    char name[64], steps_name[80];
    track_name(t, name, sizeof name);
    snprintf(steps_name, sizeof steps_name, "%s_steps", name);
    long shape[2] = {t->count, t->n};
    int rc = folkrnn_npz_add(z, name, t->rows, FOLKRNN_DTYPE_F32, 2, shape);
    if (rc)
        return rc;
    int32_t *steps = malloc((size_t)t->count * sizeof *steps);
    if (!steps)
        return fr_oom("recorder steps", (size_t)t->count * sizeof *steps);
    for (int i = 0; i < t->count; i++)
        steps[i] = (int32_t)t->steps[i];
    rc = folkrnn_npz_add(z, steps_name, steps, FOLKRNN_DTYPE_I32, 1, shape);
    free(steps);
    return rc;
}

int folkrnn_recorder_save_npz(const folkrnn_recorder *r, const char *path, int flags)
{
    if (!r || !path)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_recorder_save_npz: NULL %s",
                        r ? "path" : "recorder");
    int any = 0;
    for (int i = 0; i < r->ntracks; i++)
        any |= r->tracks[i].count > 0;
    if (!any)
        return fr_error(FOLKRNN_E_RANGE, "folkrnn_recorder_save_npz: nothing recorded");
    folkrnn_npz *z;
    int rc = folkrnn_npz_open(path, flags, &z);
    for (int i = 0; !rc && i < r->ntracks; i++)
        if (r->tracks[i].count > 0)
            rc = save_track(z, &r->tracks[i]);
    int closed = folkrnn_npz_close(z);
    return rc ? rc : closed;
}

void folkrnn_recorder_free(folkrnn_recorder *r)
{
    if (!r)
        return;
    for (int p = 0; p < FOLKRNN_HOOK_NPOINTS; p++)
        if (r->hook_id[p] >= 0)
            folkrnn_state_remove_hook(r->s, r->hook_id[p]);
    for (int i = 0; i < r->ntracks; i++) {
        free(r->tracks[i].rows);
        free(r->tracks[i].steps);
    }
    free(r->tracks);
    free(r->wanted);
    free(r->slot);
    free(r);
}
