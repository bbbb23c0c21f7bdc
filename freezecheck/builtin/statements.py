"""The built-in experiment's findings as sentences that carry their figures, rendered
into a Markdown page from the declarations and the measurement rows, so that no figure
about a variant is typed by hand.

``freezecheck expectations FILE... --out JSON --page PAGE`` (freezecheck/builtin/commands.py)
re-renders, besides the expectations tables (freezecheck/builtin/tabulate.py), two kinds
of marked block:

``<!-- seeds ENVIRONMENT DATASET FAMILY -->`` ... ``<!-- /seeds -->``
    one sentence per variant of the family (both models, the baseline first): measured
    at :data:`FINDING_SEEDS` or more seeds paired with its baseline, the mean-over-epochs
    gap and the final-epoch gap with their confidence intervals and the claims the
    declarations make of them (freezecheck/judge/claims.py), and the paired difference
    in epochs to reach the gate and the curve level, with its interval
    (freezecheck/judge/rates.py); at fewer seeds, "exploratory": the measured range
    only, no statistical statement.
``<!-- seed-zero DATASET -->`` ... ``<!-- /seed-zero -->``
    the single-layer variants at seed 0 in every environment measured: validation and
    test accuracy, epochs to the gate.
"""

from __future__ import annotations

import re

from freezecheck.builtin.families import family
from freezecheck.builtin.models import MODEL_NAMES
from freezecheck.builtin.settings import full_curve
from freezecheck.builtin.tabulate import FINDING_SEEDS, page_gates, render_page as render_tables
from freezecheck.errors import ConfigError
from freezecheck.judge.claims import Effect
from freezecheck.judge.curves import epochs_to_reach
from freezecheck.judge.rates import measure_rate
from freezecheck.reporting.measurements import group

SEEDS_BLOCK = re.compile(
    r"(<!-- seeds (?P<environment>\S+) (?P<dataset>\S+) (?P<family>\S+) -->\n)(?P<body>.*?)"
    r"(?P<end><!-- /seeds -->)", re.S)
SEED_ZERO_BLOCK = re.compile(
    r"(<!-- seed-zero (?P<dataset>\S+) -->\n)(?P<body>.*?)(?P<end><!-- /seed-zero -->)", re.S)


def points(fraction: float) -> str:
    """A gap in points, signed, with the minus sign typography uses."""
    return f"{fraction * 100:+.2f}".replace("-", "\u2212")


def epochs(value: float) -> str:
    return f"{value:+.1f}".replace("-", "\u2212")


def interval(low: float, high: float, show) -> str:
    return f"{show(low)} to {show(high)}"


def count(n: int, of: int, *, never: bool = False) -> str:
    """``n`` of ``of`` seeds in words; ``never``: after "never", where "every" would read
    as "not every"."""
    if n == of:
        return f"any of the {of} seeds" if never else "every seed"
    return "no seed" if n == 0 else f"{n} of {of} seeds"


def rate_phrase(runs: dict, baseline: dict, seeds: list[int], level: float,
                alpha: float) -> str:
    """What the paired seeds say about reaching ``level``: medians, and the paired
    difference with its interval where every seed of both reached it."""
    rate = measure_rate([runs[s]["val_accuracy"] for s in seeds],
                        [baseline[s]["val_accuracy"] for s in seeds], level=level, seeds=seeds)
    head = f"to {level:.1%}"
    if rate.censored:
        nevers = [f"the variant never reaches it at "
                  f"{count(rate.variant_never, rate.n, never=True)}"]
        if rate.baseline_never:
            nevers.append(f"the baseline at {count(rate.baseline_never, rate.n, never=True)}")
        return f"{head}: {' and '.join(nevers)}, so no interval"
    low, high = rate.interval(alpha)
    return (f"{head}: median epoch {rate.median('variant'):g} against the baseline's "
            f"{rate.median('baseline'):g}, paired difference {epochs(rate.mean_difference)} "
            f"epochs ({1 - alpha:.0%} CI {interval(low, high, epochs)}): "
            f"{rate.finding(alpha)}")


def variant_sentence(variant_id: str, entry: dict, runs: dict, baseline: dict | None,
                     gate: float, curve_level: float) -> str:
    """The sentence of one variant (module docstring)."""
    finals = entry["finals"]
    n = len(finals)
    below = sum(f < gate for f in finals)
    measured = (f"final validation accuracy {min(finals):.2%} to {max(finals):.2%}"
                if n > 1 else f"final validation accuracy {finals[0]:.2%}")
    below_text = f"below {gate:.1%} at {count(below, n)}"
    if baseline is None:
        reached = [epochs_to_reach(runs[s]["val_accuracy"], gate) for s in sorted(runs)]
        met = sorted(r for r in reached if r is not None)
        when = (f"; first reaches {gate:.1%} at epoch {met[0]} to {met[-1]}"
                f"{'' if len(met) == n else f' (never at {n - len(met)} of {n} seeds)'}"
                if met else f"; never reaches {gate:.1%}")
        return f"`{variant_id}` (baseline, {n} seeds): {measured}, {below_text}{when}."
    effect = Effect.from_dict(entry["effect"]) if "effect" in entry else None
    if effect is None or effect.n < FINDING_SEEDS:
        paired = sorted(s for s in runs if s in baseline)
        base = [baseline[s]["final_val_accuracy"] for s in paired]
        against = (f"; its baseline at the same seed{'s' if len(paired) > 1 else ''} "
                   f"{min(base):.2%}" + (f" to {max(base):.2%}" if len(base) > 1 else "")
                   if base else "")
        return (f"`{variant_id}` ({n} seed{'s' if n > 1 else ''}, exploratory): "
                f"{measured}, {below_text}{against}.")
    alpha, margin = entry["alpha"], entry["margin"]
    low, high = effect.interval(alpha)
    final_low, final_high = effect.interval(alpha, final=True)
    seeds = list(effect.seeds)
    below_zero = sum(g < 0 for g in effect.mean_gaps)
    rates = "; ".join(rate_phrase(runs, baseline, seeds, level, alpha)
                      for level in (gate, curve_level))
    return (f"`{variant_id}` ({effect.n} seeds): mean-over-epochs gap "
            f"{points(effect.mean_gap)} points ({1 - alpha:.0%} CI "
            f"{interval(low, high, points)}), final-epoch gap {points(effect.final_gap)} "
            f"points ({interval(final_low, final_high, points)}), the mean gap below zero "
            f"at {count(below_zero, effect.n)}: "
            f"**{entry['curve_claim']}** against the margin of "
            f"\u00b1{margin * 100:.2f} points (final epoch: {entry['final_claim']}); "
            f"{measured}, {below_text}. Epochs {rates}.")


def seeds_block(measured: dict, rows_by: dict, environment: str, dataset: str,
                family_name: str) -> list[str]:
    """The bullets of a ``seeds`` block."""
    try:
        table = measured[environment][dataset]["variants"]
        runs_of = rows_by[(environment, dataset)]
    except KeyError:
        raise ConfigError(f"the page asks for the seeds of {environment}, {dataset}, which "
                          f"no measurement file given holds") from None
    gates = page_gates(environment, dataset)
    level = full_curve(dataset).level
    lines = []
    for model in MODEL_NAMES:
        if model not in gates:
            continue
        for variant in family(family_name, model):
            entry = table.get(variant.id)
            if entry is None:
                continue
            # Nothing frozen: the baseline speaks for itself (in its own family only).
            if variant.is_baseline and family_name != "single":
                continue
            baseline = None if variant.is_baseline else runs_of.get(variant.baseline.id, {})
            lines.append("- " + variant_sentence(variant.id, entry, runs_of[variant.id],
                                                 baseline, gates[model], level))
    if not lines:
        raise ConfigError(f"the page asks for the {family_name} family of {environment}, "
                          f"{dataset}, of which nothing was measured")
    return lines


def seed_zero_table(rows_by: dict, dataset: str) -> list[str]:
    """The ``seed-zero`` table: per single-layer variant, each environment's run at
    seed 0."""
    environments = sorted(env for env, ds in rows_by if ds == dataset)
    gates = {env: page_gates(env, dataset) for env in environments}
    head = "| variant | " + " | ".join(
        f"val accuracy {env} | test accuracy {env} | epochs to gate {env}"
        for env in environments) + " |"
    lines = [head, "| --- |" + " ---: | ---: | ---: |" * len(environments)]
    for model in MODEL_NAMES:
        for variant in family("single", model):
            cells = []
            for env in environments:
                run = rows_by[(env, dataset)].get(variant.id, {}).get(0)
                if run is None:
                    cells += ["", "", ""]
                    continue
                reached = epochs_to_reach(run["val_accuracy"], gates[env][model])
                test = run.get("test_accuracy")
                cells += [f"{run['final_val_accuracy']:.2%}",
                          f"{test:.2%}" if test is not None else "",
                          str(reached) if reached is not None else "never"]
            if any(cells):
                lines.append(f"| `{variant.id}` | " + " | ".join(cells) + " |")
    return lines


def render_page(text: str, measured: dict, rows) -> str:
    """``text`` with its expectations tables, ``seeds`` and ``seed-zero`` blocks
    re-rendered from the declarations ``measured`` and the measurement ``rows`` they
    were made from."""
    rows_by = group(rows)
    text = render_tables(text, measured)

    def seeds(match):
        body = seeds_block(measured, rows_by, match["environment"], match["dataset"],
                           match["family"])
        return match.group(1) + "\n".join(body) + "\n" + match["end"]

    def seed_zero(match):
        return (match.group(1) + "\n".join(seed_zero_table(rows_by, match["dataset"]))
                + "\n" + match["end"])

    return SEED_ZERO_BLOCK.sub(seed_zero, SEEDS_BLOCK.sub(seeds, text))
