"""_lib.py -- load libfolkrnn and declare the C functions the package calls.

Every C function the bindings use is declared once, in PROTOTYPES below, with
its result and argument types.  A function the loaded library lacks (an
older library, or a section not built yet) is simply left out: calling it
through fn() raises FolkRNNError naming it, so the rest of the package keeps
working.  To wrap a new C function: add one line to PROTOTYPES, then call
fn("folkrnn_...") from the Python class that exposes it.
"""
import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_float, c_int,
                    c_long, c_size_t, c_ulonglong, c_void_p)

SONAME = "libfolkrnn.so.0"

# Status codes (enum folkrnn_status in folkrnn.h).
OK = 0
E_INVALID = -1
E_NOMEM = -2
E_IO = -3
E_FORMAT = -4
E_UNSUPPORTED = -5
E_SHAPE = -6
E_RANGE = -7
E_HOOK = -8
E_NUMERIC = -9
E_PARSE = -10

IDLE = -1  # FOLKRNN_IDLE: leave a stream alone this step


class FolkRNNError(Exception):
    """A libfolkrnn call failed.

    Attributes: status (the negative FOLKRNN_E_* code), message (the
    library's folkrnn_errmsg() for the failure, or folkrnn_strerror when it
    left none) and function (the C function that failed)."""

    def __init__(self, status, message, function=None):
        self.status = status
        self.message = message
        self.function = function
        super().__init__(message)


class HookEvent(Structure):
    """struct folkrnn_hook_event; fields are only ever appended."""
    _fields_ = [("point", c_int), ("layer", c_int), ("stream", c_int),
                ("step", c_long), ("token", c_int), ("n", c_int)]


class Matrix(Structure):
    """struct folkrnn_matrix (section 8.1); fields are only ever appended."""
    _fields_ = [("rows", c_int), ("cols", c_int), ("ld", c_int),
                ("data", POINTER(c_double)), ("owner", c_int)]


class BeamOpts(Structure):
    """struct folkrnn_beam_opts; set by folkrnn_beam_opts_init (size first)."""
    _fields_ = [("size", c_size_t), ("depth", c_int), ("width", c_int),
                ("width_fraction", c_double), ("floor", c_double), ("temperature", c_double)]


_matrix = POINTER(Matrix)

HOOK_FN = CFUNCTYPE(c_int, POINTER(HookEvent), POINTER(c_float), c_void_p)

_model = c_void_p
_state = c_void_p
_vocab = c_void_p
_sampler = c_void_p
_p = POINTER
_fp = POINTER(c_float)

# name: (restype, [argtypes])
PROTOTYPES = {
    # 1. versions and errors
    "folkrnn_version": (c_char_p, []),
    "folkrnn_strerror": (c_char_p, [c_int]),
    "folkrnn_errmsg": (c_char_p, []),
    # 2. models
    "folkrnn_model_load": (c_int, [c_char_p, _p(_model)]),
    "folkrnn_model_load_buffer": (c_int, [c_char_p, c_size_t, _p(_model)]),
    "folkrnn_model_save": (c_int, [_model, c_char_p]),
    "folkrnn_default_model_path": (c_char_p, []),
    "folkrnn_model_new": (c_int, [c_int, c_int, _p(c_int), c_int, _p(c_char_p), c_int,
                                  _p(_model)]),
    "folkrnn_model_clone": (c_int, [_model, _p(_model)]),
    "folkrnn_model_free": (None, [_model]),
    "folkrnn_model_cell_type": (c_int, [_model]),
    "folkrnn_model_num_layers": (c_int, [_model]),
    "folkrnn_model_hidden_size": (c_int, [_model, c_int]),
    "folkrnn_model_vocab_size": (c_int, [_model]),
    "folkrnn_model_input_size": (c_int, [_model]),
    "folkrnn_model_is_onehot": (c_int, [_model]),
    "folkrnn_model_num_params": (c_long, [_model]),
    "folkrnn_model_token": (c_char_p, [_model, c_int]),
    "folkrnn_model_token_id": (c_int, [_model, c_char_p]),
    "folkrnn_model_param": (c_int, [_model, c_int, c_int, _p(_fp), _p(c_int), _p(c_int),
                                    _p(c_int)]),
    "folkrnn_model_param_const": (c_int, [_model, c_int, c_int, _p(_fp), _p(c_int),
                                          _p(c_int), _p(c_int)]),
    "folkrnn_model_meta": (c_char_p, [_model, c_char_p]),
    "folkrnn_model_meta_key": (c_char_p, [_model, c_int]),
    "folkrnn_model_set_meta": (c_int, [_model, c_char_p, c_char_p]),
    # 3. states
    "folkrnn_state_new": (c_int, [_model, c_int, _p(_state)]),
    "folkrnn_state_free": (None, [_state]),
    "folkrnn_state_reset": (c_int, [_state]),
    "folkrnn_state_step": (c_int, [_state, _p(c_int), _fp]),
    "folkrnn_state_step_input": (c_int, [_state, _fp, _fp]),
    "folkrnn_state_copy": (c_int, [_state, _state]),
    "folkrnn_state_copy_stream": (c_int, [_state, c_int, _state, c_int]),
    "folkrnn_state_nstreams": (c_int, [_state]),
    "folkrnn_state_steps": (c_long, [_state]),
    "folkrnn_state_vector": (_fp, [_state, c_int, c_int, c_int]),
    # 4. hooks
    "folkrnn_hook_point_name": (c_char_p, [c_int]),
    "folkrnn_hook_point_from_name": (c_int, [c_char_p]),
    "folkrnn_state_add_hook": (c_int, [_state, c_int, c_int, HOOK_FN, c_void_p]),
    "folkrnn_state_remove_hook": (c_int, [_state, c_int]),
    # 5. vocabulary, token text and ABC, bars
    "folkrnn_token_class": (c_int, [c_char_p]),
    "folkrnn_token_class_name": (c_char_p, [c_int]),
    "folkrnn_token_class_from_name": (c_int, [c_char_p]),
    "folkrnn_model_token_class": (c_int, [_model, c_int]),
    "folkrnn_token_midi": (c_int, [c_char_p, c_char_p]),
    "folkrnn_token_duration": (c_int, [c_char_p, _p(c_int), _p(c_int)]),
    "folkrnn_vocab_new": (c_int, [_p(c_char_p), c_int, _p(_vocab)]),
    "folkrnn_vocab_from_model": (c_int, [_model, _p(_vocab)]),
    "folkrnn_vocab_v2": (c_int, [_p(_vocab)]),
    "folkrnn_vocab_free": (None, [_vocab]),
    "folkrnn_vocab_size": (c_int, [_vocab]),
    "folkrnn_vocab_token": (c_char_p, [_vocab, c_int]),
    "folkrnn_parse_tokens": (c_int, [_vocab, c_char_p, c_int, _p(c_int), c_int]),
    "folkrnn_parse_abc": (c_int, [_vocab, c_char_p, c_int, _p(c_int), c_int]),
    "folkrnn_render_tokens": (c_int, [_vocab, _p(c_int), c_int, c_char_p, c_size_t]),
    "folkrnn_render_abc": (c_int, [_vocab, _p(c_int), c_int, c_int, c_char_p, c_char_p,
                                   c_size_t]),
    "folkrnn_bars_count": (c_int, [_vocab, _p(c_int), c_int, _p(c_void_p)]),
    "folkrnn_bars_free": (None, [c_void_p]),
    "folkrnn_bars_summary": (c_int, [c_void_p, _p(c_int), _p(c_int), _p(c_double)]),
    "folkrnn_bars_bar": (c_int, [c_void_p, c_int, _p(c_int), _p(c_int), _p(c_int), _p(c_long),
                                 _p(c_long), _p(c_long), _p(c_long)]),
    "folkrnn_bars_faults": (c_int, [c_void_p]),
    "folkrnn_bars_nfaults": (c_int, [c_void_p]),
    "folkrnn_bars_fault": (c_int, [c_void_p, c_int, _p(c_int), _p(c_int)]),
    "folkrnn_bar_kind_name": (c_char_p, [c_int]),
    "folkrnn_fault_name": (c_char_p, [c_int]),
    # 6. sampling, scoring, beam search
    "folkrnn_sampler_new": (c_int, [_model, _p(_sampler)]),
    "folkrnn_sampler_free": (None, [_sampler]),
    "folkrnn_sampler_state": (_state, [_sampler]),
    "folkrnn_sampler_set_streams": (c_int, [_sampler, c_int]),
    "folkrnn_sampler_set_temperature": (c_int, [_sampler, c_double]),
    "folkrnn_sampler_set_rng": (c_int, [_sampler, c_int]),
    "folkrnn_sampler_set_seed": (c_int, [_sampler, c_ulonglong]),
    "folkrnn_sampler_set_meter": (c_int, [_sampler, c_int]),
    "folkrnn_sampler_set_mode": (c_int, [_sampler, c_int]),
    "folkrnn_sampler_set_prime": (c_int, [_sampler, _p(c_int), c_int]),
    "folkrnn_sampler_set_template": (c_int, [_sampler, _p(c_int), c_int]),
    "folkrnn_sampler_bias_token": (c_int, [_sampler, c_int, c_double]),
    "folkrnn_sampler_bias_class": (c_int, [_sampler, c_int, c_double]),
    "folkrnn_sampler_suppress_token": (c_int, [_sampler, c_int, c_long, c_long]),
    "folkrnn_sampler_suppress_class": (c_int, [_sampler, c_int, c_long, c_long]),
    "folkrnn_sampler_clear_suppress": (c_int, [_sampler]),
    "folkrnn_sampler_set_top_k": (c_int, [_sampler, c_int]),
    "folkrnn_sampler_set_top_p": (c_int, [_sampler, c_double]),
    "folkrnn_sampler_set_max_len": (c_int, [_sampler, c_int]),
    "folkrnn_sample": (c_int, [_sampler, c_int, _p(c_void_p)]),
    "folkrnn_tunes_count": (c_int, [c_void_p]),
    "folkrnn_tunes_tokens": (_p(c_int), [c_void_p, c_int, _p(c_int)]),
    "folkrnn_tunes_ended": (c_int, [c_void_p, c_int]),
    "folkrnn_tunes_free": (None, [c_void_p]),
    "folkrnn_score": (c_int, [_state, _p(c_int), _p(c_int), c_int, c_int, _p(c_double),
                              _p(c_double)]),
    "folkrnn_beam_opts_init": (None, [_p(BeamOpts)]),
    "folkrnn_beam_search": (c_int, [_model, _p(c_int), c_int, _p(BeamOpts), _p(c_void_p)]),
    "folkrnn_beam_count": (c_int, [c_void_p]),
    "folkrnn_beam_leaf": (_p(c_int), [c_void_p, c_int, _p(c_int), _p(c_double)]),
    "folkrnn_beam_mass": (c_int, [c_void_p, _p(c_double), _p(c_double), _p(c_double)]),
    "folkrnn_beam_free": (None, [c_void_p]),
    # 8. analysis
    "folkrnn_matrix_view": (c_int, [_p(c_double), c_int, c_int, c_int, _p(_matrix)]),
    "folkrnn_matrix_free": (None, [_matrix]),
    "folkrnn_gram": (c_int, [_matrix, c_int, c_int, _p(_matrix)]),
    "folkrnn_corr_columns": (c_int, [_matrix, c_int, _p(_matrix)]),
    "folkrnn_svd": (c_int, [_matrix, _p(c_double), _p(_matrix), _p(_matrix)]),
    "folkrnn_eig_sym": (c_int, [_matrix, _p(c_double), _p(_matrix)]),
    "folkrnn_pca": (c_int, [_matrix, c_int, _p(_matrix), _p(c_double), _p(c_double),
                            _p(c_double)]),
    "folkrnn_window": (c_int, [c_int, c_int, _p(c_double)]),
    "folkrnn_periodogram": (c_int, [_p(c_double), c_int, c_int, c_int, _p(c_double)]),
    "folkrnn_unit_spectra": (c_int, [_matrix, c_int, c_int, c_int, _p(_matrix)]),
    "folkrnn_band_share": (c_int, [_matrix, c_int, c_double, c_double, _p(c_double)]),
    "folkrnn_recorder_new": (c_int, [_state, c_size_t, _p(c_void_p)]),
    "folkrnn_recorder_add": (c_int, [c_void_p, c_int, c_int]),
    "folkrnn_recorder_add_all": (c_int, [c_void_p]),
    "folkrnn_recorder_data": (c_int, [c_void_p, c_int, c_int, c_int, _p(_fp), _p(_p(c_long)),
                                      _p(c_int), _p(c_int)]),
    "folkrnn_recorder_truncated": (c_int, [c_void_p]),
    "folkrnn_recorder_bytes": (c_size_t, [c_void_p]),
    "folkrnn_recorder_clear": (None, [c_void_p]),
    "folkrnn_recorder_save_npz": (c_int, [c_void_p, c_char_p, c_int]),
    "folkrnn_recorder_free": (None, [c_void_p]),
    "folkrnn_edits_new": (c_int, [_state, _p(c_void_p)]),
    "folkrnn_edits_add": (c_int, [c_void_p, c_int, c_int, c_int, _p(c_int), c_int, c_int,
                                  c_double, c_long, c_long]),
    "folkrnn_edits_free": (None, [c_void_p]),
    "folkrnn_model_snip": (c_int, [_model, c_int, _p(c_int), c_int, c_int]),
    "folkrnn_choose_random": (c_int, [c_int, c_int, c_ulonglong, _p(c_int)]),
    "folkrnn_choose_top": (c_int, [_p(c_double), c_int, c_int, _p(c_int)]),
    "folkrnn_odds_delta": (c_double, [c_double]),
    "folkrnn_prob_after_delta": (c_double, [c_double, c_double]),
}


def _candidates():
    """Library names to try, in order: $FOLKRNN_LIB, the loader's own search."""
    env = os.environ.get("FOLKRNN_LIB")
    if env:
        return [env]
    found = ctypes.util.find_library("folkrnn")
    return [found, SONAME] if found else [SONAME]


def _open():
    errors = []
    for name in _candidates():
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            errors.append(str(e))
    raise ImportError("folkrnn: cannot load libfolkrnn (set FOLKRNN_LIB to the path of "
                      "libfolkrnn.so.0): " + "; ".join(errors))


def _declare(lib):
    table = {}
    for name, (restype, argtypes) in PROTOTYPES.items():
        f = getattr(lib, name, None)
        if f is None:
            continue
        f.restype = restype
        f.argtypes = argtypes
        table[name] = f
    return table


LIB = _open()
_FUNCS = _declare(LIB)


def fn(name):
    """The declared C function name; FolkRNNError if the library lacks it."""
    f = _FUNCS.get(name)
    if f is None:
        raise FolkRNNError(E_UNSUPPORTED, "%s is not in the loaded libfolkrnn (%s)"
                           % (name, LIB._name), name)
    return f


def has(name):
    """True when the loaded library provides C function name."""
    return name in _FUNCS


def errmsg(status):
    """The calling thread's message for a failure with status."""
    msg = _FUNCS["folkrnn_errmsg"]()
    if msg:
        return msg.decode("utf-8", "replace")
    return _FUNCS["folkrnn_strerror"](status).decode()


def call(name, *args):
    """Call C function name; raise FolkRNNError with the library's message
    when it returns a negative status, else return the result."""
    rc = fn(name)(*args)
    if rc < 0:
        raise FolkRNNError(rc, errmsg(rc), name)
    return rc


def library_path():
    """The file the loaded libfolkrnn came from (through dladdr)."""
    class DlInfo(Structure):
        _fields_ = [("dli_fname", c_char_p), ("dli_fbase", c_void_p),
                    ("dli_sname", c_char_p), ("dli_saddr", c_void_p)]
    libc = ctypes.CDLL(None)
    dladdr = libc.dladdr
    dladdr.argtypes = [c_void_p, POINTER(DlInfo)]
    dladdr.restype = c_int
    info = DlInfo()
    addr = ctypes.cast(_FUNCS["folkrnn_version"], c_void_p)
    if not dladdr(addr, ctypes.byref(info)) or not info.dli_fname:
        return None
    return os.path.realpath(info.dli_fname.decode())


def encode(text):
    """str -> bytes for char * arguments (UTF-8)."""
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)
