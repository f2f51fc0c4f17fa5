/* bench.c -- libfolkrnn's speed, each figure next to a reference measured
   in the same run on the same machine (bench/run.sh prints the table).

   Usage: bench MODEL.pkl [TUNES]
   Prints one "key value" line per measurement, times in seconds. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <folkrnn.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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

/* ---- references: reading bytes ------------------------------------------ */

static double time_read_file(const char *path)
{
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        FILE *f = fopen(path, "rb");
        if (!f)
            die(path, FOLKRNN_E_IO);
        static char buf[1 << 20];
        size_t total = 0, n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            total += n;
        fclose(f);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    return best;
}

static double time_load(const char *path)
{
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        folkrnn_model *m;
        double t0 = now();
        int rc = folkrnn_model_load(path, &m);
        double dt = now() - t0;
        if (rc < 0)
            die(path, rc);
        folkrnn_model_free(m);
        if (dt < best)
            best = dt;
    }
    return best;
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

static void *stream_part(void *arg)
{
    struct stream_job *job = arg;
    float acc[16] = {0};
    for (int i = 0; i < job->bl->count; i++) {
        const struct block *b = &job->bl->b[i];
        size_t lo = b->n * (size_t)job->part / (size_t)job->parts;
        size_t hi = b->n * (size_t)(job->part + 1) / (size_t)job->parts;
        size_t k = lo;
        for (; k + 16 <= hi; k += 16)
            for (int j = 0; j < 16; j++)
                acc[j] += b->data[k + j];
        for (; k < hi; k++)
            acc[0] += b->data[k];
    }
    for (int j = 0; j < 16; j++)
        job->sum += acc[j];
    return NULL;
}

/* Time to read every weight once, split over nthreads threads. */
static double time_stream_weights(const struct blocks *bl, int nthreads)
{
    double t[30];
    for (int rep = 0; rep < 30; rep++) {
        pthread_t th[16];
        struct stream_job jobs[16];
        double t0 = now();
        for (int i = 0; i < nthreads; i++) {
            jobs[i] = (struct stream_job){bl, i, nthreads, 0};
            pthread_create(&th[i], NULL, stream_part, &jobs[i]);
        }
        for (int i = 0; i < nthreads; i++)
            pthread_join(th[i], NULL);
        t[rep] = now() - t0;
        if (jobs[0].sum == 12345.678f)
            puts(""); /* keep the sums alive */
    }
    return median(t, 30);
}

/* ---- steps -------------------------------------------------------------------- */

static int noop_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    (void)ev, (void)values, (void)user;
    return 0;
}

/* Copies every value it sees into a ring, like a recorder would. */
static int copy_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    float *sink = user;
    memcpy(sink, values, (size_t)ev->n * sizeof(float));
    return 0;
}

/* Median time of one step of nstreams streams over nsteps steps. */
static double time_steps(folkrnn_state *s, int nstreams, int nsteps, int vocab)
{
    int *toks = malloc((size_t)nstreams * sizeof *toks);
    double *t = malloc((size_t)nsteps * sizeof *t);
    unsigned x = 12345;
    folkrnn_state_reset(s);
    for (int i = 0; i < nsteps; i++) {
        for (int b = 0; b < nstreams; b++)
            toks[b] = (int)((x = x * 1103515245u + 12345u) >> 16) % vocab;
        double t0 = now();
        int rc = folkrnn_state_step(s, toks, NULL);
        t[i] = now() - t0;
        if (rc < 0)
            die("step", rc);
    }
    double med = median(t, nsteps);
    free(toks);
    free(t);
    return med;
}

static void bench_steps(const folkrnn_model *m)
{
    int V = folkrnn_model_vocab_size(m);
    folkrnn_state *s;
    int rc = folkrnn_state_new(m, 1, &s);
    if (rc < 0)
        die("state", rc);
    double plain = time_steps(s, 1, 400, V);
    printf("step_1 %.9g\n", plain);
    int id = folkrnn_state_add_hook(s, FOLKRNN_HOOK_HIDDEN, 1, noop_hook, NULL);
    printf("step_1_noop_hook %.9g\n", time_steps(s, 1, 400, V));
    folkrnn_state_remove_hook(s, id);
    static float sink[1 << 16];
    for (int p = 0; p < FOLKRNN_HOOK_NPOINTS; p++)
        folkrnn_state_add_hook(s, p, -1, copy_hook, sink); /* fails harmlessly for GRU points */
    printf("step_1_record_all %.9g\n", time_steps(s, 1, 400, V));
    folkrnn_state_free(s);
    for (int B = 8; B <= 64; B *= 8) {
        rc = folkrnn_state_new(m, B, &s);
        if (rc < 0)
            die("state", rc);
        printf("step_%d %.9g\n", B, time_steps(s, B, 100, V));
        folkrnn_state_free(s);
    }
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
    printf("sample_%d_step_seconds %.9g\n", streams, dt / (double)tokens);
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
    double tokens = (double)ntunes * (len + 2);
    printf("score_tokens_per_second %.9g\n", tokens / dt);
    printf("score_gflops %.9g\n", tokens * flops_per_token(m) / dt * 1e-9);
    folkrnn_state_free(s);
    free(toks);
    free(lens);
    free(ll);
}

/* cblas_sgemm at the shapes of a 64-stream step: [x h] (64, in+U) by the
   layer's packed weights (in+U, 4U). */
static void bench_sgemm(const folkrnn_model *m)
{
    int U = folkrnn_model_hidden_size(m, 1 < folkrnn_model_num_layers(m) ? 1 : 0);
    int K = 2 * U, N = 4 * U, B = 64;
    float *A = calloc((size_t)B * K, sizeof(float)), *W = calloc((size_t)K * N, sizeof(float));
    float *C = calloc((size_t)B * N, sizeof(float));
    for (size_t i = 0; i < (size_t)K * N; i++)
        W[i] = (float)((i * 7919) % 1000) * 1e-4f;
    for (size_t i = 0; i < (size_t)B * K; i++)
        A[i] = (float)((i * 104729) % 1000) * 1e-4f;
    double t[50];
    for (int rep = 0; rep < 50; rep++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, N, K, 1.0f, A, K, W, N, 0.0f, C,
                    N);
        t[rep] = now() - t0;
    }
    printf("sgemm_gflops %.9g\n", 2.0 * B * K * N / median(t, 50) * 1e-9);
    free(A);
    free(W);
    free(C);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench MODEL.pkl [TUNES]\n");
        return 2;
    }
    const char *pkl = argv[1];
    int ntunes = argc > 2 ? atoi(argv[2]) : 1000;
    printf("read_pickle %.9g\nload_pickle %.9g\n", time_read_file(pkl), time_load(pkl));
    folkrnn_model *m;
    int rc = folkrnn_model_load(pkl, &m);
    if (rc < 0)
        die(pkl, rc);
    char st[4096];
    snprintf(st, sizeof st, "%s.safetensors", pkl);
    rc = folkrnn_model_save(m, st);
    if (rc < 0)
        die(st, rc);
    printf("read_safetensors %.9g\nload_safetensors %.9g\n", time_read_file(st), time_load(st));
    remove(st);

    struct blocks bl;
    model_blocks(m, &bl);
    printf("weight_bytes %zu\n", bl.floats * sizeof(float));
    printf("stream_weights_1thread %.9g\n", time_stream_weights(&bl, 1));
    printf("stream_weights_2threads %.9g\n", time_stream_weights(&bl, 2));
    bench_steps(m);
    bench_sgemm(m);
    printf("flops_per_token %.9g\n", flops_per_token(m));
    bench_scoring(m, 128, 200);
    int max_len = 100;
    printf("sample_max_len %d\n", max_len);
    bench_sampling(m, ntunes / 10 > 0 ? ntunes / 10 : 1, max_len, 1);
    bench_sampling(m, ntunes, max_len, 8);
    bench_sampling(m, ntunes, max_len, 64);
    folkrnn_model_free(m);
    return 0;
}
