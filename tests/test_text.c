/* test_text.c -- token classes, pitches and lengths, vocabularies, token
   text and ABC in and out, bar counting.  Expectations are worked out by
   hand from ABC 2.1 (noted next to each), never taken from the code. */
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static folkrnn_vocab *v2(void)
{
    folkrnn_vocab *v = NULL;
    ck_assert_ok(folkrnn_vocab_v2(&v));
    return v;
}

/* The lines of the shared v2 vocabulary file, malloc'd; *n set. */
static char **read_vocab_file(int *n)
{
    FILE *f = fopen(shared_data_path("folkrnn_v2_vocab.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", shared_data_path("folkrnn_v2_vocab.txt"));
    char **lines = malloc(200 * sizeof *lines), buf[64];
    *n = 0;
    while (fgets(buf, sizeof buf, f) && *n < 200) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (*buf)
            lines[(*n)++] = strdup(buf);
    }
    fclose(f);
    return lines;
}

/* Parse token text with v2, asserting success; returns the count. */
static int parse_v2(folkrnn_vocab *v, const char *text, int *ids, int cap)
{
    int n = folkrnn_parse_tokens(v, text, 0, ids, cap);
    ck_assert_msg(n >= 0 && n <= cap, "parse '%s' -> %d (%s)", text, n, folkrnn_errmsg());
    return n;
}

/* The bars of a tune as "1p 6 6 5c 7!" (length in units of 1/8; p pickup,
   c closing, ! wrong, ? unmetered), and its fault mask. */
static const char *bar_string(folkrnn_vocab *v, const char *tune, int *faults)
{
    static char out[4096];
    static int ids[4096];
    int n = parse_v2(v, tune, ids, 4096);
    folkrnn_bars *b;
    ck_assert_ok(folkrnn_bars_count(v, ids, n, &b));
    int nbars, ncorrect;
    double share;
    ck_assert_ok(folkrnn_bars_summary(b, &nbars, &ncorrect, &share));
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < nbars; i++) {
        int kind;
        long num, den;
        ck_assert_ok(folkrnn_bars_bar(b, i, NULL, NULL, &kind, &num, &den, NULL, NULL));
        const char *mark = kind == FOLKRNN_BAR_FULL ? "" : kind == FOLKRNN_BAR_PICKUP ? "p"
                           : kind == FOLKRNN_BAR_CLOSING ? "c" : kind == FOLKRNN_BAR_WRONG ? "!" : "?";
        if (den == 1)
            len += snprintf(out + len, sizeof out - len, "%s%ld%s", i ? " " : "", num, mark);
        else
            len += snprintf(out + len, sizeof out - len, "%s%ld/%ld%s", i ? " " : "", num, den, mark);
    }
    if (faults)
        *faults = folkrnn_bars_faults(b);
    folkrnn_bars_free(b);
    return out;
}

#define ck_bars(v, tune, expect, expect_faults)                                         \
    do {                                                                                \
        int faults_;                                                                    \
        const char *got_ = bar_string(v, tune, &faults_);                               \
        ck_assert_msg(strcmp(got_, expect) == 0, "%s\n  bars '%s', expected '%s'",      \
                      tune, got_, expect);                                              \
        ck_assert_msg(faults_ == (expect_faults), "%s\n  faults 0x%x, expected 0x%x", \
                      tune, faults_, (unsigned)(expect_faults));                        \
    } while (0)

/* ---- classes ------------------------------------------------------------ */

START_TEST(classes_of_v2_vocabulary)
{
    /* From the reference's list: 7 meters, 4 modes, 5 bars (| |: :| |1 |2;
       no ::), <s>, </s>, 84 pitches, 18 durations, 7 broken, 7 tuplets,
       [ ], z; nothing else. */
    static const int expect[FOLKRNN_TOKEN_NCLASSES] = {
        [FOLKRNN_TOKEN_OTHER] = 0, [FOLKRNN_TOKEN_METER] = 7, [FOLKRNN_TOKEN_MODE] = 4,
        [FOLKRNN_TOKEN_BAR] = 5, [FOLKRNN_TOKEN_START] = 1, [FOLKRNN_TOKEN_END] = 1,
        [FOLKRNN_TOKEN_PITCH] = 84, [FOLKRNN_TOKEN_DURATION] = 18, [FOLKRNN_TOKEN_BROKEN] = 7,
        [FOLKRNN_TOKEN_TUPLET] = 7, [FOLKRNN_TOKEN_CHORD] = 2, [FOLKRNN_TOKEN_REST] = 1};
    int n, count[FOLKRNN_TOKEN_NCLASSES] = {0};
    char **tokens = read_vocab_file(&n);
    ck_assert_int_eq(n, 137);
    for (int i = 0; i < n; i++)
        count[folkrnn_token_class(tokens[i])]++;
    for (int c = 0; c < FOLKRNN_TOKEN_NCLASSES; c++)
        ck_assert_msg(count[c] == expect[c], "class %s: %d tokens, expected %d",
                      folkrnn_token_class_name(c), count[c], expect[c]);
    /* The built-in vocabulary is the file, in the same order. */
    folkrnn_vocab *v = v2();
    ck_assert_int_eq(folkrnn_vocab_size(v), 137);
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(folkrnn_vocab_token(v, i), tokens[i]);
        ck_assert_int_eq(folkrnn_vocab_token_id(v, tokens[i]), i);
        free(tokens[i]);
    }
    free(tokens);
    folkrnn_vocab_free(v);
}
END_TEST

START_TEST(classes_by_hand)
{
    static const struct { const char *text; int cls; } cases[] = {
        {"M:6/8", FOLKRNN_TOKEN_METER}, {"M:C|", FOLKRNN_TOKEN_METER},
        {"K:Cdor", FOLKRNN_TOKEN_MODE}, {"K:G", FOLKRNN_TOKEN_MODE},
        {"|", FOLKRNN_TOKEN_BAR}, {"|:", FOLKRNN_TOKEN_BAR}, {":|", FOLKRNN_TOKEN_BAR},
        {"|1", FOLKRNN_TOKEN_BAR}, {"|2", FOLKRNN_TOKEN_BAR}, {"::", FOLKRNN_TOKEN_BAR},
        {"||", FOLKRNN_TOKEN_BAR}, {"|]", FOLKRNN_TOKEN_BAR}, {":|2", FOLKRNN_TOKEN_BAR},
        {"[1", FOLKRNN_TOKEN_BAR}, {"<s>", FOLKRNN_TOKEN_START}, {"</s>", FOLKRNN_TOKEN_END},
        {"C", FOLKRNN_TOKEN_PITCH}, {"^f'", FOLKRNN_TOKEN_PITCH}, {"__B,,", FOLKRNN_TOKEN_PITCH},
        {"=c", FOLKRNN_TOKEN_PITCH}, {"2", FOLKRNN_TOKEN_DURATION}, {"/", FOLKRNN_TOKEN_DURATION},
        {"3/", FOLKRNN_TOKEN_DURATION}, {"/8", FOLKRNN_TOKEN_DURATION},
        {"7/2", FOLKRNN_TOKEN_DURATION}, {">", FOLKRNN_TOKEN_BROKEN},
        {"/2<", FOLKRNN_TOKEN_BROKEN}, {"4>", FOLKRNN_TOKEN_BROKEN}, {">>", FOLKRNN_TOKEN_BROKEN},
        {"(3", FOLKRNN_TOKEN_TUPLET}, {"(3:2:3", FOLKRNN_TOKEN_TUPLET},
        {"(3::2", FOLKRNN_TOKEN_TUPLET}, {"[", FOLKRNN_TOKEN_CHORD}, {"]", FOLKRNN_TOKEN_CHORD},
        {"z", FOLKRNN_TOKEN_REST}, {"Z", FOLKRNN_TOKEN_REST},
        {"", FOLKRNN_TOKEN_OTHER}, {"H", FOLKRNN_TOKEN_OTHER}, {"C2", FOLKRNN_TOKEN_OTHER},
        {"0", FOLKRNN_TOKEN_OTHER}, {">>>>", FOLKRNN_TOKEN_OTHER}, {"(", FOLKRNN_TOKEN_OTHER},
        {":", FOLKRNN_TOKEN_OTHER}, {"~", FOLKRNN_TOKEN_OTHER}, {"^", FOLKRNN_TOKEN_OTHER},
        {"c,'x", FOLKRNN_TOKEN_OTHER}, {"10000", FOLKRNN_TOKEN_OTHER}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(folkrnn_token_class(cases[i].text) == cases[i].cls, "'%s': class %d, expected %d",
                      cases[i].text, folkrnn_token_class(cases[i].text), cases[i].cls);
    ck_assert_int_eq(folkrnn_token_class(NULL), FOLKRNN_TOKEN_OTHER);
    for (int c = 0; c < FOLKRNN_TOKEN_NCLASSES; c++)
        ck_assert_int_eq(folkrnn_token_class_from_name(folkrnn_token_class_name(c)), c);
    ck_assert_str_eq(folkrnn_token_class_name(FOLKRNN_TOKEN_BROKEN), "broken");
    ck_assert_ptr_null(folkrnn_token_class_name(FOLKRNN_TOKEN_NCLASSES));
    ck_assert_int_eq(folkrnn_token_class_from_name("pitches"), FOLKRNN_E_INVALID);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "pitches"));
}
END_TEST

START_TEST(model_class_helpers)
{
    int n, units = 4;
    char **tokens = read_vocab_file(&n);
    folkrnn_model *m = NULL;
    ck_assert_ok(folkrnn_model_new(FOLKRNN_CELL_LSTM, 1, &units, n, (const char *const *)tokens, 0, &m));
    ck_assert_int_eq(folkrnn_model_class_ids(m, FOLKRNN_TOKEN_METER, NULL, 0), 7);
    int ids[8];
    ck_assert_int_eq(folkrnn_model_class_ids(m, FOLKRNN_TOKEN_MODE, ids, 2), 4); /* sized */
    /* Modes in id order: K:Cmin 76, K:Cmix 77, K:Cmaj 86, K:Cdor 112 (file line - 1). */
    ck_assert_int_eq(folkrnn_model_class_ids(m, FOLKRNN_TOKEN_MODE, ids, 8), 4);
    ck_assert_int_eq(ids[0], 76);
    ck_assert_int_eq(ids[1], 77);
    ck_assert_int_eq(ids[2], 86);
    ck_assert_int_eq(ids[3], 112);
    ck_assert_int_eq(folkrnn_model_token_class(m, 53), FOLKRNN_TOKEN_BAR); /* "|" */
    ck_assert_int_eq(folkrnn_model_token_class(m, 137), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_model_token_class(NULL, 0), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_model_class_ids(m, 99, ids, 8), FOLKRNN_E_INVALID);
    /* The vocabulary of a model is the model's ids. */
    folkrnn_vocab *v;
    ck_assert_ok(folkrnn_vocab_from_model(m, &v));
    ck_assert_int_eq(folkrnn_vocab_size(v), 137);
    ck_assert_str_eq(folkrnn_vocab_token(v, 112), "K:Cdor");
    folkrnn_vocab_free(v);
    folkrnn_model_free(m);
    for (int i = 0; i < n; i++)
        free(tokens[i]);
    free(tokens);
}
END_TEST

/* ---- pitches and lengths ------------------------------------------------ */

START_TEST(midi_by_hand)
{
    static const struct { const char *text, *mode; int midi; } cases[] = {
        {"C", NULL, 60}, {"c", NULL, 72}, {"C,", NULL, 48}, {"c'", NULL, 84},
        {"G,", NULL, 55}, {"A,", NULL, 57}, {"B,", NULL, 59}, {"D,", NULL, 50},
        {"E", NULL, 64}, {"F", NULL, 65}, {"A", NULL, 69}, {"B", NULL, 71},
        {"d'", NULL, 86}, {"b'", NULL, 95}, {"g'", NULL, 91}, {"a'", NULL, 93},
        {"^F,", NULL, 54}, {"_B,", NULL, 58}, {"=B", NULL, 71}, {"^c'", NULL, 85},
        {"_e'", NULL, 87}, {"^A,", NULL, 58}, {"_E,", NULL, 51}, {"=C,", NULL, 48},
        {"^^C", NULL, 62}, {"__B", NULL, 69}, {"C,,", NULL, 36},
        /* Key signatures: C dorian has B flat and E flat, C minor also A flat,
           C mixolydian B flat; explicit accidentals win. */
        {"B", "K:Cdor", 70}, {"E", "K:Cdor", 63}, {"A", "K:Cdor", 69}, {"=B", "K:Cdor", 71},
        {"b", "K:Cmin", 82}, {"A,", "K:Cmin", 56}, {"e", "K:Cmin", 75}, {"B", "K:Cmix", 70},
        {"E", "K:Cmix", 64}, {"B", "K:Cmaj", 71}, {"F", "G", 66}, {"F", "Am", 65},
        {"B", "C dorian", 70}, {"^B", "K:Cdor", 72}, {"F", "F#", 66}, {"B", "Bb", 70}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(folkrnn_token_midi(cases[i].text, cases[i].mode) == cases[i].midi,
                      "'%s' in %s: %d, expected %d", cases[i].text,
                      cases[i].mode ? cases[i].mode : "C", folkrnn_token_midi(cases[i].text,
                      cases[i].mode), cases[i].midi);
    ck_assert_int_eq(folkrnn_token_midi("z", NULL), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_token_midi("C", "K:Hdor"), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_token_midi("c''''''", NULL), FOLKRNN_E_RANGE);
}
END_TEST

START_TEST(midi_of_every_v2_pitch)
{
    /* Each accidental moves the natural letter: ^ +1, _ -1, = 0; naturals
       step by the C major scale within the octave C..B. */
    int n, seen = 0;
    char **tokens = read_vocab_file(&n);
    for (int i = 0; i < n; i++) {
        const char *t = tokens[i];
        if (folkrnn_token_class(t) != FOLKRNN_TOKEN_PITCH)
            continue;
        seen++;
        int midi = folkrnn_token_midi(t, NULL);
        ck_assert_msg(midi >= 36 && midi <= 96, "'%s' -> %d", t, midi);
        if (t[0] == '^' || t[0] == '_' || t[0] == '=')
            ck_assert_int_eq(midi, folkrnn_token_midi(t + 1, NULL) + (t[0] == '^') - (t[0] == '_'));
    }
    ck_assert_int_eq(seen, 84);
    for (int i = 0; i < n; i++)
        free(tokens[i]);
    free(tokens);
}
END_TEST

START_TEST(durations_of_every_v2_length)
{
    /* All 18 v2 duration tokens, in units of L:1/8. */
    static const struct { const char *text; int num, den; } cases[] = {
        {"2", 2, 1}, {"3", 3, 1}, {"4", 4, 1}, {"5", 5, 1}, {"6", 6, 1}, {"7", 7, 1},
        {"8", 8, 1}, {"9", 9, 1}, {"12", 12, 1}, {"16", 16, 1}, {"3/2", 3, 2}, {"3/4", 3, 4},
        {"5/2", 5, 2}, {"7/2", 7, 2}, {"/2", 1, 2}, {"/3", 1, 3}, {"/4", 1, 4}, {"/8", 1, 8}};
    int checked = 0, n;
    char **tokens = read_vocab_file(&n);
    for (int i = 0; i < n; i++) {
        if (folkrnn_token_class(tokens[i]) != FOLKRNN_TOKEN_DURATION)
            continue;
        size_t k = 0;
        while (k < 18 && strcmp(cases[k].text, tokens[i]) != 0)
            k++;
        ck_assert_msg(k < 18, "duration token '%s' not in the table", tokens[i]);
        int num, den;
        ck_assert_ok(folkrnn_token_duration(tokens[i], &num, &den));
        ck_assert_int_eq(num, cases[k].num);
        ck_assert_int_eq(den, cases[k].den);
        checked++;
    }
    ck_assert_int_eq(checked, 18);
    int num, den;
    ck_assert_ok(folkrnn_token_duration("/", &num, &den));
    ck_assert(num == 1 && den == 2);
    ck_assert_ok(folkrnn_token_duration("3/", &num, &den));
    ck_assert(num == 3 && den == 2);
    ck_assert_ok(folkrnn_token_duration("//", &num, &den));
    ck_assert(num == 1 && den == 4);
    ck_assert_ok(folkrnn_token_duration("6/4", &num, &den)); /* reduced */
    ck_assert(num == 3 && den == 2);
    ck_assert_int_eq(folkrnn_token_duration("2>", &num, &den), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_token_duration("0", &num, &den), FOLKRNN_E_INVALID);
    for (int i = 0; i < n; i++)
        free(tokens[i]);
    free(tokens);
}
END_TEST

/* ---- vocabularies ------------------------------------------------------- */

START_TEST(vocab_errors)
{
    folkrnn_vocab *v = (folkrnn_vocab *)1;
    const char *dup[] = {"a", "b", "a"}, *spaced[] = {"a b"}, *empty[] = {"x", ""};
    ck_assert_int_eq(folkrnn_vocab_new(dup, 3, &v), FOLKRNN_E_INVALID);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "'a' appears twice"));
    ck_assert_int_eq(folkrnn_vocab_new(spaced, 1, &v), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_vocab_new(empty, 2, &v), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_vocab_new(dup, 0, &v), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_vocab_new(NULL, 2, &v), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_vocab_size(NULL), FOLKRNN_E_INVALID);
    folkrnn_vocab_free(NULL);
    v = v2();
    ck_assert_int_eq(folkrnn_vocab_token_id(v, "H"), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_vocab_token_id(v, "M:6/"), FOLKRNN_E_RANGE);
    ck_assert_int_eq(folkrnn_vocab_token_id(v, "M:6/8"), 102);
    ck_assert_ptr_null(folkrnn_vocab_token(v, 137));
    ck_assert_ptr_null(folkrnn_vocab_token(v, -1));
    folkrnn_vocab_free(v);
}
END_TEST

/* ---- token text --------------------------------------------------------- */

/* ids of v2 tokens by text, for expectations. */
static void expect_tokens(folkrnn_vocab *v, const int *ids, int n, const char *texts)
{
    char buf[1024];
    ck_assert_int_ge(folkrnn_render_tokens(v, ids, n, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, texts);
}

START_TEST(parse_token_text)
{
    folkrnn_vocab *v = v2();
    int ids[64];
    /* data_v2 layout: meter line, mode line, body line. */
    int n = parse_v2(v, "M:6/8\nK:Cmix\n|: c | f 3/2 a /2 c f 2 a :|\n", ids, 64);
    ck_assert_int_eq(n, 14);
    expect_tokens(v, ids, n, "M:6/8 K:Cmix |: c | f 3/2 a /2 c f 2 a :|");
    /* Compact ABC words cut by longest match: 2> before 2, 3/2 before 3. */
    n = parse_v2(v, "  GEEE2DEDC|  A2>B c3/2d/2 |1 [EG]2 (3ABc ", ids, 64);
    expect_tokens(v, ids, n, "G E E E 2 D E D C | A 2> B c 3/2 d /2 |1 [ E G ] 2 (3 A B c");
    /* snprintf-like sizing: the count of the whole text, only cap written. */
    ids[2] = -7;
    ck_assert_int_eq(folkrnn_parse_tokens(v, "A B C D", 0, ids, 2), 4);
    ck_assert_int_eq(ids[2], -7);
    ck_assert_int_eq(folkrnn_parse_tokens(v, "A B C D", 0, NULL, 0), 4);
    ck_assert_int_eq(folkrnn_parse_tokens(v, "", 0, ids, 64), 0);
    /* Templates. */
    n = folkrnn_parse_tokens(v, "M:4/4 K:Cmaj * * | *", FOLKRNN_PARSE_WILDCARD, ids, 64);
    ck_assert_int_eq(n, 6);
    ck_assert_int_eq(ids[2], FOLKRNN_WILDCARD);
    ck_assert_int_eq(ids[5], FOLKRNN_WILDCARD);
    expect_tokens(v, ids, n, "M:4/4 K:Cmaj * * | *");
    ck_assert_int_eq(folkrnn_parse_tokens(v, "A *", 0, ids, 64), FOLKRNN_E_PARSE);
    folkrnn_vocab_free(v);
}
END_TEST

START_TEST(parse_errors_name_positions)
{
    folkrnn_vocab *v = v2();
    int ids[64];
    /* 'H' is at offset 17: "M:4/4 K:Cmaj A B " is 17 characters. */
    ck_assert_int_eq(folkrnn_parse_tokens(v, "M:4/4 K:Cmaj A B H c", 0, ids, 64), FOLKRNN_E_PARSE);
    ck_assert_msg(strstr(folkrnn_errmsg(), "offset 17 (line 1, column 18): 'H c'"), "%s",
                  folkrnn_errmsg());
    /* Inside a word, on line 3: "GEE" then 'Q'. */
    ck_assert_int_eq(folkrnn_parse_tokens(v, "M:4/4\nK:Cmaj\nGEEQ2 |", 0, ids, 64), FOLKRNN_E_PARSE);
    ck_assert_msg(strstr(folkrnn_errmsg(), "offset 16 (line 3, column 4): 'Q2 |'"), "%s",
                  folkrnn_errmsg());
    /* A meter the vocabulary lacks. */
    ck_assert_int_eq(folkrnn_parse_tokens(v, "M:5/8 A", 0, ids, 64), FOLKRNN_E_PARSE);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "offset 0"));
    ck_assert_int_eq(folkrnn_parse_tokens(NULL, "A", 0, ids, 64), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_parse_tokens(v, "A", 0, NULL, 3), FOLKRNN_E_INVALID);
    ck_assert_int_eq(folkrnn_parse_tokens(v, "A", 4, ids, 3), FOLKRNN_E_INVALID);
    folkrnn_vocab_free(v);
}
END_TEST

/* ---- ABC ---------------------------------------------------------------- */

START_TEST(render_abc_by_hand)
{
    folkrnn_vocab *v = v2();
    int ids[128];
    int n = parse_v2(v, "<s> M:6/8 K:Cdor |: c | f 3/2 a /2 c f 2 a | A 2> B c [ E G ] 2 z | "
                        "(3 A B c c 3 | f 3 f 2 :| |1 G 6 :| |2 M:3/4 K:Cmix E 6 | </s> G", ids, 128);
    /* Header lines from the leading tokens; bar lines between spaces; a
       line end after the 4th bar line (not right before another bar line)
       or before an ending's bar line; inline fields later; nothing after
       </s>. */
    const char *expect = "X:7\nT:A tune\nL:1/8\nM:6/8\nK:Cdor\n"
                         "|: c | f3/2a/2cf2a | A2>Bc[EG]2z |\n"
                         "(3ABcc3 | f3f2 :| |1 G6 :|\n|2 [M:3/4][K:Cmix]E6 |\n";
    char buf[512];
    int len = folkrnn_render_abc(v, ids, n, 7, "A tune", buf, sizeof buf);
    ck_assert_int_eq(len, (int)strlen(expect));
    ck_assert_str_eq(buf, expect);
    /* Truncation: always NUL-terminated, full length returned. */
    char small[8];
    ck_assert_int_eq(folkrnn_render_abc(v, ids, n, 7, "A tune", small, sizeof small), len);
    ck_assert_str_eq(small, "X:7\nT:A");
    ck_assert_int_eq(folkrnn_render_abc(v, ids, n, 7, "A tune", NULL, 0), len);
    /* No mode token: K:C; default title; a title cannot break the header. */
    n = parse_v2(v, "A B c", ids, 128);
    ck_assert_int_ge(folkrnn_render_abc(v, ids, n, 2, NULL, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "X:2\nT:folkrnn tune 2\nL:1/8\nK:C\nABc\n");
    ck_assert_int_ge(folkrnn_render_abc(v, ids, n, 1, "a\nK:G", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "X:1\nT:a K:G\nL:1/8\nK:C\nABc\n");
    /* Ids out of range are refused, naming the position. */
    ids[1] = 137;
    ck_assert_int_eq(folkrnn_render_abc(v, ids, n, 1, NULL, buf, sizeof buf), FOLKRNN_E_RANGE);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "token 1: id 137"));
    ids[1] = FOLKRNN_WILDCARD;
    ck_assert_int_eq(folkrnn_render_abc(v, ids, n, 1, NULL, buf, sizeof buf), FOLKRNN_E_RANGE);
    folkrnn_vocab_free(v);
}
END_TEST

START_TEST(space_where_joining_would_change_tokens)
{
    /* With "3", "/2" and "3/2" all tokens, the sequence c 3 /2 must not be
       written c3/2 (that reads back as c 3/2). */
    const char *tokens[] = {"c", "3", "/2", "3/2", "M:4/4", "K:Cmaj"};
    folkrnn_vocab *v;
    ck_assert_ok(folkrnn_vocab_new(tokens, 6, &v));
    int ids[] = {4, 5, 0, 1, 2, 0, 3}, back[16];
    char buf[256];
    ck_assert_int_ge(folkrnn_render_abc(v, ids, 7, 1, "t", buf, sizeof buf), 0);
    ck_assert_ptr_nonnull(strstr(buf, "\nc3 /2c3/2\n"));
    ck_assert_int_eq(folkrnn_parse_abc(v, buf, 0, back, 16), 7);
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(back[i], ids[i]);
    folkrnn_vocab_free(v);
}
END_TEST

START_TEST(parse_abc_fields)
{
    folkrnn_vocab *v = v2();
    int ids[64];
    const char *abc = "%abc-2.1\nX:3\nT:Title: with colon\nC:someone\nM:C\nL:1/8\nR:reel\n"
                      "K:C dorian % a comment\nGEEE2 DEDC|\\\n[M:3/4] A2 B2 [K:Cm]c2|\nw: la la\n";
    int n = folkrnn_parse_abc(v, abc, 0, ids, 64);
    ck_assert_msg(n > 0, "%s", folkrnn_errmsg());
    expect_tokens(v, ids, n, "M:4/4 K:Cdor G E E E 2 D E D C | M:3/4 A 2 B 2 K:Cmin c 2 |");
    ck_assert_int_eq(n, 21);
    ck_assert_int_eq(folkrnn_parse_abc(v, "K:Cmix\nM:C|\nA", 0, ids, 64), FOLKRNN_E_PARSE);
    ck_assert_ptr_nonnull(strstr(folkrnn_errmsg(), "line 2, column 1): 'M:C|'"));
    ck_assert_int_eq(folkrnn_parse_abc(v, "X:1\nL:1/4\nK:C\nA", 0, ids, 64), FOLKRNN_E_UNSUPPORTED);
    ck_assert_int_eq(folkrnn_parse_abc(v, "K:Gdor\nA", 0, ids, 64), FOLKRNN_E_PARSE);
    ck_assert_int_eq(folkrnn_parse_abc(v, "K:C\nA \"Am\"B", 0, ids, 64), FOLKRNN_E_PARSE);
    ck_assert_msg(strstr(folkrnn_errmsg(), "line 2, column 3): '\"Am\"B'"), "%s", folkrnn_errmsg());
    ck_assert_int_eq(folkrnn_parse_abc(v, "K:C\n[M:6/8 A", 0, ids, 64), FOLKRNN_E_PARSE);
    ck_assert_int_eq(folkrnn_parse_abc(v, "A", 1, ids, 64), FOLKRNN_E_INVALID);
    folkrnn_vocab_free(v);
}
END_TEST

/* Every tune of the corpus: token text -> ABC -> tokens gives the tokens. */
START_TEST(corpus_round_trip)
{
    FILE *f = fopen(shared_data_path("data_v2.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open the corpus");
    folkrnn_vocab *v = v2();
    enum { CAP = 1 << 16 };
    static char tune[CAP], abc[4 * CAP], line[CAP];
    static int ids[CAP], back[CAP];
    int ntunes = 0;
    size_t len = 0;
    for (;;) {
        char *got = fgets(line, sizeof line, f);
        if (got && line[0] != '\n') {
            size_t k = strlen(line);
            ck_assert(len + k < CAP);
            memcpy(tune + len, line, k + 1);
            len += k;
            continue;
        }
        if (len) {
            int n = folkrnn_parse_tokens(v, tune, 0, ids, CAP);
            ck_assert_msg(n > 2 && n < CAP, "tune %d: %s", ntunes + 1, folkrnn_errmsg());
            int alen = folkrnn_render_abc(v, ids, n, ntunes + 1, NULL, abc, sizeof abc);
            ck_assert(alen > 0 && alen < (int)sizeof abc);
            int m = folkrnn_parse_abc(v, abc, 0, back, CAP);
            ck_assert_msg(m == n, "tune %d: %d tokens back, %d out (%s)\n%s", ntunes + 1, m, n,
                          folkrnn_errmsg(), abc);
            ck_assert_msg(memcmp(ids, back, (size_t)n * sizeof *ids) == 0, "tune %d differs:\n%s",
                          ntunes + 1, abc);
            ntunes++;
            len = 0;
        }
        if (!got)
            break;
    }
    fclose(f);
    ck_assert_int_eq(ntunes, 23636);
    folkrnn_vocab_free(v);
}
END_TEST

/* ---- bar counting -------------------------------------------------------- */

START_TEST(bars_every_meter)
{
    folkrnn_vocab *v = v2();
    /* M:9/8 = 9 units: corpus tune 1's first bars; A/2 B/2 = 1. */
    ck_bars(v, "M:9/8 K:Cmaj G E E E 2 D E D C | G E E E F G A B c | E D E A /2 B /2 c A B 2 D |",
            "9 9 9", 0);
    /* M:12/8 = 12: (2 in compound time is 2 notes in the time of 3; C3/4 x 4 = 3. */
    ck_bars(v, "M:12/8 K:Cmaj (2 c d e 2 f g 2 a b 3 | C 3/4 C 3/4 C 3/4 C 3/4 B 2 A G 2 F E 2 D |",
            "12 12", 0);
    /* M:6/8 = 6: corpus tune 4, pickup c (1) and closing bars f3f2 (5), each part. */
    ck_bars(v, "M:6/8 K:Cmix |: c | f 3/2 a /2 c f 2 a | e 2 g c 3/2 e /2 g | f 3 f 2 :| "
               "|: b | c' 2 a f 2 a | f 3 f 2 :|",
            "1p 6 6 5c 1p 6 5c", 0);
    /* M:4/4 = 8: chords last as long as their first note times the length after ];
       a>b = 3/2 + 1/2. */
    ck_bars(v, "M:4/4 K:Cdor G 2 [ E G ] 2 [ C G ] 2 [ E G ] G | c > A B < c [ c 2 e ] d 2 | "
               "[ e g ] 3 [ c /2 e ] 6 z 2 |",
            "8 8 8", 0);
    /* M:2/4 = 4: (3ABc = 3 x 2/3 = 2; A/2>B/2 = 3/4 + 1/4; 4> halves the next 4. */
    ck_bars(v, "M:2/4 K:Cmaj (3 A B c d 2 | A /2> B /2 c 2 d | e 4> | f 4 |",
            "4 4 6! 2!", 0);
    /* M:3/4 = 6: rest z2; A2>B2 = 3 + 1; 2< shortens the first: A2<B2 = 1 + 3. */
    ck_bars(v, "M:3/4 K:Cmin z 2 A B C 2 | A 2> B 2 C 2 | A 2< B 2 C 2 | G 6 |",
            "6 6 6 6", 0);
    /* M:3/2 = 12: (5 in simple time is 5 notes in the time of 2. */
    ck_bars(v, "M:3/2 K:Cmaj (5 a b c d e f 2 g 4 c 4 | A 4 B 4 c 4 :|", "12 12", 0);
    folkrnn_vocab_free(v);
}
END_TEST

START_TEST(bars_repeats_endings_and_pickups)
{
    folkrnn_vocab *v = v2();
    /* First and second endings, then a part with its own pickup; the
       last bar (7) closes with that pickup (1).  (v2 has no "||".) */
    ck_bars(v, "M:4/4 K:Cmaj |: A 8 |1 B 8 :| |2 c 8 |: d | e 8 | f 7 :|", "8 8 8 1p 8 7c", 0);
    /* A closing bar must complement a pickup: 5 + 1 != 8. */
    ck_bars(v, "M:4/4 K:Cmaj d | e 8 | f 5 |", "1p 8 5!", 0);
    /* A short bar inside a part is wrong, a long one too. */
    ck_bars(v, "M:4/4 K:Cmaj e 8 | f 7 | g 9 | a 8 |", "8 7! 9! 8", 0);
    /* No meter: bars are counted but unmetered. */
    ck_bars(v, "K:Cmaj e 8 | f 7 |", "8? 7?", FOLKRNN_FAULT_NO_METER);
    /* A meter change applies from the bar it opens. */
    ck_bars(v, "M:4/4 K:Cmaj e 8 | M:3/4 f 6 | g 6 |", "8 6 6", 0);
    /* Nothing after </s>; <s> ignored. */
    ck_bars(v, "<s> M:2/4 K:Cmaj e 4 | </s> f 7 | g |", "4", 0);
    folkrnn_vocab_free(v);
}
END_TEST

START_TEST(bars_structural_faults)
{
    folkrnn_vocab *v = v2();
    const int none = 0;
    /* Broken rhythm between unequal notes (abc2midi: "Notes not equal
       durations"): still a>b, so A 3/2, B2 halved 1, c6 6. */
    ck_bars(v, "M:4/4 K:Cmaj A > B 2 c 6 |", "17/2!", FOLKRNN_FAULT_BROKEN_UNEQUAL);
    /* a>b>c: the middle note as a>b left it is compared with c, as abc2midi
       does.  A 3/2; B 1 x 1/2 x 3/2 = 3/4, unequal to C 1; C 1/2; D3. */
    ck_bars(v, "M:2/4 K:Cmaj A > B > C D 3 |", "23/4!", FOLKRNN_FAULT_BROKEN_UNEQUAL);
    /* A2>B2>C: B as changed (1) equals C: A 3, B 3/2, C 1/2, D 1. */
    ck_bars(v, "M:3/4 K:Cmaj A 2> B 2> C D |", "6", none);
    /* "|:" twice without ":|" (abc2midi: "found another |: after a |:"),
       "|:" never closed ("Missing :| at end of tune"). */
    ck_bars(v, "M:4/4 K:Cmaj |: A 8 | B 8 |: c 8 | d 8 :|", "8 8 8 8", FOLKRNN_FAULT_REPEAT_UNCLOSED);
    ck_bars(v, "M:4/4 K:Cmaj |: A 8 | B 8 |", "8 8", FOLKRNN_FAULT_REPEAT_UNCLOSED);
    /* A first ending that runs into the second ("Need || |: :| or :: to
       mark end of variant ending"), or into the end of the tune. */
    ck_bars(v, "M:4/4 K:Cmaj |: A 8 |1 B 8 | |2 c 8 :|", "8 8 8", FOLKRNN_FAULT_ENDING_UNCLOSED);
    ck_bars(v, "M:4/4 K:Cmaj |: A 8 |1 B 8", "8 8",
            FOLKRNN_FAULT_ENDING_UNCLOSED | FOLKRNN_FAULT_REPEAT_UNCLOSED);
    /* A second ending that runs into the next part's first ending. */
    ck_bars(v, "M:4/4 K:Cmaj |: A 8 |1 B 8 :| |2 C 8 | D 8 |1 E 8 :| |2 F 8 |", "8 8 8 8 8 8",
            FOLKRNN_FAULT_ENDING_UNCLOSED);
    /* Endings in a part that follows ":|" without its own "|:" ("found [1 or
       like before |:"); the same endings in the first part are fine. */
    ck_bars(v, "M:4/4 K:Cmaj A 8 :| B 8 |1 c 8 :| |2 d 8 |", "8 8 8 8", FOLKRNN_FAULT_ENDING_NO_START);
    ck_bars(v, "M:4/4 K:Cmaj A 8 |1 c 8 :| |2 d 8 |", "8 8 8", none);
    ck_bars(v, "M:4/4 K:Cmaj |: A 8 |1 B 8 :| |2 C 8 |: D 8 | E 8 :|", "8 8 8 8 8", none);
    ck_bars(v, "M:4/4 K:Cmaj |: A 8 :| :| B 8 :|", "8 8", none);
    /* Broken rhythm with nothing on one side, or inside a chord. */
    ck_bars(v, "M:2/4 K:Cmaj > A 4 |", "4", FOLKRNN_FAULT_BROKEN_DANGLING);
    ck_bars(v, "M:2/4 K:Cmaj A 2 B 2 >", "5!", FOLKRNN_FAULT_BROKEN_DANGLING);
    ck_bars(v, "M:2/4 K:Cmaj [ A > B ] 4 |", "4", FOLKRNN_FAULT_BROKEN_DANGLING);
    /* Lengths with no note before them. */
    ck_bars(v, "M:2/4 K:Cmaj 2 A 4 |", "4", FOLKRNN_FAULT_DURATION_DANGLING);
    ck_bars(v, "M:2/4 K:Cmaj A 2 2 B 2 |", "4", FOLKRNN_FAULT_DURATION_DANGLING);
    /* A triplet cut short: A4 + (A B) x 2/3 = 16/3. */
    ck_bars(v, "M:2/4 K:Cmaj A 4 (3 A B |", "16/3!", FOLKRNN_FAULT_TUPLET_INCOMPLETE);
    /* Chords unclosed (no event at all), unopened, empty, nested. */
    ck_bars(v, "M:2/4 K:Cmaj [ A 4 |", "", FOLKRNN_FAULT_CHORD);
    ck_bars(v, "M:2/4 K:Cmaj ] A 4 |", "4", FOLKRNN_FAULT_CHORD);
    ck_bars(v, "M:2/4 K:Cmaj [ ] A 4 |", "4", FOLKRNN_FAULT_CHORD);
    ck_bars(v, "M:2/4 K:Cmaj [ [ A ] 4 |", "4", FOLKRNN_FAULT_CHORD);
    folkrnn_vocab_free(v);

    /* Tokens of class OTHER, whole-bar rests, and lengths too fine to keep:
       three primes near 10^4 make a denominator beyond 2^31. */
    const char *tokens[] = {"M:2/4", "A", "4", "|", "~", "Z", "2", "/9973", "/9967", "/9949"};
    ck_assert_ok(folkrnn_vocab_new(tokens, 10, &v));
    ck_bars(v, "M:2/4 ~ A 4 | Z | Z 2 |", "4 4 8!", FOLKRNN_FAULT_UNKNOWN_TOKEN);
    int faults;
    bar_string(v, "M:2/4 A /9973 A /9967 A /9949 |", &faults);
    ck_assert_int_eq(faults, FOLKRNN_FAULT_OVERFLOW);
    folkrnn_vocab_free(v);
    ck_assert_str_eq(folkrnn_fault_name(FOLKRNN_FAULT_ENDING_NO_START), "ending-no-start");
    ck_assert_ptr_null(folkrnn_fault_name(3));
    ck_assert_str_eq(folkrnn_bar_kind_name(FOLKRNN_BAR_CLOSING), "closing");
}
END_TEST

/* Anything a sampler could emit: never a crash, always a consistent result. */
START_TEST(bars_garbage)
{
    folkrnn_vocab *v = v2();
    static int ids[3000];
    unsigned long long x = 88172645463325252ULL; /* xorshift64 */
    for (int run = 0; run < 3000; run++) {
        int n = run % 300 + (run % 7 == 0 ? 2000 : 0);
        for (int i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ids[i] = (int)(x % 137);
            if (run % 3 == 0 && ids[i] == 59) /* mostly without </s> */
                ids[i] = 53;
        }
        folkrnn_bars *b;
        ck_assert_ok(folkrnn_bars_count(v, ids, n, &b));
        int nbars, ncorrect;
        double share;
        ck_assert_ok(folkrnn_bars_summary(b, &nbars, &ncorrect, &share));
        ck_assert(ncorrect >= 0 && ncorrect <= nbars && nbars <= n + 1);
        ck_assert(share >= 0.0 && share <= 1.0);
        for (int i = 0; i < nbars; i++) {
            int first, end, kind;
            long num, den;
            ck_assert_ok(folkrnn_bars_bar(b, i, &first, &end, &kind, &num, &den, NULL, NULL));
            ck_assert(first >= 0 && first < end && end <= n && den > 0 && num > 0);
        }
        for (int i = 0; i < folkrnn_bars_nfaults(b); i++) {
            int kind, token;
            ck_assert_ok(folkrnn_bars_fault(b, i, &kind, &token));
            ck_assert_ptr_nonnull(folkrnn_fault_name(kind));
            ck_assert(token >= 0 && token <= n);
        }
        folkrnn_bars_free(b);
    }
    ck_assert_int_eq(folkrnn_bars_count(v, ids, -1, NULL), FOLKRNN_E_INVALID);
    ids[0] = 500;
    folkrnn_bars *b = (folkrnn_bars *)1;
    ck_assert_int_eq(folkrnn_bars_count(v, ids, 1, &b), FOLKRNN_E_RANGE);
    ck_assert_ptr_null(b);
    folkrnn_vocab_free(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, classes_of_v2_vocabulary);
    tcase_add_test(tc, classes_by_hand);
    tcase_add_test(tc, model_class_helpers);
    tcase_add_test(tc, midi_by_hand);
    tcase_add_test(tc, midi_of_every_v2_pitch);
    tcase_add_test(tc, durations_of_every_v2_length);
    tcase_add_test(tc, vocab_errors);
    tcase_add_test(tc, parse_token_text);
    tcase_add_test(tc, parse_errors_name_positions);
    tcase_add_test(tc, render_abc_by_hand);
    tcase_add_test(tc, space_where_joining_would_change_tokens);
    tcase_add_test(tc, parse_abc_fields);
    tcase_add_test(tc, corpus_round_trip);
    tcase_add_test(tc, bars_every_meter);
    tcase_add_test(tc, bars_repeats_endings_and_pickups);
    tcase_add_test(tc, bars_structural_faults);
    tcase_add_test(tc, bars_garbage);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
