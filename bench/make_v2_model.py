#!/usr/bin/python3
"""Write a random model of folk-rnn v2's shape (3x512 LSTM, 137 tokens) as a
folk-rnn pickle (Python 3 pickle, protocol 2, the dict layout of
metadata/folkrnn_v2.pkl), for benchmarks.  Usage: make_v2_model.py OUT [SEED]"""
import pickle
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


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        pickle.dump(v2_dict(int(sys.argv[2]) if len(sys.argv) > 2 else 1), f, protocol=2)
