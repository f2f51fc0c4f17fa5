#!/usr/bin/python3
"""Reference gradients with Lasagne's gradient clipping, for test_train.c.

An independent float64 numpy implementation of the loss (mean over tunes of
summed NLL) of the tiny two-layer models of test_train.c and of its gradient
by backpropagation through time, with Lasagne's grad_clipping semantics:

  LSTM: the gradient of the four gate pre-activations (x W_in + h W_hid + b)
        is clipped elementwise to [-c, c]; the cell path is not clipped.
  GRU:  the gradients of x W_in + b, of h W_hid and of the candidate's
        pre-activation are clipped (theano.gradient.grad_clip on input_n,
        hid_input and hidden_update in lasagne/layers/recurrent.py).

The weights are drawn by the same small generator as the test (an LCG), in
the same order, so both sides start from identical float32 weights.

Writes tests/fixtures/train_clip_ref.txt: for each cell type ("lstm", "gru")
a line "cell NAME LOSS", then one line per parameter "NAME count" followed by
its gradient values, row-major, in the model's packed layout.

Run: /usr/bin/python3 tests/train_ref.py
"""
import os

import numpy as np

V = 7
UNITS = [5, 11]
CLIP = 0.05
TUNES = [[0, 2, 3, 5, 4, 6, 2, 5, 1], [0, 4, 4, 5, 1], [0, 3, 6, 2, 2, 5, 1]]


class LCG:
    """test_random() of test_train.c: values in [-1, 1) as float32."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 1664525 + 1013904223) % 2**32
        return np.float32(((self.state >> 8) & 0xffffff) / 8388608.0 - 1.0)

    def fill(self, shape, amplitude):
        a = np.float32(amplitude)
        return np.array([[a * self.next() for _ in range(shape[1])] for _ in range(shape[0])],
                        dtype=np.float32)


def tiny_model(cell):
    """The weights of tiny_model(cell, 5, 11) in test_train.c."""
    rng = LCG(12345 + cell)
    G = 4 if cell == 0 else 3
    layers = []
    inp = V
    for U in UNITS:
        L = {'W_in': rng.fill((inp, G * U), 0.6), 'W_hid': rng.fill((U, G * U), 0.6),
             'b': rng.fill((1, G * U), 0.3)[0], 'hid_init': rng.fill((1, U), 0.5)[0]}
        if cell == 0:
            L['cell_init'] = rng.fill((1, U), 0.5)[0]
        layers.append(L)
        inp = U
    dense_W = rng.fill((UNITS[-1], V), 0.8)
    dense_b = rng.fill((1, V), 0.2)[0]
    return layers, dense_W, dense_b


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def clip(x):
    return np.clip(x, -CLIP, CLIP)


def lstm_layer(L, X):
    """Forward over one tune X (T, in); returns H (T, U) and the cache."""
    U = L['W_hid'].shape[0]
    h, c = L['hid_init'].astype(np.float64), L['cell_init'].astype(np.float64)
    cache, H = [], []
    for x in X:
        z = x @ L['W_in'] + h @ L['W_hid'] + L['b']
        i, f, g, o = sig(z[:U]), sig(z[U:2 * U]), np.tanh(z[2 * U:3 * U]), sig(z[3 * U:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        cache.append((x, h, c, i, f, g, o, c_new))
        h, c = h_new, c_new
        H.append(h)
    return np.array(H), cache


def lstm_back(L, cache, dH, grads):
    U = L['W_hid'].shape[0]
    dX = []
    dh_next, dc_next = np.zeros(U), np.zeros(U)
    for t in reversed(range(len(cache))):
        x, h_prev, c_prev, i, f, g, o, c = cache[t]
        dh = dH[t] + dh_next
        th = np.tanh(c)
        dc = dh * o * (1 - th * th) + dc_next
        dz = clip(np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                  dc * i * (1 - g * g), dh * th * o * (1 - o)]))
        grads['W_in'] += np.outer(x, dz)
        grads['W_hid'] += np.outer(h_prev, dz)
        grads['b'] += dz
        dX.append(L['W_in'] @ dz)
        dh_next = L['W_hid'] @ dz
        dc_next = dc * f
    return np.array(dX[::-1])


def gru_layer(L, X):
    U = L['W_hid'].shape[0]
    h = L['hid_init'].astype(np.float64)
    cache, H = [], []
    for x in X:
        xi = x @ L['W_in'] + L['b']
        hh = h @ L['W_hid']
        r = sig(xi[:U] + hh[:U])
        u = sig(xi[U:2 * U] + hh[U:2 * U])
        cand = np.tanh(xi[2 * U:] + r * hh[2 * U:])
        h_new = (1 - u) * h + u * cand
        cache.append((x, h, r, u, cand, hh))
        h = h_new
        H.append(h)
    return np.array(H), cache


def gru_back(L, cache, dH, grads):
    U = L['W_hid'].shape[0]
    dX = []
    dh_next = np.zeros(U)
    for t in reversed(range(len(cache))):
        x, h_prev, r, u, cand, hh = cache[t]
        dh = dH[t] + dh_next
        d_cand = clip(dh * u * (1 - cand * cand))
        du = dh * (cand - h_prev) * u * (1 - u)
        dr = d_cand * hh[2 * U:] * r * (1 - r)
        d_in = clip(np.concatenate([dr, du, d_cand]))
        d_hid = clip(np.concatenate([dr, du, d_cand * r]))
        grads['W_in'] += np.outer(x, d_in)
        grads['b'] += d_in
        grads['W_hid'] += np.outer(h_prev, d_hid)
        dX.append(L['W_in'] @ d_in)
        dh_next = dh * (1 - u) + L['W_hid'] @ d_hid
    return np.array(dX[::-1])


def loss_and_grads(cell):
    layers, dense_W, dense_b = tiny_model(cell)
    grads = [{k: np.zeros(L[k].shape) for k in ('W_in', 'W_hid', 'b')} for L in layers]
    g_dW, g_db = np.zeros(dense_W.shape), np.zeros(dense_b.shape)
    forward, backward = (lstm_layer, lstm_back) if cell == 0 else (gru_layer, gru_back)
    scale = 1.0 / len(TUNES)
    total = 0.0
    for tune in TUNES:
        X = np.eye(V)[tune[:-1]]
        caches = []
        for L in layers:
            X, cache = forward(L, X)
            caches.append(cache)
        logits = X @ dense_W + dense_b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        targets = tune[1:]
        total += -np.log(p[np.arange(len(targets)), targets]).sum()
        d = p.copy()
        d[np.arange(len(targets)), targets] -= 1.0
        d *= scale
        g_dW += X.T @ d
        g_db += d.sum(axis=0)
        dH = d @ dense_W.T
        for l in reversed(range(len(layers))):
            dH = backward(layers[l], caches[l], dH, grads[l])
    return total * scale, grads, g_dW, g_db


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, 'fixtures', 'train_clip_ref.txt'), 'w') as f:
        f.write('# gradients with Lasagne grad_clipping = %g; made by tests/train_ref.py\n' % CLIP)
        for cell, name in ((0, 'lstm'), (1, 'gru')):
            loss, grads, g_dW, g_db = loss_and_grads(cell)
            f.write('cell %s %.10g\n' % (name, loss))
            for l, g in enumerate(grads):
                for k in ('W_in', 'W_hid', 'b'):
                    v = g[k].ravel()
                    f.write('%s%d %d\n%s\n' % (k, l, v.size, ' '.join('%.8g' % x for x in v)))
            for k, g in (('dense_W', g_dW), ('dense_b', g_db)):
                v = g.ravel()
                f.write('%s %d\n%s\n' % (k, v.size, ' '.join('%.8g' % x for x in v)))


if __name__ == '__main__':
    main()
