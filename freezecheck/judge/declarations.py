"""Declarations: what measured seeds say each variant does, as data.

A declarations file is JSON, made from measurement files by a command (``freezecheck
declare`` for any experiment; the built-in experiment's, ``expectations``, writes the
same format), reviewed and committed; never Python. Its table: environment -> data set
-> ``{"seed_spread": {model: spread}, "variants": {variant id: entry}}``, an entry
holding the measured seeds, each seed's final validation accuracy, whether the first
seed's curve kept the tolerance of its baseline's, and, from five seeds of the variant
and its baseline on, the claim those seeds establish about the mean paired gap against
the experiment's margin (``curve_claim``), the same about the final-epoch gap
(``final_claim``), the margin and alpha they were made with, and the measured effect
behind them: every seed's paired gaps, which the regression gate reads its spread from
(:mod:`freezecheck.judge.claims`). An experiment whose gates read another metric is
declared on that metric: its finals, curves and effect are that metric's (gaps signed
positive where the variant is better, freezecheck/judge/metric_effects.py), and its
data set's part names it (``"metric": {"name": ..., ...}``).

Schema 2 (margin claims, per-seed gaps) replaced schema 1 (band claims, trimmed
estimates); a schema 1 file is refused with the command that regenerates it.
"""

from __future__ import annotations

import json
from pathlib import Path

from freezecheck.errors import ConfigError
from freezecheck.judge import claims, metric_effects
from freezecheck.judge.curves import compare_curves
from freezecheck.judge.statistics import MIN_SEEDS

SCHEMA_VERSION = 2


def declare(variants: dict, baseline_of, tolerance, *, alpha: float,
            where: str = "", min_seeds: int = MIN_SEEDS) -> dict:
    """Entries of ``variants`` ({variant id: {seed: measurement row}}), each judged
    against its baseline (``baseline_of(id)``: the baseline's id, or None for a
    baseline) within ``tolerance`` (a CurveTolerance), claims at level ``alpha``, on
    the tolerance's metric: validation accuracy, or another a measurement line
    records (:func:`metric_curve`). A claim needs ``min_seeds`` seeds paired with the
    baseline (at least MIN_SEEDS); with fewer, the entry records what was measured and
    no statistical gate rests on it."""
    if min_seeds < MIN_SEEDS:
        raise ValueError(f"min_seeds expected at least {MIN_SEEDS}. Received: {min_seeds}")
    metric = tolerance.metric
    entries = {}
    for variant_id, by_seed in sorted(variants.items()):
        baseline_id = baseline_of(variant_id)
        seeds = sorted(by_seed)
        curves = {s: metric_curve(by_seed[s], metric.name) for s in seeds}
        baseline = variants.get(baseline_id, {}) if baseline_id else {}
        first = seeds[0]
        if baseline_id is None:
            follows = True
        elif first in baseline:
            follows = compare_curves(curves[first], metric_curve(baseline[first], metric.name),
                                     tolerance).ok
        else:
            raise ConfigError(f"{variant_id} was measured at seed {first}, its baseline "
                              f"{baseline_id} not{f' ({where})' if where else ''}")
        finals = ([by_seed[s]["final_val_accuracy"] for s in seeds] if metric.is_default
                  else [curves[s][-1] for s in seeds])
        entry = {"seeds": seeds, "finals": finals, "follows_baseline": follows}
        common = [s for s in seeds if s in baseline]
        if baseline_id is not None and len(common) >= min_seeds:
            effect = metric_effects.measure_effect(
                [curves[s] for s in common],
                [metric_curve(baseline[s], metric.name) for s in common],
                level=tolerance.level, seeds=common, metric=metric)
            entry["curve_claim"] = claims.declare(effect, margin=tolerance.margin, alpha=alpha)
            entry["final_claim"] = claims.final_claim(effect, margin=tolerance.margin,
                                                      alpha=alpha)
            entry["margin"], entry["alpha"] = tolerance.margin, alpha
            entry["effect"] = effect.as_dict()
        entries[variant_id] = entry
    return entries


def metric_curve(row: dict, name: str) -> list[float]:
    """A measurement line's curve of metric ``name``: ``val_accuracy`` and ``val_loss``
    are fields of every line, a compiled metric is in its ``curves``; a ConfigError
    names a line without it."""
    curve = row.get(name, (row.get("curves") or {}).get(name))
    if curve is None:
        recorded = ["val_accuracy", "val_loss", *(row.get("curves") or {})]
        raise ConfigError(f"{row['variant']} seed {row['seed']} ({row['environment']}): "
                          f"the measurement records no {name!r} curve, which the gates "
                          f"read; it records {', '.join(recorded)}. Measure again with "
                          f"`freezecheck measure --experiment` (which records every "
                          f"metric the run reports), or gate on one of those.")
    return curve


def seed_spreads(entries: dict, baselines: dict) -> dict:
    """Per model (``baselines``: model -> its baseline's id), the baseline's highest
    minus lowest final accuracy, where five or more seeds were measured."""
    spreads = {}
    for model, baseline_id in baselines.items():
        finals = entries.get(baseline_id, {}).get("finals", [])
        if len(finals) >= MIN_SEEDS:
            spreads[model] = round(max(finals) - min(finals), 6)
    return spreads


def document(table: dict, command: str) -> str:
    """The JSON text of a declarations ``table`` and the command that made it."""
    return json.dumps({"schema_version": SCHEMA_VERSION, "made_with": command,
                       "measured": table}, indent=1, sort_keys=True) + "\n"


def read(path: Path) -> dict:
    """The table of the declarations file at ``path``; a ConfigError names a file that
    is not one."""
    try:
        content = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"declarations {path}: cannot be read ({exc}). Make it with "
                          f"`freezecheck declare`.") from None
    if isinstance(content, dict) and content.get("schema_version") == 1:
        raise ConfigError(f"declarations {path}: schema_version 1 (claims against the band, "
                          f"before the margin and the regression gate): regenerate it from "
                          f"its measurements with the command it was made with: "
                          f"{content.get('made_with', '`freezecheck declare`')}")
    if not isinstance(content, dict) or content.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(f"declarations {path}: expected schema_version {SCHEMA_VERSION}, "
                          f"as `freezecheck declare` writes. Received: "
                          f"{content.get('schema_version') if isinstance(content, dict) else content!r}")
    return content["measured"]
