/* internal.h -- what the files of lib/ share and users never see.

   Map:
     errors ......... fr_error, fr_oom                      (error.c)
     model layout ... struct folkrnn_model, fr_model_alloc  (model.c)
     files .......... fr_read_file, fr_file_open, fr_gunzip, fr_write_atomic (fileio.c)
     loaders ........ fr_load_pickle, fr_load_safetensors, fr_save_safetensors
     kernels ........ fr_softmax, fr_matmul_acc, fr_lstm_*, fr_gru_* (kernels.c) */
#ifndef FOLKRNN_INTERNAL_H
#define FOLKRNN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "folkrnn.h"

#if defined(__GNUC__)
#define FR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FR_PRINTF(a, b)
#endif

/* ---- errors (error.c) ------------------------------------------------- */

/* Set the calling thread's message from a printf format and return status,
   so failures read: return fr_error(FOLKRNN_E_RANGE, "token %d ...", t); */
int fr_error(int status, const char *fmt, ...) FR_PRINTF(2, 3);
/* fr_error(FOLKRNN_E_NOMEM, ...) naming what could not be allocated. */
int fr_oom(const char *what, size_t bytes);

/* Options structures begin with `size_t size` (set by their _init) and only
   grow at their end.  Copy the caller's opts (NULL: none) over the defaults
   already in dst (dst_size bytes): only their first opts->size bytes, so an
   older caller's shorter structure keeps the newer fields' defaults.
   FOLKRNN_E_INVALID naming func when opts->size is below min_size (the
   first version's size: _init was not called). */
int fr_opts_over(void *dst, size_t dst_size, const void *opts, size_t min_size,
                 const char *func);

/* ---- model layout (model.c) ------------------------------------------- */

/* Number of gate blocks per cell type: LSTM 4 (i, f, g, o), GRU 3 (r, u, c). */
int fr_cell_ngates(int cell);

/* One recurrent layer.  The gates are packed side by side so that a layer
   step is one product per side: gate k occupies columns [k*units, (k+1)*units)
   of W_in, W_hid and b.  All pointers point into the model's storage, and
   W_hid follows W_in there, so W_in read as (in+units, ngates*units) is
   [W_in; W_hid] and [x h] times it is the whole layer's product. */
struct fr_layer {
    int in;          /* input width: input_size for layer 0, units of layer-1 otherwise */
    int units;       /* hidden units */
    float *W_in;     /* (in, ngates*units) */
    float *W_hid;    /* (units, ngates*units) */
    float *b;        /* (ngates*units) */
    float *cell_init;/* (units); LSTM only, NULL for GRU */
    float *hid_init; /* (units) */
};

struct folkrnn_model {
    int cell;          /* FOLKRNN_CELL_* */
    int ngates;        /* fr_cell_ngates(cell) */
    int num_layers;
    int vocab_size;
    int input_size;    /* width of the embedding rows */
    int onehot;        /* 1: embedding is the identity, layer 0's input is a row gather */
    char **tokens;     /* [vocab_size] token texts, owned */
    int *sorted;       /* [vocab_size] ids ordered by token text, for lookup */
    float *embedding;  /* (vocab_size, input_size) */
    struct fr_layer *layers; /* [num_layers] */
    float *dense_W;    /* (units of last layer, vocab_size) */
    float *dense_b;    /* (vocab_size) */
    int nmeta;         /* metadata pairs, owned strings */
    char **meta_keys;
    char **meta_vals;
    float *storage;    /* every float above lives in this one block */
    size_t nstorage;   /* its length in floats */
};

/* Allocate a model of this architecture with zeroed weights (embedding zero,
   onehot 0, no tokens, no metadata) and lay out the pointers.  Checks the
   sizes for overflow.  Returns a status; *out is NULL on failure. */
int fr_model_alloc(int cell, int num_layers, const int *units, int vocab_size,
                   int input_size, struct folkrnn_model **out);

/* The widest layer's number of units (scratch buffers are sized by it). */
int fr_model_max_units(const struct folkrnn_model *m);

/* Take over tokens[vocab_size] (strings copied) and build the lookup index.
   Fails with FOLKRNN_E_FORMAT naming a duplicate or empty token. */
int fr_model_set_tokens(struct folkrnn_model *m, const char *const *tokens);

/* Set embedding to the identity and onehot to 1 (input_size must equal vocab_size). */
void fr_model_set_identity(struct folkrnn_model *m);

/* 1 when the embedding is exactly the identity. */
int fr_model_embedding_is_identity(const struct folkrnn_model *m);

/* 1 when none of n floats is NaN or infinite (a vectorised pass). */
int fr_all_finite(const float *x, size_t n);
/* The first NaN or infinity of a rows x cols block with leading dimension
   ld, checked row by row: 1 and its place in *row, *col, or 0.  The loaders
   check each tensor right after copying it, and name it in their own terms. */
int fr_find_non_finite(const float *x, size_t rows, size_t cols, size_t ld, size_t *row,
                       size_t *col);
/* Check every weight is finite: FOLKRNN_E_NUMERIC naming the first that is not. */
int fr_model_check_finite(const struct folkrnn_model *m);

/* Gate index of a per-gate parameter id within the layer's packed blocks, and
   whether it is W_in (side 0), W_hid (1) or b (2); -1 when which is not a
   gate parameter of cell. */
int fr_param_gate(int cell, int which, int *side);

/* ---- files (fileio.c) --------------------------------------------------- */

/* Whole file into a malloc'd buffer; caller frees.  FOLKRNN_E_IO names the path. */
int fr_read_file(const char *path, unsigned char **data, size_t *size);
/* Large zeroed blocks (model storage, files being decoded): at or above
   FR_HUGE_BLOCK bytes a mapping of their own with transparent huge pages
   asked for, since filling 22 MB of fresh 4 KiB pages costs a page fault
   each, about as much again as the copy into them (issue 6); calloc below.
   Free with fr_block_free and the same size. */
#define FR_HUGE_BLOCK ((size_t)2 << 20)
void *fr_block_alloc(size_t bytes);
void fr_block_free(void *p, size_t bytes);
/* A whole file read into a block of its own (fr_block_alloc).  Not mapped:
   a mapped file truncated by another process while it is decoded would
   end the program with SIGBUS.  FOLKRNN_E_IO names the path. */
struct fr_file {
    const unsigned char *data;
    size_t size;
};
int fr_file_open(const char *path, struct fr_file *f);
void fr_file_close(struct fr_file *f);
/* 1 when the bytes begin with the gzip magic. */
int fr_is_gzip(const unsigned char *data, size_t size);
/* Inflate a gzip member into a malloc'd buffer; FOLKRNN_E_FORMAT if corrupt,
   truncated or larger than limit bytes. */
int fr_gunzip(const unsigned char *data, size_t size, size_t limit,
              unsigned char **out, size_t *outsize);
/* Write size bytes to path atomically (temporary file in the same folder,
   fsync, rename); gzip-compressed when gzip is non-zero.  An existing file
   is replaced whole or left untouched. */
int fr_write_atomic(const char *path, const void *data, size_t size, int gzip);
/* 1 when path ends with suffix. */
int fr_has_suffix(const char *path, const char *suffix);

/* The largest decompressed model accepted, bytes: far above any folk-rnn
   model, far below what would exhaust memory. */
#define FR_MAX_MODEL_BYTES ((size_t)4 << 30)

/* ---- loaders ------------------------------------------------------------ */

/* 1 when the bytes look like a pickle (PROTO opcode) / safetensors header. */
int fr_is_pickle(const unsigned char *data, size_t size);
int fr_is_safetensors(const unsigned char *data, size_t size);
/* Build a model from a folk-rnn pickle dict (pickle_model.c). */
int fr_load_pickle(const unsigned char *data, size_t size, struct folkrnn_model **out);
/* Build a model from libfolkrnn safetensors bytes (safetensors.c). */
int fr_load_safetensors(const unsigned char *data, size_t size, struct folkrnn_model **out);
/* Serialise to safetensors bytes, malloc'd; caller frees (safetensors.c). */
int fr_save_safetensors(const struct folkrnn_model *m, unsigned char **data, size_t *size);

/* ---- kernels (kernels.c) ------------------------------------------------ */

/* In place: p[i] = exp(x[i] - max) / sum over n values, the exponentials and
   their sum in double. */
void fr_softmax(float *x, int n);
/* Y (rows, n; ld ldy) += X (rows, k; ld ldx) . W (k, n; ld ldw), through CBLAS. */
void fr_matmul_acc(int rows, int k, int n, const float *X, int ldx, const float *W, int ldw,
                   float *Y, int ldy);

/* Cell arithmetic of one stream, U units, vectorised; sig and tanh are
   within about 1e-7 of libm's.  LSTM: pre (4U) = x W_in + h W_hid + b turned
   into the gates i, f, g, o in place; c (U) = f*c_prev + i*g; h (U) =
   o*tanh(c).  GRU: pre_in (3U) = x W_in + b and pre_hid (3U) = h W_hid;
   r, u = sig(pre_in + pre_hid) in place over the first 2U; the candidate
   g = tanh(pre_in_g + r*pre_hid_g) in place; h = (1-u)*h_prev + u*g. */
void fr_lstm_gates(float *pre, int U);
void fr_lstm_cell(const float *gates, const float *c_prev, float *c, int U);
void fr_lstm_hidden(const float *o, const float *c, float *h, int U);
void fr_gru_gates(float *pre_in, const float *pre_hid, int U);
void fr_gru_candidate(float *pre_in, const float *pre_hid, int U);
void fr_gru_hidden(const float *u, const float *g, const float *h_prev, float *h, int U);

#endif /* FOLKRNN_INTERNAL_H */
