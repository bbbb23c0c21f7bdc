"""The session report: from run figures alone (no training) the terminal table, summary.md,
verdicts, index.html, the plot, file modes, the results' schema and the page in a real
browser; and from real sessions, what each failing or skipped test said, in every file."""

import html
import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from freezecheck.describe.variants import parse_id
from freezecheck.reporting.report import (LEAVES, LEAVES_SHORT, MEETS, SHORT, Context, table,
                                          verdicts, write_results)

from chromium import chromium, need_chromium  # tests/chromium.py

GATES = {"min_accuracy": 0.99, "curve_band": 0.015, "curve_level": 0.985, "curve_max_lag": 2}
CONTEXT = Context("py311-tf221", "mnist", "full", (0,), GATES, dataset_title="MNIST")


# A session's run carries its variant's index among its experiment's declared ones
# (None for a family's, which the experiment does not declare): LeNet-5's, here.
DECLARED = ("none", "conv1", "conv2", "fc1", "fc2", "out")


def figures(variant, final, seed=0, curve=(0.97, 0.985), index="declared", **more):
    model, frozen, _ = parse_id(variant)
    if index == "declared":
        index = DECLARED.index("+".join(frozen) or "none") if "+".join(frozen) in (
            "", *DECLARED) and ":" not in variant else None
    return {"variant": variant, "seed": seed, "model": model, "frozen": list(frozen),
            "val_accuracy": [*curve, final], "train_accuracy": [0.9, 0.95, 0.99],
            "final_val_accuracy": final, "test_accuracy": final - 0.001, "level": 0.99,
            "epochs_to_level": 3 if final >= 0.99 else None, "train_seconds": 12.3,
            "versions": {"tensorflow": "2.21.0", "keras": "3.15.1", "python": "3.11.7"},
            "trained": True, "worker": "gw0", "index": index, **more}


RUNS = {f"{f['variant']} seed=0000": f for f in (
    figures("lenet5[out]", 0.9906), figures("lenet5[fc1]", 0.9884),
    figures("lenet5[none]", 0.9920), figures("lenet5[conv2]", 0.9882))}
OUTCOMES = {
    **{f"tests/test_experiment.py::TestLenet5::test_reaches_accuracy_gate[{v}]": "passed"
       for v in ("lenet5[none]", "lenet5[out]", "lenet5[fc1]")},
    "tests/test_experiment.py::TestLenet5::test_reaches_accuracy_gate[lenet5[conv2]]": "failed",
    "tests/test_experiment.py::TestLenet5::test_curve_follows_baseline[lenet5[conv2]]": "passed",
}


def test_verdicts_tell_a_gate_met_a_declared_shortfall_and_a_failure_apart():
    judged = verdicts(RUNS, OUTCOMES, CONTEXT)
    assert judged["lenet5[none]"] == ("meets", MEETS)
    assert judged["lenet5[out]"] == ("meets", MEETS)
    assert judged["lenet5[fc1]"] == ("short", SHORT)  # below the gate, tests passed
    assert judged["lenet5[conv2]"] == ("failed", "FAILED: accuracy")


@pytest.mark.parametrize("model_gates, said", [
    ({}, ">= 99.0%;"), ({"lenet5": 0.9}, ">= 90.0%;"), ({"lenet": 0.9, "lenet5": 0.9}, ">= 90.0%;"),
    ({"lenet": 0.981, "lenet5": 0.9}, ">= lenet 98.1%, lenet5 90.0%;")])
def test_the_accuracy_gate_is_named_per_model_only_where_models_differ(model_gates, said):
    context = Context("env", gates=GATES, model_gates=model_gates)
    assert context.gates_text().startswith(f"final validation accuracy {said}")


def test_terminal_table_has_a_header_the_baseline_first_aligned_columns_and_counts():
    lines = table(RUNS, OUTCOMES, CONTEXT)
    assert lines[0] == "freezecheck: py311-tf221, MNIST, full tier"
    assert "TensorFlow 2.21.0, Keras 3.15.1, Python 3.11.7; seed 0" in lines[1]
    assert "final validation accuracy >= 99.0%" in lines[2]
    rows = [line for line in lines if line.startswith("lenet5[")]
    assert [r.split()[0] for r in rows] == [
        "lenet5[none]", "lenet5[conv2]", "lenet5[fc1]", "lenet5[out]"]
    header = next(line for line in lines if line.startswith("variant"))
    # every row's verdict starts in the verdict column
    column = header.index("verdict")
    assert all(len(r) > column and r[column - 2:column] == "  " for r in rows), rows
    assert lines[-2] == "variants: 2 meet the gate, 1 declared short and within range, 1 failed"
    assert lines[-1] == "tests: 1 failed, 4 passed"


def test_report_files_summary_and_page(tmp_path):
    write_results(tmp_path, RUNS, OUTCOMES, CONTEXT)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "curves.csv", "curves.png", "index.html", "results.json", "summary.md"]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("# freezecheck: py311-tf221, MNIST, full tier\n")
    assert "| `lenet5[none]` (baseline) | 0 | 99.20% |" in summary
    assert ("| `lenet5[fc1]` | 0 | 98.84% | 98.74% | never | 12 | trained (gw0) | " + SHORT
            + " |") in summary
    assert "- failed: `tests/test_experiment.py::TestLenet5::test_reaches_accuracy_gate[lenet5[conv2]]`" in summary
    results = json.loads((tmp_path / "results.json").read_text())
    assert (results["tier"], results["seeds"]) == ("full", [0])
    page = (tmp_path / "index.html").read_text()
    assert "<title>freezecheck: py311-tf221, MNIST, full tier</title>" in page
    assert page.count('src="data:image/png;base64,') == 1
    assert re.search(r'<a href="results.json">', page) and '<a href="curves.csv">' in page
    assert "http://" not in page and "https://" not in page  # readable offline


P = "tests/test_experiment.py::TestLenet5::"
MESSAGE = ("lenet5[conv2]: final validation accuracy 0.9882 is below the gate 0.9900; test "
           "accuracy 0.9872.\n  validation accuracy per epoch: 0.9700, 0.9850, 0.9882 <&>")
SKIP_REASON = "reference curves are kept for the full tier on MNIST only"
REFUSED = "freezecheck: lenet5[conv1]: nothing trained:\nthe data set was refused"


def entry(outcome, message=None, duration=0.5, worker="gw0"):
    return {"outcome": outcome, "message": message, "duration": duration, "worker": worker}


TESTS = {
    **{f"{P}test_reaches_accuracy_gate[{v}]": entry("passed")
       for v in ("lenet5[none]", "lenet5[out]", "lenet5[fc1]")},
    f"{P}test_reaches_accuracy_gate[lenet5[conv2]]": entry("failed", MESSAGE, 12.25, "gw1"),
    f"{P}test_curve_follows_baseline[lenet5[conv2]]": entry("passed", worker="gw1"),
    f"{P}test_curve_matches_stored_reference[lenet5[out]]": entry("skipped", SKIP_REASON, 0.01),
    # nothing trained: a test without a run to show
    f"{P}test_reaches_accuracy_gate[lenet5[conv1]]": entry("failed in setup", REFUSED),
}


def test_what_each_test_said_is_in_every_report_file(tmp_path):
    write_results(tmp_path, RUNS, TESTS, CONTEXT)
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["tests"][f"{P}test_reaches_accuracy_gate[lenet5[conv2]]"] == \
        entry("failed", MESSAGE, 12.25, "gw1")
    assert results["tests"][f"{P}test_curve_matches_stored_reference[lenet5[out]]"]["message"] \
        == SKIP_REASON
    assert results["tests"][f"{P}test_reaches_accuracy_gate[lenet5[none]]"]["message"] is None

    summary = (tmp_path / "summary.md").read_text()
    said = summary.index("**`lenet5[conv2]`**: FAILED: accuracy")
    assert summary.index("| `lenet5[out]` |") < said  # under the model's table
    assert ("- `test_reaches_accuracy_gate`: failed, in 12.2 s, on gw1:\n\n  ```text\n"
            "  lenet5[conv2]: final validation accuracy 0.9882 is below the gate 0.9900; test "
            "accuracy 0.9872.\n    validation accuracy per epoch: 0.9700, 0.9850, 0.9882 <&>\n"
            "  ```\n") in summary[said:]
    assert f"- `test_curve_matches_stored_reference`: skipped, in 0.0 s, on gw0: {SKIP_REASON}" \
        in summary
    others = summary.index("## Other tests that did not pass")
    assert "the data set was refused" in summary[others:]
    assert "| trained (gw0) |" in summary

    page = (tmp_path / "index.html").read_text()
    assert html.escape(MESSAGE) in page and "<&>" not in page  # escaped, whole
    row, next_row = page.index('id="lenet5[conv2]"'), page.index('id="lenet5[fc1]"')
    assert row < page.index(html.escape(MESSAGE)) < next_row  # under the variant's row
    assert row < page.index("test_reaches_accuracy_gate</code>") < next_row
    out = page.index('id="lenet5[out]"')
    assert out < page.index(SKIP_REASON) < page.index("Other tests that did not pass")
    assert "the data set was refused" in page and "<td" in page and "trained (gw0)" in page


def test_the_session_metadata_names_the_machine_time_versions_and_command(tmp_path,
                                                                         monkeypatch):
    import datetime
    import importlib.metadata
    import subprocess

    from freezecheck.reporting.report import git_commit, session_metadata
    from freezecheck.train.store import cpu_type

    started = datetime.datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=datetime.timezone.utc)
    metadata = session_metadata(RUNS, started=started, directory=tmp_path,
                                command=["-n", "2", "tests/test_x.py", "-k", "a b"])
    assert metadata["cpu"] == cpu_type() and metadata["host"]
    assert metadata["started"] == "2026-01-02T03:04:05+00:00"
    assert metadata["versions"] == {  # the runs' recorded versions, numpy the installed one
        "python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1",
        "numpy": importlib.metadata.version("numpy")}
    assert metadata["command"] == ["-n", "2", "tests/test_x.py", "-k", "a b"]
    assert "git_commit" not in metadata  # not a git work tree
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    assert session_metadata(RUNS, directory=repo / ".")["git_commit"] == head
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    assert git_commit(repo) is None  # never an error


def test_a_variant_declared_to_leave_the_baseline_that_does_reads_so():
    gates = {**GATES, "min_accuracy": 0.9}
    runs = {f"{v} seed=0000": figures(v, final, declared_curve=curve) for v, final, curve in (
        ("toy[none]", 0.95, None), ("toy[h1]", 0.96, "leaves"), ("toy[h2]", 0.50, "leaves"),
        ("toy[out]", 0.95, "leaves"), ("toy[h1+h2]", 0.40, "leaves"))}
    outcomes = {f"t.py::TestToy::{test}[{v}]": outcome for test, v, outcome in (
        ("test_reaches_accuracy_gate", "toy[none]", "passed"),
        *(("test_reaches_accuracy_gate", v, "passed") for v in ("toy[h1]", "toy[h2]", "toy[out]")),
        ("test_curve_follows_baseline", "toy[h1]", "passed"),
        ("test_curve_follows_baseline", "toy[h2]", "passed"),
        ("test_curve_follows_baseline", "toy[h1+h2]", "failed"))}  # toy[out]: no curve test ran
    judged = verdicts(runs, outcomes, Context("env", gates=gates))
    assert judged["toy[h1]"] == ("leaves", LEAVES)
    assert judged["toy[h2]"] == ("leaves", LEAVES_SHORT)
    assert judged["toy[out]"] == ("meets", MEETS)  # its curve not judged here
    assert judged["toy[h1+h2]"] == ("failed", "FAILED: curve vs baseline")
    assert judged["toy[none]"] == ("meets", MEETS)


def test_a_users_variants_are_shown_baseline_first_then_in_declared_order(tmp_path):
    declared = ["digits[none]", "digits[hidden2]", "digits[none:he_normal]", "digits[hidden1]",
                "digits[hidden1+hidden2]"]
    runs = {f"{v} seed=0000": figures(v, 0.99, index=i) for i, v in enumerate(declared)}
    runs = dict(sorted(runs.items(), reverse=True))
    lines = table(runs, {}, Context("env", gates=GATES))
    assert [line.split()[0] for line in lines if line.startswith("digits[")] == declared
    write_results(tmp_path, runs, {}, Context("env", gates=GATES))
    summary = (tmp_path / "summary.md").read_text()
    assert [line.split("`")[1] for line in summary.splitlines()
            if line.startswith("| `digits[")] == declared


def _legend_cases():
    block = ["backbone[none]", "backbone[conv1]", "backbone[bn1]", "backbone[conv1+bn1]",
             "backbone[conv1+bn1+conv2+bn2]", "backbone[head:normal-0.1]",
             "backbone[conv2]", "backbone[bn2]", "backbone[conv2+bn2+head]"]
    return {
        "one built-in model": ["lenet5[none]", "lenet5[conv2]", "lenet5[fc1]", "lenet5[out]"],
        "one experiment, blocks": block,
        "one experiment, many variants": block + [f"backbone[layer_with_a_long_name_{i}]"
                                                  for i in range(20)],
        "two experiments": block[:5] + ["digits[none]", "digits[hidden1]", "digits[hidden2]"],
        "three experiments": ["lenet[none]", "lenet[conv1]", "lenet5[none]", "lenet5[fc1]",
                              "digits[none]", "digits[hidden1+hidden2]"],
    }


@pytest.mark.parametrize("case", list(_legend_cases()))
def test_the_plot_draws_every_declared_variant_its_legend_and_text_within_the_figure(case):
    from freezecheck.reporting.report import curves_figure

    ids = _legend_cases()[case]
    runs = {f"{v} seed=0000": figures(v, 0.95 - 0.01 * i, curve=(0.6, 0.9), index=i)
            for i, v in enumerate(ids)}
    failing = ids[3]
    outcomes = {f"t.py::T::test_reaches_accuracy_gate[{failing}]": "failed",
                f"t.py::T::test_curve_follows_baseline[{failing}]": "failed"}
    figure = curves_figure(runs, CONTEXT, verdicts(runs, outcomes, CONTEXT))
    figure.canvas.draw()
    inside = figure.bbox.padded(0.5)
    (legend,) = figure.legends
    box = legend.get_window_extent()
    assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and \
        box.y1 <= inside.y1, (case, box, figure.bbox)
    # Everything drawn (titles, labels, ticks, the legend) within the figure, too.
    drawn_box = figure.get_tightbbox(figure.canvas.get_renderer())  # inches
    page = figure.bbox_inches.padded(0.01)
    assert page.x0 <= drawn_box.x0 and drawn_box.x1 <= page.x1 and page.y0 <= drawn_box.y0 \
        and drawn_box.y1 <= page.y1, (case, drawn_box, figure.bbox_inches)
    labels = [t.get_text() for t in legend.get_texts()]
    drawn = [line for axes in figure.axes for line in axes.get_lines()
             if line.get_label() != "gate (final accuracy)"]
    lines = {line.get_label(): line for line in drawn}
    failed = f"FAILED: {failing} (accuracy, curve vs baseline)"
    assert failed in labels
    others = [line.get_linewidth() for label, line in lines.items() if label != failed]
    assert lines[failed].get_linewidth() > max(others)
    assert lines[failed].get_color() == "#d62728"
    # every variant of an experiment of one's own is drawn, blocks and distributions too
    if "backbone[conv1+bn1+conv2+bn2]" in ids:
        assert "conv1+bn1+conv2+bn2 frozen" in labels
    if "backbone[head:normal-0.1]" in ids:
        assert "head frozen (normal-0.1 init)" in labels
    assert len(drawn) == len(ids)  # (a family's runs, undeclared, would be families.png's)


def test_a_familys_runs_go_to_the_families_plot_for_any_experiment(tmp_path):
    """Runs of variants an experiment does not declare (a family's: index None) are
    drawn in families.png, laid out from the runs, not in curves.png; the variants it
    declares, blocks included, in curves.png."""
    from freezecheck.reporting.families_plot import layout_of
    from freezecheck.reporting.report import curves_figure

    declared = ["toy[none]", "toy[h1]", "toy[h2]", "toy[h1+h2]"]
    family = ["toy[h2+out]", "toy[h1:normal-10]", "toy[h1:he_normal]", "toy[none:he_normal]"]
    runs = {f"{v} seed=0000": figures(v, 0.95, curve=(0.6, 0.9), index=i)
            for i, v in enumerate(declared)}
    runs |= {f"{v} seed=0000": figures(v, 0.9, curve=(0.6, 0.9), index=None) for v in family}
    context = Context("env", "digits", gates=GATES)
    labels = [line.get_label() for axes in curves_figure(runs, context).axes
              for line in axes.get_lines()]
    assert "h1+h2 frozen" in labels and "h2+out frozen" not in labels
    write_results(tmp_path, runs, {}, context)
    assert (tmp_path / "families.png").read_bytes()[:4] == b"\x89PNG"
    assert 'href="families.png"' in (tmp_path / "index.html").read_text()
    by_variant = {r["variant"]: {0: r} for r in runs.values()}
    layout = layout_of(by_variant, "toy", {v: i for i, v in enumerate(declared)})
    assert layout.variants == ("toy[none]", "toy[h1]", "toy[h2]", "toy[h1+h2]", "toy[h2+out]")
    assert layout.frozen_sets == (("h1",), ())
    assert layout.inits == ("glorot_uniform", "he_normal", "normal-10")
    # Without families, no families.png.
    write_results(tmp_path / "declared", {k: r for k, r in runs.items()
                                          if r["index"] is not None}, {}, context)
    assert not (tmp_path / "declared" / "families.png").exists()


def validate_results(document) -> None:
    """``document`` against the JSON Schema freezecheck ships for results.json."""
    import jsonschema

    from freezecheck.reporting.report import SCHEMA_VERSION, results_schema

    schema = results_schema()
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator,
                        format_checker=jsonschema.FormatChecker())


def full_figures(variant, final, index):
    """A run's figures as a session writes them (freezecheck.plugin.fixtures.note_run)."""
    return {**figures(variant, final, index=index), "recipe": {"epochs": 3, "seed": 0},
            "epoch_seconds": [4.1, 4.1, 4.1], "peak_rss_mb": 612.5,
            "weights_after_sha256": {"conv1/kernel": "0" * 64}, "experiment": "lenet5",
            "tier": "full", "dataset": "mnist", "dataset_title": "MNIST", "curve_gates": GATES,
            "declared_curve": None}


@pytest.mark.parametrize("missing", [("metadata", "cpu"), ("metadata",), ("tests", "*", "message"),
                                     ("runs", 0, "trained"), ("schema_version",),
                                     ("stale_declarations",)])
def test_results_follow_their_json_schema_and_a_missing_field_is_caught(tmp_path, missing):
    runs = {f"{v} seed=0000": full_figures(v, final, i) for i, (v, final) in enumerate(
        (("lenet5[none]", 0.992), ("lenet5[conv2]", 0.9882)))}
    write_results(tmp_path, runs, TESTS, CONTEXT)
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["schema_version"] == 4
    validate_results(document)
    import jsonschema

    holder = document
    for key in missing[:-1]:
        holder = holder[key] if key != "*" else next(iter(holder.values()))
    del holder[missing[-1]]
    with pytest.raises(jsonschema.ValidationError, match=f"'{missing[-1]}' is a required property"):
        validate_results(document)


def _stale_figures(variant, drop=0.3):
    """What the curve test of ``variant`` would report of a declaration ``drop`` below
    its runs (metric_effects.stale_warning, on made-up curves)."""
    from freezecheck.judge import claims, metric_effects

    baseline = [[0.97, 0.98, 0.99 + s / 1000] for s in range(5)]
    variant_curves = [[a - 0.01 + s / 2000 for a in curve] for s, curve in enumerate(baseline)]
    measured = claims.measure_effect(variant_curves, baseline, level=0.985, seeds=range(5))
    declared = claims.Effect(**{**measured.__dict__,
                                "mean_gaps": tuple(g - drop for g in measured.mean_gaps)})
    run = claims.run_effect(variant_curves[0], baseline[0], level=0.985)
    finding = claims.stale(declared, run, alpha=0.01)
    assert finding is not None
    warning = metric_effects.stale_warning(variant, "follows", declared, run, finding,
                                           where="py311-tf221, mnist", alpha=0.01,
                                           regenerate="`freezecheck declare ...`")
    return warning.stale


def test_a_stale_declaration_is_said_in_every_file_and_the_verdict_without_failing(tmp_path):
    runs = {f"{v} seed=0000": full_figures(v, final, i) for i, (v, final) in enumerate(
        (("lenet5[none]", 0.992), ("lenet5[conv2]", 0.9882), ("lenet5[fc1]", 0.991)))}
    tests = {f"{P}test_curve_follows_baseline[{v}]": entry("passed")
             for v in ("lenet5[conv2]", "lenet5[fc1]")}
    tests[f"{P}test_reaches_accuracy_gate[lenet5[fc1]]"] = entry("failed", MESSAGE)
    stale = {f"{P}test_curve_follows_baseline[{v}]": [_stale_figures(v)]
             for v in ("lenet5[conv2]", "lenet5[fc1]")}
    write_results(tmp_path, runs, tests, CONTEXT, stale=stale)
    results = json.loads((tmp_path / "results.json").read_text())
    validate_results(results)
    assert [s["test"] for s in results["stale_declarations"]] == sorted(stale)
    conv2 = results["stale_declarations"][0]
    assert conv2["variant"] == "lenet5[conv2]" and conv2["seeds"] == 1
    assert conv2["reference_seeds"] == 5
    assert conv2["new_mean_gap"] - conv2["declared_mean_gap"] > conv2["bound"] > 0
    assert conv2["message"].startswith("lenet5[conv2]: stale declaration, not a failure: the "
                                       "mean gap over 1 seed(s) is ")
    assert conv2["message"].endswith("Regenerate the declarations: `freezecheck declare ...`")
    # A passing variant's verdict says so; a failed one's stays its failure.
    judged = verdicts(runs, tests, CONTEXT, stale)
    assert judged["lenet5[conv2]"][1].endswith("; stale declaration")
    assert judged["lenet5[fc1]"] == ("failed", "FAILED: accuracy")
    lines = table(runs, tests, CONTEXT, judged, stale=stale)
    assert lines[-3].startswith("2 stale declaration(s), not failures: ")
    assert lines[-2:] == [f"  {s['message']}" for s in results["stale_declarations"]]
    summary = (tmp_path / "summary.md").read_text()
    assert "## Stale declarations" in summary and f"`: {conv2['message']}" in summary
    page = (tmp_path / "index.html").read_text()
    assert html.escape(conv2["message"]) in page and "; stale declaration</td>" in page
    # No stale declaration: an empty list, still valid, and nothing said.
    write_results(tmp_path / "none", runs, tests, CONTEXT)
    results = json.loads((tmp_path / "none" / "results.json").read_text())
    validate_results(results)
    assert results["stale_declarations"] == []
    assert "Stale declarations" not in (tmp_path / "none" / "index.html").read_text()


def test_report_files_take_the_umask_like_any_other_file(tmp_path):
    old = os.umask(0o022)
    try:
        write_results(tmp_path, RUNS, OUTCOMES, CONTEXT)
    finally:
        os.umask(old)
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_the_baseline_band_is_clipped_at_100_percent(monkeypatch):
    from matplotlib.axes import Axes

    from freezecheck.reporting import report

    uppers = []
    real = Axes.fill_between
    monkeypatch.setattr(Axes, "fill_between", lambda self, x, y1, y2, **kw: (
        uppers.extend(y2), real(self, x, y1, y2, **kw))[1])
    runs = {"b": figures("lenet[none]", 0.995, curve=(0.99, 0.993))}
    report.plot_png(runs, Context("env", gates=GATES))
    assert uppers and max(uppers) == 100.0


# --- a real session: a planted failure, skips, a variant declared to leave -------------

TOY = """
import numpy as np
import freezecheck

LAYERS = ("h1", "h2", "out")


def build(kernel_initializer):
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    return keras.Sequential([keras.Input((8,))] + [
        keras.layers.Dense(units, activation=activation, name=name,
                           kernel_initializer=kernel_initializer(name))
        for name, units, activation in (("h1", 16, "relu"), ("h2", 16, "relu"),
                                        ("out", 3, "softmax"))])


def data():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3.0, size=(3, 8))
    labels = rng.integers(0, 3, 800)
    points = (centres[labels] + rng.normal(size=(800, 8))).astype(np.float32)
    return freezecheck.arrays(train=(points[:600], labels[:600]),
                              validation=(points[600:], labels[600:]), name="clusters")


recipe = freezecheck.Recipe(epochs=3, batch_size=32, learning_rate=5e-3)
gates = freezecheck.Gates(min_accuracy=0.8, curve_band=0.25, curve_level=0.8, curve_max_lag=1)
TestToy = freezecheck.Experiment(
    "toy", build=build, layers=LAYERS, data=data, recipe=recipe, gates=gates,
    # references are kept for the full tier: on this one, their tests skip
    tiers={"quick": freezecheck.Tier(recipe, gates)},
    # declared in this order, not the ids'
    variants=[freezecheck.Freeze("h2"), freezecheck.Freeze("h1"),
              freezecheck.Freeze("h1", "h2", init="normal-0.001")],
    expectations={
        # the planted failure: declared to fall short of the gate, which it reaches
        "toy[h1]": freezecheck.Expectation(seeds=(0,), finals=(0.30,), follows_baseline=True),
        # kernels a thousandth of Glorot's pass nothing on: far off the baseline's curve
        "toy[h1+h2:normal-0.001]": freezecheck.Expectation(seeds=(0,), finals=(0.34,),
                                                           follows_baseline=False),
    },
    seed_spread=0.5).tests()
"""

TOY_ORDER = ["toy[none]", "toy[h2]", "toy[h1]", "toy[h1+h2:normal-0.001]"]
ACCURACY = "test_toy.py::TestToy::test_reaches_accuracy_gate[toy[h1]]"


@pytest.mark.training
def test_a_sessions_report_says_why_a_test_failed_or_skipped_in_every_file(pytester):
    import xml.etree.ElementTree as ElementTree

    import jsonschema

    from freezecheck.plugin.session_report import without_xdist_group
    from freezecheck.train.store import cpu_type

    pytester.makepyfile(test_toy=TOY)
    pytester.makeini("[pytest]\naddopts = --dist=loadgroup -p no:cacheprovider\n")
    result = pytester.runpytest_subprocess("-n", "2", "--freezecheck-tier=quick",
                                           "--freezecheck-report-dir=report",
                                           "--junitxml=junit.xml")
    result.assert_outcomes(passed=13, failed=1, skipped=4)
    result.stdout.fnmatch_lines(["toy[[]h1[]] * FAILED: accuracy"])
    report = pytester.path / "report"
    results = json.loads((report / "results.json").read_text())
    validate_results(results)

    # results.json: the failure's message as the check said it, numbers and epochs in it
    failed = results["tests"][ACCURACY]
    assert failed["outcome"] == "failed" and failed["worker"] in ("gw0", "gw1")
    assert failed["duration"] > 0
    message = failed["message"]
    assert re.fullmatch(
        r"toy\[h1\]: final validation accuracy (0\.\d{4}|1\.0000) reaches the gate 0\.8000, "
        r"but is declared to fall short of it: short \(30\.00% at seed 0\)\. If this is the "
        r"new behaviour, measure it again and regenerate the table \(measured in experiment "
        r"toy's declaration\); test accuracy "
        r"\S+\.\n  validation accuracy per epoch: (\d\.\d{4}, ){2}\d\.\d{4}", message), message
    reason = "reference curves are kept for experiment toy's full tier only"
    for variant in TOY_ORDER:
        skipped = results["tests"][f"test_toy.py::TestToy::test_curve_matches_stored_reference[{variant}]"]
        assert (skipped["outcome"], skipped["message"]) == ("skipped", reason)
    passed = results["tests"]["test_toy.py::TestToy::test_reaches_accuracy_gate[toy[h2]]"]
    assert (passed["outcome"], passed["message"]) == ("passed", None)
    runs = {r["variant"]: r for r in results["runs"]}
    # the data set by the name a session selects it by; the title by its Dataset's name
    assert results["dataset"] == "data" and runs["toy[h1]"]["dataset_title"] == "clusters"
    assert {v: r["index"] for v, r in runs.items()} == {v: i for i, v in enumerate(TOY_ORDER)}
    assert all(r["trained"] and r["worker"] in ("gw0", "gw1") for r in runs.values())
    assert runs["toy[h1+h2:normal-0.001]"]["declared_curve"] == "leaves"
    assert runs["toy[h1]"]["declared_curve"] == "follows"
    metadata = results["metadata"]
    assert metadata["cpu"] == cpu_type()
    assert metadata["command"][0].startswith("--basetemp=")  # pytester's
    assert metadata["command"][1:] == ["-n", "2", "--freezecheck-tier=quick",
                                       "--freezecheck-report-dir=report", "--junitxml=junit.xml"]
    assert metadata["versions"]["tensorflow"] == runs["toy[none]"]["versions"]["tensorflow"]
    assert "git_commit" not in metadata  # pytester's directory is no git work tree

    # summary.md: the rows in declared order, the message under the table, the skips
    summary = (report / "summary.md").read_text()
    assert summary.startswith(f"# freezecheck: {results['environment']}, clusters, quick\n")
    assert [line.split("`")[1] for line in summary.splitlines()
            if line.startswith("| `toy[")] == TOY_ORDER
    assert "| `toy[h1+h2:normal-0.001]` | 0 |" in summary and LEAVES_SHORT in summary
    said = summary.index("**`toy[h1]`**: FAILED: accuracy")
    for line in message.splitlines():
        assert f"\n  {line}\n" in summary[said:]
    assert summary.count(f": skipped, in ") == 4 and summary.count(reason) == 4
    assert re.search(r"\| trained \(gw[01]\) \|", summary)

    # index.html: the message, escaped, under its variant's row; the skips' reason
    page = (report / "index.html").read_text()
    row = page.index('id="toy[h1]"')
    assert row < page.index(html.escape(message)) < page.index('id="toy[h1+h2:normal-0.001]"')
    assert page.count(html.escape(reason)) == 4
    assert html.escape(LEAVES_SHORT) in page

    # JUnit XML: every test's verdict, with the first line of what it said
    verdicts_by_test = {}
    for case in ElementTree.parse(pytester.path / "junit.xml").iter("testcase"):
        found = [p.get("value") for p in case.iter("property")
                 if p.get("name") == "freezecheck_verdict"]
        verdicts_by_test[without_xdist_group(case.get("name"))] = found
    assert len(verdicts_by_test) == 18 and all(len(v) == 1 for v in verdicts_by_test.values())
    assert verdicts_by_test["test_reaches_accuracy_gate[toy[h1]]"] == \
        ["failed: " + message.splitlines()[0]]
    assert verdicts_by_test["test_curve_matches_stored_reference[toy[h2]]"] == \
        [f"skipped: {reason}"]
    assert verdicts_by_test["test_reaches_accuracy_gate[toy[h2]]"] == ["passed"]

    # and a results.json without a field the schema requires does not validate
    del results["tests"][ACCURACY]["outcome"]
    with pytest.raises(jsonschema.ValidationError, match="'outcome' is a required property"):
        validate_results(results)
    if os.environ.get("FREEZECHECK_KEEP_REPORT"):  # to look at, or open in a browser
        shutil.copytree(report, os.environ["FREEZECHECK_KEEP_REPORT"], dirs_exist_ok=True)


@pytest.mark.browser
def test_the_page_opens_in_headless_chromium_with_its_plots(tmp_path):
    """FREEZECHECK_BROWSER_REPORT=DIR checks a session's own report (CI does, after a
    smoke session) and leaves DIR/browser-screenshot.png; without it, a report made here,
    with a failure, whose message the page must show under its variant's row."""
    need_chromium()
    given = os.environ.get("FREEZECHECK_BROWSER_REPORT")
    report = Path(given) if given else tmp_path / "report"
    if not given:
        write_results(report, RUNS, TESTS, CONTEXT)
    page = (report / "index.html").resolve().as_uri()
    dom = chromium("--dump-dom", page, cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr
    assert 'class="error"' not in dom.stdout, "the page shows an error"
    shown = re.search(r'data-plots-ok="(\d+)"', dom.stdout)
    assert shown and int(shown.group(1)) >= 1, "no plot was shown"
    assert int(shown.group(1)) == dom.stdout.count('class="plot"')
    assert "<table>" in dom.stdout and "verdict" in dom.stdout
    # What every test that did not pass said is in the page the browser built: the
    # message of a failure in a block of its own, a skip's reason.
    results = json.loads((report / "results.json").read_text())
    said = [(e["outcome"], e["message"]) for e in results["tests"].values()
            if e["outcome"] not in ("passed", "xfailed") and e["message"]]
    if not given:
        assert ("failed", MESSAGE) in said and ("skipped", SKIP_REASON) in said
    for outcome, message in said:
        for line in message.splitlines():
            assert html.escape(line, quote=False) in dom.stdout, (outcome, line)
        if not outcome.startswith("skipped"):
            assert '<pre class="message">' + html.escape(message, quote=False) in dom.stdout
    screenshot = tmp_path / "screenshot.png"
    shot = chromium(f"--screenshot={screenshot}", "--window-size=1280,1600", page, cwd=tmp_path)
    assert shot.returncode == 0 and screenshot.read_bytes()[:4] == b"\x89PNG", shot.stderr
    if given:
        shutil.copy(screenshot, report / "browser-screenshot.png")
    if os.environ.get("FREEZECHECK_KEEP_SCREENSHOT"):  # to look at
        shutil.copy(screenshot, os.environ["FREEZECHECK_KEEP_SCREENSHOT"])
