"""The pytest plugin's hooks, and nothing else.

Registered through the ``pytest11`` entry point. The options are declared in
:mod:`~freezecheck.plugin.options`, the fixtures in :mod:`~freezecheck.plugin.fixtures`,
what is done to a collected session in :mod:`~freezecheck.plugin.collection` and the
session report in :mod:`~freezecheck.plugin.session_report`. Importing it imports
neither numpy nor TensorFlow, and a session without a freezecheck experiment runs as
if it were not installed.
"""

from __future__ import annotations

import uuid

import pytest

from freezecheck.errors import ConfigError
from freezecheck.plugin import collection, options
from freezecheck.plugin.fixtures import (freezecheck_experiment_references,  # noqa: F401
                                         freezecheck_experiment_run, freezecheck_options,
                                         freezecheck_store)
from freezecheck.plugin.keys import (OPTIONS_KEY, RUNS_KEY, SESSION_KEY, SHARD_KEY, STALE_KEY,
                                     STORE_KEY)
from freezecheck.plugin.schedule import parse_shard
from freezecheck.plugin.session_report import (SessionIdToWorkers, SessionReport,
                                               stale_declarations_noted)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "training: trains networks; minutes, not seconds")
    config.addinivalue_line("markers", "families: runs only with --freezecheck-families")
    config.addinivalue_line("markers", "browser: opens the HTML report in headless Chromium")
    config.addinivalue_line("markers", "freezecheck_experiment(experiment): the experiment "
                                       "a test's variant belongs to")
    config.addinivalue_line("markers", "freezecheck_family(name): the family of variants "
                                       "a test's variant belongs to")
    # A stale declaration is a warning for the summary, never an error, even in a
    # project that turns warnings into errors (a later filter takes precedence).
    config.addinivalue_line("filterwarnings",
                            "default::freezecheck.errors.StaleDeclarationWarning")
    session_options, own = options.read_options(config)
    config.stash[OPTIONS_KEY] = session_options
    try:
        config.stash[SHARD_KEY] = own["shard"] and parse_shard(own["shard"])
    except ConfigError as exc:
        raise pytest.UsageError(f"freezecheck: --freezecheck-shard: {exc}") from exc
    config.stash[STORE_KEY] = (own["store_dir"], own["retrain"])
    if hasattr(config, "workerinput"):
        config.stash[SESSION_KEY] = config.workerinput["freezecheck_session"]
    else:  # the controller, or a run without xdist
        config.stash[SESSION_KEY] = uuid.uuid4().hex
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(SessionIdToWorkers(config.stash[SESSION_KEY]))
        report_dir = own["report_dir"] or (config.invocation_params.dir
                                          / options.DEFAULT_REPORT_DIR)
        options.check_writable(report_dir, "--freezecheck-report-dir")
        config.pluginmanager.register(SessionReport(report_dir), "freezecheck-report")


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]):
    options = config.stash[OPTIONS_KEY]
    # Before -k and -m deselect: was any experiment collected at all?
    try:
        collection.check_options_apply(options, collection.any_experiment(items))
    except pytest.UsageError as exc:
        refused = exc
    else:
        refused = None
    yield
    if refused is not None:
        collection.refuse(config, items, refused)
        return
    # After they have: check, select, shard and order what is left.
    collection.modify_items(config, items, options, config.stash[SHARD_KEY])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if collection.experiment_of(item) is None:
        return (yield)
    with stale_declarations_noted(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        # Plain builtins on the report travel from xdist workers to the controller.
        report.freezecheck_runs = list(item.stash.get(RUNS_KEY, {}).values())
        report.freezecheck_stale = list(item.stash.get(STALE_KEY, []))
    if collection.experiment_of(item) is not None:
        _record_verdict(item, report)
    return report


def _record_verdict(item, report) -> None:
    """The JUnit XML property ``freezecheck_verdict`` of an experiment's test: its
    outcome and why (session_report.junit_verdict). The JUnit XML takes a test's
    properties from its tear-down report, which copies the item's when it is made: a
    verdict of the set-up or call goes on the item, one of the tear-down on its report."""
    from freezecheck.plugin.session_report import junit_verdict

    verdict = junit_verdict(report)
    if verdict is None:
        return
    properties = report.user_properties if report.when == "teardown" else item.user_properties
    properties.append(("freezecheck_verdict", verdict))
