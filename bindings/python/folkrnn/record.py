"""record.py -- recording activations and editing them (sections 8.6, 8.7)."""
import os
from ctypes import POINTER, byref, c_float, c_int, c_long, c_void_p

import numpy as np

from ._core import _Closable, _point_id
from ._lib import call, encode, fn

EDIT_OPS = {"set": 0, "scale": 1, "add": 2}


class Recorder(_Closable):
    """Records, for each point, layer and stream, the values of every step
    (folkrnn_recorder), through hooks on a State.  It sees values as the
    hooks added before it left them.  Freed before its state (closing the
    state closes it).

        with state.recorder([("hidden", -1), ("probs", -1)]) as rec:
            for t in tokens: state.step(t)
            h2, steps = rec.data("hidden", 2)        # (steps, units) float32
    """

    def __init__(self, state, points=None, max_bytes=0):
        self.state = state
        h = c_void_p()
        call("folkrnn_recorder_new", state._handle, max_bytes, byref(h))
        self._h = h
        state._dependents.add(self)
        if points == "all":
            call("folkrnn_recorder_add_all", self._h)
        else:
            for point, layer in points or []:
                self.add(point, layer)

    def add(self, point, layer=-1):
        """Record point at layer (-1: every layer) from the next step on."""
        call("folkrnn_recorder_add", self._h, _point_id(point), layer)

    def data(self, point, layer=0, stream=0):
        """(values, steps): a float32 copy (rows, n) of what was recorded at
        point, layer, stream, and the step number of each row (int64)."""
        data, steps = POINTER(c_float)(), POINTER(c_long)()
        rows, cols = c_int(), c_int()
        call("folkrnn_recorder_data", self._h, _point_id(point), layer, stream, byref(data),
             byref(steps), byref(rows), byref(cols))
        if rows.value == 0:
            return np.zeros((0, cols.value), np.float32), np.zeros(0, np.int64)
        values = np.ctypeslib.as_array(data, shape=(rows.value, cols.value)).copy()
        return values, np.ctypeslib.as_array(steps, shape=(rows.value,)).astype(np.int64)

    @property
    def truncated(self):
        """True when rows were dropped (memory bound)."""
        return bool(fn("folkrnn_recorder_truncated")(self._h))

    @property
    def nbytes(self):
        return fn("folkrnn_recorder_bytes")(self._h)

    def clear(self):
        """Forget every row; what is recorded stays."""
        fn("folkrnn_recorder_clear")(self._h)

    def save_npz(self, path, flags=0):
        """Every track to an .npz (members like "hidden_l2_s0")."""
        call("folkrnn_recorder_save_npz", self._h, encode(os.fspath(path)), flags)

    def close(self):
        if getattr(self, "_h", None) is not None:
            if self.state._h is not None:
                fn("folkrnn_recorder_free")(self._h)
            self._h = None


class Edits(_Closable):
    """Edits of activations while a State steps (folkrnn_edits): set, scale
    or add to chosen units at a point, within a range of steps.  Freed
    before its state (closing the state closes it).

        with state.edits() as e:
            e.add("hidden", 1, units=[17, 42])                  # zero them
            e.add("logits", -1, units=[bar], op="add", value=2.0)
    """

    def __init__(self, state):
        self.state = state
        h = c_void_p()
        call("folkrnn_edits_new", state._handle, byref(h))
        self._h = h
        state._dependents.add(self)

    def add(self, point, layer=-1, units=None, op="set", value=0.0, stream=-1, start=0,
            stop=-1):
        """Apply op ("set", "scale", "add") with value to units (None: every
        value) at point of layer (-1: every layer), in stream (-1: all),
        from step start up to stop (-1: no end)."""
        units = [] if units is None else [int(u) for u in units]
        arr = (c_int * max(len(units), 1))(*units) if units else None
        call("folkrnn_edits_add", self._h, _point_id(point), layer, stream, arr, len(units),
             EDIT_OPS.get(op, op), value, start, stop)

    def close(self):
        if getattr(self, "_h", None) is not None:
            if self.state._h is not None:
                fn("folkrnn_edits_free")(self._h)
            self._h = None

