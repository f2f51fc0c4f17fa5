#!/usr/bin/python3
"""fuzz/make_seeds.py -- write the committed seed corpora of fuzz/corpus/.

Run with Debian's /usr/bin/python3 (numpy) from the source tree:
    /usr/bin/python3 fuzz/make_seeds.py BUILD_DIR
BUILD_DIR holds a built `folkrnn` command, used only to convert the seed
pickles to safetensors (seeds are starting points for mutation, not
known answers, so the library may write them).  Models are tiny (one or two
layers of 2-3 units, 11 tokens, three losses) so that a fuzzer's mutation
lands in the structure, not in float data.  The pickle writers are those of
tests/make_fixtures.py (the Python 2 cPickle dialect byte by byte, and
Python 3's pickle with numpy 1 and numpy 2 module names)."""
import gzip
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import make_fixtures as mf  # noqa: E402


def small_dict(seed, layers, units, input_size=None):
    token2idx, params, rng = mf.make_model(seed, num_layers=layers, units=units,
                                           input_size=input_size)
    pairs = mf.model_dict("seed", token2idx, params, rng, numpy_scalar_losses=True)
    return [(k, v[:3] if k == "losses_train" else v) for k, v in pairs]


def write(folder, name, data):
    os.makedirs(os.path.join(HERE, "corpus", folder), exist_ok=True)
    with open(os.path.join(HERE, "corpus", folder, name), "wb") as f:
        f.write(data)


def pickles():
    """name -> bytes: every dialect the loader reads."""
    out = {}
    onehot = small_dict(1, 1, 2)
    dense = small_dict(2, 2, 3, input_size=2)
    out["py2_onehot.pkl"] = mf.py2_pickle(onehot)
    out["py2_dense.pkl"] = mf.py2_pickle(dense)
    for p in (2, 3, 4, 5):
        out["py3_p%d.pkl" % p] = mf.py3_pickle(dict(onehot), p)
    out["np2names_p5.pkl"] = mf.py3_pickle(dict(onehot), 5, numpy2_names=True)
    return out


def main():
    build = sys.argv[1]
    tool = os.path.join(build, "folkrnn")
    for name, data in pickles().items():
        write("pickle", name, data)
    for name in ("py2_onehot.pkl", "py2_dense.pkl"):
        src = os.path.join(HERE, "corpus", "pickle", name)
        st = name.replace(".pkl", ".safetensors")
        dst = os.path.join(HERE, "corpus", "safetensors", st)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        subprocess.run([tool, "convert", src, dst], check=True)
        with open(dst, "rb") as f:
            st_bytes = f.read()
        with open(src, "rb") as f:
            pk_bytes = f.read()
        # gzip seeds: mode byte 0 = the bytes as they are (a .gz file),
        # 1 = compressed by the harness (see fuzz_gzip.c).
        write("gzip", name + ".gz", b"\0" + gzip.compress(pk_bytes, mtime=0))
        write("gzip", st + ".gz", b"\0" + gzip.compress(st_bytes, mtime=0))
        write("gzip", "plain_" + name, b"\1" + pk_bytes)
        write("gzip", "plain_" + st, b"\1" + st_bytes)
    write("gzip", "lie_py2_onehot.pkl", b"\2\xff\xff\xff\xff" + pickles()["py2_onehot.pkl"])


if __name__ == "__main__":
    main()
