"""Two audits of the statistical mode on measurements of any experiment: how often it
calls seeds of one variant different from each other (``freezecheck false-alarms``),
and how often a curve claim declared from half of the seeds fails on the other half
(``freezecheck replication``).

Each row is judged by its own experiment's curve tolerance (``tolerance``: row ->
CurveTolerance), which the command finds from what the row records
(freezecheck/cli/main.py).
"""

from __future__ import annotations

from freezecheck.describe.variants import DEFAULT_INIT, parse_id, variant_id as id_of
from freezecheck.errors import ConfigError
from freezecheck.reporting.measurements import group


def default_variant(rows) -> str:
    """The variant ``false-alarms`` splits when none is named: the baseline measured at
    the most seeds in one environment and data set (the first by id among equals)."""
    most: dict[str, int] = {}
    for _, by_variant in group(rows).items():
        for name, runs in by_variant.items():
            _, frozen, init = parse_id(name)
            if not frozen and init == DEFAULT_INIT:
                most[name] = max(most.get(name, 0), len(runs))
    if not most:
        raise ConfigError("the measurement files hold no baseline (nothing frozen) to split; "
                          "name the variant with --variant")
    return min(most, key=lambda name: (-most[name], name))


def false_alarms(rows, variant_id: str, group_size: int, alphas, tolerance) -> list[str]:
    """Markdown lines: for each alpha, how many splits of ``variant_id``'s seeds into two
    groups the statistical mode calls different, per environment and data set that
    holds two groups' worth of its seeds. A variant the rows do not hold, or hold at
    too few seeds everywhere, is refused (ConfigError) rather than shown as an empty
    table. ``tolerance``: row -> its CurveTolerance (the level is what counts here)."""
    from freezecheck.judge.statistics import false_alarm_rate

    grouped = sorted(group(rows).items())
    most: dict[str, int] = {}  # variant -> its most seeds in one environment and data set
    for _, by_variant in grouped:
        for name, runs in by_variant.items():
            most[name] = max(most.get(name, 0), len(runs))
    needed = 2 * group_size
    usable = ", ".join(sorted(v for v, n in most.items() if n >= needed)) or "none"
    if variant_id not in most:
        raise ConfigError(f"--variant expected a variant the measurement files hold; those "
                          f"with the {needed} seeds two groups of --group-size {group_size} "
                          f"need: {usable}. Received: {variant_id!r}")
    if most[variant_id] < needed:
        raise ConfigError(f"--variant {variant_id} has at most {most[variant_id]} seeds in "
                          f"one environment and data set; two groups of --group-size "
                          f"{group_size} need {needed}. Measure more seeds of it (freezecheck "
                          f"measure --seeds), give a smaller --group-size, or a variant "
                          f"with enough: {usable}")
    lines = ["| environment | data set | seeds | alpha | splits called different | rate |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for (environment, dataset), by_variant in grouped:
        runs = by_variant.get(variant_id)
        if not runs or len(runs) < needed:
            continue
        curves = [runs[s]["val_accuracy"] for s in sorted(runs)]
        for alpha in alphas:
            level = tolerance(runs[min(runs)]).level
            alarms, splits = false_alarm_rate(curves, group_size, alpha=alpha, level=level)
            lines.append(f"| {environment} | {dataset} | {len(curves)} | {alpha} | "
                         f"{alarms} of {splits} | {alarms / splits:.1%} |")
    return lines


def replication(rows, alpha: float, tolerance) -> list[str]:
    """Markdown lines: for every variant measured at ten or more seeds (its baseline at
    the same seeds), the regression gate declared from the first five of them and judged
    on the other five, and the reverse, at five seeds and one seed at a time
    (freezecheck/judge/replication.py); then the totals with their Clopper-Pearson
    bounds. Every judgement is at the full ``alpha``, unsplit: a session's split over
    its variants only widens the bounds, so the rates are upper bounds for any session.
    ``tolerance``: row -> its CurveTolerance (level and margin). A variant's baseline is
    its model's ``MODEL[none]``."""
    from freezecheck.judge.replication import replicate
    from freezecheck.judge.statistics import clopper_pearson

    lines = ["| environment | data set | variant | seeds | claim (first five / last five / "
             "all ten) | failed at 5 seeds | stale at 5 seeds | failed at 1 seed | "
             "stale at 1 seed |",
             "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    failed = judged = run_failed = run_judged = stale = run_stale = 0
    for (environment, dataset), by_variant in sorted(group(rows).items()):
        paired = {}
        for name, runs in sorted(by_variant.items()):
            model, frozen, init = parse_id(name)
            baseline = by_variant.get(id_of(model), {})
            seeds = [s for s in sorted(runs) if s in baseline]
            if (frozen or init != DEFAULT_INIT) and len(seeds) >= 10:
                paired[name] = (runs, baseline, seeds[:10])
        # Each judgement at the full alpha: the size of the test itself. A session
        # splits alpha over the variants it judges, which only widens every bound, so
        # it fails at most as often as this.
        for name, (runs, baseline, seeds) in paired.items():
            curve = tolerance(runs[seeds[0]])
            result = replicate([runs[s]["val_accuracy"] for s in seeds],
                               [baseline[s]["val_accuracy"] for s in seeds], seeds,
                               level=curve.level, margin=curve.margin, alpha=alpha,
                               variants=1, variant=name)
            failed, judged = failed + result.failures, judged + result.judgements
            run_failed = run_failed + result.run_failures
            run_judged = run_judged + result.run_judgements
            stale, run_stale = stale + result.stale, run_stale + result.run_stale
            lines.append(f"| {environment} | {dataset} | `{name}` | {seeds[0]}-{seeds[-1]} | "
                         f"{' / '.join(result.claims)} / {result.claim_all} | "
                         f"{result.failures} of {result.judgements} | {result.stale} | "
                         f"{result.run_failures} of {result.run_judgements} | "
                         f"{result.run_stale} |")
    if not judged:
        raise ConfigError("no variant is measured at ten or more seeds with its baseline at "
                          "the same seeds, so there is no half to declare a claim from and "
                          "another to judge it on. Measure ten seeds of a family with its "
                          "baseline (freezecheck measure --seeds 10)")
    lines += ["", f"| sessions judged (disjoint seed sets) | failed | stale | false-alarm "
                  f"rate (alpha {alpha}) | 95% Clopper-Pearson interval |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for what, bad, count, warned in (("five seeds", failed, judged, stale),
                                     ("one seed", run_failed, run_judged, run_stale)):
        low, high = clopper_pearson(bad, count)
        lines.append(f"| {count} at {what} | {bad} | {warned} | {bad / count:.1%} | "
                     f"{low:.1%} to {high:.1%} |")
    return lines
