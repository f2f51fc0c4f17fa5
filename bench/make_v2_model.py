#!/usr/bin/python3
"""Write a random model of folk-rnn v2's shape (3x512 LSTM, 137 tokens) as a
folk-rnn pickle (protocol 2, the dict layout of metadata/folkrnn_v2.pkl), for
benchmarks.  Usage: make_v2_model.py OUT [SEED] [--py3]

By default raw bytes are written as Python 2's cPickle wrote them
(SHORT_BINSTRING/BINSTRING), the layout of folk-rnn's own file; --py3 keeps
Python 3's protocol-2 form, _codecs.encode(str, 'latin1'), which a loader
must decode character by character."""
import pickle
import struct
import sys

import numpy as np


def v2_dict(seed=1, vocab=137, units=512, layers=3):
    rng = np.random.RandomState(seed)
    f32 = np.float32
    params = [np.eye(vocab, dtype=f32)]
    width = vocab
    for _ in range(layers):
        for _gate in range(4):
            params.append((rng.randn(width, units) * 0.08).astype(f32))
            params.append((rng.randn(units, units) * 0.04).astype(f32))
            params.append((rng.randn(units) * 0.1).astype(f32))
        params.append(np.zeros((1, units), f32))
        hid = rng.randn(1, units).astype(f32)
        params.append(hid / np.linalg.norm(hid))
        width = units
    params.append((rng.randn(units, vocab) * 0.1).astype(f32))
    params.append((rng.randn(vocab) * 0.1).astype(f32))
    tokens = ["<s>", "</s>"] + ["t%d" % i for i in range(vocab - 2)]
    return {"configuration": "bench", "param_values": params,
            "token2idx": {t: i for i, t in enumerate(tokens)}}


class Py2Pickler(pickle._Pickler):
    """Protocol 2 with bytes as Python 2 str (BINSTRING), as cPickle wrote them."""
    dispatch = pickle._Pickler.dispatch.copy()

    def save_binstring(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_binstring


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--py3"]
    model = v2_dict(int(args[1]) if len(args) > 1 else 1)
    with open(args[0], "wb") as f:
        if "--py3" in sys.argv:
            pickle.dump(model, f, protocol=2)
        else:
            Py2Pickler(f, protocol=2).dump(model)
