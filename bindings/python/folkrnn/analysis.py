"""folkrnn.analysis -- the library's analysis functions (section 8) on numpy
arrays: decompositions, correlations, spectra.  Inputs are any 2-D (or 1-D)
array-likes, converted to float64; results are new numpy arrays.

    from folkrnn import analysis
    s, u, v = analysis.svd(model.param(0, "dense_w", writable=False))
    power = analysis.unit_spectra(hidden_over_a_tune, window="hann")
"""
from ctypes import POINTER, byref, c_double, c_int

import numpy as np

from ._lib import call, fn, Matrix

WINDOWS = {"rect": 0, "hann": 1, "hamming": 2, "blackman": 3}
GRAM_SIDES = {"cols": 0, "rows": 1}
CORR_KINDS = {"pearson": 0, "cosine": 1}

_dp = POINTER(c_double)


class _View:
    """A folkrnn_matrix viewing a float64 C-ordered copy of a (kept alive
    while the view lives)."""

    def __init__(self, a):
        self.array = np.ascontiguousarray(np.atleast_2d(np.asarray(a, dtype=np.float64)))
        rows, cols = self.array.shape
        self.ptr = POINTER(Matrix)()
        call("folkrnn_matrix_view", self.array.ctypes.data_as(_dp), rows, cols, cols,
             byref(self.ptr))

    def __enter__(self):
        return self.ptr

    def __exit__(self, *exc):
        fn("folkrnn_matrix_free")(self.ptr)


def _take(ptr):
    """A library-made matrix as a new numpy array; frees the matrix."""
    if not ptr:
        return None
    m = ptr.contents
    try:
        flat = np.ctypeslib.as_array(m.data, shape=((m.rows - 1) * m.ld + m.cols,))
        return np.lib.stride_tricks.as_strided(flat, (m.rows, m.cols), (8 * m.ld, 8)).copy()
    finally:
        fn("folkrnn_matrix_free")(ptr)


def _out():
    return POINTER(Matrix)()


def _vec(n):
    v = np.zeros(n, dtype=np.float64)
    return v, v.ctypes.data_as(_dp)


def svd(a, vectors=True):
    """Thin SVD a = U diag(s) V^T: (s, U, V), or s alone with vectors=False."""
    with _View(a) as m:
        s, sp = _vec(min(m.contents.rows, m.contents.cols))
        u, v = _out(), _out()
        call("folkrnn_svd", m, sp, byref(u) if vectors else None, byref(v) if vectors else None)
    return (s, _take(u), _take(v)) if vectors else s


def eig_sym(a):
    """Eigenvalues (descending) and eigenvectors (columns) of a symmetric matrix."""
    with _View(a) as m:
        w, wp = _vec(m.contents.rows)
        v = _out()
        call("folkrnn_eig_sym", m, wp, byref(v))
    return w, _take(v)


def pca(x, ncomp):
    """Principal components of x (observations x variables): a dict of
    components (variables x ncomp), variance, ratio and mean."""
    with _View(x) as m:
        var, vp = _vec(ncomp)
        ratio, rp = _vec(ncomp)
        mean, mp = _vec(m.contents.cols)
        comps = _out()
        call("folkrnn_pca", m, ncomp, byref(comps), vp, rp, mp)
    return {"components": _take(comps), "variance": var, "ratio": ratio, "mean": mean}


def gram(a, side="cols", normalise=False):
    """A^T A (side "cols") or A A^T ("rows"); normalise for cosines."""
    with _View(a) as m:
        out = _out()
        call("folkrnn_gram", m, GRAM_SIDES[side], int(normalise), byref(out))
    return _take(out)


def corr_columns(a, kind="pearson"):
    """Correlations of a's columns ("pearson" or "cosine"); NaN where undefined."""
    with _View(a) as m:
        out = _out()
        call("folkrnn_corr_columns", m, CORR_KINDS[kind], byref(out))
    return _take(out)


def window(kind, n):
    """A window of n points: "rect", "hann", "hamming" or "blackman"."""
    w, wp = _vec(n)
    call("folkrnn_window", WINDOWS[kind], n, wp)
    return w


def periodogram(x, window="hann", demean=True):
    """Power spectrum of one signal x[n] as a density: n // 2 + 1 bins."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    power, pp = _vec(len(x) // 2 + 1)
    call("folkrnn_periodogram", x.ctypes.data_as(_dp), len(x), WINDOWS[window], int(demean), pp)
    return power


def unit_spectra(x, window="hann", demean=True, grid=0):
    """Periodogram of every column of x (steps x units): units x (bins)."""
    with _View(x) as m:
        out = _out()
        call("folkrnn_unit_spectra", m, WINDOWS[window], int(demean), grid, byref(out))
    return _take(out)


def band_share(power, n, period, tol=0.5):
    """Share of each spectrum's power (rows of power, signals of n steps)
    within period +- tol steps."""
    with _View(power) as m:
        share, sp = _vec(m.contents.rows)
        call("folkrnn_band_share", m, n, period, tol, sp)
    return share


def choose_random(n, k, seed):
    """k distinct indices of range(n), uniformly at random from seed (the
    same on every platform), ascending."""
    units = (c_int * max(k, 1))()
    call("folkrnn_choose_random", n, k, seed, units)
    return list(units[:k])


def choose_top(score, k):
    """Indices of the k largest scores (NaN last, ties to the lower index), ascending."""
    score = np.ascontiguousarray(score, dtype=np.float64)
    units = (c_int * max(k, 1))()
    call("folkrnn_choose_top", score.ctypes.data_as(_dp), len(score), k, units)
    return list(units[:k])


def odds_delta(factor):
    """The logit change that multiplies a token's odds by factor: log(factor)."""
    return fn("folkrnn_odds_delta")(factor)


def prob_after_delta(p, delta):
    """A token's probability p after its logit changes by delta (Sturm's formula)."""
    return fn("folkrnn_prob_after_delta")(p, delta)
