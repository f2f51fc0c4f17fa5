/* beam.c -- Sturm's pruned search over the joint distribution of the next
   n tokens, with an account of the probability mass it leaves out.  Rules
   and the mass accounting in include/folkrnn.h, section 6.4.

   The tree is walked depth first.  Level d has a state of `width` streams
   holding the children of the node being expanded at depth d, so the
   children of a node advance in one step (one matrix product per layer),
   and memory stays depth x width streams however large the tree. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct leaf {
    double prob; /* joint probability */
    size_t at;   /* its tokens are tokens[at .. at + len) */
    int len;
};

struct folkrnn_beam {
    struct leaf *leaves; /* [nleaves], most probable first once the search is over */
    int nleaves, cap;
    int *tokens;         /* [ntokens] the leaves' paths back to back */
    size_t ntokens, tokcap;
    double visited, outside_beam, below_floor;
};

struct search {
    int V, end, depth, width;
    double floor, temperature;
    folkrnn_state **level; /* [depth] level d: width streams for the children of a depth-d node */
    double *q;             /* [depth][V] conditional probabilities at each depth */
    int *order;            /* [depth][V] ids by decreasing q at each depth */
    int *path;             /* [depth] tokens from the root to the current node */
    int *feed;             /* [depth][width] tokens fed to each level */
    struct folkrnn_beam *out;
};

FOLKRNN_API void folkrnn_beam_opts_init(folkrnn_beam_opts *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->depth = 2;
    opts->width_fraction = 0.1;
    opts->floor = 1e-6;
    opts->temperature = 1.0;
}

FOLKRNN_API void folkrnn_beam_free(folkrnn_beam *b)
{
    if (!b)
        return;
    free(b->leaves);
    free(b->tokens);
    free(b);
}

static int add_leaf(struct folkrnn_beam *b, const int *path, int len, double prob)
{
    if (b->nleaves == b->cap) {
        int cap = b->cap ? 2 * b->cap : 256;
        struct leaf *grown = realloc(b->leaves, (size_t)cap * sizeof *grown);
        if (!grown)
            return fr_oom("beam leaves", (size_t)cap * sizeof *grown);
        b->leaves = grown;
        b->cap = cap;
    }
    if (b->ntokens + (size_t)len > b->tokcap) {
        size_t cap = b->tokcap ? 2 * b->tokcap : 1024;
        int *grown = realloc(b->tokens, cap * sizeof *grown);
        if (!grown)
            return fr_oom("beam paths", cap * sizeof *grown);
        b->tokens = grown;
        b->tokcap = cap;
    }
    memcpy(b->tokens + b->ntokens, path, (size_t)len * sizeof *path);
    b->leaves[b->nleaves++] = (struct leaf){prob, b->ntokens, len};
    b->ntokens += (size_t)len;
    b->visited += prob;
    return FOLKRNN_OK;
}

/* q = softmax(logits / T) in double, and ids ranked by decreasing q (lower
   id first among equals). */
static void rank_children(const float *logits, int V, double T, double *q, int *order)
{
    double max = logits[0], sum = 0.0;
    for (int i = 1; i < V; i++)
        if (logits[i] > max)
            max = logits[i];
    for (int i = 0; i < V; i++)
        sum += q[i] = exp(((double)logits[i] - max) / T);
    for (int i = 0; i < V; i++) {
        q[i] /= sum;
        int j = i;
        for (; j > 0 && q[order[j - 1]] < q[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
}

/* Expand the node in stream b of st at depth d (d tokens in path) with
   joint probability P. */
static int expand(struct search *x, folkrnn_state *st, int b, int d, double P)
{
    double *q = x->q + (size_t)d * x->V;
    int *order = x->order + (size_t)d * x->V;
    rank_children(folkrnn_state_vector(st, FOLKRNN_HOOK_LOGITS, -1, b), x->V, x->temperature, q,
                  order);
    double left_out = 0.0;
    for (int r = x->width; r < x->V; r++)
        left_out += q[order[r]];
    x->out->outside_beam += P * left_out;

    int *feed = x->feed + (size_t)d * x->width;
    int ngrow = 0; /* kept children that need a state of their own */
    for (int r = 0; r < x->width; r++) {
        int c = order[r];
        double Pc = P * q[c];
        if (Pc < x->floor) {
            x->out->below_floor += Pc;
            continue;
        }
        x->path[d] = c;
        if (c == x->end || d + 1 == x->depth) {
            int rc = add_leaf(x->out, x->path, d + 1, Pc);
            if (rc < 0)
                return rc;
            continue;
        }
        feed[ngrow++] = c;
    }
    if (ngrow == 0)
        return FOLKRNN_OK;
    folkrnn_state *next = x->level[d];
    for (int j = 0; j < x->width; j++) {
        int rc = j < ngrow ? folkrnn_state_copy_stream(next, j, st, b) : FOLKRNN_OK;
        if (rc < 0)
            return rc;
        if (j >= ngrow)
            feed[j] = FOLKRNN_IDLE;
    }
    int rc = folkrnn_state_step(next, feed, NULL);
    for (int j = 0; j < ngrow && rc == FOLKRNN_OK; j++) {
        int c = feed[j];
        x->path[d] = c;
        rc = expand(x, next, j, d + 1, P * q[c]);
    }
    return rc;
}

static int check_opts(const folkrnn_beam_opts *o, int V, int *width)
{
    if (o->depth < 1 || o->width < 0 || !(o->floor >= 0) || !(o->temperature > 0) ||
        !isfinite(o->temperature) || (o->width == 0 && !(o->width_fraction > 0 &&
                                                         o->width_fraction <= 1)))
        return fr_error(FOLKRNN_E_INVALID, "beam options: depth %d (>= 1), width %d (>= 0), "
                        "width_fraction %g (in (0, 1] when width is 0), floor %g (>= 0), "
                        "temperature %g (> 0)", o->depth, o->width, o->width_fraction,
                        o->floor, o->temperature);
    /* ceil, forgiving the rounding of fractions such as 0.1 * 137 */
    *width = o->width > 0 ? o->width : (int)ceil(o->width_fraction * V - 1e-9);
    if (*width > V)
        *width = V;
    if (*width < 1)
        *width = 1;
    return FOLKRNN_OK;
}

static int by_prob(const void *pa, const void *pb)
{
    const struct leaf *a = pa, *b = pb;
    if (a->prob != b->prob)
        return a->prob < b->prob ? 1 : -1;
    return a->at < b->at ? -1 : a->at > b->at;
}

/* The root: a state that has read <s> and the context. */
static int feed_context(folkrnn_state *root, int start, const int *context, int n)
{
    int rc = folkrnn_state_step(root, &start, NULL);
    for (int i = 0; i < n && rc == FOLKRNN_OK; i++)
        rc = folkrnn_state_step(root, &context[i], NULL);
    return rc;
}

static int run_search(struct search *x, const folkrnn_model *m, const int *context, int n,
                      int start)
{
    size_t V = (size_t)x->V, D = (size_t)x->depth;
    x->level = calloc(D, sizeof *x->level);
    x->q = malloc(D * V * sizeof *x->q);
    x->order = malloc(D * V * sizeof *x->order);
    x->path = malloc(D * sizeof *x->path);
    x->feed = malloc(D * (size_t)x->width * sizeof *x->feed);
    if (!x->level || !x->q || !x->order || !x->path || !x->feed)
        return fr_oom("beam search work space", D * V * (sizeof(double) + sizeof(int)));
    int rc = FOLKRNN_OK;
    for (size_t d = 0; d + 1 < D && rc == FOLKRNN_OK; d++)
        rc = folkrnn_state_new(m, x->width, &x->level[d]);
    folkrnn_state *root = NULL;
    if (rc == FOLKRNN_OK)
        rc = folkrnn_state_new(m, 1, &root);
    if (rc == FOLKRNN_OK)
        rc = feed_context(root, start, context, n);
    if (rc == FOLKRNN_OK)
        rc = expand(x, root, 0, 0, 1.0);
    folkrnn_state_free(root);
    return rc;
}

static void free_search(struct search *x)
{
    for (int d = 0; x->level && d < x->depth; d++)
        folkrnn_state_free(x->level[d]);
    free(x->level);
    free(x->q);
    free(x->order);
    free(x->path);
    free(x->feed);
}

FOLKRNN_API int folkrnn_beam_search(const folkrnn_model *m, const int *context, int ncontext,
                                    const folkrnn_beam_opts *opts, folkrnn_beam **out)
{
    if (out)
        *out = NULL;
    if (!m || !out || ncontext < 0 || (ncontext > 0 && !context))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_beam_search: %s",
                        !m ? "NULL model" : !out ? "NULL out" : "bad context");
    /* The first version's options end with temperature. */
    folkrnn_beam_opts o;
    folkrnn_beam_opts_init(&o);
    int rc = fr_opts_over(&o, sizeof o, opts,
                          offsetof(folkrnn_beam_opts, temperature) + sizeof o.temperature,
                          "folkrnn_beam_search");
    if (rc < 0)
        return rc;
    struct search x = {0};
    x.V = folkrnn_model_vocab_size(m);
    int start = folkrnn_model_token_id(m, "<s>");
    x.end = folkrnn_model_token_id(m, "</s>");
    if (start < 0 || x.end < 0)
        return fr_error(FOLKRNN_E_INVALID, "the model's vocabulary has no %s token",
                        start < 0 ? "<s>" : "</s>");
    rc = check_opts(&o, x.V, &x.width);
    for (int i = 0; i < ncontext && rc == FOLKRNN_OK; i++)
        if (context[i] < 0 || context[i] >= x.V)
            rc = fr_error(FOLKRNN_E_RANGE, "context token %d: id %d is not in [0, %d)", i,
                          context[i], x.V);
    if (rc < 0)
        return rc;
    x.depth = o.depth;
    x.floor = o.floor;
    x.temperature = o.temperature;
    x.out = calloc(1, sizeof *x.out);
    rc = x.out ? run_search(&x, m, context, ncontext, start) : fr_oom("beam", sizeof *x.out);
    free_search(&x);
    if (rc < 0) {
        folkrnn_beam_free(x.out);
        return rc;
    }
    if (x.out->nleaves > 1)
        qsort(x.out->leaves, (size_t)x.out->nleaves, sizeof *x.out->leaves, by_prob);
    *out = x.out;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_beam_count(const folkrnn_beam *b)
{
    return b ? b->nleaves : -1;
}

FOLKRNN_API const int *folkrnn_beam_leaf(const folkrnn_beam *b, int i, int *len, double *prob)
{
    if (!b || i < 0 || i >= b->nleaves) {
        if (len)
            *len = 0;
        if (prob)
            *prob = 0.0;
        return NULL;
    }
    if (len)
        *len = b->leaves[i].len;
    if (prob)
        *prob = b->leaves[i].prob;
    return b->tokens + b->leaves[i].at;
}

FOLKRNN_API int folkrnn_beam_mass(const folkrnn_beam *b, double *visited, double *outside_beam,
                                  double *below_floor)
{
    if (!b)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_beam_mass: NULL beam");
    if (visited)
        *visited = b->visited;
    if (outside_beam)
        *outside_beam = b->outside_beam;
    if (below_floor)
        *below_floor = b->below_floor;
    return FOLKRNN_OK;
}
