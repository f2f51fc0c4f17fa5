/* test_core.c -- models built in memory, parameter views, metadata, states,
   hooks and errors.  Numbers are checked against the reference equations
   written out here in double precision for one-unit models; the numpy
   fixtures of test_inference cover real-size models. */
#include <math.h>
#include <pthread.h>
#include "testutil.h"

static const char *const toks3[] = {"<s>", "</s>", "C"};

/* A one-layer model of U units over the three tokens above, with weights
   w(k) = 0.1 * (k % 7) - 0.3 in storage order so nothing is symmetric. */
static folkrnn_model *small_model(int cell, int U)
{
    folkrnn_model *m;
    int units[1] = {U};
    ck_assert_ok(folkrnn_model_new(cell, 1, units, 3, toks3, 0, &m));
    int which[] = {FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B, FOLKRNN_P_HID_INIT,
                   FOLKRNN_P_DENSE_W, FOLKRNN_P_DENSE_B, FOLKRNN_P_CELL_INIT};
    int k = 0;
    for (size_t w = 0; w < sizeof which / sizeof which[0]; w++) {
        float *d;
        int r, c, ld;
        if (folkrnn_model_param(m, 0, which[w], &d, &r, &c, &ld) != FOLKRNN_OK)
            continue; /* GRU: no cell_init */
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++, k++)
                d[i * ld + j] = 0.1f * (float)(k % 7) - 0.3f;
    }
    return m;
}

static float param_at(folkrnn_model *m, int which, int r, int c)
{
    const float *d;
    int ld;
    ck_assert_ok(folkrnn_model_param_const(m, 0, which, &d, NULL, NULL, &ld));
    return d[r * ld + c];
}

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

START_TEST(test_v2_shape_and_params)
{
    const char *tokens[137];
    char names[137][16];
    for (int i = 0; i < 137; i++) {
        snprintf(names[i], sizeof names[i], "t%d", i);
        tokens[i] = names[i];
    }
    int units[3] = {512, 512, 512};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 3, units, 137, tokens, 0, &m));
    ck_assert_int_eq(folkrnn_model_num_params(m), 5599881);
    ck_assert_int_eq(folkrnn_model_num_layers(m), 3);
    ck_assert_int_eq(folkrnn_model_hidden_size(m, 2), 512);
    ck_assert_int_eq(folkrnn_model_hidden_size(m, 3), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_model_vocab_size(m), 137);
    ck_assert_int_eq(folkrnn_model_input_size(m), 137);
    ck_assert_int_eq(folkrnn_model_is_onehot(m), 1);
    ck_assert_int_eq(folkrnn_model_token_id(m, "t100"), 100);
    ck_assert_int_eq(folkrnn_model_token_id(m, "nope"), FOLKRNN_E_RANGE);
    ck_assert_str_eq(folkrnn_model_token(m, 5), "t5");
    ck_assert_ptr_null(folkrnn_model_token(m, 137));
    ck_assert_ptr_null(folkrnn_model_token(m, -1));

    float *d;
    int r, c, ld;
    ck_assert_ok(folkrnn_model_param(m, 1, FOLKRNN_P_W_IN_FORGETGATE, &d, &r, &c, &ld));
    ck_assert_int_eq(r, 512);
    ck_assert_int_eq(c, 512);
    ck_assert_int_eq(ld, 2048);
    float *all;
    ck_assert_ok(folkrnn_model_param(m, 1, FOLKRNN_P_W_IN, &all, &r, &c, &ld));
    ck_assert_ptr_eq(d, all + 512); /* forget gate is the second block */
    ck_assert_int_eq(c, 2048);
    ck_assert_ok(folkrnn_model_param(m, 0, FOLKRNN_P_W_IN_OUTGATE, &d, &r, &c, &ld));
    ck_assert_int_eq(r, 137);
    ck_assert_ok(folkrnn_model_param(m, 0, FOLKRNN_P_DENSE_W, &d, &r, &c, &ld));
    ck_assert_int_eq(r, 512);
    ck_assert_int_eq(c, 137);
    ck_assert_int_eq(folkrnn_model_param(m, 0, FOLKRNN_P_W_IN_RESETGATE, &d, &r, &c, &ld),
                     FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_model_param(m, 3, FOLKRNN_P_B_CELL, &d, &r, &c, &ld),
                     FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_model_param(m, 0, 999, &d, &r, &c, &ld), FOLKRNN_E_INVALID);
    folkrnn_model_free(m);
}
END_TEST

START_TEST(test_bad_construction)
{
    folkrnn_model *m = (folkrnn_model *)1;
    int units[1] = {4};
    const char *dup[] = {"a", "b", "a"};
    ck_assert_int_eq(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, units, 3, dup, 0, &m),
                     FOLKRNN_E_INVALID);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(folkrnn_errmsg(), "\"a\"") != NULL, "message: %s", folkrnn_errmsg());
    ck_assert_int_eq(folkrnn_model_new(7, 1, units, 3, toks3, 0, &m), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_model_new(FOLKRNN_CELL_LSTM, 0, units, 3, toks3, 0, &m),
                     FOLKRNN_E_INVALID);
    int zero[1] = {0};
    ck_assert_int_eq(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, zero, 3, toks3, 0, &m),
                     FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, NULL, 3, toks3, 0, &m),
                     FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_model_load(NULL, &m), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_model_load("/nonexistent/model.pkl", &m), FOLKRNN_E_IO);
    ck_assert_msg(strstr(folkrnn_errmsg(), "/nonexistent/model.pkl") != NULL, "%s",
                  folkrnn_errmsg());
    ck_assert_int_eq(folkrnn_model_load_buffer("hello world", 11, &m), FOLKRNN_E_FORMAT);
    ck_assert_int_eq(folkrnn_model_num_layers(NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_model_num_params(NULL), -1);
    folkrnn_model_free(NULL);
}
END_TEST

START_TEST(test_clone_and_meta)
{
    folkrnn_model *m = small_model(FOLKRNN_CELL_LSTM, 2), *c;
    ck_assert_ok(folkrnn_model_set_meta(m, "recipe", "config5"));
    ck_assert_ok(folkrnn_model_set_meta(m, "epochs", "3"));
    ck_assert_ok(folkrnn_model_set_meta(m, "epochs", "4"));
    ck_assert_ok(folkrnn_model_clone(m, &c));
    float *d;
    ck_assert_ok(folkrnn_model_param(c, 0, FOLKRNN_P_W_HID_CELL, &d, NULL, NULL, NULL));
    float before = param_at(m, FOLKRNN_P_W_HID_CELL, 0, 0);
    d[0] = 42.0f;
    ck_assert_float_eq(param_at(m, FOLKRNN_P_W_HID_CELL, 0, 0), before);
    ck_assert_float_eq(param_at(c, FOLKRNN_P_W_HID_CELL, 0, 0), 42.0f);
    ck_assert_str_eq(folkrnn_model_meta(c, "epochs"), "4");
    ck_assert_ok(folkrnn_model_set_meta(c, "recipe", NULL));
    ck_assert_ptr_null(folkrnn_model_meta(c, "recipe"));
    ck_assert_str_eq(folkrnn_model_meta(m, "recipe"), "config5");
    ck_assert_str_eq(folkrnn_model_meta_key(m, 0), "recipe");
    ck_assert_str_eq(folkrnn_model_meta_key(m, 1), "epochs");
    ck_assert_ptr_null(folkrnn_model_meta_key(m, 2));
    ck_assert_int_eq(folkrnn_model_set_meta(m, "", "x"), FOLKRNN_E_INVALID);
    folkrnn_model_free(c);
    folkrnn_model_free(m);
}
END_TEST

/* One LSTM step of a one-unit model, written out from the equations. */
START_TEST(test_lstm_step_by_hand)
{
    folkrnn_model *m = small_model(FOLKRNN_CELL_LSTM, 1);
    folkrnn_state *s;
    ck_assert_ok(folkrnn_state_new(m, 1, &s));
    int tok = 2;
    float probs[3];
    ck_assert_ok(folkrnn_state_step(s, &tok, probs));
    double h0 = param_at(m, FOLKRNN_P_HID_INIT, 0, 0), c0 = param_at(m, FOLKRNN_P_CELL_INIT, 0, 0);
    double pre[4];
    for (int k = 0; k < 4; k++)
        pre[k] = (double)param_at(m, FOLKRNN_P_W_IN, tok, k) + h0 * param_at(m, FOLKRNN_P_W_HID, 0, k) +
                 param_at(m, FOLKRNN_P_B, 0, k);
    double c = sig(pre[1]) * c0 + sig(pre[0]) * tanh(pre[2]);
    double h = sig(pre[3]) * tanh(c);
    double z[3], zmax = -1e300, sum = 0;
    for (int v = 0; v < 3; v++) {
        z[v] = h * param_at(m, FOLKRNN_P_DENSE_W, 0, v) + param_at(m, FOLKRNN_P_DENSE_B, 0, v);
        zmax = fmax(zmax, z[v]);
    }
    for (int v = 0; v < 3; v++)
        sum += exp(z[v] - zmax);
    for (int v = 0; v < 3; v++)
        ck_assert_double_eq_tol(probs[v], exp(z[v] - zmax) / sum, 1e-6);
    ck_assert_double_eq_tol(*folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, 0, 0), h, 1e-6);
    ck_assert_double_eq_tol(*folkrnn_state_vector(s, FOLKRNN_HOOK_CELL, 0, 0), c, 1e-6);
    ck_assert_int_eq(folkrnn_state_steps(s), 1);
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

/* One GRU step of a one-unit model (Lasagne's GRULayer equations). */
START_TEST(test_gru_step_by_hand)
{
    folkrnn_model *m = small_model(FOLKRNN_CELL_GRU, 1);
    folkrnn_state *s;
    ck_assert_ok(folkrnn_state_new(m, 1, &s));
    int tok = 1;
    float probs[3];
    ck_assert_ok(folkrnn_state_step(s, &tok, probs));
    double h0 = param_at(m, FOLKRNN_P_HID_INIT, 0, 0), in[3], hid[3];
    for (int k = 0; k < 3; k++) {
        in[k] = (double)param_at(m, FOLKRNN_P_W_IN, tok, k) + param_at(m, FOLKRNN_P_B, 0, k);
        hid[k] = h0 * param_at(m, FOLKRNN_P_W_HID, 0, k);
    }
    double r = sig(in[0] + hid[0]), u = sig(in[1] + hid[1]);
    double g = tanh(in[2] + r * hid[2]);
    double h = (1 - u) * h0 + u * g;
    ck_assert_double_eq_tol(*folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, 0, 0), h, 1e-6);
    ck_assert_ptr_null(folkrnn_state_vector(s, FOLKRNN_HOOK_CELL, 0, 0));
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

struct hook_log {
    int calls;
    int abort_at_call; /* 0: never */
    int last_point, last_layer, last_stream, last_n, last_token;
    long last_step;
};

static int logging_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    struct hook_log *log = user;
    log->calls++;
    log->last_point = ev->point;
    log->last_layer = ev->layer;
    log->last_stream = ev->stream;
    log->last_step = ev->step;
    log->last_n = ev->n;
    log->last_token = ev->token;
    (void)values;
    return log->abort_at_call && log->calls == log->abort_at_call ? 7 : 0;
}

static int zero_hook(const folkrnn_hook_event *ev, float *values, void *user)
{
    (void)user;
    for (int j = 0; j < ev->n; j++)
        values[j] = 0.0f;
    return 0;
}

START_TEST(test_hooks_abort_idle_and_ranges)
{
    int units[2] = {3, 2};
    folkrnn_model *m;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 2, units, 3, toks3, 0, &m));
    float *d;
    int r, c, ld;
    ck_assert_ok(folkrnn_model_param(m, 1, FOLKRNN_P_W_IN, &d, &r, &c, &ld));
    for (int i = 0; i < r * ld; i++)
        d[i] = 0.05f * (float)(i % 5) - 0.1f;
    ck_assert_ok(folkrnn_model_param(m, 0, FOLKRNN_P_W_IN, &d, &r, &c, &ld));
    for (int i = 0; i < r * ld; i++)
        d[i] = 0.03f * (float)(i % 9) - 0.12f;

    folkrnn_state *s;
    ck_assert_ok(folkrnn_state_new(m, 2, &s));
    struct hook_log log = {0};
    int id = folkrnn_state_add_hook(s, FOLKRNN_HOOK_HIDDEN, 1, logging_hook, &log);
    ck_assert_int_ge(id, 0);
    int toks[2] = {2, FOLKRNN_IDLE};
    ck_assert_ok(folkrnn_state_step(s, toks, NULL));
    ck_assert_int_eq(log.calls, 1); /* the idle stream runs no hook */
    ck_assert_int_eq(log.last_layer, 1);
    ck_assert_int_eq(log.last_stream, 0);
    ck_assert_int_eq(log.last_n, 2);
    ck_assert_int_eq(log.last_token, 2);
    ck_assert_int_eq(log.last_step, 0);
    /* The idle stream stayed at its initial state (zeros here). */
    ck_assert_float_eq(folkrnn_state_vector(s, FOLKRNN_HOOK_CELL, 0, 1)[0], 0.0f);

    float h_before[3], c_before[3];
    memcpy(h_before, folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, 0, 0), sizeof h_before);
    memcpy(c_before, folkrnn_state_vector(s, FOLKRNN_HOOK_CELL, 0, 0), sizeof c_before);
    log.abort_at_call = log.calls + 2; /* abort on stream 1 after stream 0 went through */
    int both[2] = {1, 1};
    ck_assert_int_eq(folkrnn_state_step(s, both, NULL), FOLKRNN_E_HOOK);
    ck_assert_msg(strstr(folkrnn_errmsg(), "returned 7") != NULL, "%s", folkrnn_errmsg());
    ck_assert_int_eq(folkrnn_state_steps(s), 1);
    ck_assert_mem_eq(folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, 0, 0), h_before, sizeof h_before);
    ck_assert_mem_eq(folkrnn_state_vector(s, FOLKRNN_HOOK_CELL, 0, 0), c_before, sizeof c_before);

    /* Out-of-range tokens change nothing. */
    int bad[2] = {1, 3};
    ck_assert_int_eq(folkrnn_state_step(s, bad, NULL), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_state_steps(s), 1);
    bad[1] = -2;
    ck_assert_int_eq(folkrnn_state_step(s, bad, NULL), FOLKRNN_E_RANGE);

    /* A removed hook no longer runs; zeroing h of the last layer makes the
       logits equal the dense bias (zero here). */
    ck_assert_ok(folkrnn_state_remove_hook(s, id));
    ck_assert_int_eq(folkrnn_state_remove_hook(s, id), FOLKRNN_E_RANGE);
    int calls = log.calls;
    ck_assert_int_ge(folkrnn_state_add_hook(s, FOLKRNN_HOOK_HIDDEN, 1, zero_hook, NULL), 0);
    float probs[6];
    ck_assert_ok(folkrnn_state_step(s, both, probs));
    ck_assert_int_eq(log.calls, calls);
    for (int v = 0; v < 6; v++)
        ck_assert_double_eq_tol(probs[v], 1.0 / 3.0, 1e-7);

    ck_assert_int_eq(folkrnn_state_add_hook(s, FOLKRNN_HOOK_RESETGATE, 0, zero_hook, NULL),
                     FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_add_hook(s, FOLKRNN_HOOK_HIDDEN, 2, zero_hook, NULL),
                     FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_state_add_hook(s, 99, 0, zero_hook, NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_add_hook(s, FOLKRNN_HOOK_HIDDEN, 0, NULL, NULL),
                     FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_step(s, NULL, NULL), FOLKRNN_E_INVALID);
    ck_assert_ptr_null(folkrnn_state_vector(s, FOLKRNN_HOOK_HIDDEN, 0, 2));
    ck_assert_ok(folkrnn_state_reset(s));
    ck_assert_int_eq(folkrnn_state_steps(s), 0);
    ck_assert_ptr_null(folkrnn_state_vector(s, FOLKRNN_HOOK_LOGITS, -1, 0));
    folkrnn_state_free(s);
    folkrnn_model_free(m);
}
END_TEST

START_TEST(test_hook_point_names)
{
    ck_assert_str_eq(folkrnn_hook_point_name(FOLKRNN_HOOK_CELLGATE), "cellgate");
    ck_assert_int_eq(folkrnn_hook_point_from_name("forgetgate"), FOLKRNN_HOOK_FORGETGATE);
    ck_assert_int_eq(folkrnn_hook_point_from_name("probs"), FOLKRNN_HOOK_PROBS);
    ck_assert_int_eq(folkrnn_hook_point_from_name("gate"), FOLKRNN_E_INVALID);
    ck_assert_ptr_null(folkrnn_hook_point_name(FOLKRNN_HOOK_NPOINTS));
}
END_TEST

/* Weighted input equal to a one-hot row gives the token's step, for both
   the one-hot path and a dense embedding. */
START_TEST(test_weighted_input_matches_token)
{
    for (int dense = 0; dense < 2; dense++) {
        folkrnn_model *m = small_model(FOLKRNN_CELL_LSTM, 2);
        if (dense) {
            float *e;
            int r, c, ld;
            ck_assert_ok(folkrnn_model_param(m, 0, FOLKRNN_P_EMBEDDING, &e, &r, &c, &ld));
            e[0 * ld + 1] = 0.5f; /* no longer the identity */
        }
        folkrnn_state *a, *b;
        ck_assert_ok(folkrnn_state_new(m, 1, &a));
        ck_assert_ok(folkrnn_state_new(m, 1, &b));
        int tok = 0;
        float w[3] = {1, 0, 0}, pa[3], pb[3];
        ck_assert_ok(folkrnn_state_step(a, &tok, pa));
        ck_assert_ok(folkrnn_state_step_input(b, w, pb));
        for (int v = 0; v < 3; v++)
            ck_assert_double_eq_tol(pa[v], pb[v], 1e-7);
        w[1] = NAN;
        ck_assert_int_eq(folkrnn_state_step_input(b, w, pb), FOLKRNN_E_NUMERIC);
        folkrnn_state_free(a);
        folkrnn_state_free(b);
        folkrnn_model_free(m);
    }
}
END_TEST

START_TEST(test_copy_stream)
{
    folkrnn_model *m = small_model(FOLKRNN_CELL_LSTM, 2);
    folkrnn_state *one, *many;
    ck_assert_ok(folkrnn_state_new(m, 1, &one));
    ck_assert_ok(folkrnn_state_new(m, 3, &many));
    int tok = 2, toks[3] = {1, 1, 1};
    float p1[3], p3[9];
    ck_assert_ok(folkrnn_state_step(one, &tok, NULL));
    ck_assert_ok(folkrnn_state_copy_stream(many, 2, one, 0));
    ck_assert_ok(folkrnn_state_step(one, &toks[0], p1));
    ck_assert_ok(folkrnn_state_step(many, toks, p3));
    for (int v = 0; v < 3; v++)
        ck_assert_float_eq(p1[v], p3[6 + v]);
    ck_assert_int_eq(folkrnn_state_copy(many, one), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_state_copy_stream(many, 3, one, 0), FOLKRNN_E_RANGE);
    folkrnn_state_free(one);
    folkrnn_state_free(many);
    folkrnn_model_free(m);
}
END_TEST

static void *fail_in_thread(void *arg)
{
    (void)arg;
    folkrnn_model *m;
    folkrnn_model_load("/nonexistent/other-thread", &m);
    return NULL;
}

START_TEST(test_errors_are_per_thread)
{
    folkrnn_model *m;
    folkrnn_model_load("/nonexistent/this-thread", &m);
    pthread_t t;
    pthread_create(&t, NULL, fail_in_thread, NULL);
    pthread_join(t, NULL);
    ck_assert_msg(strstr(folkrnn_errmsg(), "this-thread") != NULL, "%s", folkrnn_errmsg());
    ck_assert_str_eq(folkrnn_strerror(FOLKRNN_E_RANGE), "out of range");
    ck_assert_str_eq(folkrnn_strerror(12345), "unknown status");
    ck_assert_str_eq(folkrnn_version(), FOLKRNN_VERSION);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_v2_shape_and_params);
    tcase_add_test(tc, test_bad_construction);
    tcase_add_test(tc, test_clone_and_meta);
    tcase_add_test(tc, test_lstm_step_by_hand);
    tcase_add_test(tc, test_gru_step_by_hand);
    tcase_add_test(tc, test_hooks_abort_idle_and_ranges);
    tcase_add_test(tc, test_hook_point_names);
    tcase_add_test(tc, test_weighted_input_matches_token);
    tcase_add_test(tc, test_copy_stream);
    tcase_add_test(tc, test_errors_are_per_thread);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
