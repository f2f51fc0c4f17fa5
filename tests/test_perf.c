/* test_perf.c -- the fast paths of a step give the numbers of the plain
   equations: one product over [x h] per LSTM layer, vectorised sigmoid and
   tanh, matrix products for many streams.  The reference here is the step
   written out in double precision with libm, independent of lib/.

   Models have odd widths (37, 45 units) so the eight-lane kernels also run
   their partial tails, and weights large enough to saturate the gates. */
#include <math.h>
#include "testutil.h"

#define MAXL 3
#define TOL 2e-6 /* absolute: float32 rounding of sums of ~100 terms and of exp */

static unsigned long long rng_state;

static double uniform(void) /* in [-1, 1) */
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / (double)(1ULL << 52) - 1.0;
}

/* Every parameter of m uniform in [-scale, scale), except one-hot embeddings. */
static void randomise(folkrnn_model *m, double scale)
{
    static const int every[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B, FOLKRNN_P_HID_INIT,
                                FOLKRNN_P_CELL_INIT, FOLKRNN_P_DENSE_W, FOLKRNN_P_DENSE_B,
                                FOLKRNN_P_EMBEDDING};
    for (int l = 0; l < folkrnn_model_num_layers(m); l++)
        for (size_t p = 0; p < sizeof every / sizeof *every; p++) {
            float *d;
            int rows, cols, ld;
            if (every[p] == FOLKRNN_P_EMBEDDING && folkrnn_model_is_onehot(m))
                continue;
            if (folkrnn_model_param(m, l, every[p], &d, &rows, &cols, &ld) < 0)
                continue; /* cell_init of a GRU */
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    d[r * ld + c] = (float)(scale * uniform());
        }
}

static folkrnn_model *make_model(int cell, int input_size, unsigned long long seed)
{
    static const char *tokens[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k",
                                   "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w"};
    int units[] = {37, 45, 37};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(cell, 3, units, 23, tokens, input_size, &m));
    rng_state = seed;
    randomise(m, 0.6);
    return m;
}

/* ---- the plain step, in double ------------------------------------------------ */

struct ref {
    const folkrnn_model *m;
    int B, L, V, I, G, lstm;
    double h[64][MAXL][64], c[64][MAXL][64]; /* [stream][layer][unit] */
};

static const float *param(const folkrnn_model *m, int l, int which, int *ld)
{
    const float *d;
    ck_assert_ok(folkrnn_model_param_const(m, l, which, &d, NULL, NULL, ld));
    return d;
}

static double sig(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static void ref_init(struct ref *r, const folkrnn_model *m, int B)
{
    r->m = m, r->B = B, r->L = folkrnn_model_num_layers(m), r->V = folkrnn_model_vocab_size(m);
    r->I = folkrnn_model_input_size(m);
    r->lstm = folkrnn_model_cell_type(m) == FOLKRNN_CELL_LSTM;
    r->G = r->lstm ? 4 : 3;
    for (int l = 0; l < r->L; l++) {
        int ld, U = folkrnn_model_hidden_size(m, l);
        const float *h0 = param(m, l, FOLKRNN_P_HID_INIT, &ld);
        const float *c0 = r->lstm ? param(m, l, FOLKRNN_P_CELL_INIT, &ld) : NULL;
        for (int b = 0; b < B; b++)
            for (int u = 0; u < U; u++) {
                r->h[b][l][u] = h0[u];
                r->c[b][l][u] = c0 ? c0[u] : 0;
            }
    }
}

/* One layer of one stream: x (in) -> h, c of layer l. */
static void ref_layer(struct ref *r, int b, int l, const double *x)
{
    const folkrnn_model *m = r->m;
    int U = folkrnn_model_hidden_size(m, l), in = l ? folkrnn_model_hidden_size(m, l - 1) : r->I;
    int ldi, ldh, ldb;
    const float *Wi = param(m, l, FOLKRNN_P_W_IN, &ldi), *Wh = param(m, l, FOLKRNN_P_W_HID, &ldh);
    const float *bias = param(m, l, FOLKRNN_P_B, &ldb);
    double a[4][64], hh[4][64]; /* [gate][unit]: x W_in + b, and h W_hid */
    for (int g = 0; g < r->G; g++)
        for (int u = 0; u < U; u++) {
            int col = g * U + u;
            a[g][u] = bias[col];
            hh[g][u] = 0;
            for (int k = 0; k < in; k++)
                a[g][u] += x[k] * Wi[k * ldi + col];
            for (int k = 0; k < U; k++)
                hh[g][u] += r->h[b][l][k] * Wh[k * ldh + col];
        }
    for (int u = 0; u < U; u++) {
        if (r->lstm) {
            double i = sig(a[0][u] + hh[0][u]), f = sig(a[1][u] + hh[1][u]);
            double g = tanh(a[2][u] + hh[2][u]), o = sig(a[3][u] + hh[3][u]);
            r->c[b][l][u] = f * r->c[b][l][u] + i * g;
            r->h[b][l][u] = o * tanh(r->c[b][l][u]);
        } else {
            double rg = sig(a[0][u] + hh[0][u]), ug = sig(a[1][u] + hh[1][u]);
            double g = tanh(a[2][u] + rg * hh[2][u]);
            r->h[b][l][u] = (1 - ug) * r->h[b][l][u] + ug * g;
        }
    }
}

/* One step of every stream fed weights[B] on tokens[B] and 1 - weights[B]
   on others[B] (weights 1: plain tokens); probs (B, V). */
static void ref_step(struct ref *r, const int *tokens, const int *others, const double *weights,
                     double *probs)
{
    const folkrnn_model *m = r->m;
    int lde, ldw, ldd;
    const float *E = param(m, 0, FOLKRNN_P_EMBEDDING, &lde);
    const float *W = param(m, 0, FOLKRNN_P_DENSE_W, &ldw), *db = param(m, 0, FOLKRNN_P_DENSE_B, &ldd);
    for (int b = 0; b < r->B; b++) {
        double x[64];
        for (int k = 0; k < r->I; k++)
            x[k] = weights[b] * E[tokens[b] * lde + k] +
                   (1 - weights[b]) * E[others[b] * lde + k];
        for (int l = 0; l < r->L; l++) {
            ref_layer(r, b, l, x);
            memcpy(x, r->h[b][l], sizeof x);
        }
        int U = folkrnn_model_hidden_size(m, r->L - 1);
        double *p = probs + (size_t)b * r->V, max = -1e300, sum = 0;
        for (int v = 0; v < r->V; v++) {
            p[v] = db[v];
            for (int k = 0; k < U; k++)
                p[v] += x[k] * W[k * ldw + v];
            max = p[v] > max ? p[v] : max;
        }
        for (int v = 0; v < r->V; v++)
            sum += p[v] = exp(p[v] - max);
        for (int v = 0; v < r->V; v++)
            p[v] /= sum;
    }
}

/* ---- comparisons -------------------------------------------------------------- */

static void expect_close(double got, double want, const char *what, int b, int step)
{
    double d = fabs(got - want);
    ck_assert_msg(d <= TOL, "%s of stream %d at step %d: %.9g, plain %.9g (off by %.3g)", what, b,
                  step, got, want, d);
}

/* Step a state of B streams and the plain equations side by side, fed
   tokens, or when two_hot is set 0.7/0.3 mixtures of two tokens through
   folkrnn_state_step_input. */
static void compare_run(folkrnn_model *m, int B, int steps, int two_hot)
{
    static struct ref r;
    ref_init(&r, m, B);
    folkrnn_state *s;
    ck_assert_ok(folkrnn_state_new(m, B, &s));
    int V = r.V, tokens[64], others[64];
    double weights[64];
    float *probs = malloc((size_t)B * V * sizeof *probs);
    float *inputs = calloc((size_t)B * V, sizeof *inputs);
    double *want = malloc((size_t)B * V * sizeof *want);
    for (int t = 0; t < steps; t++) {
        for (int b = 0; b < B; b++) {
            tokens[b] = (int)((uniform() + 1) * 0.5 * V) % V;
            others[b] = (tokens[b] + 1 + t) % V;
            weights[b] = two_hot ? 0.7 : 1.0;
            memset(inputs + (size_t)b * V, 0, (size_t)V * sizeof *inputs);
            inputs[b * V + tokens[b]] = 0.7f;
            inputs[b * V + others[b]] = 0.3f;
        }
        if (two_hot)
            ck_assert_ok(folkrnn_state_step_input(s, inputs, probs));
        else
            ck_assert_ok(folkrnn_state_step(s, tokens, probs));
        ref_step(&r, tokens, others, weights, want);
        for (int b = 0; b < B; b++) {
            for (int v = 0; v < V; v++)
                expect_close(probs[b * V + v], want[b * V + v], "probability", b, t);
            for (int l = 0; l < r.L; l++)
                for (int u = 0; u < folkrnn_model_hidden_size(m, l); u++) {
                    expect_close(folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, l, b)[u],
                                 r.h[b][l][u], "h", b, t);
                    if (r.lstm)
                        expect_close(folkrnn_state_vector(s, FOLKRNN_HOOK_CELL, l, b)[u],
                                     r.c[b][l][u], "c", b, t);
                }
        }
    }
    free(probs);
    free(inputs);
    free(want);
    folkrnn_state_free(s);
}

START_TEST(test_lstm_onehot_matches_plain)
{
    folkrnn_model *m = make_model(FOLKRNN_CELL_LSTM, 0, 11);
    compare_run(m, 1, 6, 0);  /* matrix-vector products */
    compare_run(m, 64, 6, 0); /* matrix-matrix products */
    compare_run(m, 1, 4, 1);  /* weighted input: [inputs h] by [W_in; W_hid] */
    compare_run(m, 64, 4, 1);
    folkrnn_model_free(m);
}
END_TEST

START_TEST(test_lstm_dense_matches_plain)
{
    folkrnn_model *m = make_model(FOLKRNN_CELL_LSTM, 19, 12);
    compare_run(m, 1, 6, 0);
    compare_run(m, 13, 6, 0);
    compare_run(m, 13, 4, 1); /* inputs x embedding, then [x h] */
    folkrnn_model_free(m);
}
END_TEST

START_TEST(test_gru_matches_plain)
{
    folkrnn_model *m = make_model(FOLKRNN_CELL_GRU, 0, 13);
    compare_run(m, 1, 6, 0);
    compare_run(m, 64, 6, 0);
    compare_run(m, 64, 4, 1);
    folkrnn_model_free(m);
    m = make_model(FOLKRNN_CELL_GRU, 19, 14);
    compare_run(m, 5, 6, 0);
    folkrnn_model_free(m);
}
END_TEST

/* ---- activations over their whole range --------------------------------------- */

/* At the first step from h = 0 a one-hot layer 0's pre-activation is exactly
   b + W_in[token] (one float addition), so the gate hooks see sig and tanh
   of known floats: compare them with libm over [-20, 20]. */
struct gate_check {
    const float *W_in, *b;
    int token, U;
    double worst_sig, worst_tanh;
};

static int gate_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    struct gate_check *g = user;
    int gate = ev->point == FOLKRNN_HOOK_INGATE ? 0 : 2;
    for (int u = 0; u < ev->n; u++) {
        int col = gate * g->U + u;
        float pre = g->W_in[g->token * 4 * g->U + col] + g->b[col];
        double want = gate ? tanh(pre) : sig(pre), d = fabs(values[u] - want);
        double *w = gate ? &g->worst_tanh : &g->worst_sig;
        *w = d > *w ? d : *w;
    }
    return 0;
}

START_TEST(test_activations_match_libm)
{
    static const char *tokens[] = {"x", "y"};
    int U = 1001;
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, &U, 2, tokens, 0, &m));
    float *W_in, *b;
    ck_assert_ok(folkrnn_model_param(m, 0, FOLKRNN_P_W_IN, &W_in, NULL, NULL, NULL));
    ck_assert_ok(folkrnn_model_param(m, 0, FOLKRNN_P_B, &b, NULL, NULL, NULL));
    for (int k = 0; k < 4 * U; k++)
        W_in[4 * U + k] = -20.0f + 40.0f * (float)(k % U) / (float)(U - 1);
    struct gate_check g = {W_in, b, 1, U, 0, 0};
    folkrnn_state *s;
    ck_assert_ok(folkrnn_state_new(m, 1, &s));
    ck_assert_int_ge(folkrnn_state_add_hook(s, FOLKRNN_HOOK_INGATE, 0, gate_hook, &g), 0);
    ck_assert_int_ge(folkrnn_state_add_hook(s, FOLKRNN_HOOK_CELLGATE, 0, gate_hook, &g), 0);
    ck_assert_ok(folkrnn_state_step(s, &g.token, NULL));
    ck_assert_msg(g.worst_sig <= 2e-7 && g.worst_tanh <= 2e-7,
                  "sigmoid off libm by %.3g, tanh by %.3g", g.worst_sig, g.worst_tanh);
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

/* ---- hooks do not change the arithmetic ------------------------------------------ */

static int noop(const folkrnn_hook_event *ev, float *values, void *user)
{
    (void)ev, (void)values, (void)user;
    return 0;
}

START_TEST(test_hooks_keep_numbers_bit_identical)
{
    folkrnn_model *m = make_model(FOLKRNN_CELL_LSTM, 0, 15);
    folkrnn_state *plain, *hooked;
    ck_assert_ok(folkrnn_state_new(m, 3, &plain));
    ck_assert_ok(folkrnn_state_new(m, 3, &hooked));
    for (int p = 0; p < FOLKRNN_HOOK_NPOINTS; p++)
        folkrnn_state_add_hook(hooked, p, -1, noop, NULL); /* GRU points fail harmlessly */
    float a[3 * 23], b[3 * 23];
    for (int t = 0; t < 5; t++) {
        int tokens[3] = {t, 2 * t + 1, FOLKRNN_IDLE};
        ck_assert_ok(folkrnn_state_step(plain, tokens, a));
        ck_assert_ok(folkrnn_state_step(hooked, tokens, b));
        ck_assert_msg(memcmp(a, b, 2 * 23 * sizeof(float)) == 0, "probs differ at step %d", t);
    }
    folkrnn_state_free(plain);
    folkrnn_state_free(hooked);
    folkrnn_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("perf");
    TCase *tc = tcase_create("fast paths");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lstm_onehot_matches_plain);
    tcase_add_test(tc, test_lstm_dense_matches_plain);
    tcase_add_test(tc, test_gru_matches_plain);
    tcase_add_test(tc, test_activations_match_libm);
    tcase_add_test(tc, test_hooks_keep_numbers_bit_identical);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
