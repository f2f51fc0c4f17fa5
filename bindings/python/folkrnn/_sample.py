"""_sample.py -- sampling tunes, scoring them, beam search (section 6)."""
from collections import namedtuple
from ctypes import POINTER, byref, c_double, c_int, c_void_p

import numpy as np

from . import _lib
from ._core import State, _Closable
from ._lib import BeamOpts, call, fn
from ._text import class_id

RNGS = {"default": 0, "numpy": 1}
SCORE_NO_END = 1

Tune = namedtuple("Tune", "tokens ended")
Tune.__doc__ = """A drawn tune: tokens (ids after <s>, without </s>) and
ended (True when it ended with </s>, False when cut at max_len)."""

Leaf = namedtuple("Leaf", "tokens prob")


def _int_array(ids):
    ids = [int(i) for i in ids]
    return (c_int * max(len(ids), 1))(*ids), len(ids)


class Sampler(_Closable):
    """Draws tunes from a model (folkrnn_sampler).  Settings are keyword
    arguments here or setters later: streams, temperature, seed, rng
    ("default": tune k reproducible from seed + k; "numpy": folk-rnn's own
    RandomState stream), meter, mode (token ids or texts), prime and template
    (lists of ids or texts; WILDCARD / "*" where the model chooses), top_k,
    top_p, max_len.  sampler.state is the State tunes are drawn with: add
    hooks to it to intervene while sampling (they go when streams change)."""

    def __init__(self, model, **settings):
        self.model = model
        self._state = None
        h = c_void_p()
        call("folkrnn_sampler_new", model._handle, byref(h))
        self._h = h
        model._states.add(self)         # closed with the model
        for key, value in settings.items():
            getattr(self, "set_" + key)(value)

    def close(self):
        if getattr(self, "_h", None) is not None:
            if self._state is not None:
                self._state.close()
            fn("folkrnn_sampler_free")(self._h)
            self._h = None

    def _ids(self, tokens):
        return self.model.token_ids(tokens)

    @property
    def state(self):
        """The sampler's State (borrowed from the sampler)."""
        if self._state is None:
            self._state = State(self.model, _borrowed=fn("folkrnn_sampler_state")(self._h))
        return self._state

    def set_streams(self, n):
        call("folkrnn_sampler_set_streams", self._h, n)
        if self._state is not None:     # the old state, and its hooks, are gone
            self._state.close()
            self._state = None

    def set_temperature(self, t):
        call("folkrnn_sampler_set_temperature", self._h, t)

    def set_rng(self, kind):
        call("folkrnn_sampler_set_rng", self._h, RNGS.get(kind, kind))

    def set_seed(self, seed):
        call("folkrnn_sampler_set_seed", self._h, seed)

    def set_meter(self, token):
        call("folkrnn_sampler_set_meter", self._h, -1 if token is None else self._ids([token])[0])

    def set_mode(self, token):
        call("folkrnn_sampler_set_mode", self._h, -1 if token is None else self._ids([token])[0])

    def set_prime(self, tokens):
        arr, n = _int_array(self._ids(tokens or []))
        call("folkrnn_sampler_set_prime", self._h, arr, n)

    def set_template(self, items):
        items = [-2 if t == "*" else t for t in (items or [])]
        arr, n = _int_array(self._ids(items))
        call("folkrnn_sampler_set_template", self._h, arr, n)

    def set_top_k(self, k):
        call("folkrnn_sampler_set_top_k", self._h, k)

    def set_top_p(self, p):
        call("folkrnn_sampler_set_top_p", self._h, p)

    def set_max_len(self, n):
        call("folkrnn_sampler_set_max_len", self._h, n)

    def bias(self, token=None, cls=None, delta=0.0):
        """Add delta to the logit of a token (id or text) or of a class
        ("bar", "pitch", ...) at every drawn position; 0 removes it."""
        if cls is not None:
            call("folkrnn_sampler_bias_class", self._h, class_id(cls), delta)
        else:
            call("folkrnn_sampler_bias_token", self._h, self._ids([token])[0], delta)

    def suppress(self, token=None, cls=None, start=0, stop=-1):
        """Forbid a token or class at tune positions start <= pos < stop
        (stop -1: to the end)."""
        if cls is not None:
            call("folkrnn_sampler_suppress_class", self._h, class_id(cls), start, stop)
        else:
            call("folkrnn_sampler_suppress_token", self._h, self._ids([token])[0], start, stop)

    def clear_suppress(self):
        call("folkrnn_sampler_clear_suppress", self._h)

    def sample(self, ntunes=1):
        """Draw ntunes tunes: a list of Tune(tokens, ended).  An exception
        raised by a hook on sampler.state stops the draw and is raised here."""
        out = c_void_p()
        state = self._state
        if state is not None:
            state._hook_error = None
        rc = fn("folkrnn_sample")(self._h, ntunes, byref(out))
        if state is not None:
            state._finish(rc, "folkrnn_sample")
        elif rc < 0:
            raise _lib.FolkRNNError(rc, _lib.errmsg(rc), "folkrnn_sample")
        try:
            tunes = []
            for k in range(fn("folkrnn_tunes_count")(out)):
                n = c_int()
                ptr = fn("folkrnn_tunes_tokens")(out, k, byref(n))
                tokens = list(ptr[:n.value]) if n.value else []
                tunes.append(Tune(tokens, bool(fn("folkrnn_tunes_ended")(out, k))))
            return tunes
        finally:
            fn("folkrnn_tunes_free")(out)


def score(state, tunes, end=True, per_token=False):
    """Log-likelihoods (natural log, temperature 1) of tunes (lists of ids
    or texts after <s>, without </s>) under state's model, with state's hooks
    applied; state is reset first.  end: also score the closing </s>.
    Returns a float64 array (ntunes,), and with per_token also the list of
    each tune's per-token log-probabilities."""
    ids = [state.model.token_ids(t) for t in tunes]
    lengths = [len(t) for t in ids]
    flat, _ = _int_array([i for t in ids for i in t])
    lens, ntunes = _int_array(lengths)
    loglik = np.zeros(ntunes, dtype=np.float64)
    per = np.zeros(sum(lengths) + (ntunes if end else 0), dtype=np.float64) if per_token else None
    state._hook_error = None
    rc = fn("folkrnn_score")(state._handle, flat, lens, ntunes, 0 if end else SCORE_NO_END,
                             loglik.ctypes.data_as(POINTER(c_double)),
                             None if per is None else per.ctypes.data_as(POINTER(c_double)))
    state._finish(rc, "folkrnn_score")
    if not per_token:
        return loglik
    split = np.cumsum([n + (1 if end else 0) for n in lengths])[:-1]
    return loglik, [list(x) for x in np.split(per, split)]


def beam_search(model, context=(), depth=2, width=0, width_fraction=0.1, floor=1e-6,
                temperature=1.0):
    """Sturm's beam search over the next depth tokens after <s> + context:
    returns (leaves, mass) with leaves a list of Leaf(tokens, prob), most
    probable first, and mass a dict of visited, outside_beam and below_floor
    probability (summing to 1)."""
    opts = BeamOpts()
    fn("folkrnn_beam_opts_init")(byref(opts))
    opts.depth, opts.width, opts.width_fraction = depth, width, width_fraction
    opts.floor, opts.temperature = floor, temperature
    arr, n = _int_array(model.token_ids(context))
    out = c_void_p()
    call("folkrnn_beam_search", model._handle, arr, n, byref(opts), byref(out))
    try:
        leaves = []
        for i in range(fn("folkrnn_beam_count")(out)):
            length, prob = c_int(), c_double()
            ptr = fn("folkrnn_beam_leaf")(out, i, byref(length), byref(prob))
            leaves.append(Leaf(list(ptr[:length.value]), prob.value))
        v, o, b = c_double(), c_double(), c_double()
        call("folkrnn_beam_mass", out, byref(v), byref(o), byref(b))
        return leaves, {"visited": v.value, "outside_beam": o.value, "below_floor": b.value}
    finally:
        fn("folkrnn_beam_free")(out)
