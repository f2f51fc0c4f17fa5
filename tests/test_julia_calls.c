/* test_julia_calls.c -- the C calls bindings/julia/example.jl makes through
   FolkRNN.jl, in the same order and with the same argument types, on the
   tiny fixture model (Julia itself is not installable here).  Each call is
   annotated with the Julia function that makes it and the ccall types.
   The results are checked against the float64 numpy reference
   (tests/fixtures/tiny_ref.txt: case plain and case zero_hidden, which
   silences units 1 and 3 of layer 1 as the example's hook does). */
#include <stddef.h>
#include "testutil.h"

/* Julia's HookEvent: Cint point, layer, stream; Clong step; Cint token, n.
   Julia lays structs out by the C rules; these are the offsets it uses. */
_Static_assert(offsetof(folkrnn_hook_event, layer) == 4, "HookEvent.layer");
_Static_assert(offsetof(folkrnn_hook_event, stream) == 8, "HookEvent.stream");
_Static_assert(offsetof(folkrnn_hook_event, step) == 16, "HookEvent.step");
_Static_assert(offsetof(folkrnn_hook_event, token) == 24, "HookEvent.token");
_Static_assert(offsetof(folkrnn_hook_event, n) == 28, "HookEvent.n");

#define VOCAB 11 /* tiny_py2.pkl */

/* values[n] of "rec CASE probs -1 STEP STREAM N v..." in tiny_ref.txt. */
static void reference_probs(const char *casename, int step, int stream, double *values, int n)
{
    FILE *f = fopen(fixture_path("tiny_ref.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", fixture_path("tiny_ref.txt"));
    char prefix[128], line[65536];
    snprintf(prefix, sizeof prefix, "rec %s probs -1 %d %d %d ", casename, step, stream, n);
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, prefix, strlen(prefix)))
            continue;
        char *p = line + strlen(prefix);
        for (int i = 0; i < n; i++)
            values[i] = strtod(p, &p);
        found = 1;
    }
    fclose(f);
    ck_assert_msg(found, "no '%s' in tiny_ref.txt", prefix);
}

/* What the Julia closure does, through hook_trampoline: zero h[[2, 4]]
   (Julia indices) and count the calls.  user is the HookBox in Julia. */
struct hook_box {
    int calls;
    folkrnn_hook_event last;
};

static int hook_trampoline(const folkrnn_hook_event *ev, float *values, void *user)
{
    struct hook_box *box = user;
    values[1] = 0.0f;
    values[3] = 0.0f;
    box->calls++;
    box->last = *ev;
    return 0; /* the closure returned nothing */
}

START_TEST(test_example_calls)
{
    void *model = NULL, *state = NULL; /* Ptr{Cvoid} */
    float plain[VOCAB], ablated[VOCAB]; /* zeros(Float32, vocab, 1) */
    double want[VOCAB];

    /* m = Model(path) */
    ck_assert_ok(folkrnn_model_load(fixture_path("tiny_py2.pkl"), (folkrnn_model **)&model));
    /* tokens = vocab(m): vocab_size, then token(m, i) for i in 0:V-1 */
    int v = folkrnn_model_vocab_size(model);
    ck_assert_int_eq(v, VOCAB);
    static const char *const expect[VOCAB] = {"/2", "D", "2", "K:Cmaj", "M:6/8", "<s>",
                                              "C", "</s>", "|", "z", ":|"};
    for (int i = 0; i < v; i++)
        ck_assert_str_eq(folkrnn_model_token(model, i), expect[i]);
    /* num_layers(m), hidden_size(m, 1) */
    ck_assert_int_eq(folkrnn_model_num_layers(model), 3);
    ck_assert_int_eq(folkrnn_model_hidden_size(model, 1), 6);

    /* s = State(m, 1): state_new, then vocab_size */
    ck_assert_ok(folkrnn_state_new(model, 1, (folkrnn_state **)&state));
    ck_assert_int_eq(folkrnn_model_vocab_size(model), VOCAB);
    /* start = token_id(m, "<s>") */
    int start = folkrnn_model_token_id(model, "<s>");
    ck_assert_int_eq(start, 5);
    /* plain = step!(s, [start]) */
    int ids[1] = {start}; /* Cint.(tokens) */
    ck_assert_ok(folkrnn_state_step(state, ids, plain));
    /* reset!(s) */
    ck_assert_ok(folkrnn_state_reset(state));

    /* silence = add_hook!(s, :hidden, 1, f): point_from_name, add_hook */
    int point = folkrnn_hook_point_from_name("hidden");
    ck_assert_int_eq(point, FOLKRNN_HOOK_HIDDEN);
    struct hook_box box = {0};
    int id = folkrnn_state_add_hook(state, point, 1, hook_trampoline, &box);
    ck_assert_int_ge(id, 0);
    /* ablated = step!(s, [start]) */
    ck_assert_ok(folkrnn_state_step(state, ids, ablated));
    /* remove_hook!(s, silence) */
    ck_assert_ok(folkrnn_state_remove_hook(state, id));

    ck_assert_int_eq(box.calls, 1);
    ck_assert_int_eq(box.last.point, FOLKRNN_HOOK_HIDDEN);
    ck_assert_int_eq(box.last.layer, 1);
    ck_assert_int_eq(box.last.stream, 0);
    ck_assert_int_eq(box.last.step, 0);
    ck_assert_int_eq(box.last.token, start);
    ck_assert_int_eq(box.last.n, 6);
    reference_probs("plain", 0, 0, want, VOCAB);
    for (int i = 0; i < VOCAB; i++)
        ck_assert_double_eq_tol(plain[i], want[i], 1e-5);
    reference_probs("zero_hidden", 0, 0, want, VOCAB);
    double moved = 0;
    for (int i = 0; i < VOCAB; i++) {
        ck_assert_double_eq_tol(ablated[i], want[i], 1e-5);
        moved += ablated[i] > plain[i] ? ablated[i] - plain[i] : plain[i] - ablated[i];
    }
    ck_assert_msg(moved > 1e-4, "silencing units changed nothing");

    /* close(s), close(m) */
    folkrnn_state_free(state);
    folkrnn_model_free(model);
}
END_TEST

/* step! after a failed call: check() reads folkrnn_errmsg, as Julia does. */
START_TEST(test_error_path)
{
    void *model = NULL;
    int rc = folkrnn_model_load(fixture_path("no-such-model.pkl"), (folkrnn_model **)&model);
    ck_assert_int_eq(rc, FOLKRNN_E_IO);
    ck_assert_ptr_null(model);
    ck_assert_msg(strstr(folkrnn_errmsg(), "no-such-model.pkl") != NULL,
                  "message does not name the file: %s", folkrnn_errmsg());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("julia_calls");
    TCase *tc = tcase_create("example");
    tcase_add_test(tc, test_example_calls);
    tcase_add_test(tc, test_error_path);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
