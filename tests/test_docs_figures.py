"""The figures README and the docs show agree with the records they come from: the
sample session (README's terminal output, the report screenshot on docs/reports.md) with
docs/records/sample-session/results.json, and the counts README states with the code
that defines them. (The headline table: tests/test_readme.py.)"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _sample_session():
    spec = importlib.util.spec_from_file_location(
        "sample_session", ROOT / "docs" / "sample_session.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sample = _sample_session()


def readme_sample() -> str:
    """README's sample terminal output, as it stands between its markers."""
    text = README.read_text()
    assert sample.BEGIN in text and sample.END in text, "README has no sample block"
    return text[text.index(sample.BEGIN):text.index(sample.END) + len(sample.END)]


def test_readme_sample_is_the_recorded_session_as_the_plugin_words_it():
    assert readme_sample() == sample.readme_block(sample.load()), (
        "README's sample output is not docs/records/sample-session/results.json as the "
        "plugin prints it: python docs/sample_session.py")


def test_readme_sample_summary_counts_the_rows_it_shows():
    """Read as a reader reads it, without the plugin's code: the 'variants:' line counts
    the variant rows of the tables above it, verdict by verdict, and the 'tests:' line
    the record's tests."""
    block = readme_sample()
    # a table's row: its cells apart by two spaces or more, the variant first, the
    # verdict last
    rows = [re.split(r"\s{2,}", line) for line in block.splitlines()
            if re.match(r"\S+\[[^\]]*\](?: \(baseline\))?\s+\d+\s+[\d.]+%", line)]
    rows = [(cells[0], cells[-1]) for cells in rows]
    assert rows, block
    said = re.search(r"^variants: (.*)$", block, re.M).group(1)
    counts = {label: int(n) for n, label in re.findall(r"(\d+) ([^,\d]+)", said)}
    assert sum(counts.values()) == len(rows), (said, rows)
    meets = sum(verdict == "meets the gate" for _, verdict in rows)
    assert counts.get("meet the gate", 0) == meets, (said, rows)
    tests = re.search(r"^tests: (.*)$", block, re.M).group(1)
    assert sum(int(n) for n in re.findall(r"(\d+) \w+", tests)) == len(sample.load()["tests"])


def test_readme_sample_rows_are_the_records_runs():
    """Each row's accuracies, epochs and seconds are its run's in the record."""
    runs = {r["variant"]: r for r in sample.load()["runs"]}
    rows = re.findall(r"^(\S+\[[^\]]*\])(?: \(baseline\))?\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%"
                      r"\s+(\d+|never)\s+(\d+)  ", readme_sample(), re.M)
    assert sorted(variant for variant, *_ in rows) == sorted(runs)
    for variant, seed, val, test, reached, seconds in rows:
        run = runs[variant]
        assert int(seed) == run["seed"]
        assert val == f"{run['final_val_accuracy'] * 100:.2f}", variant
        assert test == f"{run['test_accuracy'] * 100:.2f}", variant
        assert reached == str(run["epochs_to_level"] or "never"), variant
        assert seconds == f"{run['train_seconds']:.0f}", variant


def test_the_recorded_test_ids_are_those_the_example_collects_now():
    """A change to the test ids (their form, a new test) leaves the record, README's
    sample and the screenshot behind: rerun them (python docs/sample_session.py
    --rerun)."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"],
        cwd=sample.EXAMPLE, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    assert collected.returncode == 0, collected.stdout + collected.stderr
    ids = {line for line in collected.stdout.splitlines() if "::" in line}
    assert ids == set(sample.load()["tests"]), (
        "examples/digits-mlp collects other tests than docs/records/sample-session records: "
        "python docs/sample_session.py --rerun")


def test_the_report_screenshot_is_made_from_the_committed_record():
    pytest.importorskip("PIL", reason="needs Pillow (matplotlib's dependency)")
    assert sample.screenshot_digest() == sample.digest(), (
        f"{sample.SCREENSHOT.relative_to(ROOT)} was not made from the committed "
        f"docs/records/sample-session/results.json: python docs/sample_session.py")
    reports = (ROOT / "docs" / "reports.md").read_text()
    assert f"img/{sample.SCREENSHOT.name}" in reports


def test_no_page_shows_a_variant_id_of_the_old_form():
    """Ids are ``lenet5[conv1]``; ``lenet5-frozen=conv1`` was their form before. Only
    the changelog tells of it."""
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    old = [f"{page.relative_to(ROOT)}: {line.strip()}" for page in pages
           if page.name != "CHANGELOG.md"
           for line in page.read_text().splitlines() if re.search(r"\w-frozen=\w", line)]
    assert not old, "\n".join(old)


def test_readme_states_the_smoke_tier_and_the_parameter_counts_as_defined():
    from freezecheck.builtin.models import PARAMETER_COUNTS
    from freezecheck.builtin.settings import SMOKE_RECIPES

    readme = README.read_text()
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    for recipe in SMOKE_RECIPES.values():
        said = (f"{words.get(recipe.epochs, recipe.epochs)} epochs on "
                f"{recipe.train_images:,} images")
        assert said in readme, f"README does not say the smoke tier's {said!r}"
    for model, title in (("lenet", "LeNet"), ("lenet5", "LeNet-5")):
        assert f"{title} ({PARAMETER_COUNTS[model]:,} parameters)" in readme, model


def test_reports_page_states_the_schema_version_and_limits_as_defined():
    from freezecheck.reporting.report import MESSAGE_LIMIT, SCHEMA_VERSION, short_reason

    page = (ROOT / "docs" / "reports.md").read_text()
    assert f"`schema_version` is {SCHEMA_VERSION}" in page
    assert f"| `schema_version` | {SCHEMA_VERSION} |" in page
    assert f"first {MESSAGE_LIMIT:,} characters" in page
    limit = short_reason.__defaults__[0]
    assert f"at most {limit} characters" in page
    schema = json.loads((ROOT / "freezecheck" / "reporting" / "results.schema.json").read_text())
    assert str(SCHEMA_VERSION) in json.dumps(schema["properties"]["schema_version"])


def test_no_page_names_a_commit():
    """A commit named on a page goes stale with the next one; records keep them
    (benchmarks/, the changelog)."""
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    named = [f"{page.relative_to(ROOT)}: {found.group(0)}" for page in pages
             if page.name != "CHANGELOG.md"
             for found in re.finditer(r"\bcommits?\s+`?[0-9a-f]{7,40}\b", page.read_text())]
    assert not named, "\n".join(named)


def test_no_page_is_dated():
    """A page says what is true now; when a figure was measured is history, kept by the
    changelog and the records under benchmarks/ (benchmarks/dated-measurements.md)."""
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    dated = [f"{page.relative_to(ROOT)}: {found.group(0)}" for page in pages
             if page.name != "CHANGELOG.md"
             for found in re.finditer(r"\b(19|20)\d\d-[01]\d-[0-3]\d\b", page.read_text())]
    assert not dated, "\n".join(dated)


def test_the_performance_figures_are_written_from_their_records():
    """docs/performance.md types no measured figure: its markers become the records'
    tables when the site is built (docs/benchmark_tables.py), and a marker naming a
    missing record fails the build."""
    spec = importlib.util.spec_from_file_location(
        "benchmark_tables", ROOT / "docs" / "benchmark_tables.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = (ROOT / "docs" / "performance.md").read_text()
    records = hook.MARKER.findall(page)
    assert records == ["benchmarks/speed.json", "benchmarks/speed-lenet5.json"], records
    built = hook.on_page_markdown(page, None, None, None)
    for record in records:
        result = json.loads((ROOT / record).read_text())
        for way, figures in result["summary"]["ways"].items():
            assert f"| {way} | {figures['wall_seconds_median']:.1f} |" in built, (record, way)
    assert not re.search(r"\d+(\.\d+)? ?(GFLOP/s|min \d+ s|images/s)", page), (
        "docs/performance.md types a measured figure: take it from its record")
    with pytest.raises(FileNotFoundError, match="benchmarks/missing.json"):
        hook.on_page_markdown("<!-- speed: benchmarks/missing.json -->", None, None, None)


def test_the_replication_table_is_the_commands_output_on_the_committed_measurements(capsys):
    """docs/statistics.md's false-alarm table is what `freezecheck replication` prints
    for the measurements it names, not a copy that a new measurement or rule leaves
    behind."""
    import glob
    import shlex

    from freezecheck.cli.main import main

    page = (ROOT / "docs" / "statistics.md").read_text()
    found = re.search(r"<!-- replication: python -m freezecheck (.+?) -->\n(.*?)\n"
                      r"<!-- /replication -->", page, re.S)
    assert found, "docs/statistics.md has no <!-- replication: ... --> block"
    words = shlex.split(found.group(1))
    files = [path for word in words[1:] for path in sorted(glob.glob(str(ROOT / word)))]
    assert main([words[0], *files]) == 0
    printed = capsys.readouterr().out.strip()
    assert found.group(2).strip() == printed, (
        "docs/statistics.md's replication table is not what the command prints now: "
        "run it and paste its output between the markers")
