"""MkDocs hook: a page's benchmark figures, written from the committed record they come
from. A line ``<!-- speed: benchmarks/NAME.json -->`` becomes that record's tables, as
``benchmarks/speed.py`` writes them beside it (its command, machine, ways and targets),
so that a page cannot show other figures than the record's."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!-- speed: (benchmarks/[\w.-]+\.json) -->$", re.M)


def _speed_module():
    spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def speed_tables(record: str) -> str:
    path = ROOT / record
    if not path.is_file():
        raise FileNotFoundError(f"docs: {record}, named by a speed marker, is missing")
    return f"From `{record}`:\n\n" + _speed_module().markdown(json.loads(path.read_text()))


def on_page_markdown(markdown, page, config, files):
    return MARKER.sub(lambda found: speed_tables(found.group(1)), markdown)
