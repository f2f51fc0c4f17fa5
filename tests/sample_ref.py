#!/usr/bin/python3
"""sample_ref.py -- numpy reference for libfolkrnn's sampler tests.

Run with the system Python (numpy only; it never touches libfolkrnn):

    /usr/bin/python3 tests/sample_ref.py [OUTFILE]   (default tests/fixtures/sample_ref.txt)

It reads the model of tests/fixtures/tiny_weights.txt (the weights of
tiny_py2.pkl, written by make_fixtures.py) and runs folk-rnn's sampling
algorithm as sample-rnn-fast.py runs it, in numpy float32: one-hot int8 input
dotted with the float32 weights, sigmoid 1/(1+exp(-x)), softmax exp(x/T)/sum
without subtracting the maximum, one numpy.random.RandomState(seed) for all
tunes, rng.choice(vocab, p=p), the prime fed without draws, stop at </s> or
when the sequence with <s> is longer than 1000 tokens.

sample-rnn-fast.py is Python 2 code (iteritems, xrange), so it ran on numpy
1.16 at the newest, whose float32 exp is the C library's expf.  numpy 1.17
and later compute float32 exp with their own SIMD polynomial on AVX2/AVX512
machines (up to 2.5 ulp from the true value), which changes draws that fall
near a cdf boundary.  The softmax below therefore calls the C library's expf
(through ctypes), as numpy 1.16 did; the LSTM's own sigmoid and tanh stay
numpy's (the tunes of the tiny model never fall that close to a boundary:
see the margin records).

Output, one record per line:
  uniform SEED HEX...          RandomState(SEED).random_sample() x 6 (float.hex)
  choice SEED N P... ; IDX...  RandomState(SEED).choice(N, p=P) repeated,
                               P float32 at %.9g (exact)
  xoshiro SEED U64...          the first outputs of xoshiro256** seeded by
                               splitmix64(SEED) (independent Python version)
  case NAME SEED T NTUNES PRIME-TOKENS...
  tune NAME K ENDED TOKENS...  tune K of the case (prime included, <s> and
                               </s> excluded); ENDED 1 at </s>, 0 when cut
  margin NAME X                the smallest distance between a uniform draw
                               and a cdf boundary in the case (a tie within
                               float32 rounding would show here)
  flat SEED T MARGIN ; LOGITS... ; DRAWS...
                               folk-rnn's loop on a 137-token model whose
                               logits are LOGITS at every step (the token
                               ids: 0 <s>, 1 </s>, k+2 "tk"): the tokens drawn
                               until </s> or 1000 tokens; numpy's pairwise
                               float32 sum over more than 128 values.
                               Seed 623 was found by search so that one draw
                               falls between the cdf of folk-rnn's arithmetic
                               and the cdfs of a sequential float32 sum, of a
                               stable float64 softmax and of numpy >= 1.17's
                               own float32 exp: the draws tell the exact
                               arithmetic apart (checked below).
"""
import ctypes
import ctypes.util
import os
import sys

import numpy as np

_libm = ctypes.CDLL(ctypes.util.find_library("m"))
_libm.expf.argtypes = [ctypes.c_float]
_libm.expf.restype = ctypes.c_float
# float32 exp as numpy <= 1.16 computed it: the C library's expf, element by element
exp_f32 = np.vectorize(lambda v: _libm.expf(float(v)), otypes=[np.float32])

HERE = os.path.dirname(os.path.abspath(__file__))
GATES = ["ingate", "forgetgate", "cell", "outgate"]


def read_weights(path):
    vocab, params = {}, {}
    for line in open(path):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        if f[0] == "token":
            vocab[int(f[1])] = f[2]
        elif f[0] == "param":
            ndim = int(f[3])
            shape = tuple(int(x) for x in f[4:4 + ndim])
            values = np.array([float(x) for x in f[4 + ndim:]], dtype=np.float32)
            params[f[2]] = values.reshape(shape)
    return [vocab[i] for i in range(len(vocab))], params


class FolkRnnFast:
    """The LSTM stack as sample-rnn-fast.py evaluates it, float32 throughout."""

    def __init__(self, tokens, params):
        self.tokens = tokens
        self.idx = {t: i for i, t in enumerate(tokens)}
        self.P = params
        self.L = sum(1 for k in params if k.endswith(".hid_init"))

    def initial(self):
        return ([self.P["l%d.hid_init" % l] for l in range(self.L)],
                [self.P["l%d.cell_init" % l] for l in range(self.L)])

    def step(self, h, c, token):
        x = np.zeros(len(self.tokens), dtype=np.int8)
        x[token] = 1
        sig = lambda v: 1 / (1 + np.exp(-v))
        for l in range(self.L):
            W = lambda kind, g: self.P["l%d.%s_%s" % (l, kind, g)]
            pre = {g: np.dot(x, W("W_in_to", g)) + np.dot(h[l], W("W_hid_to", g))
                   + self.P["l%d.b_%s" % (l, g)] for g in GATES}
            i, f, o = sig(pre["ingate"]), sig(pre["forgetgate"]), sig(pre["outgate"])
            c[l] = np.multiply(f, c[l]) + np.multiply(i, np.tanh(pre["cell"]))
            h[l] = np.multiply(o, np.tanh(c[l]))
            x = h[l]
        return np.dot(x, self.P["dense.W"]) + self.P["dense.b"]


def softmax_fast(x, T):
    e = exp_f32(x / T)
    s = np.sum(e)
    if s == 0:
        p = np.zeros(x.shape, dtype=x.dtype)
        p[0][x.argmax()] = 1
        return p
    return e / s


def margin_of(p, u):
    cdf = np.cumsum(p.astype(np.float64))
    cdf /= cdf[-1]
    return float(np.min(np.abs(cdf[:-1] - u))) if len(cdf) > 1 else 1.0


def sample_case(model, seed, T, ntunes, prime):
    start, end = model.idx["<s>"], model.idx["</s>"]
    rng = np.random.RandomState(seed)
    vocab_idxs = np.arange(len(model.tokens))
    tunes, margin = [], 1.0
    for _ in range(ntunes):
        h, c = model.initial()
        h, c = list(h), list(c)
        sequence = [start] + [model.idx[t] for t in prime]
        for tok in sequence[:-1]:
            model.step(h, c, tok)
        while sequence[-1] != end:
            p = softmax_fast(model.step(h, c, sequence[-1]), T).squeeze()
            probe = np.random.RandomState()
            probe.set_state(rng.get_state())
            margin = min(margin, margin_of(p, probe.random_sample()))
            sequence.append(int(rng.choice(vocab_idxs, p=p)))
            if len(sequence) > 1000:
                break
        ended = sequence[-1] == end
        body = sequence[1:-1] if ended else sequence[1:]
        tunes.append((int(ended), [model.tokens[t] for t in body]))
    return tunes, margin


M64 = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def xoshiro_outputs(seed, n):
    s, x = [], seed
    for _ in range(4):
        x, v = splitmix64(x)
        s.append(v)
    rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M64
    out = []
    for _ in range(n):
        out.append((rotl((s[1] * 5) & M64, 7) * 9) & M64)
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


CASES = [
    ("plain42", 42, 1.0, 3, ""),
    ("prime7", 7, 0.8, 3, "M:6/8 K:Cmaj"),
    ("bars2024", 2024, 1.5, 2, "M:6/8 K:Cmaj | C D"),
    ("mode0", 0, 1.0, 4, "K:Cmaj"),
    ("cold", 4294967295, 0.5, 2, ""),
    ("hot", 123456789, 3.0, 3, "M:6/8"),
]


def sequential_sum_softmax(x, T):
    e = exp_f32(x / T)
    s = np.float32(0)
    for v in e.ravel():
        s = np.float32(s + v)
    return e / s


def numpy_simd_softmax(x, T):
    e = np.exp(x / T)  # numpy's own float32 exp where it has one (numpy >= 1.17)
    return e / np.sum(e)


def float64_softmax(x, T):
    z = x.astype(np.float64) / T
    q = np.exp(z - z.max())
    return (q / q.sum()).astype(np.float32)


def flat_draws(logits, seed, T, softmax):
    rng = np.random.RandomState(seed)
    sequence, margin = [0], 1.0
    while sequence[-1] != 1:
        p = softmax(logits[None, :], T).squeeze()
        probe = np.random.RandomState()
        probe.set_state(rng.get_state())
        margin = min(margin, margin_of(p, probe.random_sample()))
        sequence.append(int(rng.choice(137, p=p)))
        if len(sequence) > 1000:
            break
    return sequence, margin


def flat_case(seed, T, rivals=()):
    """Fixed logits (</s> unlikely): many draws from one float32 softmax;
    rivals: arithmetics the draws must tell apart from folk-rnn's."""
    logits = np.random.RandomState(11).normal(0, 2, 137).astype(np.float32)
    logits[1] = -9.0
    sequence, margin = flat_draws(logits, seed, T, softmax_fast)
    for rival in rivals:
        assert flat_draws(logits, seed, T, rival)[0] != sequence, \
            "seed %d does not tell %s apart" % (seed, rival.__name__)
    return "flat %d %r %.3g ; %s ; %s" % (seed, T, margin, " ".join("%.9g" % v for v in logits),
                                         " ".join(map(str, sequence[1:])))


def main():
    out_path = (sys.argv[1] if len(sys.argv) > 1
                else os.path.join(HERE, "fixtures", "sample_ref.txt"))
    tokens, params = read_weights(os.path.join(HERE, "fixtures", "tiny_weights.txt"))
    model = FolkRnnFast(tokens, params)
    lines = ["# made by tests/sample_ref.py from tiny_weights.txt; do not edit"]
    for seed in (0, 1, 42, 123456789, 4294967295):
        r = np.random.RandomState(seed)
        draws = [float.hex(r.random_sample()) for _ in range(6)]
        lines.append("uniform %d %s" % (seed, " ".join(draws)))
    prs = np.random.RandomState(5)
    for seed, n in ((7, 137), (8, 11), (9, 3)):
        p = prs.uniform(0, 1, n).astype(np.float32)
        if n == 11:
            p[[2, 5]] = 0
        p = (p / p.sum()).astype(np.float32)
        r = np.random.RandomState(seed)
        draws = [int(r.choice(n, p=p)) for _ in range(200)]
        lines.append("choice %d %d %s ; %s" % (seed, n, " ".join("%.9g" % v for v in p),
                                               " ".join(map(str, draws))))
    for seed in (0, 42, 2**64 - 1):
        lines.append("xoshiro %d %s" % (seed, " ".join(str(v) for v in xoshiro_outputs(seed, 5))))
    for name, seed, T, ntunes, prime in CASES:
        tunes, margin = sample_case(model, seed, T, ntunes, prime.split())
        lines.append("case %s %d %r %d %s" % (name, seed, T, ntunes, prime))
        for k, (ended, body) in enumerate(tunes):
            lines.append("tune %s %d %d %s" % (name, k, ended, " ".join(body)))
        lines.append("margin %s %.3g" % (name, margin))
    lines.append(flat_case(3, 0.7))
    lines.append(flat_case(623, 0.7, (sequential_sum_softmax, float64_softmax,
                                      numpy_simd_softmax)))
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
