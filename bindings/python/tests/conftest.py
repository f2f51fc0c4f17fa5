"""Shared fixtures: the tiny model of tests/fixtures (built in memory from its
plain-text weights, so no loader is needed), its float64 reference runs, and
an independent numpy forward pass over a model's parameters."""
import os

import numpy as np
import pytest

import folkrnn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("FOLKRNN_TEST_DATA",
                          os.path.join(HERE, "..", "..", "..", "tests", "fixtures"))
GATES = ["ingate", "forgetgate", "cell", "outgate"]


def read_weights(path):
    """tiny_weights.txt -> (vocab list by id, {name: float64 array})."""
    vocab, params = {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "token":
                vocab[int(w[1])] = w[2]
            elif w[0] == "param":
                ndim = int(w[3])
                shape = [int(x) for x in w[4:4 + ndim]]
                params[w[2]] = np.array(w[4 + ndim:], dtype=np.float64).reshape(shape)
    return [vocab[i] for i in range(len(vocab))], params


def read_reference(path):
    """tiny_ref.txt -> {case: {"inputs": {(step, stream): token},
    "weights": {(step, stream): row}, "rec": {(point, layer, step, stream): values}}}."""
    cases = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0] not in ("case", "input", "weights", "rec"):
                continue
            if w[0] == "case":
                cases[w[1]] = {"nstreams": int(w[2]), "nsteps": int(w[3]), "inputs": {},
                               "weights": {}, "rec": {}}
            elif w[0] == "input":
                cases[w[1]]["inputs"][int(w[2]), int(w[3])] = int(w[4])
            elif w[0] == "weights":
                cases[w[1]]["weights"][int(w[2]), int(w[3])] = np.array(w[5:], dtype=float)
            else:
                key = (w[2], int(w[3]), int(w[4]), int(w[5]))
                cases[w[1]]["rec"][key] = np.array(w[7:], dtype=np.float64)
    return cases


def build_model(vocab, params):
    """A Model with the given folk-rnn parameters, through Model.new + param views."""
    layers = sorted({int(k[1:k.index(".")]) for k in params if k.startswith("l")})
    units = [params["l%d.hid_init" % l].shape[-1] for l in layers]
    m = folkrnn.Model.new(units, vocab)
    for l in layers:
        for g in GATES:
            for kind in ("W_in_to_", "W_hid_to_", "b_"):
                m.param(l, kind + g)[:] = params["l%d.%s%s" % (l, kind, g)].reshape(
                    m.param(l, kind + g).shape)
        m.param(l, "cell_init")[:] = params["l%d.cell_init" % l]
        m.param(l, "hid_init")[:] = params["l%d.hid_init" % l]
    m.param(0, "dense_w")[:] = params["dense.W"]
    m.param(0, "dense_b")[:] = params["dense.b"]
    return m


@pytest.fixture(scope="session")
def tiny_weights():
    return read_weights(os.path.join(FIXTURES, "tiny_weights.txt"))


@pytest.fixture(scope="session")
def tiny_ref():
    return read_reference(os.path.join(FIXTURES, "tiny_ref.txt"))


@pytest.fixture
def tiny(tiny_weights):
    with build_model(*tiny_weights) as m:
        yield m


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_forward(model, tokens, ablate=None):
    """Independent float64 forward pass of the LSTM equations of the
    reference (row vectors, Lasagne orientation) over one stream's token
    ids, reading the weights through model.param.  ablate: {layer: [units]}
    whose h is zeroed before it feeds the next layer and the recurrence.
    Returns probs (steps, vocab)."""
    p = lambda layer, name: model.param(layer, name, writable=False).astype(np.float64)
    L, V = model.num_layers, model.vocab_size
    h = [p(l, "hid_init")[0] for l in range(L)]
    c = [p(l, "cell_init")[0] for l in range(L)]
    out = []
    for tok in tokens:
        x = np.eye(V)[tok]
        for l in range(L):
            pre = {g: x @ p(l, "w_in_" + g) + h[l] @ p(l, "w_hid_" + g) + p(l, "b_" + g)[0]
                   for g in GATES}
            i, f, o = sigmoid(pre["ingate"]), sigmoid(pre["forgetgate"]), sigmoid(pre["outgate"])
            g = np.tanh(pre["cell"])
            c[l] = f * c[l] + i * g
            h[l] = o * np.tanh(c[l])
            if ablate and l in ablate:
                h[l][ablate[l]] = 0.0
            x = h[l]
        logits = x @ p(0, "dense_w") + p(0, "dense_b")[0]
        e = np.exp(logits - logits.max())
        out.append(e / e.sum())
    return np.array(out)
