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
   folkrnn_model_free.  On failure *out is NULL.  The file is read whole;
   the model holds no reference to it.
   Errors: FOLKRNN_E_INVALID (NULL argument), FOLKRNN_E_IO, FOLKRNN_E_NOMEM,
   FOLKRNN_E_FORMAT (corrupt or truncated), FOLKRNN_E_UNSUPPORTED (unknown
   global, dtype), FOLKRNN_E_SHAPE (parameter shapes disagree),
   FOLKRNN_E_NUMERIC (a weight is NaN or infinite). */
FOLKRNN_API int folkrnn_model_load(const char *path, folkrnn_model **out);

/* As folkrnn_model_load, from size bytes in memory (borrowed: not kept after
   the call returns).  Same errors but FOLKRNN_E_IO. */
FOLKRNN_API int folkrnn_model_load_buffer(const void *data, size_t size, folkrnn_model **out);

/* Where the default model is: $FOLKRNN_MODEL when set and not empty, else
   the model installed with the library ($(pkgdatadir)/default.safetensors.gz
   of the prefix it was configured for).  The file may not exist (an
   uninstalled build).  Borrowed: a static string or the environment's;
   valid until the environment changes.  Never NULL.  Thread-safe as long
   as no thread changes the environment. */
FOLKRNN_API const char *folkrnn_default_model_path(void);

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

/* Token classes.  A token's class follows from its text alone, so every
   folk-rnn vocabulary (v2, the Swedish model, v3, models without repeats)
   is classified the same way:
     METER    "M:6/8"  (any "M:..." field)     MODE   "K:Cdor" (any "K:...")
     BAR      "|" "|:" ":|" "::" "||" "|]" "[|" and endings "|1" "|2" ":|2" "[1"
     START    "<s>"                            END    "</s>"
     PITCH    [accidental ^ ^^ _ __ =] letter A-G a-g, then any , or '
     DURATION "2" "3/2" "/2" "/" "//" "3/" (a length multiplier, 1..9999)
     BROKEN   [length] then > >> >>> < << or <<< ("2>" is "2" then ">")
     TUPLET   "(3" "(3:2" "(3:2:3"             CHORD  "[" and "]"
     REST     z x Z X                          OTHER  everything else */
enum folkrnn_token_class {
    FOLKRNN_TOKEN_OTHER = 0,
    FOLKRNN_TOKEN_METER = 1,
    FOLKRNN_TOKEN_MODE = 2,
    FOLKRNN_TOKEN_BAR = 3,
    FOLKRNN_TOKEN_START = 4,
    FOLKRNN_TOKEN_END = 5,
    FOLKRNN_TOKEN_PITCH = 6,
    FOLKRNN_TOKEN_DURATION = 7,
    FOLKRNN_TOKEN_BROKEN = 8,
    FOLKRNN_TOKEN_TUPLET = 9,
    FOLKRNN_TOKEN_CHORD = 10,
    FOLKRNN_TOKEN_REST = 11
};
#define FOLKRNN_TOKEN_NCLASSES 12

/* The class of a token text (FOLKRNN_TOKEN_OTHER for NULL or "").  Never
   fails, sets no message.  Thread-safe. */
FOLKRNN_API int folkrnn_token_class(const char *text);

/* Lowercase class name ("meter", "mode", "bar", "start", "end", "pitch",
   "duration", "broken", "tuplet", "chord", "rest", "other"), static; NULL for
   an unknown class.  folkrnn_token_class_from_name is the reverse: a class
   >= 0, or FOLKRNN_E_INVALID (with a message) for an unknown name. */
FOLKRNN_API const char *folkrnn_token_class_name(int cls);
FOLKRNN_API int folkrnn_token_class_from_name(const char *name);

/* The class of token id of a model: >= 0, or FOLKRNN_E_INVALID (NULL m),
   FOLKRNN_E_RANGE (id outside [0, vocab_size)). */
FOLKRNN_API int folkrnn_model_token_class(const folkrnn_model *m, int id);

/* The ids of every token of class cls in the model, in id order: writes at
   most cap of them to ids[cap] (ids may be NULL when cap is 0) and returns how
   many there are, so a call with cap 0 sizes the array (v2: 7 meters, 4
   modes, 5 bars).  Errors: FOLKRNN_E_INVALID (NULL m, ids NULL with cap > 0,
   cap < 0, unknown cls). */
FOLKRNN_API int folkrnn_model_class_ids(const folkrnn_model *m, int cls, int *ids, int cap);

/* The MIDI note number of a pitch token, C = middle C = 60, c = 72, C, = 48,
   c' = 84.  An explicit accidental (^ +1, ^^ +2, _ -1, __ -2, = natural)
   decides alone.  Without one, the letter is read in the key signature of
   mode, a mode token or K: value ("K:Cdor", "Cdor", "C dorian", "Am", "G":
   tonic A-G with # or b, mode maj/ion, min/aeo/m, dor, phr, lyd, mix, loc;
   NULL means C major).  Folk-rnn transcribes every tune in C, so with
   "K:Cdor" the token B sounds B flat (70) and =B B natural (71).  ABC carries
   an accidental on to later notes of the same pitch in the bar: that needs
   the tune around the token and is not applied here.
   Returns 0..127, or FOLKRNN_E_INVALID (NULL text, not a pitch token, mode
   not understood), FOLKRNN_E_RANGE (beyond MIDI 0..127).  Thread-safe. */
FOLKRNN_API int folkrnn_token_midi(const char *text, const char *mode);

/* The length of a duration token as a reduced fraction of the unit note
   length (L:1/8 in folk-rnn): "2" 2/1, "/2" 1/2, "3/2" 3/2, "/8" 1/8,
   "/" 1/2, "3/" 3/2.  Returns FOLKRNN_OK with *num, *den set, or
   FOLKRNN_E_INVALID (NULL argument, not a DURATION token). */
FOLKRNN_API int folkrnn_token_duration(const char *text, int *num, int *den);

/* ---- Vocabularies ----------------------------------------------------- */

/* A vocabulary: token texts by id, with an index for exact and longest-match
   lookup.  Immutable once made: one may be shared by any number of threads.
   Texts and ABC are parsed and rendered, and bars counted, against one. */
typedef struct folkrnn_vocab folkrnn_vocab;

/* A vocabulary of n tokens (texts copied: id k is tokens[k]); they must be
   distinct and non-empty and contain no white space.  Caller frees *out with
   folkrnn_vocab_free.  Errors: FOLKRNN_E_INVALID (NULL, n < 1, an empty,
   duplicate or spaced token, naming it), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_vocab_new(const char *const *tokens, int n, folkrnn_vocab **out);

/* The vocabulary of a model (its ids), copied: the model may be freed
   afterwards.  Errors: as folkrnn_vocab_new. */
FOLKRNN_API int folkrnn_vocab_from_model(const folkrnn_model *m, folkrnn_vocab **out);

/* The folk-rnn v2 vocabulary built into the library: 137 tokens in the
   released model's id order (token2idx of folkrnn_v2.pkl), for working
   without a model.  Errors: FOLKRNN_E_INVALID (NULL out), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_vocab_v2(folkrnn_vocab **out);

/* Free a vocabulary; NULL is a no-op. */
FOLKRNN_API void folkrnn_vocab_free(folkrnn_vocab *v);

/* Its size (FOLKRNN_E_INVALID for NULL); the text of id (borrowed, NULL when
   out of range); the id of an exact text (FOLKRNN_E_RANGE when absent, with
   no message set, so it tests membership; FOLKRNN_E_INVALID for NULL). */
FOLKRNN_API int folkrnn_vocab_size(const folkrnn_vocab *v);
FOLKRNN_API const char *folkrnn_vocab_token(const folkrnn_vocab *v, int id);
FOLKRNN_API int folkrnn_vocab_token_id(const folkrnn_vocab *v, const char *text);

/* ---- Token text and ABC ----------------------------------------------- */

/* A template position the model is to fill ("*" in the text), written to ids
   by the parsers when FOLKRNN_PARSE_WILDCARD is given. */
#define FOLKRNN_WILDCARD (-2)
/* Flags of folkrnn_parse_tokens. */
#define FOLKRNN_PARSE_WILDCARD 1 /* a "*" is FOLKRNN_WILDCARD, not an error */

/* Token text to ids: white space (spaces, tabs, newlines; any number)
   separates words, and each word is cut into tokens by longest match against
   v, so "M:6/8 K:Cdor |: c 2 d", the data_v2 layout (meter line, mode line,
   body line) and compact "GEEE2DEDC|" all read.  A match never spans white
   space.  Writes at most cap ids to ids[cap] and returns how many tokens the
   text holds (like snprintf: call with cap 0 to size, ids may then be NULL).
   flags: 0 or FOLKRNN_PARSE_WILDCARD.
   Errors: FOLKRNN_E_INVALID (NULL v or text, ids NULL with cap > 0, cap < 0,
   unknown flag), FOLKRNN_E_PARSE (text no token matches; the message names
   the character offset, line, column and the text there). */
FOLKRNN_API int folkrnn_parse_tokens(const folkrnn_vocab *v, const char *text, int flags,
                                     int *ids, int cap);

/* An ABC tune (as folkrnn_render_abc writes: header fields and body) or a
   bare ABC body, to ids.  Lines "X:" "T:" and other fields are skipped;
   "M:" gives the vocabulary's meter token ("M:C" is 4/4, "M:C|" 2/2), "K:"
   its mode token ("K:C dorian", "K:Cdor", "K:C" major, "K:Cm" minor), also
   as inline fields "[M:3/4]" "[K:Cdor]"; "%" starts a comment; the body is
   cut by longest match, white space and line ends skipped.  Returns the
   token count as folkrnn_parse_tokens.  flags must be 0.
   Errors: FOLKRNN_E_INVALID (as above), FOLKRNN_E_UNSUPPORTED ("L:" other
   than 1/8), FOLKRNN_E_PARSE (text no token matches, a meter or mode the
   vocabulary lacks; the message names offset, line, column and the text). */
FOLKRNN_API int folkrnn_parse_abc(const folkrnn_vocab *v, const char *text, int flags,
                                  int *ids, int cap);

/* Render ids[n] as token text: the tokens separated by single spaces, no
   line end; FOLKRNN_WILDCARD ids as "*".  Writes at most cap bytes to buf
   including a terminating NUL (always written when cap > 0) and returns the
   length of the whole text without the NUL (like snprintf: call with cap 0
   to size; buf may then be NULL).
   Errors: FOLKRNN_E_INVALID (NULL v, ids NULL with n > 0, n < 0, buf NULL
   with cap > 0), FOLKRNN_E_RANGE (an id outside the vocabulary, naming its
   position). */
FOLKRNN_API int folkrnn_render_tokens(const folkrnn_vocab *v, const int *ids, int n,
                                      char *buf, size_t cap);

/* Render ids[n] as a complete ABC 2.1 tune that abc2midi and abcm2ps read:
     X:number
     T:title            (NULL title: "folkrnn tune <number>")
     L:1/8
     M:6/8              one line per meter or mode token before the body,
     K:Cdor             as the token says ("K:C" when there is no mode token)
     |: c | f3/2a/2cf2a | ...    the body, ending with a line end
   Body tokens are joined without spaces (folk-rnn's reading), bar lines
   stand between spaces, and a space separates two tokens whenever joining
   them would read back differently.  A line ends after 4 bar lines or 60
   characters, at a bar line (before "|2" rather than after it).  Later
   meter and mode tokens become inline fields "[M:3/4]" "[K:Cmix]"; "<s>"
   and "</s>" are left out.
   folkrnn_parse_abc gives the ids back (without "<s>"/"</s>", and with a
   mode token for the "K:C" line when there was none).  Output as in
   folkrnn_render_tokens.  Errors: as folkrnn_render_tokens
   (FOLKRNN_WILDCARD is out of range here). */
FOLKRNN_API int folkrnn_render_abc(const folkrnn_vocab *v, const int *ids, int n, int number,
                                   const char *title, char *buf, size_t cap);

/* ---- Bar counting ------------------------------------------------------ */

/* The bars of a tune, their lengths and the faults found on the way. */
typedef struct folkrnn_bars folkrnn_bars;

/* What a bar is.  A bar is the music between two bar tokens (or the tune's
   ends); stretches without notes or rests (before a leading "|:", between
   ":|" and "|2") are no bars.  Its length is exact, in unit lengths (1/8),
   and is compared with the meter in force: M:a/b asks for 8a/b units.
   A bar shorter than the meter is a pickup (anacrusis) when it opens the
   tune or a part (after |: :| :: || |]), and a closing bar when it ends one
   (before :| :: || |] |: or the end) and adds up to a full bar with the
   pickup of its own part, of the next part or of the tune. */
enum folkrnn_bar_kind {
    FOLKRNN_BAR_WRONG = 0,    /* length differs from the meter */
    FOLKRNN_BAR_FULL = 1,     /* length equals the meter */
    FOLKRNN_BAR_PICKUP = 2,   /* a short bar opening the tune or a part */
    FOLKRNN_BAR_CLOSING = 3,  /* a short bar completing a pickup */
    FOLKRNN_BAR_UNMETERED = 4 /* no meter token came before it */
};

/* Structural faults, as bits of folkrnn_bars_faults' mask.  The first four
   are what abc2midi reports as errors on corpus tunes. */
enum folkrnn_fault {
    FOLKRNN_FAULT_REPEAT_UNCLOSED = 1 << 0, /* "|:" with no ":|" before the next "|:" or the end */
    FOLKRNN_FAULT_ENDING_UNCLOSED = 1 << 1, /* "|1" not closed (":|" "::" "||" "|]" "|:")
                                               before "|2" or the end, or "|2" not
                                               closed before the next "|1" */
    FOLKRNN_FAULT_ENDING_NO_START = 1 << 2, /* "|1" in a part after ":|" with no "|:" opening it
                                               (before any "|2": abc2midi's rule) */
    FOLKRNN_FAULT_BROKEN_UNEQUAL = 1 << 3,  /* broken rhythm between notes of unequal length
                                               (the middle note of a>b>c as changed by a>b) */
    FOLKRNN_FAULT_BROKEN_DANGLING = 1 << 4, /* broken rhythm without a note on both sides,
                                               or inside a chord */
    FOLKRNN_FAULT_DURATION_DANGLING = 1 << 5, /* a length with no note before it */
    FOLKRNN_FAULT_TUPLET_INCOMPLETE = 1 << 6, /* a tuplet with fewer notes than it needs */
    FOLKRNN_FAULT_CHORD = 1 << 7,       /* "[" unclosed, nested or empty, "]" unopened,
                                           a bar line inside a chord */
    FOLKRNN_FAULT_NO_METER = 1 << 8,    /* bars before any meter token */
    FOLKRNN_FAULT_UNKNOWN_TOKEN = 1 << 9, /* a token of class OTHER in the body */
    FOLKRNN_FAULT_OVERFLOW = 1 << 10    /* a length too large to keep exactly */
};

/* Count the bars of ids[n] (ids of v; "<s>" and everything from "</s>" on
   are skipped).  Never fails on the content: any token sequence gives a
   result, its oddities recorded as faults.  Lengths follow ABC 2.1: a
   length token multiplies the note, rest or chord before it; a>b makes
   the first note 3/2 and the second 1/2 of their length (>> 7/4 and 1/4,
   >>> 15/8 and 1/8; < the other way round); "(p:q:r" puts the next r notes
   (default p) into the time of q (default: 3 for (2 (4 (8, 2 for (3 (6,
   and for (5 (7 (9 3 in compound meters 6/8 9/8 12/8, else 2); a chord lasts
   as long as its first note, times the length after "]"; z x rests as
   notes, Z X a whole bar each (times a length).
   Caller frees *out with folkrnn_bars_free.
   Errors: FOLKRNN_E_INVALID (NULL v or out, ids NULL with n > 0, n < 0),
   FOLKRNN_E_RANGE (an id outside the vocabulary), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_bars_count(const folkrnn_vocab *v, const int *ids, int n,
                                   folkrnn_bars **out);

/* Free a result; NULL is a no-op. */
FOLKRNN_API void folkrnn_bars_free(folkrnn_bars *b);

/* Totals: bars counted, and correct ones (FULL, PICKUP, CLOSING) ; *share =
   correct / bars (0 for no bars).  Any output pointer may be NULL.
   Errors: FOLKRNN_E_INVALID (NULL b). */
FOLKRNN_API int folkrnn_bars_summary(const folkrnn_bars *b, int *nbars, int *ncorrect,
                                     double *share);

/* Bar i (0 <= i < nbars): tokens [*first, *end) (*end is its closing bar
   token, or the index of "</s>", or n), its kind (FOLKRNN_BAR_*), its length *num / *den and the
   meter's *meter_num / *meter_den, both in unit lengths, reduced (meter 0/1
   when unmetered).  Any output pointer may be NULL.
   Errors: FOLKRNN_E_INVALID (NULL b), FOLKRNN_E_RANGE (i). */
FOLKRNN_API int folkrnn_bars_bar(const folkrnn_bars *b, int i, int *first, int *end, int *kind,
                                 long *num, long *den, long *meter_num, long *meter_den);

/* The mask of every fault found (0: none), or FOLKRNN_E_INVALID for NULL. */
FOLKRNN_API int folkrnn_bars_faults(const folkrnn_bars *b);

/* Fault occurrences in token order: their number (FOLKRNN_E_INVALID for
   NULL), and occurrence i: *kind (one FOLKRNN_FAULT_* bit) and *token, the
   index of the token where it shows (n for the end of the tune).
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_RANGE (i). */
FOLKRNN_API int folkrnn_bars_nfaults(const folkrnn_bars *b);
FOLKRNN_API int folkrnn_bars_fault(const folkrnn_bars *b, int i, int *kind, int *token);

/* Name of a bar kind ("wrong", "full", "pickup", "closing", "unmetered"),
   static; NULL for anything else. */
FOLKRNN_API const char *folkrnn_bar_kind_name(int kind);

/* Name of one fault bit ("repeat-unclosed", "ending-unclosed",
   "ending-no-start", "broken-unequal", "broken-dangling", "duration-dangling",
   "tuplet-incomplete", "chord", "no-meter", "unknown-token", "overflow"),
   static; NULL for anything else. */
FOLKRNN_API const char *folkrnn_fault_name(int fault);

/* ==== end of section 5 ==== */

/* ======================================================================
   6. Sampling, scoring, beam search     lib/rng.c, lib/sample.c, lib/score.c, lib/beam.c
   ====================================================================== */

/* ---- 6.1 Random numbers (lib/rng.c) -----------------------------------

   Two generators, both reproducible on every platform:
   - FOLKRNN_RNG_NUMPY: MT19937 seeded exactly as numpy.random.RandomState(seed)
     (init_genrand(seed), seed in [0, 2^32)); folkrnn_rng_uniform is
     RandomState.random_sample() (two 32-bit draws a, b: ((a >> 5) * 2^26 +
     (b >> 6)) / 2^53) and folkrnn_rng_choice is RandomState.choice(n, p=p)
     with replacement and size None, as numpy 1.x (and 2.x) implements it:
     p is converted to float64, cdf = cumsum(p) (sequential float64 sums),
     cdf /= cdf[-1], u = one random_sample(), index = searchsorted(cdf, u,
     side='right'), i.e. the first i with cdf[i] > u.  numpy refuses p with
     a NaN, a negative entry, or a Kahan sum differing from 1 by more than
     atol = max(sqrt(eps(float64)), sqrt(eps(p.dtype))) = 3.4527e-4 for
     float32 p; this kind refuses the same p.
   - FOLKRNN_RNG_DEFAULT: xoshiro256** (Blackman and Vigna, 2018), its four
     64-bit state words filled by four successive outputs of splitmix64
     started at seed.  Uniform doubles are (x >> 11) * 2^-53, choice uses the
     same cumulative rule as above (normalised by the total, so p need not
     sum to 1; it must be finite, non-negative and not all zero).
   A generator is used by one thread at a time. */

typedef struct folkrnn_rng folkrnn_rng;

enum folkrnn_rng_kind {
    FOLKRNN_RNG_DEFAULT = 0, /* xoshiro256** seeded by splitmix64 */
    FOLKRNN_RNG_NUMPY = 1    /* MT19937 as numpy.random.RandomState */
};

/* A new generator of kind seeded with seed.  Caller frees *out with
   folkrnn_rng_free.  Errors: FOLKRNN_E_INVALID (NULL out, unknown kind, a
   numpy seed of 2^32 or more, as numpy refuses), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_rng_new(int kind, unsigned long long seed, folkrnn_rng **out);

/* Seed again, as a new generator would be.  Errors: as folkrnn_rng_new. */
FOLKRNN_API int folkrnn_rng_seed(folkrnn_rng *r, unsigned long long seed);

/* Free a generator.  NULL is a no-op. */
FOLKRNN_API void folkrnn_rng_free(folkrnn_rng *r);

/* A uniform double in [0, 1) with 53 random bits; NaN for a NULL r. */
FOLKRNN_API double folkrnn_rng_uniform(folkrnn_rng *r);

/* Draw an index in [0, n) with probabilities p[n] (see above; one uniform
   draw per call).  Returns the index, or FOLKRNN_E_INVALID (NULL, n < 1, a
   negative entry, all zero, or for the numpy kind a sum too far from 1),
   FOLKRNN_E_NUMERIC (a NaN or infinite entry); the generator does not
   advance on failure. */
FOLKRNN_API int folkrnn_rng_choice(folkrnn_rng *r, const float *p, int n);

/* ---- 6.2 Sampling tunes (lib/sample.c) --------------------------------

   A sampler holds a model (borrowed), a state and every setting of how tunes
   are drawn; it is configured with setters, each of which may be called at
   any time between draws, and draws with folkrnn_sample.  A tune is the
   token sequence after <s>: the opening (meter, mode, prime, template; see
   below) and what the model adds, up to </s> (not part of the tune) or the
   maximum length.

   How one token is chosen, at position pos of the tune (0 = right after
   <s>), from the logits of the step that fed the previous token:
     1. A position the opening forces takes its token; nothing is drawn.
     2. z = logits + bias (per token plus the bias of its class, FOLKRNN_TOKEN_*).
     3. Forbidden tokens get z = -inf: suppression windows covering pos, the
        class restrictions of an opening (see folkrnn_sampler_set_meter), and
        </s> at '*' positions of a template.
     4. p = softmax(z / T), T the temperature.
     5. top-k keeps the k most probable tokens (ties: lower id first), then
        top-p keeps the smallest set of most probable ones whose mass reaches
        top_p; the rest get p = 0 (and, numpy kind, p /= sum(p) in float32).
     6. One draw of folkrnn_rng_choice(p).
   The tune ends after </s> or when it holds max_len tokens (folk-rnn's rule:
   it stops once the sequence with <s> is longer than 1000 tokens, i.e.
   max_len 1000; a tune cut there keeps all its tokens and ended is 0, where
   folk-rnn's printout drops the last one, taking it for </s>).

   folk-rnn compatibility (FOLKRNN_RNG_NUMPY).  With no bias, suppression,
   top-k/top-p or template, the sampler repeats sample-rnn-fast.py's loop:
   one RandomState(seed) for all tunes, drawn one after the other; the prime
   fed without draws; p computed in float32 as that script does: z / T in
   float32 (T rounded to float32), exp in float32 WITHOUT subtracting the
   maximum (the C library's expf, which is what numpy <= 1.16, the last
   numpy of that Python 2 script, used; numpy >= 1.17 has its own SIMD
   float32 exp on AVX2/AVX512 machines, up to 2.5 ulp away, and so differs
   at near-ties), the sum of the 137 values in numpy's pairwise order, the
   quotient in float32 (all zero: one-hot at the first maximum, as the
   script does; an overflow to infinity gives NaN, on which numpy's choice
   fails, and so does folkrnn_sample, with FOLKRNN_E_NUMERIC); then
   RandomState.choice as above (which sums in float64 whatever p's type).
   sample_rnn.py (Theano, float64 throughout, and no length limit in its
   last version) draws from the same RNG stream the same way; its
   probabilities differ from sample-rnn-fast.py's only in the last float32
   bits, so it gives the same tokens but at near-ties.  The library's
   forward pass is float32 through BLAS, so its logits can differ from
   numpy's in the last bits too: a token then differs only when a uniform
   draw falls that close to a cdf boundary, for last-bit differences about
   one draw in a million (tests/sample_ref.py searched a seed out where one
   does, to pin the arithmetic above down).  Tunes in this mode are inherently sequential (tune k+1 starts
   where tune k's draws ended): the sampler uses stream 0 of its state only.

   Default kind.  Tune k (counted from 0 since the seed was last set, over
   all folkrnn_sample calls) draws from its own generator seeded with
   seed + k, so a tune is reproducible from its seed alone: tune 2 of seed 5
   is tune 0 of seed 7.  All streams of the state sample tunes at once (one
   matrix product per layer per step for all of them); a stream that
   finishes a tune starts the next pending one.

   Thread-safety: a sampler is used by one thread at a time; any number of
   samplers may share a model. */

typedef struct folkrnn_sampler folkrnn_sampler;

/* A new sampler of m (borrowed: must outlive the sampler) with one stream,
   temperature 1, seed 42, the default generator, no opening, no bias or
   suppression, top-k and top-p off, max_len 1000.  m must have the tokens
   <s> and </s>.  Caller frees *out with folkrnn_sampler_free.
   Errors: FOLKRNN_E_INVALID (NULL, no <s> or </s>), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_sampler_new(const folkrnn_model *m, folkrnn_sampler **out);

/* Free a sampler and its state.  NULL is a no-op. */
FOLKRNN_API void folkrnn_sampler_free(folkrnn_sampler *s);

/* The sampler's state (borrowed, valid until folkrnn_sampler_set_streams or
   free), e.g. to add hooks that intervene while tunes are drawn.  Hook
   events carry the state's step count, which is not a tune position. */
FOLKRNN_API folkrnn_state *folkrnn_sampler_state(folkrnn_sampler *s);

/* Number of streams (tunes drawn at once by the default kind; the numpy
   kind uses one).  Replaces the state: hooks added to the old one are gone.
   Errors: FOLKRNN_E_INVALID (NULL, n < 1), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_sampler_set_streams(folkrnn_sampler *s, int n);

/* Temperature T > 0 (finite).  Errors: FOLKRNN_E_INVALID. */
FOLKRNN_API int folkrnn_sampler_set_temperature(folkrnn_sampler *s, double t);

/* Generator kind and seed; both restart the tune count and the generator.
   Errors: FOLKRNN_E_INVALID (NULL, unknown kind, numpy seed >= 2^32). */
FOLKRNN_API int folkrnn_sampler_set_rng(folkrnn_sampler *s, int kind);
FOLKRNN_API int folkrnn_sampler_set_seed(folkrnn_sampler *s, unsigned long long seed);

/* The opening of every tune, in this order: the meter token, the mode
   token, the prime tokens, then the template items.  Each setter replaces
   its own part (n = 0 or token -1 clears it); arrays are copied.
   - meter, mode: tokens of class FOLKRNN_TOKEN_METER / FOLKRNN_TOKEN_MODE.
     With only a mode set, the model chooses the first token among meter
     tokens; with only a meter, the second among mode tokens (folkrnn.org's
     header: meter then mode).
   - prime: forced tokens (folk-rnn's --seed "M:6/8 K:Cdor").
   - template: token ids, or FOLKRNN_WILDCARD (section 5: "*" in token text)
     where the model chooses (folkrnn.org); </s> is forbidden at
     FOLKRNN_WILDCARD positions, so the tune
     holds at least the whole template.  After the opening the model is free.
   Errors: FOLKRNN_E_INVALID (NULL, n < 0, meter/mode of the wrong class,
   <s> or </s> in a prime or template), FOLKRNN_E_RANGE
   (a token id out of range), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_sampler_set_meter(folkrnn_sampler *s, int token);
FOLKRNN_API int folkrnn_sampler_set_mode(folkrnn_sampler *s, int token);
FOLKRNN_API int folkrnn_sampler_set_prime(folkrnn_sampler *s, const int *tokens, int n);
FOLKRNN_API int folkrnn_sampler_set_template(folkrnn_sampler *s, const int *items, int n);

/* Logit bias: delta is added to the logit of token (or of every token of
   class cls, FOLKRNN_TOKEN_*) at every drawn position; a token's bias and
   its class's add up.  Setting replaces the previous delta (0 removes it).
   By Sturm's formula a logit change delta takes p to
   p e^delta / (1 - p + p e^delta).  Errors: FOLKRNN_E_INVALID (NULL, delta
   not finite, unknown class), FOLKRNN_E_RANGE (token). */
FOLKRNN_API int folkrnn_sampler_bias_token(folkrnn_sampler *s, int token, double delta);
FOLKRNN_API int folkrnn_sampler_bias_class(folkrnn_sampler *s, int cls, double delta);

/* Suppression windows: token (or every token of class cls) is forbidden at
   tune positions from <= pos < to (to = -1: to the end), e.g. Sturm's "no
   bar lines for 50 steps" or "no </s> before position 200".  Windows add
   up; folkrnn_sampler_clear_suppress removes them all.  Forced tokens of
   the opening are never suppressed.  A position where every token is
   forbidden makes folkrnn_sample fail with FOLKRNN_E_INVALID.
   Errors: FOLKRNN_E_INVALID (NULL, from < 0, to <= from and not -1, unknown
   class), FOLKRNN_E_RANGE (token), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_sampler_suppress_token(folkrnn_sampler *s, int token, long from, long to);
FOLKRNN_API int folkrnn_sampler_suppress_class(folkrnn_sampler *s, int cls, long from, long to);
FOLKRNN_API int folkrnn_sampler_clear_suppress(folkrnn_sampler *s);

/* top-k (k >= 0; 0 = off) and top-p (0 < p <= 1; 1 = off).
   Errors: FOLKRNN_E_INVALID. */
FOLKRNN_API int folkrnn_sampler_set_top_k(folkrnn_sampler *s, int k);
FOLKRNN_API int folkrnn_sampler_set_top_p(folkrnn_sampler *s, double p);

/* Maximum tune length in tokens (>= 1; default 1000, folk-rnn's).
   Errors: FOLKRNN_E_INVALID. */
FOLKRNN_API int folkrnn_sampler_set_max_len(folkrnn_sampler *s, int n);

/* Tunes drawn by folkrnn_sample. */
typedef struct folkrnn_tunes folkrnn_tunes;

/* Draw ntunes (>= 1) tunes.  The sampler's state is reset first (its
   streams are overwritten; hooks stay).  *out: caller frees with
   folkrnn_tunes_free; NULL on failure, after which the generator has
   advanced by an unspecified amount (set the seed again to start over).
   Errors: FOLKRNN_E_INVALID (NULL, ntunes < 1, every token forbidden at
   some position), FOLKRNN_E_NUMERIC (numpy kind: probabilities NaN, where
   folk-rnn fails too), FOLKRNN_E_HOOK, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_sample(folkrnn_sampler *s, int ntunes, folkrnn_tunes **out);

/* Number of tunes; -1 for NULL. */
FOLKRNN_API int folkrnn_tunes_count(const folkrnn_tunes *t);
/* Tune k's token ids, without <s> and </s>: *len tokens, borrowed from t.
   NULL (and *len 0) when k is out of range. */
FOLKRNN_API const int *folkrnn_tunes_tokens(const folkrnn_tunes *t, int k, int *len);
/* 1 when tune k ended with </s>, 0 when cut at max_len; -1 out of range. */
FOLKRNN_API int folkrnn_tunes_ended(const folkrnn_tunes *t, int k);
/* Free; NULL is a no-op. */
FOLKRNN_API void folkrnn_tunes_free(folkrnn_tunes *t);

/* ---- 6.3 Scoring tunes (lib/score.c) ----------------------------------

   Teacher forcing: each tune is fed as <s> x_0 x_1 ... and scored by
   log p(x_i | <s>, x_<i) at temperature 1, natural logarithms, plus
   log p(</s> | <s>, x) unless FOLKRNN_SCORE_NO_END.  The log-probabilities
   are computed in double from the step's logits (logit - max -
   log sum exp(logits - max)), after the state's LOGITS hooks.  Perplexity
   per token is exp(-loglik / scored tokens). */

#define FOLKRNN_SCORE_NO_END 1 /* flag: do not score the closing </s> */

/* Score ntunes tunes given back to back in tokens (tune k is lengths[k] >= 0
   ids, without <s> and </s>, starting at sum of lengths[0..k)).  All
   streams of s work at once, a stream taking the next tune when it
   finishes one; s is reset first and its streams are left overwritten, its
   hooks apply (e.g. ablations).  loglik[ntunes] receives each tune's
   total; token_logprobs, when not NULL, receives every scored token's
   log-probability back to back: per tune lengths[k] values, plus one for
   </s> without FOLKRNN_SCORE_NO_END.
   Errors: FOLKRNN_E_INVALID (NULL, ntunes < 1, a negative length, unknown
   flag, the model lacks <s> or </s>), FOLKRNN_E_RANGE (a token id),
   FOLKRNN_E_HOOK, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_score(folkrnn_state *s, const int *tokens, const int *lengths,
                              int ntunes, int flags, double *loglik, double *token_logprobs);

/* ---- 6.4 Beam search (lib/beam.c) -------------------------------------

   Sturm's search over the joint distribution of the next n tokens after a
   context (parts 11-12 of "Making sense of the folk-rnn v2 model"): a tree
   whose root is the state after <s> + context; every node expands only its
   `width` most probable children (ties: lower id first), and a child whose
   joint probability is below `floor` is pruned with its whole subtree.  A
   leaf is a path of n tokens, or a shorter one ending with </s>.

   Mass accounting (joint probabilities in double, at temperature T):
     visited      sum of the leaves' joint probabilities;
     outside_beam sum over expanded nodes of P(node) * (1 - the conditional
                  probabilities of its kept children): mass of the branches
                  not among the `width` best;
     below_floor  sum of the joint probabilities of the kept children
                  pruned for falling below the floor (their subtrees).
   Every path of n tokens lies in exactly one of these three sets, so
   visited + outside_beam + below_floor = 1 up to rounding (about 1e-12);
   the unvisited mass Sturm plots is outside_beam + below_floor. */

typedef struct folkrnn_beam_opts {
    size_t size;           /* sizeof(folkrnn_beam_opts), set by _init */
    int depth;             /* n >= 1 tokens; default 2 */
    int width;             /* children kept per node; 0 (default): from width_fraction */
    double width_fraction; /* of the vocabulary, rounded up (0.05 of 137 = 7,
                              0.1 = 14, 0.2 = 28); default 0.1 */
    double floor;          /* joint probability floor; default 1e-6; 0: none */
    double temperature;    /* default 1 */
} folkrnn_beam_opts;

/* Set opts to the defaults (and opts->size).  NULL is a no-op.  The library
   reads only the first opts->size bytes, so programs built against an older,
   shorter folkrnn_beam_opts keep working when fields are appended. */
FOLKRNN_API void folkrnn_beam_opts_init(folkrnn_beam_opts *opts);

typedef struct folkrnn_beam folkrnn_beam;

/* Search after context[ncontext] (tokens after <s>; ncontext may be 0).
   opts NULL: the defaults.  *out: caller frees with folkrnn_beam_free.
   Work grows as width^depth: width 28 and depth 4 with no floor is 600,000
   leaves.  Errors: FOLKRNN_E_INVALID (NULL m or out, a bad option, opts->size
   below the first version's: _init not called, no <s>/</s> in the model),
   FOLKRNN_E_RANGE (a context token), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_beam_search(const folkrnn_model *m, const int *context, int ncontext,
                                    const folkrnn_beam_opts *opts, folkrnn_beam **out);

/* Number of leaves (most probable first); -1 for NULL. */
FOLKRNN_API int folkrnn_beam_count(const folkrnn_beam *b);
/* Leaf i: its tokens (borrowed, *len of them, </s> included when it ends
   there) and joint probability (*prob).  NULL when i is out of range. */
FOLKRNN_API const int *folkrnn_beam_leaf(const folkrnn_beam *b, int i, int *len, double *prob);
/* The mass accounting above; any pointer may be NULL.
   Errors: FOLKRNN_E_INVALID (NULL b). */
FOLKRNN_API int folkrnn_beam_mass(const folkrnn_beam *b, double *visited, double *outside_beam,
                                  double *below_floor);
/* Free; NULL is a no-op. */
FOLKRNN_API void folkrnn_beam_free(folkrnn_beam *b);

/* ==== end of section 6 ==== */

/* ======================================================================
   7. Training                                                lib/train*.c
   ====================================================================== */

/* Training follows folk-rnn's recipe (config5 of the folk-rnn repository)
   unless told otherwise; doc/training.md explains each choice.  A trainer
   is configured with options and data, then runs; it never prints: progress
   goes to a callback.

   The loss of a batch is the mean over its tunes of each tune's summed
   negative log-likelihood (natural log) of its tokens and </s>, the input
   being <s> and the tokens.  Reported losses "per token" are the summed NLL
   divided by the number of predicted tokens.

   Threads: a trainer is used by one thread at a time; trainers in different
   threads are independent (but share OpenBLAS's thread setting, see
   FOLKRNN_TRAIN_THREADS).  folkrnn_model_loss_grad only reads m. */

typedef struct folkrnn_trainer folkrnn_trainer;

/* Numeric options (folkrnn_trainer_set).  Defaults in brackets. */
enum folkrnn_train_option {
    FOLKRNN_TRAIN_CELL = 0,          /* FOLKRNN_CELL_LSTM or _GRU [LSTM] */
    FOLKRNN_TRAIN_LAYERS,            /* recurrent layers [3] */
    FOLKRNN_TRAIN_UNITS,             /* units per layer [512] */
    FOLKRNN_TRAIN_DROPOUT,           /* dropout probability after each layer, [0, 1) [0.5] */
    FOLKRNN_TRAIN_EPOCHS,            /* epochs to reach (counted from the start) [100] */
    FOLKRNN_TRAIN_BATCH_SIZE,        /* tunes per batch [64] */
    FOLKRNN_TRAIN_LEARNING_RATE,     /* RMSProp learning rate [0.003] */
    FOLKRNN_TRAIN_LR_DECAY,          /* factor applied after each epoch past DECAY_AFTER [0.97] */
    FOLKRNN_TRAIN_LR_DECAY_AFTER,    /* decay after epoch e (0-based) when e > this [20] */
    FOLKRNN_TRAIN_RMS_RHO,           /* RMSProp rho [0.9] */
    FOLKRNN_TRAIN_RMS_EPSILON,       /* RMSProp epsilon [1e-6] */
    FOLKRNN_TRAIN_GRAD_CLIP,         /* Lasagne grad_clipping, 0 = none [5] */
    FOLKRNN_TRAIN_FORGET_BIAS,       /* initial LSTM forget-gate bias [5] */
    FOLKRNN_TRAIN_SEED,              /* seed of initialisation, batch order, dropout,
                                        an integer in [0, 2^53) [1] */
    FOLKRNN_TRAIN_THREADS,           /* BLAS threads, 0 = leave as they are [0]; with
                                        OpenBLAS this sets its process-wide thread
                                        count during folkrnn_trainer_run and restores
                                        it afterwards */
    FOLKRNN_TRAIN_VALID_FRACTION,    /* share of tunes held out for validation [0.05] */
    FOLKRNN_TRAIN_SPLIT_SEED,        /* numpy RandomState seed of the split [42] */
    FOLKRNN_TRAIN_MAX_TUNE_TOKENS,   /* leave out longer tunes, 0 = keep all [0] */
    FOLKRNN_TRAIN_MAX_POSITIONS,     /* memory bound: a batch with more (tune, step)
                                        positions is computed in parts, with the
                                        same result [16384] */
    FOLKRNN_TRAIN_CHECKPOINT_BATCHES,/* checkpoint every N batches, 0 = not by count [0] */
    FOLKRNN_TRAIN_CHECKPOINT_SECONDS /* checkpoint every N seconds of training, 0 = not
                                        by time [600]; also at each epoch's end */
};

/* A new trainer with the defaults above and no data.  Caller frees with
   folkrnn_trainer_free.  Errors: FOLKRNN_E_INVALID (NULL), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_trainer_new(folkrnn_trainer **out);

/* Free a trainer and everything it owns, the model included (take it with
   folkrnn_trainer_take_model first to keep it).  NULL is a no-op. */
FOLKRNN_API void folkrnn_trainer_free(folkrnn_trainer *t);

/* Set a numeric option.  Architecture options (CELL, LAYERS, UNITS,
   FORGET_BIAS) cannot change once the trainer has a model, and data options
   (VALID_FRACTION, SPLIT_SEED, MAX_TUNE_TOKENS, BATCH_SIZE) once data is
   set; after folkrnn_trainer_resume only EPOCHS, THREADS, MAX_POSITIONS and
   the checkpoint intervals may change (the recipe is the checkpoint's).
   Errors: FOLKRNN_E_INVALID (NULL, unknown option, value outside its
   domain, or too late, each named in the message). */
FOLKRNN_API int folkrnn_trainer_set(folkrnn_trainer *t, int option, double value);

/* The current value of an option (NaN for an unknown option or NULL t). */
FOLKRNN_API double folkrnn_trainer_get(const folkrnn_trainer *t, int option);

/* The training data: a text of tunes separated by blank lines, tokens
   separated by blanks (spaces, tabs), as folk-rnn's data_v2.  The trainer
   adds <s> before and </s> after each tune.  Token ids follow vocab[nvocab]
   (e.g. folkrnn_v2_vocab.txt, so ids match the released v2 model; may be
   NULL/0), then <s> and </s> if missing, then tokens the data brings in
   order of first appearance.  When the trainer already has a model
   (folkrnn_trainer_set_model or resume), the model's vocabulary is used and
   vocab must be NULL.  name is used in messages ("data.txt:12: ...") and
   provenance; text is copied.  May be called once.
   Errors: FOLKRNN_E_INVALID (NULL, called twice, vocab given with a model),
   FOLKRNN_E_PARSE (control bytes, <s> or </s> inside a tune, a token outside
   a model's vocabulary, no tunes: each with the line),
   FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_trainer_set_data(folkrnn_trainer *t, const char *text, size_t len,
                                         const char *name, const char *const *vocab, int nvocab);

/* As folkrnn_trainer_set_data from files: data_path, and vocab_path (one
   token per line; NULL for none).  Errors: as set_data, plus FOLKRNN_E_IO,
   FOLKRNN_E_PARSE for an empty line, blank inside a token or duplicate in
   the vocabulary file. */
FOLKRNN_API int folkrnn_trainer_set_data_file(folkrnn_trainer *t, const char *data_path,
                                              const char *vocab_path);

/* Fine-tune: train a copy of m (one-hot input only) instead of a freshly
   initialised model; architecture options are taken from m.  Call before
   the data.  m stays the caller's.
   Errors: FOLKRNN_E_INVALID (NULL, data or model already set),
   FOLKRNN_E_UNSUPPORTED (dense embedding), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_trainer_set_model(folkrnn_trainer *t, const folkrnn_model *m);

/* Where to write checkpoints (copied); NULL for none.  A checkpoint is
   written atomically (temporary file, fsync, rename) every
   CHECKPOINT_BATCHES batches / CHECKPOINT_SECONDS seconds and after every
   epoch, and holds everything needed to continue bit for bit: weights,
   RMSProp state, learning rate, position in the epoch, losses so far, the
   options and the data's SHA-256.  Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_trainer_set_checkpoint(folkrnn_trainer *t, const char *path);

/* Continue from a checkpoint: loads the model, optimiser state, options and
   position.  Call before setting data (the data must then have the
   checkpoint's SHA-256); options set afterwards (EPOCHS, THREADS,
   checkpointing) override the checkpoint's.  Given the same data and
   threads = 1, a resumed run ends with exactly the weights of an
   uninterrupted one.
   Errors: FOLKRNN_E_INVALID (NULL, model or data already set), FOLKRNN_E_IO,
   FOLKRNN_E_FORMAT (not a checkpoint, truncated or corrupt: checksum
   mismatch, named in the message), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_trainer_resume(folkrnn_trainer *t, const char *checkpoint_path);

/* Write a checkpoint now (e.g. after folkrnn_trainer_run was stopped by the
   callback).  Errors: FOLKRNN_E_INVALID (no model yet), FOLKRNN_E_IO,
   FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_trainer_save_checkpoint(folkrnn_trainer *t, const char *path);

/* Progress events. */
enum folkrnn_train_event {
    FOLKRNN_TRAIN_EVENT_BATCH = 0,      /* a batch was trained */
    FOLKRNN_TRAIN_EVENT_EPOCH = 1,      /* an epoch ended and was validated */
    FOLKRNN_TRAIN_EVENT_CHECKPOINT = 2  /* a checkpoint was written */
};

/* What the progress callback is told; valid during the call.  Fields are
   only ever appended, so do not copy the structure by value. */
typedef struct folkrnn_train_progress {
    int event;                 /* FOLKRNN_TRAIN_EVENT_* */
    int epoch;                 /* current epoch, 0-based */
    int epochs;                /* epochs to reach */
    long batch;                /* batches done in this epoch */
    long batches;              /* batches per epoch */
    double batch_loss;         /* BATCH: mean over tunes of summed NLL */
    double batch_token_loss;   /* BATCH: NLL per token of the batch */
    double train_token_loss;   /* NLL per token over the epoch so far (dropout on) */
    double valid_token_loss;   /* EPOCH: validation NLL per token (dropout off); NaN if none */
    double valid_loss;         /* EPOCH: validation mean over tunes of summed NLL; NaN if none */
    double learning_rate;      /* learning rate in use */
    double tokens_per_second;  /* training throughput of this run */
    double elapsed_seconds;    /* training time, resumed runs included */
    double eta_seconds;        /* estimated time to the last epoch's end */
    const char *checkpoint;    /* CHECKPOINT: path written */
} folkrnn_train_progress;

/* Return 0 to go on; non-zero stops folkrnn_trainer_run at once (no
   checkpoint is written: call folkrnn_trainer_save_checkpoint for one). */
typedef int (*folkrnn_train_progress_fn)(const folkrnn_train_progress *p, void *user);

/* Install the progress callback (NULL for none); user is passed back. */
FOLKRNN_API int folkrnn_trainer_set_progress(folkrnn_trainer *t, folkrnn_train_progress_fn fn,
                                             void *user);

/* Train until EPOCHS epochs are done.  Builds and initialises the model
   first if there is none.  After each epoch the model's metadata holds the
   provenance (doc/training.md): training.data_sha256, training.recipe
   (JSON), training.epochs, training.losses_train and training.losses_valid
   (JSON arrays, NLL per token per epoch), training.wall_seconds, ...
   Errors: FOLKRNN_E_INVALID (no data; data differs from a checkpoint's),
   FOLKRNN_E_NOMEM, FOLKRNN_E_IO (checkpoint), FOLKRNN_E_NUMERIC (the loss
   became NaN or infinite: the learning rate is too high),
   FOLKRNN_E_HOOK (the callback asked to stop; the trainer can run again
   or save a checkpoint). */
FOLKRNN_API int folkrnn_trainer_run(folkrnn_trainer *t);

/* The model being trained, borrowed (NULL before run/resume/set_model).
   Read it between runs, or from the callback of the same thread. */
FOLKRNN_API folkrnn_model *folkrnn_trainer_model(folkrnn_trainer *t);

/* The tunes held out for validation, as 0-based positions in the data
   (the n-th tune of the file is n), in increasing order; *idx is borrowed
   from the trainer.  With the default options on data_v2 these are the 1152
   tunes folk-rnn's own train_rnn.py held out (numpy's RandomState(42)
   choice over the tunes sorted by decreasing length, reproduced exactly).
   Errors: FOLKRNN_E_INVALID (NULL, no data yet). */
FOLKRNN_API int folkrnn_trainer_valid_tunes(const folkrnn_trainer *t, const long **idx, long *n);

/* Epochs completed, and the per-token losses of epoch e (0-based); either
   output may be NULL; valid is NaN without validation.
   Errors: FOLKRNN_E_INVALID (NULL t), FOLKRNN_E_RANGE (e not completed). */
FOLKRNN_API int folkrnn_trainer_epochs_done(const folkrnn_trainer *t);
FOLKRNN_API int folkrnn_trainer_epoch_loss(const folkrnn_trainer *t, int e, double *train,
                                           double *valid);

/* The loss of a batch of tunes and, when grad is not NULL, its gradient:
   tunes[i] (lens[i] ids each, <s> and </s> included, at least 2) are fed
   and predicted as in training, with dropout probability p (masks drawn
   from dropout_seed) and Lasagne gradient clipping clip (0 = none).
   *loss = mean over the tunes of summed NLL; grad must be a model of m's
   architecture (e.g. a clone): d loss / d param is ADDED to its gate
   weights, biases and dense layer (initial states and embedding untouched).
   For gradient checks, saliency and custom optimisers.
   Errors: FOLKRNN_E_INVALID (NULL, ntunes < 1, a tune shorter than 2,
   architectures differ), FOLKRNN_E_RANGE (a token id),
   FOLKRNN_E_UNSUPPORTED (dense embedding), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_model_loss_grad(const folkrnn_model *m, int ntunes,
                                        const int *const *tunes, const int *lens,
                                        double dropout, unsigned long long dropout_seed,
                                        double clip, double *loss, folkrnn_model *grad);

/* ==== end of section 7 ==== */

/* ======================================================================
   8. Analysis: matrices, spectra, pictures, recording, ablation   lib/an_*.c
   ====================================================================== */

/* ---- 8.1 Matrices (lib/an_matrix.c) -----------------------------------

   The analysis functions work on double-precision, row-major matrices.  The
   structure is public so that C code indexes it directly and bindings wrap
   its memory without copies.  Only the library allocates it (with the
   constructors below; never declare one yourself), and later versions only
   append fields.  A matrix either owns its data (owner 1: freed with it) or
   is a view of memory owned by something else (owner 0: a block of another
   matrix, or caller memory), which must outlive the view.
   Thread-safety: a matrix may be read by any number of threads; a function
   that writes one (an output, or folkrnn_matrix_add) needs it to itself. */
typedef struct folkrnn_matrix {
    int rows;     /* number of rows, >= 1 */
    int cols;     /* number of columns, >= 1 */
    int ld;       /* leading dimension >= cols: element (r, c) is data[r * ld + c] */
    double *data; /* rows x cols, ld */
    int owner;    /* 1: data belongs to this matrix; 0: a view */
} folkrnn_matrix;

/* A new rows x cols matrix of zeros (ld = cols).  Caller frees *out with
   folkrnn_matrix_free; *out is NULL on failure.
   Errors: FOLKRNN_E_INVALID (NULL out, rows or cols < 1), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_matrix_new(int rows, int cols, folkrnn_matrix **out);

/* A new matrix holding a copy of rows x cols elements at data with leading
   dimension ld (>= cols), as doubles; the float variant suits recordings and
   parameters.  data is borrowed for the call only.  Caller frees *out.
   Errors: FOLKRNN_E_INVALID (NULL, a count < 1, ld < cols), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_matrix_from_double(const double *data, int rows, int cols, int ld,
                                           folkrnn_matrix **out);
FOLKRNN_API int folkrnn_matrix_from_float(const float *data, int rows, int cols, int ld,
                                          folkrnn_matrix **out);

/* A view (owner 0) of caller memory: data is borrowed and must outlive the
   view; writes through the view change it.  Freeing the view (required)
   leaves data alone.  Errors: as folkrnn_matrix_from_double. */
FOLKRNN_API int folkrnn_matrix_view(double *data, int rows, int cols, int ld,
                                    folkrnn_matrix **out);

/* A view of the block of a starting at row r0, column c0, rows x cols
   (e.g. gate k of a whole-layer W_IN: c0 = k * units).  a must outlive the
   view, and writes through the view change a.  Errors: FOLKRNN_E_INVALID (NULL, a count < 1), FOLKRNN_E_RANGE
   (block outside a), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_matrix_block(const folkrnn_matrix *a, int r0, int c0, int rows,
                                     int cols, folkrnn_matrix **out);

/* A model parameter as a new matrix of doubles, in the orientation of
   folkrnn_model_param (e.g. FOLKRNN_P_DENSE_W is units x vocab: Sturm's V
   is its transpose).  A copy: later edits of the model do not show.  Caller
   frees *out.  Errors: as folkrnn_model_param_const, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_matrix_from_param(const folkrnn_model *m, int layer, int which,
                                          folkrnn_matrix **out);

/* A new contiguous copy of a, or of its transpose.  Caller frees *out.
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_matrix_copy(const folkrnn_matrix *a, folkrnn_matrix **out);
FOLKRNN_API int folkrnn_matrix_transpose(const folkrnn_matrix *a, folkrnn_matrix **out);

/* dst += scale * src, element by element (e.g. to sum spectra over tunes).
   Errors: FOLKRNN_E_INVALID (NULL), FOLKRNN_E_SHAPE (shapes differ). */
FOLKRNN_API int folkrnn_matrix_add(folkrnn_matrix *dst, const folkrnn_matrix *src, double scale);

/* Free a matrix; a view's memory is left alone.  NULL is a no-op. */
FOLKRNN_API void folkrnn_matrix_free(folkrnn_matrix *a);

/* ---- 8.2 Linear algebra (lib/an_linalg.c) -----------------------------

   Products go through CBLAS; decompositions are one-sided and two-sided
   Jacobi methods, which are accurate to near machine precision relative to
   each singular value whenever the matrix is a well-conditioned matrix with
   scaled columns (graded matrices), and to eps * largest singular value in
   every case.  Every function rejects non-finite input with
   FOLKRNN_E_NUMERIC naming the first bad element, mismatched shapes with
   FOLKRNN_E_SHAPE naming both shapes, and NULL required arguments with
   FOLKRNN_E_INVALID.  Outputs passed as folkrnn_matrix ** are new matrices
   the caller frees with folkrnn_matrix_free (NULL on failure); outputs passed
   as double * are caller arrays of the length stated.  All functions are
   reentrant.  */

/* Which Gram matrix: of the columns (A^T A, cols x cols: inner products of
   columns, e.g. the Gramian of a gate's input matrix) or of the rows
   (A A^T, rows x rows: e.g. of the hidden states over steps). */
enum folkrnn_gram_side { FOLKRNN_GRAM_COLS = 0, FOLKRNN_GRAM_ROWS = 1 };

/* The Gram matrix of a's columns or rows; exactly symmetric.  With
   normalise non-zero each column (row) is first scaled to unit length
   (cosine similarities; a zero column gives 0 off the diagonal and 1 on it).
   Errors: FOLKRNN_E_INVALID (unknown side), FOLKRNN_E_NUMERIC, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_gram(const folkrnn_matrix *a, int side, int normalise,
                             folkrnn_matrix **out);

/* The Euclidean norm of every column: norms[a->cols].
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NUMERIC. */
FOLKRNN_API int folkrnn_column_norms(const folkrnn_matrix *a, double *norms);

/* The mean of every column: means[a->cols] (e.g. a spectrum averaged over
   the units that are a power matrix's rows).  Errors: as folkrnn_column_norms. */
FOLKRNN_API int folkrnn_column_means(const folkrnn_matrix *a, double *means);

/* Correlation kinds: Pearson (each column centred on its mean, as
   numpy.corrcoef) or cosine (uncentred: normalised inner products). */
enum folkrnn_corr_kind { FOLKRNN_CORR_PEARSON = 0, FOLKRNN_CORR_COSINE = 1 };

/* Correlations of a's columns with each other: cols x cols, symmetric, 1 on
   the diagonal.  A column with no spread (constant for Pearson, zero for
   cosine) has no defined correlation: its row and column are NaN, as in
   numpy.  Errors: FOLKRNN_E_INVALID (unknown kind), FOLKRNN_E_NUMERIC,
   FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_corr_columns(const folkrnn_matrix *a, int kind, folkrnn_matrix **out);

/* Correlation of each column of a with the vector v[a->rows] (e.g. the
   softmax columns with the bias): corr[a->cols]; NaN where undefined.
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NUMERIC, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_corr_vector(const folkrnn_matrix *a, const double *v, int kind,
                                    double *corr);

/* The thin singular value decomposition a = U diag(s) V^T of an m x n
   matrix, k = min(m, n), by one-sided Jacobi (on the transpose when m < n):
   s[k] descending and >= 0; *u (m x k) and *v (n x k) hold the left and
   right singular vectors as columns, orthonormal to near machine precision.
   u and v may be NULL when not wanted (the values alone cost less).  Signs
   of a pair of vectors are arbitrary; vectors of a zero singular value are
   completed to an orthonormal set.
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NUMERIC (non-finite input, or no
   convergence in 60 sweeps, which needs a pathological input), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_svd(const folkrnn_matrix *a, double *s, folkrnn_matrix **u,
                            folkrnn_matrix **v);

/* The eigendecomposition of a symmetric n x n matrix, a = V diag(w) V^T, by
   cyclic Jacobi: w[n] descending; *v (n x n, may be NULL) holds the
   eigenvectors as columns.  Only the upper triangle of a is read.
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_SHAPE (not square), FOLKRNN_E_NUMERIC
   (non-finite, or no convergence in 60 sweeps), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_eig_sym(const folkrnn_matrix *a, double *w, folkrnn_matrix **v);

/* Principal components of a recording x (steps x units, one observation per
   row): the columns are centred on mean[units] (may be NULL), and the
   first ncomp (1 <= ncomp <= min(steps, units)) right singular vectors of
   the centred x become the columns of *components (units x ncomp).
   variance[ncomp] (may be NULL) receives each component's variance,
   s^2 / (steps - 1) (s^2 when steps is 1), and ratio[ncomp] (may be NULL)
   its share of the total variance.  Scores are folkrnn_project(x, mean,
   components).  Errors: FOLKRNN_E_INVALID, FOLKRNN_E_RANGE (ncomp),
   FOLKRNN_E_NUMERIC, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_pca(const folkrnn_matrix *x, int ncomp, folkrnn_matrix **components,
                            double *variance, double *ratio, double *mean);

/* Project every row of x (steps x n) onto the columns of dirs (n x k):
   *out = (x - mean) dirs, steps x k, mean[n] subtracted from every row when
   not NULL.  E.g. h3 over a tune onto the right singular vectors of the
   softmax weights.  Errors: FOLKRNN_E_INVALID, FOLKRNN_E_SHAPE,
   FOLKRNN_E_NUMERIC, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_project(const folkrnn_matrix *x, const double *mean,
                                const folkrnn_matrix *dirs, folkrnn_matrix **out);

/* The numerical rank of a: the number of singular values above tol, or when
   tol < 0 above max(m, n) * DBL_EPSILON * largest (numpy's default).
   Errors: as folkrnn_svd. */
FOLKRNN_API int folkrnn_rank(const folkrnn_matrix *a, double tol, int *rank);

/* The 2-norm condition number: largest / smallest singular value, INFINITY
   when the smallest is 0.  Errors: as folkrnn_svd. */
FOLKRNN_API int folkrnn_cond(const folkrnn_matrix *a, double *cond);

/* ---- 8.3 Spectra (lib/an_spectral.c) ----------------------------------

   Conventions.  A signal x[n] is one unit's activations over n steps.  Its
   spectrum has n/2 + 1 bins; bin k is the frequency k/n cycles per step, the
   period n/k steps.  A power spectrum is the periodogram
       P[k] = |sum_t w[t] (x[t] - mean) e^{-2 pi i k t / n}|^2 / sum_t w[t]^2
   (the mean subtracted when demean is non-zero), a density: white noise of
   variance s2 gives P[k] near s2 whatever n and the window, so spectra of
   tunes of different lengths can be averaged once put on a common grid.
   A window that is all zero (Hann or Blackman of 2 steps) gives P = 0.
   Spectra of a recording are rows of a units x (n/2 + 1) matrix. */

/* Windows: w[t] for t in [0, n), symmetric (as numpy.hanning, numpy.hamming,
   numpy.blackman): rectangular 1; Hann 0.5 - 0.5 cos(2 pi t / (n-1));
   Hamming 0.54 - 0.46 cos(2 pi t / (n-1)); Blackman 0.42 - 0.5 cos(2 pi t /
   (n-1)) + 0.08 cos(4 pi t / (n-1)); every window is 1 when n is 1. */
enum folkrnn_window {
    FOLKRNN_WINDOW_RECT = 0,
    FOLKRNN_WINDOW_HANN = 1,
    FOLKRNN_WINDOW_HAMMING = 2,
    FOLKRNN_WINDOW_BLACKMAN = 3
};

/* Fill w[n] with a window.  Errors: FOLKRNN_E_INVALID (NULL, n < 1, unknown kind). */
FOLKRNN_API int folkrnn_window(int kind, int n, double *w);

/* The discrete Fourier transform of n complex values in place,
   X[k] = sum_t x[t] e^{sign 2 pi i k t / n} with sign -1 (forward) or +1
   (inverse, unscaled), for any n >= 1 in O(n log n): mixed radix for small
   prime factors, Bluestein's chirp z-transform for the rest.
   Errors: FOLKRNN_E_INVALID (NULL, n < 1, sign not +-1), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_fft(double *re, double *im, int n, int sign);

/* The forward transform of n real values: bins 0 .. n/2, re[n/2+1] and
   im[n/2+1] (the rest follow by symmetry).  Errors: as folkrnn_fft,
   FOLKRNN_E_NUMERIC (non-finite input). */
FOLKRNN_API int folkrnn_rfft(const double *x, int n, double *re, double *im);

/* The periodogram of x[n] (see conventions): power[n/2 + 1].
   Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NUMERIC, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_periodogram(const double *x, int n, int window, int demean,
                                    double *power);

/* The periodogram of every column (unit) of x (steps x units): *out is
   units x (grid/2 + 1).  grid 0 keeps the native bins (grid = steps); grid
   > 0 resamples each spectrum onto the bins of a signal of grid steps (the
   frequency k/grid, linear interpolation between native bins), so spectra of
   tunes of different lengths share bins and can be summed with
   folkrnn_matrix_add; folkrnn_column_means then averages over units.
   Errors: FOLKRNN_E_INVALID (grid < 0 or 1), FOLKRNN_E_NUMERIC, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_unit_spectra(const folkrnn_matrix *x, int window, int demean,
                                     int grid, folkrnn_matrix **out);

/* The share of each spectrum's power in a band around a period: for every
   row of power (spectra of a signal of n steps, n/2 + 1 bins),
       share = sum over band bins of c_k P[k] / sum over bins k >= 1 of c_k P[k]
   where c_k is 2, or 1 for the Nyquist bin k = n/2 of even n (the weights
   that make the sums the variance), and the band is every bin k >= 1 whose
   period n/k lies in [period - tol, period + tol]; when no bin does, the
   single bin nearest in frequency to 1/period.  DC never counts.  A row
   without power outside DC has share 0.  share[power->rows].
   Sturm's "5% of their power around period 9" is period 9, tol 0.5,
   share >= 0.05.  Errors: FOLKRNN_E_INVALID (NULL, n < 2), FOLKRNN_E_SHAPE
   (cols is not n/2 + 1), FOLKRNN_E_RANGE (period < 2 or tol < 0, either not
   finite), FOLKRNN_E_NUMERIC. */
FOLKRNN_API int folkrnn_band_share(const folkrnn_matrix *power, int n, double period,
                                   double tol, double *share);

/* The strongest periods of one spectrum power[n/2 + 1]: the local maxima
   over bins k >= 1 (a bin above 0, greater than its lower neighbour and not
   less than its upper one; bins 1 and n/2 compared with their one neighbour
   in that range, so DC never hides a peak), largest first, up to max.
   periods[max] gets n/k and strength[max] (may be NULL) P[k].  *found
   receives how many were written.  Errors: FOLKRNN_E_INVALID (NULL, n < 2,
   max < 1), FOLKRNN_E_NUMERIC, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_dominant_periods(const double *power, int n, int max,
                                         double *periods, double *strength, int *found);

/* The indices of the values score[count] that are >= threshold (e.g. band
   shares), ascending: units[count] receives them, *selected their number.
   NaN scores are never selected.  Errors: FOLKRNN_E_INVALID. */
FOLKRNN_API int folkrnn_select_units(const double *score, int count, double threshold,
                                     int *units, int *selected);

/* ---- 8.4 Pictures (lib/an_png.c, lib/an_svg.c) ------------------------

   Option structures begin with their own size, so that they can grow:
   declare one, call its _init function (which sets size and every default),
   change the fields you want, and pass it.  NULL options mean the defaults.
   Strings in options are borrowed for the call.  Text is drawn with a
   built-in font of printable ASCII; other bytes show as '?'.  Files are
   written whole or not at all (a temporary file renamed over path). */

/* Colour maps: diverging blue-white-red for signed data (white at the middle
   of the range, which is 0 for an automatic range: it is made symmetric),
   sequential white-yellow-red-black for magnitudes and probabilities, or
   automatic (diverging when the finite values have both signs).  NaN shows
   grey, infinities the end colours. */
enum folkrnn_colormap {
    FOLKRNN_CMAP_AUTO = 0,
    FOLKRNN_CMAP_DIVERGING = 1,
    FOLKRNN_CMAP_SEQUENTIAL = 2
};

typedef struct folkrnn_heatmap_opts {
    size_t size;        /* sizeof(folkrnn_heatmap_opts), set by _init */
    const char *title;  /* above the picture; NULL: none */
    const char *xlabel; /* under the x axis (matrix columns); NULL: none */
    const char *ylabel; /* beside the y axis (matrix rows, row 0 at the top) */
    int colormap;       /* FOLKRNN_CMAP_*; default AUTO */
    double vmin, vmax;  /* colour range; NaN (default): from the finite data */
    int cell_w, cell_h; /* pixels per matrix element, 0..256; 0 (default):
                           the plot is about 800 x 600 (1 to 32 pixels a cell,
                           at least 9 tall when row_labels are given, so that
                           every label shows) */
    const char *const *row_labels; /* [rows] tick labels for rows (e.g. tokens);
                                      NULL: numbers */
    const char *const *col_labels; /* [cols] tick labels for columns; NULL: numbers */
    const int *col_marks;  /* [ncol_marks] columns before which a thin line is
                              drawn (e.g. bar tokens); NULL: none */
    int ncol_marks;
} folkrnn_heatmap_opts;

/* Set opts to the defaults (and opts->size).  NULL is a no-op.  The library
   reads only the first opts->size bytes, so programs built against an older,
   shorter structure keep working. */
FOLKRNN_API void folkrnn_heatmap_opts_init(folkrnn_heatmap_opts *opts);

/* Write a as a PNG heatmap (8-bit RGB, zlib-compressed) with labelled axes,
   ticks, a title and a colour bar with its scale.  Values outside
   [vmin, vmax] take the end colours.  Tick labels are thinned so they never
   overlap.  Errors: FOLKRNN_E_INVALID (NULL, a bad option: vmin >= vmax,
   unknown colormap, cell size outside 0..256, marks NULL; opts not
   initialised (size 0); a picture over 16384 pixels a side), FOLKRNN_E_IO,
   FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_png_heatmap(const char *path, const folkrnn_matrix *a,
                                    const folkrnn_heatmap_opts *opts);

/* One line of a plot.  This structure is used in arrays and therefore never
   grows: new per-line settings will come with new functions. */
typedef struct folkrnn_series {
    const char *name;  /* legend text; NULL: not in the legend */
    int n;             /* number of points */
    const double *x;   /* [n] abscissae; NULL: 0, 1, ..., n-1 */
    const double *y;   /* [n] ordinates */
} folkrnn_series;

typedef struct folkrnn_plot_opts {
    size_t size;        /* sizeof(folkrnn_plot_opts), set by _init */
    const char *title;  /* NULL: none */
    const char *xlabel;
    const char *ylabel;
    int log_x, log_y;   /* non-zero: logarithmic axis (points <= 0 are left out) */
    int width, height;  /* pixels, 200 x 150 .. 20000; default 800 x 500 */
} folkrnn_plot_opts;

/* Set opts to the defaults (and opts->size); as folkrnn_heatmap_opts_init. */
FOLKRNN_API void folkrnn_plot_opts_init(folkrnn_plot_opts *opts);

/* Write nseries lines as an SVG plot with axes, ticks, labels, title and a
   legend.  Non-finite points (and non-positive ones on a log axis) break the
   line.  Linear axes get about six ticks at 1, 2 or 5 times a power of ten,
   logarithmic ones whole decades.  Errors: FOLKRNN_E_INVALID (NULL,
   nseries < 1, a series with n < 0 or NULL y, no plottable point, a size
   out of range, opts not initialised), FOLKRNN_E_IO. */
FOLKRNN_API int folkrnn_svg_lines(const char *path, const folkrnn_series *series, int nseries,
                                  const folkrnn_plot_opts *opts);

/* ---- 8.5 Arrays to files: .npy, .npz, CSV (lib/an_npy.c) --------------

   Files numpy (numpy.load), Julia (NPZ.jl) and spreadsheets read.  Arrays
   are C-ordered (row-major), little-endian.  */

enum folkrnn_dtype {
    FOLKRNN_DTYPE_F32 = 0, /* numpy '<f4' */
    FOLKRNN_DTYPE_F64 = 1, /* numpy '<f8' */
    FOLKRNN_DTYPE_I32 = 2  /* numpy '<i4' */
};

/* Write an .npy file (format version 1.0) of an array of ndim (0..8)
   dimensions shape[ndim], data contiguous and of type dtype (float, double
   or int32_t).  Written whole or not at all.  Errors: FOLKRNN_E_INVALID
   (NULL, bad dtype or ndim, negative extent), FOLKRNN_E_IO, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_npy_save(const char *path, const void *data, int dtype, int ndim,
                                 const long *shape);

/* A matrix as an .npy file of dtype: F64 exact, F32 rounded, I32 rounded to
   the nearest integer (FOLKRNN_E_NUMERIC for a non-finite value or one out
   of int32 range).  Errors: as folkrnn_npy_save. */
FOLKRNN_API int folkrnn_npy_save_matrix(const char *path, const folkrnn_matrix *a, int dtype);

/* An .npz file being written: a zip archive of .npy members. */
typedef struct folkrnn_npz folkrnn_npz;

/* Flags of folkrnn_npz_open. */
#define FOLKRNN_NPZ_STORE 1 /* members stored, not deflated (numpy.savez); default
                               is deflate, as numpy.savez_compressed */
#define FOLKRNN_NPZ_ZIP64 2 /* always write ZIP64 records (they are written anyway
                               when a member or the archive passes 4 GiB) */

/* Start an .npz at path (written to a temporary file beside it and renamed
   over path by folkrnn_npz_close).  Caller finishes with folkrnn_npz_close.
   Errors: FOLKRNN_E_INVALID (NULL, unknown flag), FOLKRNN_E_IO, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_npz_open(const char *path, int flags, folkrnn_npz **out);

/* Add an array as member name + ".npy" (name: 1..200 bytes, no '/' at the
   start, unique in the file; numpy.load(path)[name] gives it back).  Arguments
   as folkrnn_npy_save.  After a failure the archive is unusable: close it.
   Errors: as folkrnn_npy_save, FOLKRNN_E_INVALID (duplicate or bad name). */
FOLKRNN_API int folkrnn_npz_add(folkrnn_npz *z, const char *name, const void *data, int dtype,
                                int ndim, const long *shape);
FOLKRNN_API int folkrnn_npz_add_matrix(folkrnn_npz *z, const char *name,
                                       const folkrnn_matrix *a, int dtype);

/* Write the central directory, rename the file over its path and free z.
   When any add failed (or this write fails) the temporary file is removed,
   path is left as it was and the first error is returned.  NULL is a no-op
   returning FOLKRNN_OK. */
FOLKRNN_API int folkrnn_npz_close(folkrnn_npz *z);

/* Write a as CSV: one line per row, values in %.17g (nan, inf as "nan",
   "inf", "-inf"), comma-separated; a header line of col_names[a->cols]
   first when col_names is not NULL (names quoted when they hold a comma, a
   quote or a line break).  Errors: FOLKRNN_E_INVALID, FOLKRNN_E_IO,
   FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_csv_save(const char *path, const folkrnn_matrix *a,
                                 const char *const *col_names);

/* ---- 8.6 Recording activations (lib/an_record.c) -----------------------

   A recorder watches a state through hooks (section 4) and keeps, for each
   recorded point, layer and stream, the values of every step as a
   steps x n matrix of floats (n = the layer's units, or the vocabulary for
   LOGITS and PROBS), with the step number of each row.  Streams that idle
   leave no row.  Rows are appended in order across resets (the step numbers
   start again at 0), so record one tune per stream, or read out and clear
   between tunes.  The recorder sees the values as the hooks added before it
   left them: add it after an intervention to record its effect.  A step
   that a later hook aborts stays recorded.
   Thread-safety: as the state it watches. */
typedef struct folkrnn_recorder folkrnn_recorder;

/* A recorder on state s (borrowed: free the recorder before the state)
   holding at most max_bytes of recorded values and step numbers (0: no
   bound).  Recording stops at the first row that does not fit (the bound,
   or an allocation failure), so all tracks end at the same step, and
   folkrnn_recorder_truncated says so; stepping never fails because of the
   recorder.  Nothing is recorded until points are added.
   Caller frees *out with folkrnn_recorder_free.
   Errors: FOLKRNN_E_INVALID (NULL), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_recorder_new(folkrnn_state *s, size_t max_bytes, folkrnn_recorder **out);

/* Record point (FOLKRNN_HOOK_*) at layer (-1: every layer; ignored for
   LOGITS and PROBS) from the next step on.  Adding a point twice records it
   once.  Errors: FOLKRNN_E_INVALID (NULL, unknown point or one the cell type
   lacks), FOLKRNN_E_RANGE (layer), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_recorder_add(folkrnn_recorder *r, int point, int layer);

/* Record every point the model's cell type has, in every layer, plus
   LOGITS and PROBS.  Errors: as folkrnn_recorder_add. */
FOLKRNN_API int folkrnn_recorder_add_all(folkrnn_recorder *r);

/* The rows recorded for point, layer (ignored for LOGITS and PROBS) and
   stream: *data is rows x cols floats, row-major (ld = cols), and steps[rows]
   the step of each row.  Borrowed: valid until the state's next step, or
   folkrnn_recorder_clear or _free.  *rows is 0 (data and steps NULL) when
   nothing was recorded there.  Any output pointer may be NULL.
   Errors: FOLKRNN_E_INVALID (NULL r, unknown point), FOLKRNN_E_RANGE (layer
   or stream out of range). */
FOLKRNN_API int folkrnn_recorder_data(const folkrnn_recorder *r, int point, int layer, int stream,
                                      const float **data, const long **steps, int *rows,
                                      int *cols);

/* The same rows as a new double matrix (steps x n) for the analysis
   functions.  Caller frees *out.  Errors: as folkrnn_recorder_data,
   FOLKRNN_E_RANGE when no row was recorded there, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_recorder_matrix(const folkrnn_recorder *r, int point, int layer,
                                        int stream, folkrnn_matrix **out);

/* 1 when rows were dropped (memory bound or allocation failure), else 0;
   -1 for NULL. */
FOLKRNN_API int folkrnn_recorder_truncated(const folkrnn_recorder *r);

/* Bytes of recorded values and step numbers held (0 for NULL). */
FOLKRNN_API size_t folkrnn_recorder_bytes(const folkrnn_recorder *r);

/* Forget every row (and the truncation flag); what is recorded stays.
   NULL is a no-op. */
FOLKRNN_API void folkrnn_recorder_clear(folkrnn_recorder *r);

/* Write every recorded track to an .npz (flags as folkrnn_npz_open): member
   "POINT_lLAYER_sSTREAM" (e.g. "hidden_l2_s0"; "logits_s0", "probs_s0"), a
   float32 steps x n array, and "POINT_lLAYER_sSTREAM_steps", int32 [steps].
   Errors: FOLKRNN_E_INVALID (NULL), FOLKRNN_E_RANGE (nothing recorded),
   FOLKRNN_E_IO, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_recorder_save_npz(const folkrnn_recorder *r, const char *path, int flags);

/* Remove the recorder's hooks from its state and free it.  NULL is a no-op. */
FOLKRNN_API void folkrnn_recorder_free(folkrnn_recorder *r);

/* ---- 8.7 Ablation and intervention (lib/an_ablate.c) ------------------

   Edits change activations while a state steps (through hooks, so they
   compose with a recorder: add the recorder after the edits to record their
   effect); snips zero weights of a model (edit a clone: see section 2);
   choosers pick units by score or at random; the odds helpers give the
   logit change behind Sturm's "push generation toward or away from a
   token". */

/* What an edit does to each chosen value x. */
enum folkrnn_edit_op {
    FOLKRNN_EDIT_SET = 0,   /* x = value (clamp; 0 zeroes; -INFINITY at LOGITS
                               suppresses tokens) */
    FOLKRNN_EDIT_SCALE = 1, /* x = x * value */
    FOLKRNN_EDIT_ADD = 2    /* x = x + value (at LOGITS: folkrnn_odds_delta) */
};

/* A set of edits on one state. */
typedef struct folkrnn_edits folkrnn_edits;

/* Edits on state s (borrowed: free the edits before the state).  Caller
   frees *out with folkrnn_edits_free.  Errors: FOLKRNN_E_INVALID, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_edits_new(folkrnn_state *s, folkrnn_edits **out);

/* From step from up to but not including step to (to < 0: no end), in
   stream (-1: every stream), apply op with value to units[nunits] (indices
   into the point's values: units, or token ids at LOGITS and PROBS;
   units NULL with nunits 0: every value) at point of layer (-1: every
   layer; ignored for LOGITS and PROBS).  Edits run in the order added;
   units is copied.  Editing PROBS changes what the caller receives, not
   the state.  Errors: FOLKRNN_E_INVALID (NULL, unknown point or op, a
   point the cell type lacks, NaN value, nunits < 0, units NULL with nunits
   > 0), FOLKRNN_E_RANGE (layer, stream, or a unit index beyond the values
   of a layer the edit applies to), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_edits_add(folkrnn_edits *e, int point, int layer, int stream,
                                  const int *units, int nunits, int op, double value,
                                  long from, long to);

/* Remove the edits' hooks and free them.  NULL is a no-op. */
FOLKRNN_API void folkrnn_edits_free(folkrnn_edits *e);

/* Which connections of a unit folkrnn_model_snip cuts (or them together). */
#define FOLKRNN_SNIP_FORWARD 1   /* its row of the next layer's W_in (every gate),
                                    or for the last layer its row of the dense W:
                                    its column of Sturm's softmax matrix V */
#define FOLKRNN_SNIP_RECURRENT 2 /* its row of its own layer's W_hid (every gate) */

/* Zero the outgoing weights of units[nunits] of layer, as what says.  The
   model changes in place: snip a clone.  Errors: FOLKRNN_E_INVALID (NULL,
   what not a combination of the flags), FOLKRNN_E_RANGE (layer, a unit). */
FOLKRNN_API int folkrnn_model_snip(folkrnn_model *m, int layer, const int *units, int nunits,
                                   int what);

/* k distinct indices of [0, n) chosen uniformly at random, reproducibly
   from seed (the same on every platform), written ascending to units[k].
   Errors: FOLKRNN_E_INVALID (NULL, k < 0, n < k). */
FOLKRNN_API int folkrnn_choose_random(int n, int k, unsigned long long seed, int *units);

/* The k indices of the largest score[n] (NaN never chosen before a number;
   ties to the lower index), written ascending to units[k].
   Errors: FOLKRNN_E_INVALID (NULL, k < 0, n < k). */
FOLKRNN_API int folkrnn_choose_top(const double *score, int n, int k, int *units);

/* The logit change that multiplies a token's odds p / (1 - p) by factor
   (> 0): log(factor).  NaN when factor <= 0. */
FOLKRNN_API double folkrnn_odds_delta(double factor);

/* The probability of a token of probability p after its logit changes by
   delta, the others fixed: p e^delta / (1 - p + p e^delta).  NaN when p is
   outside [0, 1]. */
FOLKRNN_API double folkrnn_prob_after_delta(double p, double delta);

/* A weighted input row for folkrnn_state_step_input: row[vocab] zero but
   row[a] = wa and row[b] = wb (Sturm's two-hot forcing: 0.7 and 0.3; a == b
   adds the weights).  Errors: FOLKRNN_E_INVALID (NULL, vocab < 1, non-finite
   weight), FOLKRNN_E_RANGE (a or b). */
FOLKRNN_API int folkrnn_two_hot(float *row, int vocab, int a, double wa, int b, double wb);

/* ---- 8.8 Statistics over steps (lib/an_stats.c) -------------------------

   Sturm's time analyses on recordings (rows are steps): posterior mass per
   token class, entropy, one-hot inputs for Gram matrices over steps
   (folkrnn_gram with FOLKRNN_GRAM_ROWS; normalise for hidden states),
   distances between steps, histograms, sparsity, saturation and the largest
   magnitude per unit.  Errors common to all: FOLKRNN_E_INVALID for NULL
   arguments, FOLKRNN_E_NUMERIC for non-finite input where noted. */

/* The probability mass of each token class at each step: probs is steps x
   vocab of m (a PROBS recording); *out is steps x FOLKRNN_TOKEN_NCLASSES,
   column c the sum over the tokens of class c (section 5).  Caller frees
   *out.  Errors: FOLKRNN_E_SHAPE (cols is not m's vocabulary),
   FOLKRNN_E_NUMERIC, FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_class_mass(const folkrnn_model *m, const folkrnn_matrix *probs,
                                   folkrnn_matrix **out);

/* The entropy in bits of each row of probs taken as a distribution (each
   row is divided by its sum first): bits[rows].  Errors: FOLKRNN_E_NUMERIC
   (a negative or non-finite value, or a row summing to 0). */
FOLKRNN_API int folkrnn_entropy(const folkrnn_matrix *probs, double *bits);

/* The one-hot rows of tokens[n]: *out is n x vocab with a 1 in each row's
   token column.  Caller frees *out.  Errors: FOLKRNN_E_INVALID (n < 1,
   vocab < 1), FOLKRNN_E_RANGE (a token outside [0, vocab)), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_onehot(const int *tokens, int n, int vocab, folkrnn_matrix **out);

/* Euclidean distances between every pair of rows of x: *out rows x rows,
   computed from differences (not from a Gram matrix, which loses the
   digits of close rows).  Caller frees *out.  Errors: FOLKRNN_E_NUMERIC,
   FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_row_distances(const folkrnn_matrix *x, folkrnn_matrix **out);

/* The mean distance between rows lag steps apart, for lag 1..maxlag:
   mean[maxlag], mean[k - 1] for lag k (a dip at lag 9 shows a state that
   repeats every bar).  Errors: FOLKRNN_E_RANGE (maxlag outside
   [1, rows - 1]), FOLKRNN_E_NUMERIC. */
FOLKRNN_API int folkrnn_lag_distances(const folkrnn_matrix *x, int maxlag, double *mean);

/* A histogram of the values of x: counts[nbins] over nbins bins of equal
   width covering [lo, hi) (hi itself goes in the last bin); *outside (may
   be NULL) counts the values outside [lo, hi] and the non-finite ones.
   Errors: FOLKRNN_E_INVALID (nbins < 1, not lo < hi). */
FOLKRNN_API int folkrnn_histogram(const folkrnn_matrix *x, double lo, double hi, int nbins,
                                  long *counts, long *outside);

/* The fraction of each column's values inside [lo, hi]: fraction[cols].
   Sparsity is the fraction in [-eps, eps]; saturation of a tanh unit one
   minus the fraction in [-1 + m, 1 - m], of a sigmoid gate one minus the
   fraction in [m, 1 - m].  Errors: FOLKRNN_E_INVALID (lo > hi). */
FOLKRNN_API int folkrnn_column_fraction(const folkrnn_matrix *x, double lo, double hi,
                                        double *fraction);

/* The largest |value| of each column: maxabs[cols]; order[cols] (may be
   NULL) receives the columns by decreasing maximum, ties by index (Sturm's
   sorted maximum magnitude per unit).  Errors: FOLKRNN_E_NUMERIC,
   FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_column_max_abs(const folkrnn_matrix *x, double *maxabs, int *order);

/* ---- 8.9 Snipping sweeps (lib/an_sweep.c) -------------------------------

   Sturm's experiment of parts 6 and 7: snip a fraction of a layer's units
   chosen by a rule, generate tunes, and see whether bars are still counted
   right and how likely the tunes are under the intact model. */

/* How a sweep chooses the units to snip. */
enum folkrnn_sweep_rule {
    FOLKRNN_SWEEP_TOP = 0,   /* the units with the largest score (e.g. band shares) */
    FOLKRNN_SWEEP_RANDOM = 1 /* units at random (folkrnn_choose_random) */
};

/* One point of a sweep.  Used in arrays, so it never grows. */
typedef struct folkrnn_sweep_point {
    int rule;          /* FOLKRNN_SWEEP_* */
    double fraction;   /* of the layer's units asked for */
    int nunits;        /* units snipped: fraction * units, rounded to nearest */
    int ntunes;        /* tunes generated */
    int nended;        /* of which ended with </s> (not cut at the length limit) */
    long nbars;        /* bars in all tunes (folkrnn_bars_count) */
    long ncorrect;     /* of which FULL, PICKUP or CLOSING */
    double loglik;     /* total log-likelihood of the tunes (with </s> where
                          they ended) under the intact model */
    long ntokens;      /* tokens that loglik scores */
} folkrnn_sweep_point;

/* Called on each sweep's sampler before it draws, to set an opening,
   temperature, streams or length limit (its seed is set by the sweep
   afterwards); non-zero aborts the sweep with that status. */
typedef int (*folkrnn_sweep_setup_fn)(folkrnn_sampler *s, void *user);

/* For each rule of rules[nrules] and each fraction of fractions[nfractions]
   (in [0, 1]): clone m, cut the connections what (FOLKRNN_SNIP_*) of the
   chosen units of layer (FOLKRNN_SWEEP_TOP needs score[units of layer];
   FOLKRNN_SWEEP_RANDOM uses folkrnn_choose_random with seed + the fraction's
   index), draw ntunes tunes from the clone with a sampler (setup called
   first when not NULL, then seed set to seed: every point draws with the
   same seed), count their bars and score them under m.  results[nrules *
   nfractions] is filled rule by rule.  m is only read.  The cost is that of
   generating nrules * nfractions * ntunes tunes.
   Errors: FOLKRNN_E_INVALID (NULL, counts < 1, fraction outside [0, 1],
   unknown rule, TOP without score), FOLKRNN_E_RANGE (layer), the errors of
   folkrnn_sample and folkrnn_score, the status setup returns,
   FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_snip_sweep(const folkrnn_model *m, int layer, int what,
                                   const double *score, const int *rules, int nrules,
                                   const double *fractions, int nfractions, int ntunes,
                                   unsigned long long seed, folkrnn_sweep_setup_fn setup,
                                   void *user, folkrnn_sweep_point *results);

/* ---- 8.10 Copy check (lib/an_copy.c) -------------------------------------

   How many tunes of a corpus contain a token n-gram ("G, C C 2": 217 of
   data_v2's 23,636 tunes), for one figure or for every figure of a tune in
   one pass over the corpus (a rolling hash of the figures, each hit
   verified token by token). */
typedef struct folkrnn_corpus folkrnn_corpus;

/* Read a corpus in folk-rnn's data layout: tunes separated by blank lines,
   tokens by white space (read with folkrnn_parse_tokens against v, which is
   borrowed for the call).  text is NUL-terminated; the _load variant reads
   the file at path (gzip-compressed or not).  Caller frees *out with
   folkrnn_corpus_free.  Errors: FOLKRNN_E_INVALID (NULL), FOLKRNN_E_IO,
   FOLKRNN_E_PARSE (text that is no token of v: the message names the tune
   and the place), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_corpus_from_text(const folkrnn_vocab *v, const char *text,
                                         folkrnn_corpus **out);
FOLKRNN_API int folkrnn_corpus_load(const folkrnn_vocab *v, const char *path,
                                    folkrnn_corpus **out);

/* Number of tunes (FOLKRNN_E_INVALID for NULL), and tune k's ids (*len of
   them, borrowed from c; NULL when k is out of range). */
FOLKRNN_API int folkrnn_corpus_count(const folkrnn_corpus *c);
FOLKRNN_API const int *folkrnn_corpus_tune(const folkrnn_corpus *c, int k, int *len);

/* For every figure of n tokens of tune[len] (the windows starting at 0 ..
   len - n), the number of corpus tunes that contain it anywhere:
   counts[len - n + 1].  A single figure is tune = the figure, len = n.
   Errors: FOLKRNN_E_INVALID (NULL, n < 1, len < n), FOLKRNN_E_NOMEM. */
FOLKRNN_API int folkrnn_corpus_figures(const folkrnn_corpus *c, const int *tune, int len, int n,
                                       int *counts);

/* Free a corpus; NULL is a no-op. */
FOLKRNN_API void folkrnn_corpus_free(folkrnn_corpus *c);

/* ==== end of section 8 ==== */

#ifdef __cplusplus
}
#endif
#endif /* FOLKRNN_H */
