"""The session's report: per-run figures, written once by the controller.

Workers compute each run's small figures and attach them to the test report; the
controller, which sees every test report, merges them and writes ``results.json``,
``curves.csv``, ``curves.png``, ``summary.md`` and ``index.html`` (and ``families.png``
when the session ran variant families), so the output is the same with or without
xdist. matplotlib is imported only to draw the plots.

A session is described by its :class:`Context` (environment, data set, tier, seeds and
gates) and its :func:`session_metadata` (machine, time, versions, command); every run gets
a verdict from its tests' outcomes (:func:`verdicts`), and every test that did not pass
is shown with what it said (its message, or its reason to skip).
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import html
import io
import json
import math
from pathlib import Path

from freezecheck.files import write_atomic
from freezecheck.judge.curves import epochs_to_reach
from freezecheck.judge.fingerprints import fingerprints
from freezecheck.train.records import RunRecord

# 2 added each run's seed and the session's data set (results.json), and a seed column
# (curves.csv); version 1 reports are still read by `compare` (they hold one seed).
# results.json may also hold "tier", "seeds" and "model_gates" (added without a new
# version: readers of version 2 ignore them).
# 3: each test an object (outcome, message, duration, worker) instead of its outcome
# alone, and the session's "metadata" (CPU type, host, start time, versions, command);
# described by results.schema.json beside this module. What `compare` reads (the
# environment, gates and runs) is unchanged, so it reads all three.
# 4: "stale_declarations", always present (empty: none was stale), so that a reader can
# tell "no declaration was stale" from a version 3 file that could not say.
SCHEMA_VERSION = 4
READABLE_SCHEMA_VERSIONS = (1, 2, 3, 4)
SCHEMA_FILE = "results.schema.json"  # in this package: freezecheck.reporting


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

# The tests that judge a variant's curve against its baseline's.
CURVE_TESTS = ("test_curve_follows_baseline", "test_curve_as_declared")

MEETS = "meets the gate"
SHORT = "declared short, within its measured range"
LEAVES = "declared to leave the baseline, as measured"
LEAVES_SHORT = "declared short and to leave the baseline, as measured"
NOT_JUDGED = "not judged here (trained for comparison)"
# Added to the verdict of a variant that passed better than declared (never a failure).
STALE = "stale declaration"

# What the report files keep of one test's message (the whole of it is in the terminal).
MESSAGE_LIMIT = 20_000


@dataclasses.dataclass(frozen=True)
class Context:
    """What a session's report describes: where, on what, and against which gates."""

    environment: str
    dataset: str = ""  # the data set as a session selects it (its key); "" if unnamed
    tier: str = "full"
    seeds: tuple[int, ...] = (0,)
    gates: dict = dataclasses.field(default_factory=dict)  # the session's Gates, as a dict
    model_gates: dict = dataclasses.field(default_factory=dict)  # model -> measured gate
    # experiment -> its Gates as a dict, when the session's experiments have their own
    experiment_gates: dict = dataclasses.field(default_factory=dict)
    # how the data set is named to a reader, as its experiment says (a Dataset's name,
    # say); None: ``dataset``, the name a session selects it by
    dataset_title: str | None = None

    @property
    def dataset_text(self) -> str:
        return self.dataset_title or self.dataset

    def gate(self, model: str) -> float:
        return self.model_gates.get(model, final_gate(self.gates))

    @property
    def title(self) -> str:
        tier = f"{self.tier} tier" if self.tier in ("full", "smoke") else self.tier
        return "freezecheck: " + ", ".join(part for part in (self.environment,
                                                             self.dataset_text, tier) if part)

    def seeds_text(self) -> str:
        seeds = self.seeds
        if len(seeds) == 1:
            return f"seed {seeds[0]}"
        return f"seeds {seeds[0]} to {seeds[-1]}"

    def gates_text(self) -> str:
        curves = {name: {k: str(v) for k, v in g.items() if k not in ("min_accuracy", "final")}
                  for name, g in self.experiment_gates.items()}
        if len({tuple(sorted(c.items())) for c in curves.values()}) > 1:
            return "; ".join(f"{name}: " + _gates_text(g, _show(g, final_gate(g)))
                             for name, g in sorted(self.experiment_gates.items()))
        g = self.gates
        if "metric" in g:  # gated on another metric than accuracy: its own units
            return _gates_text(g, _show(g, self.gate(sorted(self.model_gates)[0])
                                        if self.model_gates else final_gate(g)))
        models = sorted(self.model_gates)
        if len({self.model_gates[m] for m in models}) > 1:  # each model its own gate
            accuracy = ", ".join(f"{m} {self.model_gates[m]:.1%}" for m in models)
        else:
            accuracy = f"{(self.model_gates[models[0]] if models else g['min_accuracy']):.1%}"
        return _gates_text(g, accuracy)


def _gates_text(g: dict, accuracy: str) -> str:
    metric = g.get("metric")
    if metric is not None:  # gated on another metric than accuracy (Gates.as_dict)
        label = "validation " + metric["name"].removeprefix("val_")
        side = ">=" if metric["higher_is_better"] else "<="
        return (f"final {label} {side} {accuracy}; curve within "
                f"+-{_show(g, g['curve_band']).lstrip('+')} of the baseline's, "
                f"{label} {side} {_show(g, g['curve_level'])} reached at most "
                f"{g['curve_max_lag']} epoch(s) after it")
    return (f"final validation accuracy >= {accuracy}; curve within "
            f"+-{g['curve_band'] * 100:.1f} points of the baseline's, "
            f"{g['curve_level']:.1%} reached at most {g['curve_max_lag']} epoch(s) after it")


def context_of(runs: dict[str, dict], environment: str) -> Context:
    """What a session ran, from its runs (a session's, or a results.json's): per
    experiment, its data set, tier and gates."""
    experiments: dict[str, dict] = {}
    for r in runs.values():
        experiments.setdefault(r["experiment"], r)
    first = next(iter(experiments.values()))
    return Context(
        environment=environment,
        # results.json names the data set as a session selects it (its key), the
        # report's title as its reader knows it (its title, or a Dataset's name)
        dataset=", ".join(dict.fromkeys(r.get("dataset", r["dataset_title"])
                                        for r in experiments.values())),
        dataset_title=", ".join(dict.fromkeys(r["dataset_title"]
                                              for r in experiments.values())),
        tier=", ".join(dict.fromkeys(r["tier"] for r in experiments.values())),
        seeds=tuple(sorted({r["seed"] for r in runs.values()})),
        gates=first["curve_gates"],
        model_gates={name: final_gate(r["curve_gates"]) for name, r in experiments.items()},
        experiment_gates={name: r["curve_gates"] for name, r in experiments.items()})


def run_line(run: dict) -> str:
    """The line the terminal says a run with as its figures arrive (with the gated
    metric's final value where the gates read another metric than accuracy)."""
    how = (f"trained in {run['train_seconds']:.0f} s" if run["trained"]
           else "loaded from the store")
    metric = run.get("metric")
    gated = ("" if run.get("final_metric") is None
             else f", {metric['name']} {run['final_metric']:.4f}")
    return (f"freezecheck: {run['variant']} seed {run['seed']}: val accuracy "
            f"{run['final_val_accuracy']:.2%}{gated} after {len(run['val_accuracy'])} "
            f"epochs, {how}")


def _gate_text(context: Context, model: str) -> str:
    """A model's final gate as a table's heading says it: ``99.0%``, or on another
    metric, ``val_loss <= 0.3500``."""
    gates = context.experiment_gates.get(model) or context.gates
    metric = gates.get("metric")
    if metric is None:
        return f"{context.gate(model):.1%}"
    side = ">=" if metric["higher_is_better"] else "<="
    return f"{metric['name']} {side} {_show(gates, context.gate(model))}"


def final_gate(g: dict) -> float:
    """The final gate of a session's gates (Gates.as_dict): in accuracy, or in the
    units of the metric they name."""
    return g["final"] if "metric" in g else g["min_accuracy"]


def _show(g: dict, value: float) -> str:
    """A value of the gates' metric: a percentage for a fraction, else as it is."""
    fraction = g.get("metric", {"unit": "fraction"})["unit"] == "fraction"
    return f"{value:.1%}" if fraction else f"{value:.4f}"


def run_figures(record: RunRecord, level: float, metric=None) -> dict:
    """The small, JSON-ready figures of one run that the report shows.

    ``level`` is the final gate: ``epochs_to_level`` is the first epoch (1-based) at
    which validation accuracy reached it, or None. Gated on another ``metric``
    (describe.recipe.Metric), ``level`` is in its units and reached in its direction,
    and the figures add the metric (name, direction, unit), its curve
    (``metric_values``) and its final value (``final_metric``).
    """
    if metric is not None and not metric.is_default:
        if metric.name not in record.history:  # its tests say so; nothing to show of it
            return {**run_figures(record, level), "metric": metric.as_dict(),
                    "epochs_to_level": None}
        values = metric.values(record.history)
        return {**run_figures(record, level), "metric": metric.as_dict(),
                "metric_values": values, "final_metric": values[-1],
                "epochs_to_level": epochs_to_reach(values, level, metric.higher_is_better)}
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


def results_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the results.json this version writes, as shipped
    in the package (``freezecheck/reporting/results.schema.json``)."""
    from importlib import resources

    return json.loads((resources.files(__package__) / SCHEMA_FILE).read_text(encoding="utf-8"))


# --- the session and its tests --------------------------------------------------------

def session_metadata(runs: dict[str, dict] | None = None, *, started=None,
                     directory: Path | None = None, command=()) -> dict:
    """What results.json says of the session itself: the CPU type (a bitwise claim holds
    on one CPU type: freezecheck.train.store.cpu_type), the host, the start time (ISO
    8601, UTC), freezecheck's version, the git commit of ``directory`` (where pytest
    ran) when it is in a git work tree, the Python, TensorFlow, Keras and numpy
    versions (the runs' recorded ones, else the installed packages'), and the command
    line: pytest's arguments, as given."""
    import datetime
    import platform
    import socket

    import freezecheck
    from freezecheck.train.store import cpu_type

    started = started or datetime.datetime.now(datetime.timezone.utc)
    metadata = {
        "cpu": cpu_type(),
        "host": socket.gethostname(),
        "started": started.astimezone(datetime.timezone.utc).isoformat(timespec="seconds"),
        "freezecheck": freezecheck.__version__,
        "versions": _versions(runs or {}, platform.python_version()),
        "command": [str(arg) for arg in command],
    }
    commit = git_commit(Path.cwd() if directory is None else directory)
    if commit is not None:
        metadata["git_commit"] = commit
    return metadata


def git_commit(directory: Path, timeout: float = 5.0) -> str | None:
    """``git rev-parse HEAD`` in ``directory``; None when it is not a git work tree, git
    is missing or slow, or anything else goes wrong: the report is never kept from
    being written by it."""
    import subprocess

    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    if done.returncode != 0 or len(commit) not in (40, 64) or \
            any(c not in "0123456789abcdef" for c in commit):
        return None
    return commit


def _versions(runs: dict[str, dict], python: str) -> dict:
    """Python, TensorFlow, Keras and numpy: as the runs recorded them (TensorFlow is not
    imported by the controller to ask), else the installed distributions'."""
    import importlib.metadata

    recorded: dict = {}
    for r in runs.values():
        for name, version in (r.get("versions") or {}).items():
            recorded.setdefault(name, version)
    versions = {"python": recorded.get("python", python)}
    for name, distributions in (("tensorflow", ("tensorflow", "tensorflow-cpu")),
                                ("keras", ("keras", "tf-keras")), ("numpy", ("numpy",))):
        version = recorded.get(name)
        for distribution in distributions:
            if version is not None:
                break
            try:
                version = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                continue
        versions[name] = version
    return versions


def entries(tests: dict) -> dict[str, dict]:
    """Each test id's entry: ``outcome``, ``message`` (what it said when it failed, or
    its reason to skip; None when it passed), ``duration`` (seconds, set-up to
    tear-down) and ``worker``. A bare outcome string (what a report held before schema
    3) is taken as an entry without the rest."""
    entries = {}
    for nodeid, entry in tests.items():
        if isinstance(entry, str):
            entry = {"outcome": entry}
        entries[nodeid] = {"outcome": entry["outcome"], "message": entry.get("message"),
                           "duration": entry.get("duration"), "worker": entry.get("worker")}
    return entries


def _outcomes(tests: dict) -> dict[str, str]:
    return {nodeid: e["outcome"] for nodeid, e in entries(tests).items()}


def _passed(outcome: str) -> bool:
    return outcome in ("passed", "xfailed")


def _bad(outcome: str) -> bool:
    return outcome.startswith(("failed", "error")) or outcome == "xpassed"


def _trimmed(message: str | None) -> str | None:
    if message is None or len(message) <= MESSAGE_LIMIT:
        return message
    return (message[:MESSAGE_LIMIT] + f"\n... ({len(message) - MESSAGE_LIMIT} more "
            f"characters: the terminal shows them all)")


def short_reason(message: str | None, limit: int = 400) -> str:
    """The first line of a message, at most ``limit`` characters: what one line says
    (the JUnit verdict property)."""
    line = next((line.strip() for line in (message or "").splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[:limit - 3] + "..."


def stale_declarations(stale: dict | None) -> list[dict]:
    """``stale`` (test id -> the figures of each stale declaration it reported:
    StaleDeclarationWarning.stale) as results.json lists them: one object each, its
    test id first, in test id order."""
    return [{"test": nodeid, **figures} for nodeid in sorted(stale or {})
            for figures in stale[nodeid]]


def write_results(directory: Path, runs: dict[str, dict], outcomes: dict, context: Context,
                  metadata: dict | None = None, stale: dict | None = None) -> Path:
    """Write the report files into ``directory``, each atomically and readable like
    any other file the user creates (the umask decides, not the staging file's 0600).

    ``outcomes``: test id -> its entry (:func:`entries`) or its bare outcome;
    ``metadata``: :func:`session_metadata` (made here, from this process, if None);
    ``stale``: test id -> its stale declarations' figures (:func:`stale_declarations`)."""
    directory.mkdir(parents=True, exist_ok=True)
    tests = {nodeid: {**e, "message": _trimmed(e["message"])}
             for nodeid, e in entries(outcomes).items()}
    metadata = session_metadata(runs) if metadata is None else metadata
    results = {
        "schema_version": SCHEMA_VERSION,
        "metadata": metadata,
        "environment": context.environment,
        "dataset": context.dataset,
        "tier": context.tier,
        "seeds": list(context.seeds),
        "gates": context.gates,
        "model_gates": context.model_gates,
        "runs": [runs[k] for k in sorted(runs)],
        "tests": dict(sorted(tests.items())),
        "stale_declarations": stale_declarations(stale),
    }
    judged = verdicts(runs, tests, context, stale)
    write_atomic(directory / "results.json", json.dumps(results, indent=1, sort_keys=True))
    write_atomic(directory / "curves.csv", curves_csv(runs))
    write_atomic(directory / "summary.md",
                  summary_markdown(runs, tests, context, judged, metadata, stale=stale))
    curves = plot_png(runs, context, judged)
    write_atomic(directory / "curves.png", curves)
    families = families_png(runs, context)
    if families is not None:
        write_atomic(directory / "families.png", families)
    write_atomic(directory / "index.html",
                  index_html(runs, tests, context, judged, curves, families, metadata,
                             stale=stale))
    return directory


def families_png(runs: dict[str, dict], context: Context) -> bytes | None:
    """The families plot (freezecheck/reporting/families_plot.py) of the models whose
    experiments ran variants they do not declare (a family's), with all their runs;
    None when none did."""
    models = {r["model"] for r in runs.values() if not _declared(r)}
    if not models:
        return None
    from freezecheck.reporting.families_plot import layout_of, plot

    by_variant: dict[str, dict] = {}
    for r in runs.values():
        if r["model"] in models:
            by_variant.setdefault(r["variant"], {})[r["seed"]] = r
    declared = _declared_order(runs)
    return plot(by_variant, context.dataset_text, {m: context.gate(m) for m in models},
                {m: layout_of(by_variant, m, declared) for m in models})


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


def function_name(nodeid: str) -> str:
    """The test function's name (``...::TestToy::test_x[toy[h1]]`` -> ``test_x``)."""
    return nodeid.split("::")[-1].split("[")[0]


def variant_tests(outcomes: dict) -> dict[str, list[tuple[str, str, dict]]]:
    """variant -> ``(test name, test id, entry)`` of each of its tests, in id order."""
    tests: dict[str, list] = {}
    for nodeid, entry in sorted(entries(outcomes).items()):
        variant = variant_of_test(nodeid)
        if variant is not None:
            tests.setdefault(variant, []).append((function_name(nodeid), nodeid, entry))
    return tests


def verdicts(runs: dict[str, dict], outcomes: dict, context: Context,
             stale: dict | None = None) -> dict:
    """variant -> (kind, text): kind is "meets", "short", "leaves", "failed", "skipped"
    or "not judged"; text is what the verdict column says.

    A variant whose tests all passed either reaches its gate or was declared (from
    measurements) to fall short and stayed within its measured range; one declared to
    leave its baseline's curve whose curve test passed did leave it, as measured; one
    with a failed test names what failed. A variant that did better than declared
    (``stale``: :func:`stale_declarations`) keeps its kind, its text saying so.
    """
    tests = variant_tests(outcomes)
    finals: dict[str, list[float]] = {}
    models: dict[str, str] = {}
    leaving: set[str] = set()
    lower_is_better: set[str] = set()  # variants gated on a metric where lower is better
    for r in runs.values():
        finals.setdefault(r["variant"], []).append(r.get("final_metric",
                                                         r["final_val_accuracy"]))
        models[r["variant"]] = r["model"]
        if not r.get("metric", {}).get("higher_is_better", True):
            lower_is_better.add(r["variant"])
        if r.get("declared_curve") == "leaves":
            leaving.add(r["variant"])
    judged = {}
    for variant, values in finals.items():
        mine = [(name, e["outcome"]) for name, _, e in tests.get(variant, [])]
        failed = [n for n, o in mine if _bad(o)]
        if failed:
            what = sorted({TEST_MEANINGS.get(n, n) for n in failed})
            judged[variant] = ("failed", "FAILED: " + ", ".join(what))
        elif not mine:
            judged[variant] = ("not judged", NOT_JUDGED)
        elif all(o.startswith("skipped") for _, o in mine):
            judged[variant] = ("skipped", "skipped")
        else:
            from freezecheck.judge.statistics import centre

            gate = context.gate(models[variant])
            reached = (centre(values) <= gate if variant in lower_is_better
                       else centre(values) >= gate)
            curve_held = any(n in CURVE_TESTS and o == "passed" for n, o in mine)
            if variant in leaving and curve_held:
                judged[variant] = ("leaves", LEAVES if reached else LEAVES_SHORT)
            else:
                judged[variant] = ("meets", MEETS) if reached else ("short", SHORT)
    for figures in stale_declarations(stale):
        kind, text = judged.get(figures["variant"], ("", ""))
        if kind in ("meets", "short", "leaves") and STALE not in text:
            judged[figures["variant"]] = (kind, f"{text}; {STALE}")
    return judged


def _stale_intro(count: int) -> str:
    return (f"{count} stale declaration(s), not failures: the variant did better than "
            f"declared, beyond the regression gate's bound; regenerate the declarations "
            f"so that they hold it to what it does now")


def ordered(runs: dict[str, dict]) -> list[tuple[str, list[dict]]]:
    """Per model, by name: the runs, the baseline first, then the variants its
    experiment declares in their order (each run's ``index``), then the others (a
    family's) by family (freezecheck/reporting/ordering.py); each variant's seeds in
    order."""
    from freezecheck.reporting.ordering import variant_order

    position = {v: i for i, v in enumerate(variant_order({r["variant"] for r in runs.values()},
                                                         _declared_order(runs)))}
    by_model: dict[str, list[dict]] = {}
    for r in sorted(runs.values(), key=lambda r: (position[r["variant"]], r["seed"])):
        by_model.setdefault(r["model"], []).append(r)
    return sorted(by_model.items())


def _declared_order(runs: dict[str, dict]) -> dict[str, int]:
    """variant id -> its index among its experiment's declared variants, where a run
    carries one."""
    return {r["variant"]: r["index"] for r in runs.values() if r.get("index") is not None}


def _declared(run: dict) -> bool:
    """Whether the run's experiment declares its variant: a family's runs carry an
    ``index`` of None; a run that carries none at all is taken as declared."""
    return run.get("index", 0) is not None


VERDICT_LABELS = (("meets", "meet the gate"), ("short", "declared short and within range"),
                  ("leaves", "declared to leave the baseline, as measured"),
                  ("failed", "failed"), ("skipped", "skipped"),
                  ("not judged", "not judged here"))


def _counts_text(outcomes: dict, judged: dict) -> tuple[str, str]:
    counts: dict[str, int] = {}
    for outcome in _outcomes(outcomes).values():
        counts[outcome] = counts.get(outcome, 0) + 1
    tests = ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) or "none"
    kinds = [k for k, _ in judged.values()]
    variants = ", ".join(f"{kinds.count(k)} {label}" for k, label in VERDICT_LABELS
                         if kinds.count(k))
    return tests, variants


def how_run(r: dict) -> str:
    """Whether a run was trained in this session or loaded from the run store, and by
    which worker (``main`` without xdist)."""
    if "trained" not in r:
        return ""
    how = "trained" if r["trained"] else "loaded from the store"
    return f"{how} ({r['worker']})" if r.get("worker") else how


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
                         f"{r['train_seconds']:.0f}", how_run(r),
                         judged.get(r["variant"], ("", ""))[1] if first else ""])
        tables.append((model, rows))
    return tables


RUN_COLUMN, VERDICT_COLUMN = 6, 7
NUMERIC_COLUMNS = {1, 2, 3, 4, 5}


def _headers(runs: dict[str, dict]) -> list[str]:
    levels = {(r["level"], r.get("metric", {}).get("name"),
               r.get("metric", {}).get("higher_is_better")) for r in runs.values()}
    level = "gate"
    if len(levels) == 1:
        value, metric, higher = next(iter(levels))
        level = (f"{value:.1%}" if metric is None
                 else f"{metric} {'>=' if higher else '<='} {value:.4g}")
    return ["variant", "seed", "val acc", "test acc", f"epochs to {level}", "train s", "run",
            "verdict"]


def _not_passed(outcomes: dict, runs: dict[str, dict]):
    """What the report explains, test by test: per variant of a run, its tests that did
    not pass (name, id, entry); and the other tests that did not pass, whose variant
    has no run to show (nothing trained) or that belong to no variant."""
    shown = {r["variant"] for r in runs.values()}
    per_variant: dict[str, list] = {}
    for variant, tests in variant_tests(outcomes).items():
        # Failures first, then skips, each in test id order.
        mine = sorted((t for t in tests if not _passed(t[2]["outcome"])),
                      key=lambda t: not _bad(t[2]["outcome"]))
        if mine and variant in shown:
            per_variant[variant] = mine
    others = [(function_name(nodeid), nodeid, e) for nodeid, e in sorted(entries(outcomes).items())
              if not _passed(e["outcome"]) and variant_of_test(nodeid) not in shown]
    return per_variant, others


def table(runs: dict[str, dict], outcomes: dict, context: Context,
          judged: dict | None = None, *, stale: dict | None = None) -> list[str]:
    """The terminal summary: a header naming the session, then per model an aligned
    table (baseline first), then the counts, then each stale declaration's message.
    (What each test said is above it, in pytest's own report.)"""
    judged = verdicts(runs, outcomes, context) if judged is None else judged
    versions = next(iter(runs.values()))["versions"] if runs else {}
    lines = [context.title,
             f"  TensorFlow {versions.get('tensorflow', '?')}, Keras {versions.get('keras', '?')}, "
             f"Python {versions.get('python', '?')}; {context.seeds_text()}",
             f"  gates: {context.gates_text()}", ""]
    headers = _headers(runs)
    for model, rows in _rows(runs, judged):
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

        def line(cells):
            return "  ".join(c.rjust(w) if i in NUMERIC_COLUMNS else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        lines += [f"{model}  (gate {_gate_text(context, model)})", line(headers),
                  line(["-" * w for w in widths]), *map(line, rows), ""]
    tests, variants = _counts_text(outcomes, judged)
    lines += [f"variants: {variants}", f"tests: {tests}"]
    listed = stale_declarations(stale)
    if listed:
        lines += ["", _stale_intro(len(listed)) + ":",
                  *(f"  {figures['message']}" for figures in listed)]
    return lines


def _fence(text: str) -> str:
    """A Markdown code fence longer than any run of backticks in ``text``."""
    longest, run = 0, 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _said_markdown(name: str, entry: dict, *, nodeid: str | None = None) -> list[str]:
    """One test's outcome and message as a Markdown list item (a skip's reason on its
    line, a failure's message in a code block: numbers, epochs and names as said)."""
    who = f"`{nodeid}`" if nodeid else f"`{name}`"
    message = entry.get("message")
    extra = "".join(f", {k} {v}" for k, v in (
        ("in", f"{entry['duration']:.1f} s" if entry.get("duration") is not None else None),
        ("on", entry.get("worker"))) if v)
    if not message:
        return [f"- {who}: {entry['outcome']}{extra}"]
    if not _bad(entry["outcome"]) and "\n" not in message:
        return [f"- {who}: {entry['outcome']}{extra}: {message}"]
    fence = _fence(message)
    return [f"- {who}: {entry['outcome']}{extra}:", "", f"  {fence}text",
            *(f"  {line}".rstrip() for line in message.splitlines()), f"  {fence}", ""]


def summary_markdown(runs: dict[str, dict], outcomes: dict, context: Context,
                     judged: dict | None = None, metadata: dict | None = None, *,
                     stale: dict | None = None) -> str:
    """GitHub Markdown: the title names the environment, data set and tier; under each
    model's table, what each test that did not pass said; then the stale declarations."""
    judged = verdicts(runs, outcomes, context) if judged is None else judged
    versions = next(iter(runs.values()))["versions"] if runs else {}
    lines = [f"# {context.title}", "",
             f"TensorFlow {versions.get('tensorflow', '?')}, Keras {versions.get('keras', '?')}, "
             f"Python {versions.get('python', '?')}; {context.seeds_text()}.",
             "", f"Gates: {context.gates_text()}.", ""]
    if metadata:
        lines += [_metadata_text(metadata) + ".", ""]
    headers = _headers(runs)
    per_variant, others = _not_passed(outcomes, runs)
    for model, rows in _rows(runs, judged):
        lines += [f"## {model} (gate {_gate_text(context, model)})", "",
                  "| " + " | ".join(headers) + " |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
        explained = []
        for row in rows:
            name, marked, _ = row[0].partition(" (baseline)")
            cells = [f"`{name}`" + (" (baseline)" if marked else ""), *row[1:]]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
            if name in per_variant and name not in explained:
                explained.append(name)
        lines.append("")
        for name in explained:
            lines += [f"**`{name}`**: {judged.get(name, ('', ''))[1]}", ""]
            for test, _, entry in per_variant[name]:
                lines += _said_markdown(test, entry)
            if lines[-1]:
                lines.append("")
    tests, variants = _counts_text(outcomes, judged)
    lines += [f"**Variants:** {variants}.", "", f"**Tests:** {tests}."]
    bad = [(nodeid, o) for nodeid, o in sorted(_outcomes(outcomes).items())
           if not _passed(o) and not o.startswith("skipped")]
    if bad:
        lines += ["", *(f"- {o}: `{nodeid}`" for nodeid, o in bad)]
    if others:
        lines += ["", "## Other tests that did not pass", ""]
        for _, nodeid, entry in others:
            lines += _said_markdown("", entry, nodeid=nodeid)
    listed = stale_declarations(stale)
    if listed:
        lines += ["", "## Stale declarations", "", _stale_intro(len(listed)) + ".", "",
                  *(f"- `{figures['test']}`: {figures['message']}" for figures in listed)]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _metadata_text(metadata: dict) -> str:
    versions = metadata.get("versions") or {}
    numpy = f", numpy {versions['numpy']}" if versions.get("numpy") else ""
    commit = f", commit {metadata['git_commit'][:12]}" if metadata.get("git_commit") else ""
    return (f"Run on {metadata['host']} (CPU {metadata['cpu']}), started "
            f"{metadata['started']}; freezecheck {metadata['freezecheck']}{numpy}{commit}")


# --- plots ----------------------------------------------------------------------------

# The variants' curves, a colour (and past the last colour, a line style) each in the
# order their labels are first drawn, the same label alike in every panel: red is kept
# for failures, black for baselines, grey for the band and gate.
OTHER_COLOURS = ("C0", "C1", "C2", "C4", "C5", "C8", "C9", "#393b79", "#1b9e77", "#7570b3",
                 "#e6ab02", "#a6761d", "#66a61e", "#6a3d9a")
FAILED_COLOUR = "#d62728"
# The figure: panels at most two abreast, each at least this wide and tall (inches, at
# 100 dpi: the size index.html shows it).
PANEL_WIDTH, PANEL_HEIGHT, MIN_WIDTH = 5.6, 4.2, 8.0
PANELS_ABREAST = 2


def curve_label(run: dict) -> str:
    """What the legend calls a run's curve: its frozen layers (and their distribution)."""
    from freezecheck.describe.variants import DEFAULT_INIT, parse_id

    _, frozen, init = parse_id(run["variant"])
    if not frozen and init == DEFAULT_INIT:
        return "nothing frozen (baseline)"
    label = ("+".join(frozen) or "nothing") + " frozen"
    return label + (f" ({init} init)" if init != DEFAULT_INIT else "")


def line_style(k: int) -> tuple[str, str]:
    """The colour and line style of the ``k``-th label drawn (from 0)."""
    return OTHER_COLOURS[k % len(OTHER_COLOURS)], ("-", "--", ":")[k // len(OTHER_COLOURS) % 3]


def _drawn(run: dict) -> bool:
    """Every variant its experiment declares is drawn (blocks and distributions
    included); a family's runs, a hundred and more, are families.png's."""
    return _declared(run)


def curves_figure(runs: dict[str, dict], context: Context, judged: dict | None = None):
    """Validation accuracy (%) against epoch, a panel per model, each baseline drawn
    with its tolerance band (clipped at 100%), a failed variant's curve thick, red and
    labelled FAILED: the plot the finding was first told through. The axis is zoomed
    to the range the curves use; the legend, below the panels, always lies within the
    figure (its columns, and if need be the figure's width, chosen to fit)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    judged = judged or {}
    first_seed = min(r["seed"] for r in runs.values())
    # One curve a variant.
    runs = {k: r for k, r in runs.items() if r["seed"] == first_seed and _drawn(r)}
    panels = ordered(runs)
    columns = max(1, min(PANELS_ABREAST, len(panels)))
    panel_rows = max(1, math.ceil(len(panels) / columns))
    width = max(MIN_WIDTH, PANEL_WIDTH * columns)
    height = PANEL_HEIGHT * panel_rows + 0.6
    figure = Figure(figsize=(width, height), layout="constrained", dpi=100)
    FigureCanvasAgg(figure)
    axes_grid = figure.subplots(panel_rows, columns, squeeze=False)
    styles: dict[str, tuple[str, str]] = {}  # label -> colour, line style
    for axes, (model, mine) in zip(axes_grid.flat, panels):
        gates = context.experiment_gates.get(model) or context.gates
        # Gated on another metric than accuracy: its curve, band and gate, in its units.
        metric = gates.get("metric")
        scale = 100 if metric is None or metric["unit"] == "fraction" else 1
        top = 100.0 if metric is None else math.inf
        band = gates["curve_band"] * scale / 100
        gate = context.gate(model) * scale
        lows = [gate]
        for r in mine:  # the baseline first, so that its band lies under the other curves
            if metric is not None and "metric_values" not in r:
                continue  # a run that does not record the gated metric (its tests say so)
            curve = [a * scale for a in (r["val_accuracy"] if metric is None
                                         else r["metric_values"])]
            epochs = range(1, len(curve) + 1)
            lows.append(min(curve))
            label = curve_label(r)
            kind, said = judged.get(r["variant"], ("", ""))
            failed = kind == "failed"
            if _is_baseline(r):
                axes.fill_between(epochs, [a - band * 100 for a in curve],
                                  [min(a + band * 100, top) for a in curve], color="0.85",
                                  label=f"baseline +-{band * 100:.1f} points" if scale == 100
                                  else f"baseline +-{band * 100:.4g}")
            if failed:
                what = said.removeprefix("FAILED: ")
                axes.plot(epochs, curve, color=FAILED_COLOUR, linewidth=3.2, marker="X",
                          markersize=8, zorder=5, label=f"FAILED: {r['variant']} ({what})")
            elif _is_baseline(r):
                axes.plot(epochs, curve, color="black", linewidth=2, zorder=4, label=label)
            else:
                if label not in styles:
                    styles[label] = line_style(len(styles))
                colour, style = styles[label]
                axes.plot(epochs, curve, marker="o", markersize=4, linewidth=1.3,
                          linestyle=style, color=colour, zorder=3, label=label)
        if metric is not None:
            name = metric["name"]
            axes.axhline(gate, color="0.3", linestyle="--", linewidth=1,
                         label=f"gate (final {name})")
            axes.set(title=f"{model}: gate {_gate_text(context, model)}", xlabel="epoch",
                     ylabel=f"{name}{' (%)' if scale == 100 else ''}")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.grid(alpha=0.3)
            continue
        axes.axhline(gate, color="0.3", linestyle="--", linewidth=1, label="gate (final accuracy)")
        low = max(0.0, min(lows) - 0.3)
        axes.set_ylim(low, 100.0 + (100.0 - low) * 0.02)
        axes.set(title=f"{model}: gate {gate:.1f}%", xlabel="epoch",
                 ylabel="validation accuracy (%)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
    for axes in list(axes_grid.flat)[len(panels):]:
        axes.set_visible(False)
    figure.suptitle(f"{context.title} ({context.seeds_text()}): validation accuracy per epoch",
                    fontsize="medium", wrap=True)
    # One legend for every panel: a label is one colour in each of them.
    labels: dict = {}
    for axes in axes_grid.flat:
        for handle, label in zip(*axes.get_legend_handles_labels()):
            labels.setdefault(label, handle)
    if labels:
        _fit_legend(figure, labels, height)
    return figure


def _fit_legend(figure, labels: dict, height: float) -> None:
    """The legend below the panels, in as many columns (at most four) as fit the
    figure's width; the figure taller by its rows, and wider if one column is too wide."""
    margin = 8  # pixels
    for columns in range(min(4, len(labels)), 0, -1):
        legend = figure.legend(labels.values(), labels.keys(), loc="outside lower center",
                               ncol=columns, fontsize="small")
        figure.set_figheight(height + 0.24 * math.ceil(len(labels) / columns))
        figure.canvas.draw()
        if legend.get_window_extent().width <= figure.bbox.width - 2 * margin:
            return
        if columns > 1:
            legend.remove()
    # One column, still too wide: widen the figure to the legend.
    needed = (legend.get_window_extent().width + 2 * margin) / figure.dpi
    figure.set_figwidth(needed + 0.2)
    figure.canvas.draw()


def plot_png(runs: dict[str, dict], context: Context, judged: dict | None = None) -> bytes:
    """:func:`curves_figure` as PNG bytes, at 100 dpi."""
    out = io.BytesIO()
    curves_figure(runs, context, judged).savefig(out, format="png", dpi=100)
    return out.getvalue()


def _is_baseline(run: dict) -> bool:
    from freezecheck.describe.variants import DEFAULT_INIT, parse_id

    _, frozen, init = parse_id(run["variant"])
    return not frozen and init == DEFAULT_INIT


# --- the HTML page --------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num, td.run { white-space: nowrap; }
tr.meets td.verdict { color: #1a7f37; } tr.short td.verdict { color: #9a6700; }
tr.leaves td.verdict { color: #0550ae; }
tr.failed td.verdict { color: #cf222e; font-weight: bold; }
ul.stale li { margin: 0.3em 0; } .stale-message { color: #9a6700; }
tr.said > td { border-bottom: 1px solid #ddd; padding-top: 0; }
tr.has-said > td { border-bottom: none; }
ul.said { margin: 0.2em 0 0.5em; padding-left: 1.2em; }
ul.said li { margin: 0.3em 0; }
.outcome-failed, .outcome-error { color: #cf222e; font-weight: bold; }
.outcome-skipped { color: #6e7781; }
pre.message { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.3em 0;
              padding: 0.5em 0.7em; background: #fff8f8; border-left: 3px solid #cf222e;
              font-size: 0.85rem; max-width: 100%; }
img.plot { max-width: 100%; border: 1px solid #eee; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; } dd { margin: 0; overflow-wrap: anywhere; }
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


def _said_html(name: str, nodeid: str, entry: dict) -> str:
    """One test's outcome and what it said, as a list item: a failure's message in a
    preformatted block, a skip's reason inline; everything escaped."""
    e = html.escape
    outcome = entry["outcome"]
    kind = outcome.split()[0]
    extra = "".join(f", {k} {e(str(v))}" for k, v in (
        ("in", f"{entry['duration']:.1f} s" if entry.get("duration") is not None else None),
        ("on", entry.get("worker"))) if v)
    head = (f'<code title="{e(nodeid)}">{e(name)}</code>: '
            f'<span class="outcome-{e(kind)}">{e(outcome)}</span>{extra}')
    message = entry.get("message")
    if not message:
        return f"<li>{head}</li>"
    if not _bad(outcome) and "\n" not in message:
        return f'<li>{head}: <span class="reason">{e(message)}</span></li>'
    return f'<li>{head}<pre class="message">{e(message)}</pre></li>'


def index_html(runs: dict[str, dict], outcomes: dict, context: Context, judged: dict,
               curves_png: bytes, families_png: bytes | None,
               metadata: dict | None = None, *, stale: dict | None = None) -> str:
    """One self-contained page: plots embedded, no script or style from elsewhere, so
    it reads offline from the file system. Under each variant's row, what each of its
    tests that did not pass said."""
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
        f"<dt>data set</dt><dd>{e(context.dataset_text)}</dd>",
        f"<dt>tier</dt><dd>{e(context.tier)}</dd>",
        f"<dt>seeds</dt><dd>{e(context.seeds_text())}</dd>",
        f"<dt>gates</dt><dd>{e(context.gates_text())}</dd>",
    ]
    if metadata:
        parts += [f"<dt>machine</dt><dd>{e(metadata['host'])}, CPU {e(metadata['cpu'])}</dd>",
                  f"<dt>started</dt><dd>{e(metadata['started'])}</dd>",
                  f"<dt>freezecheck</dt><dd>{e(metadata['freezecheck'])}"
                  + (f", commit <code>{e(metadata['git_commit'])}</code>"
                     if metadata.get("git_commit") else "") + "</dd>",
                  f"<dt>command</dt><dd><code>{e(_command_text(metadata['command']))}</code></dd>"]
    parts.append("</dl>")
    tests, variants = _counts_text(outcomes, judged)
    parts += [f"<p><strong>Variants:</strong> {e(variants)}. <strong>Tests:</strong> {e(tests)}.</p>",
              "<h2>Validation accuracy per epoch</h2>",
              '<img class="plot" alt="validation accuracy per epoch, each baseline with its '
              'tolerance band, a failed variant in red" src="data:image/png;base64,'
              + base64.b64encode(curves_png).decode() + '">']
    if families_png is not None:
        parts += ["<h2>Families</h2>",
                  '<img class="plot" alt="final accuracy of the families of variants" '
                  'src="data:image/png;base64,' + base64.b64encode(families_png).decode() + '">']
    headers = _headers(runs)
    per_variant, others = _not_passed(outcomes, runs)
    for model, rows in _rows(runs, judged):
        parts += [f"<h2>{e(model)} (gate {e(_gate_text(context, model))})</h2>", "<table><thead><tr>",
                  *(f'<th class="{"num" if i in NUMERIC_COLUMNS else ""}">{e(h)}</th>'
                    for i, h in enumerate(headers)), "</tr></thead><tbody>"]
        current = ""
        for row in rows:
            variant = row[0].removesuffix(" (baseline)")
            said = per_variant.get(variant) if row[VERDICT_COLUMN] else None
            if row[VERDICT_COLUMN]:
                current = judged.get(variant, ("", ""))[0]
            classes = " ".join(c for c in (current.replace(" ", "-"),
                                           "has-said" if said else "") if c)
            parts.append(f'<tr class="{e(classes)}" id="{e(variant)}">' + "".join(
                f'<td class="{_cell_class(i)}">{e(c)}</td>' for i, c in enumerate(row)) + "</tr>")
            if said:
                parts.append(f'<tr class="said {e(current.replace(" ", "-"))}">'
                             f'<td colspan="{len(headers)}"><ul class="said">'
                             + "".join(_said_html(n, nodeid, entry) for n, nodeid, entry in said)
                             + "</ul></td></tr>")
        parts.append("</tbody></table>")
    if others:
        parts += ["<h2>Other tests that did not pass</h2>", '<ul class="said">',
                  *(_said_html(nodeid, nodeid, entry) for _, nodeid, entry in others), "</ul>"]
    listed = stale_declarations(stale)
    if listed:
        parts += ['<h2 id="stale-declarations">Stale declarations</h2>',
                  f"<p>{e(_stale_intro(len(listed)))}.</p>", '<ul class="stale">',
                  *(f'<li><code>{e(figures["test"])}</code>: '
                    f'<span class="stale-message">{e(figures["message"])}</span></li>'
                    for figures in listed), "</ul>"]
    parts += ["<h2>Files</h2><ul>",
              '<li><a href="results.json">results.json</a>: every curve, figure, version, '
              "weight fingerprint, and every test's outcome and message; the session's "
              "machine, time and command</li>",
              '<li><a href="curves.csv">curves.csv</a>: accuracy per variant, seed and epoch</li>',
              '<li><a href="summary.md">summary.md</a>: this summary as Markdown</li>',
              '<li><a href="curves.png">curves.png</a></li>']
    if families_png is not None:
        parts.append('<li><a href="families.png">families.png</a></li>')
    parts += ["</ul></body></html>"]
    return "\n".join(parts) + "\n"


def _cell_class(column: int) -> str:
    if column in NUMERIC_COLUMNS:
        return "num"
    return {RUN_COLUMN: "run", VERDICT_COLUMN: "verdict"}.get(column, "")


def _command_text(command) -> str:
    import shlex

    return " ".join(["pytest", *map(shlex.quote, command)])
