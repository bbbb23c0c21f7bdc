"""The session's report: per-run figures, written once by the controller.

Workers compute each run's small figures and attach them to the test report; the
controller, which sees every test report, merges them and writes ``results.json``,
``curves.csv``, ``curves.png``, ``summary.md`` and ``index.html`` (and ``families.png``
when the session ran variant families), so the output is the same with or without
xdist. matplotlib is imported only to draw the plots.

A session is described by its :class:`Context` (environment, data set, tier, seeds and
gates); every run gets a verdict from its tests' outcomes (:func:`verdicts`).
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import html
import io
import json
from pathlib import Path

from freezecheck.builtin.datasets import TITLES
from freezecheck.builtin.settings import DEFAULT_DATASET
from freezecheck.files import write_atomic
from freezecheck.judge.curves import epochs_to_reach
from freezecheck.judge.fingerprints import fingerprints
from freezecheck.train.records import RunRecord

# 2 added each run's seed and the session's data set (results.json), and a seed column
# (curves.csv); version 1 reports are still read by `compare` (they hold one seed).
# results.json may also hold "tier", "seeds" and "model_gates" (added without a new
# version: readers of version 2 ignore them).
SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)


# What a failing test says about its variant, in the verdict column.
TEST_MEANINGS = {
    "test_frozen_weights_bitwise_unchanged": "frozen weights changed",
    "test_frozen_weights_bitwise_unchanged_at_every_seed": "frozen weights changed",
    "test_trainable_weights_changed": "trainable weights did not change",
    "test_trainable_weights_changed_at_every_seed": "trainable weights did not change",
    "test_reaches_accuracy_gate": "accuracy",
    "test_accuracy_as_declared": "accuracy",
    "test_curve_follows_baseline": "curve vs baseline",
    "test_curve_as_declared": "curve vs baseline",
    "test_curve_matches_stored_reference": "curve vs reference",
}

MEETS = "meets the gate"
SHORT = "declared short, within its measured range"
NOT_JUDGED = "not judged here (trained for comparison)"


@dataclasses.dataclass(frozen=True)
class Context:
    """What a session's report describes: where, on what, and against which gates."""

    environment: str
    dataset: str = DEFAULT_DATASET
    tier: str = "full"
    seeds: tuple[int, ...] = (0,)
    gates: dict = dataclasses.field(default_factory=dict)  # the session's Gates, as a dict
    model_gates: dict = dataclasses.field(default_factory=dict)  # model -> measured gate
    # experiment -> its Gates as a dict, when the session's experiments have their own
    experiment_gates: dict = dataclasses.field(default_factory=dict)

    def gate(self, model: str) -> float:
        return self.model_gates.get(model, self.gates["min_accuracy"])

    @property
    def title(self) -> str:
        tier = f"{self.tier} tier" if self.tier in ("full", "smoke") else self.tier
        return (f"freezecheck: {self.environment}, "
                f"{TITLES.get(self.dataset, self.dataset)}, {tier}")

    def seeds_text(self) -> str:
        seeds = self.seeds
        if len(seeds) == 1:
            return f"seed {seeds[0]}"
        return f"seeds {seeds[0]} to {seeds[-1]}"

    def gates_text(self) -> str:
        curves = {name: {k: v for k, v in g.items() if k != "min_accuracy"}
                  for name, g in self.experiment_gates.items()}
        if len({tuple(sorted(c.items())) for c in curves.values()}) > 1:
            return "; ".join(f"{name}: " + _gates_text(g, format(g["min_accuracy"], ".1%"))
                             for name, g in sorted(self.experiment_gates.items()))
        g = self.gates
        models = sorted(self.model_gates)
        if models:
            accuracy = ", ".join(f"{m} {self.model_gates[m]:.1%}" for m in models)
        else:
            accuracy = f"{g['min_accuracy']:.1%}"
        return _gates_text(g, accuracy)


def _gates_text(g: dict, accuracy: str) -> str:
    return (f"final validation accuracy >= {accuracy}; curve within "
            f"+-{g['curve_band'] * 100:.1f} points of the baseline's, "
            f"{g['curve_level']:.1%} reached at most {g['curve_max_lag']} epoch(s) after it")


def run_figures(record: RunRecord, level: float) -> dict:
    """The small, JSON-ready figures of one run that the report shows.

    ``level`` is the accuracy gate: ``epochs_to_level`` is the first epoch (1-based)
    at which validation accuracy reached it, or None.
    """
    return {
        "variant": record.variant_id,
        "seed": record.recipe["seed"],
        "model": record.model,
        "frozen": record.frozen,
        "recipe": record.recipe,
        "val_accuracy": record.history["val_accuracy"],
        "train_accuracy": record.history["accuracy"],
        "final_val_accuracy": record.final_val_accuracy,
        "test_accuracy": record.test_accuracy,
        "level": level,
        "epochs_to_level": epochs_to_reach(record.history["val_accuracy"], level),
        "train_seconds": record.train_seconds,
        "epoch_seconds": record.epoch_seconds,
        "peak_rss_mb": record.peak_rss_mb,
        "versions": record.versions,
        "weights_after_sha256": fingerprints(record.weights_after),
    }


def write_results(directory: Path, runs: dict[str, dict], outcomes: dict[str, str],
                  context: Context) -> Path:
    """Write the report files into ``directory``, each atomically and readable like
    any other file the user creates (the umask decides, not the staging file's 0600)."""
    directory.mkdir(parents=True, exist_ok=True)
    results = {
        "schema_version": SCHEMA_VERSION,
        "environment": context.environment,
        "dataset": context.dataset,
        "tier": context.tier,
        "seeds": list(context.seeds),
        "gates": context.gates,
        "model_gates": context.model_gates,
        "runs": [runs[k] for k in sorted(runs)],
        "tests": dict(sorted(outcomes.items())),
    }
    judged = verdicts(runs, outcomes, context)
    write_atomic(directory / "results.json", json.dumps(results, indent=1, sort_keys=True))
    write_atomic(directory / "curves.csv", curves_csv(runs))
    write_atomic(directory / "summary.md", summary_markdown(runs, outcomes, context, judged))
    curves = plot_png(runs, context)
    write_atomic(directory / "curves.png", curves)
    families = None
    # The families' plot is the built-in experiment's (freezecheck/reporting/findings.py).
    from freezecheck.builtin.models import MODEL_NAMES

    builtin = [r for r in runs.values() if r["model"] in MODEL_NAMES]
    if any(not _in_experiment(r) for r in builtin):
        from freezecheck.reporting.findings import plot

        by_variant: dict[str, dict] = {}
        for r in builtin:
            by_variant.setdefault(r["variant"], {})[r["seed"]] = r
        gates = {m: context.gate(m) for m in {r["model"] for r in builtin}}
        families = plot(by_variant, context.dataset, gates)
        write_atomic(directory / "families.png", families)
    write_atomic(directory / "index.html",
                  index_html(runs, outcomes, context, judged, curves, families))
    return directory


def curves_csv(runs: dict[str, dict]) -> str:
    """One row per variant and epoch (1-based): validation and training accuracy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variant", "seed", "epoch", "val_accuracy", "train_accuracy"])
    for key in sorted(runs):
        r = runs[key]
        for epoch, (val, train) in enumerate(zip(r["val_accuracy"], r["train_accuracy"]), 1):
            writer.writerow([r["variant"], r["seed"], epoch, repr(val), repr(train)])
    return out.getvalue()


# --- verdicts and ordering ------------------------------------------------------------

def variant_of_test(nodeid: str) -> str | None:
    """The parameter id of a test (``...::test_x[digits[hidden1]]`` -> the variant)."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return None
    return nodeid[nodeid.index("[") + 1:-1]


def verdicts(runs: dict[str, dict], outcomes: dict[str, str], context: Context) -> dict:
    """variant -> (kind, text): kind is "meets", "short", "failed", "skipped" or
    "not judged"; text is what the verdict column says.

    A variant whose tests all passed either reaches its gate or was declared (from
    measurements) to fall short and stayed within its measured range; one with a failed
    test names what failed.
    """
    tests: dict[str, list[tuple[str, str]]] = {}
    for nodeid, outcome in outcomes.items():
        variant = variant_of_test(nodeid)
        if variant is not None:
            name = nodeid.split("::")[-1].split("[")[0]
            tests.setdefault(variant, []).append((name, outcome))
    finals: dict[str, list[float]] = {}
    models: dict[str, str] = {}
    for r in runs.values():
        finals.setdefault(r["variant"], []).append(r["final_val_accuracy"])
        models[r["variant"]] = r["model"]
    judged = {}
    for variant, values in finals.items():
        mine = tests.get(variant, [])
        failed = [n for n, o in mine if o.startswith("failed") or o.startswith("error")
                  or o == "xpassed"]
        if failed:
            what = sorted({TEST_MEANINGS.get(n, n) for n in failed})
            judged[variant] = ("failed", "FAILED: " + ", ".join(what))
        elif not mine:
            judged[variant] = ("not judged", NOT_JUDGED)
        elif all(o.startswith("skipped") for _, o in mine):
            judged[variant] = ("skipped", "skipped")
        else:
            from freezecheck.judge.statistics import centre

            reached = centre(values) >= context.gate(models[variant])
            judged[variant] = ("meets", MEETS) if reached else ("short", SHORT)
    return judged


def ordered(runs: dict[str, dict]) -> list[tuple[str, list[dict]]]:
    """Per model, in the models' order: the runs, the baseline first, then the variants
    in layer order (single layers, then blocks, then other distributions), each
    variant's seeds in order."""
    from freezecheck.builtin.models import MODEL_NAMES
    from freezecheck.reporting.tabulate import family_order

    by_model: dict[str, list[dict]] = {}
    for r in runs.values():
        by_model.setdefault(r["model"], []).append(r)
    result = []
    for model in [*MODEL_NAMES, *sorted(set(by_model) - set(MODEL_NAMES))]:
        mine = by_model.get(model)
        if not mine:
            continue
        rank = {v.id: i for i, v in enumerate(family_order(model))} if model in MODEL_NAMES else {}
        mine.sort(key=lambda r: (rank.get(r["variant"], len(rank)), r["variant"], r["seed"]))
        result.append((model, mine))
    return result


def _counts_text(outcomes: dict[str, str], judged: dict) -> tuple[str, str]:
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    tests = ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) or "none"
    kinds = [k for k, _ in judged.values()]
    variants = ", ".join(f"{kinds.count(k)} {label}" for k, label in (
        ("meets", "meet the gate"), ("short", "declared short and within range"),
        ("failed", "failed"), ("skipped", "skipped"), ("not judged", "not judged here"))
        if kinds.count(k))
    return tests, variants


def _rows(runs: dict[str, dict], judged: dict) -> list[tuple[str, list[list[str]]]]:
    """Per model, the table's cells (strings), one row a run."""
    tables = []
    for model, mine in ordered(runs):
        rows, seen = [], set()
        for r in mine:
            reached = r["epochs_to_level"] if r["epochs_to_level"] is not None else "never"
            first = r["variant"] not in seen
            seen.add(r["variant"])
            rows.append([r["variant"] + (" (baseline)" if _is_baseline(r) and first else ""),
                         str(r["seed"]), f"{r['final_val_accuracy']:.2%}",
                         f"{r['test_accuracy']:.2%}", str(reached),
                         f"{r['train_seconds']:.0f}",
                         judged.get(r["variant"], ("", ""))[1] if first else ""])
        tables.append((model, rows))
    return tables


def _headers(runs: dict[str, dict]) -> list[str]:
    levels = sorted({r["level"] for r in runs.values()})
    level = f"{levels[0]:.1%}" if len(levels) == 1 else "gate"
    return ["variant", "seed", "val acc", "test acc", f"epochs to {level}", "train s", "verdict"]


def table(runs: dict[str, dict], outcomes: dict[str, str], context: Context,
          judged: dict | None = None) -> list[str]:
    """The terminal summary: a header naming the session, then per model an aligned
    table (baseline first), then the counts."""
    judged = verdicts(runs, outcomes, context) if judged is None else judged
    versions = next(iter(runs.values()))["versions"] if runs else {}
    lines = [context.title,
             f"  TensorFlow {versions.get('tensorflow', '?')}, Keras {versions.get('keras', '?')}, "
             f"Python {versions.get('python', '?')}; {context.seeds_text()}",
             f"  gates: {context.gates_text()}", ""]
    headers = _headers(runs)
    right = {1, 2, 3, 4, 5}
    for model, rows in _rows(runs, judged):
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

        def line(cells):
            return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        lines += [f"{model}  (gate {context.gate(model):.1%})", line(headers),
                  line(["-" * w for w in widths]), *map(line, rows), ""]
    tests, variants = _counts_text(outcomes, judged)
    lines += [f"variants: {variants}", f"tests: {tests}"]
    return lines


def summary_markdown(runs: dict[str, dict], outcomes: dict[str, str], context: Context,
                     judged: dict | None = None) -> str:
    """GitHub Markdown: the title names the environment, data set and tier."""
    judged = verdicts(runs, outcomes, context) if judged is None else judged
    versions = next(iter(runs.values()))["versions"] if runs else {}
    lines = [f"# {context.title}", "",
             f"TensorFlow {versions.get('tensorflow', '?')}, Keras {versions.get('keras', '?')}, "
             f"Python {versions.get('python', '?')}; {context.seeds_text()}.",
             "", f"Gates: {context.gates_text()}.", ""]
    headers = _headers(runs)
    for model, rows in _rows(runs, judged):
        lines += [f"## {model} (gate {context.gate(model):.1%})", "",
                  "| " + " | ".join(headers) + " |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
        for row in rows:
            name, marked, _ = row[0].partition(" (baseline)")
            cells = [f"`{name}`" + (" (baseline)" if marked else ""), *row[1:]]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    tests, variants = _counts_text(outcomes, judged)
    lines += [f"**Variants:** {variants}.", "", f"**Tests:** {tests}."]
    bad = [(nodeid, o) for nodeid, o in sorted(outcomes.items()) if o not in ("passed", "xfailed")
           and not o.startswith("skipped")]
    if bad:
        lines += ["", *(f"- {o}: `{nodeid}`" for nodeid, o in bad)]
    return "\n".join(lines) + "\n"


# --- plots ----------------------------------------------------------------------------

# One colour per frozen layer, the same in every panel and plot of the session report.
LAYER_COLOURS = {"conv1": "C0", "conv2": "C1", "fc1": "C2", "fc2": "C4", "out": "C5"}


def plot_png(runs: dict[str, dict], context: Context) -> bytes:
    """Validation accuracy (%) against epoch, a panel per model, each baseline drawn
    with its tolerance band (clipped at 100%): the plot the finding was first told
    through. The axis is zoomed to the range the curves use."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    band = context.gates["curve_band"]
    first_seed = min(r["seed"] for r in runs.values())
    # One curve a variant, and only the experiment's own (nothing or one layer frozen):
    # the families, a hundred and more, are drawn in families.png instead.
    runs = {k: r for k, r in runs.items() if r["seed"] == first_seed and _in_experiment(r)}
    panels = ordered(runs)
    figure = Figure(figsize=(5.2 * max(1, len(panels)), 5.0), layout="constrained")
    axes_row = figure.subplots(1, max(1, len(panels)), squeeze=False)[0]
    for axes, (model, mine) in zip(axes_row, panels):
        gate = context.gate(model) * 100
        lows = [gate]
        for r in mine:  # the baseline first, so that its band lies under the other curves
            curve = [a * 100 for a in r["val_accuracy"]]
            epochs = range(1, len(curve) + 1)
            lows.append(min(curve))
            if _is_baseline(r):
                axes.fill_between(epochs, [a - band * 100 for a in curve],
                                  [min(a + band * 100, 100.0) for a in curve],
                                  color="0.85", label=f"baseline +-{band * 100:.1f} points")
                axes.plot(epochs, curve, color="black", linewidth=2, label="nothing frozen (baseline)")
            else:
                layer = "+".join(r["frozen"])
                axes.plot(epochs, curve, marker="o", markersize=4,
                          color=LAYER_COLOURS.get(layer), label=f"{layer} frozen")
        axes.axhline(gate, color="0.3", linestyle="--", linewidth=1, label="gate (final accuracy)")
        low = max(0.0, min(lows) - 0.3)
        axes.set_ylim(low, 100.0 + (100.0 - low) * 0.02)
        axes.set(title=f"{model}: validation accuracy per epoch (gate {gate:.1f}%)", xlabel="epoch",
                 ylabel="validation accuracy (%)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
    # One legend for every panel: a colour is one frozen layer in each of them.
    labels: dict = {}
    for axes in axes_row:
        for handle, label in zip(*axes.get_legend_handles_labels()):
            labels.setdefault(label, handle)
    if labels:
        figure.legend(labels.values(), labels.keys(), loc="outside lower center",
                      ncol=min(4, len(labels)), fontsize="small")
    figure.suptitle(f"{context.title} ({context.seeds_text()})", fontsize="medium")
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()


def _in_experiment(run: dict) -> bool:
    """Nothing or one layer frozen, default distribution: the experiment's own variants."""
    from freezecheck.describe.variants import DEFAULT_INIT, parse_id

    _, frozen, init = parse_id(run["variant"])
    return len(frozen) <= 1 and init == DEFAULT_INIT


def _is_baseline(run: dict) -> bool:
    from freezecheck.describe.variants import DEFAULT_INIT, parse_id

    _, frozen, init = parse_id(run["variant"])
    return not frozen and init == DEFAULT_INIT


# --- the HTML page --------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.meets td.verdict { color: #1a7f37; } tr.short td.verdict { color: #9a6700; }
tr.failed td.verdict { color: #cf222e; font-weight: bold; }
img.plot { max-width: 100%; border: 1px solid #eee; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; }
"""

# Run by the browser once everything has loaded: records how many plots decoded, and
# shows an error in the page if one did not (the browser check reads both).
_SCRIPT = """
window.addEventListener("load", function () {
  var plots = document.querySelectorAll("img.plot"), ok = 0;
  plots.forEach(function (img) { if (img.complete && img.naturalWidth > 0) ok += 1; });
  document.body.setAttribute("data-plots-ok", String(ok));
  if (ok < plots.length) {
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = "Error: " + (plots.length - ok) + " plot(s) could not be shown.";
    document.body.insertBefore(p, document.body.firstChild);
  }
});
"""


def index_html(runs: dict[str, dict], outcomes: dict[str, str], context: Context,
               judged: dict, curves_png: bytes, families_png: bytes | None) -> str:
    """One self-contained page: plots embedded, no script or style from elsewhere, so
    it reads offline from the file system."""
    e = html.escape
    versions = next(iter(runs.values()))["versions"] if runs else {}
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(context.title)}</title><style>{_STYLE}</style>",
        f"<script>{_SCRIPT}</script></head><body>",
        f"<h1>{e(context.title)}</h1>", "<dl>",
        f"<dt>environment</dt><dd>{e(context.environment)}: TensorFlow "
        f"{e(str(versions.get('tensorflow', '?')))}, Keras {e(str(versions.get('keras', '?')))}, "
        f"Python {e(str(versions.get('python', '?')))}</dd>",
        f"<dt>data set</dt><dd>{e(TITLES.get(context.dataset, context.dataset))}</dd>",
        f"<dt>tier</dt><dd>{e(context.tier)}</dd>",
        f"<dt>seeds</dt><dd>{e(context.seeds_text())}</dd>",
        f"<dt>gates</dt><dd>{e(context.gates_text())}</dd>", "</dl>",
    ]
    tests, variants = _counts_text(outcomes, judged)
    parts += [f"<p><strong>Variants:</strong> {e(variants)}. <strong>Tests:</strong> {e(tests)}.</p>",
              "<h2>Validation accuracy per epoch</h2>",
              '<img class="plot" alt="validation accuracy per epoch, each baseline with its '
              'tolerance band" src="data:image/png;base64,'
              + base64.b64encode(curves_png).decode() + '">']
    if families_png is not None:
        parts += ["<h2>Families</h2>",
                  '<img class="plot" alt="final accuracy of the families of variants" '
                  'src="data:image/png;base64,' + base64.b64encode(families_png).decode() + '">']
    headers = _headers(runs)
    numeric = {1, 2, 3, 4, 5}
    for model, rows in _rows(runs, judged):
        parts += [f"<h2>{e(model)} (gate {context.gate(model):.1%})</h2>", "<table><thead><tr>",
                  *(f'<th class="{"num" if i in numeric else ""}">{e(h)}</th>'
                    for i, h in enumerate(headers)), "</tr></thead><tbody>"]
        current = ""
        for row in rows:
            if row[6]:
                current = next((k for k, text in judged.values() if text == row[6]), "")
            parts.append(f'<tr class="{e(current)}">' + "".join(
                f'<td class="{"num" if i in numeric else ("verdict" if i == 6 else "")}">'
                f"{e(c)}</td>" for i, c in enumerate(row)) + "</tr>")
        parts.append("</tbody></table>")
    parts += ["<h2>Files</h2><ul>",
              '<li><a href="results.json">results.json</a>: every curve, figure, version, '
              "weight fingerprint and test outcome</li>",
              '<li><a href="curves.csv">curves.csv</a>: accuracy per variant, seed and epoch</li>',
              '<li><a href="summary.md">summary.md</a>: this summary as Markdown</li>',
              '<li><a href="curves.png">curves.png</a></li>']
    if families_png is not None:
        parts.append('<li><a href="families.png">families.png</a></li>')
    parts += ["</ul></body></html>"]
    return "\n".join(parts) + "\n"
