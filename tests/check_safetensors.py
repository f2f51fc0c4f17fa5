#!/usr/bin/python3
"""Independent reader and writer of libfolkrnn safetensors files (doc/format.md),
using only json and numpy: none of the library's code.

  check_safetensors.py verify FILE [--pattern] [--meta KEY=VALUE ...]
      Read FILE as the format document describes it and check everything:
      header length and padding, JSON, dtypes, the offsets tiling the data
      buffer, the names and shapes of the scheme, the reserved metadata.
      With --pattern, every weight must equal pattern(name, index) (the
      embedding of a one-hot model the identity).  Each --meta pair must be
      in __metadata__.  Prints "ok FILE" or raises.

  check_safetensors.py write-v2vocab FILE VOCAB_TXT
      Write a one-hot 1x4 LSTM whose vocabulary is VOCAB_TXT (one token a
      line), padded as the library pads, for the folkrnn info test.

  check_safetensors.py write FILE
      Write the fixture tests/fixtures/st_python.safetensors: a 2-layer LSTM
      (units 3 and 4) with a dense embedding (vocab 5, input 2), tensors in
      reverse file order, header not padded, dense.b as F64,
      layers.1.hid_init as F16, layers.0.b_cell as BF16, weights from
      pattern(); the C test reads it back.

pattern(name, i) = float32((i % 97) * 0.01 + ((sum of name's bytes) % 13) * 0.1 - 0.5),
i the row-major index in the tensor: tests/test_safetensors.c computes the same.
"""
import json
import struct
import sys

import numpy as np

LSTM_GATES = ["ingate", "forgetgate", "cell", "outgate"]
GRU_GATES = ["resetgate", "updategate", "hidden_update"]
RESERVED = {"format", "format_version", "cell", "vocab", "onehot"}


def pattern(name, count):
    base = (sum(name.encode()) % 13) * 0.1 - 0.5
    return ((np.arange(count) % 97) * 0.01 + base).astype(np.float32)


def scheme(cell, vocab, inp, units):
    """(name, shape) of every tensor, in the file order of the format."""
    gates = LSTM_GATES if cell == "lstm" else GRU_GATES
    out = [("embedding", (vocab, inp))]
    prev = inp
    for l, u in enumerate(units):
        for g in gates:
            out += [(f"layers.{l}.W_in_to_{g}", (prev, u)),
                    (f"layers.{l}.W_hid_to_{g}", (u, u)),
                    (f"layers.{l}.b_{g}", (u,))]
        if cell == "lstm":
            out.append((f"layers.{l}.cell_init", (1, u)))
        out.append((f"layers.{l}.hid_init", (1, u)))
        prev = u
    out += [("dense.W", (prev, vocab)), ("dense.b", (vocab,))]
    return out


DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2")}


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    if path.endswith(".gz"):
        import gzip
        raw = gzip.decompress(raw)
    (n,) = struct.unpack("<Q", raw[:8])
    assert 8 + n <= len(raw), "header length beyond the file"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    return raw, n, header, memoryview(raw)[8 + n:]


def verify(path, use_pattern, meta_expected):
    raw, n, header, buf = read(path)
    assert n % 8 == 0, f"header length {n} is not a multiple of 8"
    assert raw[8:8 + n].rstrip(b" ").endswith(b"}"), "header padding is not spaces"
    meta = header.pop("__metadata__")
    assert all(isinstance(v, str) for v in meta.values()), "metadata values must be strings"
    assert meta["format"] == "folkrnn" and meta["format_version"] == "1", meta
    cell = meta["cell"]
    assert cell in ("lstm", "gru"), cell
    vocab = json.loads(meta["vocab"])
    assert all(isinstance(t, str) and t for t in vocab) and len(set(vocab)) == len(vocab)
    for kv in meta_expected:
        k, v = kv.split("=", 1)
        assert meta.get(k) == v, f"metadata {k!r}: {meta.get(k)!r} != {v!r}"

    # offsets tile the buffer in file order
    spans = sorted((t["data_offsets"][0], t["data_offsets"][1], name) for name, t in header.items())
    at = 0
    for b, e, name in spans:
        assert b == at, f"{name}: begins at {b}, expected {at}"
        at = e
    assert at == len(buf), f"tensors end at {at}, buffer has {len(buf)} bytes"

    arrays = {}
    for name, t in header.items():
        assert set(t) == {"dtype", "shape", "data_offsets"}, t
        assert t["dtype"] == "F32", f"{name}: dtype {t['dtype']}"
        b, e = t["data_offsets"]
        a = np.frombuffer(buf[b:e], dtype="<f4")
        assert a.size == int(np.prod(t["shape"], dtype=np.int64)), name
        arrays[name] = a.reshape(t["shape"])

    emb = arrays["embedding"]
    units = []
    while f"layers.{len(units)}.hid_init" in arrays:
        units.append(arrays[f"layers.{len(units)}.hid_init"].shape[1])
    expected = scheme(cell, len(vocab), emb.shape[1], units)
    assert [nm for nm, _ in expected] == [nm for _, _, nm in spans], "names or file order differ"
    for name, shape in expected:
        assert arrays[name].shape == shape, f"{name}: {arrays[name].shape} != {shape}"
    identity = emb.shape[0] == emb.shape[1] and np.array_equal(emb, np.eye(len(vocab), dtype=np.float32))
    assert meta["onehot"] == ("1" if identity else "0"), "onehot disagrees with the embedding"
    if use_pattern:
        for name, shape in expected:
            if name == "embedding" and identity:
                continue
            want = pattern(name, arrays[name].size).reshape(shape)
            assert np.array_equal(arrays[name], want), f"{name}: values differ from the pattern"
    print(f"ok {path}: {cell}, {len(units)} layers {units}, vocab {len(vocab)}, "
          f"{len(meta)} metadata entries")


def to_bf16_bytes(a):
    bits = a.astype("<f4").view("<u4")
    return (bits >> 16).astype("<u2").tobytes()  # truncation: exact for the values written


def write(path, vocab, inp, units, special=None, reverse=False, pad=False):
    """A model with pattern() weights; special maps names to non-F32 dtypes."""
    special = special or {}
    tensors = scheme("lstm", len(vocab), inp, units)
    header, blobs, at = {}, [], 0
    for name, shape in (reversed(tensors) if reverse else tensors):
        values = pattern(name, int(np.prod(shape)))
        if name == "embedding" and inp == len(vocab):
            values = np.eye(inp, dtype=np.float32).ravel()
        dtype = special.get(name, "F32")
        data = to_bf16_bytes(values) if dtype == "BF16" else values.astype(DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    header["__metadata__"] = {
        "format": "folkrnn", "format_version": "1", "cell": "lstm",
        "onehot": "1" if inp == len(vocab) else "0",
        "vocab": json.dumps(vocab), "provenance": "written by tests/check_safetensors.py",
        "note": "quote \" backslash \\ tab \t unicode \u00fc",
    }
    text = json.dumps(header).encode("utf-8")
    if pad:
        text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_fixture(path):
    vocab = ["<s>", "</s>", "M:4/4", "\U0001d11e", "\u00e9\u266a"]
    special = {"dense.b": "F64", "layers.1.hid_init": "F16", "layers.0.b_cell": "BF16"}
    write(path, vocab, 2, [3, 4], special, reverse=True)


def write_v2vocab(path, vocab_file):
    with open(vocab_file, encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f if line.strip()]
    write(path, vocab, len(vocab), [4], pad=True)


def main(argv):
    if len(argv) == 2 and argv[0] == "write":
        write_fixture(argv[1])
    elif len(argv) == 3 and argv[0] == "write-v2vocab":
        write_v2vocab(argv[1], argv[2])
    elif len(argv) >= 2 and argv[0] == "verify":
        metas = [argv[i + 1] for i, a in enumerate(argv) if a == "--meta"]
        verify(argv[1], "--pattern" in argv, metas)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
