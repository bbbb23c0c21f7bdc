"""Measuring the built-in experiment's families over many seeds, on Dask.

``freezecheck measure`` without ``--experiment`` (its options ``--families``,
``--models``, ``--dataset``, ``--data-dir`` and ``--tier`` are this package's:
freezecheck/builtin/commands.py) trains every (variant, seed) of the chosen families on
a tier's recipe, through :func:`freezecheck.builtin.models.train` and under the store
keys every committed measurement was made with, and appends one JSON line per run
(freezecheck.cli.measure.measurement). Those lines are what the expectations table is
made from (freezecheck/builtin/tabulate.py), and what the findings show. The sweep
itself is the library's (freezecheck.cli.measure.sweep).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from freezecheck.builtin.settings import (FULL_EPOCH_IMAGES, FULL_RECIPES, SMOKE_RECIPES,
                                          estimated_seconds)
from freezecheck.cli.measure import measurement, sweep, who
from freezecheck.describe.variants import Variant
from freezecheck.errors import ConfigError

TIERS = {"full": FULL_RECIPES, "smoke": SMOKE_RECIPES}


def plan(variants: list[Variant], seeds: list[int]) -> list[tuple[Variant, int]]:
    """Every (variant, seed), costliest first so that the workers finish together."""
    def cost(pair):
        variant, _ = pair
        recipe = FULL_RECIPES[variant.model]
        return estimated_seconds(variant.model, variant.frozen, recipe.epochs,
                                 FULL_EPOCH_IMAGES)
    pairs = [(v, s) for v in variants for s in seeds]
    return sorted(pairs, key=lambda pair: (-cost(pair), pair[0].id, pair[1]))


def check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise ConfigError(f"tier expected one of {sorted(TIERS)}. Received: tier={tier!r}")
    return tier


def recipe_for(variant: Variant, seed: int, tier: str):
    return dataclasses.replace(TIERS[check_tier(tier)][variant.model], seed=seed)


_DATA: dict = {}  # per worker process: each data set, loaded and verified once


def train_task(variant: Variant, seed: int, tier: str, dataset: str,
               data_dir: str | None) -> dict:
    """Train one run where this task runs; the record, its store key and who trained it.

    Runs in a Dask worker (or in this process): the data set is read from this
    machine's ``data_dir`` and verified once per process."""
    from freezecheck.builtin.datasets import load_dataset
    from freezecheck.builtin.experiment import EXPERIMENTS

    if (dataset, data_dir) not in _DATA:
        _DATA[(dataset, data_dir)] = load_dataset(dataset, data_dir)
    data = _DATA[(dataset, data_dir)]
    recipe = recipe_for(variant, seed, tier)
    # Trained and keyed as a session trains and keys it: a session reuses these runs.
    experiment = EXPERIMENTS[variant.model]
    return {"record": experiment.train(variant, recipe, data),
            "key": experiment.store_key(variant, recipe, data), **who()}


def run(variants: list[Variant], seeds: list[int], *, dataset: str, data_dir: str | None,
        store_dir: Path, out: Path, workers: int, tier: str = "full",
        scheduler: str | None = None, cpu: str = "auto") -> int:
    """Measure every (variant, seed) of the built-in experiment not yet in ``out``;
    append each as it finishes. Returns 0, or 130 when interrupted (what finished by
    then is kept)."""
    from freezecheck.train.backend import environment_name

    check_tier(tier)
    environment = environment_name()
    return sweep(plan(variants, seeds), out=out, store_dir=store_dir, workers=workers,
                 scheduler=scheduler, cpu=cpu, what=f"{dataset}, {tier} tier",
                 environment=environment,
                 task=lambda v, s: (train_task, v, s, tier, dataset, data_dir),
                 line_of=lambda v, s, result: measurement(v, s, tier, dataset, result,
                                                          environment))
