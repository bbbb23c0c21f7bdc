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
from freezecheck.reporting.measurements import family_of, group


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
    the same seeds), how often a claim declared from one half of them fails on the
    other half; then per family and overall. Beside it, for comparison, how often a
    verdict of significance alone (the statistical mode's "differs or not" at
    ``alpha``) changes between the halves. Last, how often one run (a session at one
    seed) fails the single-run check against an effect declared from the other half.
    ``tolerance``: row -> its CurveTolerance. A variant's baseline is its model's
    ``MODEL[none]``."""
    from freezecheck.judge.claims import CLAIMS, replication_failures, single_run_failures
    from freezecheck.judge.statistics import significance_flips

    lines = ["| environment | data set | variant | family | seeds | declared (follows / leaves "
             "/ undetermined) | claim failed | rate | significance changed | one run failed |",
             "| --- | --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    totals: dict = {}
    for (environment, dataset), by_variant in sorted(group(rows).items()):
        for name, runs in sorted(by_variant.items()):
            model, frozen, init = parse_id(name)
            baseline = by_variant.get(id_of(model), {})
            seeds = [s for s in sorted(runs) if s in baseline]
            if (not frozen and init == DEFAULT_INIT) or len(seeds) < 10:
                continue
            curve = tolerance(runs[seeds[0]])
            seeds = seeds[:10]  # two halves of five, as the suite judges five seeds
            mine = [runs[s]["val_accuracy"] for s in seeds]
            theirs = [baseline[s]["val_accuracy"] for s in seeds]
            result = replication_failures(mine, theirs, seeds, band=curve.band,
                                          max_lag=curve.max_lag, level=curve.level,
                                          alpha=alpha, variant=name)
            flips, halves = significance_flips(mine, theirs, alpha=alpha, level=curve.level)
            single, singles = single_run_failures(mine, theirs, seeds, level=curve.level,
                                                  alpha=alpha, variant=name)
            family = family_of(name)
            for key in (family, "all"):
                failed, judged, flipped, one, ones = totals.get(key, (0, 0, 0, 0, 0))
                totals[key] = (failed + result.failures, judged + result.judgements,
                               flipped + flips, one + single, ones + singles)
            declared = " / ".join(str(result.claims[c]) for c in CLAIMS)
            lines.append(f"| {environment} | {dataset} | `{name}` | {family} | "
                         f"{seeds[0]}-{seeds[-1]} | {declared} | {result.failures} of "
                         f"{result.judgements} | {result.rate:.1%} | {flips} of {halves} | "
                         f"{single} of {singles} |")
    if not totals:
        raise ConfigError("no variant is measured at ten or more seeds with its baseline at "
                          "the same seeds, so there is no half to declare a claim from and "
                          "another to judge it on. Measure ten seeds of a family with its "
                          "baseline (freezecheck measure --seeds 10)")
    lines += ["", f"| family | claim failed | rate (alpha {alpha}) | significance changed | "
                  f"one run failed |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for key, (failed, judged, flipped, one, ones) in totals.items():
        rate = failed / judged if judged else 0.0
        lines.append(f"| {key} | {failed} of {judged} | {rate:.2%} | {flipped} of {judged} | "
                     f"{one} of {ones} |")
    return lines
