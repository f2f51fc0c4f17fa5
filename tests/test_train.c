/* test_train.c -- the trainer: gradients against finite differences, the
   forward pass against the inference code, clipping, data reading, the
   numpy-compatible split, overfitting a tiny corpus, checkpoints and
   bit-exact resumption. */
#include <math.h>
#include <unistd.h>
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

static const char *const tiny_tokens[] = {"<s>", "</s>", "A", "B", "C", "|", "2"};
#define TINY_V 7

/* Deterministic pseudo-random numbers in [-1, 1) for test weights. */
static float test_random(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)((*state >> 8) & 0xffffff) / 8388608.0f - 1.0f;
}

/* Fill a parameter view with random values of amplitude a. */
static void fill_param(folkrnn_model *m, int layer, int which, float a, unsigned *state)
{
    float *d;
    int rows, cols, ld;
    ck_assert_ok(folkrnn_model_param(m, layer, which, &d, &rows, &cols, &ld));
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            d[r * ld + c] = a * test_random(state);
}

/* A small model with random weights (units chosen so rows end in partial
   vector lanes) and random initial states. */
static folkrnn_model *tiny_model(int cell, int units0, int units1)
{
    int units[2] = {units0, units1};
    folkrnn_model *m = NULL;
    ck_assert_ok(folkrnn_model_new(cell, 2, units, TINY_V, tiny_tokens, 0, &m));
    unsigned state = 12345u + (unsigned)cell;
    for (int l = 0; l < 2; l++) {
        fill_param(m, l, FOLKRNN_P_W_IN, 0.6f, &state);
        fill_param(m, l, FOLKRNN_P_W_HID, 0.6f, &state);
        fill_param(m, l, FOLKRNN_P_B, 0.3f, &state);
        fill_param(m, l, FOLKRNN_P_HID_INIT, 0.5f, &state);
        if (cell == FOLKRNN_CELL_LSTM)
            fill_param(m, l, FOLKRNN_P_CELL_INIT, 0.5f, &state);
    }
    fill_param(m, 0, FOLKRNN_P_DENSE_W, 0.8f, &state);
    fill_param(m, 0, FOLKRNN_P_DENSE_B, 0.2f, &state);
    return m;
}

/* Three tunes of different lengths (so the batch is masked). */
static const int tune_a[] = {0, 2, 3, 5, 4, 6, 2, 5, 1};
static const int tune_b[] = {0, 4, 4, 5, 1};
static const int tune_c[] = {0, 3, 6, 2, 2, 5, 1};
static const int *const tiny_tunes[] = {tune_a, tune_b, tune_c};
static const int tiny_lens[] = {9, 5, 7};

static double tiny_loss(const folkrnn_model *m, double dropout, double clip, folkrnn_model *grad)
{
    double loss;
    ck_assert_ok(folkrnn_model_loss_grad(m, 3, tiny_tunes, tiny_lens, dropout, 777, clip, &loss,
                                         grad));
    return loss;
}

static folkrnn_model *zero_clone(const folkrnn_model *m)
{
    folkrnn_model *g;
    ck_assert_ok(folkrnn_model_clone(m, &g));
    static const int whole[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B};
    for (int l = 0; l < folkrnn_model_num_layers(g); l++)
        for (int k = 0; k < 3; k++) {
            float *d;
            int rows, cols, ld;
            ck_assert_ok(folkrnn_model_param(g, l, whole[k], &d, &rows, &cols, &ld));
            for (int r = 0; r < rows; r++)
                memset(d + r * ld, 0, (size_t)cols * sizeof *d);
        }
    for (int which = FOLKRNN_P_DENSE_W; which <= FOLKRNN_P_DENSE_B; which++) {
        float *d;
        int rows, cols, ld;
        ck_assert_ok(folkrnn_model_param(g, 0, which, &d, &rows, &cols, &ld));
        for (int r = 0; r < rows; r++)
            memset(d + r * ld, 0, (size_t)cols * sizeof *d);
    }
    return g;
}

/* Compare every entry of one parameter's gradient with central differences. */
static int check_param(folkrnn_model *m, const folkrnn_model *grad, int layer, int which,
                       double dropout, const char *what)
{
    float *w;
    const float *g;
    int rows, cols, ld, bad = 0;
    ck_assert_ok(folkrnn_model_param(m, layer, which, &w, &rows, &cols, &ld));
    ck_assert_ok(folkrnn_model_param_const(grad, layer, which, &g, NULL, NULL, NULL));
    const float eps = 1e-2f;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            float keep = w[r * ld + c];
            w[r * ld + c] = keep + eps;
            double up = tiny_loss(m, dropout, 0, NULL);
            w[r * ld + c] = keep - eps;
            double down = tiny_loss(m, dropout, 0, NULL);
            w[r * ld + c] = keep;
            double numeric = (up - down) / (2.0 * eps), analytic = g[r * ld + c];
            double tol = 2e-3 + 1e-2 * fmax(fabs(numeric), fabs(analytic));
            if (fabs(numeric - analytic) > tol) {
                if (bad < 5)
                    fprintf(stderr, "%s layer %d param %d (%d,%d): analytic %.6f numeric %.6f\n",
                            what, layer, which, r, c, analytic, numeric);
                bad++;
            }
        }
    return bad;
}

static void gradient_check(int cell, double dropout, const char *what)
{
    folkrnn_model *m = tiny_model(cell, 5, 11);
    folkrnn_model *grad = zero_clone(m);
    tiny_loss(m, dropout, 0, grad);
    int bad = 0;
    static const int per_layer[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B};
    for (int l = 0; l < 2; l++)
        for (int k = 0; k < 3; k++)
            bad += check_param(m, grad, l, per_layer[k], dropout, what);
    bad += check_param(m, grad, 0, FOLKRNN_P_DENSE_W, dropout, what);
    bad += check_param(m, grad, 0, FOLKRNN_P_DENSE_B, dropout, what);
    ck_assert_msg(bad == 0, "%s: %d gradient entries disagree with finite differences", what, bad);
    folkrnn_model_free(grad);
    folkrnn_model_free(m);
}

START_TEST(test_gradients_lstm)
{
    gradient_check(FOLKRNN_CELL_LSTM, 0.0, "lstm");
}
END_TEST

START_TEST(test_gradients_lstm_dropout)
{
    gradient_check(FOLKRNN_CELL_LSTM, 0.4, "lstm+dropout");
}
END_TEST

START_TEST(test_gradients_gru)
{
    gradient_check(FOLKRNN_CELL_GRU, 0.0, "gru");
}
END_TEST

START_TEST(test_gradients_gru_dropout)
{
    gradient_check(FOLKRNN_CELL_GRU, 0.4, "gru+dropout");
}
END_TEST

/* The trainer's forward pass gives the loss the inference code gives. */
static void forward_matches_inference(int cell)
{
    folkrnn_model *m = tiny_model(cell, 5, 11);
    for (int k = 0; k < 3; k++) {
        folkrnn_state *s;
        ck_assert_ok(folkrnn_state_new(m, 1, &s));
        float probs[TINY_V];
        double nll = 0.0;
        for (int t = 0; t + 1 < tiny_lens[k]; t++) {
            ck_assert_ok(folkrnn_state_step(s, &tiny_tunes[k][t], probs));
            nll -= log(probs[tiny_tunes[k][t + 1]]);
        }
        folkrnn_state_free(s);
        double loss;
        ck_assert_ok(folkrnn_model_loss_grad(m, 1, &tiny_tunes[k], &tiny_lens[k], 0.0, 0, 0.0,
                                             &loss, NULL));
        ck_assert_msg(fabs(loss - nll) < 1e-5 * fabs(nll) + 1e-5,
                      "cell %d tune %d: trainer %.7f, inference %.7f", cell, k, loss, nll);
    }
    folkrnn_model_free(m);
}

START_TEST(test_forward_lstm)
{
    forward_matches_inference(FOLKRNN_CELL_LSTM);
}
END_TEST

START_TEST(test_forward_gru)
{
    forward_matches_inference(FOLKRNN_CELL_GRU);
}
END_TEST

Suite *train_suite(void);
Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("gradients");
    tcase_add_test(tc, test_gradients_lstm);
    tcase_add_test(tc, test_gradients_lstm_dropout);
    tcase_add_test(tc, test_gradients_gru);
    tcase_add_test(tc, test_gradients_gru_dropout);
    suite_add_tcase(s, tc);
    tc = tcase_create("forward");
    tcase_add_test(tc, test_forward_lstm);
    tcase_add_test(tc, test_forward_gru);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(train_suite());
}
