"""_text.py -- token classes, token text and ABC, bar counting (section 5)."""
import ctypes
from ctypes import byref, c_char_p, c_double, c_int, c_long, c_void_p

from ._core import _Closable
from ._lib import call, encode, fn

WILDCARD = -2          # FOLKRNN_WILDCARD: "*" in a template
PARSE_WILDCARD = 1     # FOLKRNN_PARSE_WILDCARD


def token_class(text):
    """The class name of a token text ("meter", "mode", "bar", "pitch", ...)."""
    return fn("folkrnn_token_class_name")(fn("folkrnn_token_class")(encode(text))).decode()


def class_id(name):
    """The FOLKRNN_TOKEN_* number of a class name (or a number, passed through)."""
    if isinstance(name, int):
        return name
    return call("folkrnn_token_class_from_name", encode(name))


def token_midi(text, mode=None):
    """MIDI note number of a pitch token read in mode ("K:Cdor", "Am", ...)."""
    return call("folkrnn_token_midi", encode(text), None if mode is None else encode(mode))


def token_duration(text):
    """A duration token's length as (numerator, denominator) of the unit length."""
    num, den = c_int(), c_int()
    call("folkrnn_token_duration", encode(text), byref(num), byref(den))
    return num.value, den.value


def _ids(ids):
    ids = [int(i) for i in ids]
    return (c_int * max(len(ids), 1))(*ids), len(ids)


def _sized_ids(name, *args):
    """Call a parser twice, snprintf-style: once to size, once to fill."""
    n = call(name, *args, None, 0)
    buf = (c_int * max(n, 1))()
    call(name, *args, buf, n)
    return list(buf[:n])


def _sized_text(name, *args):
    n = call(name, *args, None, 0)
    buf = ctypes.create_string_buffer(n + 1)
    call(name, *args, buf, n + 1)
    return buf.value.decode("utf-8")


class Bars:
    """The result of counting the bars of a tune: nbars, ncorrect, share
    (correct / bars), faults (names of every fault bit found), occurrences
    ([(fault name, token index)]) and bars ([(first, end, kind name,
    length as (num, den), meter as (num, den))], lengths in unit notes)."""

    def __init__(self, handle):
        nbars, ncorrect, share = c_int(), c_int(), c_double()
        call("folkrnn_bars_summary", handle, byref(nbars), byref(ncorrect), byref(share))
        self.nbars, self.ncorrect, self.share = nbars.value, ncorrect.value, share.value
        mask = call("folkrnn_bars_faults", handle)
        self.faults = [fn("folkrnn_fault_name")(1 << b).decode() for b in range(31)
                       if mask & (1 << b)]
        self.occurrences = []
        for i in range(call("folkrnn_bars_nfaults", handle)):
            kind, token = c_int(), c_int()
            call("folkrnn_bars_fault", handle, i, byref(kind), byref(token))
            self.occurrences.append((fn("folkrnn_fault_name")(kind.value).decode(), token.value))
        self.bars = []
        for i in range(self.nbars):
            v = [c_int(), c_int(), c_int(), c_long(), c_long(), c_long(), c_long()]
            call("folkrnn_bars_bar", handle, i, *[byref(x) for x in v])
            first, end, kind, num, den, mnum, mden = [x.value for x in v]
            self.bars.append((first, end, fn("folkrnn_bar_kind_name")(kind).decode(),
                              (num, den), (mnum, mden)))

    def __repr__(self):
        return "<folkrnn.Bars %d bars, %d correct, faults %s>" % (self.nbars, self.ncorrect,
                                                                  self.faults or "none")


class Vocab(_Closable):
    """A vocabulary (folkrnn_vocab): token texts by id, for parsing and
    rendering token text and ABC and counting bars.  Vocab(tokens),
    Vocab.v2() (folk-rnn v2's 137 tokens), or model.vocabulary()."""

    def __init__(self, tokens=None, *, _handle=None):
        if _handle is None:
            arr = (c_char_p * len(tokens))(*[encode(t) for t in tokens])
            _handle = c_void_p()
            call("folkrnn_vocab_new", arr, len(tokens), byref(_handle))
        self._h = _handle

    @classmethod
    def v2(cls):
        h = c_void_p()
        call("folkrnn_vocab_v2", byref(h))
        return cls(_handle=h)

    @classmethod
    def from_model(cls, model):
        h = c_void_p()
        call("folkrnn_vocab_from_model", model._handle, byref(h))
        return cls(_handle=h)

    def close(self):
        if getattr(self, "_h", None) is not None:
            fn("folkrnn_vocab_free")(self._h)
            self._h = None

    def __len__(self):
        return call("folkrnn_vocab_size", self._h)

    @property
    def tokens(self):
        f = fn("folkrnn_vocab_token")
        return [f(self._h, i).decode() for i in range(len(self))]

    def parse(self, text, wildcard=False):
        """Token text ("M:6/8 K:Cdor |: c 2 d", or compact "GEEE2DEDC|") to
        ids; with wildcard, "*" gives WILDCARD (for templates)."""
        return _sized_ids("folkrnn_parse_tokens", self._h, encode(text),
                          PARSE_WILDCARD if wildcard else 0)

    def parse_abc(self, text):
        """An ABC tune or body to ids."""
        return _sized_ids("folkrnn_parse_abc", self._h, encode(text), 0)

    def render(self, ids):
        """ids as token text, separated by spaces."""
        arr, n = _ids(ids)
        return _sized_text("folkrnn_render_tokens", self._h, arr, n)

    def abc(self, ids, number=1, title=None):
        """ids as a complete ABC tune (X:, T:, L:, M:, K: and the body)."""
        arr, n = _ids(ids)
        return _sized_text("folkrnn_render_abc", self._h, arr, n, number,
                           None if title is None else encode(title))

    def bars(self, ids):
        """Count the bars of a tune's ids: a Bars."""
        arr, n = _ids(ids)
        h = c_void_p()
        call("folkrnn_bars_count", self._h, arr, n, byref(h))
        try:
            return Bars(h)
        finally:
            fn("folkrnn_bars_free")(h)


__all__ = ["Vocab", "Bars", "token_class", "class_id", "token_midi", "token_duration",
           "WILDCARD"]
