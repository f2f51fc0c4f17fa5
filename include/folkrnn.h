/* folkrnn.h -- the whole public interface of libfolkrnn.

   libfolkrnn loads, runs, trains and takes apart folk-rnn music-transcription
   models (folk-rnn v2 above all: a 3x512 LSTM over 137 ABC-like tokens).

   Map of this header (each section names the file under lib/ that implements it):
     1. Versions, status codes and errors ........ lib/error.c
     2. Models: load, save, clone, introspect .... lib/model.c, lib/pickle*.c, lib/safetensors.c
     3. States: step streams through a model ..... lib/state.c
     4. Hooks: read and change every activation .. lib/state.c
     5. Vocabulary, token text, ABC, bar counting  lib/vocab.c, lib/abc.c, lib/bars.c
     6. Sampling, scoring, beam search ........... lib/rng.c, lib/sample.c, lib/score.c, lib/beam.c
     7. Training ................................. lib/train*.c
     8. Analysis ................................. lib/an_*.c

   Conventions that hold for every function below:
   - Status: functions returning int return FOLKRNN_OK (0) on success and a
     negative FOLKRNN_E_* code on failure, unless documented otherwise.  After a
     failure folkrnn_errmsg() gives a precise message for the calling thread.
   - Nothing in the library prints, aborts or exits, and there is no global
     mutable state: every object belongs to the handle it hangs from.
   - Ownership: "caller frees with X" means the caller owns the result and must
     release it with X; "borrowed" means the pointer stays owned by the object it
     came from and is valid as long as that object is (or as stated).
   - Threads: a folkrnn_model is read-only after loading and may be shared by any
     number of states in any number of threads.  A folkrnn_state is used by one
     thread at a time.  Functions that change a model (folkrnn_model_param with
     writes through the returned pointer, folkrnn_model_set_meta) must not run
     while any state of that model steps: edit a clone instead.
   - Shapes are row-major; "rows x cols, ld" describes a matrix whose element
     (r, c) is at data[r * ld + c].
   - ABI: handles are opaque; structures the library passes to callbacks only
     grow at their end; enumerations only gain new values.  See doc/abi.md. */
#ifndef FOLKRNN_H
#define FOLKRNN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(FOLKRNN_STATIC)
#define FOLKRNN_API __attribute__((visibility("default")))
#else
#define FOLKRNN_API
#endif

/* ======================================================================
   1. Versions, status codes and errors                       lib/error.c
   ====================================================================== */

#define FOLKRNN_VERSION "0.1.0"
#define FOLKRNN_VERSION_NUM 0x000100 /* 0xMMmmpp */

/* The version of the library actually linked (may be newer than the header). */
FOLKRNN_API const char *folkrnn_version(void);

enum folkrnn_status {
    FOLKRNN_OK = 0,
    FOLKRNN_E_INVALID = -1,     /* bad argument: NULL pointer, value out of its domain */
    FOLKRNN_E_NOMEM = -2,       /* an allocation failed */
    FOLKRNN_E_IO = -3,          /* a file could not be opened, read or written */
    FOLKRNN_E_FORMAT = -4,      /* bytes are not a valid model/file: corrupt, truncated */
    FOLKRNN_E_UNSUPPORTED = -5, /* well formed, but uses something not supported
                                   (an unknown pickle global, a dtype, a cell type) */
    FOLKRNN_E_SHAPE = -6,       /* array shapes disagree with each other */
    FOLKRNN_E_RANGE = -7,       /* token id, layer, stream or index out of range */
    FOLKRNN_E_HOOK = -8,        /* a hook returned non-zero; the step was undone */
    FOLKRNN_E_NUMERIC = -9,     /* NaN or infinity where a finite number is needed */
    FOLKRNN_E_PARSE = -10       /* text input (tokens, ABC, templates) not understood */
};

/* A short, static description of a status code ("out of range"); never NULL,
   also for unknown codes.  Thread-safe. */
FOLKRNN_API const char *folkrnn_strerror(int status);

/* The message of the calling thread's most recent failure, naming what was
   wrong ("param_values[14]: shape (512,) where (1, 512) was expected"); "" if
   none yet.  Borrowed: valid until the thread's next failing call.
   Successful calls leave it unchanged.  Each thread has its own. */
FOLKRNN_API const char *folkrnn_errmsg(void);

/* ======================================================================
   2. Models                                                 lib/model.c
   ====================================================================== */

typedef struct folkrnn_model folkrnn_model;

/* Recurrent cell types. */
enum folkrnn_cell {
    FOLKRNN_CELL_LSTM = 0, /* gates ingate, forgetgate, cell (g), outgate; no peepholes */
    FOLKRNN_CELL_GRU = 1   /* gates resetgate, updategate, hidden_update (Lasagne's GRU) */
};

/* Load a model from a file, detecting the format from its bytes (never from
   the name): a folk-rnn pickle (Python 2 cPickle or Python 3 protocols 2-5,
   numpy 1 or 2), or a libfolkrnn safetensors file; either may be
   gzip-compressed.  Pickles are read by a restricted unpickler that executes
   nothing and accepts only the numpy globals needed for arrays, dtypes and
   scalars.  On success *out is a new model: caller frees with
   folkrnn_model_free.  On failure *out is NULL.
   Errors: FOLKRNN_E_INVALID (NULL argument), FOLKRNN_E_IO, FOLKRNN_E_NOMEM,
   FOLKRNN_E_FORMAT (corrupt or truncated), FOLKRNN_E_UNSUPPORTED (unknown
   global, dtype), FOLKRNN_E_SHAPE (parameter shapes disagree),
   FOLKRNN_E_NUMERIC (a weight is NaN or infinite). */
FOLKRNN_API int folkrnn_model_load(const char *path, folkrnn_model **out);

/* As folkrnn_model_load, from size bytes in memory (borrowed: not kept after
   the call returns).  Same errors but FOLKRNN_E_IO. */
FOLKRNN_API int folkrnn_model_load_buffer(const void *data, size_t size, folkrnn_model **out);

/* Save as safetensors (doc/format.md); gzip-compressed when path ends in
   ".gz".  The file is written to a temporary name beside path and renamed
   over it, so an existing file is either replaced whole or left intact.
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_IO, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_model_save(const folkrnn_model *m, const char *path);

/* A new model built from a description, every weight zero, hid_init and
   cell_init zero, embedding the identity when input_size is 0 (one-hot
   input, input_size becomes vocab_size) or zero otherwise (a dense embedding
   vocab_size x input_size).  units[num_layers] gives each layer's width.
   tokens[vocab_size] are copied; they must be distinct and non-empty.
   Caller frees *out with folkrnn_model_free.
   Errors: FOLKRNN_E_INVALID (a count < 1, duplicate or empty token, unknown
   cell), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_model_new(int cell, int num_layers, const int *units,
                                  int vocab_size, const char *const *tokens,
                                  int input_size, folkrnn_model **out);

/* A deep copy: weights, vocabulary and metadata.  Editing the clone never
   touches m.  Caller frees *out with folkrnn_model_free.
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_model_clone(const folkrnn_model *m, folkrnn_model **out);

/* Free a model and everything it owns.  NULL is a no-op.  Every state made
   from it must have been freed first. */
FOLKRNN_API void folkrnn_model_free(folkrnn_model *m);

/* Architecture.  Each returns the value (>= 0), or FOLKRNN_E_INVALID for a
   NULL model, FOLKRNN_E_RANGE for a layer outside [0, num_layers). */
FOLKRNN_API int folkrnn_model_cell_type(const folkrnn_model *m);
FOLKRNN_API int folkrnn_model_num_layers(const folkrnn_model *m);
FOLKRNN_API int folkrnn_model_hidden_size(const folkrnn_model *m, int layer);
FOLKRNN_API int folkrnn_model_vocab_size(const folkrnn_model *m);
/* Width of the first layer's input: vocab_size for one-hot models. */
FOLKRNN_API int folkrnn_model_input_size(const folkrnn_model *m);
/* 1 when the embedding is the identity (one-hot input), 0 when dense. */
FOLKRNN_API int folkrnn_model_is_onehot(const folkrnn_model *m);

/* Number of trainable parameters: gate weights and biases of every layer and
   the dense layer (5,599,881 for folk-rnn v2); the embedding counts only when
   dense; initial states never count.  Returns -1 for a NULL model. */
FOLKRNN_API long folkrnn_model_num_params(const folkrnn_model *m);

/* The text of token id, borrowed from the model; NULL when id is out of range
   or m is NULL. */
FOLKRNN_API const char *folkrnn_model_token(const folkrnn_model *m, int id);

/* The id of a token text, or FOLKRNN_E_RANGE when the model has no such token
   (FOLKRNN_E_INVALID for NULL arguments).  Sets no error message when the
   token is merely unknown, so it can be used to test membership. */
FOLKRNN_API int folkrnn_model_token_id(const folkrnn_model *m, const char *token);

/* Parameters, as named in folk-rnn's Lasagne model.  Every view is in the
   orientation of the pickle: W_in_* is input x units, W_hid_* units x units,
   b_* 1 x units, cell_init/hid_init 1 x units, dense W units x vocab, dense b
   1 x vocab, embedding vocab x input.  The whole-layer views put the gates
   side by side in the order listed for the cell type (LSTM: ingate,
   forgetgate, cell, outgate; GRU: resetgate, updategate, hidden_update):
   W_IN is input x (gates*units), and gate k of it is columns
   [k*units, (k+1)*units). */
enum folkrnn_param {
    FOLKRNN_P_EMBEDDING = 0, /* layer ignored */
    FOLKRNN_P_W_IN_INGATE, FOLKRNN_P_W_HID_INGATE, FOLKRNN_P_B_INGATE,
    FOLKRNN_P_W_IN_FORGETGATE, FOLKRNN_P_W_HID_FORGETGATE, FOLKRNN_P_B_FORGETGATE,
    FOLKRNN_P_W_IN_CELL, FOLKRNN_P_W_HID_CELL, FOLKRNN_P_B_CELL,
    FOLKRNN_P_W_IN_OUTGATE, FOLKRNN_P_W_HID_OUTGATE, FOLKRNN_P_B_OUTGATE,
    FOLKRNN_P_CELL_INIT, FOLKRNN_P_HID_INIT,
    FOLKRNN_P_DENSE_W, FOLKRNN_P_DENSE_B, /* layer ignored */
    FOLKRNN_P_W_IN, FOLKRNN_P_W_HID, FOLKRNN_P_B, /* all gates of a layer */
    FOLKRNN_P_W_IN_RESETGATE, FOLKRNN_P_W_HID_RESETGATE, FOLKRNN_P_B_RESETGATE,
    FOLKRNN_P_W_IN_UPDATEGATE, FOLKRNN_P_W_HID_UPDATEGATE, FOLKRNN_P_B_UPDATEGATE,
    FOLKRNN_P_W_IN_HIDDEN_UPDATE, FOLKRNN_P_W_HID_HIDDEN_UPDATE, FOLKRNN_P_B_HIDDEN_UPDATE
};

/* A view of one parameter: *data points at element (0,0), borrowed from the
   model (valid until it is freed), *rows x *cols with leading dimension *ld.
   Any output pointer may be NULL.  Writes through *data change the model:
   edit a clone, never a model that states are stepping.  Writing to the
   embedding of a one-hot model makes it a dense-embedding model.
   Errors: FOLKRNN_E_INVALID (NULL model, unknown which, or a gate the cell
   type lacks, e.g. FOLKRNN_P_CELL_INIT of a GRU), FOLKRNN_E_RANGE (layer). */
FOLKRNN_API int folkrnn_model_param(folkrnn_model *m, int layer, int which,
                                    float **data, int *rows, int *cols, int *ld);

/* Read-only variant of folkrnn_model_param for shared models; same rules. */
FOLKRNN_API int folkrnn_model_param_const(const folkrnn_model *m, int layer, int which,
                                          const float **data, int *rows, int *cols, int *ld);

/* Metadata: string pairs carried with the model (provenance, training
   recipe, losses; for pickles the scalar fields of the dict).  Keys are saved
   in safetensors' __metadata__.  folkrnn_model_meta returns the value of key,
   borrowed, or NULL when absent.  folkrnn_model_meta_key returns the i-th key
   (0 <= i), borrowed, or NULL past the end: iterate until NULL. */
FOLKRNN_API const char *folkrnn_model_meta(const folkrnn_model *m, const char *key);
FOLKRNN_API const char *folkrnn_model_meta_key(const folkrnn_model *m, int i);

/* Set (value != NULL) or remove (value == NULL) a metadata entry; both
   strings are copied.  Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_model_set_meta(folkrnn_model *m, const char *key, const char *value);

/* ======================================================================
   3. States                                                 lib/state.c
   ====================================================================== */

typedef struct folkrnn_state folkrnn_state;

/* A new state of nstreams independent streams, each at the model's initial
   state (hid_init, cell_init), step 0.  The model is borrowed and must
   outlive the state.  Caller frees *out with folkrnn_state_free.
   Errors: FOLKRNN_E_INVALID (NULL, nstreams < 1), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_state_new(const folkrnn_model *m, int nstreams, folkrnn_state **out);

/* Free a state (NULL is a no-op).  Its hooks are dropped. */
FOLKRNN_API void folkrnn_state_free(folkrnn_state *s);

/* Every stream back to the initial state, step 0.  Hooks stay. */
FOLKRNN_API int folkrnn_state_reset(folkrnn_state *s);

/* A stream's token meaning "leave this stream alone this step": its state
   does not change, its hooks are not called, its probs row is not written. */
#define FOLKRNN_IDLE (-1)

/* Feed one token to every stream (tokens[nstreams], each an id or
   FOLKRNN_IDLE) and advance one step.  When probs is not NULL it receives
   the next-token distribution of every stream, nstreams x vocab_size,
   softmax at temperature 1.  Hooks run during the step (section 4).
   Errors: FOLKRNN_E_INVALID (NULL s or tokens), FOLKRNN_E_RANGE (a token out
   of range; nothing changes), FOLKRNN_E_HOOK (a hook returned non-zero: the
   state is as before the call; probs may have been partly written). */
FOLKRNN_API int folkrnn_state_step(folkrnn_state *s, const int *tokens, float *probs);

/* As folkrnn_state_step with a weighted input per stream instead of a
   token: inputs[nstreams * vocab_size] are weights over the vocabulary, and
   the first layer sees inputs x embedding (a one-hot row reproduces a token;
   0.7/0.3 rows give Sturm's "two-hot" forcing).  Hook events carry token -1.
   Errors: as folkrnn_state_step; FOLKRNN_E_NUMERIC for a non-finite weight. */
FOLKRNN_API int folkrnn_state_step_input(folkrnn_state *s, const float *inputs, float *probs);

/* Copy src's streams and step counter into dst (same model, same nstreams);
   dst's hooks stay as they are.  Errors: FOLKRNN_E_INVALID (NULL, different
   model or stream count). */
FOLKRNN_API int folkrnn_state_copy(folkrnn_state *dst, const folkrnn_state *src);

/* Copy one stream of src into stream dst_stream of dst (same model; stream
   counts may differ), e.g. to fan a primed stream out to many.
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_RANGE. */
FOLKRNN_API int folkrnn_state_copy_stream(folkrnn_state *dst, int dst_stream,
                                          const folkrnn_state *src, int src_stream);

/* Small accessors: the state's model (borrowed), its stream count, and the
   number of steps taken since it was made or reset. */
FOLKRNN_API const folkrnn_model *folkrnn_state_model(const folkrnn_state *s);
FOLKRNN_API int folkrnn_state_nstreams(const folkrnn_state *s);
FOLKRNN_API long folkrnn_state_steps(const folkrnn_state *s);

/* The current vector of one stream: point FOLKRNN_HOOK_HIDDEN (h) or
   FOLKRNN_HOOK_CELL (c, LSTM only) of a layer, or FOLKRNN_HOOK_LOGITS
   (layer ignored) of the last step.  Borrowed, writable (a write changes the
   stream's state), valid until the next step, reset, copy or free.  NULL when
   an argument is out of range (with the calling thread's message set) or, for
   logits, before the first step. */
FOLKRNN_API float *folkrnn_state_vector(folkrnn_state *s, int point, int layer, int stream);

/* ======================================================================
   4. Hooks                                                  lib/state.c
   ====================================================================== */

/* Hook points, in the order they run within a step.  For each layer from 0
   up: the gates after their nonlinearity and before use (LSTM: INGATE,
   FORGETGATE, CELLGATE, OUTGATE; GRU: RESETGATE, UPDATEGATE, then CELLGATE,
   the candidate hidden_update), then CELL (LSTM: c before h is computed from
   it), then HIDDEN (h before it feeds the next layer and the recurrence).
   After the last layer: LOGITS (h W + b, before the softmax), then PROBS
   (the softmax at temperature 1). */
enum folkrnn_hook_point {
    FOLKRNN_HOOK_INGATE = 0,
    FOLKRNN_HOOK_FORGETGATE = 1,
    FOLKRNN_HOOK_CELLGATE = 2,
    FOLKRNN_HOOK_OUTGATE = 3,
    FOLKRNN_HOOK_CELL = 4,
    FOLKRNN_HOOK_HIDDEN = 5,
    FOLKRNN_HOOK_LOGITS = 6,
    FOLKRNN_HOOK_PROBS = 7,
    FOLKRNN_HOOK_RESETGATE = 8,
    FOLKRNN_HOOK_UPDATEGATE = 9
};
#define FOLKRNN_HOOK_NPOINTS 10

/* Lowercase name of a hook point ("ingate", "cellgate", ...), NULL if
   unknown; and the reverse (a point >= 0, or FOLKRNN_E_INVALID). */
FOLKRNN_API const char *folkrnn_hook_point_name(int point);
FOLKRNN_API int folkrnn_hook_point_from_name(const char *name);

/* What a hook is told.  Passed by the library, valid during the call only.
   Fields may be added at the end in later versions (never removed or
   reordered), so a hook must not copy the structure by value. */
typedef struct folkrnn_hook_event {
    int point;  /* FOLKRNN_HOOK_* */
    int layer;  /* 0-based layer; -1 for LOGITS and PROBS */
    int stream; /* stream index within the state */
    long step;  /* 0 for the first step after new/reset */
    int token;  /* the token fed to this stream at this step; -1 for weighted inputs */
    int n;      /* number of values: the layer's units, or the vocabulary size */
} folkrnn_hook_event;

/* A hook reads values[0 .. ev->n) and may change them in place: the rest of
   the step sees the change.  Return 0 to go on; any other value aborts the
   step (folkrnn_state_step returns FOLKRNN_E_HOOK and the state is as it was
   before the step). */
typedef int (*folkrnn_hook_fn)(const folkrnn_hook_event *ev, float *values, void *user);

/* Register fn at point for layer (-1: every layer; ignored for LOGITS and
   PROBS).  Hooks at the same point run in the order added, once per active
   stream.  user is passed back untouched (borrowed).  Returns a hook id
   >= 0, or FOLKRNN_E_INVALID (NULL, unknown point, a point the cell type
   lacks), FOLKRNN_E_RANGE (layer), FOLKRNN_E_NOMEM.  Adding no hooks costs
   nothing: points without hooks are skipped with one test per step. */
FOLKRNN_API int folkrnn_state_add_hook(folkrnn_state *s, int point, int layer,
                                       folkrnn_hook_fn fn, void *user);

/* Remove a hook by id.  Errors: FOLKRNN_E_INVALID (NULL), FOLKRNN_E_RANGE
   (no such hook). */
FOLKRNN_API int folkrnn_state_remove_hook(folkrnn_state *s, int hook_id);

/* ======================================================================
   5. Vocabulary, token text and ABC, bar counting   lib/vocab.c, lib/abc.c, lib/bars.c
   ====================================================================== */

/* ==== end of section 5 ==== */

/* ======================================================================
   6. Sampling, scoring, beam search     lib/rng.c, lib/sample.c, lib/score.c, lib/beam.c
   ====================================================================== */

/* ==== end of section 6 ==== */

/* ======================================================================
   7. Training                                                lib/train*.c
   ====================================================================== */

/* ==== end of section 7 ==== */

/* ======================================================================
   8. Analysis: matrices, spectra, pictures, recording, ablation   lib/an_*.c
   ====================================================================== */

/* ==== end of section 8 ==== */

#ifdef __cplusplus
}
#endif
#endif /* FOLKRNN_H */
