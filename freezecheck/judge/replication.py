"""How often the regression gate fails on unchanged code: declare from one half of a
variant's measured seeds, judge the other half, and the reverse.

Needs numpy and scipy. With ten seeds paired with the baseline's, the halves are the
first five and the last five, so every judged set of seeds is disjoint from the seeds
its declaration was made from and from every other judged set of the same variant:
two judgements at five seeds (each half as a session of five seeds) and ten at one seed
(each seed of a half as a session at that seed). Nothing differs between the halves but
the seeds, so every failure is a false alarm; the binomial interval of the rate counts
these disjoint sets only (never the overlapping partitions of the same seeds).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from freezecheck.errors import ConfigError
from freezecheck.judge import claims
from freezecheck.judge.statistics import MIN_SEEDS

HALF = MIN_SEEDS  # seeds in each half: what a session of several seeds runs
SEEDS = 2 * HALF


@dataclasses.dataclass(frozen=True)
class Replication:
    """One variant's two halves judged by each other."""

    variant: str
    seeds: tuple[int, ...]  # the ten, in order: first half, then second
    claims: tuple[str, str]  # declared from the first half, from the second
    claim_all: str  # declared from all ten
    failures: int  # of the 2 judgements at five seeds
    stale: int
    run_failures: int  # of the 10 judgements at one seed
    run_stale: int

    judgements = 2
    run_judgements = SEEDS


def replicate(variant_curves, baseline_curves, seeds, *, level: float, margin: float,
              alpha: float, variants: int = 1, variant: str = "variant") -> Replication:
    """Declare from each half of the first ten paired seeds and judge the other half,
    as a session of five seeds and as five sessions at one seed would be judged."""
    a = np.asarray(variant_curves, dtype=np.float64)
    b = np.asarray(baseline_curves, dtype=np.float64)
    seeds = [int(s) for s in seeds]
    if a.shape[0] < SEEDS or a.shape != b.shape or len(seeds) != a.shape[0]:
        raise ConfigError(f"{variant}: replication needs {SEEDS} seeds of the variant and of "
                          f"its baseline at the same seeds; got {a.shape[0]} and {b.shape[0]}")
    a, b, seeds = a[:SEEDS], b[:SEEDS], seeds[:SEEDS]
    halves = (list(range(HALF)), list(range(HALF, SEEDS)))
    declared_claims = []
    failures = stale = run_failures = run_stale = 0
    for one, two in (halves, halves[::-1]):
        declared = claims.measure_effect(a[one], b[one], level=level,
                                         seeds=[seeds[i] for i in one])
        claim = claims.declare(declared, margin=margin, alpha=alpha)
        declared_claims.append(claim)
        new = claims.measure_effect(a[two], b[two], level=level, seeds=[seeds[i] for i in two])
        failures += bool(claims.judge(claim, declared, new, alpha=alpha, variants=variants))
        stale += claims.stale(declared, new, alpha=alpha, variants=variants) is not None
        for i in two:
            run = claims.run_effect(a[i], b[i], level=level, seed=seeds[i])
            run_failures += bool(claims.judge_run(declared, run, alpha=alpha,
                                                  variants=variants))
            run_stale += claims.stale(declared, run, alpha=alpha, variants=variants) is not None
    everything = claims.measure_effect(a, b, level=level, seeds=seeds)
    return Replication(variant, tuple(seeds), tuple(declared_claims),
                       claims.declare(everything, margin=margin, alpha=alpha),
                       failures, stale, run_failures, run_stale)
