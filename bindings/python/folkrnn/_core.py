"""_core.py -- models, states and hooks (sections 2-4 of folkrnn.h)."""
import ctypes
import os
import weakref
from ctypes import POINTER, byref, c_char_p, c_float, c_int, c_void_p

import numpy as np

from . import _lib
from ._lib import FolkRNNError, call, encode, fn

CELLS = {"lstm": 0, "gru": 1}

# Hook points by name (enum folkrnn_hook_point).
POINTS = {"ingate": 0, "forgetgate": 1, "cellgate": 2, "outgate": 3, "cell": 4,
          "hidden": 5, "logits": 6, "probs": 7, "resetgate": 8, "updategate": 9}
POINT_NAMES = {v: k for k, v in POINTS.items()}

# Parameters by name (enum folkrnn_param): the enum's suffix in lower case.
# Lasagne's spelling of the gate weights ("W_in_to_ingate") is accepted too,
# see _param_id.
PARAMS = {name: i for i, name in enumerate([
    "embedding",
    "w_in_ingate", "w_hid_ingate", "b_ingate",
    "w_in_forgetgate", "w_hid_forgetgate", "b_forgetgate",
    "w_in_cell", "w_hid_cell", "b_cell",
    "w_in_outgate", "w_hid_outgate", "b_outgate",
    "cell_init", "hid_init",
    "dense_w", "dense_b",
    "w_in", "w_hid", "b",
    "w_in_resetgate", "w_hid_resetgate", "b_resetgate",
    "w_in_updategate", "w_hid_updategate", "b_updategate",
    "w_in_hidden_update", "w_hid_hidden_update", "b_hidden_update"])}

DEFAULT_MODEL_NAME = "default.safetensors.gz"
PKGDATA = os.path.join("share", "libfolkrnn")


def _param_id(name):
    if isinstance(name, int):
        return name
    key = name.lower().replace("_to_", "_")
    if key not in PARAMS:
        raise FolkRNNError(_lib.E_INVALID, "unknown parameter %r (one of %s)"
                           % (name, ", ".join(PARAMS)))
    return PARAMS[key]


def _point_id(point):
    if isinstance(point, int):
        return point
    if point not in POINTS:
        raise FolkRNNError(_lib.E_INVALID, "unknown hook point %r (one of %s)"
                           % (point, ", ".join(POINTS)))
    return POINTS[point]


def _float_view(ptr, rows, cols, ld, owner, writable=True):
    """A numpy float32 (rows, cols) view of C memory at ptr with leading
    dimension ld.  The view keeps owner (the Python object whose C memory
    it is) alive."""
    count = (rows - 1) * ld + cols
    buf = (c_float * count).from_address(ctypes.addressof(ptr.contents))
    buf._folkrnn_owner = owner
    arr = np.ndarray((rows, cols), dtype=np.float32, buffer=buf, strides=(4 * ld, 4))
    arr.flags.writeable = writable
    return arr


def _close_quietly(obj):
    """close() from a finalizer: at interpreter exit the library may already
    be gone, and there is nobody to tell."""
    try:
        obj.close()
    except Exception:
        pass


class _Closable:
    """For objects owning a C handle: close() on leaving a with block, and
    quietly when garbage-collected.  Subclasses define close()."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        _close_quietly(self)


def default_model_path():
    """The model folkrnn.Model() loads, found like the folkrnn command does:
    $FOLKRNN_MODEL, else folkrnn_default_model_path() (the installed
    default.safetensors.gz), else default.safetensors.gz in the package data
    folder ($prefix/share/libfolkrnn) of the prefix the loaded libfolkrnn
    lives under."""
    env = os.environ.get("FOLKRNN_MODEL")
    if env:
        return env
    if _lib.has("folkrnn_default_model_path"):
        configured = _lib.fn("folkrnn_default_model_path")().decode()
        if os.path.exists(configured):
            return configured
    # A relocated install (e.g. make install DESTDIR=...): look beside the library.
    libpath = _lib.library_path()
    if libpath:
        # $prefix/lib/libfolkrnn.so.0, or $prefix/lib/<multiarch>/..., or lib64
        d = os.path.dirname(libpath)
        while d != os.path.dirname(d):
            if os.path.basename(d).startswith("lib"):
                candidate = os.path.join(os.path.dirname(d), PKGDATA, DEFAULT_MODEL_NAME)
                if os.path.exists(candidate):
                    return candidate
            d = os.path.dirname(d)
    raise FolkRNNError(_lib.E_IO, "no default model: set FOLKRNN_MODEL or install libfolkrnn "
                       "with its %s" % DEFAULT_MODEL_NAME)


class Model(_Closable):
    """A folk-rnn model (folkrnn_model).

    Model(path) loads a folk-rnn pickle or a libfolkrnn safetensors file
    (either may be gzipped); Model() loads the default model (see
    default_model_path).  Model.new(...) builds an all-zero model in memory.
    Use as a context manager, or call close(), to free it early; states made
    from it are closed with it.  A model may be shared read-only by states in
    many threads; edit a clone()."""

    def __init__(self, path=None, *, _handle=None):
        self._states = weakref.WeakSet()
        self._vocab = None
        if _handle is not None:
            self._h = _handle
            return
        if path is None:
            path = default_model_path()
        h = c_void_p()
        call("folkrnn_model_load", encode(os.fspath(path)), byref(h))
        self._h = h

    # ---- construction --------------------------------------------------

    @classmethod
    def new(cls, units, vocab, cell="lstm", input_size=0):
        """A new model with every weight zero: units is a list of layer
        widths, vocab a list of distinct token strings, cell "lstm" or "gru";
        input_size 0 gives one-hot input (identity embedding), otherwise a
        dense (zero) embedding len(vocab) x input_size."""
        units_arr = (c_int * len(units))(*units)
        tokens = (c_char_p * len(vocab))(*[encode(t) for t in vocab])
        h = c_void_p()
        call("folkrnn_model_new", CELLS[cell] if isinstance(cell, str) else cell, len(units),
             units_arr, len(vocab), tokens, input_size, byref(h))
        return cls(_handle=h)

    @classmethod
    def from_bytes(cls, data):
        """Load a model from the bytes of a model file."""
        data = bytes(data)
        h = c_void_p()
        call("folkrnn_model_load_buffer", data, len(data), byref(h))
        return cls(_handle=h)

    def clone(self):
        """A deep copy; editing it never touches this model."""
        h = c_void_p()
        call("folkrnn_model_clone", self._handle, byref(h))
        return Model(_handle=h)

    def save(self, path):
        """Save as safetensors (gzip-compressed when path ends in .gz)."""
        call("folkrnn_model_save", self._handle, encode(os.fspath(path)))

    # ---- lifetime ------------------------------------------------------

    @property
    def _handle(self):
        if self._h is None:
            raise FolkRNNError(_lib.E_INVALID, "model is closed")
        return self._h

    def close(self):
        """Free the model and every state made from it.  Parameter views
        (param()) must not be used afterwards."""
        if getattr(self, "_h", None) is None:
            return
        for s in list(self._states):
            s.close()
        fn("folkrnn_model_free")(self._h)
        self._h = None

    # ---- architecture and vocabulary ----------------------------------

    @property
    def cell(self):
        """"lstm" or "gru"."""
        kind = call("folkrnn_model_cell_type", self._handle)
        return {v: k for k, v in CELLS.items()}[kind]

    @property
    def num_layers(self):
        return call("folkrnn_model_num_layers", self._handle)

    @property
    def units(self):
        """Hidden size of every layer, a list."""
        return [call("folkrnn_model_hidden_size", self._handle, i)
                for i in range(self.num_layers)]

    def hidden_size(self, layer):
        return call("folkrnn_model_hidden_size", self._handle, layer)

    @property
    def vocab_size(self):
        return call("folkrnn_model_vocab_size", self._handle)

    @property
    def input_size(self):
        """Width of the first layer's input (vocab_size for one-hot models)."""
        return call("folkrnn_model_input_size", self._handle)

    @property
    def is_onehot(self):
        return bool(call("folkrnn_model_is_onehot", self._handle))

    @property
    def num_params(self):
        """Trainable parameters (5,599,881 for folk-rnn v2)."""
        return call("folkrnn_model_num_params", self._handle)

    @property
    def vocab(self):
        """The token strings, indexed by token id (a new list each time)."""
        if self._vocab is None:
            f = fn("folkrnn_model_token")
            self._vocab = [f(self._handle, i).decode("utf-8")
                           for i in range(self.vocab_size)]
        return list(self._vocab)

    def token(self, token_id):
        """The text of a token id."""
        t = fn("folkrnn_model_token")(self._handle, token_id)
        if t is None:
            raise FolkRNNError(_lib.E_RANGE, "token id %d out of range [0, %d)"
                               % (token_id, self.vocab_size))
        return t.decode("utf-8")

    def token_id(self, text):
        """The id of a token text; FolkRNNError (E_RANGE) when unknown."""
        rc = fn("folkrnn_model_token_id")(self._handle, encode(text))
        if rc < 0:
            raise FolkRNNError(rc, "unknown token %r" % text, "folkrnn_model_token_id")
        return rc

    def token_ids(self, tokens):
        """Ids of a sequence of token texts (or ids, passed through)."""
        return [t if isinstance(t, (int, np.integer)) else self.token_id(t) for t in tokens]

    # ---- parameters and metadata --------------------------------------

    def param(self, layer, name, writable=True):
        """A float32 numpy view (rows, cols) of a parameter, in the
        orientation of the folk-rnn pickle (W_in_* input x units, W_hid_*
        units x units, b_* 1 x units, dense_w units x vocab, ...).  name is a
        folkrnn_param name ("w_in_ingate", "b_cell", "hid_init", "dense_w",
        "w_in" for all gates, "embedding", ...; Lasagne's "W_in_to_ingate"
        spelling works too) or a FOLKRNN_P_* number; layer is ignored for
        embedding and dense_*.  Writes through a writable view change the
        model (edit a clone; asking for a writable embedding of a one-hot
        model makes it dense).  The view is valid while the model is open."""
        which = _param_id(name)
        data, rows, cols, ld = POINTER(c_float)(), c_int(), c_int(), c_int()
        call("folkrnn_model_param" if writable else "folkrnn_model_param_const",
             self._handle, layer, which, byref(data), byref(rows), byref(cols), byref(ld))
        return _float_view(data, rows.value, cols.value, ld.value, self, writable)

    def meta(self, key=None):
        """The value of metadata key (None when absent), or with no key a
        dict of all metadata."""
        if key is not None:
            v = fn("folkrnn_model_meta")(self._handle, encode(key))
            return None if v is None else v.decode("utf-8")
        out = {}
        f = fn("folkrnn_model_meta_key")
        i = 0
        while True:
            k = f(self._handle, i)
            if k is None:
                return out
            out[k.decode("utf-8")] = self.meta(k.decode("utf-8"))
            i += 1

    def set_meta(self, key, value):
        """Set (or with value None remove) a metadata entry."""
        call("folkrnn_model_set_meta", self._handle, encode(key),
             None if value is None else encode(value))

    # ---- states, text, sampling ---------------------------------------

    def state(self, nstreams=1):
        """A new State of nstreams independent streams at the initial state."""
        return State(self, nstreams)

    def vocabulary(self):
        """The model's Vocab (for parsing and rendering text and ABC, and
        counting bars), made once and kept."""
        if getattr(self, "_vocabulary", None) is None:
            from ._text import Vocab
            self._vocabulary = Vocab.from_model(self)
        return self._vocabulary

    def parse(self, text, wildcard=False):
        """Token text to ids (see Vocab.parse)."""
        return self.vocabulary().parse(text, wildcard)

    def render(self, ids):
        """ids to token text."""
        return self.vocabulary().render(ids)

    def abc(self, ids, number=1, title=None):
        """ids as a complete ABC tune."""
        return self.vocabulary().abc(ids, number, title)

    def snip(self, layer, units, forward=True, recurrent=False):
        """Zero the outgoing weights of units of layer: forward (the next
        layer's W_in rows, or the dense W rows for the last layer) and/or
        recurrent (its own W_hid rows).  Changes this model: snip a clone()."""
        units = [int(u) for u in units]
        arr = (c_int * max(len(units), 1))(*units)
        call("folkrnn_model_snip", self._handle, layer, arr, len(units),
             (1 if forward else 0) | (2 if recurrent else 0))

    def sampler(self, **settings):
        """A new Sampler of this model (settings: see Sampler)."""
        from ._sample import Sampler
        return Sampler(self, **settings)

    def __repr__(self):
        if self._h is None:
            return "<folkrnn.Model closed>"
        return "<folkrnn.Model %s %s, %d tokens>" % (self.cell, "x".join(map(str, self.units)),
                                                     self.vocab_size)


class Event:
    """What a hook is told: point (name), point_id, layer (-1 for logits and
    probs), stream, step, token (-1 for weighted inputs) and n (the number
    of values).  A snapshot: it may be kept after the hook returns."""
    __slots__ = ("point", "point_id", "layer", "stream", "step", "token", "n")

    def __init__(self, ev):
        self.point_id = ev.point
        self.point = POINT_NAMES.get(ev.point, str(ev.point))
        self.layer, self.stream, self.step = ev.layer, ev.stream, ev.step
        self.token, self.n = ev.token, ev.n

    def __repr__(self):
        return ("Event(point=%r, layer=%d, stream=%d, step=%d, token=%d, n=%d)"
                % (self.point, self.layer, self.stream, self.step, self.token, self.n))


class State(_Closable):
    """One or more independent streams stepping through a model
    (folkrnn_state).  Use one State per thread.  Made by Model.state()."""

    def __init__(self, model, nstreams=1, *, _borrowed=None):
        if _borrowed is None:
            h = c_void_p()
            call("folkrnn_state_new", model._handle, nstreams, byref(h))
        else:
            h = c_void_p(_borrowed)   # owned by a sampler: never freed here
        self._h = h
        self._owned = _borrowed is None
        self.model = model          # the C state borrows the model: keep it alive
        self.nstreams = fn("folkrnn_state_nstreams")(h)
        self._vocab_size = model.vocab_size
        self._hooks = {}            # hook id -> (ctypes callback, Python fn)
        self._hook_error = None     # exception raised inside a hook this step
        self._dependents = weakref.WeakSet()   # recorders, edits: freed before the state
        model._states.add(self)

    @property
    def _handle(self):
        if self._h is None:
            raise FolkRNNError(_lib.E_INVALID, "state is closed")
        return self._h

    def close(self):
        """Free the state and drop its hooks."""
        if getattr(self, "_h", None) is None:
            return
        for d in list(self._dependents):
            d.close()
        if self._owned:
            fn("folkrnn_state_free")(self._h)
        self._h = None
        self._hooks.clear()

    # ---- stepping ------------------------------------------------------

    @property
    def steps(self):
        """Steps taken since the state was made or reset."""
        return fn("folkrnn_state_steps")(self._handle)

    def reset(self):
        """Every stream back to the initial state, step 0; hooks stay."""
        call("folkrnn_state_reset", self._handle)

    def _tokens(self, tokens):
        if isinstance(tokens, (int, np.integer, str)) or tokens is None:
            tokens = [tokens]
        tokens = list(tokens)
        if len(tokens) != self.nstreams:
            raise FolkRNNError(_lib.E_INVALID, "%d tokens for %d streams"
                               % (len(tokens), self.nstreams))
        ids = [_lib.IDLE if t is None else
               (self.model.token_id(t) if isinstance(t, str) else int(t)) for t in tokens]
        return (c_int * self.nstreams)(*ids)

    def _finish(self, rc, name):
        """Turn a step's status into the hook's exception or a FolkRNNError."""
        err, self._hook_error = self._hook_error, None
        if rc >= 0:
            return
        if rc == _lib.E_HOOK and err is not None:
            raise err
        raise FolkRNNError(rc, _lib.errmsg(rc), name)

    def step(self, tokens):
        """Feed one token to every stream and advance one step.  tokens: one
        per stream, each an id, a token text, or None (leave that stream
        alone); a single id or text when there is one stream.  Returns the
        next-token distributions, a new float32 array (nstreams, vocab); the
        row of an idle stream is zero.  An exception raised inside a hook
        aborts the step (the state is as before) and is raised here."""
        ids = self._tokens(tokens)
        probs = np.zeros((self.nstreams, self._vocab_size), dtype=np.float32)
        self._hook_error = None
        rc = fn("folkrnn_state_step")(self._handle, ids,
                                      probs.ctypes.data_as(POINTER(c_float)))
        self._finish(rc, "folkrnn_state_step")
        return probs

    def step_input(self, inputs):
        """As step with weighted inputs: inputs (nstreams, vocab) weights
        over the vocabulary per stream (a one-hot row reproduces a token,
        0.7/0.3 rows give a "two-hot" input).  Returns (nstreams, vocab)."""
        inputs = np.ascontiguousarray(inputs, dtype=np.float32).reshape(
            self.nstreams, self._vocab_size)
        probs = np.zeros((self.nstreams, self._vocab_size), dtype=np.float32)
        self._hook_error = None
        rc = fn("folkrnn_state_step_input")(self._handle,
                                            inputs.ctypes.data_as(POINTER(c_float)),
                                            probs.ctypes.data_as(POINTER(c_float)))
        self._finish(rc, "folkrnn_state_step_input")
        return probs

    def copy_from(self, other):
        """Copy other's streams and step counter into this state (same model
        and stream count); this state's hooks stay."""
        call("folkrnn_state_copy", self._handle, other._handle)

    def copy_stream(self, dst_stream, other, src_stream):
        """Copy stream src_stream of other into stream dst_stream of this."""
        call("folkrnn_state_copy_stream", self._handle, dst_stream, other._handle, src_stream)

    def vector(self, point, layer=0, stream=0, copy=True):
        """The current "hidden" (h) or "cell" (c) vector of a layer of a
        stream, or the last "logits" (layer ignored).  A copy by default;
        copy=False gives a writable view (writes change the stream's state)
        valid only until the next step, reset, copy or close."""
        ptr = fn("folkrnn_state_vector")(self._handle, _point_id(point), layer, stream)
        if not ptr:
            raise FolkRNNError(_lib.E_RANGE, _lib.errmsg(_lib.E_RANGE), "folkrnn_state_vector")
        n = self._vocab_size if _point_id(point) == POINTS["logits"] else \
            self.model.hidden_size(layer)
        view = _float_view(ptr, 1, n, n, self)[0]
        return view.copy() if copy else view

    # ---- hooks ---------------------------------------------------------

    def add_hook(self, point, layer, fn_):
        """Call fn_(event, values) at point ("ingate", "forgetgate",
        "cellgate", "outgate", "cell", "hidden", "logits", "probs"; GRU:
        "resetgate", "updategate") of layer (-1: every layer; ignored for
        logits and probs), once per active stream at every step.  values is
        a writable float32 view of the n values, valid during the call only:
        changes made to it are what the rest of the step sees.  If fn_
        raises, the step is aborted (the state is left as before the step)
        and the exception is raised from step(); a non-zero, non-None return
        also aborts it (FolkRNNError E_HOOK).  Returns a hook id for
        remove_hook."""
        state_ref = weakref.ref(self)

        def trampoline(ev_ptr, values_ptr, user):
            ev = ev_ptr.contents
            try:
                values = np.ctypeslib.as_array(values_ptr, shape=(ev.n,))
                result = fn_(Event(ev), values)
                return 0 if result is None or result is False else int(bool(result))
            except BaseException as e:  # re-raised from step()
                s = state_ref()
                if s is not None and s._hook_error is None:
                    s._hook_error = e
                return 1

        cb = _lib.HOOK_FN(trampoline)
        hook_id = call("folkrnn_state_add_hook", self._handle, _point_id(point), layer, cb, None)
        self._hooks[hook_id] = (cb, fn_)   # the callback must outlive its registration
        return hook_id

    def remove_hook(self, hook_id):
        """Remove a hook added by add_hook."""
        call("folkrnn_state_remove_hook", self._handle, hook_id)
        self._hooks.pop(hook_id, None)

    def recorder(self, points=None, max_bytes=0):
        """A Recorder on this state (see folkrnn.Recorder); points: a list of
        (point, layer) pairs to record, or "all"."""
        from .record import Recorder
        return Recorder(self, points, max_bytes)

    def edits(self):
        """A new, empty Edits on this state (see folkrnn.Edits)."""
        from .record import Edits
        return Edits(self)

    def __repr__(self):
        return "<folkrnn.State %d streams%s>" % (self.nstreams, "" if self._h else " closed")
