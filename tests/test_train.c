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
static folkrnn_model *layered_model(int cell, int num_layers, const int *units)
{
    folkrnn_model *m = NULL;
    ck_assert_ok(folkrnn_model_new(cell, num_layers, units, TINY_V, tiny_tokens, 0, &m));
    unsigned state = 12345u + (unsigned)cell;
    for (int l = 0; l < num_layers; l++) {
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

static folkrnn_model *tiny_model(int cell, int units0, int units1)
{
    int units[2] = {units0, units1};
    return layered_model(cell, 2, units);
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

/* Every trained parameter of m (freed here) against finite differences. */
static void gradient_check_model(folkrnn_model *m, double dropout, const char *what)
{
    folkrnn_model *grad = zero_clone(m);
    tiny_loss(m, dropout, 0, grad);
    int bad = 0;
    static const int per_layer[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B};
    for (int l = 0; l < folkrnn_model_num_layers(m); l++)
        for (int k = 0; k < 3; k++)
            bad += check_param(m, grad, l, per_layer[k], dropout, what);
    bad += check_param(m, grad, 0, FOLKRNN_P_DENSE_W, dropout, what);
    bad += check_param(m, grad, 0, FOLKRNN_P_DENSE_B, dropout, what);
    ck_assert_msg(bad == 0, "%s: %d gradient entries disagree with finite differences", what, bad);
    folkrnn_model_free(grad);
    folkrnn_model_free(m);
}

static void gradient_check(int cell, double dropout, const char *what)
{
    gradient_check_model(tiny_model(cell, 5, 11), dropout, what);
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

/* v2 has three layers: a middle layer takes a layer's output and feeds
   another's input, which two layers do not exercise. */
START_TEST(test_gradients_three_layers)
{
    static const int units[3] = {5, 7, 11};
    gradient_check_model(layered_model(FOLKRNN_CELL_LSTM, 3, units), 0.4, "lstm 3 layers");
    gradient_check_model(layered_model(FOLKRNN_CELL_GRU, 3, units), 0.0, "gru 3 layers");
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

/* ---- clipping ------------------------------------------------------------------ */

/* With clip c, each bias gradient entry is a sum over positions of clipped
   gate gradients, so it is at most npos * c in magnitude; without clipping
   the same gradients are far larger. */
static void clipping_bounds(int cell)
{
    folkrnn_model *m = tiny_model(cell, 5, 11);
    folkrnn_model *clipped = zero_clone(m), *free_grad = zero_clone(m);
    const double c = 1e-4;
    const int npos = 9 - 1 + 5 - 1 + 7 - 1;
    tiny_loss(m, 0.0, c, clipped);
    tiny_loss(m, 0.0, 0.0, free_grad);
    double max_clipped = 0, max_free = 0;
    for (int l = 0; l < 2; l++) {
        const float *b, *f;
        int cols;
        ck_assert_ok(folkrnn_model_param_const(clipped, l, FOLKRNN_P_B, &b, NULL, &cols, NULL));
        ck_assert_ok(folkrnn_model_param_const(free_grad, l, FOLKRNN_P_B, &f, NULL, NULL, NULL));
        for (int k = 0; k < cols; k++) {
            /* clipping acts on gradients of the loss itself (the mean over
               tunes), as Lasagne's does */
            max_clipped = fmax(max_clipped, fabs(b[k]));
            max_free = fmax(max_free, fabs(f[k]));
        }
    }
    ck_assert_msg(max_clipped <= npos * c * 1.0001, "clipped bias gradient %g > %g", max_clipped,
                  npos * c);
    ck_assert_msg(max_free > 100 * npos * c, "unclipped gradients too small (%g) to test", max_free);
    /* A clip above every gradient changes nothing, bit for bit. */
    folkrnn_model *loose = zero_clone(m);
    tiny_loss(m, 0.0, 1e30, loose);
    const float *a, *z;
    int rows, cols, ld;
    ck_assert_ok(folkrnn_model_param_const(loose, 1, FOLKRNN_P_W_HID, &a, &rows, &cols, &ld));
    ck_assert_ok(folkrnn_model_param_const(free_grad, 1, FOLKRNN_P_W_HID, &z, NULL, NULL, NULL));
    for (int r = 0; r < rows; r++)
        ck_assert(memcmp(a + r * ld, z + r * ld, (size_t)cols * sizeof *a) == 0);
    folkrnn_model_free(loose);
    folkrnn_model_free(clipped);
    folkrnn_model_free(free_grad);
    folkrnn_model_free(m);
}

START_TEST(test_clipping_lstm)
{
    clipping_bounds(FOLKRNN_CELL_LSTM);
}
END_TEST

START_TEST(test_clipping_gru)
{
    clipping_bounds(FOLKRNN_CELL_GRU);
}
END_TEST

/* Clipped gradients equal those of an independent numpy implementation of
   Lasagne's grad_clipping (tests/train_ref.py). */
static void clipping_reference(int cell)
{
    FILE *f = fopen(fixture_path("train_clip_ref.txt"), "r");
    ck_assert_msg(f != NULL, "missing fixture train_clip_ref.txt");
    const char *want_cell = cell == FOLKRNN_CELL_LSTM ? "lstm" : "gru";
    char line[256], name[32];
    double ref_loss = NAN;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "cell %31s %lf", name, &ref_loss) == 2 && !strcmp(name, want_cell))
            break;
    ck_assert_msg(!isnan(ref_loss), "no %s section in the fixture", want_cell);
    folkrnn_model *m = tiny_model(cell, 5, 11);
    folkrnn_model *grad = zero_clone(m);
    double loss = tiny_loss(m, 0.0, 0.05, grad);
    ck_assert_msg(fabs(loss - ref_loss) < 1e-5 * ref_loss, "loss %.8f, numpy %.8f", loss, ref_loss);
    static const int params[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B};
    for (int k = 0; k < 8; k++) {
        int layer = k < 6 ? k / 3 : 0, which = k < 6 ? params[k % 3] : FOLKRNN_P_DENSE_W + k - 6;
        const float *g;
        int rows, cols, ld, count;
        ck_assert_ok(folkrnn_model_param_const(grad, layer, which, &g, &rows, &cols, &ld));
        ck_assert_int_eq(fscanf(f, "%31s %d", name, &count), 2);
        ck_assert_int_eq(count, rows * cols);
        for (int i = 0; i < count; i++) {
            double want;
            ck_assert_int_eq(fscanf(f, "%lf", &want), 1);
            double got = g[(i / cols) * ld + i % cols];
            ck_assert_msg(fabs(got - want) <= 1e-5 + 1e-4 * fabs(want),
                          "%s %s[%d]: %.8g, numpy %.8g", want_cell, name, i, got, want);
        }
    }
    fclose(f);
    folkrnn_model_free(grad);
    folkrnn_model_free(m);
}

START_TEST(test_clipping_reference_lstm)
{
    clipping_reference(FOLKRNN_CELL_LSTM);
}
END_TEST

START_TEST(test_clipping_reference_gru)
{
    clipping_reference(FOLKRNN_CELL_GRU);
}
END_TEST

/* ---- data ------------------------------------------------------------------------ */

/* The status of setting text as data, and the message. */
static int data_status(const char *text, const char *const *vocab, int nvocab)
{
    folkrnn_trainer *t;
    ck_assert_ok(folkrnn_trainer_new(&t));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_VALID_FRACTION, 0));
    int rc = folkrnn_trainer_set_data(t, text, strlen(text), "corpus.txt", vocab, nvocab);
    folkrnn_trainer_free(t);
    return rc;
}

START_TEST(test_data_errors)
{
    ck_assert_int_eq(data_status("M:4/4\nK:Cmaj\nA B\n\nA \001 B\n", NULL, 0), FOLKRNN_E_PARSE);
    ck_assert_msg(strstr(folkrnn_errmsg(), "corpus.txt:5:") != NULL, "%s", folkrnn_errmsg());
    ck_assert_int_eq(data_status("A B\n\nC <s> D\n", NULL, 0), FOLKRNN_E_PARSE);
    ck_assert_msg(strstr(folkrnn_errmsg(), "corpus.txt:3:") != NULL, "%s", folkrnn_errmsg());
    ck_assert_int_eq(data_status("\n \n\t\n", NULL, 0), FOLKRNN_E_PARSE);
    ck_assert_msg(strstr(folkrnn_errmsg(), "no tunes") != NULL, "%s", folkrnn_errmsg());
    const char *const dup[] = {"A", "B", "A"};
    ck_assert_int_eq(data_status("A B\n", dup, 3), FOLKRNN_E_INVALID);
    ck_assert_ok(data_status("A B\r\n\r\nB\tA\n", NULL, 0));
}
END_TEST

/* A model trained briefly on text; the trainer is returned for inspection. */
static folkrnn_trainer *train_text(const char *text, int cell, int units, int epochs, int batch,
                                   double dropout, double lr)
{
    folkrnn_trainer *t;
    ck_assert_ok(folkrnn_trainer_new(&t));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_CELL, cell));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_LAYERS, 1));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_UNITS, units));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_EPOCHS, epochs));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_BATCH_SIZE, batch));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_DROPOUT, dropout));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_LEARNING_RATE, lr));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_LR_DECAY, 1)); /* no decay in 300 epochs */
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_VALID_FRACTION, 0));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_THREADS, 1));
    ck_assert_ok(folkrnn_trainer_set_data(t, text, strlen(text), "corpus.txt", NULL, 0));
    ck_assert_ok(folkrnn_trainer_run(t));
    return t;
}

/* Expected digest of a named text, from the fixture made with hashlib. */
static const char *expected_sha256(const char *name)
{
    static char hex[65];
    FILE *f = fopen(fixture_path("train_sha256.txt"), "r");
    ck_assert_msg(f != NULL, "missing fixture train_sha256.txt");
    char line[200], got[65];
    const char *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        char nm[64];
        if (sscanf(line, "%64s %63s", got, nm) == 2 && !strcmp(nm, name)) {
            memcpy(hex, got, 65);
            found = hex;
        }
    }
    fclose(f);
    ck_assert_msg(found != NULL, "no digest for %s", name);
    return found;
}

START_TEST(test_data_sha256)
{
    static const struct { const char *name, *text; } cases[] = {
        {"abc", "abc"},
        {"tiny", "M:4/4\nK:Cmaj\nA B C |\n\nM:3/4\nK:Cmin\nC C |\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        folkrnn_trainer *t = train_text(cases[i].text, FOLKRNN_CELL_LSTM, 3, 1, 2, 0.0, 0.003);
        const char *got = folkrnn_model_meta(folkrnn_trainer_model(t), "training.data_sha256");
        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, expected_sha256(cases[i].name));
        folkrnn_trainer_free(t);
    }
    char a200[201];
    memset(a200, 'a', 200);
    a200[200] = '\0';
    folkrnn_trainer *t = train_text(a200, FOLKRNN_CELL_LSTM, 3, 1, 2, 0.0, 0.003);
    ck_assert_str_eq(folkrnn_model_meta(folkrnn_trainer_model(t), "training.data_sha256"),
                     expected_sha256("a200"));
    folkrnn_trainer_free(t);
}
END_TEST

/* The validation split of data_v2 is folk-rnn's (numpy fixture). */
START_TEST(test_split_matches_numpy)
{
    folkrnn_trainer *t;
    ck_assert_ok(folkrnn_trainer_new(&t));
    ck_assert_ok(folkrnn_trainer_set_data_file(t, shared_data_path("data_v2.txt"), NULL));
    const long *idx;
    long n;
    ck_assert_ok(folkrnn_trainer_valid_tunes(t, &idx, &n));
    FILE *f = fopen(fixture_path("train_valid_v2.txt"), "r");
    ck_assert_msg(f != NULL, "missing fixture train_valid_v2.txt");
    long k = 0, want;
    while (fscanf(f, "%ld", &want) == 1) {
        ck_assert_msg(k < n && idx[k] == want, "validation tune %ld: %ld, numpy %ld", k,
                      k < n ? idx[k] : -1, want);
        k++;
    }
    fclose(f);
    ck_assert_int_eq(k, n);
    ck_assert_int_eq(n, 1152);
    folkrnn_trainer_free(t);
}
END_TEST

/* ---- training ---------------------------------------------------------------------- */

static const char overfit_text[] =
    "M:4/4\nK:Cmaj\nA B C | C B A |\n\n"
    "M:6/8\nK:Cmin\nC C C | A A A |\n\n"
    "M:3/4\nK:Cdor\nB A | B A | C 2 |\n\n"
    "M:4/4\nK:Cmix\nA 2 B 2 | C 2 |\n";

static void overfit(int cell)
{
    /* The first body token after <s> cannot be predicted better than the
       meters' frequencies (entropy 1.04 nats in ~11 tokens per tune), so a
       memorised corpus sits near 0.1 nats per token. */
    folkrnn_trainer *t = train_text(overfit_text, cell, 24, 300, 4, 0.0, 0.01);
    double first, last;
    ck_assert_ok(folkrnn_trainer_epoch_loss(t, 0, &first, NULL));
    ck_assert_ok(folkrnn_trainer_epoch_loss(t, 299, &last, NULL));
    ck_assert_msg(last < 0.2 && first > 2.0, "cell %d: loss %g -> %g per token", cell, first,
                  last);
    folkrnn_trainer_free(t);
}

START_TEST(test_overfit_lstm)
{
    overfit(FOLKRNN_CELL_LSTM);
}
END_TEST

START_TEST(test_overfit_gru)
{
    overfit(FOLKRNN_CELL_GRU);
}
END_TEST

/* ---- checkpoints ------------------------------------------------------------------- */

/* Forty tunes of varied lengths, batch 4: ten batches per epoch. */
static char *resume_corpus(void)
{
    static const char *const body[] = {"A", "B", "C", "|", "2", "A B", "C |"};
    size_t cap = 8192, len = 0;
    char *text = malloc(cap);
    unsigned state = 99;
    for (int i = 0; i < 40; i++) {
        len += (size_t)snprintf(text + len, cap - len, "M:4/4\nK:Cmaj\n");
        int n = 2 + i % 9;
        for (int k = 0; k < n; k++)
            len += (size_t)snprintf(text + len, cap - len, "%s ",
                                    body[(unsigned)(test_random(&state) * 3.4f + 3.5f) % 7]);
        len += (size_t)snprintf(text + len, cap - len, "\n\n");
    }
    return text;
}

static folkrnn_trainer *resume_trainer(const char *text, const char *ckpt, const char *resume)
{
    folkrnn_trainer *t;
    ck_assert_ok(folkrnn_trainer_new(&t));
    if (resume) {
        ck_assert_ok(folkrnn_trainer_resume(t, resume));
    } else {
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_LAYERS, 2));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_UNITS, 9));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_EPOCHS, 3));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_BATCH_SIZE, 4));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_VALID_FRACTION, 0.1));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_THREADS, 1));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_SEED, 7));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_MAX_POSITIONS, 20));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_CHECKPOINT_BATCHES, 3));
        ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_CHECKPOINT_SECONDS, 0));
    }
    ck_assert_ok(folkrnn_trainer_set_checkpoint(t, ckpt));
    ck_assert_ok(folkrnn_trainer_set_data(t, text, strlen(text), "resume.txt", NULL, 0));
    return t;
}

/* Stop after the 16th batch overall (epoch 1, batch 6), without saving. */
static int stop_at_16(const folkrnn_train_progress *p, void *user)
{
    int *count = user;
    return p->event == FOLKRNN_TRAIN_EVENT_BATCH && ++*count == 16;
}

static void assert_same_weights(folkrnn_model *a, folkrnn_model *b)
{
    static const int params[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B};
    for (int l = 0; l < folkrnn_model_num_layers(a); l++)
        for (int k = 0; k < 3; k++) {
            const float *x, *y;
            int rows, cols, ld;
            ck_assert_ok(folkrnn_model_param_const(a, l, params[k], &x, &rows, &cols, &ld));
            ck_assert_ok(folkrnn_model_param_const(b, l, params[k], &y, NULL, NULL, NULL));
            for (int r = 0; r < rows; r++)
                ck_assert_msg(memcmp(x + r * ld, y + r * ld, (size_t)cols * sizeof *x) == 0,
                              "layer %d param %d row %d differs", l, params[k], r);
        }
    const float *x, *y;
    int rows, cols;
    ck_assert_ok(folkrnn_model_param_const(a, 0, FOLKRNN_P_DENSE_W, &x, &rows, &cols, NULL));
    ck_assert_ok(folkrnn_model_param_const(b, 0, FOLKRNN_P_DENSE_W, &y, NULL, NULL, NULL));
    ck_assert(memcmp(x, y, (size_t)rows * (size_t)cols * sizeof *x) == 0);
}

static char *temp_path(const char *name)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/folkrnn-test-train-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
    }
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

START_TEST(test_resume_is_exact)
{
    char *text = resume_corpus();
    char *ck_full = temp_path("full.ckpt"), *ck_cut = temp_path("cut.ckpt");
    folkrnn_trainer *full = resume_trainer(text, ck_full, NULL);
    ck_assert_ok(folkrnn_trainer_run(full));

    folkrnn_trainer *cut = resume_trainer(text, ck_cut, NULL);
    int count = 0;
    ck_assert_ok(folkrnn_trainer_set_progress(cut, stop_at_16, &count));
    ck_assert_int_eq(folkrnn_trainer_run(cut), FOLKRNN_E_HOOK);
    folkrnn_trainer_free(cut); /* as if killed: the last checkpoint is at batch 15 */

    folkrnn_trainer *resumed = resume_trainer(text, ck_cut, ck_cut);
    ck_assert_int_eq(folkrnn_trainer_set(resumed, FOLKRNN_TRAIN_DROPOUT, 0.1), FOLKRNN_E_INVALID);
    ck_assert_ok(folkrnn_trainer_set(resumed, FOLKRNN_TRAIN_DROPOUT, 0.5)); /* unchanged: fine */
    ck_assert_int_eq(folkrnn_trainer_epochs_done(resumed), 1);
    ck_assert_ok(folkrnn_trainer_run(resumed));
    assert_same_weights(folkrnn_trainer_model(full), folkrnn_trainer_model(resumed));
    for (int e = 0; e < 3; e++) {
        double a, b, va, vb;
        ck_assert_ok(folkrnn_trainer_epoch_loss(full, e, &a, &va));
        ck_assert_ok(folkrnn_trainer_epoch_loss(resumed, e, &b, &vb));
        ck_assert(a == b && va == vb);
    }
    folkrnn_trainer_free(full);
    folkrnn_trainer_free(resumed);
    free(ck_full);
    free(ck_cut);
    free(text);
}
END_TEST

/* Resuming with other data is refused. */
START_TEST(test_resume_other_data)
{
    char *text = resume_corpus();
    char *ck = temp_path("other.ckpt");
    folkrnn_trainer *t = resume_trainer(text, ck, NULL);
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_EPOCHS, 1));
    ck_assert_ok(folkrnn_trainer_run(t));
    ck_assert_ok(folkrnn_trainer_save_checkpoint(t, ck));
    folkrnn_trainer_free(t);
    ck_assert_ok(folkrnn_trainer_new(&t));
    ck_assert_ok(folkrnn_trainer_resume(t, ck));
    strcat(text, "A B\n"); /* one more tune, every token known */
    ck_assert_int_eq(folkrnn_trainer_set_data(t, text, strlen(text), "x", NULL, 0),
                     FOLKRNN_E_INVALID);
    ck_assert_msg(strstr(folkrnn_errmsg(), "SHA-256") != NULL, "%s", folkrnn_errmsg());
    folkrnn_trainer_free(t);
    free(ck);
    free(text);
}
END_TEST

/* Corrupt and truncated checkpoints are refused with a clear error, and
   writing leaves no temporary file behind. */
START_TEST(test_corrupt_checkpoint)
{
    char *text = resume_corpus();
    char *ck = temp_path("corrupt.ckpt");
    folkrnn_trainer *t = resume_trainer(text, ck, NULL);
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_EPOCHS, 1));
    ck_assert_ok(folkrnn_trainer_run(t));
    ck_assert_ok(folkrnn_trainer_save_checkpoint(t, ck));
    folkrnn_trainer_free(t);
    FILE *f = fopen(ck, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    unsigned char *bytes = malloc((size_t)size);
    ck_assert_int_eq(fread(bytes, 1, (size_t)size, f), size);
    fclose(f);

    char *bad = temp_path("bad.ckpt");
    for (int variant = 0; variant < 3; variant++) {
        long n = size;
        if (variant == 0)
            bytes[size / 2] ^= 0x10; /* a flipped bit in the weights */
        if (variant == 1)
            n = size - 100;          /* truncated */
        if (variant == 2)
            memcpy(bytes, "NOT-A", 5); /* not a checkpoint */
        f = fopen(bad, "wb");
        fwrite(bytes, 1, (size_t)n, f);
        fclose(f);
        ck_assert_ok(folkrnn_trainer_new(&t));
        ck_assert_int_eq(folkrnn_trainer_resume(t, bad), FOLKRNN_E_FORMAT);
        const char *want = variant == 0 ? "checksum" : variant == 1 ? "truncated" : "not a";
        ck_assert_msg(strstr(folkrnn_errmsg(), want) != NULL, "%s", folkrnn_errmsg());
        folkrnn_trainer_free(t);
    }
    /* Only the files written by name exist: no temporary leftovers. */
    char *cmd = malloc(strlen(ck) + 64);
    sprintf(cmd, "ls %.*s | grep -c tmp", (int)(strrchr(ck, '/') - ck), ck);
    FILE *p = popen(cmd, "r");
    int leftovers = -1;
    ck_assert_int_eq(fscanf(p, "%d", &leftovers), 1);
    pclose(p);
    ck_assert_int_eq(leftovers, 0);
    free(cmd);
    free(bytes);
    free(bad);
    free(ck);
    free(text);
}
END_TEST

/* Fine-tuning keeps the model's vocabulary and refuses tokens outside it. */
START_TEST(test_fine_tune)
{
    folkrnn_model *m = tiny_model(FOLKRNN_CELL_LSTM, 5, 11);
    folkrnn_trainer *t;
    ck_assert_ok(folkrnn_trainer_new(&t));
    ck_assert_ok(folkrnn_trainer_set_model(t, m));
    ck_assert_int_eq(folkrnn_trainer_set(t, FOLKRNN_TRAIN_UNITS, 64), FOLKRNN_E_INVALID);
    const char bad[] = "A B\n\nA Q B\n";
    ck_assert_int_eq(folkrnn_trainer_set_data(t, bad, strlen(bad), "ft.txt", NULL, 0),
                     FOLKRNN_E_PARSE);
    ck_assert_msg(strstr(folkrnn_errmsg(), "ft.txt:3:") != NULL, "%s", folkrnn_errmsg());
    const char good[] = "A B | 2\n\nC C |\n\nA 2 B |\n";
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_VALID_FRACTION, 0));
    ck_assert_ok(folkrnn_trainer_set(t, FOLKRNN_TRAIN_EPOCHS, 2));
    ck_assert_ok(folkrnn_trainer_set_data(t, good, strlen(good), "ft.txt", NULL, 0));
    ck_assert_ok(folkrnn_trainer_run(t));
    folkrnn_model *tuned = folkrnn_trainer_model(t);
    ck_assert_int_eq(folkrnn_model_num_layers(tuned), 2);
    ck_assert_int_eq(folkrnn_model_hidden_size(tuned, 1), 11);
    ck_assert_str_eq(folkrnn_model_token(tuned, 6), "2");
    double before = tiny_loss(m, 0, 0, NULL), after = tiny_loss(tuned, 0, 0, NULL);
    ck_assert_msg(before != after, "fine-tuning changed nothing");
    folkrnn_trainer_free(t);
    folkrnn_model_free(m);
}
END_TEST

Suite *train_suite(void);
Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("gradients");
    tcase_add_test(tc, test_gradients_lstm);
    tcase_add_test(tc, test_gradients_lstm_dropout);
    tcase_add_test(tc, test_gradients_three_layers);
    tcase_add_test(tc, test_gradients_gru);
    tcase_add_test(tc, test_gradients_gru_dropout);
    suite_add_tcase(s, tc);
    tc = tcase_create("forward");
    tcase_add_test(tc, test_forward_lstm);
    tcase_add_test(tc, test_forward_gru);
    tcase_add_test(tc, test_clipping_lstm);
    tcase_add_test(tc, test_clipping_gru);
    tcase_add_test(tc, test_clipping_reference_lstm);
    tcase_add_test(tc, test_clipping_reference_gru);
    suite_add_tcase(s, tc);
    tc = tcase_create("data");
    tcase_add_test(tc, test_data_errors);
    tcase_add_test(tc, test_data_sha256);
    tcase_add_test(tc, test_split_matches_numpy);
    suite_add_tcase(s, tc);
    tc = tcase_create("training");
    tcase_add_test(tc, test_overfit_lstm);
    tcase_add_test(tc, test_overfit_gru);
    tcase_add_test(tc, test_resume_is_exact);
    tcase_add_test(tc, test_resume_other_data);
    tcase_add_test(tc, test_corrupt_checkpoint);
    tcase_add_test(tc, test_fine_tune);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(train_suite());
}
