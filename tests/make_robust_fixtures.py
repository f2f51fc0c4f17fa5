#!/usr/bin/python3
"""tests/make_robust_fixtures.py -- the bad (and small good) model files of
tests/fixtures/robust/, read by tests/test_robust.c (doc/robustness.md).

Run with Debian's /usr/bin/python3 (numpy):  /usr/bin/python3 tests/make_robust_fixtures.py
Written with the pickle writers of tests/make_fixtures.py (never with
libfolkrnn), one defect per file, so that each test knows exactly which
error the library must give:
  ok_py2.pkl, ok_p5.pkl, ok_py2.pkl.gz  valid one-layer models (3 units, 11 tokens)
  nan_weight.pkl     dense b[3] is NaN                          -> FOLKRNN_E_NUMERIC
  inf_weight_p4.pkl  layer 0 W_hid_to_cell[0, 1] is +inf        -> FOLKRNN_E_NUMERIC
  shape_gate.pkl     W_hid_to_forgetgate is (3, 4), not (3, 3)  -> FOLKRNN_E_SHAPE
  shape_dense.pkl    dense W has 2 rows where the layer has 3   -> FOLKRNN_E_SHAPE"""
import gzip
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402

OUT = os.path.join(HERE, "fixtures", "robust")


def small(seed=7):
    token2idx, params, rng = mf.make_model(seed, num_layers=1, units=3)
    pairs = mf.model_dict("robust", token2idx, params, rng, numpy_scalar_losses=True)
    pairs = [(k, v[:3] if k == "losses_train" else v) for k, v in pairs]
    return pairs, params


def with_params(pairs, params):
    return [(k, params if k == "param_values" else v) for k, v in pairs]


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    pairs, params = small()
    write("ok_py2.pkl", mf.py2_pickle(pairs))
    write("ok_py2.pkl.gz", gzip.compress(mf.py2_pickle(pairs), mtime=0))
    write("ok_p5.pkl", mf.py3_pickle(dict(pairs), 5))

    # Indices in param_values: 0 embedding, 1 + 3*gate + (0 W_in, 1 W_hid, 2 b),
    # 13 cell_init, 14 hid_init, 15 dense W, 16 dense b.
    bad = list(params)
    bad[16] = bad[16].copy()
    bad[16][3] = np.float32("nan")
    write("nan_weight.pkl", mf.py2_pickle(with_params(pairs, bad)))

    bad = list(params)
    bad[1 + 3 * 2 + 1] = bad[1 + 3 * 2 + 1].copy()
    bad[1 + 3 * 2 + 1][0, 1] = np.float32("inf")
    write("inf_weight_p4.pkl", mf.py3_pickle(dict(with_params(pairs, bad)), 4))

    bad = list(params)
    bad[1 + 3 * 1 + 1] = np.zeros((3, 4), dtype=np.float32)
    write("shape_gate.pkl", mf.py2_pickle(with_params(pairs, bad)))

    bad = list(params)
    bad[15] = bad[15][:2].copy()
    write("shape_dense.pkl", mf.py2_pickle(with_params(pairs, bad)))


if __name__ == "__main__":
    main()
