/* pickle.h -- a restricted unpickler: pickle bytes to a small value tree
   (pickle.c).  Used by pickle_model.c; nothing here is public.

   The reader runs the pickle virtual machine over the opcodes of protocols
   2 to 5 but executes nothing: the only callables it knows are the numpy
   functions that rebuild arrays, dtypes and scalars, and _codecs.encode
   (Python 3's way of writing bytes in protocol 2).  Every other global is
   refused, naming it.  Strings and array data are not copied: they point
   into the caller's bytes, which must outlive the tree.  All values live in
   one arena freed by fr_pickle_free, so shared and cyclic references (the
   memo) need no bookkeeping. */
#ifndef FOLKRNN_PICKLE_H
#define FOLKRNN_PICKLE_H

#include <stddef.h>
#include <stdint.h>

/* Limits that no folk-rnn pickle comes near; beyond them a file is refused
   with FOLKRNN_E_UNSUPPORTED rather than allowed to exhaust memory. */
#define FR_PK_MAX_STACK (1u << 22) /* values on the VM stack at once */
#define FR_PK_MAX_MARKS 4096       /* open MARKs: nesting depth */
#define FR_PK_MAX_VALUES (1u << 22)/* values created by one pickle */
#define FR_PK_MAX_DIMS 32          /* array dimensions (numpy's own limit) */

enum fr_pk_type {
    FR_PK_NONE,
    FR_PK_BOOL,   /* .i is 0 or 1 */
    FR_PK_INT,    /* .i; integers wider than 64 bits are refused */
    FR_PK_FLOAT,  /* .f */
    FR_PK_STR,    /* .s: Python 3 str, UTF-8 as pickled */
    FR_PK_BYTES,  /* .s: Python 2 str, bytes, bytearray, _codecs.encode(...) */
    FR_PK_TUPLE,  /* .seq */
    FR_PK_LIST,   /* .seq */
    FR_PK_SET,    /* .seq: set or frozenset */
    FR_PK_DICT,   /* .seq: key, value, key, value ... in insertion order;
                     a key set twice appears twice, the later one wins */
    FR_PK_ARRAY,  /* .arr: numpy array, or numpy scalar (ndim 0) */
    FR_PK_DTYPE,  /* .dt: numpy dtype */
    FR_PK_GLOBAL  /* .g: one of the permitted callables (enum fr_pk_global) */
};

enum fr_pk_global {
    FR_PK_G_RECONSTRUCT, /* numpy.core.multiarray._reconstruct */
    FR_PK_G_NDARRAY,     /* numpy.ndarray, only as _reconstruct's argument */
    FR_PK_G_DTYPE,       /* numpy.dtype */
    FR_PK_G_SCALAR,      /* numpy.core.multiarray.scalar */
    FR_PK_G_FROMBUFFER,  /* numpy.core.numeric._frombuffer (protocol 5) */
    FR_PK_G_ENCODE       /* _codecs.encode */
};

/* A numpy dtype: only plain numbers are supported. */
struct fr_pk_dtype {
    char kind;        /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    int itemsize;     /* bytes: 1, 2, 4 or 8 ('f': 4 or 8) */
    int big_endian;   /* byte order of the data, from the dtype's state */
};

struct fr_pk_array {
    int built;        /* 0 between _reconstruct and BUILD: no data yet */
    int ndim;         /* 0 for scalars and 0-d arrays */
    int64_t *shape;   /* [ndim] */
    size_t count;     /* product of shape: number of elements */
    int fortran;      /* data in column-major order */
    struct fr_pk_dtype dtype;
    const unsigned char *data; /* count * dtype.itemsize raw bytes, borrowed */
};

struct fr_pk {
    int type;    /* enum fr_pk_type */
    uint32_t id; /* 0, 1, 2 ... in order of creation (for walks) */
    union {
        int64_t i;
        double f;
        struct { const unsigned char *p; size_t n; } s;   /* not NUL-terminated */
        struct { struct fr_pk **items; size_t n, cap; } seq;
        struct fr_pk_array *arr;
        struct fr_pk_dtype *dt;
        int g;
    } u;
};

struct fr_pickle; /* the parse: arena, root, protocol */

/* Parse size bytes of a pickle.  data is borrowed and must outlive *out.
   Errors: FOLKRNN_E_FORMAT (malformed, truncated, a size larger than the
   bytes present), FOLKRNN_E_UNSUPPORTED (a global other than the permitted
   ones, an opcode outside protocols 2-5 binary, a dtype that is not a plain
   number, a limit above), FOLKRNN_E_NOMEM.  *out is NULL on failure. */
int fr_pickle_parse(const unsigned char *data, size_t size, struct fr_pickle **out);
void fr_pickle_free(struct fr_pickle *p);
/* The value STOP returned (borrowed from p). */
const struct fr_pk *fr_pickle_root(const struct fr_pickle *p);
/* Protocol from the PROTO opcode (2 to 5). */
int fr_pickle_protocol(const struct fr_pickle *p);

/* Number of items of a TUPLE, LIST or SET, pairs of a DICT; 0 otherwise. */
size_t fr_pk_len(const struct fr_pk *v);
/* The value of key in a DICT with text keys (later entries win); NULL if absent. */
const struct fr_pk *fr_pk_dict_get(const struct fr_pk *dict, const char *key);
/* 1 when v is text (STR or BYTES) equal to the NUL-terminated key. */
int fr_pk_text_eq(const struct fr_pk *v, const char *key);
/* A malloc'd NUL-terminated UTF-8 copy of a STR or BYTES (a Python 2 str
   that is not valid UTF-8 is taken as latin-1, as Python 3 reads it).
   NULL when v is not text or holds a NUL byte; *oom set when malloc failed. */
char *fr_pk_text_dup(const struct fr_pk *v, int *oom);
/* v as a number: BOOL, INT, FLOAT, or an array with exactly one element.
   Returns 1 on success, 0 when v is not a number. */
int fr_pk_number(const struct fr_pk *v, double *out);
/* v as an integer: BOOL, INT, or a one-element integer array.  1 on success. */
int fr_pk_integer(const struct fr_pk *v, int64_t *out);
/* English name of v's type for messages ("a list", "a numpy dtype"). */
const char *fr_pk_type_name(const struct fr_pk *v);
/* The first value inside v (or v itself) that is not plain data: a dtype, a
   global, an array still waiting for BUILD.  NULL when v is plain data, or
   when memory ran out (*oom set).  Walks without recursion; cycles are fine.
   Marks what it visits in p, so many calls cost one walk of the tree. */
const struct fr_pk *fr_pk_find_unplain(struct fr_pickle *p, const struct fr_pk *v, int *oom);

/* Convert a built array of rows x cols elements (any dims whose product is
   rows * cols) to float32 in row-major order: row r goes to dst + r * ld.
   Float32 in host order is copied row by row; other dtypes are converted. */
void fr_pk_array_to_float(const struct fr_pk_array *a, size_t rows, size_t cols,
                          float *dst, size_t ld);
/* Element i (row-major index) of a built array as double. */
double fr_pk_array_get(const struct fr_pk_array *a, size_t i);

#endif /* FOLKRNN_PICKLE_H */
