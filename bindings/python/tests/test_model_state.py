"""Models, states, errors and lifetimes through the Python bindings."""
import numpy as np
import pytest

import folkrnn
from conftest import numpy_forward

TOKENS = [5, 4, 3, 8, 6, 1, 2, 6, 0, 1, 10, 7]


def test_new_model_architecture():
    with folkrnn.Model.new([3, 4], ["<s>", "a", "b", "</s>"]) as m:
        assert m.cell == "lstm" and m.num_layers == 2 and m.units == [3, 4]
        assert m.vocab == ["<s>", "a", "b", "</s>"] and m.vocab_size == 4
        assert m.is_onehot and m.input_size == 4
        # gates x (in + hid + bias) per layer, plus the dense layer
        assert m.num_params == 4 * (4 * 3 + 3 * 3 + 3) + 4 * (3 * 4 + 4 * 4 + 4) + 4 * 4 + 4
        assert m.token(2) == "b" and m.token_id("</s>") == 3


def test_new_model_rejects_duplicate_tokens_with_library_message():
    with pytest.raises(folkrnn.FolkRNNError) as e:
        folkrnn.Model.new([3], ["a", "a"])
    assert e.value.status == folkrnn.E_INVALID
    assert e.value.message and "a" in e.value.message


def test_param_views_have_pickle_orientation_and_share_memory(tiny):
    assert tiny.param(0, "W_in_to_ingate").shape == (11, 6)
    assert tiny.param(1, "w_hid_outgate").shape == (6, 6)
    assert tiny.param(2, "b_cell").shape == (1, 6)
    assert tiny.param(0, "dense_w").shape == (6, 11)
    whole = tiny.param(1, "w_in")                    # 6 x (4 gates * 6 units)
    assert whole.shape == (6, 24)
    np.testing.assert_array_equal(whole[:, 12:18], tiny.param(1, "w_in_cell"))
    tiny.param(1, "w_in_cell")[2, 3] = 42.0
    assert whole[2, 15] == 42.0
    ro = tiny.param(0, "b_ingate", writable=False)
    with pytest.raises(ValueError):
        ro[0, 0] = 1.0


def test_param_errors_carry_library_message(tiny):
    with pytest.raises(folkrnn.FolkRNNError) as e:
        tiny.param(7, "w_in")
    assert e.value.status == folkrnn.E_RANGE and "layer 7" in str(e.value)
    with pytest.raises(folkrnn.FolkRNNError):
        tiny.param(0, "no_such_param")


def test_param_view_keeps_model_alive(tiny_weights):
    from conftest import build_model
    view = build_model(*tiny_weights).param(0, "dense_b")   # model dropped at once
    assert view.shape == (1, 11) and np.isfinite(view).all()


def test_probs_agree_with_numpy(tiny):
    ref = numpy_forward(tiny, TOKENS)
    with tiny.state() as s:
        got = np.array([s.step(t)[0] for t in TOKENS])
    assert got.shape == (len(TOKENS), 11)
    np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)
    assert abs(got.sum(axis=1) - 1).max() < 1e-5


def test_streams_are_independent_and_idle_streams_wait(tiny):
    ref = numpy_forward(tiny, TOKENS[:3])
    with tiny.state(3) as s:
        p0 = s.step([TOKENS[0], None, TOKENS[0]])
        assert p0.shape == (3, 11) and not p0[1].any()
        s.step([TOKENS[1], TOKENS[0], TOKENS[1]])
        p2 = s.step([TOKENS[2], TOKENS[1], tiny.vocab[TOKENS[2]]])   # ids or texts
    np.testing.assert_allclose(p2[0], ref[2], atol=1e-5)
    np.testing.assert_allclose(p2[2], ref[2], atol=1e-5)
    np.testing.assert_allclose(p2[1], ref[1], atol=1e-5)


def test_reset_and_copy(tiny):
    with tiny.state() as s, tiny.state() as t:
        first = s.step(TOKENS[0])
        s.step(TOKENS[1])
        t.copy_from(s)
        assert t.steps == 2
        np.testing.assert_array_equal(s.step(TOKENS[2]), t.step(TOKENS[2]))
        s.reset()
        assert s.steps == 0
        np.testing.assert_array_equal(s.step(TOKENS[0]), first)


def test_bad_token_raises_and_changes_nothing(tiny):
    with tiny.state() as s:
        s.step(TOKENS[0])
        h = s.vector("hidden", 2)
        with pytest.raises(folkrnn.FolkRNNError) as e:
            s.step(99)
        assert e.value.status == folkrnn.E_RANGE and e.value.message
        np.testing.assert_array_equal(s.vector("hidden", 2), h)
        assert s.steps == 1
        with pytest.raises(folkrnn.FolkRNNError):
            s.step([1, 2])            # two tokens for one stream


def test_clone_is_independent(tiny):
    with tiny.clone() as c:
        c.param(0, "dense_b")[:] = 0.0
        assert tiny.param(0, "dense_b").any()
        with c.state() as s1, tiny.state() as s2:
            assert not np.allclose(s1.step(5), s2.step(5))


def test_save_and_load_round_trip(tiny, tmp_path, monkeypatch):
    path = tmp_path / "tiny.safetensors.gz"
    tiny.set_meta("origin", "pytest")
    tiny.save(path)
    with folkrnn.Model(str(path)) as back:
        assert back.vocab == tiny.vocab and back.meta("origin") == "pytest"
        np.testing.assert_array_equal(back.param(1, "w_hid", writable=False),
                                      tiny.param(1, "w_hid", writable=False))
    monkeypatch.setenv("FOLKRNN_MODEL", str(path))
    assert folkrnn.default_model_path() == str(path)
    with folkrnn.Model() as default:
        assert default.vocab == tiny.vocab


def test_load_errors_carry_library_message(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"definitely not a model")
    with pytest.raises(folkrnn.FolkRNNError) as e:
        folkrnn.Model(str(bad))
    assert e.value.status == folkrnn.E_FORMAT and e.value.message
    with pytest.raises(folkrnn.FolkRNNError) as e:
        folkrnn.Model(str(tmp_path / "missing"))
    assert e.value.status == folkrnn.E_IO


def test_closing_model_closes_its_states(tiny_weights):
    from conftest import build_model
    with build_model(*tiny_weights) as m:
        s = m.state()
    with pytest.raises(folkrnn.FolkRNNError):
        s.step(0)
    with pytest.raises(folkrnn.FolkRNNError):
        m.vocab_size


def test_default_model_is_found_beside_the_installed_library(tiny, tmp_path):
    """Model() without FOLKRNN_MODEL looks in $prefix/share/libfolkrnn of the
    prefix the loaded library lives under (as `make install` lays it out)."""
    import os
    import shutil
    import subprocess
    import sys
    prefix = tmp_path / "prefix"
    (prefix / "lib").mkdir(parents=True)
    (prefix / "share" / "libfolkrnn").mkdir(parents=True)
    lib = prefix / "lib" / "libfolkrnn.so.0"
    shutil.copy(os.path.realpath(folkrnn._lib.library_path()), lib)
    tiny.save(prefix / "share" / "libfolkrnn" / "default.safetensors.gz")
    env = dict(os.environ, FOLKRNN_LIB=str(lib),
               PYTHONPATH=os.path.dirname(os.path.dirname(folkrnn.__file__)))
    env.pop("FOLKRNN_MODEL", None)
    code = ("import folkrnn; print(folkrnn.default_model_path()); "
            "print(folkrnn.Model().vocab_size)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == [str(prefix / "share" / "libfolkrnn" / "default.safetensors.gz"), "11"]


def test_threads_share_a_model_with_a_state_each(tiny):
    """One model read by four threads at once, each with its own state, gives
    what one thread gives; errors stay with the thread that made them."""
    import threading
    with tiny.state() as s:
        want = np.array([s.step(t)[0] for t in TOKENS])
    results, errors = {}, {}

    def work(k):
        with tiny.state() as st:
            for _ in range(20):
                st.reset()
                results[k] = np.array([st.step(t)[0] for t in TOKENS])
            try:
                st.step(100 + k)
            except folkrnn.FolkRNNError as e:
                errors[k] = e.message

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        np.testing.assert_array_equal(results[k], want)
        assert str(100 + k) in errors[k]
