"""folkrnn -- Python bindings (ctypes) for libfolkrnn.

    import folkrnn
    with folkrnn.Model("folkrnn_v2.pkl") as m, m.state() as s:
        probs = s.step(m.token_id("<s>"))        # (1, vocab) float32

Model: load, build (Model.new), clone, save, vocabulary, parameters as
numpy views.  State: streams stepping through a model, hooks that read and
change activations (add_hook), copies.  Vocab: token text and ABC in and
out, bar counting.  Recorder, Edits: activations recorded and edited by
the library's own hooks.  Sampler, score, beam_search: tunes drawn, scored and
searched.  folkrnn.analysis: SVD, PCA, correlations, spectra on numpy
arrays.  Errors raise FolkRNNError carrying the library's message.  The library is found through $FOLKRNN_LIB or the
dynamic loader's path (libfolkrnn.so.0).
"""
from ._lib import (FolkRNNError, IDLE, OK, E_INVALID, E_NOMEM, E_IO, E_FORMAT,
                   E_UNSUPPORTED, E_SHAPE, E_RANGE, E_HOOK, E_NUMERIC, E_PARSE, has)
from ._core import Model, State, Event, POINTS, PARAMS, default_model_path
from ._text import Vocab, Bars, token_class, token_midi, token_duration, WILDCARD
from ._sample import Sampler, Tune, Leaf, score, beam_search
from .record import Recorder, Edits
from . import _lib, analysis

__version__ = "0.1.0"


def library_version():
    """The version string of the loaded libfolkrnn."""
    return _lib.fn("folkrnn_version")().decode()


def strerror(status):
    """The library's short description of a status code."""
    return _lib.fn("folkrnn_strerror")(status).decode()
