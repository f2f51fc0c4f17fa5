/* json.h -- a small, strict JSON reader and the pieces of a writer, for
   the safetensors header and for metadata values that hold JSON (internal).

   Reader: RFC 8259 exactly (no comments, no trailing commas, no NaN, no
   leading zeros), UTF-8 validated, nesting limited to FR_JSON_MAX_DEPTH so
   hostile input cannot exhaust the stack, duplicate object keys rejected,
   strings containing U+0000 rejected (they could not be C strings).  Memory
   is proportional to the document: a first pass counts the values and
   string bytes, the second fills exactly sized arrays.

   Writer: a growable byte buffer with a sticky failure flag (check it once
   at the end) and a function that writes a quoted, escaped string. */
#ifndef FOLKRNN_JSON_H
#define FOLKRNN_JSON_H

#include <stddef.h>
#include <stdint.h>

#define FR_JSON_MAX_DEPTH 64

enum fr_json_type {
    FR_JSON_NULL, FR_JSON_FALSE, FR_JSON_TRUE, FR_JSON_NUMBER,
    FR_JSON_STRING, FR_JSON_ARRAY, FR_JSON_OBJECT
};

/* One value.  Every pointer points into the document that owns it. */
struct fr_json {
    int type;              /* FR_JSON_* */
    const char *key;       /* member name when the value is inside an object, else NULL */
    const char *str;       /* STRING: decoded UTF-8 text; NUMBER: the literal as written */
    size_t len;            /* strlen(str) */
    size_t count;          /* ARRAY, OBJECT: number of elements */
    struct fr_json *child; /* ARRAY, OBJECT: first element, in document order */
    struct fr_json *next;  /* next element of the enclosing array or object */
};

struct fr_json_doc {
    struct fr_json *root;
    struct fr_json *nodes; /* [number of values], owned */
    char *text;            /* every decoded string and number literal, NUL-separated, owned */
};

/* Parse len bytes of text (need not be NUL-terminated).  what names the
   text in error messages ("safetensors header").  Leading and trailing
   whitespace is allowed, anything else after the value is not.
   Errors: FOLKRNN_E_FORMAT "what: byte N: what was wrong", FOLKRNN_E_NOMEM.
   On failure doc is empty (fr_json_free is still safe). */
int fr_json_parse(const char *text, size_t len, const char *what, struct fr_json_doc *doc);
void fr_json_free(struct fr_json_doc *doc);

/* The member of an object called key, or NULL. */
const struct fr_json *fr_json_member(const struct fr_json *obj, const char *key);

/* A NUMBER that is an integer in [0, max] written without fraction or
   exponent: 1 and *out set, else 0. */
int fr_json_uint(const struct fr_json *v, uint64_t max, uint64_t *out);

/* 1 when s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates,
   nothing above U+10FFFF). */
int fr_utf8_valid(const char *s, size_t n);

/* ---- writing ------------------------------------------------------------ */

struct fr_buf {
    char *data;  /* [cap], owned; data[len] is kept 0 */
    size_t len;
    size_t cap;
    int failed;  /* an allocation failed: contents are incomplete */
};

void fr_buf_put(struct fr_buf *b, const void *bytes, size_t n);
void fr_buf_puts(struct fr_buf *b, const char *s);
void fr_buf_printf(struct fr_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* s (valid UTF-8, checked by the caller) as a JSON string literal. */
void fr_buf_put_json_string(struct fr_buf *b, const char *s);
void fr_buf_free(struct fr_buf *b);

#endif /* FOLKRNN_JSON_H */
