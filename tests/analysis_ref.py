#!/usr/bin/python3
"""Independent references for tests/test_analysis.c (numpy only).

  analysis_ref.py fixtures > tests/fixtures/analysis_ref.txt
      known answers computed by numpy (committed; the C tests read them)
  analysis_ref.py check DIR
      load the .npy/.npz/CSV/PNG/SVG files that `test_analysis --write DIR`
      made with the library and compare them with what they must hold

Fixture format: one value list per line, "name count v0 v1 ...", %.17g.
The inputs below are restated in tests/test_analysis.c; keep them equal."""
import sys
import struct
import zlib
from fractions import Fraction

import numpy as np

# ---- inputs shared with the C test -------------------------------------------------

CORR_A = np.array([[1, 2, 0], [2, 1, 1], [3, 5, -1], [4, 3, 2], [5, 8, 0]], dtype=float)
CORR_V = np.array([1, 0, 2, 1, 3], dtype=float)
SVD_A = np.array([[2, 0, 1], [1, 3, -1], [0, 1, 4], [1, 1, 1]], dtype=float)
EIG_A = np.array([[4, 1, 2, 0], [1, 3, 0, 1], [2, 0, 5, -1], [0, 1, -1, 2]], dtype=float)
PGRAM_N = 100


def pgram_signal(n):
    """The periodogram test signal: periods 9 and 4 plus a slope."""
    t = np.arange(n, dtype=float)
    return np.sin(2 * np.pi * t / 9) + 0.5 * np.cos(2 * np.pi * t / 4) + 0.01 * t + 3.0


def npz_pattern(rows, cols, salt):
    """The values the C test writes into member arrays."""
    r = np.arange(rows, dtype=float)[:, None]
    c = np.arange(cols, dtype=float)[None, :]
    return (r * 1000 + c) * 0.25 - salt


# ---- fixtures ------------------------------------------------------------------------

def line(name, values):
    values = np.asarray(values, dtype=float).ravel()
    return "%s %d %s" % (name, values.size, " ".join("%.17g" % v for v in values))


def hilbert_cond(n):
    """2-norm condition of the n x n Hilbert matrix from its exact inverse:
    both largest eigenvalues are well conditioned, so numpy gets each to
    relative ~1e-15 although the smallest singular value is ~1e-16 of H."""
    h = np.array([[1.0 / (i + j + 1) for j in range(n)] for i in range(n)])
    inv = [[Fraction((-1) ** (i + j) * (i + j + 1)) for j in range(n)] for i in range(n)]
    from math import comb
    for i in range(n):
        for j in range(n):
            inv[i][j] *= comb(n + i, n - j - 1) * comb(n + j, n - i - 1) * comb(i + j, i) ** 2
    hinv = np.array([[float(v) for v in row] for row in inv])
    return np.linalg.eigvalsh(h)[-1] * np.linalg.eigvalsh(hinv)[-1]


def fixtures():
    out = ["# made by tests/analysis_ref.py fixtures (numpy %s); do not edit" % np.__version__]
    out.append(line("corr_pearson", np.corrcoef(CORR_A, rowvar=False)))
    nrm = CORR_A / np.linalg.norm(CORR_A, axis=0)
    out.append(line("corr_cosine", nrm.T @ nrm))
    out.append(line("corr_vector", [np.corrcoef(CORR_A[:, j], CORR_V)[0, 1] for j in range(3)]))
    out.append(line("svd_values", np.linalg.svd(SVD_A, compute_uv=False)))
    out.append(line("eig_values", np.linalg.eigvalsh(EIG_A)[::-1]))
    centred = CORR_A - CORR_A.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    out.append(line("pca_variance", s ** 2 / (CORR_A.shape[0] - 1)))
    out.append(line("pca_ratio", s ** 2 / np.sum(s ** 2)))
    out.append(line("hilbert_cond", [hilbert_cond(n) for n in range(2, 13)]))
    out.append(line("hilbert_cond_numpy", [np.linalg.cond(
        np.array([[1.0 / (i + j + 1) for j in range(n)] for i in range(n)])) for n in range(2, 13)]))
    for n in (1, 2, 9, 16):
        out.append(line("hann_%d" % n, np.hanning(n)))
        out.append(line("hamming_%d" % n, np.hamming(n)))
        out.append(line("blackman_%d" % n, np.blackman(n)))
    x = pgram_signal(PGRAM_N)
    for name, w in (("rect", np.ones(PGRAM_N)), ("hann", np.hanning(PGRAM_N))):
        xw = (x - x.mean()) * w
        out.append(line("pgram_%s" % name, np.abs(np.fft.rfft(xw)) ** 2 / np.sum(w ** 2)))
    xw = x * np.hamming(PGRAM_N)  # no mean removal
    out.append(line("pgram_hamming_keepmean",
                    np.abs(np.fft.rfft(xw)) ** 2 / np.sum(np.hamming(PGRAM_N) ** 2)))
    print("\n".join(out))


# ---- checks of files the library wrote ---------------------------------------------------

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check_npz(path, allow_pickle=False):
    with np.load(path, allow_pickle=allow_pickle) as z:
        names = sorted(z.files)
        if names != ["counts", "f32", "f64", "scalar", "vector"]:
            fail("%s: members %s" % (path, names))
        want = npz_pattern(3, 5, 0.5)
        f64 = z["f64"]
        if f64.dtype != np.float64 or f64.shape != (3, 5) or not np.array_equal(f64, want):
            fail("%s: f64 %s %s" % (path, f64.dtype, f64))
        f32 = z["f32"]
        if f32.dtype != np.float32 or not np.array_equal(f32, want.astype(np.float32)):
            fail("%s: f32 %s" % (path, f32))
        counts = z["counts"]
        if counts.dtype != np.int32 or counts.shape != (2, 3) or \
                not np.array_equal(counts, np.array([[0, -1, 2], [-3, 4, 2147483647]])):
            fail("%s: counts %s" % (path, counts))
        vec = z["vector"]
        if vec.shape != (1000,) or not np.array_equal(vec, np.arange(1000) * 0.5):
            fail("%s: vector" % path)
        if z["scalar"].shape != () or z["scalar"][()] != 42.0:
            fail("%s: scalar" % path)


def check_png(path, width, height):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: signature" % path)
    at, idat = 8, b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind = data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) != crc:
            fail("%s: bad CRC in %s" % (path, kind))
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            if (width and w != width) or (height and h != height) or depth != 8 or colour != 2:
                fail("%s: IHDR %d x %d depth %d colour %d" % (path, w, h, depth, colour))
        if kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    if len(raw) != h * (1 + 3 * w):
        fail("%s: %d bytes of pixels for %d x %d" % (path, len(raw), w, h))
    img = np.frombuffer(raw, dtype=np.uint8).reshape(h, 1 + 3 * w)
    if img[:, 0].max() > 4:
        fail("%s: filter byte" % path)
    return img


def check_svg(path):
    import xml.etree.ElementTree as ET
    root = ET.parse(path).getroot()
    if not root.tag.endswith("svg"):
        fail("%s: root %s" % (path, root.tag))
    lines = [e for e in root.iter() if e.tag.endswith("polyline") or e.tag.endswith("path")]
    texts = " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
    if len(lines) < 2:
        fail("%s: %d lines" % (path, len(lines)))
    for want in ("sine & <cosine>", "period", "power"):
        if want not in texts:
            fail("%s: text %r missing" % (path, want))


def check_recording(path):
    """Every point of a 2-layer LSTM (5 and 4 units, 6 tokens), 8 steps."""
    with np.load(path) as z:
        want = set()
        for point in ("ingate", "forgetgate", "cellgate", "outgate", "cell", "hidden"):
            for layer in (0, 1):
                want.add("%s_l%d_s0" % (point, layer))
        want |= {"logits_s0", "probs_s0"}
        want |= {name + "_steps" for name in want}
        if set(z.files) != want:
            fail("%s: members %s" % (path, sorted(z.files)))
        h = z["hidden_l1_s0"]
        if h.dtype != np.float32 or h.shape != (8, 4) or np.abs(h).max() >= 1:
            fail("%s: hidden_l1_s0 %s %s" % (path, h.dtype, h.shape))
        steps = z["hidden_l1_s0_steps"]
        if steps.dtype != np.int32 or not np.array_equal(steps, np.arange(8)):
            fail("%s: steps %s" % (path, steps))
        p = z["probs_s0"]
        if p.shape != (8, 6) or np.abs(p.sum(axis=1) - 1).max() > 1e-5:
            fail("%s: probs" % path)
        # h = o * tanh(c), from the recorded gates and cell
        o, c = z["outgate_l1_s0"], z["cell_l1_s0"]
        if np.abs(o * np.tanh(c) - h).max() > 1e-6:
            fail("%s: hidden is not outgate * tanh(cell)" % path)


def check(directory):
    for name in ("deflated.npz", "stored.npz", "zip64.npz"):
        check_npz("%s/%s" % (directory, name))
    a = np.load("%s/matrix_f64.npy" % directory)
    if a.dtype != np.float64 or not np.array_equal(a, npz_pattern(3, 5, 0.5)):
        fail("matrix_f64.npy")
    b = np.load("%s/raw_i32.npy" % directory)
    if b.dtype != np.int32 or b.shape != (2, 2, 2) or not np.array_equal(b.ravel(), np.arange(8) - 4):
        fail("raw_i32.npy")
    c = np.loadtxt("%s/matrix.csv" % directory, delimiter=",", skiprows=1)
    if not np.array_equal(c, npz_pattern(3, 5, 0.5)):
        fail("matrix.csv")
    check_recording("%s/recording.npz" % directory)
    check_png("%s/heatmap.png" % directory, 0, 0)
    check_svg("%s/plot.svg" % directory)
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "fixtures":
        fixtures()
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
