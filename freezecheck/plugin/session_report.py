"""The session's report, on the controller: each run said as it arrives, the summary
table at the end, and the report files (freezecheck/reporting/report.py)."""

from __future__ import annotations

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
        self.terminal = None
        self.started = None  # the session's start, UTC

    def pytest_sessionstart(self, session):
        import datetime

        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.terminal = session.config.pluginmanager.get_plugin("terminalreporter")

    def context(self):
        """What the session ran, from its runs: per experiment, its data set, tier and
        gates."""
        from freezecheck.reporting.report import Context, final_gate
        from freezecheck.train.backend import environment_name

        experiments: dict[str, dict] = {}
        for r in self.runs.values():
            experiments.setdefault(r["experiment"], r)
        first = next(iter(experiments.values()))
        return Context(
            environment=environment_name(),
            # results.json names the data set as a session selects it (its key), the
            # report's title as its reader knows it (its title, or a Dataset's name)
            dataset=", ".join(dict.fromkeys(r.get("dataset", r["dataset_title"])
                                            for r in experiments.values())),
            dataset_title=", ".join(dict.fromkeys(r["dataset_title"]
                                                  for r in experiments.values())),
            tier=", ".join(dict.fromkeys(r["tier"] for r in experiments.values())),
            seeds=tuple(sorted({r["seed"] for r in self.runs.values()})),
            gates=first["curve_gates"],
            model_gates={name: final_gate(r["curve_gates"]) for name, r in experiments.items()},
            experiment_gates={name: r["curve_gates"] for name, r in experiments.items()})

    def pytest_runtest_logreport(self, report):
        for figures in getattr(report, "freezecheck_runs", None) or ():
            key = f"{figures['variant']} seed={figures['seed']:04d}"
            if key not in self.runs:
                self._say(figures)
            elif self.runs[key]["trained"]:  # trained by one worker, loaded by another
                figures = {**figures, "trained": True, "worker": self.runs[key]["worker"]}
            self.runs[key] = figures
        self._note_test(report)
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
        how = (f"trained in {figures['train_seconds']:.0f} s" if figures["trained"]
               else "loaded from the store")
        metric = figures.get("metric")  # gated on another metric than accuracy
        gated = ("" if figures.get("final_metric") is None
                 else f", {metric['name']} {figures['final_metric']:.4f}")
        self.terminal.write_line(
            f"freezecheck: {figures['variant']} seed {figures['seed']}: val accuracy "
            f"{figures['final_val_accuracy']:.2%}{gated} after {len(figures['val_accuracy'])} "
            f"epochs, {how}")

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
        written = write_results(self.directory, self.runs, tests, context, metadata)
        terminalreporter.write_sep("=", "freezecheck")
        judged = verdicts(self.runs, tests, context)
        for line in table(self.runs, tests, context, judged):
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
