/* cmd_info.c -- folkrnn info: what a model is (file format, architecture,
   vocabulary by token class, parameter counts, metadata), as text or JSON. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "cli.h"

static const char usage_text[] =
    "usage: folkrnn info [--json] [--model PATH | PATH]\n"
    "\n"
    "Describe a model: file format, cell type, layers x units, the vocabulary\n"
    "grouped by token class, parameter counts per part and in total, and its\n"
    "metadata (provenance, training recipe; long lists such as losses are\n"
    "summarised).  Without a path: $FOLKRNN_MODEL, else the installed default.\n"
    "\n"
    "options:\n"
    "  --json          machine-readable output (one JSON object; metadata in full)\n"
    "  --model PATH    the model (same as giving PATH)\n"
    "  -h, --help      show this help\n"
    "\n"
    "exit status: 0 described, 1 the model could not be loaded, 2 usage\n";

/* ---- the file's format, from its first bytes --------------------------------- */

struct file_format {
    char text[64]; /* "safetensors", "folk-rnn pickle (protocol 2)" */
    int gzip;      /* 1 when the file is gzip-compressed */
};

static void sniff_format(const char *path, struct file_format *ff)
{
    unsigned char head[16];
    gzFile f = gzopen(path, "rb");
    int n = f ? gzread(f, head, sizeof head) : -1;
    ff->gzip = f && n > 0 && !gzdirect(f);
    if (f)
        gzclose(f);
    if (n >= 2 && head[0] == 0x80)
        snprintf(ff->text, sizeof ff->text, "folk-rnn pickle (protocol %d)", head[1]);
    else if (n >= 9 && head[8] == '{')
        snprintf(ff->text, sizeof ff->text, "safetensors");
    else
        snprintf(ff->text, sizeof ff->text, "unknown");
}

/* ---- token classes ------------------------------------------------------------ */

/* Classes in the order the folk-rnn reference lists them, "other" last. */
static const int class_order[] = {
    FOLKRNN_TOKEN_METER, FOLKRNN_TOKEN_MODE, FOLKRNN_TOKEN_BAR, FOLKRNN_TOKEN_START,
    FOLKRNN_TOKEN_END, FOLKRNN_TOKEN_PITCH, FOLKRNN_TOKEN_DURATION, FOLKRNN_TOKEN_BROKEN,
    FOLKRNN_TOKEN_TUPLET, FOLKRNN_TOKEN_CHORD, FOLKRNN_TOKEN_REST, FOLKRNN_TOKEN_OTHER};
#define NCLASSES (int)(sizeof class_order / sizeof class_order[0])

/* ---- parameter counts ------------------------------------------------------------ */

struct counts {
    long embedding;  /* counted only when dense */
    long *layer;     /* [num_layers]: W_in, W_hid, b */
    long dense;      /* W and b */
    long init;       /* hid_init and cell_init: stored, never counted */
    long total;      /* folkrnn_model_num_params */
};

static int gates_of(const folkrnn_model *m)
{
    return folkrnn_model_cell_type(m) == FOLKRNN_CELL_LSTM ? 4 : 3;
}

static int count_params(const folkrnn_model *m, struct counts *c)
{
    int L = folkrnn_model_num_layers(m), V = folkrnn_model_vocab_size(m), G = gates_of(m);
    c->layer = calloc((size_t)L, sizeof *c->layer);
    if (!c->layer)
        return -1;
    c->embedding = folkrnn_model_is_onehot(m) ? 0 : (long)V * folkrnn_model_input_size(m);
    c->init = 0;
    int in = folkrnn_model_input_size(m);
    for (int l = 0; l < L; l++) {
        long u = folkrnn_model_hidden_size(m, l);
        c->layer[l] = G * u * (in + u + 1);
        c->init += u * (G == 4 ? 2 : 1);
        in = (int)u;
    }
    c->dense = ((long)in + 1) * V;
    c->total = folkrnn_model_num_params(m);
    return 0;
}

/* 5599881 -> "5,599,881" */
static const char *grouped(long x, char *buf)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%ld", x < 0 ? -x : x), k = 0;
    if (x < 0)
        buf[k++] = '-';
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k] = 0;
    return buf;
}

/* ---- metadata values ---------------------------------------------------------------- */

/* A value that is a JSON-style list of numbers, "[2.5, 2.25, ...]": its
   count, first, last and minimum.  0 when the value is something else. */
struct number_list {
    long count, argmin;
    double first, last, min;
};

static int parse_number_list(const char *s, struct number_list *nl)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s++ != '[')
        return 0;
    *nl = (struct number_list){0};
    for (;;) {
        char *end;
        errno = 0;
        double x = strtod(s, &end);
        if (end == s || errno == ERANGE)
            return 0;
        if (!nl->count || x < nl->min)
            nl->min = x, nl->argmin = nl->count;
        if (!nl->count)
            nl->first = x;
        nl->last = x;
        nl->count++;
        for (s = end; isspace((unsigned char)*s); s++)
            ;
        if (*s == ']')
            break;
        if (*s++ != ',')
            return 0;
    }
    for (s++; isspace((unsigned char)*s); s++)
        ;
    return !*s;
}

#define LINE_WIDTH 76 /* characters of a value per output line */
#define MAX_LINES 8     /* lines shown of one long value */

/* Up to n bytes of s on one line, white space and control characters shown
   as spaces (a value may hold newlines). */
static void put_flat(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        putchar((unsigned char)s[i] < 0x20 ? ' ' : s[i]);
}

/* Print a metadata value: a long list of numbers (losses per epoch or per
   batch) as a summary; anything else wrapped after commas or spaces over at
   most MAX_LINES lines, each continuation indented by indent. */
static void print_meta_value(const char *v, int indent)
{
    struct number_list nl;
    size_t len = strlen(v);
    if (len > LINE_WIDTH && parse_number_list(v, &nl)) {
        printf("%ld values: first %g, last %g, min %g at index %ld\n", nl.count, nl.first,
               nl.last, nl.min, nl.argmin);
        return;
    }
    const char *p = v;
    for (int line = 0; line < MAX_LINES; line++) {
        size_t rest = strlen(p), n = rest;
        if (n > LINE_WIDTH) {
            n = LINE_WIDTH;
            while (n > LINE_WIDTH / 2 && p[n - 1] != ',' && p[n - 1] != ' ')
                n--;
            if (n == LINE_WIDTH / 2)
                n = LINE_WIDTH;
        }
        if (line)
            printf("%*s", indent, "");
        put_flat(p, n);
        putchar('\n');
        p += n;
        if (!*p)
            return;
    }
    printf("%*s... (%zu bytes in all)\n", indent, "", len);
}

/* ---- text output ---------------------------------------------------------------------- */

static void print_vocabulary(const folkrnn_model *m)
{
    int V = folkrnn_model_vocab_size(m);
    printf("vocabulary   %d tokens\n", V);
    for (int k = 0; k < NCLASSES; k++) {
        int c = class_order[k], n = folkrnn_model_class_ids(m, c, NULL, 0);
        if (n <= 0)
            continue;
        printf("  %-15s %3d ", folkrnn_token_class_name(c), n);
        int col = 22;
        for (int i = 0; i < V; i++) {
            const char *t = folkrnn_model_token(m, i);
            if (folkrnn_model_token_class(m, i) != c)
                continue;
            int w = (int)strlen(t) + 1;
            if (col + w > 100) {
                printf("\n%22s", "");
                col = 22;
            }
            printf(" %s", t);
            col += w;
        }
        printf("\n");
    }
}

static void print_text(const char *path, const struct file_format *ff, const folkrnn_model *m,
                       const struct counts *c)
{
    int L = folkrnn_model_num_layers(m);
    char num[40];
    printf("model        %s\n", path);
    printf("format       %s%s\n", ff->text, ff->gzip ? ", gzip-compressed" : "");
    printf("cell         %s\n", gates_of(m) == 4 ? "LSTM" : "GRU");
    int uniform = 1;
    for (int l = 1; l < L; l++)
        uniform &= folkrnn_model_hidden_size(m, l) == folkrnn_model_hidden_size(m, 0);
    if (uniform) {
        printf("layers       %d x %d units\n", L, folkrnn_model_hidden_size(m, 0));
    } else {
        printf("layers       %d (units", L);
        for (int l = 0; l < L; l++)
            printf("%s%d", l ? ", " : " ", folkrnn_model_hidden_size(m, l));
        printf(")\n");
    }
    printf("input        %s, %d wide\n", folkrnn_model_is_onehot(m) ? "one-hot" : "dense embedding",
           folkrnn_model_input_size(m));
    print_vocabulary(m);
    printf("parameters   %s trainable\n", grouped(c->total, num));
    printf("  embedding       %12s%s\n", grouped(c->embedding, num),
           folkrnn_model_is_onehot(m) ? "  (identity: not trained)" : "");
    for (int l = 0; l < L; l++)
        printf("  layer %-9d %12s\n", l, grouped(c->layer[l], num));
    printf("  dense           %12s\n", grouped(c->dense, num));
    printf("  initial states  %12s  (hid_init%s: stored, not counted)\n", grouped(c->init, num),
           gates_of(m) == 4 ? ", cell_init" : "");
    if (!folkrnn_model_meta_key(m, 0)) {
        printf("metadata     none\n");
        return;
    }
    int width = 15;
    for (int i = 0; folkrnn_model_meta_key(m, i); i++) {
        int len = (int)strlen(folkrnn_model_meta_key(m, i));
        width = len > width && len <= 30 ? len : width;
    }
    printf("metadata\n");
    for (int i = 0; folkrnn_model_meta_key(m, i); i++) {
        const char *k = folkrnn_model_meta_key(m, i);
        printf("  %-*s ", width, k);
        print_meta_value(folkrnn_model_meta(m, k), width + 3);
    }
}

/* ---- JSON output ------------------------------------------------------------------------ */

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void print_json(const char *path, const struct file_format *ff, const folkrnn_model *m,
                       const struct counts *c)
{
    int L = folkrnn_model_num_layers(m), V = folkrnn_model_vocab_size(m);
    printf("{\"path\": ");
    json_string(path);
    printf(", \"format\": ");
    json_string(ff->text);
    printf(", \"gzip\": %s, \"cell\": \"%s\", \"units\": [", ff->gzip ? "true" : "false",
           gates_of(m) == 4 ? "lstm" : "gru");
    for (int l = 0; l < L; l++)
        printf("%s%d", l ? ", " : "", folkrnn_model_hidden_size(m, l));
    printf("], \"input_size\": %d, \"onehot\": %s, \"vocab_size\": %d, \"tokens\": [",
           folkrnn_model_input_size(m), folkrnn_model_is_onehot(m) ? "true" : "false", V);
    for (int i = 0; i < V; i++) {
        printf(i ? ", " : "");
        json_string(folkrnn_model_token(m, i));
    }
    printf("], \"classes\": {");
    for (int k = 0; k < NCLASSES; k++) {
        int cls = class_order[k];
        printf("%s\"%s\": [", k ? ", " : "", folkrnn_token_class_name(cls));
        for (int i = 0, n = 0; i < V; i++)
            if (folkrnn_model_token_class(m, i) == cls)
                printf(n++ ? ", %d" : "%d", i);
        printf("]");
    }
    printf("}, \"params\": {\"embedding\": %ld, \"layers\": [", c->embedding);
    for (int l = 0; l < L; l++)
        printf("%s%ld", l ? ", " : "", c->layer[l]);
    printf("], \"dense\": %ld, \"initial_states\": %ld, \"total\": %ld}, \"metadata\": {",
           c->dense, c->init, c->total);
    for (int i = 0; folkrnn_model_meta_key(m, i); i++) {
        const char *k = folkrnn_model_meta_key(m, i);
        printf(i ? ", " : "");
        json_string(k);
        printf(": ");
        json_string(folkrnn_model_meta(m, k));
    }
    printf("}}\n");
}

/* ---- the command ---------------------------------------------------------------------------- */

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage_text, stdout);
            return CLI_OK;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--model")) {
            if (++i >= argc)
                return cli_usage_error("info", "--model needs a PATH");
            if (path)
                return cli_usage_error("info", "more than one model given");
            path = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("info", "unknown option '%s'", argv[i]);
        } else if (path) {
            return cli_usage_error("info", "more than one model given");
        } else {
            path = argv[i];
        }
    }
    path = cli_model_path(path);
    folkrnn_model *m = NULL;
    int rc = folkrnn_model_load(path, &m);
    if (rc < 0) /* the library's message names the file */
        return cli_fail("info", "cannot load the model", rc);
    struct file_format ff;
    struct counts c;
    sniff_format(path, &ff);
    if (count_params(m, &c) < 0) {
        folkrnn_model_free(m);
        fprintf(stderr, "folkrnn info: out of memory\n");
        return CLI_FAIL;
    }
    if (json)
        print_json(path, &ff, m, &c);
    else
        print_text(path, &ff, m, &c);
    free(c.layer);
    folkrnn_model_free(m);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "folkrnn info: cannot write the output: %s\n", strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}
