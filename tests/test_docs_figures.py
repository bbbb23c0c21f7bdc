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


def test_the_power_table_is_the_commands_output_on_the_committed_planted_runs(capsys):
    """docs/statistics.md's power table is what `freezecheck power` prints for the
    planted runs committed, however many of them there are."""
    import shlex

    from freezecheck.builtin.commands import main

    page = (ROOT / "docs" / "statistics.md").read_text()
    found = re.search(r"<!-- power: python -m freezecheck power (.+?) -->\n(.*?)\n"
                      r"<!-- /power -->", page, re.S)
    assert found, "docs/statistics.md has no <!-- power: ... --> block"
    assert main(["power", *(str(ROOT / word) for word in shlex.split(found.group(1)))]) == 0
    printed = capsys.readouterr().out.strip()
    assert found.group(2).strip() == printed, (
        "docs/statistics.md's power table is not what the command prints now: run it and "
        "paste its output between the markers")


# ---------------------------------------------------------------------------------------
# Every other figure a page states, beside the record or the code it comes from. Each row:
# the page, a pattern whose groups are the figures as the page words them, and what they
# must be, computed from the committed record (or, for a setting, the code that defines
# it). A page that rewords a phrase fails here until its row follows.

def _text(path: str) -> str:
    return (ROOT / path).read_text()


def _markdown_table(path: str, first_cell: str) -> dict[str, list[str]]:
    """The rows of the Markdown table in ``path`` whose header starts with ``first_cell``,
    by their first cell."""
    lines = _text(path).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_cell} |"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


AVX512 = "benchmarks/across-versions/full-epyc-avx512"


def _compare(path: str) -> dict[str, list[str]]:
    return _markdown_table(path, "variant")


def _identical_groups() -> dict[str, list[str]]:
    """identical.md's per-variant table: curve / final / epochs, split."""
    return {variant: [part.strip() for part in cells[0].split("/")]
            for variant, cells in _markdown_table(f"{AVX512}/identical.md", "variant").items()}


def _identical_references() -> dict[str, list[str]]:
    return _markdown_table(f"{AVX512}/identical.md", "environment")


def _words(n: int) -> str:
    return {2: "two", 3: "three", 4: "four", 5: "five", 9: "nine", 11: "eleven"}.get(n, str(n))


def _settings():
    from freezecheck.builtin import settings
    return settings


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _points(fraction: float) -> str:
    return f"{fraction * 100:g}"


def _smoke_finals() -> dict[str, list[float]]:
    rows = _compare("benchmarks/across-versions/smoke/compare.md")
    return {variant: [float(cell.rstrip("%*")) for cell in cells[0::2]]
            for variant, cells in rows.items()}


def _smoke_figures():
    finals = _smoke_finals()
    every = [value for values in finals.values() for value in values]
    gaps = {variant: max(base - own for base, own in
                         zip(finals[variant.split("[")[0] + "[none]"], values))
            for variant, values in finals.items()}
    farthest = max(gaps, key=gaps.get)
    return (f"{min(every):.1f}", f"{max(every):.1f}", farthest, f"{gaps[farthest]:.2f}")


def _measurements(pattern: str) -> list[dict]:
    import glob
    return [json.loads(line) for path in sorted(glob.glob(str(ROOT / pattern)))
            for line in Path(path).read_text().splitlines() if line.strip()]


def _baseline_spread():
    """The baseline seeds 0-4 of the committed measurements: the largest spread at an
    epoch (points), its epoch, the model's, the largest at any other epoch, and the
    epochs at which the seeds reach the curve level."""
    level = _settings().TIER_GATES["full"].curve_level
    lines = _measurements("measurements/py311-tf221/mnist-*.jsonl")
    figures = {}
    for model in ("lenet5", "lenet"):
        curves = {line["seed"]: line["val_accuracy"] for line in lines
                  if line["variant"] == f"{model}[none]" and line["seed"] in range(5)}
        assert sorted(curves) == list(range(5)), model
        spread = [(max(c[e] for c in curves.values()) - min(c[e] for c in curves.values())) * 100
                  for e in range(len(next(iter(curves.values()))))]
        reached = [next(e + 1 for e, v in enumerate(c) if v >= level) for c in curves.values()]
        widest = max(range(len(spread)), key=spread.__getitem__)
        figures[model] = (spread, widest, reached)
    spread5, widest5, reached5 = figures["lenet5"]
    spread, _, reached = figures["lenet"]
    return (f"{spread5[widest5]:.2f}", str(widest5 + 1), f"{max(spread):.2f}",
            f"{max(s for e, s in enumerate(spread5) if e != widest5):.2f}",
            f"{min(reached5)} to {max(reached5)}", f"{min(reached)} to {max(reached)}")


def _first_at(curve, level) -> str:
    return str(next((e + 1 for e, v in enumerate(curve) if v >= level), "never"))


def _machine_b_seconds():
    said = re.search(r"full-tier runs of (\d+) to (\d+) s \(LeNet\) and (\d+) to (\d+) s "
                     r"\(LeNet-5\)", " ".join(_text("benchmarks/ci-timings.md").split()))
    return said.groups()


def _durations(text: str, pattern: str) -> list[int]:
    return sorted(int(m) * 60 + int(s) for m, s in
                  re.findall(pattern + r"(\d+) min (\d+) s", " ".join(text.split())))


def _min_s(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60} s"


def _session_times():
    readme = _text(f"{AVX512}/README.md")
    regeneration = _durations(readme, r"a regeneration session here, ")
    with_store = _durations(readme, r"1 skipped, ")
    with_store = [s for s in with_store if s < 5 * 60]  # those with the store, not new ones
    epyc = _durations(_text("benchmarks/across-versions/full-epyc/README.md"),
                      r"`py311-tf216` \| [^|]*\| regeneration \S+ \(40 passed, [^)]*?, ")
    return (_min_s(regeneration[0]), _min_s(regeneration[-1]), _min_s(with_store[0]),
            _min_s(with_store[-1]), _min_s(epyc[0]))


def scaling_figures() -> dict:
    """docs/scaling.md's figures, from benchmarks/scaling-inputs.json and the committed
    measurements, computed as the page says they are."""
    import statistics

    inputs = json.loads(_text("benchmarks/scaling-inputs.json"))
    lines = _measurements("measurements/py311-tf221/mnist-*.jsonl")
    models = ("lenet", "lenet5")
    seconds = {m: statistics.median(line["train_seconds"] for line in lines
                                    if line["model"] == m) for m in models}
    sweep = inputs["sweep"]
    runs = {m: sweep["variants_per_dataset"][m] * sweep["seeds"] * sweep["datasets"]
            * sweep["environments"] for m in models}
    total = sum(runs.values())
    core_seconds = sum(runs[m] * seconds[m] for m in models)
    mean_run = core_seconds / total
    shipped = {m: inputs["records"][m]["shipped_bytes"] for m in models}
    stored = {m: inputs["records"][m]["store_bytes"] for m in models}
    mean_record = sum(runs[m] * shipped[m] for m in models) / total
    line_bytes = {m: statistics.mean(len(json.dumps(line)) + 1 for line in lines
                                     if line["model"] == m) for m in models}
    link_runs = 125e6 / mean_record
    receive_ms = shipped["lenet"] / (inputs["scheduler"]["payload_megabytes_per_second"] * 1e6) * 1e3
    write_ms = {m: inputs["records"][m]["client_write_seconds"] * 1e3 for m in models}

    def wall(n):
        hours = core_seconds / (2 * n) / 3600
        return f"{hours:.0f} h" if hours >= 10 else (
            f"{hours:.1f} h" if hours >= 1 else (
                f"{hours * 60:.0f} min" if hours * 60 >= 10 else f"{hours * 60:.1f} min"))

    def rate(value):
        return f"{value:.2f}" if value < 0.1 else (f"{value:.1f}" if value < 10 else f"{value:.0f}")

    return {
        "seconds": (f"{seconds['lenet']:.1f}", f"{seconds['lenet5']:.1f}"),
        "runs": tuple(f"{n:,}" for n in (*sweep["variants_per_dataset"].values(),
                                         sum(sweep["variants_per_dataset"].values()),
                                         runs["lenet"], runs["lenet5"], total)),
        "bytes": tuple(f"{shipped[m] / 1e6:.2f}" for m in models)
        + tuple(f"{stored[m] / 1e6:.2f}" for m in models)
        + tuple(f"{write_ms[m]:.1f}" for m in models)
        + tuple(f"{line_bytes[m] / 1e3:.1f}" for m in models),
        "scheduler": (f"{inputs['scheduler']['noop_tasks_per_second']:.0f}",
                      f"{inputs['scheduler']['payload_tasks_per_second']:.0f}",
                      f"{inputs['scheduler']['payload_megabytes_per_second']:.0f}"),
        "sweep": (f"{core_seconds:,.0f}", f"{core_seconds / 3600:.0f}", f"{mean_run:.1f}"),
        "machines": tuple((f"{n:,}", wall(n), rate(2 * n / mean_run),
                           rate(2 * n / mean_run * mean_record / 1e6))
                          for n in (1, 10, 100, 1000)),
        "record": (f"{mean_record / 1e6:.2f}", f"{total:,}", f"{total // 2:,}"),
        "client": (f"{sum(runs[m] * shipped[m] for m in models) / 1e9:.0f}",
                   f"{runs['lenet'] * shipped['lenet'] / sum(runs[m] * shipped[m] for m in models):.0%}",
                   f"{sum(runs[m] * stored[m] for m in models) / 1e9:.0f}",
                   f"{runs['lenet'] * stored['lenet'] / 1e9:.1f}",
                   f"{runs['lenet5'] * stored['lenet5'] / 1e9:.1f}",
                   f"{sum(runs[m] * line_bytes[m] for m in models) / 1e6:.0f}"),
        "link": (f"{receive_ms:.0f}", f"{write_ms['lenet']:.0f}",
                 f"{1e3 / (receive_ms + write_ms['lenet']):.0f}", f"{link_runs:.0f}",
                 f"{mean_run:.1f}", f"{link_runs:.0f}",
                 f"{round(link_runs * mean_run / 2, -1):,.0f}"),
    }


def _cpu_types_differ():
    level = _settings().TIER_GATES["full"].curve_level
    machine_b = json.loads(_text("benchmarks/across-versions/full-epyc/py311-tf221/results.json"))
    run_b = next(run for run in machine_b["runs"] if run["variant"] == "lenet5[conv2]")
    machine_a = json.loads(_text(
        "freezecheck/builtin/references/py311-tf221/lenet5[conv2].json"))
    return (f"{level:.1%}", _first_at(run_b["val_accuracy"], level),
            _first_at(machine_a["val_accuracy"], level))


def _supported():
    from freezecheck.train.backend import SUPPORTED_TENSORFLOW
    return tuple(f"{major}.{minor}" for major, minor in SUPPORTED_TENSORFLOW)


def _tox_environments() -> int:
    from freezecheck.judge.references import SUPPORTED_ENVIRONMENTS
    return len(SUPPORTED_ENVIRONMENTS)


def _builtin_runs() -> int:
    from freezecheck.builtin.families import family
    return sum(len(family("single", model)) for model in ("lenet", "lenet5"))


def _family_sizes(model: str) -> tuple:
    from freezecheck.builtin.families import FAMILIES, family
    return tuple(str(len(family(name, model))) for name in FAMILIES)


def _blocks_session_runs() -> int:
    """A blocks session of LeNet-5 at one seed trains its blocks and their baseline."""
    from freezecheck.builtin.families import family
    return len(family("blocks", "lenet5")) + 1


def _full():
    return _settings().TIER_GATES["full"]


def _smoke():
    return _settings().TIER_GATES["smoke"]


S = r"\s+"  # a line break or a space: pages wrap where they like

FIGURES = [
    # README and getting started
    ("README.md", r"`examples/` holds\s+(\w+) that CI runs",
     lambda: (_words(len([p for p in (ROOT / "examples").iterdir() if p.is_dir()])),)),
    ("README.md", r"TensorFlow (2\.\d+) \(Keras 2\) to (2\.\d+) \(Keras 3\)", _supported),
    ("docs/getting-started.md", r"TensorFlow (2\.\d+) \(Keras 2\) to (2\.\d+) \(Keras 3\)",
     _supported),
    ("docs/getting-started.md", r"trains (\w+) epochs on ([\d,]+) images",
     lambda: (_words(_settings().SMOKE_RECIPES["lenet"].epochs),
              f"{_settings().SMOKE_RECIPES['lenet'].train_images:,}")),
    ("docs/getting-started.md", r"the last ([\d,]+) of the ([\d,]+) training images",
     lambda: (f"{__import__('freezecheck.builtin.datasets').builtin.datasets.VALIDATION_SIZE:,}",
              "60,000")),
    ("docs/getting-started.md", r"Training uses the first ([\d,]+)\.",
     lambda: (f"{_settings().FULL_EPOCH_IMAGES:,}",)),
    ("docs/options.md", r"\(two epochs on\s+([\d,]+) images, gates (\d+)%, (\d+) points, (\d+)%, "
     r"(\d+) epoch\)",
     lambda: (f"{_settings().SMOKE_RECIPES['lenet'].train_images:,}",
              _points(_smoke().min_accuracy), _points(_smoke().curve_band),
              _points(_smoke().curve_level), str(_smoke().curve_max_lag))),
    # the recipe
    ("docs/recipe.md", r"learning rate\s+(\S+) with cosine decay to zero over the run, batch "
     r"(\d+), (\d+) epochs \(`lenet`\) or (\d+)\s+\(`lenet5`\)",
     lambda: (f"{_settings().FULL_RECIPES['lenet'].learning_rate:.0e}".replace("e-0", "e-"),
              str(_settings().FULL_RECIPES["lenet"].batch_size),
              str(_settings().FULL_RECIPES["lenet"].epochs),
              str(_settings().FULL_RECIPES["lenet5"].epochs))),
    ("docs/recipe.md", r"the first ([\d,]+)\s+training images, (\w+) epochs, its own gates "
     r"\(final accuracy at least\s+(\d+)%, band (\d+) points, (\d+)% within (\w+) epoch",
     lambda: (f"{_settings().SMOKE_RECIPES['lenet'].train_images:,}",
              _words(_settings().SMOKE_RECIPES["lenet"].epochs),
              _points(_smoke().min_accuracy), _points(_smoke().curve_band),
              _points(_smoke().curve_level),
              {1: "one"}.get(_smoke().curve_max_lag, str(_smoke().curve_max_lag)))),
    ("docs/recipe.md", r"every variant ends between ([\d.]+)% and\s+([\d.]+)%; the farthest "
     r"from its baseline after the last epoch is `([^`]+)`, ([\d.]+)\s+points behind",
     _smoke_figures),
    ("docs/recipe.md", r"(\d+) or (\d+) epochs, the\s+(\d+)% gate",
     lambda: (str(_settings().FULL_RECIPES["lenet"].epochs),
              str(_settings().FULL_RECIPES["lenet5"].epochs), _points(_full().min_accuracy))),
    # what each test asserts
    ("docs/tests.md", r"the final validation accuracy is at least (\d+)%",
     lambda: (_points(_full().min_accuracy),)),
    ("docs/tests.md", r"<= ([\d.]+) points\s+\(`--freezecheck-curve-band=([\d.]+)`\)",
     lambda: (_points(_full().curve_band), f"{_full().curve_band:g}")),
    ("docs/tests.md", r"reaches ([\d.]+)% \(`--freezecheck-curve-level`\)\s+differ by at most "
     r"(\d+) epochs",
     lambda: (_points(_full().curve_level), str(_full().curve_max_lag))),
    ("docs/tests.md", r"by up to ([\d.]+) points at one epoch \(`lenet5`, epoch (\d+), where "
     r"one seed dips\s+mid-training; ([\d.]+) for `lenet`\) and by at most ([\d.]+) at every "
     r"other epoch[\s\S]*?at most one epoch apart \(epochs (\d+ to \d+)\s+for `lenet5`, "
     r"(\d+ to \d+) for `lenet`\)", _baseline_spread),
    # families and statistics
    ("docs/statistics.md", r"`lenet5` has (\d+) \+ (\d+) \+ (\d+) \+ (\d+) variants",
     lambda: _family_sizes("lenet5")),
    ("docs/statistics.md", r"`lenet` (\d+) \+ (\d+) \+ (\d+) \+ (\d+)\.",
     lambda: _family_sizes("lenet")),
    ("docs/statistics.md", r"\((\d+) full-tier runs; a run's time[\s\S]*?the LeNet-5 blocks on "
     r"MNIST at one seed train\s+(\d+) full-tier runs",
     lambda: (str(_blocks_session_runs()),) * 2),
    ("docs/statistics.md", r"reach the curve level \(([\d.]+)% on MNIST\)",
     lambda: (_points(_full().curve_level),)),
    ("docs/statistics.md", r"\*\*MNIST: ([\d.]+) points\.\*\* The validation set holds "
     r"([\d,]+) images",
     lambda: (f"{__import__('freezecheck.describe.recipe').describe.recipe.DEFAULT_MARGIN * 100:.2f}",
              f"{__import__('freezecheck.builtin.datasets').builtin.datasets.VALIDATION_SIZE:,}")),
    ("docs/statistics.md", r"\*\*Fashion-MNIST: ([\d.]+) points\*\*",
     lambda: (f"{_settings().FASHION_CURVE['curve_margin'] * 100:.2f}",)),
    ("docs/own-experiment.md", r"default ([\d.]+) points",
     lambda: (f"{__import__('freezecheck.describe.recipe').describe.recipe.DEFAULT_MARGIN * 100:.2f}",)),
    # determinism and versions
    ("docs/determinism.md", r"none of the AVX-512 EPYC's runs, up to ([\d.]+) points away",
     lambda: (max(cells[-1] for cells in _identical_references().values()),)),
    ("docs/versions.md", r"freezecheck supports (\w+) environments",
     lambda: (_words(_tox_environments()),)),
    ("docs/versions.md", r"repeated exactly by 0 of (\d+) runs each there, and differ by up "
     r"to ([\d.]+), ([\d.]+) and ([\d.]+)\s+points",
     lambda: (str(_builtin_runs()),
              *(_identical_references()[env][-1] for env in
                ("py311-tf216", "py311-tf220", "py311-tf221-keras2")))),
    ("docs/versions.md", r"differ from the runs there by at most ([\d.]+) \(`py311-tf216`\),\s+"
     r"([\d.]+) \(`py311-tf220`\) and ([\d.]+) \(`py311-tf221-keras2`\)",
     lambda: tuple(_identical_references()[env][-1] for env in
                   ("py311-tf216", "py311-tf220", "py311-tf221-keras2"))),
    ("docs/versions.md", r"\(([\d.]+) points for LeNet-5, ([\d.]+) for LeNet on MNIST\)",
     lambda: tuple(f"{json.loads(_text('freezecheck/builtin/expectations.json'))['measured']['py311-tf221']['mnist']['seed_spread'][m] * 100:.2f}"
                   for m in ("lenet5", "lenet"))),
    ("docs/versions.md", r"`lenet\[fc1\]` reaches 99% at epoch (\d+) on 2\.15 and (\d+) on 2\.21, "
     r"`lenet\[none\]` at (\d+) and (\d+)",
     lambda: (*(_compare("benchmarks/across-versions/full/compare.md")["lenet[fc1]"][i]
                for i in (1, 3)),
              *(_compare("benchmarks/across-versions/full/compare.md")["lenet[none]"][i]
                for i in (1, 3)))),
    ("docs/versions.md", r"\*\*bitwise identical\*\*: all (\d+) runs",
     lambda: (str(_builtin_runs()),)),
    ("docs/versions.md", r"no curve moves by more than ([\d.]+) points at an epoch, no final "
     r"accuracy by more than ([\d.]+) \|",
     lambda: (max(cells[0] for cells in _identical_groups().values()),
              max(cells[1].lstrip("+-") for cells in _identical_groups().values()))),
    ("docs/versions.md", r"inside the curve tolerance \(([\d.]+) points\) and the lag allowed "
     r"\((\d+) epochs at\s+([\d.]+)%\)\. The largest, `([^`]+)`'s ([\d.]+) points, is one "
     r"epoch: 2\.17 to 2\.21 dip to\s+([\d.]+)% at the (\w+)\. The final accuracies agree "
     r"to ([\d.]+) points",
     lambda: (_points(_full().curve_band), str(_full().curve_max_lag),
              _points(_full().curve_level),
              max(_identical_groups(), key=lambda v: float(_identical_groups()[v][0])),
              max(cells[0] for cells in _identical_groups().values()),
              f"{json.loads(_text('freezecheck/builtin/references/py311-tf221/lenet5[none].json'))['val_accuracy'][3] * 100:.2f}",
              "fourth",
              max(cells[1].lstrip("+-") for cells in _identical_groups().values()))),
    ("docs/versions.md", r"curve within the curve tolerance \(([\d.]+) points\)",
     lambda: (_points(_full().curve_band),)),
    ("docs/versions.md", r"run took (\d+-\d+ s), a LeNet run (\d+-\d+ s)",
     lambda: re.search(r"A LeNet-5 full-tier run took (\d+-\d+ s) here, a LeNet run "
                       r"(\d+-\d+ s)", " ".join(_text(f"{AVX512}/README.md").split())).groups()),
    ("docs/versions.md", r"about (\d+) minutes\s+for the eleven runs \(a regeneration session, "
     r"(\d+ min \d+ s) to (\d+ min \d+ s)\), and (\d+ min \d+ s)\s+to (\d+ min \d+ s) for the "
     r"whole suite once the store holds them; on the AVX2 EPYC, the\s+regeneration session of "
     r"`py311-tf216` took (\d+ min \d+ s)",
     lambda: (re.search(r"the eleven runs about (\d+) minutes",
                        " ".join(_text(f"{AVX512}/README.md").split())).group(1),
              *_session_times())),
    # sweeps past one machine
    ("docs/scaling.md", r"\| variants per data set \(baselines counted once\) \| (\S+) \| (\S+) \| "
     r"(\S+) \|\n\| runs \(x 5 seeds x 2 data sets x 9 environments\) \| (\S+) \| (\S+) \| "
     r"\*\*(\S+)\*\* \|", lambda: scaling_figures()["runs"]),
    ("docs/scaling.md", r"machine A \| ([\d.]+) s \| ([\d.]+) s \|",
     lambda: scaling_figures()["seconds"]),
    ("docs/scaling.md", r"the same on machine B \| (\d+) to (\d+) s \| (\d+) to (\d+) s \|",
     _machine_b_seconds),
    ("docs/scaling.md", r"weights before and after\) \| ([\d.]+) MB \| ([\d.]+) MB \|[^\n]*\n"
     r"[^\n]*store \| ([\d.]+) MB \| ([\d.]+) MB \|[^\n]*\n"
     r"[^\n]*store \| ([\d.]+) ms \| ([\d.]+) ms \|[^\n]*\n"
     r"\| one measurements line \| ([\d.]+) KB \| ([\d.]+) KB \|",
     lambda: scaling_figures()["bytes"]),
    ("docs/scaling.md", r"`as_completed` \| (\d+) per second \|\n[^\n]*\| (\d+) per second, "
     r"(\d+) MB/s \|", lambda: scaling_figures()["scheduler"]),
    ("docs/scaling.md", r"The whole sweep is ([\d,]+) core-seconds on machine A \((\d+) "
     r"core-hours;\s+mean run ([\d.]+) s\)", lambda: scaling_figures()["sweep"]),
    *[("docs/scaling.md", rf"\n\| ({re.escape(n)}) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|\n",
       lambda i=i: scaling_figures()["machines"][i])
      for i, n in enumerate(("1", "10", "100", "1,000"))],
    ("docs/scaling.md", r"the mean record, ([\d.]+) MB\.\)[\s\S]*?at ([\d,]+) runs, more than "
     r"([\d,]+) machines", lambda: scaling_figures()["record"]),
    ("docs/scaling.md", r"(\d+) GB for the sweep \(LeNet's\s+dense layers make it (\d+%) of "
     r"that\)\.\n- \*\*On the client's disk\*\*: the run store, (\d+) GB \(([\d.]+) GB of LeNet, "
     r"([\d.]+) GB of LeNet-5\),\s+plus (\d+) MB of measurements lines",
     lambda: scaling_figures()["client"]),
    ("docs/scaling.md", r"about (\d+) ms to receive[\s\S]*?plus (\d+) ms to store it, about (\d+) "
     r"LeNet runs per second[\s\S]*?takes about (\d+) runs per second at the mean record\. At a "
     r"mean run of ([\d.]+) s, (\d+) runs per\s+second is what about ([\d,]+) two-core",
     lambda: scaling_figures()["link"]),
    ("docs/scaling.md", r"frozen reached ([\d.]+%) at\s+epoch (\d+) on machine B and at epoch "
     r"(\d+) on machine A", _cpu_types_differ),
    # performance targets, as benchmarks/speed.json holds them
    ("docs/performance.md", r"training\s+throughput at least ([\d.]+) x Keras `fit`'s[\s\S]*?at "
     r"most (\d+)% of the wall time; a warm re-run within (\d+) s; peak memory per worker at "
     r"most\s+([\d.]+) GB",
     lambda: (lambda t: (t["throughput_ratio_to_keras_fit"]["target"].split()[1],
                         f"{float(t['idle_fraction']['target'].split()[1]) * 100:g}",
                         f"{float(t['warm_rerun_seconds']['target'].split()[1]):g}",
                         f"{float(t['peak_rss_mb_per_worker']['target'].split()[1]) / 1024:g}"))(
         json.loads(_text("benchmarks/speed.json"))["targets"])),
    ("docs/reports.md", r"does not answer within (\d+) s",
     lambda: (f"{__import__('freezecheck.reporting.report').reporting.report.git_commit.__defaults__[0]:g}",)),
]


@pytest.mark.parametrize("page, pattern, expected", FIGURES,
                         ids=[f"{page}:{i}" for i, (page, _, _) in enumerate(FIGURES)])
def test_the_pages_figure_is_its_records(page, pattern, expected):
    found = re.search(pattern, _text(page))
    assert found, f"{page} no longer says {pattern!r}: update the row in FIGURES with the page"
    assert found.groups() == tuple(expected()), (page, found.group(0))


def test_the_versions_tables_are_the_records():
    """docs/versions.md's two tables: compare.md's final accuracies and epochs to 99% of
    2.21 (which 2.17 to 2.21 share) and 2.15 (which 2.16 shares), and identical.md's
    per-variant differences between the two groups."""
    compare = _compare(f"{AVX512}/compare.md")
    page = _markdown_table("docs/versions.md", "variant")
    assert set(page) == set(compare), sorted(page)
    columns = _text(f"{AVX512}/compare.md").splitlines()[0].strip("| ").split(" | ")[1:]
    tf221, tf215 = columns.index("py311-tf221 accuracy"), columns.index("py311-tf215 accuracy")
    for variant, cells in page.items():
        record = compare[variant]
        assert cells == [record[tf221], record[tf221 + 1], record[tf215], record[tf215 + 1]], variant
    groups = _identical_groups()
    text = _text("docs/versions.md")
    moves = text[text.index("| variant | largest curve difference"):]
    rows = {}
    for line in moves.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    assert set(rows) == set(groups), sorted(rows)
    for variant, cells in rows.items():
        assert cells == groups[variant], variant
