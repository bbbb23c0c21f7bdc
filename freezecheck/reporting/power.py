"""How often the regression gate catches planted regressions: runs of one target
variant trained with a plant (a deliberate fault) and without, with its baseline at
the same seeds, judged as a session judges the target, at several seed counts.

Needs numpy and scipy. Measurement lines carry a ``plant`` field (``"none"`` for the
unplanted target and the baseline). Seeds are grouped into disjoint sets in order (the
first five, the next five, ...), so every judgement is one trial and each count comes
with its 95% Clopper-Pearson interval; a set with a run missing is left out. A plant
whose run differs from the unplanted target's at the same seed is counted too: in the
environment of a stored reference the bitwise check fails every such run.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from freezecheck.errors import ConfigError
from freezecheck.judge import claims
from freezecheck.judge.statistics import clopper_pearson
from freezecheck.reporting import readers

UNPLANTED = "none"  # the plant field of the unplanted target and of the baseline
SEED_COUNTS = (1, 5, 10)
PLANTED = {**readers.MEASUREMENT, "plant": readers.text, "test_accuracy": readers.accuracy}


def read(paths) -> list[dict]:
    """The lines of planted runs in ``paths``, each checked (a ``plant`` field too)."""
    return [row for path in paths for row in readers.read_lines(path, PLANTED)]


@dataclasses.dataclass(frozen=True)
class Planted:
    """The planted runs of one target, keyed (plant, variant, seed), with their roles."""

    lines: dict
    target: str  # the one planted variant
    baseline: str  # the other, never planted
    plants: tuple[str, ...]  # in the order first seen
    seeds: tuple[int, ...]
    environment: str
    dataset: str

    def seed_sets(self, size: int, plant: str) -> list[list[int]]:
        """Disjoint sets of ``size`` seeds, in order, at which the baseline, the
        unplanted target and ``plant``'s target all ran."""
        needed = {(UNPLANTED, self.baseline), (UNPLANTED, self.target), (plant, self.target)}
        sets = [list(self.seeds[i:i + size])
                for i in range(0, len(self.seeds) - size + 1, size)]
        return [group for group in sets
                if all((p, v, s) in self.lines for s in group for p, v in needed)]

    def paired(self, plant: str) -> list[tuple[dict, dict]]:
        """(planted run, unplanted run) of the target at every seed with both."""
        return [(self.lines[(plant, self.target, s)], self.lines[(UNPLANTED, self.target, s)])
                for s in self.seeds if (plant, self.target, s) in self.lines
                and (UNPLANTED, self.target, s) in self.lines]


def index(rows) -> Planted:
    """The planted runs of ``rows``, checked: one environment and data set, one planted
    target, one unplanted baseline."""
    rows = list(rows)
    if not rows:
        raise ConfigError("no planted measurement line to judge: train the plants first")
    for field in ("environment", "dataset"):
        values = sorted({str(row[field]) for row in rows})
        if len(values) != 1:
            raise ConfigError(f"the lines mix {field}s {values}: a power table judges one "
                              f"{field}'s runs against its declaration")
    targets = sorted({row["variant"] for row in rows if row["plant"] != UNPLANTED})
    others = sorted({row["variant"] for row in rows} - set(targets))
    if len(targets) != 1 or len(others) != 1:
        raise ConfigError(f"expected the plants in one variant and one unplanted baseline. "
                          f"Received: planted {targets}, unplanted only {others}")
    return Planted(
        lines={(row["plant"], row["variant"], row["seed"]): row for row in rows},
        target=targets[0], baseline=others[0],
        plants=tuple(dict.fromkeys(row["plant"] for row in rows if row["plant"] != UNPLANTED)),
        seeds=tuple(sorted({row["seed"] for row in rows})),
        environment=str(rows[0]["environment"]), dataset=str(rows[0]["dataset"]))


def caught(planted: Planted, plant: str, seeds: list[int], entry: dict, *, alpha: float,
           variants: int) -> bool:
    """Whether the regression gate fails ``plant``'s target at ``seeds`` against the
    declared ``entry`` (its ``curve_claim`` and ``effect``), as a session of that many
    seeds judging ``variants`` variants does."""
    declared = claims.Effect.from_dict(entry["effect"])
    runs = [planted.lines[(plant, planted.target, s)]["val_accuracy"] for s in seeds]
    base = [planted.lines[(UNPLANTED, planted.baseline, s)]["val_accuracy"] for s in seeds]
    if len(seeds) == 1:
        run = claims.run_effect(runs[0], base[0], level=declared.level, seed=seeds[0])
        return bool(claims.judge_run(declared, run, alpha=alpha, variants=variants))
    new = claims.measure_effect(runs, base, level=declared.level, seeds=seeds)
    return bool(claims.judge(entry["curve_claim"], declared, new, alpha=alpha,
                             variants=variants))


def cost(planted: Planted, plant: str) -> list[float]:
    """What ``plant`` costs the target at each seed: its mean-over-epochs validation
    accuracy minus the unplanted target's at the same seed, in points."""
    return [100 * (float(np.mean(a["val_accuracy"])) - float(np.mean(b["val_accuracy"])))
            for a, b in planted.paired(plant)]


def differs(planted: Planted, plant: str) -> tuple[int, int]:
    """Planted runs whose curve or test accuracy is not the unplanted target's at the
    same seed, and how many pairs there are."""
    pairs = planted.paired(plant)
    return sum(a["val_accuracy"] != b["val_accuracy"] or a["test_accuracy"] != b["test_accuracy"]
               for a, b in pairs), len(pairs)


def signed(points: float) -> str:
    """``points`` to two decimals with its sign; a value that rounds to zero is +0.00."""
    return f"{round(points, 2) + 0.0:+.2f}"


def rate(hits: int, trials: int) -> str:
    if not trials:
        return "not measured"
    low, high = clopper_pearson(hits, trials)
    return f"{hits} of {trials} ({low:.0%} to {high:.0%})"


def table(planted: Planted, entry: dict, *, alpha: float, variants: int,
          seed_counts=SEED_COUNTS, final_fails=None) -> list[str]:
    """Markdown: for the unplanted target (false alarms) and every plant, the cost, and
    how often the gate catches it at each of ``seed_counts`` seeds; ``entry`` is the
    target's declaration (``curve_claim`` and ``effect``). ``final_fails``: given the
    final validation accuracies of a set of seeds, whether the session's accuracy test
    fails them; with it, a second table counts a set caught by either test."""
    if entry.get("curve_claim") is None:
        raise ConfigError("the target has no claim declared: the regression gate has "
                          "nothing to judge it by. Declare it from ten seeds first")
    every = (UNPLANTED, *planted.plants)
    # Each seed set judged once: (caught by the curve gate, by the final accuracy test).
    verdicts = {(plant, size): [
        (caught(planted, plant, group, entry, alpha=alpha, variants=variants),
         final_fails is not None and final_fails(
             [planted.lines[(plant, planted.target, s)]["final_val_accuracy"] for s in group]))
        for group in planted.seed_sets(size, plant)]
        for plant in every for size in seed_counts}

    def cells(plant, counts) -> str:
        return " | ".join(rate(sum(map(counts, verdicts[(plant, size)])),
                               len(verdicts[(plant, size)])) for size in seed_counts)

    def name(plant) -> str:
        return "none (false alarms)" if plant == UNPLANTED else f"`{plant}`"

    seeds = entry["effect"]["seeds"]
    columns = " | at ".join(f"{n} seed{'s' if n > 1 else ''}" for n in seed_counts)
    out = [f"`{planted.target}` judged against its declaration in {planted.environment}, "
           f"{planted.dataset} (claim: {entry['curve_claim']}, from seeds {seeds[0]}-"
           f"{seeds[-1]}), alpha {alpha} split over {variants} variants. Caught: k of n "
           f"disjoint trials (95% Clopper-Pearson interval).",
           "",
           "| plant | cost: mean-over-epochs accuracy against the unplanted run at the same "
           f"seed, points (mean; lowest to highest) | caught at {columns} | same "
           "environment: run differs from the unplanted one |",
           "| --- | --- | " + "--- | " * len(seed_counts) + "--- |"]
    for plant in every:
        spent, same = "0", "-"
        if plant != UNPLANTED:
            gaps = cost(planted, plant)
            spent = (f"{signed(float(np.mean(gaps)))} ({signed(min(gaps))} to "
                     f"{signed(max(gaps))}; {len(gaps)} seeds)" if gaps else "not measured")
            other, pairs = differs(planted, plant)
            same = f"{other} of {pairs}" if pairs else "not measured"
        out.append(f"| {name(plant)} | {spent} | {cells(plant, lambda v: v[0])} | {same} |")
    margin = 100 * float(entry.get("margin", 0.0))
    beyond = [f"`{p}`" for p in planted.plants if (gaps := cost(planted, p))
              and abs(float(np.mean(gaps))) > margin]
    out += ["", f"The declaration's margin: {margin:.2f} points. Plants whose mean cost is "
                f"beyond it: {', '.join(beyond) if beyond else 'none'}."]
    if final_fails is None:
        return out
    out += ["", "Caught by either test a session runs on the target, the curve gate above or "
                "the final accuracy test:", "",
            f"| plant | caught at {columns} |",
            "| --- |" + " --- |" * len(seed_counts)]
    out += [f"| {name(plant)} | {cells(plant, any)} |" for plant in every]
    return out
