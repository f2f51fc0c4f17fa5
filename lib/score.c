/* score.c -- how probable the model finds given tunes: per-token
   log-probabilities by teacher forcing, many tunes across the streams of one
   state.  Rules in include/folkrnn.h, section 6.3. */
#include <math.h>
#include <stdlib.h>
#include "internal.h"

/* log softmax(logits)[target], in double. */
static double log_prob(const float *logits, int V, int target)
{
    double max = logits[0];
    for (int i = 1; i < V; i++)
        if (logits[i] > max)
            max = logits[i];
    double sum = 0.0;
    for (int i = 0; i < V; i++)
        sum += exp((double)logits[i] - max);
    return (double)logits[target] - max - log(sum);
}

/* Where one tune is read from and written to. */
struct job {
    const int *tokens; /* [len] */
    int len;
    int scored;        /* tokens to score: len, + 1 for </s> */
    double *loglik;    /* the tune's total */
    double *out;       /* [scored] per-token values, or NULL */
};

/* What each stream is doing: its job (NULL: idle) and the next position. */
struct lane {
    const struct job *job;
    int pos;
};

struct run {
    folkrnn_state *s;
    folkrnn_state *fresh; /* one stream at the initial state */
    int V, start, end;
    struct job *jobs;     /* [njobs] */
    int njobs, next;
    struct lane *lanes;   /* [nstreams] */
    int *feed;            /* [nstreams] */
};

/* The token a job predicts at position pos. */
static int target(const struct run *r, const struct job *j, int pos)
{
    return pos < j->len ? j->tokens[pos] : r->end;
}

/* Give stream b the next job (or make it idle). */
static int take_job(struct run *r, int b)
{
    struct lane *lane = &r->lanes[b];
    while (r->next < r->njobs && r->jobs[r->next].scored == 0)
        *r->jobs[r->next++].loglik = 0.0; /* nothing to score: an empty tune with NO_END */
    if (r->next >= r->njobs) {
        lane->job = NULL;
        r->feed[b] = FOLKRNN_IDLE;
        return FOLKRNN_OK;
    }
    lane->job = &r->jobs[r->next++];
    lane->pos = 0;
    *lane->job->loglik = 0.0;
    r->feed[b] = r->start;
    return folkrnn_state_copy_stream(r->s, b, r->fresh, 0);
}

/* Record the log-probability of stream b's next token and feed it. */
static int score_lane(struct run *r, int b)
{
    struct lane *lane = &r->lanes[b];
    const struct job *j = lane->job;
    const float *logits = folkrnn_state_vector(r->s, FOLKRNN_HOOK_LOGITS, -1, b);
    double lp = log_prob(logits, r->V, target(r, j, lane->pos));
    *j->loglik += lp;
    if (j->out)
        j->out[lane->pos] = lp;
    r->feed[b] = target(r, j, lane->pos);
    if (++lane->pos < j->scored)
        return FOLKRNN_OK;
    return take_job(r, b);
}

static int run_jobs(struct run *r)
{
    int B = folkrnn_state_nstreams(r->s), rc = folkrnn_state_reset(r->s);
    for (int b = 0; b < B && rc == FOLKRNN_OK; b++)
        rc = take_job(r, b);
    for (;;) {
        int busy = 0;
        for (int b = 0; b < B; b++)
            busy |= r->lanes[b].job != NULL;
        if (rc < 0 || !busy)
            return rc;
        rc = folkrnn_state_step(r->s, r->feed, NULL);
        for (int b = 0; b < B && rc == FOLKRNN_OK; b++)
            if (r->lanes[b].job)
                rc = score_lane(r, b);
    }
}

/* Check the arguments and lay out one job per tune. */
static int make_jobs(struct run *r, const int *tokens, const int *lengths, int ntunes, int flags,
                     double *loglik, double *token_logprobs)
{
    size_t at = 0, out_at = 0;
    for (int k = 0; k < ntunes; k++) {
        if (lengths[k] < 0)
            return fr_error(FOLKRNN_E_INVALID, "tune %d: negative length %d", k, lengths[k]);
        for (int i = 0; i < lengths[k]; i++)
            if (tokens[at + i] < 0 || tokens[at + i] >= r->V)
                return fr_error(FOLKRNN_E_RANGE, "tune %d, token %d: id %d is not in [0, %d)", k,
                                i, tokens[at + i], r->V);
        struct job *j = &r->jobs[k];
        j->tokens = tokens + at;
        j->len = lengths[k];
        j->scored = lengths[k] + !(flags & FOLKRNN_SCORE_NO_END);
        j->loglik = &loglik[k];
        j->out = token_logprobs ? token_logprobs + out_at : NULL;
        at += (size_t)lengths[k];
        out_at += (size_t)j->scored;
    }
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_score(folkrnn_state *s, const int *tokens, const int *lengths,
                              int ntunes, int flags, double *loglik, double *token_logprobs)
{
    if (!s || !lengths || !loglik || ntunes < 1 || (flags & ~FOLKRNN_SCORE_NO_END))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_score: %s",
                        !s ? "NULL state" : !lengths ? "NULL lengths" : !loglik ? "NULL loglik"
                        : ntunes < 1 ? "ntunes < 1" : "unknown flag");
    const folkrnn_model *m = folkrnn_state_model(s);
    struct run r = {s, NULL, folkrnn_model_vocab_size(m), folkrnn_model_token_id(m, "<s>"),
                    folkrnn_model_token_id(m, "</s>"), NULL, ntunes, 0, NULL, NULL};
    if (r.start < 0 || r.end < 0)
        return fr_error(FOLKRNN_E_INVALID, "the model's vocabulary has no %s token",
                        r.start < 0 ? "<s>" : "</s>");
    int B = folkrnn_state_nstreams(s);
    r.jobs = calloc((size_t)ntunes, sizeof *r.jobs);
    r.lanes = calloc((size_t)B, sizeof *r.lanes);
    r.feed = calloc((size_t)B, sizeof *r.feed);
    int rc = r.jobs && r.lanes && r.feed ? FOLKRNN_OK
                                         : fr_oom("scoring jobs", (size_t)ntunes * sizeof *r.jobs);
    if (rc == FOLKRNN_OK && !tokens)
        for (int k = 0; k < ntunes && rc == FOLKRNN_OK; k++)
            if (lengths[k] > 0)
                rc = fr_error(FOLKRNN_E_INVALID, "folkrnn_score: NULL tokens");
    if (rc == FOLKRNN_OK)
        rc = make_jobs(&r, tokens, lengths, ntunes, flags, loglik, token_logprobs);
    if (rc == FOLKRNN_OK)
        rc = folkrnn_state_new(m, 1, &r.fresh);
    if (rc == FOLKRNN_OK)
        rc = run_jobs(&r);
    folkrnn_state_free(r.fresh);
    free(r.jobs);
    free(r.lanes);
    free(r.feed);
    return rc;
}
