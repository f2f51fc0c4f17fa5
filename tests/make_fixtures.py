#!/usr/bin/python3
"""make_fixtures.py -- an independent numpy reference for libfolkrnn's tests.

Run with the system Python (numpy only; it never touches libfolkrnn):

    /usr/bin/python3 tests/make_fixtures.py [OUTDIR]     (default tests/fixtures)

Everything is drawn from fixed seeds, so a re-run rewrites identical bytes.
It writes:

  Models (small random folk-rnn models in the layout of folkrnn_v2.pkl):
    tiny_py2.pkl          3 LSTM layers x 6 units, 11 tokens, one-hot input,
                          written in the Python 2.7 cPickle protocol 2 dialect by
                          the byte emitter below (we have no Python 2): str keys
                          as SHORT_BINSTRING/BINSTRING, raw array bytes as Python 2
                          str, ('f4', 0, 1) dtype args, BINPUT/LONG_BINPUT and
                          BINGET/LONG_BINGET (the memo passes 10,000 entries),
                          2,000 0-d arrays in losses_train (two APPENDS batches),
                          numpy scalars (numpy.core.multiarray.scalar) in
                          losses_eval_valid.
    tiny_p2.pkl .. tiny_p5.pkl   the same dict saved by Python 3 pickle protocols
                          2-5 with numpy 1.x (protocol 5 uses _frombuffer and
                          BYTEARRAY8, as numpy does).
    tiny_np2names_p4.pkl, tiny_np2names_p5.pkl   protocol 4/5 with numpy 2 module
                          names (numpy._core.multiarray, numpy._core.numeric).
    tiny_py2.pkl.gz       gzip copy of tiny_py2.pkl.
    dense_py2.pkl         2 LSTM layers x 5 units, 11 tokens, a dense embedding
                          (11 x 4: x = E[token]), Python 2 dialect, Python floats
                          (BINFLOAT) in losses_eval_valid.
  Plain-text truth:
    tiny_weights.txt, dense_weights.txt   every param_values entry (name, shape,
                          all values at float32 round-trip precision), the
                          vocabulary by id and the scalar fields of the dict.
    tiny_ref.txt, dense_ref.txt    float64 forward passes of the reference
                          equations over two streams, every hook point at every
                          step, with and without interventions.

Reference file format (one record per line, whitespace separated):
    model FILE                       the fixture the numbers belong to
    vocab N / token ID TEXT          the vocabulary by id
    case NAME NSTREAMS NSTEPS        a run from the initial state
    input CASE STEP STREAM TOKEN     token fed (-1 = FOLKRNN_IDLE)
    weights CASE STEP STREAM N w...  weighted input row instead (folkrnn_state_step_input);
                                     every stream of that step has a weights line
    rec CASE POINT LAYER STEP STREAM N v...   a hook point's values after the
                                     case's intervention; POINT is the hook name
                                     (ingate forgetgate cellgate outgate cell
                                     hidden logits probs), LAYER -1 for logits/probs
Cases: plain (no intervention), zero_hidden (hidden units 1 and 3 of layer 1
set to 0 at every step: the zeroed h feeds layer 2 and the recurrence),
forget_half (forgetgate of layer 0 set to 0.5), twohot (at one step stream 0
sees 0.7*onehot(a) + 0.3*onehot(b), stream 1 the one-hot row of its token).
"""
import gzip
import os
import pickle
import struct
import sys
import types

import numpy as np

TOKENS = ["<s>", "</s>", "M:6/8", "K:Cmaj", "|", "C", "D", "2", "/2", ":|", "z"]
GATES = ["ingate", "forgetgate", "cell", "outgate"]
# hook point names, as folkrnn_hook_point_name gives them
POINT_OF_GATE = {"ingate": "ingate", "forgetgate": "forgetgate",
                 "cell": "cellgate", "outgate": "outgate"}


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

def param_names(num_layers):
    """Names of param_values entries in folk-rnn (Lasagne) order."""
    names = ["embedding"]
    for l in range(num_layers):
        for g in GATES:
            names += ["l%d.W_in_to_%s" % (l, g), "l%d.W_hid_to_%s" % (l, g), "l%d.b_%s" % (l, g)]
        names += ["l%d.cell_init" % l, "l%d.hid_init" % l]
    return names + ["dense.W", "dense.b"]


def make_model(seed, num_layers, units, input_size=None):
    """A random folk-rnn dict: gates kept away from saturation, non-zero
    initial states, token2idx a shuffled permutation.  input_size None means
    a one-hot (identity) embedding."""
    rng = np.random.RandomState(seed)
    vocab = len(TOKENS)
    perm = rng.permutation(vocab)
    token2idx = {tok: int(perm[k]) for k, tok in enumerate(TOKENS)}
    if input_size is None:
        embedding = np.eye(vocab, dtype=np.float32)
        width = vocab
    else:
        embedding = rng.uniform(-1.0, 1.0, (vocab, input_size)).astype(np.float32)
        width = input_size
    params = [embedding]
    for _ in range(num_layers):
        for g in GATES:
            params.append(rng.uniform(-0.9, 0.9, (width, units)).astype(np.float32))
            params.append(rng.normal(0.0, 0.45, (units, units)).astype(np.float32))
            bias = rng.normal(0.5 if g == "forgetgate" else 0.0, 0.3, units)
            params.append(bias.astype(np.float32))
        params.append(rng.normal(0.0, 0.6, (1, units)).astype(np.float32))  # cell_init
        params.append(rng.uniform(-0.7, 0.7, (1, units)).astype(np.float32))  # hid_init
        width = units
    params.append(rng.normal(0.0, 1.2, (units, vocab)).astype(np.float32))
    params.append(rng.normal(0.0, 0.5, vocab).astype(np.float32))
    return token2idx, params, rng


def model_dict(name, token2idx, params, rng, numpy_scalar_losses):
    """The whole pickled dict, keys in the order they are written."""
    losses_train = [np.array(x, dtype=np.float32)
                    for x in 3.0 * np.exp(-np.arange(2000) / 700.0) + 0.1 * rng.rand(2000)]
    valid = [1.9 - 0.1 * k for k in range(5)]
    if numpy_scalar_losses:
        valid = [np.float64(v) for v in valid]
    return [
        ("configuration", name),
        ("experiment_id", "%s-data_v2-20170101-000000" % name),
        ("losses_train", losses_train),
        ("learning_rate", np.array(0.003, dtype=np.float32)),
        ("losses_eval_valid", valid),
        ("token2idx", token2idx),
        ("param_values", params),
        ("epoch_since_start", 100),
        ("iters_since_start", 123456 if numpy_scalar_losses else 300),
    ]


# ---------------------------------------------------------------------------
# The Python 2.7 cPickle protocol 2 dialect, byte by byte
# ---------------------------------------------------------------------------

class Global:
    def __init__(self, module, name):
        self.module, self.name = module, name


class Py2Pickler:
    """Emits what Python 2.7 cPickle.dump(obj, f, 2) writes for folk-rnn's dict
    under numpy 1.x.  Python 3 str stands for a Python 2 str (latin-1 bytes).
    Memo ids start at 1 (cPickle keeps memo keys positive).  Objects that are
    shared in the original (globals, dtypes) are memo references the second
    time; fresh objects (reduce args, raw byte strings) get fresh memo ids."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")  # PROTO 2
        self.memo = {}
        self.next_id = 1

    def put(self, key=None):
        mid = self.next_id
        self.next_id += 1
        if key is not None:
            self.memo[key] = mid
        if mid < 256:
            self.out += b"q" + bytes([mid])  # BINPUT
        else:
            self.out += b"r" + struct.pack("<I", mid)  # LONG_BINPUT

    def get(self, key):
        mid = self.memo[key]
        if mid < 256:
            self.out += b"h" + bytes([mid])  # BINGET
        else:
            self.out += b"j" + struct.pack("<I", mid)  # LONG_BINGET

    def save(self, obj):
        if obj is None:
            self.out += b"N"
        elif obj is True or obj is False:
            self.out += b"\x88" if obj else b"\x89"  # NEWTRUE / NEWFALSE
        elif isinstance(obj, int):
            self.save_int(obj)
        elif isinstance(obj, float) and type(obj) is float:
            self.out += b"G" + struct.pack(">d", obj)  # BINFLOAT
        elif isinstance(obj, str):
            self.save_str(obj.encode("latin-1"))
        elif isinstance(obj, bytes):
            self.save_str(obj)
        elif isinstance(obj, tuple):
            self.save_tuple(obj)
        elif isinstance(obj, list):
            self.save_list(obj)
        elif isinstance(obj, dict):
            self.save_dict(list(obj.items()))
        elif isinstance(obj, Global):
            self.save_global(obj)
        elif isinstance(obj, np.dtype):
            self.save_dtype(obj)
        elif isinstance(obj, np.ndarray):
            self.save_array(obj)
        elif isinstance(obj, np.generic):
            self.save_scalar(obj)
        else:
            raise TypeError("cannot emit %r" % type(obj))

    def save_int(self, v):
        if 0 <= v < 256:
            self.out += b"K" + bytes([v])  # BININT1
        elif 0 <= v < 65536:
            self.out += b"M" + struct.pack("<H", v)  # BININT2
        else:
            self.out += b"J" + struct.pack("<i", v)  # BININT

    def save_str(self, b):
        if len(b) < 256:
            self.out += b"U" + bytes([len(b)]) + b  # SHORT_BINSTRING
        else:
            self.out += b"T" + struct.pack("<I", len(b)) + b  # BINSTRING
        if len(b) >= 2:  # cPickle does not memoize strings of length 0 and 1
            self.put()

    def save_tuple(self, t):
        if not t:
            self.out += b")"  # EMPTY_TUPLE, never memoized
            return
        if len(t) <= 3:
            for x in t:
                self.save(x)
            self.out += b"\x85\x86\x87"[len(t) - 1:len(t)]  # TUPLE1..3
        else:
            self.out += b"("  # MARK
            for x in t:
                self.save(x)
            self.out += b"t"  # TUPLE
        self.put()

    def save_list(self, items):
        self.out += b"]"  # EMPTY_LIST
        self.put()
        for k in range(0, len(items), 1000):  # cPickle's batch size
            batch = items[k:k + 1000]
            if len(batch) == 1:
                self.save(batch[0])
                self.out += b"a"  # APPEND
            else:
                self.out += b"("
                for x in batch:
                    self.save(x)
                self.out += b"e"  # APPENDS

    def save_dict(self, pairs):
        self.out += b"}"  # EMPTY_DICT
        self.put()
        for k in range(0, len(pairs), 1000):
            batch = pairs[k:k + 1000]
            if len(batch) == 1:
                self.save(batch[0][0])
                self.save(batch[0][1])
                self.out += b"s"  # SETITEM
            else:
                self.out += b"("
                for key, value in batch:
                    self.save(key)
                    self.save(value)
                self.out += b"u"  # SETITEMS

    def save_global(self, g):
        key = ("global", g.module, g.name)
        if key in self.memo:
            self.get(key)
            return
        self.out += b"c" + g.module.encode() + b"\n" + g.name.encode() + b"\n"  # GLOBAL
        self.put(key)

    def save_dtype(self, dt):
        key = ("dtype", dt.str)
        if key in self.memo:
            self.get(key)
            return
        self.save_global(Global("numpy", "dtype"))
        self.save((dt.str[1:], 0, 1))  # ('f4', 0, 1): ints under Python 2
        self.out += b"R"  # REDUCE
        self.put(key)
        self.save((3, dt.str[0], None, None, None, -1, -1, 0))
        self.out += b"b"  # BUILD

    def save_array(self, a):
        assert a.dtype == np.float32
        self.save_global(Global("numpy.core.multiarray", "_reconstruct"))
        self.save((Global("numpy", "ndarray"), (0,), "b"))
        self.out += b"R"
        self.put()
        data = np.ascontiguousarray(a, dtype="<f4").tobytes()
        self.save((1, tuple(int(d) for d in a.shape), a.dtype, False, data))
        self.out += b"b"

    def save_scalar(self, v):
        self.save_global(Global("numpy.core.multiarray", "scalar"))
        self.save((v.dtype, v.astype(v.dtype.newbyteorder("<")).tobytes()))
        self.out += b"R"
        self.put()

    def dumps(self, pairs):
        self.save_dict(pairs)
        self.out += b"."  # STOP
        return bytes(self.out)


def py2_pickle(pairs):
    return Py2Pickler().dumps(pairs)


# ---------------------------------------------------------------------------
# Python 3 pickles, with numpy 1 and numpy 2 module names
# ---------------------------------------------------------------------------

def numpy2_stand_ins():
    """Functions named as numpy 2 names them, importable from fake modules, so
    that the standard Pickler writes numpy._core.* globals."""
    stand_ins = {}
    for modname, fname in [("numpy._core.multiarray", "_reconstruct"),
                           ("numpy._core.multiarray", "scalar"),
                           ("numpy._core.numeric", "_frombuffer")]:
        for parent in ("numpy._core", modname):
            sys.modules.setdefault(parent, types.ModuleType(parent))
        fn = types.FunctionType((lambda *a: None).__code__, {}, fname)
        fn.__module__, fn.__qualname__ = modname, fname
        setattr(sys.modules[modname], fname, fn)
        stand_ins[fname] = fn
    return stand_ins


def py3_pickle(obj, protocol, numpy2_names=False):
    import io
    buf = io.BytesIO()
    if numpy2_names:
        stand_ins = numpy2_stand_ins()

        class Numpy2Pickler(pickle.Pickler):
            def reducer_override(self, o):
                if isinstance(o, (np.ndarray, np.generic)):
                    rv = o.__reduce_ex__(protocol)
                    return (stand_ins[rv[0].__name__],) + tuple(rv[1:])
                return NotImplemented
        Numpy2Pickler(buf, protocol=protocol).dump(obj)
    else:
        pickle.Pickler(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


class Numpy2NamesUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        return super().find_class(module.replace("numpy._core", "numpy.core"), name)


def check_same(pairs, data, numpy2_names=False):
    """Load a fixture back with Python 3 and compare it with what was written."""
    import io
    loaded = (Numpy2NamesUnpickler if numpy2_names else pickle.Unpickler)(
        io.BytesIO(data), encoding="latin1").load()
    want = dict(pairs)
    assert list(loaded) == list(want), (list(loaded), list(want))
    for a, b in zip(loaded["param_values"], want["param_values"]):
        assert a.dtype == np.float32 and a.shape == b.shape and a.tobytes() == b.tobytes()
    assert loaded["token2idx"] == want["token2idx"]
    assert len(loaded["losses_train"]) == len(want["losses_train"])
    assert all(a.shape == () and a == b for a, b in zip(loaded["losses_train"], want["losses_train"]))
    assert [float(x) for x in loaded["losses_eval_valid"]] == [float(x) for x in want["losses_eval_valid"]]
    for key in ("configuration", "experiment_id", "epoch_since_start", "iters_since_start"):
        assert loaded[key] == want[key], key
    assert loaded["learning_rate"] == want["learning_rate"]


def memo_size(data):
    import pickletools
    ids = set()
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("BINPUT", "LONG_BINPUT"):
            ids.add(arg)
    return len(ids)


# ---------------------------------------------------------------------------
# The reference forward pass (float64, row vectors, as in folkrnn-v2.md)
# ---------------------------------------------------------------------------

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def unpack(params):
    """param_values -> embedding, per layer dict of float64 arrays, dense W, b."""
    p = [np.asarray(x, dtype=np.float64) for x in params]
    num_layers = (len(p) - 3) // 14
    layers = []
    for l in range(num_layers):
        base = 1 + 14 * l
        layer = {}
        for k, g in enumerate(GATES):
            layer[g] = (p[base + 3 * k], p[base + 3 * k + 1], p[base + 3 * k + 2])
        layer["cell_init"] = p[base + 12].reshape(-1)
        layer["hid_init"] = p[base + 13].reshape(-1)
        layers.append(layer)
    return p[0], layers, p[-2], p[-1]


def run(params, steps, intervene, record):
    """steps[t][s] is a token id, -1 (idle) or a weight row over the vocabulary.
    intervene(point, layer, values) may change values in place; record(point,
    layer, t, s, values) sees them after that."""
    E, layers, W, b = unpack(params)
    nstreams = len(steps[0])
    h = [[L["hid_init"].copy() for L in layers] for _ in range(nstreams)]
    c = [[L["cell_init"].copy() for L in layers] for _ in range(nstreams)]
    for t, row in enumerate(steps):
        for s, inp in enumerate(row):
            if isinstance(inp, (int, np.integer)):
                if inp < 0:
                    continue
                x = E[inp]
            else:
                x = np.asarray(inp, dtype=np.float64) @ E
            for l, L in enumerate(layers):
                gate = {}
                for g in GATES:
                    W_in, W_hid, bias = L[g]
                    pre = x @ W_in + h[s][l] @ W_hid + bias
                    gate[g] = np.tanh(pre) if g == "cell" else sigmoid(pre)
                    intervene(POINT_OF_GATE[g], l, gate[g])
                    record(POINT_OF_GATE[g], l, t, s, gate[g])
                cell = gate["forgetgate"] * c[s][l] + gate["ingate"] * gate["cell"]
                intervene("cell", l, cell)
                record("cell", l, t, s, cell)
                hid = gate["outgate"] * np.tanh(cell)
                intervene("hidden", l, hid)
                record("hidden", l, t, s, hid)
                c[s][l], h[s][l] = cell, hid
                x = hid
            logits = x @ W + b
            intervene("logits", -1, logits)
            record("logits", -1, t, s, logits)
            e = np.exp(logits - logits.max())
            probs = e / e.sum()
            intervene("probs", -1, probs)
            record("probs", -1, t, s, probs)


def no_intervention(point, layer, values):
    pass


def zero_hidden_1_3(point, layer, values):
    if point == "hidden" and layer == 1:
        values[[1, 3]] = 0.0


def forget_half_layer0(point, layer, values):
    if point == "forgetgate" and layer == 0:
        values[:] = 0.5


def sequences(token2idx):
    """Two streams of different tunes; None marks an idle step."""
    s0 = "<s> M:6/8 K:Cmaj | C D 2 C /2 D :| </s>".split()
    s1 = "<s> M:6/8 K:Cmaj z - C C | D 2 - </s>".split()
    ids = lambda seq: [-1 if t == "-" else token2idx[t] for t in seq]
    return [list(r) for r in zip(ids(s0), ids(s1))]


TWOHOT_STEP = 5


def twohot_steps(token2idx, vocab):
    steps = sequences(token2idx)
    row = steps[TWOHOT_STEP]
    w0 = np.zeros(vocab)
    w0[token2idx["C"]] += 0.7
    w0[token2idx["D"]] += 0.3
    assert row[1] >= 0
    w1 = np.zeros(vocab)
    w1[row[1]] = 1.0
    steps[TWOHOT_STEP] = [w0, w1]
    return steps


def fmt(values):
    return " ".join("%.17g" % v for v in values)


def write_reference(path, model_file, token2idx, params):
    vocab = len(token2idx)
    id2tok = {i: t for t, i in token2idx.items()}
    lines = ["# made by tests/make_fixtures.py from fixed seeds; do not edit",
             "model %s" % model_file, "vocab %d" % vocab]
    lines += ["token %d %s" % (i, id2tok[i]) for i in range(vocab)]
    cases = [("plain", sequences(token2idx), no_intervention),
             ("zero_hidden", sequences(token2idx), zero_hidden_1_3),
             ("forget_half", sequences(token2idx), forget_half_layer0),
             ("twohot", twohot_steps(token2idx, vocab), no_intervention)]
    for name, steps, intervene in cases:
        lines.append("case %s %d %d" % (name, len(steps[0]), len(steps)))
        for t, row in enumerate(steps):
            for s, inp in enumerate(row):
                if isinstance(inp, int):
                    lines.append("input %s %d %d %d" % (name, t, s, inp))
                else:
                    lines.append("weights %s %d %d %d %s" % (name, t, s, len(inp), fmt(inp)))

        def record(point, layer, t, s, values):
            lines.append("rec %s %s %d %d %d %d %s" % (name, point, layer, t, s, len(values), fmt(values)))
        run(params, steps, intervene, record)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_weights(path, model_file, pairs):
    d = dict(pairs)
    params = d["param_values"]
    names = param_names((len(params) - 3) // 14)
    id2tok = {i: t for t, i in d["token2idx"].items()}
    lines = ["# made by tests/make_fixtures.py; every value is exact at %.9g (float32)",
             "model %s" % model_file,
             "# scalar fields of the pickled dict"]
    for key in ("configuration", "experiment_id", "epoch_since_start", "iters_since_start"):
        lines.append("field %s %s" % (key, d[key]))
    lines.append("field learning_rate %.9g" % d["learning_rate"])
    lines.append("field losses_train_len %d" % len(d["losses_train"]))
    lines.append("field losses_train_first %.9g" % d["losses_train"][0])
    lines.append("field losses_eval_valid %s" % " ".join("%.17g" % v for v in d["losses_eval_valid"]))
    lines.append("vocab %d" % len(id2tok))
    lines += ["token %d %s" % (i, id2tok[i]) for i in range(len(id2tok))]
    lines.append("# param INDEX NAME NDIM DIMS... then the values, row-major")
    for k, (name, a) in enumerate(zip(names, params)):
        lines.append("param %d %s %d %s %s" % (k, name, a.ndim, " ".join(map(str, a.shape)),
                                               " ".join("%.9g" % v for v in a.reshape(-1))))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------

def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "fixtures")
    os.makedirs(outdir, exist_ok=True)
    out = lambda name: os.path.join(outdir, name)

    token2idx, params, rng = make_model(20170101, num_layers=3, units=6)
    tiny = model_dict("tiny", token2idx, params, rng, numpy_scalar_losses=True)
    data = py2_pickle(tiny)
    check_same(tiny, data)
    assert memo_size(data) > 256
    write(out("tiny_py2.pkl"), data)
    write(out("tiny_py2.pkl.gz"), gzip.compress(data, mtime=0))
    py3_dict = dict(tiny)
    for p in (2, 3, 4, 5):
        data = py3_pickle(py3_dict, p)
        check_same(tiny, data)
        write(out("tiny_p%d.pkl" % p), data)
    for p in (4, 5):
        data = py3_pickle(py3_dict, p, numpy2_names=True)
        assert b"numpy._core" in data and b"numpy.core" not in data
        check_same(tiny, data, numpy2_names=True)
        write(out("tiny_np2names_p%d.pkl" % p), data)
    write_weights(out("tiny_weights.txt"), "tiny_py2.pkl", tiny)
    write_reference(out("tiny_ref.txt"), "tiny_py2.pkl", token2idx, params)

    token2idx, params, rng = make_model(20190505, num_layers=2, units=5, input_size=4)
    dense = model_dict("dense", token2idx, params, rng, numpy_scalar_losses=False)
    data = py2_pickle(dense)
    check_same(dense, data)
    write(out("dense_py2.pkl"), data)
    write_weights(out("dense_weights.txt"), "dense_py2.pkl", dense)
    write_reference(out("dense_ref.txt"), "dense_py2.pkl", token2idx, params)


if __name__ == "__main__":
    main()
