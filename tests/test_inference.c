/* test_inference.c -- the forward pass and its hooks against an independent
   float64 numpy implementation of the reference equations.

   tests/make_fixtures.py (numpy only, never libfolkrnn) wrote the models and
   the reference runs in tests/fixtures: *_ref.txt hold, for every case, step
   and stream, the values of every hook point (after the case's
   intervention); *_weights.txt every pickled weight in plain text.  This
   program loads the pickles with folkrnn_model_load, steps the same inputs
   through a two-stream state with recording hooks, and compares. */
#include "testutil.h"
#include <math.h>

#define MAXV 64        /* values per record: the fixtures have <= 11 */
#define MAXCASES 8
#define NPOINTS_LSTM 8 /* FOLKRNN_HOOK_INGATE .. FOLKRNN_HOOK_PROBS */
#define PROBS_TOL 1e-5 /* absolute, on probabilities */
#define ACT_TOL 1e-5   /* relative to max(1, |value|), on everything else */

/* ---- reference files ---------------------------------------------------- */

struct ref_case {
    char name[32];
    int nstreams, nsteps;
};

/* One stream's input at one step: a token (-1 idle) or a weight row. */
struct ref_input {
    int kase, step, stream;
    int token;        /* -2 when weights are given */
    int n;
    double w[MAXV];   /* [n] weights over the vocabulary */
};

struct ref_rec {
    int kase, point, layer, step, stream, n;
    double v[MAXV];   /* [n] */
    int seen;         /* times the library reported it */
};

struct ref {
    char model[64];
    int vocab;
    char tokens[MAXV][32];          /* [vocab] by id */
    struct ref_case cases[MAXCASES];
    int ncases;
    struct ref_input *inputs;
    int ninputs;
    struct ref_rec *recs;
    int nrecs;
};

static int case_index(const struct ref *r, const char *name)
{
    for (int c = 0; c < r->ncases; c++)
        if (strcmp(r->cases[c].name, name) == 0)
            return c;
    ck_abort_msg("reference: unknown case %s", name);
    return -1;
}

/* Next whitespace-separated field of the line being parsed. */
static char *field(char **save)
{
    char *f = strtok_r(NULL, " \t\n", save);
    ck_assert_msg(f != NULL, "reference file: line too short");
    return f;
}

static int ifield(char **save) { return atoi(field(save)); }

static void read_values(char **save, int n, double *v)
{
    ck_assert_int_le(n, MAXV);
    for (int i = 0; i < n; i++)
        v[i] = strtod(field(save), NULL);
}

static void *grow(void *p, int count, size_t size)
{
    p = realloc(p, (size_t)(count + 1) * size);
    ck_assert_ptr_nonnull(p);
    return p;
}

static void parse_line(struct ref *r, char *line)
{
    char *save, *kind = strtok_r(line, " \t\n", &save);
    if (!kind || kind[0] == '#')
        return;
    if (strcmp(kind, "model") == 0) {
        snprintf(r->model, sizeof r->model, "%s", field(&save));
    } else if (strcmp(kind, "vocab") == 0) {
        r->vocab = ifield(&save);
        ck_assert_int_le(r->vocab, MAXV);
    } else if (strcmp(kind, "token") == 0) {
        int id = ifield(&save);
        ck_assert(id >= 0 && id < r->vocab);
        snprintf(r->tokens[id], sizeof r->tokens[id], "%s", field(&save));
    } else if (strcmp(kind, "case") == 0) {
        ck_assert_int_lt(r->ncases, MAXCASES);
        struct ref_case *c = &r->cases[r->ncases++];
        snprintf(c->name, sizeof c->name, "%s", field(&save));
        c->nstreams = ifield(&save);
        c->nsteps = ifield(&save);
    } else if (strcmp(kind, "input") == 0 || strcmp(kind, "weights") == 0) {
        r->inputs = grow(r->inputs, r->ninputs, sizeof *r->inputs);
        struct ref_input *in = &r->inputs[r->ninputs++];
        memset(in, 0, sizeof *in);
        in->kase = case_index(r, field(&save));
        in->step = ifield(&save);
        in->stream = ifield(&save);
        if (kind[0] == 'i') {
            in->token = ifield(&save);
        } else {
            in->token = -2;
            in->n = ifield(&save);
            read_values(&save, in->n, in->w);
        }
    } else if (strcmp(kind, "rec") == 0) {
        r->recs = grow(r->recs, r->nrecs, sizeof *r->recs);
        struct ref_rec *rec = &r->recs[r->nrecs++];
        memset(rec, 0, sizeof *rec);
        rec->kase = case_index(r, field(&save));
        rec->point = folkrnn_hook_point_from_name(field(&save));
        ck_assert_int_ge(rec->point, 0);
        rec->layer = ifield(&save);
        rec->step = ifield(&save);
        rec->stream = ifield(&save);
        rec->n = ifield(&save);
        read_values(&save, rec->n, rec->v);
    } else {
        ck_abort_msg("reference file: unknown record %s", kind);
    }
}

static struct ref *ref_load(const char *name)
{
    FILE *f = fopen(fixture_path(name), "r");
    ck_assert_msg(f != NULL, "cannot open %s", fixture_path(name));
    struct ref *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0)
        parse_line(r, line);
    free(line);
    fclose(f);
    ck_assert_int_gt(r->nrecs, 0);
    return r;
}

static void ref_free(struct ref *r)
{
    free(r->inputs);
    free(r->recs);
    free(r);
}

static const struct ref_input *ref_input_at(const struct ref *r, int kase, int step, int stream)
{
    for (int i = 0; i < r->ninputs; i++) {
        const struct ref_input *in = &r->inputs[i];
        if (in->kase == kase && in->step == step && in->stream == stream)
            return in;
    }
    ck_abort_msg("reference: no input for case %d step %d stream %d", kase, step, stream);
    return NULL;
}

static struct ref_rec *ref_rec_at(struct ref *r, int kase, int point, int layer, long step,
                                  int stream)
{
    for (int i = 0; i < r->nrecs; i++) {
        struct ref_rec *rec = &r->recs[i];
        if (rec->kase == kase && rec->point == point && rec->layer == layer &&
            rec->step == step && rec->stream == stream)
            return rec;
    }
    return NULL;
}

static folkrnn_model *load_model(const char *name)
{
    folkrnn_model *m = NULL;
    int rc = folkrnn_model_load(fixture_path(name), &m);
    ck_assert_msg(rc == FOLKRNN_OK, "loading %s: %d %s", name, rc, folkrnn_errmsg());
    ck_assert_ptr_nonnull(m);
    return m;
}

/* ---- recording hooks ---------------------------------------------------- */

struct event {
    int point, layer, stream, token, n;
    long step;
    float v[MAXV];
};

struct recorder {
    struct event *ev; /* [n] in the order the hooks ran */
    int n;
};

static int record_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    struct recorder *rec = user;
    ck_assert_int_le(ev->n, MAXV);
    rec->ev = grow(rec->ev, rec->n, sizeof *rec->ev);
    struct event *e = &rec->ev[rec->n++];
    e->point = ev->point;
    e->layer = ev->layer;
    e->stream = ev->stream;
    e->token = ev->token;
    e->n = ev->n;
    e->step = ev->step;
    memcpy(e->v, values, (size_t)ev->n * sizeof *values);
    return 0;
}

static void add_recorders(folkrnn_state *s, struct recorder *rec)
{
    for (int p = FOLKRNN_HOOK_INGATE; p <= FOLKRNN_HOOK_PROBS; p++)
        ck_assert_int_ge(folkrnn_state_add_hook(s, p, -1, record_hook, rec), 0);
}

/* The interventions of the reference cases. */
static int zero_hidden_1_3(const folkrnn_hook_event *ev, float *values, void *user)
{
    ck_assert_int_eq(ev->layer, 1);
    values[1] = values[3] = 0.0f;
    return 0;
}

static int forget_half(const folkrnn_hook_event *ev, float *values, void *user)
{
    ck_assert_int_eq(ev->layer, 0);
    for (int i = 0; i < ev->n; i++)
        values[i] = 0.5f;
    return 0;
}

static void add_intervention(folkrnn_state *s, const char *kase)
{
    if (strcmp(kase, "zero_hidden") == 0)
        ck_assert_int_ge(folkrnn_state_add_hook(s, FOLKRNN_HOOK_HIDDEN, 1, zero_hidden_1_3, NULL), 0);
    else if (strcmp(kase, "forget_half") == 0)
        ck_assert_int_ge(folkrnn_state_add_hook(s, FOLKRNN_HOOK_FORGETGATE, 0, forget_half, NULL), 0);
}

/* ---- running a reference case -------------------------------------------- */

#define SENTINEL (-7.0f) /* written into probs rows that must stay untouched */

/* Feed step t of case c to s; probs [nstreams * vocab] is filled with the
   sentinel first.  Returns the step's status. */
static int feed_step(folkrnn_state *s, const struct ref *r, int c, int t, float *probs)
{
    int ns = r->cases[c].nstreams, V = r->vocab;
    int tokens[8];
    float weights[8 * MAXV];
    int weighted = 0;
    ck_assert_int_le(ns, 8);
    for (int i = 0; i < ns * V; i++)
        probs[i] = SENTINEL;
    for (int st = 0; st < ns; st++) {
        const struct ref_input *in = ref_input_at(r, c, t, st);
        tokens[st] = in->token;
        if (in->token == -2) {
            weighted = 1;
            ck_assert_int_eq(in->n, V);
            for (int k = 0; k < V; k++)
                weights[st * V + k] = (float)in->w[k];
        }
    }
    return weighted ? folkrnn_state_step_input(s, weights, probs)
                    : folkrnn_state_step(s, tokens, probs);
}

static double tolerance(int point, double want)
{
    return point == FOLKRNN_HOOK_PROBS ? PROBS_TOL : ACT_TOL * fmax(1.0, fabs(want));
}

static void compare_values(const char *what, const struct ref *r, int c, int point, int layer,
                           long step, int stream, const float *got, const double *want, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= tolerance(point, want[i]),
                      "%s %s: case %s, %s layer %d, step %ld, stream %d, [%d]: %.9g, want %.9g",
                      r->model, what, r->cases[c].name, folkrnn_hook_point_name(point), layer,
                      step, stream, i, got[i], want[i]);
}

/* Position of an event in the order the header promises within one stream's
   step: the points of layer 0, of layer 1, ..., then logits, then probs. */
static int event_rank(const struct event *e, int num_layers)
{
    if (e->layer < 0)
        return num_layers * 6 + (e->point == FOLKRNN_HOOK_PROBS);
    return e->layer * 6 + e->point;
}

/* Every reported event has its reference record, with the right n, token and
   values; every reference record was reported exactly once; within a
   stream's step the points come in the documented order. */
static void check_events(struct ref *r, int c, const struct recorder *rec, int num_layers)
{
    int last_rank[8][64];
    memset(last_rank, -1, sizeof last_rank);
    for (int i = 0; i < rec->n; i++) {
        const struct event *e = &rec->ev[i];
        struct ref_rec *want = ref_rec_at(r, c, e->point, e->layer, e->step, e->stream);
        ck_assert_msg(want != NULL, "%s case %s: unexpected hook call %s layer %d step %ld stream %d",
                      r->model, r->cases[c].name, folkrnn_hook_point_name(e->point), e->layer,
                      e->step, e->stream);
        want->seen++;
        ck_assert_int_eq(e->n, want->n);
        const struct ref_input *in = ref_input_at(r, c, (int)e->step, e->stream);
        ck_assert_int_eq(e->token, in->token == -2 ? -1 : in->token);
        compare_values("hook", r, c, e->point, e->layer, e->step, e->stream, e->v, want->v, e->n);
        ck_assert(e->stream < 8 && e->step < 64);
        int rank = event_rank(e, num_layers);
        ck_assert_msg(rank > last_rank[e->stream][e->step],
                      "case %s step %ld stream %d: %s of layer %d came out of order",
                      r->cases[c].name, e->step, e->stream, folkrnn_hook_point_name(e->point),
                      e->layer);
        last_rank[e->stream][e->step] = rank;
    }
    for (int i = 0; i < r->nrecs; i++)
        if (r->recs[i].kase == c)
            ck_assert_msg(r->recs[i].seen == 1,
                          "%s case %s: %s layer %d step %d stream %d reported %d times",
                          r->model, r->cases[c].name, folkrnn_hook_point_name(r->recs[i].point),
                          r->recs[i].layer, r->recs[i].step, r->recs[i].stream, r->recs[i].seen);
}

/* Compare the probs output of step t (not the hook copy) with the reference;
   idle streams' rows must be untouched. */
static void check_probs(struct ref *r, int c, int t, const float *probs)
{
    int V = r->vocab;
    for (int st = 0; st < r->cases[c].nstreams; st++) {
        const struct ref_rec *want = ref_rec_at(r, c, FOLKRNN_HOOK_PROBS, -1, t, st);
        if (!want) {
            for (int k = 0; k < V; k++)
                ck_assert_msg(probs[st * V + k] == SENTINEL,
                              "case %s step %d: idle stream %d's probs row was written",
                              r->cases[c].name, t, st);
            continue;
        }
        compare_values("probs", r, c, FOLKRNN_HOOK_PROBS, -1, t, st, probs + st * V, want->v, V);
    }
}

static void run_reference(const char *reffile, folkrnn_model *given)
{
    struct ref *r = ref_load(reffile);
    folkrnn_model *m = given ? given : load_model(r->model);
    ck_assert_int_eq(folkrnn_model_vocab_size(m), r->vocab);
    for (int id = 0; id < r->vocab; id++) {
        ck_assert_str_eq(folkrnn_model_token(m, id), r->tokens[id]);
        ck_assert_int_eq(folkrnn_model_token_id(m, r->tokens[id]), id);
    }
    int L = folkrnn_model_num_layers(m);
    float probs[8 * MAXV];
    for (int c = 0; c < r->ncases; c++) {
        folkrnn_state *s = NULL;
        struct recorder rec = {0};
        ck_assert_ok(folkrnn_state_new(m, r->cases[c].nstreams, &s));
        add_intervention(s, r->cases[c].name);
        add_recorders(s, &rec);
        for (int t = 0; t < r->cases[c].nsteps; t++) {
            ck_assert_ok(feed_step(s, r, c, t, probs));
            check_probs(r, c, t, probs);
        }
        ck_assert_int_eq(folkrnn_state_steps(s), r->cases[c].nsteps);
        check_events(r, c, &rec, L);
        free(rec.ev);
        folkrnn_state_free(s);
    }
    if (!given)
        folkrnn_model_free(m);
    ref_free(r);
}

START_TEST(test_reference_onehot)
{
    run_reference("tiny_ref.txt", NULL);
}
END_TEST

START_TEST(test_reference_dense)
{
    run_reference("dense_ref.txt", NULL);
}
END_TEST

/* ---- the same model in every pickle dialect ------------------------------ */

static int param_which(int index, int num_layers, int *layer)
{
    *layer = 0;
    if (index == 0)
        return FOLKRNN_P_EMBEDDING;
    if (index == 1 + 14 * num_layers)
        return FOLKRNN_P_DENSE_W;
    if (index == 2 + 14 * num_layers)
        return FOLKRNN_P_DENSE_B;
    *layer = (index - 1) / 14;
    /* folk-rnn's per-layer order is the order of the enum from W_IN_INGATE on */
    return FOLKRNN_P_W_IN_INGATE + (index - 1) % 14;
}

/* Every weight of m equals, bit for bit, the value in the weights file. */
static void check_weights_file(const folkrnn_model *m, const char *name)
{
    FILE *f = fopen(fixture_path(name), "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL, *save;
    size_t cap = 0;
    int nparams = 0, L = folkrnn_model_num_layers(m);
    while (getline(&line, &cap, f) > 0) {
        char *kind = strtok_r(line, " \t\n", &save);
        if (!kind || strcmp(kind, "param") != 0)
            continue;
        int index = ifield(&save), layer;
        char *pname = field(&save);
        int ndim = ifield(&save), dims[2] = {1, 1};
        ck_assert(ndim >= 1 && ndim <= 2);
        for (int d = 0; d < ndim; d++)
            dims[2 - ndim + d] = ifield(&save);
        int which = param_which(index, L, &layer);
        const float *data;
        int rows, cols, ld;
        ck_assert_ok(folkrnn_model_param_const(m, layer, which, &data, &rows, &cols, &ld));
        ck_assert_msg(rows == dims[0] && cols == dims[1], "%s: %dx%d, want %dx%d", pname, rows,
                      cols, dims[0], dims[1]);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                float want = strtof(field(&save), NULL);
                ck_assert_msg(data[i * ld + j] == want, "%s[%d,%d] = %.9g, want %.9g", pname, i,
                              j, data[i * ld + j], want);
            }
        nparams++;
    }
    free(line);
    fclose(f);
    ck_assert_int_eq(nparams, 3 + 14 * L);
}

/* The model of a weights file built through folkrnn_model_new and
   folkrnn_model_param alone, so that the forward pass is checked even when
   the pickle reader is wrong.  Returns a model the caller frees. */
static folkrnn_model *model_from_text(const char *name)
{
    FILE *f = fopen(fixture_path(name), "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL, *save;
    size_t cap = 0;
    int vocab = 0, nparams = 0, rows[64], cols[64];
    char tokens[MAXV][32];
    const char *token_ptrs[MAXV];
    float *values[64];
    while (getline(&line, &cap, f) > 0) {
        char *kind = strtok_r(line, " \t\n", &save);
        if (kind && strcmp(kind, "vocab") == 0) {
            vocab = ifield(&save);
        } else if (kind && strcmp(kind, "token") == 0) {
            int id = ifield(&save);
            ck_assert(id >= 0 && id < vocab);
            snprintf(tokens[id], sizeof tokens[id], "%s", field(&save));
            token_ptrs[id] = tokens[id];
        } else if (kind && strcmp(kind, "param") == 0) {
            ck_assert_int_eq(ifield(&save), nparams);
            field(&save);
            int ndim = ifield(&save);
            rows[nparams] = ndim == 2 ? ifield(&save) : 1;
            cols[nparams] = ifield(&save);
            values[nparams] = malloc((size_t)rows[nparams] * cols[nparams] * sizeof(float));
            ck_assert_ptr_nonnull(values[nparams]);
            for (int i = 0; i < rows[nparams] * cols[nparams]; i++)
                values[nparams][i] = strtof(field(&save), NULL);
            nparams++;
        }
    }
    free(line);
    fclose(f);
    int L = (nparams - 3) / 14, units[8];
    ck_assert(L >= 1 && L <= 8 && nparams == 3 + 14 * L);
    for (int l = 0; l < L; l++)
        units[l] = cols[1 + 14 * l];
    folkrnn_model *m = NULL;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, L, units, vocab, token_ptrs, cols[0], &m));
    for (int index = 0; index < nparams; index++) {
        int layer, which = param_which(index, L, &layer), r, c, ld;
        float *data;
        ck_assert_ok(folkrnn_model_param(m, layer, which, &data, &r, &c, &ld));
        ck_assert(r == rows[index] && c == cols[index]);
        for (int i = 0; i < r; i++)
            memcpy(data + i * ld, values[index] + i * c, (size_t)c * sizeof *data);
        free(values[index]);
    }
    return m;
}

START_TEST(test_reference_from_text)
{
    folkrnn_model *m = model_from_text("tiny_weights.txt");
    run_reference("tiny_ref.txt", m);
    folkrnn_model_free(m);
    m = model_from_text("dense_weights.txt");
    ck_assert_int_eq(folkrnn_model_is_onehot(m), 0);
    run_reference("dense_ref.txt", m);
    folkrnn_model_free(m);
}
END_TEST

/* a and b have the same architecture, vocabulary and bit-identical weights. */
static void check_same_model(const folkrnn_model *a, const folkrnn_model *b, const char *name)
{
    int L = folkrnn_model_num_layers(a);
    ck_assert_int_eq(folkrnn_model_num_layers(b), L);
    ck_assert_int_eq(folkrnn_model_vocab_size(b), folkrnn_model_vocab_size(a));
    ck_assert_int_eq(folkrnn_model_input_size(b), folkrnn_model_input_size(a));
    ck_assert_int_eq(folkrnn_model_is_onehot(b), folkrnn_model_is_onehot(a));
    for (int id = 0; id < folkrnn_model_vocab_size(a); id++)
        ck_assert_str_eq(folkrnn_model_token(b, id), folkrnn_model_token(a, id));
    for (int index = 0; index < 3 + 14 * L; index++) {
        int layer, which = param_which(index, L, &layer);
        const float *da, *db;
        int ra, ca, lda, rb, cb, ldb;
        ck_assert_ok(folkrnn_model_param_const(a, layer, which, &da, &ra, &ca, &lda));
        ck_assert_ok(folkrnn_model_param_const(b, layer, which, &db, &rb, &cb, &ldb));
        ck_assert(ra == rb && ca == cb);
        for (int i = 0; i < ra; i++)
            ck_assert_msg(memcmp(da + i * lda, db + i * ldb, (size_t)ca * sizeof *da) == 0,
                          "%s: param_values[%d] row %d differs from tiny_py2.pkl", name, index, i);
    }
}

START_TEST(test_dialects_identical)
{
    static const char *const others[] = {
        "tiny_py2.pkl.gz", "tiny_p2.pkl", "tiny_p3.pkl", "tiny_p4.pkl", "tiny_p5.pkl",
        "tiny_np2names_p4.pkl", "tiny_np2names_p5.pkl"};
    folkrnn_model *base = load_model("tiny_py2.pkl");
    ck_assert_int_eq(folkrnn_model_num_layers(base), 3);
    for (int l = 0; l < 3; l++)
        ck_assert_int_eq(folkrnn_model_hidden_size(base, l), 6);
    ck_assert_int_eq(folkrnn_model_is_onehot(base), 1);
    check_weights_file(base, "tiny_weights.txt");
    for (size_t k = 0; k < sizeof others / sizeof *others; k++) {
        folkrnn_model *m = load_model(others[k]);
        check_same_model(base, m, others[k]);
        folkrnn_model_free(m);
    }
    folkrnn_model_free(base);
}
END_TEST

START_TEST(test_dense_weights)
{
    folkrnn_model *m = load_model("dense_py2.pkl");
    ck_assert_int_eq(folkrnn_model_num_layers(m), 2);
    ck_assert_int_eq(folkrnn_model_hidden_size(m, 0), 5);
    ck_assert_int_eq(folkrnn_model_input_size(m), 4);
    ck_assert_int_eq(folkrnn_model_is_onehot(m), 0);
    check_weights_file(m, "dense_weights.txt");
    folkrnn_model_free(m);
}
END_TEST

/* ---- state behaviour ------------------------------------------------------ */

/* Everything a step may change, copied out: h and c of every layer and
   stream, the last logits, the step counter. */
struct snapshot {
    float v[2][8][2][MAXV]; /* [h or c][layer][stream][units] */
    float logits[2][MAXV];  /* [stream][vocab] */
    int have_logits;
    long steps;
};

static void take_snapshot(folkrnn_state *s, struct snapshot *snap)
{
    const folkrnn_model *m = folkrnn_state_model(s);
    int L = folkrnn_model_num_layers(m), V = folkrnn_model_vocab_size(m);
    memset(snap, 0, sizeof *snap);
    for (int l = 0; l < L; l++)
        for (int st = 0; st < 2; st++) {
            int n = folkrnn_model_hidden_size(m, l);
            float *h = folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, l, st);
            float *c = folkrnn_state_vector(s, FOLKRNN_HOOK_CELL, l, st);
            ck_assert(h && c);
            memcpy(snap->v[0][l][st], h, (size_t)n * sizeof *h);
            memcpy(snap->v[1][l][st], c, (size_t)n * sizeof *c);
        }
    for (int st = 0; st < 2; st++) {
        float *lg = folkrnn_state_vector(s, FOLKRNN_HOOK_LOGITS, 0, st);
        if (lg) {
            snap->have_logits = 1;
            memcpy(snap->logits[st], lg, (size_t)V * sizeof *lg);
        }
    }
    snap->steps = folkrnn_state_steps(s);
}

static void assert_same_snapshot(const struct snapshot *a, const struct snapshot *b,
                                 const char *when)
{
    ck_assert_msg(memcmp(a->v, b->v, sizeof a->v) == 0, "%s: h or c changed", when);
    ck_assert_msg(a->steps == b->steps, "%s: step counter %ld -> %ld", when, a->steps, b->steps);
}

static void assert_same_logits(const struct snapshot *a, const struct snapshot *b,
                               const char *when)
{
    ck_assert_int_eq(a->have_logits, b->have_logits);
    ck_assert_msg(memcmp(a->logits, b->logits, sizeof a->logits) == 0, "%s: logits changed", when);
}

/* Fixture for the tests below: the one-hot model (built from its weights
   file, so these tests do not depend on the pickle reader), its reference,
   a state of two streams advanced through the first `steps` steps of case
   plain. */
struct bench {
    struct ref *r;
    folkrnn_model *m;
    folkrnn_state *s;
    int plain, V;
};

static void bench_open(struct bench *b, int steps)
{
    b->r = ref_load("tiny_ref.txt");
    b->m = model_from_text("tiny_weights.txt");
    b->plain = case_index(b->r, "plain");
    b->V = b->r->vocab;
    ck_assert_ok(folkrnn_state_new(b->m, 2, &b->s));
    float probs[2 * MAXV];
    for (int t = 0; t < steps; t++)
        ck_assert_ok(feed_step(b->s, b->r, b->plain, t, probs));
}

static void bench_close(struct bench *b)
{
    folkrnn_state_free(b->s);
    folkrnn_model_free(b->m);
    ref_free(b->r);
}

struct abort_at {
    int stream;
    long step;
    int calls;
};

static int abort_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    struct abort_at *a = user;
    a->calls++;
    /* scribble first: the undo must not depend on hooks behaving */
    for (int i = 0; i < ev->n; i++)
        values[i] = 1e3f;
    return ev->stream == a->stream && ev->step == a->step ? 42 : 0;
}

/* A hook that fails at (point, layer, stream) leaves the state as it was,
   and the next step gives exactly what a run without the failure gives. */
static void check_abort(int point, int layer, int stream)
{
    const int k = 4; /* abort at step 4, where stream 1 is idle: it must stay so */
    struct bench b, clean;
    bench_open(&b, k);
    bench_open(&clean, k);
    struct snapshot before, after;
    take_snapshot(b.s, &before);
    struct abort_at a = {stream, k, 0};
    int id = folkrnn_state_add_hook(b.s, point, layer, abort_hook, &a);
    ck_assert_int_ge(id, 0);
    float probs[2 * MAXV], want[2 * MAXV];
    int rc = feed_step(b.s, b.r, b.plain, k, probs);
    ck_assert_msg(rc == FOLKRNN_E_HOOK, "%s layer %d stream %d: step returned %d, want %d",
                  folkrnn_hook_point_name(point), layer, stream, rc, FOLKRNN_E_HOOK);
    ck_assert_int_gt(a.calls, 0);
    take_snapshot(b.s, &after);
    assert_same_snapshot(&before, &after, "after an aborted step");
    ck_assert_ok(folkrnn_state_remove_hook(b.s, id));
    ck_assert_ok(feed_step(b.s, b.r, b.plain, k, probs));
    ck_assert_ok(feed_step(clean.s, clean.r, clean.plain, k, want));
    ck_assert_msg(memcmp(probs, want, 2 * b.V * sizeof *probs) == 0,
                  "the step after an abort differs from a run without it");
    check_probs(b.r, b.plain, k, probs);
    ck_assert_int_eq(folkrnn_state_steps(b.s), k + 1);
    bench_close(&clean);
    bench_close(&b);
}

START_TEST(test_abort_ingate_first)
{
    check_abort(FOLKRNN_HOOK_INGATE, 0, 0);
}
END_TEST

START_TEST(test_abort_cell_middle)
{
    check_abort(FOLKRNN_HOOK_CELL, 1, 0);
}
END_TEST

START_TEST(test_abort_hidden_last_layer)
{
    check_abort(FOLKRNN_HOOK_HIDDEN, 2, 0);
}
END_TEST

START_TEST(test_abort_probs)
{
    check_abort(FOLKRNN_HOOK_PROBS, -1, 0);
}
END_TEST

/* An aborted step where both streams are active, aborting on the second. */
START_TEST(test_abort_second_stream)
{
    const int k = 5;
    struct bench b;
    bench_open(&b, k);
    struct snapshot before, after;
    take_snapshot(b.s, &before);
    struct abort_at a = {1, k, 0};
    int id = folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_LOGITS, -1, abort_hook, &a);
    float probs[2 * MAXV];
    ck_assert_int_eq(feed_step(b.s, b.r, b.plain, k, probs), FOLKRNN_E_HOOK);
    take_snapshot(b.s, &after);
    assert_same_snapshot(&before, &after, "after an aborted step");
    assert_same_logits(&before, &after, "after an aborted step");
    ck_assert_ok(folkrnn_state_remove_hook(b.s, id));
    ck_assert_ok(feed_step(b.s, b.r, b.plain, k, probs));
    check_probs(b.r, b.plain, k, probs);
    bench_close(&b);
}
END_TEST

/* The zeroed units are what the state keeps (they feed the recurrence). */
START_TEST(test_zero_hidden_is_kept)
{
    struct bench b;
    bench_open(&b, 0);
    ck_assert_int_ge(folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_HIDDEN, 1, zero_hidden_1_3, NULL), 0);
    int zh = case_index(b.r, "zero_hidden");
    float probs[2 * MAXV];
    for (int t = 0; t < 3; t++) {
        ck_assert_ok(feed_step(b.s, b.r, zh, t, probs));
        check_probs(b.r, zh, t, probs);
        for (int st = 0; st < 2; st++) {
            const float *h = folkrnn_state_vector(b.s, FOLKRNN_HOOK_HIDDEN, 1, st);
            ck_assert(h[1] == 0.0f && h[3] == 0.0f && h[0] != 0.0f);
            ck_assert(folkrnn_state_vector(b.s, FOLKRNN_HOOK_HIDDEN, 0, st)[1] != 0.0f);
        }
    }
    bench_close(&b);
}
END_TEST

/* A gate edited in a hook changes the cell exactly as c = f*c_prev + i*g
   with the edited f says. */
START_TEST(test_edit_gate)
{
    struct bench b;
    bench_open(&b, 2);
    struct recorder rec = {0};
    float c_prev[MAXV], probs[2 * MAXV];
    memcpy(c_prev, folkrnn_state_vector(b.s, FOLKRNN_HOOK_CELL, 0, 0), 6 * sizeof(float));
    ck_assert_int_ge(folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_FORGETGATE, 0, forget_half, NULL), 0);
    add_recorders(b.s, &rec);
    ck_assert_ok(feed_step(b.s, b.r, b.plain, 2, probs));
    const struct event *i = NULL, *f = NULL, *g = NULL;
    for (int k = 0; k < rec.n; k++) {
        const struct event *e = &rec.ev[k];
        if (e->layer != 0 || e->stream != 0)
            continue;
        if (e->point == FOLKRNN_HOOK_INGATE) i = e;
        if (e->point == FOLKRNN_HOOK_FORGETGATE) f = e;
        if (e->point == FOLKRNN_HOOK_CELLGATE) g = e;
    }
    ck_assert(i && f && g);
    const float *c = folkrnn_state_vector(b.s, FOLKRNN_HOOK_CELL, 0, 0);
    for (int u = 0; u < 6; u++) {
        ck_assert(f->v[u] == 0.5f);
        ck_assert_float_eq_tol(c[u], 0.5f * c_prev[u] + i->v[u] * g->v[u], 1e-6f);
    }
    free(rec.ev);
    bench_close(&b);
}
END_TEST

/* A logit shifted by delta in a hook moves its probability to
   p e^delta / (1 - p + p e^delta) (Sturm, part 2). */
static int shift_logit(const folkrnn_hook_event *ev, float *values, void *user)
{
    values[*(int *)user] += 1.5f;
    return 0;
}

START_TEST(test_edit_logits)
{
    struct bench b, clean;
    bench_open(&b, 3);
    bench_open(&clean, 3);
    int target = 6;
    ck_assert_int_ge(folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_LOGITS, -1, shift_logit, &target), 0);
    float p[2 * MAXV], q[2 * MAXV];
    ck_assert_ok(feed_step(b.s, b.r, b.plain, 3, q));
    ck_assert_ok(feed_step(clean.s, clean.r, clean.plain, 3, p));
    for (int st = 0; st < 2; st++) {
        double pk = p[st * b.V + target], e = exp(1.5);
        ck_assert_double_eq_tol(q[st * b.V + target], pk * e / (1 - pk + pk * e), 1e-6);
        double sum = 0;
        for (int k = 0; k < b.V; k++)
            sum += q[st * b.V + k];
        ck_assert_double_eq_tol(sum, 1.0, 1e-5);
    }
    bench_close(&clean);
    bench_close(&b);
}
END_TEST

/* Run the whole plain case into probs [nsteps][2 * V]. */
static void run_plain(struct bench *b, float *all)
{
    for (int t = 0; t < b->r->cases[b->plain].nsteps; t++)
        ck_assert_ok(feed_step(b->s, b->r, b->plain, t, all + t * 2 * b->V));
}

START_TEST(test_reset)
{
    struct bench b;
    bench_open(&b, 0);
    struct snapshot initial, now;
    take_snapshot(b.s, &initial);
    ck_assert_int_eq(initial.have_logits, 0);
    /* the initial state is hid_init / cell_init */
    for (int l = 0; l < 3; l++) {
        const float *hid_init, *cell_init;
        ck_assert_ok(folkrnn_model_param_const(b.m, l, FOLKRNN_P_HID_INIT, &hid_init, NULL, NULL, NULL));
        ck_assert_ok(folkrnn_model_param_const(b.m, l, FOLKRNN_P_CELL_INIT, &cell_init, NULL, NULL, NULL));
        for (int st = 0; st < 2; st++) {
            ck_assert(memcmp(initial.v[0][l][st], hid_init, 6 * sizeof(float)) == 0);
            ck_assert(memcmp(initial.v[1][l][st], cell_init, 6 * sizeof(float)) == 0);
        }
    }
    float first[16 * 2 * MAXV], second[16 * 2 * MAXV];
    run_plain(&b, first);
    ck_assert_ok(folkrnn_state_reset(b.s));
    take_snapshot(b.s, &now);
    assert_same_snapshot(&initial, &now, "after reset");
    run_plain(&b, second);
    int n = b.r->cases[b.plain].nsteps * 2 * b.V;
    ck_assert(memcmp(first, second, (size_t)n * sizeof *first) == 0);
    bench_close(&b);
}
END_TEST

static int count_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    (*(int *)user)++;
    return 0;
}

START_TEST(test_idle_stream)
{
    struct bench b;
    bench_open(&b, 3);
    int calls[2] = {0, 0};
    ck_assert_int_ge(folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_HIDDEN, -1, count_hook, &calls[0]), 0);
    struct snapshot before;
    take_snapshot(b.s, &before);
    int tokens[2] = {FOLKRNN_IDLE, 0};
    float probs[2 * MAXV];
    for (int i = 0; i < 2 * b.V; i++)
        probs[i] = SENTINEL;
    ck_assert_ok(folkrnn_state_step(b.s, tokens, probs));
    ck_assert_int_eq(calls[0], 3); /* layers of stream 1 only */
    for (int k = 0; k < b.V; k++)
        ck_assert(probs[k] == SENTINEL && probs[b.V + k] != SENTINEL);
    for (int l = 0; l < 3; l++) {
        ck_assert(memcmp(folkrnn_state_vector(b.s, FOLKRNN_HOOK_HIDDEN, l, 0), before.v[0][l][0],
                         6 * sizeof(float)) == 0);
        ck_assert(memcmp(folkrnn_state_vector(b.s, FOLKRNN_HOOK_CELL, l, 0), before.v[1][l][0],
                         6 * sizeof(float)) == 0);
        ck_assert(memcmp(folkrnn_state_vector(b.s, FOLKRNN_HOOK_HIDDEN, l, 1), before.v[0][l][1],
                         6 * sizeof(float)) != 0);
    }
    bench_close(&b);
}
END_TEST

START_TEST(test_remove_hook)
{
    struct bench b;
    bench_open(&b, 0);
    int calls = 0;
    int id = folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_PROBS, -1, count_hook, &calls);
    ck_assert_int_ge(id, 0);
    float probs[2 * MAXV];
    ck_assert_ok(feed_step(b.s, b.r, b.plain, 0, probs));
    ck_assert_int_eq(calls, 2);
    ck_assert_ok(folkrnn_state_remove_hook(b.s, id));
    ck_assert_ok(feed_step(b.s, b.r, b.plain, 1, probs));
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(folkrnn_state_remove_hook(b.s, id), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_state_remove_hook(b.s, 12345), FOLKRNN_E_RANGE);
    bench_close(&b);
}
END_TEST

START_TEST(test_token_out_of_range)
{
    struct bench b;
    bench_open(&b, 2);
    int calls = 0;
    for (int p = FOLKRNN_HOOK_INGATE; p <= FOLKRNN_HOOK_PROBS; p++)
        ck_assert_int_ge(folkrnn_state_add_hook(b.s, p, -1, count_hook, &calls), 0);
    struct snapshot before, after;
    take_snapshot(b.s, &before);
    const int bad[][2] = {{0, 11}, {11, 0}, {-2, 0}, {0, 1 << 30}};
    float probs[2 * MAXV];
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        ck_assert_int_eq(folkrnn_state_step(b.s, bad[k], probs), FOLKRNN_E_RANGE);
        ck_assert(strlen(folkrnn_errmsg()) > 0);
        take_snapshot(b.s, &after);
        assert_same_snapshot(&before, &after, "after an out-of-range token");
        assert_same_logits(&before, &after, "after an out-of-range token");
        ck_assert_int_eq(calls, 0);
    }
    bench_close(&b);
}
END_TEST

START_TEST(test_copy)
{
    struct bench b;
    bench_open(&b, 3);
    folkrnn_state *twin = NULL, *one = NULL;
    ck_assert_ok(folkrnn_state_new(b.m, 2, &twin));
    ck_assert_ok(folkrnn_state_copy(twin, b.s));
    ck_assert_int_eq(folkrnn_state_steps(twin), 3);
    ck_assert_ok(folkrnn_state_new(b.m, 1, &one));
    ck_assert_int_eq(folkrnn_state_nstreams(one), 1);
    ck_assert_ptr_eq(folkrnn_state_model(one), b.m);
    ck_assert_ok(folkrnn_state_copy_stream(one, 0, b.s, 1));
    ck_assert_int_eq(folkrnn_state_copy(one, b.s), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_copy_stream(one, 1, b.s, 0), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_state_copy_stream(one, 0, b.s, 2), FOLKRNN_E_RANGE);
    float p[2 * MAXV], q[2 * MAXV], r1[MAXV];
    int tokens[2] = {1, 2};
    ck_assert_ok(folkrnn_state_step(b.s, tokens, p));
    ck_assert_ok(folkrnn_state_step(twin, tokens, q));
    ck_assert(memcmp(p, q, 2 * b.V * sizeof *p) == 0);
    ck_assert_ok(folkrnn_state_step(one, &tokens[1], r1));
    /* a one-stream state may take other BLAS kernels: equal to rounding */
    for (int k = 0; k < b.V; k++)
        ck_assert_float_eq_tol(r1[k], p[b.V + k], 1e-6f);
    folkrnn_state_free(one);
    folkrnn_state_free(twin);
    bench_close(&b);
}
END_TEST

START_TEST(test_null_arguments)
{
    struct bench b;
    bench_open(&b, 0);
    folkrnn_model *m = NULL;
    folkrnn_state *s = NULL;
    int tokens[2] = {0, 0};
    float probs[2 * MAXV];
    ck_assert_int_eq(folkrnn_model_load(NULL, &m), FOLKRNN_E_INVALID);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(folkrnn_model_load(fixture_path("tiny_py2.pkl"), NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_new(NULL, 2, &s), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_new(b.m, 0, &s), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_new(b.m, 2, NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_step(NULL, tokens, probs), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_step(b.s, NULL, probs), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_step_input(b.s, NULL, probs), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_reset(NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_copy(NULL, b.s), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_copy(b.s, NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_add_hook(NULL, FOLKRNN_HOOK_CELL, 0, count_hook, NULL),
                     FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_CELL, 0, NULL, NULL),
                     FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_add_hook(b.s, 99, 0, count_hook, NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_RESETGATE, 0, count_hook, NULL),
                     FOLKRNN_E_INVALID); /* an LSTM has no reset gate */
    ck_assert_int_eq(folkrnn_state_add_hook(b.s, FOLKRNN_HOOK_CELL, 3, count_hook, NULL),
                     FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_state_remove_hook(NULL, 0), FOLKRNN_E_INVALID);
    ck_assert_ptr_null(folkrnn_state_vector(NULL, FOLKRNN_HOOK_HIDDEN, 0, 0));
    ck_assert_ptr_null(folkrnn_state_vector(b.s, FOLKRNN_HOOK_HIDDEN, 3, 0));
    ck_assert_ptr_null(folkrnn_state_vector(b.s, FOLKRNN_HOOK_HIDDEN, 0, 2));
    ck_assert_ptr_null(folkrnn_state_vector(b.s, FOLKRNN_HOOK_INGATE, 0, 0));
    folkrnn_state_free(NULL);
    /* a one-hot row through step_input reproduces the token; NaN is refused */
    float row[2 * MAXV] = {0}, p[2 * MAXV], q[2 * MAXV];
    row[3] = 1.0f;
    row[b.V + 7] = 1.0f;
    folkrnn_state *twin = NULL;
    ck_assert_ok(folkrnn_state_new(b.m, 2, &twin));
    int tok[2] = {3, 7};
    ck_assert_ok(folkrnn_state_step_input(b.s, row, p));
    ck_assert_ok(folkrnn_state_step(twin, tok, q));
    for (int k = 0; k < 2 * b.V; k++)
        ck_assert_float_eq_tol(p[k], q[k], 1e-6f);
    row[0] = NAN;
    ck_assert_int_eq(folkrnn_state_step_input(b.s, row, p), FOLKRNN_E_NUMERIC);
    folkrnn_state_free(twin);
    bench_close(&b);
}
END_TEST

static Suite *inference_suite(void)
{
    Suite *s = suite_create("inference");
    TCase *ref = tcase_create("reference");
    tcase_add_test(ref, test_reference_from_text);
    tcase_add_test(ref, test_reference_onehot);
    tcase_add_test(ref, test_reference_dense);
    tcase_add_test(ref, test_dialects_identical);
    tcase_add_test(ref, test_dense_weights);
    suite_add_tcase(s, ref);
    TCase *hooks = tcase_create("hooks");
    tcase_add_test(hooks, test_abort_ingate_first);
    tcase_add_test(hooks, test_abort_cell_middle);
    tcase_add_test(hooks, test_abort_hidden_last_layer);
    tcase_add_test(hooks, test_abort_probs);
    tcase_add_test(hooks, test_abort_second_stream);
    tcase_add_test(hooks, test_zero_hidden_is_kept);
    tcase_add_test(hooks, test_edit_gate);
    tcase_add_test(hooks, test_edit_logits);
    tcase_add_test(hooks, test_remove_hook);
    suite_add_tcase(s, hooks);
    TCase *state = tcase_create("state");
    tcase_add_test(state, test_reset);
    tcase_add_test(state, test_idle_stream);
    tcase_add_test(state, test_token_out_of_range);
    tcase_add_test(state, test_copy);
    tcase_add_test(state, test_null_arguments);
    suite_add_tcase(s, state);
    return s;
}

int main(void)
{
    return run_suite(inference_suite());
}
