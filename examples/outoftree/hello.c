/* hello.c -- the smallest program using libfolkrnn from outside its tree.

   Build it against an installed libfolkrnn:   make      (see Makefile)
   With a model file it prints the most likely first tokens of a tune:
       ./hello folkrnn_v2.pkl
   Without one it builds a tiny all-zero model in memory, whose next-token
   distribution must be uniform, and checks that (the install test does). */
#include <stdio.h>
#include <string.h>
#include <folkrnn.h>

static int fail(const char *what, int status)
{
    fprintf(stderr, "hello: %s: %s\n", what, *folkrnn_errmsg() ? folkrnn_errmsg()
                                                               : folkrnn_strerror(status));
    return 1;
}

static int load_or_build(const char *path, folkrnn_model **m)
{
    static const char *const tokens[] = {"<s>", "M:6/8", "K:Cmaj", "</s>"};
    static const int units[] = {5, 5};
    if (path)
        return folkrnn_model_load(path, m);
    return folkrnn_model_new(FOLKRNN_CELL_LSTM, 2, units, 4, tokens, 0, m);
}

int main(int argc, char **argv)
{
    folkrnn_model *m;
    folkrnn_state *s;
    int rc = load_or_build(argc > 1 ? argv[1] : NULL, &m);
    if (rc < 0)
        return fail("model", rc);
    if ((rc = folkrnn_state_new(m, 1, &s)) < 0)
        return fail("state", rc);

    int vocab = folkrnn_model_vocab_size(m);
    float probs[1024]; /* vocab <= 1024 here: [1 stream * vocab] */
    int start = folkrnn_model_token_id(m, "<s>");
    if (vocab > 1024 || start < 0 || (rc = folkrnn_state_step(s, &start, probs)) < 0)
        return fail("step", rc < 0 ? rc : FOLKRNN_E_RANGE);

    int uniform = 1;
    for (int i = 0; i < vocab; i++) {
        uniform &= probs[i] > 0.999f / vocab && probs[i] < 1.001f / vocab;
        if (probs[i] >= 0.05f)
            printf("%-10s %.4f\n", folkrnn_model_token(m, i), probs[i]);
    }
    printf("libfolkrnn %s (header %s)\n", folkrnn_version(), FOLKRNN_VERSION);
    folkrnn_state_free(s);
    folkrnn_model_free(m);
    if (argc < 2 && !uniform) {
        fprintf(stderr, "hello: a zero model must give a uniform distribution\n");
        return 1;
    }
    return strcmp(folkrnn_version(), FOLKRNN_VERSION) ? 1 : 0;
}
