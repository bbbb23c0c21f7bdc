"""Measuring families of variants over many seeds, outside pytest.

``python -m freezecheck measure`` trains every (variant, seed) of the chosen families on
the full-tier recipe, in parallel processes, through the same run store the suite uses
(so a later ``pytest --freezecheck-store-dir=DIR`` reuses every run), and appends one
JSON line per run to a measurements file. Those lines are what the expectations table
(:mod:`freezecheck.expectations`) is made from, and what the README's findings show.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import multiprocessing
import time
import uuid
from pathlib import Path

from freezecheck import schedule
from freezecheck.config import FULL_RECIPES
from freezecheck.errors import ConfigError
from freezecheck.variants import Variant

MEASUREMENT_SCHEMA = 1


def plan(variants: list[Variant], seeds: list[int]) -> list[tuple[Variant, int]]:
    """Every (variant, seed), costliest first so that the processes finish together."""
    def cost(pair):
        variant, _ = pair
        recipe = FULL_RECIPES[variant.model]
        return schedule.estimated_seconds(variant.model, variant.frozen, recipe.epochs,
                                          schedule.FULL_EPOCH_IMAGES)
    pairs = [(v, s) for v in variants for s in seeds]
    return sorted(pairs, key=lambda pair: (-cost(pair), pair[0].id, pair[1]))


_DATA = {}  # per process: the data set, loaded once


def measure_one(variant: Variant, seed: int, dataset: str, data_dir: str | None,
                store_dir: str, session: str) -> dict:
    """Train (or reuse from the store) one run; its summary as JSON-ready builtins."""
    from freezecheck.data import load_dataset
    from freezecheck.fingerprints import changes
    from freezecheck.store import RunStore, run_key
    from freezecheck.training import train

    if dataset not in _DATA:
        _DATA[dataset] = load_dataset(dataset, data_dir)
    data = _DATA[dataset]
    recipe = dataclasses.replace(FULL_RECIPES[variant.model], seed=seed)
    key = run_key(variant.id, recipe.as_dict(), data.sha256)
    record = RunStore(Path(store_dir), session=session).get_or_train(
        key, lambda: train(variant, recipe, data))
    frozen_paths = [p for layer in variant.frozen for p in record.variables_of(layer)]
    return {
        "schema": MEASUREMENT_SCHEMA,
        "variant": variant.id,
        "model": variant.model,
        "frozen": list(variant.frozen),
        "init": variant.init,
        "dataset": dataset,
        "seed": seed,
        "recipe": recipe.as_dict(),
        "val_accuracy": record.val_accuracy,
        "val_loss": record.history["val_loss"],
        "final_val_accuracy": record.final_val_accuracy,
        "test_accuracy": record.test_accuracy,
        "frozen_unchanged": not changes(record.weights_before, record.weights_after,
                                        frozen_paths),
        "train_seconds": record.train_seconds,
        "versions": record.versions,
        "key": key,
    }


def run(variants: list[Variant], seeds: list[int], *, dataset: str, data_dir: str | None,
        store_dir: Path, out: Path, workers: int) -> int:
    """Measure every (variant, seed) not yet in ``out``; append each as it finishes."""
    from freezecheck.backend import environment_name

    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            row = json.loads(line)
            done.add((row["variant"], row["seed"]))
    to_measure = [(v, s) for v, s in plan(variants, seeds) if (v.id, s) not in done]
    print(f"measure: {len(to_measure)} runs to make ({len(done)} already in {out}), "
          f"{dataset}, {workers} processes, environment {environment_name()}", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    session = uuid.uuid4().hex
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool, \
            out.open("a") as sink:
        futures = {pool.submit(measure_one, v, s, dataset, data_dir, str(store_dir), session):
                   (v, s) for v, s in to_measure}
        for count, future in enumerate(concurrent.futures.as_completed(futures), 1):
            row = future.result() | {"environment": environment_name()}
            sink.write(json.dumps(row, sort_keys=True) + "\n")
            sink.flush()
            print(f"[{count}/{len(to_measure)} {time.perf_counter() - started:7.0f}s] "
                  f"{row['variant']} seed {row['seed']}: {row['final_val_accuracy']:.4f} "
                  f"({row['train_seconds']:.0f}s)", flush=True)
    return 0


def read(path: Path) -> list[dict]:
    """The measurement rows of ``path``."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def seed_range(text: str) -> list[int]:
    """``"5"`` -> seeds 0..4; ``"3-7"`` -> seeds 3..7; ``"0-0"`` -> seed 0 alone."""
    first, dash, last = text.partition("-")
    try:
        seeds = (list(range(int(first), int(last) + 1)) if dash
                 else list(range(int(first))))
    except ValueError:
        seeds = []
    if not seeds or seeds[0] < 0:
        raise ConfigError(f"seeds expected N >= 1 (seeds 0 to N-1) or A-B with "
                          f"0 <= A <= B (seeds A to B). Received: {text!r}")
    return seeds
