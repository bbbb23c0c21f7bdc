"""Which environments train bitwise the same runs, and how far the others move
(``freezecheck identical REPORT_DIR... [--references DIR] [--out FILE.md]``).

Reads each directory's results.json (a full-tier session per environment, e.g. one per
tox environment, written by --freezecheck-report-dir) and writes Markdown:

1. groups of environments whose runs are bitwise identical: every variant's validation
   and training curve, test accuracy and the sha256 of every weight after training
   equal (``python -m freezecheck compare`` shows accuracies; this shows identity);
2. per variant, each group against the first group (the first report's): the largest
   per-epoch difference of the validation curve, the final validation accuracy's
   difference and the epochs to the gate, in points;
3. with ``--references DIR`` (the references/ directory beside the test module), each
   environment's runs against its own stored references: how many repeat their
   reference exactly (validation curve and test accuracy) and the largest per-epoch
   difference, in points.
"""

from __future__ import annotations

import json
from pathlib import Path

from freezecheck.errors import ConfigError
from freezecheck.reporting import readers


def identity(run: dict) -> tuple:
    """Everything a bitwise-identical run must repeat."""
    return (tuple(run["val_accuracy"]), tuple(run["train_accuracy"]), run["test_accuracy"],
            tuple(sorted(run["weights_after_sha256"].items())))


def load(directory: Path) -> dict:
    report = readers.read_json(Path(directory) / "results.json")
    runs = {run["variant"]: run for run in report["runs"] if run.get("seed", 0) == 0}
    return {"environment": report["environment"], "runs": runs,
            "versions": next(iter(runs.values()))["versions"] if runs else {}}


def groups(reports: list[dict]) -> list[list[dict]]:
    """Reports grouped by bitwise identity of every run, in first-seen order."""
    found: list[list[dict]] = []
    for report in reports:
        key = {variant: identity(run) for variant, run in report["runs"].items()}
        for group in found:
            first = group[0]["runs"]
            if first.keys() == key.keys() and all(identity(first[v]) == key[v] for v in key):
                group.append(report)
                break
        else:
            found.append([report])
    return found


def markdown(reports: list[dict]) -> list[str]:
    found = groups(reports)
    lines = ["Bitwise-identical groups (every curve, test accuracy and weight sha256 equal):",
             ""]
    for i, group in enumerate(found, 1):
        versions = group[0]["versions"]
        lines.append(f"- group {i}: " + ", ".join(r["environment"] for r in group)
                     + f" ({len(group[0]['runs'])} runs each; first: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + ")")
    if len(found) == 1:
        return lines + ["", "One group: no run moved between these environments."]
    lines += ["", f"Per variant, each group against group 1 ({found[0][0]['environment']}): "
              "largest per-epoch validation-curve difference, final validation accuracy "
              "difference (points), and epochs to 99% (group 1 -> this group).", ""]
    header = "| variant | " + " | ".join(
        f"group {i} ({group[0]['environment']}) curve / final / epochs"
        for i, group in enumerate(found[1:], 2)) + " |"
    lines += [header, "|" + " --- |" * len(found)]
    base = found[0][0]["runs"]
    for variant in sorted(base):
        cells = []
        for group in found[1:]:
            run = group[0]["runs"].get(variant)
            if run is None:
                cells.append("(not run)")
                continue
            largest = max(abs(a - b) for a, b in zip(run["val_accuracy"], base[variant]["val_accuracy"]))
            final = run["final_val_accuracy"] - base[variant]["final_val_accuracy"]
            epochs = (_epochs(base[variant]["epochs_to_level"]) + " -> "
                      + _epochs(run["epochs_to_level"]))
            cells.append(f"{largest * 100:.2f} / {final * 100:+.2f} / {epochs}")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return lines


def against_references(reports: list[dict], root: Path) -> list[str]:
    """Each environment's runs against the references stored for it under ``root``."""
    lines = ["", f"Each environment's runs against its own references in {root}: runs that "
             "repeat their reference exactly (validation curve and test accuracy), and the "
             "largest per-epoch validation-curve difference (points).", "",
             "| environment | references made with | exact | largest difference |",
             "| --- | --- | --- | --- |"]
    for report in reports:
        exact, largest, made_with = 0, 0.0, set()
        for variant, run in sorted(report["runs"].items()):
            path = root / report["environment"] / f"{variant}.json"
            if not path.is_file():
                raise ConfigError(f"{path}: no reference for {variant} in "
                                  f"{report['environment']}; give the directory holding them")
            reference = json.loads(path.read_text())
            made_with.add(reference["versions"]["tensorflow"])
            exact += (reference["val_accuracy"] == run["val_accuracy"]
                      and reference["test_accuracy"] == run["test_accuracy"])
            largest = max(largest, *(abs(a - b) for a, b in
                                     zip(run["val_accuracy"], reference["val_accuracy"])))
        lines.append(f"| {report['environment']} | TensorFlow {', '.join(sorted(made_with))} | "
                     f"{exact} of {len(report['runs'])} | {largest * 100:.2f} |")
    return lines


def _epochs(value) -> str:
    return "never" if value is None else str(value)


def text(directories, references: Path | None = None) -> str:
    """The Markdown ``freezecheck identical`` prints and writes."""
    reports = [load(d) for d in directories]
    lines = markdown(reports)
    if references:
        lines += against_references(reports, Path(references))
    return "\n".join(lines) + "\n"
