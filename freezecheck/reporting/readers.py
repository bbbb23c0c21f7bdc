"""Reading the files the commands take, record by record: the measurement lines
``freezecheck measure`` writes (JSON lines, one a run) and a session's ``results.json``.

Every record is checked field by field as it is read, so that a bad one is refused
with the file, the line (or the run, in a JSON document) and the field named, and
what was expected there, rather than failing later on a missing key
(:class:`RecordError`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from freezecheck.describe.variants import parse_id
from freezecheck.errors import ConfigError, FreezecheckError

MEASUREMENT_LINE = "a measurement line written by freezecheck measure"
MEASUREMENT_FILE = "a file of measurement lines, as freezecheck measure --out writes"
REPORT = "a results.json that a session with --freezecheck-report-dir writes"


class RecordError(FreezecheckError, ValueError):
    """A file given to a command cannot be read as the records it should hold."""


# A check takes a field's value and returns None when it is good, else what was
# expected there.

def text(value) -> str | None:
    return None if isinstance(value, str) and value else "a non-empty string"


def count(value) -> str | None:
    good = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if good else "an integer >= 0"


def count_or_none(value) -> str | None:
    return None if value is None or not count(value) else "an integer >= 0 or null"


def number(value) -> str | None:
    good = (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)
    return None if good else "a finite number >= 0"


def accuracy(value) -> str | None:
    good = (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0 <= value <= 1)
    return None if good else "an accuracy, a number in [0, 1]"


def curve(value) -> str | None:
    good = isinstance(value, list) and len(value) > 0 and not any(map(accuracy, value))
    return None if good else "a non-empty list of accuracies (numbers in [0, 1]), one an epoch"


def variant(value) -> str | None:
    expected = "a variant id, MODEL[LAYERS] or MODEL[LAYERS:INIT]"
    if not isinstance(value, str):
        return expected
    try:
        parse_id(value)
    except ConfigError:
        return expected
    return None


def listing(value) -> str | None:
    return None if isinstance(value, list) else "a list"


# What a measurement line holds that the commands read (freezecheck.cli.measure writes
# more: the recipe, the versions, who trained it, ...).
MEASUREMENT = {"environment": text, "dataset": text, "variant": variant, "seed": count,
               "val_accuracy": curve, "final_val_accuracy": accuracy}


def check(record, fields: dict, where: str, what: str, optional=()) -> dict:
    """``record``, refused unless it is a JSON object whose every field in ``fields``
    (dotted names reach into nested objects: ``recipe.seed``) passes its check; the
    names in ``optional`` may be absent. ``where`` names the record (``FILE:LINE``),
    ``what`` what it should be."""
    if not isinstance(record, dict):
        raise RecordError(f"{where}: {_kind(record)}, not a JSON object (expected {what})")
    for name, expected in fields.items():
        holder, found = record, True
        parts = name.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(holder, dict):
                parent = ".".join(parts[:depth])
                raise RecordError(f"{where}: field {parent!r} is {_show(holder)}, not a "
                                  f"JSON object (expected {what})")
            if part not in holder:
                found = False
                break
            holder = holder[part]
        if not found:
            if name in optional:
                continue
            raise RecordError(f"{where}: field {name!r} missing (expected {what})")
        problem = expected(holder)
        if problem:
            raise RecordError(f"{where}: field {name!r} is {_show(holder)}, not {problem} "
                              f"(expected {what})")
    return record


def read_text(path, what: str) -> str:
    """The text of ``path`` (``what``: the file it should be); a file that is missing
    or cannot be read is named."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordError(f"{path}: no such file (expected {what})") from None
    except OSError as exc:
        raise RecordError(f"{path}: cannot be read: {exc.strerror or exc} "
                          f"(expected {what})") from None
    except UnicodeDecodeError:
        raise RecordError(f"{path}: not a UTF-8 text file (expected {what})") from None


def located_lines(path, fields: dict = MEASUREMENT, *,
                  required: bool = True) -> list[tuple[str, dict]]:
    """``(FILE:LINE, record)`` for every non-blank line of a file of measurement lines,
    each checked against ``fields``. ``required``: a file without a line is refused."""
    located = []
    for line_number, line in enumerate(read_text(path, MEASUREMENT_FILE).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{line_number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordError(f"{where}: not valid JSON ({exc.msg}: column {exc.colno}; "
                              f"expected {MEASUREMENT_LINE})") from None
        located.append((where, check(record, fields, where, MEASUREMENT_LINE)))
    if required and not located:
        raise RecordError(f"{path}: holds no measurement line (expected {MEASUREMENT_FILE})")
    return located


def read_lines(path, fields: dict = MEASUREMENT, *, required: bool = True) -> list[dict]:
    """The records of a file of measurement lines, each checked (:func:`located_lines`)."""
    return [record for _, record in located_lines(path, fields, required=required)]


def read_json(path, what: str = REPORT):
    """The JSON document in ``path``; unparsable JSON is refused at its line."""
    try:
        return json.loads(read_text(path, what))
    except json.JSONDecodeError as exc:
        raise RecordError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}: column "
                          f"{exc.colno}; expected {what})") from None


def check_report(document, path, fields: dict, run_fields: dict, *, optional=(),
                 required: bool = True) -> dict:
    """``document`` (read from ``path``), refused unless it is a JSON object with
    ``fields`` and a list of runs each with ``run_fields`` (``optional``: names either
    may lack). ``required``: a report without a run is refused."""
    check(document, {**fields, "runs": listing}, str(path), REPORT, optional)
    for i, run in enumerate(document["runs"]):
        check(run, run_fields, f"{path}: runs[{i}]", f"a run of {REPORT}", optional)
    if required and not document["runs"]:
        raise RecordError(f"{path}: holds no run (expected {REPORT})")
    return document


def read_report(path, fields: dict, run_fields: dict, *, optional=(),
                required: bool = True) -> dict:
    """A results.json, checked (:func:`check_report`)."""
    return check_report(read_json(path), path, fields, run_fields, optional=optional,
                        required=required)


def _kind(value) -> str:
    return {dict: "a JSON object", list: "a JSON list", str: "a JSON string",
            bool: "a JSON boolean", type(None): "JSON null"}.get(type(value), "a JSON number")


def _show(value, limit: int = 60) -> str:
    """``value`` as JSON, shortened to ``limit`` characters."""
    shown = json.dumps(value)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."
