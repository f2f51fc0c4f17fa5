/* test_threads.c -- one model shared by states in many threads
   (include/folkrnn.h "Threads", doc/threads.md).

   Every thread gets its own state, sampler and hook on the same model and
   must produce exactly (bit for bit) what the same work gives when run
   alone, while a further thread clones the model and edits the clone.
   Then each thread causes its own failure and, after all have failed, must
   still read its own message.  tests/ci-extra.sh runs this program built
   with -fsanitize=thread as well, which reports any data race. */
#include <pthread.h>
#include <stdint.h>
#include "testutil.h"

#define NTHREADS 8
#define NSTREAMS 3
#define NSTEPS 40
#define NTUNES 2
#define MAXLEN 60

static folkrnn_model *shared; /* read-only while the threads run */
static int V;

/* A model with the v2 vocabulary, two layers of 48 units and small
   pseudo-random weights (the same every run), so that the BLAS products and
   the sampler have real work. */
static folkrnn_model *make_model(void)
{
    folkrnn_vocab *v;
    ck_assert_ok(folkrnn_vocab_v2(&v));
    int n = folkrnn_vocab_size(v);
    const char **tokens = malloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++)
        tokens[i] = folkrnn_vocab_token(v, i);
    int units[2] = {48, 48};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 2, units, n, tokens, 0, &m));
    free(tokens);
    folkrnn_vocab_free(v);
    uint32_t x = 12345;
    const int which[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B, FOLKRNN_P_HID_INIT,
                         FOLKRNN_P_DENSE_W, FOLKRNN_P_DENSE_B};
    for (int l = 0; l < 2; l++)
        for (size_t k = 0; k < sizeof which / sizeof which[0]; k++) {
            float *w;
            int rows, cols, ld;
            ck_assert_ok(folkrnn_model_param(m, l, which[k], &w, &rows, &cols, &ld));
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) {
                    x = x * 1664525u + 1013904223u;
                    w[r * ld + c] = ((float)(x >> 8) / (float)(1 << 24) - 0.5f) * 0.6f;
                }
        }
    return m;
}

/* What one worker computes; compared between threaded and lone runs. */
struct work {
    int id;
    float probs[NSTEPS][NSTREAMS * 137]; /* next-token distributions */
    int tunes[NTUNES][MAXLEN];           /* sampled tunes, padded with -1 */
    long hook_calls;                     /* HIDDEN hook calls seen by this state */
    int status;                          /* first failure, or 0 */
    char errmsg[256];                    /* the thread's own message after everyone failed */
};

static int count_hidden(const folkrnn_hook_event *ev, float *values, void *user)
{
    ++*(long *)user;
    return 0;
}

#define TRY(call)                                    \
    do {                                             \
        int try_rc_ = (call);                        \
        if (try_rc_ < 0 && w->status == 0)           \
            w->status = try_rc_;                     \
    } while (0)

/* Step a state through a token sequence of its own, then sample tunes. */
static void compute(struct work *w)
{
    folkrnn_state *s = NULL;
    TRY(folkrnn_state_new(shared, NSTREAMS, &s));
    if (!s)
        return;
    TRY(folkrnn_state_add_hook(s, FOLKRNN_HOOK_HIDDEN, -1, count_hidden, &w->hook_calls));
    for (int t = 0; t < NSTEPS; t++) {
        int toks[NSTREAMS];
        for (int b = 0; b < NSTREAMS; b++)
            toks[b] = (w->id * 31 + t * 7 + b * 13) % V;
        TRY(folkrnn_state_step(s, toks, w->probs[t]));
    }
    folkrnn_state_free(s);

    folkrnn_sampler *smp = NULL;
    TRY(folkrnn_sampler_new(shared, &smp));
    if (!smp)
        return;
    TRY(folkrnn_sampler_set_seed(smp, (unsigned long long)w->id));
    TRY(folkrnn_sampler_set_max_len(smp, MAXLEN));
    TRY(folkrnn_sampler_set_streams(smp, 2));
    folkrnn_tunes *tunes = NULL;
    TRY(folkrnn_sample(smp, NTUNES, &tunes));
    for (int k = 0; tunes && k < NTUNES; k++) {
        int len;
        const int *ids = folkrnn_tunes_tokens(tunes, k, &len);
        for (int i = 0; i < MAXLEN; i++)
            w->tunes[k][i] = i < len ? ids[i] : -1;
    }
    folkrnn_tunes_free(tunes);
    folkrnn_sampler_free(smp);
}

static pthread_barrier_t all_failed;

static void *worker(void *arg)
{
    struct work *w = arg;
    compute(w);
    /* Each thread's own failure: a token id that names the thread. */
    folkrnn_state *s = NULL;
    TRY(folkrnn_state_new(shared, 1, &s));
    int bad = V + w->id;
    int rc = folkrnn_state_step(s, &bad, NULL);
    folkrnn_state_free(s);
    if (rc != FOLKRNN_E_RANGE && w->status == 0)
        w->status = -100;
    pthread_barrier_wait(&all_failed);
    snprintf(w->errmsg, sizeof w->errmsg, "%s", folkrnn_errmsg());
    return NULL;
}

/* A thread that edits a clone of the shared model while the others run. */
static void *editor(void *arg)
{
    int *status = arg;
    folkrnn_model *c = NULL;
    *status = folkrnn_model_clone(shared, &c);
    if (*status == FOLKRNN_OK) {
        float *w;
        int rows, cols, ld;
        *status = folkrnn_model_param(c, 1, FOLKRNN_P_W_HID, &w, &rows, &cols, &ld);
        for (int r = 0; *status == FOLKRNN_OK && r < rows; r++)
            for (int k = 0; k < cols; k++)
                w[r * ld + k] = 0.0f; /* snip every recurrent connection of layer 1 */
        folkrnn_state *s = NULL;
        if (*status == FOLKRNN_OK)
            *status = folkrnn_state_new(c, 1, &s);
        int tok = 3;
        for (int t = 0; *status == FOLKRNN_OK && t < NSTEPS; t++)
            *status = folkrnn_state_step(s, &tok, NULL);
        folkrnn_state_free(s);
    }
    folkrnn_model_free(c);
    pthread_barrier_wait(&all_failed);
    return NULL;
}

START_TEST(shared_model_many_threads)
{
    shared = make_model();
    V = folkrnn_model_vocab_size(shared);
    ck_assert_int_eq(V, 137);
    static struct work alone[NTHREADS], together[NTHREADS];
    /* Alone: one after the other in this thread (barrier of one). */
    for (int i = 0; i < NTHREADS; i++) {
        alone[i].id = i;
        compute(&alone[i]);
        ck_assert_msg(alone[i].status == 0, "lone run %d: %s", i, folkrnn_errmsg());
        ck_assert_int_eq(alone[i].hook_calls, (long)NSTEPS * NSTREAMS * 2);
    }
    /* Together: NTHREADS workers and an editor at once. */
    pthread_t th[NTHREADS + 1];
    int editor_status = -1;
    ck_assert_int_eq(pthread_barrier_init(&all_failed, NULL, NTHREADS + 1), 0);
    for (int i = 0; i < NTHREADS; i++) {
        together[i].id = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &together[i]), 0);
    }
    ck_assert_int_eq(pthread_create(&th[NTHREADS], NULL, editor, &editor_status), 0);
    for (int i = 0; i <= NTHREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&all_failed);
    ck_assert_int_eq(editor_status, FOLKRNN_OK);
    for (int i = 0; i < NTHREADS; i++) {
        ck_assert_msg(together[i].status == 0, "thread %d failed: %d", i, together[i].status);
        ck_assert_msg(memcmp(alone[i].probs, together[i].probs, sizeof alone[i].probs) == 0,
                      "thread %d: probabilities differ from the lone run", i);
        ck_assert_msg(memcmp(alone[i].tunes, together[i].tunes, sizeof alone[i].tunes) == 0,
                      "thread %d: tunes differ from the lone run", i);
        ck_assert_int_eq(together[i].hook_calls, alone[i].hook_calls);
        char want[64];
        snprintf(want, sizeof want, "token id %d ", V + i);
        ck_assert_msg(strstr(together[i].errmsg, want) != NULL,
                      "thread %d reads '%s', not its own failure ('%s')", i,
                      together[i].errmsg, want);
    }
    folkrnn_model_free(shared);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    TCase *t = tcase_create("shared model");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, shared_model_many_threads);
    suite_add_tcase(s, t);
    return run_suite(s);
}
