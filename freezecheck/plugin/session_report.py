"""The session's report, on the controller: each run said as it arrives, the summary
table at the end, and the report files (freezecheck/reporting/report.py)."""

from __future__ import annotations

import contextlib
from pathlib import Path


class SessionIdToWorkers:
    """Gives every xdist worker the controller's session id."""

    def __init__(self, session: str):
        self.session = session

    def pytest_configure_node(self, node):
        node.workerinput["freezecheck_session"] = self.session

    def pytest_testnodedown(self, node, error):
        from freezecheck.plugin.collection import usage_error_from_worker

        usage_error_from_worker(node)


class SessionReport:
    """Collects run figures from test reports; writes them once, at the end. On the
    controller, says each run as it arrives, so that a long session under xdist is not
    a silent row of dots."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.runs: dict[str, dict] = {}
        # test id -> outcome, message, duration and worker (reporting.report.entries)
        self.tests: dict[str, dict] = {}
        self.borrowed: dict[str, list[str]] = {}  # environment -> tests judged by its reference
        # test id -> the figures of each stale declaration it reported (never a failure)
        self.stale: dict[str, list[dict]] = {}
        self.terminal = None
        self.started = None  # the session's start, UTC

    def pytest_sessionstart(self, session):
        import datetime

        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.terminal = session.config.pluginmanager.get_plugin("terminalreporter")

    def context(self):
        """What the session ran, from its runs: per experiment, its data set, tier and
        gates."""
        from freezecheck.reporting.report import context_of
        from freezecheck.train.backend import environment_name

        return context_of(self.runs, environment_name())

    def pytest_runtest_logreport(self, report):
        for figures in getattr(report, "freezecheck_runs", None) or ():
            key = f"{figures['variant']} seed={figures['seed']:04d}"
            if key not in self.runs:
                self._say(figures)
            elif self.runs[key]["trained"]:  # trained by one worker, loaded by another
                figures = {**figures, "trained": True, "worker": self.runs[key]["worker"]}
            self.runs[key] = figures
        self._note_test(report)
        for figures in getattr(report, "freezecheck_stale", None) or ():
            self.stale.setdefault(without_xdist_group(report.nodeid), []).append(figures)
        if report.when == "call":
            from freezecheck.train.backend import environment_name

            for name, value in report.user_properties:
                if name == "reference_environment" and value != environment_name():
                    self.borrowed.setdefault(value, []).append(without_xdist_group(report.nodeid))

    def _note_test(self, report) -> None:
        """A test's outcome (its call's, or the phase that did not pass), what it said
        when it did not pass, its time over all phases, and its worker."""
        entry = self.tests.setdefault(without_xdist_group(report.nodeid), {
            "outcome": None, "message": None, "duration": 0.0,
            "worker": getattr(report, "worker_id", None) or "main"})
        entry["duration"] += report.duration or 0.0
        if report.when == "call" or report.outcome != "passed":
            entry["outcome"] = _outcome(report)
            said = test_message(report)
            if said and entry["message"] and report.when == "teardown":
                said = f"{entry['message']}\n(then, in teardown:)\n{said}"
            if said:
                entry["message"] = said

    def _say(self, figures) -> None:
        if self.terminal is None or self.terminal.verbosity < 0:
            return
        writer = getattr(self.terminal, "_tw", None)
        if writer is not None and writer.width_of_current_line:
            self.terminal.write("\n")  # after a row of progress dots
        from freezecheck.reporting.report import run_line

        self.terminal.write_line(run_line(figures))

    def pytest_terminal_summary(self, terminalreporter):
        if self.borrowed:
            self._summarise_borrowed(terminalreporter)
        if not self.runs:
            return
        from freezecheck.reporting.report import session_metadata, table, verdicts, write_results

        context = self.context()
        tests = {nodeid: e for nodeid, e in self.tests.items() if e["outcome"]}
        config = terminalreporter.config
        metadata = session_metadata(self.runs, started=self.started,
                                    directory=config.invocation_params.dir,
                                    command=config.invocation_params.args)
        written = write_results(self.directory, self.runs, tests, context, metadata,
                                stale=self.stale)
        terminalreporter.write_sep("=", "freezecheck")
        judged = verdicts(self.runs, tests, context, self.stale)
        for line in table(self.runs, tests, context, judged, stale=self.stale):
            terminalreporter.write_line(line)
        page = written / "index.html"
        start = terminalreporter.config.invocation_params.dir
        terminalreporter.write_line(
            f"report: {page.relative_to(start) if page.is_relative_to(start) else page}")

    def _summarise_borrowed(self, terminalreporter):
        """Say, pass or fail, which reference curves were another environment's."""
        from freezecheck.train.backend import environment_name

        terminalreporter.write_sep("=", "freezecheck reference curves borrowed")
        for whose, tests in sorted(self.borrowed.items()):
            variants = sorted(test[test.index("[") + 1:-1] for test in tests)
            terminalreporter.write_line(
                f"{environment_name()} has no reference of its own for "
                f"{len(variants)} variant(s), compared with {whose}'s (the nearest "
                f"supported environment that has them): {', '.join(variants)}")
        terminalreporter.write_line(
            f"Create {environment_name()}'s own by running those tests in this environment "
            f"with --freezecheck-regen-references, review the files written, and commit "
            f"them (each test's message names its directory).")


@contextlib.contextmanager
def stale_declarations_noted(item):
    """Around a test's call: each StaleDeclarationWarning it raises is kept for the
    session report (its figures in the item's stash, which the call's report carries
    to the controller) and as the JUnit XML property ``freezecheck_stale_declaration``
    (its message), then warned again as raised, with every other warning, for pytest's
    warnings summary. Never changes the test's outcome."""
    import warnings

    from freezecheck.errors import StaleDeclarationWarning
    from freezecheck.plugin.keys import STALE_KEY

    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            yield
    finally:  # pytest's own recorder is back: warn what was caught again, into it
        for said in caught:
            warning = said.message
            if isinstance(warning, StaleDeclarationWarning) and warning.stale:
                item.stash.setdefault(STALE_KEY, []).append(warning.stale)
                item.user_properties.append(("freezecheck_stale_declaration",
                                             warning.stale["message"]))
            warnings.warn_explicit(warning, said.category, said.filename, said.lineno,
                                   source=said.source)


def without_xdist_group(nodeid: str) -> str:
    """The test id as without workers: --dist=loadgroup appends "@group" to it, which
    xdist tells from a parameter holding "@" by no "]" following it (as here)."""
    head, at, _ = nodeid.rpartition("@")
    return head if at and nodeid.rfind("@") > nodeid.rfind("]") else nodeid


def _outcome(report) -> str:
    if hasattr(report, "wasxfail"):
        return "xpassed" if report.passed else "xfailed"
    return report.outcome if report.when == "call" else f"{report.outcome} in {report.when}"


def test_message(report) -> str | None:
    """What a test said, from its report (on the controller too: xdist carries the
    report's longrepr): a skip's reason, an xfail's reason, a failure's message.

    A failure raised with ``pytest.fail(..., pytrace=False)`` (every freezecheck check)
    is its message as given; another keeps what pytest prints after ``E`` (the
    assertion, with the values pytest found) and where it was raised, without the
    source lines around it. None when the test passed."""
    longrepr = report.longrepr
    if hasattr(report, "wasxfail"):
        reason = report.wasxfail or ""
        return reason or None
    if report.passed or longrepr is None:
        return None
    if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3:  # a skip
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ") or None
    traceback = getattr(longrepr, "reprtraceback", None)
    entries = getattr(traceback, "reprentries", None)
    if not entries or getattr(traceback, "style", None) == "value":
        return _text(longrepr) or None
    last = entries[-1]
    said = [line[1:] for line in getattr(last, "lines", ()) if line.startswith("E")]
    if not said:
        crash = getattr(longrepr, "reprcrash", None)
        return (crash.message.strip() if crash is not None else _text(longrepr)) or None
    import textwrap

    message = textwrap.dedent("\n".join(said)).strip()
    location = getattr(last, "reprfileloc", None)
    if location is not None:
        message += f"\n(at {location.path}:{location.lineno})"
    return message


def _text(longrepr) -> str:
    """``longrepr`` as pytest prints it (its ``str``), but without the line naming the
    xdist worker (``[gw0] linux -- Python ...``) that ``report.longreprtext`` starts
    with, and without colour (FORCE_COLOR and PY_COLORS turn it on even in a string)."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", str(longrepr)).strip()


def junit_verdict(report) -> str | None:
    """The ``freezecheck_verdict`` JUnit property of a test, from the report of one of
    its phases: ``passed``, ``failed: REASON``, ``skipped: REASON``, ``error in setup:
    REASON``, ``error in teardown: REASON``, ``xfailed: REASON`` or ``xpassed``; REASON
    is the first line of what the test said. None for a phase that says nothing of the verdict (a
    set-up or tear-down that passed)."""
    from freezecheck.reporting.report import short_reason

    if report.when != "call" and report.passed:
        return None
    outcome = _outcome(report)
    if report.when != "call" and report.failed:
        outcome = f"error in {report.when}"
    elif report.when != "call":
        outcome = report.outcome  # skipped at set-up: a skip like any other
    reason = short_reason(test_message(report))
    return f"{outcome}: {reason}" if reason else outcome
