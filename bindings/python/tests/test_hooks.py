"""Hooks written in Python: reading, ablation, aborting, removal."""
import numpy as np
import pytest

import folkrnn
from conftest import numpy_forward

TOKENS = [5, 4, 3, 8, 6, 1, 2, 6, 0, 1, 10, 7]


def run(model, tokens, nstreams=1):
    with model.state(nstreams) as s:
        return np.array([s.step(t) for t in tokens])


def zero_units(units):
    def hook(event, values):
        values[units] = 0.0
    return hook


def test_python_ablation_matches_numpy(tiny):
    plain = run(tiny, TOKENS)
    with tiny.state() as s:
        s.add_hook("hidden", 1, zero_units([1, 3]))
        got = np.array([s.step(t)[0] for t in TOKENS])
    ref = numpy_forward(tiny, TOKENS, ablate={1: [1, 3]})
    np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)
    assert np.abs(got - plain[:, 0]).max() > 1e-3      # the ablation did something


def test_python_ablation_matches_reference_of_c_hook(tiny, tiny_ref):
    """tests/fixtures/tiny_ref.txt case zero_hidden is what the C hook tests
    (tests/test_inference) check libfolkrnn's own C hook against: units 1
    and 3 of layer 1 zeroed at every step, two streams."""
    case = tiny_ref["zero_hidden"]
    seen = {}

    def record(event, values):
        seen[event.point, event.layer, event.step, event.stream] = values.copy()

    with tiny.state(case["nstreams"]) as s:
        s.add_hook("hidden", 1, zero_units([1, 3]))
        for point in ("hidden", "cell", "probs"):
            s.add_hook(point, -1, record)
        for step in range(case["nsteps"]):
            toks = [case["inputs"][step, k] for k in range(case["nstreams"])]
            s.step([None if t < 0 else t for t in toks])
    checked = 0
    for key, want in case["rec"].items():
        if key[0] in ("hidden", "cell", "probs"):
            np.testing.assert_allclose(seen[key], want, atol=1e-5, rtol=0, err_msg=str(key))
            checked += 1
    assert checked > 100
    assert all(not seen[("hidden", 1, st, k)][[1, 3]].any()
               for (p, l, st, k) in seen if p == "hidden" and l == 1)


def test_events_describe_the_call(tiny):
    events = []
    with tiny.state(2) as s:
        s.add_hook("ingate", -1, lambda ev, v: events.append((ev.point, ev.layer, ev.stream,
                                                              ev.step, ev.token, ev.n, v.dtype)))
        s.add_hook("logits", 0, lambda ev, v: events.append((ev.point, ev.layer, ev.n)))
        s.step([5, 4])
    assert events[:2] == [("ingate", 0, 0, 0, 5, 6, np.float32),
                          ("ingate", 0, 1, 0, 4, 6, np.float32)]
    assert ("logits", -1, 11) in events and len(events) == 3 * 2 + 2


def test_probs_hook_changes_returned_probs(tiny):
    def peak(event, values):
        values[:] = 0.0
        values[7] = 1.0
    with tiny.state() as s:
        s.add_hook("probs", -1, peak)
        p = s.step(5)
    assert p[0, 7] == 1.0 and p[0].sum() == 1.0


def test_exception_in_hook_aborts_step_and_is_reraised(tiny):
    class Boom(Exception):
        pass

    def explode(event, values):
        if event.layer == 2:
            raise Boom("from the hook")

    with tiny.state() as s:
        s.step(5)
        h_before = s.vector("hidden", 0)
        hook = s.add_hook("cell", -1, explode)
        with pytest.raises(Boom, match="from the hook"):
            s.step(4)
        assert s.steps == 1                              # the step was undone
        np.testing.assert_array_equal(s.vector("hidden", 0), h_before)
        s.remove_hook(hook)
        s.step(4)
        assert s.steps == 2


def test_nonzero_return_aborts_with_library_error(tiny):
    with tiny.state() as s:
        s.add_hook("outgate", 0, lambda ev, v: 1)
        with pytest.raises(folkrnn.FolkRNNError) as e:
            s.step(5)
        assert e.value.status == folkrnn.E_HOOK and e.value.message


def test_removed_hook_no_longer_runs(tiny):
    plain = run(tiny, TOKENS[:4])
    with tiny.state() as s:
        hook = s.add_hook("hidden", -1, zero_units([0, 1, 2]))
        s.step(TOKENS[0])
        s.remove_hook(hook)
        s.reset()
        got = np.array([s.step(t) for t in TOKENS[:4]])
        np.testing.assert_array_equal(got, plain)
        with pytest.raises(folkrnn.FolkRNNError) as e:
            s.remove_hook(hook)
        assert e.value.status == folkrnn.E_RANGE


def test_unknown_point_is_rejected(tiny):
    with tiny.state() as s:
        with pytest.raises(folkrnn.FolkRNNError):
            s.add_hook("nowhere", 0, lambda ev, v: None)
        with pytest.raises(folkrnn.FolkRNNError) as e:
            s.add_hook("resetgate", 0, lambda ev, v: None)   # LSTMs have no reset gate
        assert e.value.status == folkrnn.E_INVALID


def test_twohot_input_matches_reference(tiny, tiny_ref):
    case = tiny_ref["twohot"]
    V, n = tiny.vocab_size, case["nstreams"]
    probs = []
    with tiny.state(n) as s:
        for step in range(case["nsteps"]):
            if (step, 0) in case["weights"]:
                rows = np.array([case["weights"][step, k] for k in range(n)])
                probs.append(s.step_input(rows))
            else:
                probs.append(s.step([case["inputs"][step, k] for k in range(n)]))
    for (point, layer, step, k), want in case["rec"].items():
        if point == "probs":
            np.testing.assert_allclose(probs[step][k], want, atol=1e-5, rtol=0)


def test_example_script_runs(tiny, tmp_path):
    import os
    import subprocess
    import sys
    path = tmp_path / "tiny.safetensors"
    tiny.save(path)
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(folkrnn.__file__)))
    out = subprocess.run([sys.executable, os.path.join(here, "..", "example.py"), str(path)],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert "11 tokens, 3 layers, 6 units in layer 1" in out
    assert "hook ran 1 time(s)" in out
    plain, ablated = [l for l in out.splitlines() if l.startswith(("plain", "ablated"))]
    assert plain.split()[1:] != ablated.split()[1:]
