"""The session report, from run figures alone (no training): the terminal table, summary.md,
verdicts, index.html, file modes, and the page in a real browser."""

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from freezecheck.describe.variants import parse_id
from freezecheck.reporting.report import MEETS, SHORT, Context, table, verdicts, write_results

from chromium import chromium, need_chromium  # tests/chromium.py

GATES = {"min_accuracy": 0.99, "curve_band": 0.015, "curve_level": 0.985, "curve_max_lag": 2}
CONTEXT = Context("py311-tf221", "mnist", "full", (0,), GATES)


def figures(variant, final, seed=0, curve=(0.97, 0.985)):
    model, frozen, _ = parse_id(variant)
    return {"variant": variant, "seed": seed, "model": model, "frozen": list(frozen),
            "val_accuracy": [*curve, final], "train_accuracy": [0.9, 0.95, 0.99],
            "final_val_accuracy": final, "test_accuracy": final - 0.001, "level": 0.99,
            "epochs_to_level": 3 if final >= 0.99 else None, "train_seconds": 12.3,
            "versions": {"tensorflow": "2.21.0", "keras": "3.15.1", "python": "3.11.7"}}


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
    assert "| `lenet5[fc1]` | 0 | 98.84% | 98.74% | never | 12 | " + SHORT + " |" in summary
    assert "- failed: `tests/test_experiment.py::TestLenet5::test_reaches_accuracy_gate[lenet5[conv2]]`" in summary
    results = json.loads((tmp_path / "results.json").read_text())
    assert (results["tier"], results["seeds"]) == ("full", [0])
    page = (tmp_path / "index.html").read_text()
    assert "<title>freezecheck: py311-tf221, MNIST, full tier</title>" in page
    assert page.count('src="data:image/png;base64,') == 1
    assert re.search(r'<a href="results.json">', page) and '<a href="curves.csv">' in page
    assert "http://" not in page and "https://" not in page  # readable offline


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


@pytest.mark.browser
def test_the_page_opens_in_headless_chromium_with_its_plots(tmp_path):
    """FREEZECHECK_BROWSER_REPORT=DIR checks a session's own report (CI does, after a
    smoke session) and leaves DIR/browser-screenshot.png; without it, a report made here."""
    need_chromium()
    given = os.environ.get("FREEZECHECK_BROWSER_REPORT")
    report = Path(given) if given else tmp_path / "report"
    if not given:
        write_results(report, RUNS, OUTCOMES, CONTEXT)
    page = (report / "index.html").resolve().as_uri()
    dom = chromium("--dump-dom", page, cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr
    assert 'class="error"' not in dom.stdout, "the page shows an error"
    shown = re.search(r'data-plots-ok="(\d+)"', dom.stdout)
    assert shown and int(shown.group(1)) >= 1, "no plot was shown"
    assert int(shown.group(1)) == dom.stdout.count('class="plot"')
    assert "<table>" in dom.stdout and "verdict" in dom.stdout
    screenshot = tmp_path / "screenshot.png"
    shot = chromium(f"--screenshot={screenshot}", "--window-size=1280,1600", page, cwd=tmp_path)
    assert shot.returncode == 0 and screenshot.read_bytes()[:4] == b"\x89PNG", shot.stderr
    if given:
        shutil.copy(screenshot, report / "browser-screenshot.png")
