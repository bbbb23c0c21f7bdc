"""The run store: trains once per key, never leaves a partial entry, refuses cleanly."""

import errno
import json
import threading

import numpy as np
import pytest

from freezecheck.errors import StoreError
from freezecheck.train.records import RECORD_FILE, WEIGHTS_FILE, RunRecord
from freezecheck.train.store import RunStore, run_key


def record(variant_id="lenet5[none]", value=0.5):
    weights = {"conv1/kernel": np.full((5, 5, 1, 6), value, np.float32),
               "conv1/bias": np.zeros(6, np.float32)}
    return RunRecord(
        variant_id=variant_id, model="lenet5", frozen=[], recipe={"epochs": 1},
        history={"val_accuracy": [0.9]}, test_accuracy=0.9, test_loss=0.1,
        epoch_seconds=[1.0], train_seconds=1.0, peak_rss_mb=1.0, versions={},
        data_sha256={}, weights_before=weights, weights_after=weights,
    )


def entries(root):
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_record_round_trips_through_json_and_npz_without_pickle(tmp_path):
    original = record()
    original.save(tmp_path)
    loaded = RunRecord.load(tmp_path)
    assert loaded.summary() == original.summary()
    for path, array in original.weights_after.items():
        assert loaded.weights_after[path].tobytes() == array.tobytes()
    assert json.loads((tmp_path / RECORD_FILE).read_text())["variant_id"] == original.variant_id


def test_object_arrays_in_the_weights_file_are_refused(tmp_path):
    record().save(tmp_path)
    with open(tmp_path / WEIGHTS_FILE, "wb") as handle:
        np.savez(handle, before_0=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        RunRecord.load(tmp_path)


def test_a_key_is_trained_once_and_then_loaded(tmp_path):
    calls = []
    store = RunStore(tmp_path, session="s1")
    first = store.get_or_train("k", lambda: calls.append(1) or record())
    again = RunStore(tmp_path, session="s2").get_or_train("k", lambda: calls.append(1) or record())
    assert calls == [1]
    assert again.summary() == first.summary()


def test_concurrent_requests_for_one_key_train_once(tmp_path):
    calls, results = [], []

    def ask():
        store = RunStore(tmp_path, session="s")  # one store object per "process"
        results.append(store.get_or_train("k", lambda: calls.append(1) or record()))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(results) == 4


def test_retrain_replaces_other_sessions_entries_once(tmp_path):
    RunStore(tmp_path, session="old").get_or_train("k", lambda: record(value=0.1))
    calls = []
    store = RunStore(tmp_path, session="new", retrain=True)
    fresh = store.get_or_train("k", lambda: calls.append(1) or record(value=0.2))
    RunStore(tmp_path, session="new", retrain=True).get_or_train("k", lambda: calls.append(1) or record())
    assert calls == [1]
    assert fresh.weights_after["conv1/kernel"][0, 0, 0, 0] == np.float32(0.2)
    assert entries(tmp_path) == ["k"]


def test_full_disk_while_writing_leaves_nothing_behind(tmp_path, monkeypatch):
    def save_half_then_fail(self, directory):
        (directory / RECORD_FILE).write_text("{")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RunRecord, "save", save_half_then_fail)
    with pytest.raises(StoreError, match="No space left on device.*Nothing was written") as caught:
        RunStore(tmp_path, session="s").get_or_train("k", record)
    assert isinstance(caught.value, OSError)
    assert entries(tmp_path) == []  # neither the entry nor its staging directory


def test_an_unusable_store_directory_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot be used"):
        RunStore(blocker / "store", session="s").get_or_train("k", record)


def test_key_changes_with_every_input():
    base = run_key("v", {"epochs": 1}, {"f": "a"})
    assert base == run_key("v", {"epochs": 1}, {"f": "a"})
    assert len({base, run_key("w", {"epochs": 1}, {"f": "a"}),
                run_key("v", {"epochs": 2}, {"f": "a"}),
                run_key("v", {"epochs": 1}, {"f": "b"})}) == 4


def test_the_code_hash_covers_every_module_training_imports():
    import ast

    from freezecheck.train.store import KEYED_BY_VALUE, PACKAGE_DIR, TRAINING_MODULES

    seen, to_visit = set(), ["train.training"]
    while to_visit:
        name = to_visit.pop()
        seen.add(name)
        tree = ast.parse((PACKAGE_DIR / f"{name.replace('.', '/')}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("freezecheck"):
                package = node.module.removeprefix("freezecheck").lstrip(".")
                found = ([package] if (PACKAGE_DIR / f"{package.replace('.', '/')}.py").is_file()
                         else [f"{package}.{a.name}".lstrip(".") for a in node.names])
                for module in found:
                    if module in KEYED_BY_VALUE:  # only values that the key holds
                        assert {a.name for a in node.names} <= KEYED_BY_VALUE[module], node.lineno
                    elif module not in seen:
                        to_visit.append(module)
    assert seen <= set(TRAINING_MODULES), f"not hashed: {sorted(seen - set(TRAINING_MODULES))}"


def test_the_cpu_type_names_a_variable_that_changes_onednns_dispatch(monkeypatch):
    """With ONEDNN_MAX_CPU_ISA=AVX2 an AVX-512 machine trains other results: it is not
    the same environment, for the store nor for the bit-for-bit reference check."""
    from freezecheck.train import store

    for name in store.DISPATCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    store.cpu_type.cache_clear()
    plain = store.cpu_type()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    store.cpu_type.cache_clear()
    try:
        assert store.cpu_type() == plain + "+ONEDNN_MAX_CPU_ISA=AVX2"
        assert "+" not in plain
    finally:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
        store.cpu_type.cache_clear()
