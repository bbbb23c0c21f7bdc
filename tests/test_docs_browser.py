"""The docs site in headless Chromium: at a 1280 px wide window, the tables of the option
and command pages, and the widest ones (findings, statistics), fit the page's column, with
nothing hidden beyond its edge or inside a scroller, and a code block wider than the
column scrolls rather than being cut off.

The site is built here with ``mkdocs build --strict`` (the ``docs`` extra), or taken
from FREEZECHECK_BROWSER_DOCS=DIR, a site already built (CI builds it once, strictly,
and then checks that one). Chromium measures the page as laid out: a small script,
appended to a copy of each page, writes the widths into the DOM, and ``--dump-dom``
returns them. Screenshots of each page are left in the test's tmp directory.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chromium import chromium, need_chromium  # tests/chromium.py

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("options", "commands", "findings", "statistics")
WIDTH = 1280

# Runs after the page's own scripts (the theme wraps tables in its own elements). The
# column is the content area the theme gives the page's text; an element "scrolls" when
# its content is wider than its box (a table in a scroller, part of it out of view).
PROBE = r"""
addEventListener("load", () => setTimeout(() => {
  const slack = 1;  // px: sub-pixel rounding
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].map(c => "." + c).join("");
  const columnOf = el => el.closest(".md-content, [role=main], main") || document.body;
  const wider = el => getComputedStyle(el).display !== "inline" &&
    el.scrollWidth > el.clientWidth + slack;
  const scrolls = el => getComputedStyle(el).overflowX !== "visible" && wider(el);
  const outside = (rect, box) => rect.left < box.left - slack || rect.right > box.right + slack;
  const tables = [...document.querySelectorAll("table")].map(table => {
    const column = columnOf(table), box = column.getBoundingClientRect();
    const chain = [];
    for (let el = table; el; el = el.parentElement) {
      chain.push(el);
      if (el === column) break;
    }
    return {
      header: (table.rows[0] ? table.rows[0].innerText : "").replace(/\s+/g, " ").trim(),
      width: Math.round(table.getBoundingClientRect().width),
      column: name(column), column_width: Math.round(box.width),
      outside_column: chain.filter(el => el !== column &&
        outside(el.getBoundingClientRect(), box)).map(name),
      scrolling: chain.filter(scrolls).map(name),
    };
  });
  const code = [...document.querySelectorAll("pre")].map(pre => {
    const box = columnOf(pre).getBoundingClientRect();
    const wide = [pre, ...pre.children].filter(wider);
    return {
      text: pre.innerText.trim().split("\n")[0].slice(0, 60),
      outside_column: outside(pre.getBoundingClientRect(), box),
      cut_off: wide.filter(el => !["auto", "scroll"].includes(getComputedStyle(el).overflowX))
        .map(name),
    };
  });
  const out = document.createElement("script");
  out.type = "application/json";
  out.id = "freezecheck-probe";
  out.textContent = JSON.stringify({window_width: innerWidth, tables, code});
  document.body.append(out);
}, 500));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A copy of the built site, each checked page carrying the probe."""
    need_chromium()
    given = os.environ.get("FREEZECHECK_BROWSER_DOCS")
    copy = tmp_path_factory.mktemp("docs") / "site"
    if given:
        built = Path(given)
        assert (built / "index.html").is_file(), (
            f"FREEZECHECK_BROWSER_DOCS={given}: no built site there (mkdocs build --strict)")
        shutil.copytree(built, copy)
    else:
        for module, what in (("mkdocs", "MkDocs"), ("material", "MkDocs Material"),
                             ("mkdocstrings", "mkdocstrings")):
            pytest.importorskip(module, reason=f"needs {what}: pip install -e '.[docs]'")
        built = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(copy)],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        assert built.returncode == 0, built.stderr
    (copy / "freezecheck-probe.js").write_text(PROBE)
    for page in PAGES:
        html = copy / page / "index.html"
        text = html.read_text()
        assert "</body>" in text, html
        html.write_text(text.replace(
            "</body>", '<script src="../freezecheck-probe.js"></script></body>', 1))
    return copy


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES)
def test_tables_fit_the_page_at_1280_px(site, page, tmp_path):
    url = (site / page / "index.html").as_uri()
    screenshot = tmp_path / f"{page}-{WIDTH}px.png"
    shot = chromium(f"--screenshot={screenshot}", f"--window-size={WIDTH},2000", url,
                    cwd=tmp_path)
    assert shot.returncode == 0 and screenshot.read_bytes()[:4] == b"\x89PNG", shot.stderr

    dom = chromium("--dump-dom", f"--window-size={WIDTH},2000", url, cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr
    found = re.search(r'<script type="application/json" id="freezecheck-probe">(.*?)</script>',
                      dom.stdout, re.S)
    assert found, f"{page}: the probe wrote no measurements (did the page load?)"
    measured = json.loads(found.group(1))
    assert measured["window_width"] == WIDTH, measured["window_width"]
    assert measured["tables"], f"{page}: no table found"

    problems = []
    for number, table in enumerate(measured["tables"], 1):
        where = (f"table {number} ({table['header'][:50]}): {table['width']} px wide in "
                 f"{table['column']}, {table['column_width']} px")
        if table["outside_column"]:
            problems.append(f"{where}; past the column's edge: {table['outside_column']}")
        if table["scrolling"]:
            problems.append(f"{where}; wider than its box, partly out of view: "
                            f"{table['scrolling']}")
    for block in measured["code"]:
        if block["outside_column"]:
            problems.append(f"code block {block['text']!r}: past the column's edge")
        if block["cut_off"]:
            problems.append(f"code block {block['text']!r}: wider than its box and does not "
                            f"scroll: {block['cut_off']}")
    assert not problems, (f"{page} at {WIDTH} px (screenshot: {screenshot}):\n  "
                          + "\n  ".join(problems))


def test_the_api_reference_covers_every_public_name():
    """docs/api.md has an entry for each name ``freezecheck`` exports."""
    import freezecheck

    entries = set(re.findall(r"^::: ([\w.]+)$", (ROOT / "docs" / "api.md").read_text(), re.M))
    missing = [name for name in freezecheck.__all__
               if f"{freezecheck._PUBLIC[name]}.{name}" not in entries]
    assert not missing, f"docs/api.md documents no {missing}"


@pytest.mark.browser
def test_the_report_screenshot_shows_the_current_test_ids(tmp_path):
    """docs/reports.md's screenshot is the sample record's page (docs/sample_session.py,
    whose digest the PNG carries: tests/test_docs_figures.py). That page, as Chromium lays
    it out, shows each variant by the id its tests carry now in examples/digits-mlp."""
    import importlib.util

    need_chromium()
    spec = importlib.util.spec_from_file_location(
        "sample_session", ROOT / "docs" / "sample_session.py")
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    results = sample.load()
    page = sample.write_report(results, tmp_path / "report")
    dom = chromium("--dump-dom", f"--window-size={WIDTH},{sample.HEIGHT}", page.as_uri(),
                   cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr
    shown = set(re.findall(r'<tr class="[^"]*" id="([^"]+)">', dom.stdout))
    in_ids = {re.search(r"\[(.*)\]$", nodeid).group(1) for nodeid in results["tests"]}
    assert shown == in_ids, (shown, in_ids)
    assert "-frozen=" not in dom.stdout
