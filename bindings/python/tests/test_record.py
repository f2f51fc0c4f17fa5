"""The library's own recorder and edits (C hooks) against hooks written in
Python and against the numpy reference."""
import numpy as np
import pytest

import folkrnn
from folkrnn import analysis
from conftest import numpy_forward

pytestmark = pytest.mark.skipif(not folkrnn.has("folkrnn_recorder_new"),
                                reason="library without the recorder (section 8.6)")

TOKENS = [5, 4, 3, 8, 6, 1, 2, 6, 0, 1, 10, 7]
POINTS = ["ingate", "forgetgate", "cellgate", "outgate", "cell", "hidden", "logits", "probs"]


def test_python_ablation_equals_c_edit_exactly(tiny):
    """Zeroing hidden units 1 and 3 of layer 1 from Python and with the
    library's C edit gives bit-identical outputs (and those of numpy)."""
    def zero(event, values):
        values[[1, 3]] = 0.0

    with tiny.state(2) as py, tiny.state(2) as c:
        py.add_hook("hidden", 1, zero)
        with c.edits() as e:
            e.add("hidden", 1, units=[1, 3], op="set", value=0.0)
            for t in TOKENS:
                got_py, got_c = py.step([t, 5]), c.step([t, 5])
                np.testing.assert_array_equal(got_py, got_c)
    ref = numpy_forward(tiny, TOKENS, ablate={1: [1, 3]})
    with tiny.state() as c, c.edits() as e:
        e.add("hidden", 1, units=[1, 3])
        got = np.array([c.step(t)[0] for t in TOKENS])
    np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)


def test_c_recorder_equals_python_recording(tiny):
    seen = {}

    def record(event, values):
        seen.setdefault((event.point, event.layer, event.stream), []).append(values.copy())

    with tiny.state(2) as s:
        for p in POINTS:
            s.add_hook(p, -1, record)
        with s.recorder("all") as rec:
            for t in TOKENS:
                s.step([t, None if t == 6 else 7])      # stream 1 idles at some steps
            checked = 0
            for (point, layer, stream), rows in seen.items():
                values, steps = rec.data(point, layer, stream)
                np.testing.assert_array_equal(values, np.array(rows))
                want_steps = [i for i, t in enumerate(TOKENS) if stream == 0 or t != 6]
                assert list(steps) == want_steps
                checked += 1
            assert checked == (6 * 3 + 2) * 2 and not rec.truncated


def test_c_recorder_matches_numpy_reference(tiny, tiny_ref):
    case = tiny_ref["forget_half"]      # forgetgate of layer 0 set to 0.5 by an edit
    with tiny.state(case["nstreams"]) as s, s.edits() as e:
        e.add("forgetgate", 0, op="set", value=0.5)
        with s.recorder([("hidden", -1), ("cell", -1), ("probs", -1)]) as rec:
            for step in range(case["nsteps"]):
                toks = [case["inputs"][step, k] for k in range(case["nstreams"])]
                s.step([None if t < 0 else t for t in toks])
            checked = 0
            for (point, layer, step, stream), want in case["rec"].items():
                if point in ("hidden", "cell", "probs"):
                    values, steps = rec.data(point, layer, stream)
                    row = list(steps).index(step)
                    np.testing.assert_allclose(values[row], want, atol=1e-5, rtol=0)
                    checked += 1
            assert checked > 100


def test_recorder_closes_with_its_state(tiny):
    s = tiny.state()
    rec = s.recorder([("hidden", 0)])
    s.step(5)
    assert rec.data("hidden", 0)[0].shape == (1, 6)
    s.close()                                    # frees the recorder first
    assert rec._h is None


def test_snip_and_choosers(tiny):
    with tiny.clone() as c:
        c.snip(2, [0, 5])                        # last layer: rows of the dense W
        w = c.param(0, "dense_w", writable=False)
        assert not w[[0, 5]].any() and w[1].any()
    assert tiny.param(0, "dense_w", writable=False)[0].any()
    units = analysis.choose_random(512, 10, 7)
    assert units == sorted(set(units)) and len(units) == 10
    assert units == analysis.choose_random(512, 10, 7)
    assert analysis.choose_top([0.1, 3.0, np.nan, 2.0], 2) == [1, 3]
    p, delta = 0.2, analysis.odds_delta(3.0)
    q = analysis.prob_after_delta(p, delta)
    assert abs(q / (1 - q) - 3 * p / (1 - p)) < 1e-12
