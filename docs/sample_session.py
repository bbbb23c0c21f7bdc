"""The sample session the docs show, made from one committed record.

    python docs/sample_session.py            # README's sample output and the report
                                                   # screenshot, from the record
    python docs/sample_session.py --rerun    # first run the session again, and record it

The record is ``docs/records/sample-session/results.json``: the report of ``pytest`` run in
``examples/digits-mlp`` (the experiment README's first example declares), one process.
From it this script writes

- README.md's "What a run prints" block (between the ``sample`` markers): each run's
  line and the terminal summary, as the plugin's own code words them
  (:func:`freezecheck.reporting.report.table`);
- docs/img/report-sample-session.png: that session's ``index.html``, written from the record
  by the plugin's own code and screenshotted by headless Chromium 1280 px wide (set
  FREEZECHECK_CHROMIUM to another binary than /usr/bin/chromium). The header leaves out
  the record's git commit, which a docs page would show stale. The PNG carries the
  record's sha256 in a text chunk (``freezecheck-record``).

tests/test_docs_figures.py checks that README and the screenshot are this script's output
for the committed record, and that the record's test ids are those the example collects
now; --rerun after a change that moves them.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digits-mlp"
RECORD = ROOT / "docs" / "records" / "sample-session" / "results.json"
README = ROOT / "README.md"
SCREENSHOT = ROOT / "docs" / "img" / "report-sample-session.png"
CHROMIUM = os.environ.get("FREEZECHECK_CHROMIUM", "/usr/bin/chromium")
BEGIN = ("<!-- sample: written by docs/sample_session.py from "
         "docs/records/sample-session/results.json -->")
END = "<!-- /sample -->"
WIDTH, HEIGHT = 1280, 1400
DIGEST_KEY = "freezecheck-record"


def load(record: Path = RECORD) -> dict:
    return json.loads(record.read_text())


def digest(record: Path = RECORD) -> str:
    return hashlib.sha256(record.read_bytes()).hexdigest()


def session(results: dict):
    """The record's runs (keyed as a session keys them), tests and context."""
    from freezecheck.reporting.report import context_of

    runs = {f"{r['variant']} seed={r['seed']:04d}": r for r in results["runs"]}
    return runs, results["tests"], context_of(runs, results["environment"])


def terminal_text(results: dict) -> str:
    """What the session printed, without pytest's progress dots: each run's line (in the
    table's order), then freezecheck's summary."""
    from _pytest._io import TerminalWriter

    from freezecheck.reporting.report import ordered, run_line, table

    runs, tests, context = session(results)
    separator = io.StringIO()
    writer = TerminalWriter(file=separator)
    writer.fullwidth = 80
    writer.sep("=", "freezecheck")
    lines = [run_line(r) for _, mine in ordered(runs) for r in mine]
    lines += ["...", separator.getvalue().rstrip("\n"), *table(runs, tests, context),
              "report: freezecheck-report/index.html"]
    return "\n".join(lines)


def readme_block(results: dict) -> str:
    return f"{BEGIN}\n```text\n{terminal_text(results)}\n```\n{END}"


def write_readme(results: dict) -> None:
    text = README.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"{README}: no {BEGIN!r} ... {END!r} block to write the sample into")
    README.write_text(pattern.sub(lambda _: readme_block(results), text, count=1))


def write_report(results: dict, directory: Path) -> Path:
    """The record's report files in ``directory``, as the session wrote them, but for the
    git commit in the header; returns index.html."""
    from freezecheck.reporting.report import write_results

    runs, tests, context = session(results)
    metadata = {k: v for k, v in results["metadata"].items() if k != "git_commit"}
    return write_results(directory, runs, tests, context, metadata) / "index.html"


def write_screenshot(results: dict, record: Path = RECORD) -> None:
    from PIL import Image, PngImagePlugin

    if not Path(CHROMIUM).exists():
        sys.exit(f"needs Chromium at {CHROMIUM} (apt-get install chromium, or set "
                 f"FREEZECHECK_CHROMIUM)")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        page = write_report(results, scratch / "report")
        shot = scratch / "shot.png"
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", f"--user-data-dir={scratch / 'profile'}",
             "--virtual-time-budget=5000", f"--window-size={WIDTH},{HEIGHT}",
             f"--screenshot={shot}", page.as_uri()],
            capture_output=True, text=True, timeout=120)
        if done.returncode or not shot.is_file():
            sys.exit(f"Chromium made no screenshot:\n{done.stderr}")
        info = PngImagePlugin.PngInfo()
        info.add_text(DIGEST_KEY, digest(record))
        with Image.open(shot) as image:
            image.save(SCREENSHOT, pnginfo=info, optimize=True)


def screenshot_digest(path: Path = SCREENSHOT) -> str | None:
    """The record digest a screenshot was made from (None: not made by this script)."""
    from PIL import Image

    with Image.open(path) as image:
        return image.text.get(DIGEST_KEY)


def rerun() -> None:
    """Run the example's session again, as its README says (``pytest`` from its
    directory, here in one process), and record its results.json."""
    report = EXAMPLE / "freezecheck-report"  # the default; git ignores it
    shutil.rmtree(report, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "pytest"], cwd=EXAMPLE)
    if done.returncode:
        sys.exit(f"the session in {EXAMPLE} failed (exit {done.returncode}): not recorded")
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(report / "results.json", RECORD)
    shutil.rmtree(report)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rerun", action="store_true",
                        help="run the session again and record it first")
    args = parser.parse_args(argv)
    if args.rerun:
        rerun()
    results = load()
    write_readme(results)
    write_screenshot(results)
    print(f"wrote {README.relative_to(ROOT)} and {SCREENSHOT.relative_to(ROOT)} "
          f"from {RECORD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
