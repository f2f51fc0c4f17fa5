/* text.h -- what vocab.c, abc.c and bars.c share: the vocabulary layout,
   exact fractions, and readers of the pieces of ABC that tokens are made of.

   Map:
     fractions ...... struct fr_rat, fr_rat_make/add/mul/cmp   (vocab.c)
     token pieces ... fr_read_length, fr_read_broken, fr_read_tuplet,
                      fr_bar_shape, fr_meter_length, fr_mode_key (vocab.c)
     vocabulary ..... struct folkrnn_vocab, fr_vocab_match     (vocab.c) */
#ifndef FOLKRNN_TEXT_H
#define FOLKRNN_TEXT_H

#include <stddef.h>
#include "internal.h"

/* ---- exact fractions ---------------------------------------------------- */

/* num/den with den > 0, always reduced, |num| and den below 2^31.  Lengths
   of notes and bars in unit lengths; every operation reports overflow
   instead of wrapping. */
struct fr_rat {
    long long num;
    long long den;
};

/* Reduce num/den into *r; -1 when den is 0 or a value does not fit. */
int fr_rat_make(struct fr_rat *r, long long num, long long den);
/* *r = a + b, *r = a * b; -1 on overflow (*r then unchanged). */
int fr_rat_add(struct fr_rat *r, struct fr_rat a, struct fr_rat b);
int fr_rat_mul(struct fr_rat *r, struct fr_rat a, struct fr_rat b);
/* <0, 0, >0 as a <, ==, > b (exact). */
int fr_rat_cmp(struct fr_rat a, struct fr_rat b);

/* ---- pieces of ABC ------------------------------------------------------ */

/* Read an ABC length at s: "2" "3/2" "/2" "/" "//" "3/" (numbers 1..9999).
   Returns the number of characters read (0: no length there) and the value. */
size_t fr_read_length(const char *s, struct fr_rat *len);

/* A broken-rhythm token: optional length, then 1-3 '>' or '<' and nothing
   else.  Returns 1 and fills the parts, 0 when t is not one.  *has_len says
   whether a length came first (*len is 1 otherwise); *dir is +1 for '>'
   (first note longer), -1 for '<'; *count the number of signs. */
int fr_read_broken(const char *t, struct fr_rat *len, int *has_len, int *dir, int *count);

/* A tuplet token "(p", "(p:q", "(p:q:r", "(p::r" with 1 <= numbers <= 99.
   Returns 1 and p, q, r (0 for an omitted q or r), 0 when t is not one. */
int fr_read_tuplet(const char *t, int *p, int *q, int *r);

/* What a bar token does, as FR_BAR_* bits; 0 when t is not a bar token. */
enum {
    FR_BAR_LINE = 1,         /* it is a bar token */
    FR_BAR_OPEN_REPEAT = 2,  /* ends with ':'   |: :: :|: */
    FR_BAR_CLOSE_REPEAT = 4, /* starts with ':' :| :: :|2 */
    FR_BAR_ENDING = 8,       /* carries an ending number |1 :|2 [1 */
    FR_BAR_DOUBLE = 16       /* a double or final bar || |] [| */
};
int fr_bar_shape(const char *t);
/* The ending number of a bar token (first digits), 0 if none. */
int fr_bar_ending(const char *t);

/* The bar length of a meter value ("6/8", "C", "C|"; no "M:") in units of
   1/8: 8a/b, and whether it is compound (6/8 9/8 12/8 ...: a multiple of 3
   above 3 over 8).  Returns 0, or -1 when the value is not understood. */
int fr_meter_length(const char *value, struct fr_rat *len, int *compound);

/* The key of a K: value ("Cdor", "C dorian", "Am", "G"; no "K:"): the tonic
   letter (upper case), its alteration (-1 b, 0, +1 #), the mode as three
   lowercase letters ("maj", "min", "dor", "phr", "lyd", "mix", "loc"; ion
   and aeo are folded into maj and min) and the key signature in fifths
   (+n sharps, -n flats).  Returns 0, or -1 when not understood. */
int fr_mode_key(const char *value, char *tonic, int *alter, char mode[4], int *fifths);

/* ---- vocabulary --------------------------------------------------------- */

struct folkrnn_vocab {
    int n;               /* number of tokens */
    char **tokens;       /* [n] texts, owned */
    unsigned char *cls;  /* [n] FOLKRNN_TOKEN_* of each */
    size_t *len;         /* [n] strlen of each */
    int *by_first;       /* [n] ids grouped by first byte, longest first within a group */
    int group[257];      /* ids with first byte c are by_first[group[c] .. group[c+1]) */
};

/* The longest token that s[0 .. avail) begins with: its id and *len, or -1
   when none does. */
int fr_vocab_match(const struct folkrnn_vocab *v, const char *s, size_t avail, size_t *len);

#endif /* FOLKRNN_TEXT_H */
