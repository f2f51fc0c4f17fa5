/* bars.c -- bar counting: the exact length of every bar of a token
   sequence against its meter, pickups and their complements, and the
   structural faults (repeats, endings, broken rhythms, chords) met on the
   way.  Any sequence a sampler can emit gives a result: oddities become
   faults, never failures.

   One pass reads the tokens: a note, rest or chord is an "event" whose
   length can still change while length, broken-rhythm tokens follow it; it
   is added to the bar when the next token shows it is complete.  A second
   pass classifies the bars once pickups and part ends are known. */
#include <stdlib.h>
#include <string.h>
#include "text.h"

struct fr_bar {
    int first, end;        /* tokens [first, end); end is the closing bar token or n */
    int kind;              /* FOLKRNN_BAR_* */
    int shape_before;      /* fr_bar_shape of the bar token before it; 0 at the tune start */
    int shape_after;       /* ... of the one closing it; 0 at the tune end */
    int metered;           /* a meter was in force */
    struct fr_rat len;     /* its length in unit lengths */
    struct fr_rat meter;   /* the length the meter asks for */
};

struct fr_fault {
    int kind;  /* one FOLKRNN_FAULT_* bit */
    int token; /* where it shows; n for the end */
};

struct folkrnn_bars {
    int nbars, ncorrect, mask, nfaults;
    struct fr_bar *bars;     /* [nbars], room for n + 1 */
    struct fr_fault *faults; /* [nfaults], room for 2n + 8 */
};

/* Everything the reading pass tracks. */
struct counter {
    const struct folkrnn_vocab *v;
    const int *ids;
    int n;
    struct folkrnn_bars *out;

    int has_meter, compound;  /* the meter in force */
    struct fr_rat meter;

    int bar_first;            /* the bar being read: its first token, */
    int bar_has_music, bar_metered, shape_before;
    struct fr_rat bar_len, bar_meter; /* length so far and the meter at its first event */

    int ev_open;              /* an event whose length may still change: */
    int ev_has_mul;           /* its length token came */
    struct fr_rat ev_base, ev_mul, ev_factor; /* length = base * mul, times broken factors */

    int in_chord, chord_notes, chord_first_has_mul;
    struct fr_rat chord_first; /* length of the chord's first note */

    int broken_due, broken_token; /* the next event is the second of a broken pair */
    struct fr_rat broken_second, broken_first_raw;

    int tuplet_left, tuplet_token; /* events still inside the tuplet, and its factor */
    struct fr_rat tuplet_factor;

    int repeat_open, open_token;  /* a "|:" not yet closed */
    int after_close;              /* a ":|" came and no "|:" since */
    int seen_later_ending;        /* an ending "|2" (or higher) came */
    int ending_state, ending_token; /* inside an ending not yet closed: 1 the first, 2 a later */
};

static const char *const fault_names[] = {
    "repeat-unclosed", "ending-unclosed", "ending-no-start", "broken-unequal",
    "broken-dangling", "duration-dangling", "tuplet-incomplete", "chord",
    "no-meter", "unknown-token", "overflow"};
#define NFAULT_KINDS ((int)(sizeof fault_names / sizeof fault_names[0]))

static void fault(struct counter *c, int kind, int token)
{
    struct folkrnn_bars *b = c->out;
    b->mask |= kind;
    if (b->nfaults < 2 * c->n + 8)
        b->faults[b->nfaults++] = (struct fr_fault){kind, token};
}

static struct fr_rat rat(long long num, long long den)
{
    struct fr_rat r = {0, 1};
    fr_rat_make(&r, num, den);
    return r;
}

/* *r = a * b or a + b, recording an overflow fault at token. */
static void mul_into(struct counter *c, struct fr_rat *r, struct fr_rat a, struct fr_rat b, int token)
{
    if (fr_rat_mul(r, a, b) < 0)
        fault(c, FOLKRNN_FAULT_OVERFLOW, token);
}

static void add_into(struct counter *c, struct fr_rat *r, struct fr_rat a, struct fr_rat b, int token)
{
    if (fr_rat_add(r, a, b) < 0)
        fault(c, FOLKRNN_FAULT_OVERFLOW, token);
}

/* ---- events ------------------------------------------------------------- */

/* Add the open event to the bar, with its broken-rhythm and tuplet factors. */
static void finish_event(struct counter *c, int token)
{
    if (!c->ev_open)
        return;
    c->ev_open = 0;
    struct fr_rat raw, len;
    mul_into(c, &raw, c->ev_base, c->ev_mul, token);
    if (c->broken_due) {
        if (fr_rat_cmp(raw, c->broken_first_raw) != 0)
            fault(c, FOLKRNN_FAULT_BROKEN_UNEQUAL, c->broken_token);
        mul_into(c, &c->ev_factor, c->ev_factor, c->broken_second, token);
        c->broken_due = 0;
    }
    mul_into(c, &len, raw, c->ev_factor, token);
    if (c->tuplet_left > 0) {
        mul_into(c, &len, len, c->tuplet_factor, token);
        c->tuplet_left--;
    }
    add_into(c, &c->bar_len, c->bar_len, len, token);
}

static void note_music(struct counter *c)
{
    if (!c->bar_has_music) {
        c->bar_has_music = 1;
        c->bar_metered = c->has_meter;
        c->bar_meter = c->meter;
    }
}

static void start_event(struct counter *c, struct fr_rat base, int token)
{
    finish_event(c, token);
    note_music(c);
    c->ev_open = 1;
    c->ev_has_mul = 0;
    c->ev_base = base;
    c->ev_mul = rat(1, 1);
    c->ev_factor = rat(1, 1);
}

/* ---- token kinds -------------------------------------------------------- */

static void on_note(struct counter *c, const char *t, int i)
{
    if (c->in_chord) {
        if (++c->chord_notes == 1) {
            c->chord_first = rat(1, 1);
            c->chord_first_has_mul = 0;
        }
        return;
    }
    /* Z and X rest for a whole bar each. */
    int whole = t[0] == 'Z' || t[0] == 'X';
    start_event(c, whole && c->has_meter ? c->meter : rat(1, 1), i);
}

static void on_length(struct counter *c, const char *t, int i)
{
    struct fr_rat len;
    fr_read_length(t, &len);
    if (c->in_chord && c->chord_notes == 1 && !c->chord_first_has_mul) {
        c->chord_first = len;
        c->chord_first_has_mul = 1;
    } else if (c->in_chord && c->chord_notes > 1) {
        /* lengths of later chord notes do not count */
    } else if (c->ev_open && !c->ev_has_mul) {
        c->ev_mul = len;
        c->ev_has_mul = 1;
    } else {
        fault(c, FOLKRNN_FAULT_DURATION_DANGLING, i);
    }
}

static void on_broken(struct counter *c, const char *t, int i)
{
    struct fr_rat len, raw;
    int has_len, dir, count;
    fr_read_broken(t, &len, &has_len, &dir, &count);
    if (c->in_chord || !c->ev_open) {
        fault(c, FOLKRNN_FAULT_BROKEN_DANGLING, i);
        return;
    }
    if (has_len && c->ev_has_mul)
        fault(c, FOLKRNN_FAULT_DURATION_DANGLING, i);
    else if (has_len)
        c->ev_mul = len;
    c->ev_has_mul = 1;
    /* > dots the first note (x 2 - 1/2^count) and shortens the second (x 1/2^count). */
    long long pow2 = 1LL << count;
    struct fr_rat longer = rat(2 * pow2 - 1, pow2), shorter = rat(1, pow2);
    /* The first note's length as the pair sees it: already changed when it
       is also the second note of an earlier pair (a>b>c), as abc2midi does. */
    mul_into(c, &raw, c->ev_base, c->ev_mul, i);
    if (c->broken_due)
        mul_into(c, &raw, raw, c->broken_second, i);
    mul_into(c, &c->ev_factor, c->ev_factor, dir > 0 ? longer : shorter, i);
    finish_event(c, i);
    c->broken_due = 1;
    c->broken_token = i;
    c->broken_first_raw = raw;
    c->broken_second = dir > 0 ? shorter : longer;
}

static void on_tuplet(struct counter *c, const char *t, int i)
{
    int p, q, r;
    fr_read_tuplet(t, &p, &q, &r);
    finish_event(c, i);
    if (c->tuplet_left > 0)
        fault(c, FOLKRNN_FAULT_TUPLET_INCOMPLETE, c->tuplet_token);
    if (!q) /* ABC 2.1's defaults */
        q = p == 2 || p == 4 || p == 8 ? 3 : p == 3 || p == 6 ? 2 : c->compound ? 3 : 2;
    c->tuplet_left = r ? r : p;
    c->tuplet_factor = rat(q, p);
    c->tuplet_token = i;
}

static void on_chord(struct counter *c, const char *t, int i)
{
    if (t[0] == '[') {
        if (c->in_chord) {
            fault(c, FOLKRNN_FAULT_CHORD, i);
            return;
        }
        finish_event(c, i);
        c->in_chord = 1;
        c->chord_notes = 0;
    } else if (!c->in_chord) {
        fault(c, FOLKRNN_FAULT_CHORD, i);
    } else {
        c->in_chord = 0;
        if (c->chord_notes == 0)
            fault(c, FOLKRNN_FAULT_CHORD, i);
        else
            start_event(c, c->chord_first, i);
    }
}

static void on_meter(struct counter *c, const char *t)
{
    struct fr_rat len;
    int compound;
    if (fr_meter_length(t + 2, &len, &compound) < 0) { /* M:none: free meter */
        c->has_meter = 0;
        return;
    }
    c->has_meter = 1;
    c->meter = len;
    c->compound = compound;
}

/* ---- bars and repeats --------------------------------------------------- */

static void close_bar(struct counter *c, int end, int shape_after)
{
    if (c->bar_has_music) {
        struct folkrnn_bars *b = c->out;
        if (!c->bar_metered)
            fault(c, FOLKRNN_FAULT_NO_METER, c->bar_first);
        b->bars[b->nbars++] = (struct fr_bar){
            .first = c->bar_first, .end = end, .kind = FOLKRNN_BAR_WRONG,
            .shape_before = c->shape_before, .shape_after = shape_after,
            .metered = c->bar_metered, .len = c->bar_len, .meter = c->bar_meter};
    }
    c->bar_first = end + 1;
    c->bar_has_music = 0;
    c->bar_len = rat(0, 1);
    c->shape_before = shape_after;
}

/* Repeats and endings, by the rules abc2midi enforces. */
static void on_repeats(struct counter *c, const char *t, int shape, int i)
{
    if (shape & FR_BAR_CLOSE_REPEAT) {
        c->repeat_open = 0;
        c->after_close = 1;
    }
    /* An ending is closed by :| :: || |] or |:. */
    if (shape & (FR_BAR_CLOSE_REPEAT | FR_BAR_DOUBLE | FR_BAR_OPEN_REPEAT))
        c->ending_state = 0;
    if (shape & FR_BAR_ENDING) {
        if (fr_bar_ending(t) <= 1) {
            /* abc2midi finds the start of such a part only after earlier endings. */
            if (c->after_close && !c->repeat_open && !c->seen_later_ending)
                fault(c, FOLKRNN_FAULT_ENDING_NO_START, i);
            /* A later ending runs on until a part boundary closes it. */
            if (c->ending_state == 2)
                fault(c, FOLKRNN_FAULT_ENDING_UNCLOSED, c->ending_token);
            c->ending_state = 1;
            c->ending_token = i;
        } else {
            if (c->ending_state == 1)
                fault(c, FOLKRNN_FAULT_ENDING_UNCLOSED, c->ending_token);
            c->ending_state = 2;
            c->ending_token = i;
            c->seen_later_ending = 1;
        }
    }
    if (shape & FR_BAR_OPEN_REPEAT) {
        if (c->repeat_open)
            fault(c, FOLKRNN_FAULT_REPEAT_UNCLOSED, c->open_token);
        c->repeat_open = 1;
        c->open_token = i;
        c->after_close = 0;
    }
}

static void on_bar(struct counter *c, const char *t, int i)
{
    int shape = fr_bar_shape(t);
    finish_event(c, i);
    if (c->in_chord) {
        fault(c, FOLKRNN_FAULT_CHORD, i);
        c->in_chord = 0;
    }
    close_bar(c, i, shape);
    on_repeats(c, t, shape, i);
}

static void on_end(struct counter *c)
{
    int n = c->n;
    finish_event(c, n);
    if (c->in_chord)
        fault(c, FOLKRNN_FAULT_CHORD, n);
    close_bar(c, n, 0);
    if (c->broken_due)
        fault(c, FOLKRNN_FAULT_BROKEN_DANGLING, c->broken_token);
    if (c->tuplet_left > 0)
        fault(c, FOLKRNN_FAULT_TUPLET_INCOMPLETE, c->tuplet_token);
    if (c->repeat_open)
        fault(c, FOLKRNN_FAULT_REPEAT_UNCLOSED, c->open_token);
    if (c->ending_state == 1)
        fault(c, FOLKRNN_FAULT_ENDING_UNCLOSED, c->ending_token);
}

static void read_tokens(struct counter *c)
{
    for (int i = 0; i < c->n; i++) {
        const char *t = c->v->tokens[c->ids[i]];
        switch (c->v->cls[c->ids[i]]) {
        case FOLKRNN_TOKEN_END: c->n = i; break; /* nothing after </s> counts */
        case FOLKRNN_TOKEN_START: case FOLKRNN_TOKEN_MODE: break;
        case FOLKRNN_TOKEN_METER: on_meter(c, t); break;
        case FOLKRNN_TOKEN_PITCH: case FOLKRNN_TOKEN_REST: on_note(c, t, i); break;
        case FOLKRNN_TOKEN_DURATION: on_length(c, t, i); break;
        case FOLKRNN_TOKEN_BROKEN: on_broken(c, t, i); break;
        case FOLKRNN_TOKEN_TUPLET: on_tuplet(c, t, i); break;
        case FOLKRNN_TOKEN_CHORD: on_chord(c, t, i); break;
        case FOLKRNN_TOKEN_BAR: on_bar(c, t, i); break;
        default: fault(c, FOLKRNN_FAULT_UNKNOWN_TOKEN, i); break;
        }
    }
    on_end(c);
}

/* ---- classifying -------------------------------------------------------- */

static int opens_part(const struct folkrnn_bars *b, int k)
{
    int s = b->bars[k].shape_before;
    return k == 0 ||
           ((s & (FR_BAR_OPEN_REPEAT | FR_BAR_CLOSE_REPEAT | FR_BAR_DOUBLE)) && !(s & FR_BAR_ENDING));
}

static int closes_part(const struct folkrnn_bars *b, int k)
{
    int s = b->bars[k].shape_after;
    return k == b->nbars - 1 || (s & (FR_BAR_OPEN_REPEAT | FR_BAR_CLOSE_REPEAT | FR_BAR_DOUBLE));
}

/* 1 when bar k and bar j (a pickup) make a full bar together. */
static int complements(const struct folkrnn_bars *b, int k, int j)
{
    const struct fr_bar *x = &b->bars[k], *y = &b->bars[j];
    struct fr_rat sum;
    return j >= 0 && j < b->nbars && j != k && y->kind == FOLKRNN_BAR_PICKUP &&
           fr_rat_add(&sum, x->len, y->len) == 0 && fr_rat_cmp(sum, x->meter) == 0;
}

static void classify(struct folkrnn_bars *b)
{
    int part_start = 0; /* the first bar of the current part */
    for (int k = 0; k < b->nbars; k++) {
        struct fr_bar *x = &b->bars[k];
        if (opens_part(b, k))
            part_start = k;
        if (!x->metered) {
            x->kind = FOLKRNN_BAR_UNMETERED;
            continue;
        }
        int cmp = fr_rat_cmp(x->len, x->meter);
        if (cmp == 0)
            x->kind = FOLKRNN_BAR_FULL;
        else if (cmp < 0 && part_start == k)
            x->kind = FOLKRNN_BAR_PICKUP;
    }
    /* Closing bars need the pickups of the following part: a second sweep. */
    part_start = 0;
    for (int k = 0; k < b->nbars; k++) {
        struct fr_bar *x = &b->bars[k];
        if (opens_part(b, k))
            part_start = k;
        int next_pickup = k + 1 < b->nbars && opens_part(b, k + 1) ? k + 1 : -1;
        if (x->kind == FOLKRNN_BAR_WRONG && fr_rat_cmp(x->len, x->meter) < 0 && closes_part(b, k) &&
            (complements(b, k, part_start) || complements(b, k, next_pickup) || complements(b, k, 0)))
            x->kind = FOLKRNN_BAR_CLOSING;
        b->ncorrect += x->kind == FOLKRNN_BAR_FULL || x->kind == FOLKRNN_BAR_PICKUP ||
                       x->kind == FOLKRNN_BAR_CLOSING;
    }
}

/* ---- public ------------------------------------------------------------- */

FOLKRNN_API void folkrnn_bars_free(folkrnn_bars *b)
{
    if (!b)
        return;
    free(b->bars);
    free(b->faults);
    free(b);
}

FOLKRNN_API int folkrnn_bars_count(const folkrnn_vocab *v, const int *ids, int n,
                                   folkrnn_bars **out)
{
    if (out)
        *out = NULL;
    if (!v || !out || n < 0 || (!ids && n > 0))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_bars_count: %s",
                        n < 0 ? "negative count" : "NULL argument");
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= v->n)
            return fr_error(FOLKRNN_E_RANGE, "token %d: id %d outside the vocabulary [0, %d)", i,
                            ids[i], v->n);
    struct folkrnn_bars *b = calloc(1, sizeof *b);
    size_t nbars = (size_t)n + 1, nfaults = 2 * (size_t)n + 8;
    if (b) {
        b->bars = malloc(nbars * sizeof *b->bars);
        b->faults = malloc(nfaults * sizeof *b->faults);
    }
    if (!b || !b->bars || !b->faults) {
        folkrnn_bars_free(b);
        return fr_oom("bar counts", nbars * sizeof *b->bars + nfaults * sizeof *b->faults);
    }
    struct counter c = {.v = v, .ids = ids, .n = n, .out = b};
    c.bar_len = c.meter = c.bar_meter = rat(0, 1);
    read_tokens(&c);
    classify(b);
    *out = b;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_bars_summary(const folkrnn_bars *b, int *nbars, int *ncorrect,
                                     double *share)
{
    if (!b)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_bars_summary: NULL result");
    if (nbars)
        *nbars = b->nbars;
    if (ncorrect)
        *ncorrect = b->ncorrect;
    if (share)
        *share = b->nbars ? (double)b->ncorrect / b->nbars : 0.0;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_bars_bar(const folkrnn_bars *b, int i, int *first, int *end, int *kind,
                                 long *num, long *den, long *meter_num, long *meter_den)
{
    if (!b)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_bars_bar: NULL result");
    if (i < 0 || i >= b->nbars)
        return fr_error(FOLKRNN_E_RANGE, "bar %d outside [0, %d)", i, b->nbars);
    const struct fr_bar *x = &b->bars[i];
    if (first)
        *first = x->first;
    if (end)
        *end = x->end;
    if (kind)
        *kind = x->kind;
    if (num)
        *num = (long)x->len.num;
    if (den)
        *den = (long)x->len.den;
    if (meter_num)
        *meter_num = x->metered ? (long)x->meter.num : 0;
    if (meter_den)
        *meter_den = x->metered ? (long)x->meter.den : 1;
    return FOLKRNN_OK;
}

FOLKRNN_API int folkrnn_bars_faults(const folkrnn_bars *b)
{
    return b ? b->mask : fr_error(FOLKRNN_E_INVALID, "folkrnn_bars_faults: NULL result");
}

FOLKRNN_API int folkrnn_bars_nfaults(const folkrnn_bars *b)
{
    return b ? b->nfaults : fr_error(FOLKRNN_E_INVALID, "folkrnn_bars_nfaults: NULL result");
}

FOLKRNN_API int folkrnn_bars_fault(const folkrnn_bars *b, int i, int *kind, int *token)
{
    if (!b)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_bars_fault: NULL result");
    if (i < 0 || i >= b->nfaults)
        return fr_error(FOLKRNN_E_RANGE, "fault %d outside [0, %d)", i, b->nfaults);
    if (kind)
        *kind = b->faults[i].kind;
    if (token)
        *token = b->faults[i].token;
    return FOLKRNN_OK;
}

FOLKRNN_API const char *folkrnn_fault_name(int fault_bit)
{
    for (int k = 0; k < NFAULT_KINDS; k++)
        if (fault_bit == 1 << k)
            return fault_names[k];
    return NULL;
}

FOLKRNN_API const char *folkrnn_bar_kind_name(int kind)
{
    static const char *const names[] = {"wrong", "full", "pickup", "closing", "unmetered"};
    return kind >= 0 && kind <= FOLKRNN_BAR_UNMETERED ? names[kind] : NULL;
}
