#!/usr/bin/python3
"""folk-rnn's own sampling loop (the equations of sample-rnn-fast.py) in numpy,
as the reference the C benchmark is measured against.

Usage: numpy_sampler.py MODEL.pkl NTUNES MAXLEN
Prints: 'numpy step_seconds S tunes_per_second R' from a run that samples
NTUNES tunes of at most MAXLEN tokens, one stream, RandomState(42)."""
import pickle
import sys
import time

import numpy as np


def load(path):
    with open(path, "rb") as f:
        d = pickle.load(f, encoding="latin1")
    p = d["param_values"]
    nl = (len(p) - 3) // 14
    layers = []
    for l in range(nl):
        b = 1 + 14 * l
        W_in = np.concatenate([p[b + 3 * k] for k in range(4)], axis=1)
        W_hid = np.concatenate([p[b + 1 + 3 * k] for k in range(4)], axis=1)
        bias = np.concatenate([p[b + 2 + 3 * k] for k in range(4)])
        layers.append((W_in, W_hid, bias, p[b + 12].ravel(), p[b + 13].ravel()))
    return p[0], layers, p[-2], p[-1], d["token2idx"]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sample(emb, layers, W, b, start, end, ntunes, maxlen, rng):
    steps = 0
    for _ in range(ntunes):
        h = [L[4].copy() for L in layers]
        c = [L[3].copy() for L in layers]
        tok = start
        for _ in range(maxlen):
            x = emb[tok]
            for l, (W_in, W_hid, bias, _c0, _h0) in enumerate(layers):
                a = x.dot(W_in) + h[l].dot(W_hid) + bias
                u = W_hid.shape[0]
                i, f = sigmoid(a[:u]), sigmoid(a[u:2 * u])
                g, o = np.tanh(a[2 * u:3 * u]), sigmoid(a[3 * u:])
                c[l] = f * c[l] + i * g
                h[l] = o * np.tanh(c[l])
                x = h[l]
            z = x.dot(W) + b
            p = np.exp(z - z.max())
            p /= p.sum()
            tok = rng.choice(len(p), p=p)
            steps += 1
            if tok == end:
                break
    return steps


def main():
    emb, layers, W, b, t2i = load(sys.argv[1])
    ntunes, maxlen = int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.RandomState(42)
    t0 = time.perf_counter()
    steps = sample(emb, layers, W, b, t2i["<s>"], t2i["</s>"], ntunes, maxlen, rng)
    dt = time.perf_counter() - t0
    print("numpy step_seconds %.9g tunes_per_second %.9g steps %d" % (dt / steps, ntunes / dt, steps))


if __name__ == "__main__":
    main()
