/* bench.c -- libfolkrnn's speed, each figure next to a reference measured
   in the same run on the same machine (bench/run.sh prints the table).

   The machine may be shared, so a figure and its reference are timed
   interleaved (one repetition of each in turn) and compared by their
   medians: whatever else runs slows both alike.

   Usage: bench MODEL.pkl [TUNES [PY3_MODEL.pkl]]
          bench --score MODEL.pkl NTUNES LEN BLAS_THREADS
   MODEL.pkl in the layout of folk-rnn's own file; PY3_MODEL.pkl the same
   written by Python 3's protocol 2 (bench/make_v2_model.py --py3).  The
   second form only scores, so that run.sh can alternate it with PyTorch
   (bench/torch_score.py takes the same arguments).
   Prints one "key value" line per measurement, times in seconds. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <folkrnn.h>

/* OpenBLAS's thread count is process-wide: the bench sets it to compare
   1 and 2 threads; other BLAS libraries are left alone. */
#ifdef OPENBLAS_VERSION
#define HAVE_BLAS_THREADS 1
#else
#define HAVE_BLAS_THREADS 0
#define openblas_set_num_threads(n) ((void)(n))
#endif

static double clock_now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall-clock seconds. */
static double now(void)
{
    return clock_now(CLOCK_MONOTONIC);
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench: %s: %s (%s)\n", what, folkrnn_strerror(rc), folkrnn_errmsg());
    exit(1);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, compare_doubles);
    return x[n / 2];
}

static void print_loadavg(const char *key)
{
    double l1 = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l1) != 1)
            l1 = -1;
        fclose(f);
    }
    printf("%s %.2f\n", key, l1);
}

/* ---- references: reading bytes ------------------------------------------ */

static double read_file_once(const char *path)
{
    static char buf[1 << 20];
    double t0 = now();
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, FOLKRNN_E_IO);
    while (fread(buf, 1, sizeof buf, f) > 0)
        continue;
    fclose(f);
    return now() - t0;
}

static double load_once(const char *path)
{
    folkrnn_model *m;
    double t0 = now();
    int rc = folkrnn_model_load(path, &m);
    double dt = now() - t0;
    if (rc < 0)
        die(path, rc);
    folkrnn_model_free(m);
    return dt;
}

/* Loading a model file against reading its bytes (from the page cache),
   interleaved; prints read_KEY and load_KEY. */
static void bench_load(const char *path, const char *key)
{
    double t[2][9];
    for (int rep = 0; rep < 9; rep++) {
        t[0][rep] = read_file_once(path);
        t[1][rep] = load_once(path);
    }
    printf("read_%s %.9g\nload_%s %.9g\n", key, median(t[0], 9), key, median(t[1], 9));
}

/* Every parameter block of the model, for the plain read loop. */
struct block {
    const float *data;
    size_t n;
};

struct blocks {
    struct block b[64 * 8];
    int count;
    size_t floats;
};

static void add_block(struct blocks *bl, const folkrnn_model *m, int layer, int which)
{
    const float *d;
    int rows, cols, ld;
    if (folkrnn_model_param_const(m, layer, which, &d, &rows, &cols, &ld) < 0)
        return;
    size_t n = (size_t)(rows - 1) * (size_t)ld + (size_t)cols;
    bl->b[bl->count++] = (struct block){d, n};
    bl->floats += n;
}

static void model_blocks(const folkrnn_model *m, struct blocks *bl)
{
    bl->count = 0;
    bl->floats = 0;
    if (!folkrnn_model_is_onehot(m))
        add_block(bl, m, 0, FOLKRNN_P_EMBEDDING);
    for (int l = 0; l < folkrnn_model_num_layers(m); l++) {
        add_block(bl, m, l, FOLKRNN_P_W_IN);
        add_block(bl, m, l, FOLKRNN_P_W_HID);
        add_block(bl, m, l, FOLKRNN_P_B);
    }
    add_block(bl, m, 0, FOLKRNN_P_DENSE_W);
    add_block(bl, m, 0, FOLKRNN_P_DENSE_B);
}

struct stream_job {
    const struct blocks *bl;
    int part, parts;
    float sum;
};

typedef float v8 __attribute__((vector_size(32)));

/* Sum this thread's share of every block: four interleaved runs of eight
   lanes each, so the loads are vector-wide and four streams are in flight
   (one sequential run leaves the memory system idle between misses). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
static void *stream_part(void *arg)
{
    struct stream_job *job = arg;
    v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}; /* in registers: no element access */
    float tail = 0;
    for (int i = 0; i < job->bl->count; i++) {
        const struct block *b = &job->bl->b[i];
        size_t lo = b->n * (size_t)job->part / (size_t)job->parts;
        size_t hi = b->n * (size_t)(job->part + 1) / (size_t)job->parts;
        size_t quarter = (hi - lo) / 32 * 8;
        const float *r0 = b->data + lo, *r1 = r0 + quarter, *r2 = r1 + quarter, *r3 = r2 + quarter;
        for (size_t k = 0; k < quarter; k += 8) {
            v8 x0, x1, x2, x3;
            memcpy(&x0, r0 + k, sizeof x0);
            memcpy(&x1, r1 + k, sizeof x1);
            memcpy(&x2, r2 + k, sizeof x2);
            memcpy(&x3, r3 + k, sizeof x3);
            a0 += x0, a1 += x1, a2 += x2, a3 += x3;
        }
        for (size_t k = lo + 4 * quarter; k < hi; k++)
            tail += b->data[k];
    }
    v8 all = a0 + a1 + a2 + a3;
    for (int j = 0; j < 8; j++)
        tail += all[j];
    job->sum = tail;
    return NULL;
}

/* Time to read every weight once, split over nthreads threads. */
static double stream_weights_once(const struct blocks *bl, int nthreads)
{
    pthread_t th[16];
    struct stream_job jobs[16];
    double t0 = now();
    for (int i = 0; i < nthreads; i++) {
        jobs[i] = (struct stream_job){bl, i, nthreads, 0};
        if (i > 0)
            pthread_create(&th[i], NULL, stream_part, &jobs[i]);
    }
    stream_part(&jobs[0]);
    for (int i = 1; i < nthreads; i++)
        pthread_join(th[i], NULL);
    double dt = now() - t0;
    if (jobs[0].sum == 12345.678f)
        puts(""); /* keep the sums alive */
    return dt;
}

/* ---- steps -------------------------------------------------------------------- */

/* A state of nstreams streams fed pseudo-random tokens, timed step by step. */
struct stepper {
    folkrnn_state *s;
    int nstreams, vocab;
    int *tokens;   /* [nstreams] */
    float *probs;  /* (nstreams, vocab) */
    unsigned seed;
};

static void stepper_new(struct stepper *st, const folkrnn_model *m, int nstreams)
{
    st->nstreams = nstreams;
    st->vocab = folkrnn_model_vocab_size(m);
    st->seed = 12345;
    int rc = folkrnn_state_new(m, nstreams, &st->s);
    if (rc < 0)
        die("state", rc);
    st->tokens = malloc((size_t)nstreams * sizeof *st->tokens);
    st->probs = malloc((size_t)nstreams * (size_t)st->vocab * sizeof *st->probs);
    if (!st->tokens || !st->probs)
        die("stepper", FOLKRNN_E_NOMEM);
}

static void stepper_free(struct stepper *st)
{
    folkrnn_state_free(st->s);
    free(st->tokens);
    free(st->probs);
}

/* Time one step (tokens in, probabilities out), as a sampler would use it,
   by clock: CLOCK_MONOTONIC for wall time, CLOCK_THREAD_CPUTIME_ID for the
   calling thread's own work (blind to other processes taking the CPU). */
static double step_on(struct stepper *st, clockid_t clock)
{
    for (int b = 0; b < st->nstreams; b++)
        st->tokens[b] = (int)((st->seed = st->seed * 1103515245u + 12345u) >> 16) % st->vocab;
    if (folkrnn_state_steps(st->s) >= 500)
        folkrnn_state_reset(st->s);
    double t0 = clock_now(clock);
    int rc = folkrnn_state_step(st->s, st->tokens, st->probs);
    double dt = clock_now(clock) - t0;
    if (rc < 0)
        die("step", rc);
    return dt;
}

static double step_once(struct stepper *st)
{
    return step_on(st, CLOCK_MONOTONIC);
}

#define REPS 300

/* One stream with 1 and 2 BLAS threads against reading its weights with
   1 and 2 threads of plain loads.  Returns the faster BLAS thread count. */
static int bench_one_stream(const folkrnn_model *m, const struct blocks *bl)
{
    struct stepper st;
    stepper_new(&st, m, 1);
    double t[4][REPS];
    for (int threads = 1; threads <= 2; threads++) {
        /* In blocks: OpenBLAS's threads spin a while after each product,
           which would slow whatever runs next with another thread count. */
        openblas_set_num_threads(threads);
        step_once(&st);
        for (int i = 0; i < REPS; i++) {
            t[threads - 1][i] = step_once(&st);
            t[threads + 1][i] = stream_weights_once(bl, threads);
        }
    }
    double one = median(t[0], REPS), two = median(t[1], REPS);
    printf("step_1_blas1 %.9g\nstep_1_blas2 %.9g\n", one, two);
    printf("stream_weights_1thread %.9g\n", median(t[2], REPS));
    printf("stream_weights_2threads %.9g\n", median(t[3], REPS));
    stepper_free(&st);
    return one <= two ? 1 : 2;
}

static int noop_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    (void)ev, (void)values, (void)user;
    return 0;
}

/* A plain state, one with a no-op hook on every layer's h, and one whose
   every hook point is recorded by the analysis recorder (section 8),
   stepped in turn. */
static void bench_hooks(const folkrnn_model *m)
{
    struct stepper plain, hooked, recorded;
    stepper_new(&plain, m, 1);
    stepper_new(&hooked, m, 1);
    stepper_new(&recorded, m, 1);
    if (folkrnn_state_add_hook(hooked.s, FOLKRNN_HOOK_HIDDEN, -1, noop_hook, NULL) < 0)
        die("hook", FOLKRNN_E_INVALID);
    folkrnn_recorder *rec;
    int rc = folkrnn_recorder_new(recorded.s, 0, &rec);
    if (rc == 0)
        rc = folkrnn_recorder_add_all(rec);
    if (rc < 0)
        die("recorder", rc);
    double t[3][REPS];
    openblas_set_num_threads(1); /* all the work in the thread whose CPU time is read */
    for (int i = 0; i < REPS; i++) {
        if (folkrnn_state_steps(recorded.s) == 0)
            folkrnn_recorder_clear(rec); /* one tune's worth of rows at a time */
        t[0][i] = step_on(&plain, CLOCK_THREAD_CPUTIME_ID);
        t[1][i] = step_on(&hooked, CLOCK_THREAD_CPUTIME_ID);
        t[2][i] = step_on(&recorded, CLOCK_THREAD_CPUTIME_ID);
    }
    openblas_set_num_threads(2);
    printf("step_1_plain %.9g\n", median(t[0], REPS));
    printf("step_1_noop_hook %.9g\n", median(t[1], REPS));
    printf("step_1_record_all %.9g\n", median(t[2], REPS));
    folkrnn_recorder_free(rec);
    stepper_free(&plain);
    stepper_free(&hooked);
    stepper_free(&recorded);
}

/* Deterministic values in [0, 0.1) for a product's operands (zeros could
   let a BLAS take shortcuts). */
static void fill_pattern(float *x, size_t n, size_t prime)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((i * prime) % 1000) * 1e-4f;
}

/* The products of one step of B streams, by cblas_sgemm on the same shapes:
   per layer [x h] (B, in+U) by (in+U, G*U) (a one-hot first layer only
   h (B, U) by (U, G*U), its input being a row gather), then the dense
   layer (B, U) by (U, V).  Operands are the model's own weights. */
struct sgemm_shapes {
    int count;
    int k[64], n[64];
    const float *W[64];
    float *A, *C;
};

static void sgemm_shapes_new(struct sgemm_shapes *sh, const folkrnn_model *m, int B)
{
    int L = folkrnn_model_num_layers(m), G = folkrnn_model_cell_type(m) == FOLKRNN_CELL_LSTM ? 4 : 3;
    int in = folkrnn_model_is_onehot(m) ? 0 : folkrnn_model_input_size(m), widest = 1;
    sh->count = 0;
    for (int l = 0; l < L; l++) {
        int U = folkrnn_model_hidden_size(m, l);
        const float *W_in, *W_hid;
        folkrnn_model_param_const(m, l, FOLKRNN_P_W_IN, &W_in, NULL, NULL, NULL);
        folkrnn_model_param_const(m, l, FOLKRNN_P_W_HID, &W_hid, NULL, NULL, NULL);
        sh->k[sh->count] = in + U, sh->n[sh->count] = G * U;
        sh->W[sh->count++] = in ? W_in : W_hid; /* W_hid follows W_in in storage */
        widest = in + U > widest ? in + U : widest;
        widest = G * U > widest ? G * U : widest;
        in = U;
    }
    const float *dense;
    folkrnn_model_param_const(m, 0, FOLKRNN_P_DENSE_W, &dense, NULL, NULL, NULL);
    sh->k[sh->count] = in, sh->n[sh->count] = folkrnn_model_vocab_size(m);
    sh->W[sh->count++] = dense;
    sh->A = calloc((size_t)B * widest, sizeof(float));
    sh->C = calloc((size_t)B * widest, sizeof(float));
    if (!sh->A || !sh->C)
        die("sgemm buffers", FOLKRNN_E_NOMEM);
    fill_pattern(sh->A, (size_t)B * widest, 104729);
}

static double sgemm_once(const struct sgemm_shapes *sh, int B)
{
    double t0 = now();
    for (int i = 0; i < sh->count; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, sh->n[i], sh->k[i], 1.0f, sh->A,
                    sh->k[i], sh->W[i], sh->n[i], 1.0f, sh->C, sh->n[i]);
    return now() - t0;
}

/* Steps of B streams against cblas_sgemm on the step's shapes, each with
   1 and 2 BLAS threads.  Returns the faster BLAS thread count. */
static int bench_many_streams(const folkrnn_model *m, int B, int reps)
{
    struct stepper st;
    struct sgemm_shapes sh;
    stepper_new(&st, m, B);
    sgemm_shapes_new(&sh, m, B);
    double t[4][REPS];
    for (int threads = 1; threads <= 2; threads++) {
        openblas_set_num_threads(threads); /* in blocks, as in bench_one_stream */
        sgemm_once(&sh, B);
        for (int i = 0; i < reps; i++) {
            t[threads - 1][i] = step_once(&st);
            t[threads + 1][i] = sgemm_once(&sh, B);
        }
    }
    double best[2];
    for (int threads = 1; threads <= 2; threads++) {
        best[threads - 1] = median(t[threads - 1], reps);
        printf("step_%d_blas%d %.9g\nsgemm_%d_blas%d %.9g\n", B, threads, best[threads - 1], B,
               threads, median(t[threads + 1], reps));
    }
    stepper_free(&st);
    free(sh.A);
    free(sh.C);
    return best[0] <= best[1] ? 1 : 2;
}

/* The machine's float32 product rate at its best: cblas_sgemm on a large
   square-ish shape (all time steps of a layer's input product at once would
   be this shape), best of 1 and 2 threads.  No scoring that does the
   model's products in float32 can beat flops_per_token / this rate. */
static void bench_sgemm_peak(void)
{
    enum { M = 2048, K = 1024, N = 2048, REPS_PEAK = 5 };
    float *A = calloc((size_t)M * K, sizeof *A), *B = calloc((size_t)K * N, sizeof *B);
    float *C = calloc((size_t)M * N, sizeof *C);
    if (!A || !B || !C)
        die("sgemm peak buffers", FOLKRNN_E_NOMEM);
    fill_pattern(A, (size_t)M * K, 104729);
    fill_pattern(B, (size_t)K * N, 7919);
    double best = 0;
    for (int threads = 1; threads <= 2; threads++) {
        openblas_set_num_threads(threads);
        double t[REPS_PEAK];
        for (int i = 0; i < REPS_PEAK; i++) {
            double t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N,
                        0.0f, C, N);
            t[i] = now() - t0;
        }
        double gflops = 2.0 * M * K * N / median(t, REPS_PEAK) * 1e-9;
        best = gflops > best ? gflops : best;
    }
    printf("sgemm_peak_gflops %.9g\n", best);
    free(A);
    free(B);
    free(C);
}

/* ---- sampling and scoring ------------------------------------------------------ */

static void bench_sampling(const folkrnn_model *m, int ntunes, int max_len, int streams)
{
    folkrnn_sampler *sp;
    int rc = folkrnn_sampler_new(m, &sp);
    if (rc < 0)
        die("sampler", rc);
    folkrnn_sampler_set_streams(sp, streams);
    folkrnn_sampler_set_max_len(sp, max_len);
    folkrnn_sampler_set_seed(sp, 42);
    folkrnn_tunes *tunes;
    double t0 = now();
    rc = folkrnn_sample(sp, ntunes, &tunes);
    double dt = now() - t0;
    if (rc < 0)
        die("sample", rc);
    long tokens = 0;
    for (int k = 0; k < ntunes; k++) {
        int len;
        folkrnn_tunes_tokens(tunes, k, &len);
        tokens += len + 1;
    }
    printf("sample_%d_tunes_per_second %.9g\n", streams, ntunes / dt);
    printf("sample_%d_tokens_per_second %.9g\n", streams, (double)tokens / dt);
    folkrnn_tunes_free(tunes);
    folkrnn_sampler_free(sp);
}

/* Floating-point operations of one token through the model (products only). */
static double flops_per_token(const folkrnn_model *m)
{
    double f = 0;
    int in = folkrnn_model_is_onehot(m) ? 0 : folkrnn_model_input_size(m);
    int gates = folkrnn_model_cell_type(m) == FOLKRNN_CELL_LSTM ? 4 : 3;
    for (int l = 0; l < folkrnn_model_num_layers(m); l++) {
        int U = folkrnn_model_hidden_size(m, l);
        f += 2.0 * (in + U) * gates * U;
        in = U;
    }
    return f + 2.0 * in * folkrnn_model_vocab_size(m);
}

static void bench_scoring(const folkrnn_model *m, int ntunes, int len)
{
    int V = folkrnn_model_vocab_size(m);
    int *toks = malloc((size_t)ntunes * (size_t)len * sizeof *toks);
    int *lens = malloc((size_t)ntunes * sizeof *lens);
    double *ll = malloc((size_t)ntunes * sizeof *ll);
    unsigned x = 777;
    for (int k = 0; k < ntunes * len; k++)
        toks[k] = 2 + (int)((x = x * 1103515245u + 12345u) >> 16) % (V - 2);
    for (int k = 0; k < ntunes; k++)
        lens[k] = len;
    folkrnn_state *s;
    int rc = folkrnn_state_new(m, 64, &s);
    if (rc < 0)
        die("state", rc);
    double t0 = now();
    rc = folkrnn_score(s, toks, lens, ntunes, 0, ll, NULL);
    double dt = now() - t0;
    if (rc < 0)
        die("score", rc);
    double tokens = (double)ntunes * (len + 1); /* the tokens and </s> are predicted */
    printf("score_tokens_per_second %.9g\n", tokens / dt);
    printf("score_gflops %.9g\n", tokens * flops_per_token(m) / dt * 1e-9);
    folkrnn_state_free(s);
    free(toks);
    free(lens);
    free(ll);
}

/* bench --score MODEL NTUNES LEN BLAS_THREADS */
static int score_only(char **argv)
{
    folkrnn_model *m;
    int rc = folkrnn_model_load(argv[2], &m);
    if (rc < 0)
        die(argv[2], rc);
    openblas_set_num_threads(atoi(argv[5]));
    bench_scoring(m, atoi(argv[3]), atoi(argv[4]));
    folkrnn_model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--score") == 0)
        return score_only(argv);
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: bench MODEL.pkl [TUNES [PY3_MODEL.pkl]]\n"
                        "       bench --score MODEL.pkl NTUNES LEN BLAS_THREADS\n");
        return 2;
    }
    const char *pkl = argv[1];
    int ntunes = argc > 2 ? atoi(argv[2]) : 1000;
    print_loadavg("loadavg_start");
    bench_load(pkl, "pickle");
    if (argc > 3)
        bench_load(argv[3], "pickle_py3");
    folkrnn_model *m;
    int rc = folkrnn_model_load(pkl, &m);
    if (rc < 0)
        die(pkl, rc);
    char st[4096];
    snprintf(st, sizeof st, "%s.safetensors", pkl);
    rc = folkrnn_model_save(m, st);
    if (rc < 0)
        die(st, rc);
    bench_load(st, "safetensors");
    remove(st);

    struct blocks bl;
    model_blocks(m, &bl);
    printf("weight_bytes %zu\n", bl.floats * sizeof(float));
    /* Sampling and scoring below run with the BLAS thread count that
       stepped faster just now. */
    int threads_1 = bench_one_stream(m, &bl);
    bench_hooks(m);
    int threads_8 = bench_many_streams(m, 8, 100);
    int threads_64 = bench_many_streams(m, 64, 50);
    bench_sgemm_peak();
    printf("blas_threads %s\n", HAVE_BLAS_THREADS ? "settable" : "missing");
    printf("blas_threads_1 %d\nblas_threads_8 %d\nblas_threads_64 %d\n", threads_1, threads_8,
           threads_64);
    printf("flops_per_token %.9g\n", flops_per_token(m));
    int max_len = 100;
    printf("sample_max_len %d\n", max_len);
    openblas_set_num_threads(threads_1);
    bench_sampling(m, ntunes / 10 > 0 ? ntunes / 10 : 1, max_len, 1);
    openblas_set_num_threads(threads_8);
    bench_sampling(m, ntunes, max_len, 8);
    openblas_set_num_threads(threads_64);
    bench_sampling(m, ntunes, max_len, 64);
    folkrnn_model_free(m);
    print_loadavg("loadavg_end");
    return 0;
}
