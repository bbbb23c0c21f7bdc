"""The pytest plugin: options, markers, fixtures and report hooks. Nothing else.

Registered through the ``pytest11`` entry point. Importing it does not import
TensorFlow: fixtures import what trains only when a test first uses them, so collecting
the suite takes seconds.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from pathlib import Path

import pytest

from freezecheck.builtin.datasets import DATA_DIR_DEFAULTS
from freezecheck.builtin.models import MODEL_NAMES
from freezecheck.builtin.settings import DATASETS, DEFAULT_DATASET, TIER_GATES, TIERS, Settings
from freezecheck.describe.recipe import DEFAULT_ALPHA, TRAINING_PATHS
from freezecheck.errors import ConfigError, UnsupportedVersionError
from freezecheck.plugin import schedule
from freezecheck.plugin.schedule import parse_shard
from freezecheck.train import backend

SETTINGS_KEY = pytest.StashKey["Settings"]()
# A test that uses one of these trains, or reads data to train on.
TRAINING_FIXTURES = {"freezecheck_run", "freezecheck_data", "freezecheck_experiment_run"}
SHARD_KEY = pytest.StashKey["tuple[int, int] | None"]()
RUNS_KEY = pytest.StashKey[dict]()
SESSION_KEY = pytest.StashKey[str]()
STORE_KEY = pytest.StashKey[tuple]()
DEFAULT_REPORT_DIR = "freezecheck-report"

# option name -> (type, help); each is --freezecheck-NAME and ini freezecheck_NAME.
# Path options are taken from where pytest was started on the command line, and from
# the ini file's directory in an ini file (as pytest's own path options are).
OPTIONS = {
    "data_dir": (Path, "Directory holding the data set's four IDX files (plain or .gz). "
                      f"Default: {DATA_DIR_DEFAULTS}, else download into the Keras cache."),
    "tier": (str, f"Which tier to run: {' or '.join(TIERS)} (default: full). smoke: "
                  "two epochs on 10,000 images with its own gates, about a minute."),
    "seed": (int, "Seed of every run, or the first of --freezecheck-seeds (default: 0)."),
    "seeds": (int, "Number of seeds each family variant runs with, from --freezecheck-seed "
                   "on; 5 or more switches the curve comparison of tests/test_families.py "
                   "to the statistical mode (default: 1)."),
    "families": (str, "Run these families of variants (tests/test_families.py): a comma-"
                      "separated list of single, blocks, inits, init-baselines, or all "
                      "(default: none; only the experiment runs)."),
    "models": (str, "Restrict the families to these models, comma-separated (default: "
                    f"{','.join(MODEL_NAMES)})."),
    "dataset": (str, f"Data set: {' or '.join(DATASETS)} (other than {DEFAULT_DATASET}: full "
                     f"tier only, gates measured from its baselines) (default: "
                     f"{DEFAULT_DATASET})."),
    "alpha": (float, "Significance level of the statistical curve mode, per variant "
                     f"(default: {DEFAULT_ALPHA})."),
    "min_accuracy": (float, "Final validation accuracy every variant must reach "
                            f"(default: {TIER_GATES['full'].min_accuracy} in the full tier)."),
    "curve_band": (float, "Largest per-epoch |variant - baseline| validation accuracy "
                          f"(default: {TIER_GATES['full'].curve_band} in the full tier)."),
    "curve_level": (float, "Accuracy whose first epoch is compared with the baseline's "
                           f"(default: {TIER_GATES['full'].curve_level} in the full tier)."),
    "curve_max_lag": (int, "Largest allowed difference, in epochs, to first reach the "
                           f"curve level (default: {TIER_GATES['full'].curve_max_lag})."),
    "report_dir": (Path, f"Where the session report goes (default: ./{DEFAULT_REPORT_DIR})."),
    "references_dir": (Path, "Where the reference curves are read, and written by "
                            "--freezecheck-regen-references (default: read from "
                            "<rootdir>/references, then from those shipped with "
                            "freezecheck; written to <rootdir>/references)."),
    "shard": (str, "Run only shard K of N (K/N, e.g. 1/2): a deterministic split of the "
                   "session, for a CI matrix over several machines (default: all)."),
    "training": (str, "Train every run through this path: loop (freezecheck's compiled "
                      "whole-epoch loop) or fit (Keras' model.compile + model.fit) "
                      "(default: the recipe's, loop for the built-in experiment)."),
    "store_dir": (Path, "Keep trained runs in this directory across sessions, and reuse a "
                       "run whose inputs are unchanged (default: none; nothing persists)."),
}


CHOICES = {"tier": TIERS, "dataset": DATASETS, "training": TRAINING_PATHS}
INI_TYPES = {str: "string", int: "int", float: "float", Path: "paths"}
METAVARS = {str: "VALUE", int: "N", float: "F", Path: "DIR"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("freezecheck", "frozen-layer reproducibility suite")
    for name, (kind, help_text) in OPTIONS.items():
        flag = "--freezecheck-" + name.replace("_", "-")
        metavar = "{" + ",".join(CHOICES[name]) + "}" if name in CHOICES else METAVARS[kind]
        if name == "shard":
            metavar = "K/N"
        group.addoption(flag, dest=f"freezecheck_{name}", default=None, help=help_text,
                        metavar=metavar)
        parser.addini(f"freezecheck_{name}", help_text, type=INI_TYPES[kind], default=None)
    group.addoption("--freezecheck-regen-references", action="store_true",
                    dest="freezecheck_regen_references",
                    help="Write this environment's reference curves from this run; "
                         "every reference test then fails, so that nobody regenerates "
                         "by accident.")
    group.addoption("--freezecheck-retrain", action="store_true", dest="freezecheck_retrain",
                    help="With --freezecheck-store-dir: train every run again, once, "
                         "replacing what the store holds.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "training: trains networks; minutes, not seconds")
    config.addinivalue_line("markers", "families: runs only with --freezecheck-families")
    config.addinivalue_line("markers", "browser: opens the HTML report in headless Chromium")
    values = {name: _option(config, name) for name in OPTIONS}
    try:
        settings = _settings(values)
    except ConfigError as exc:
        raise pytest.UsageError(f"freezecheck: {exc}") from exc
    # The directory of reference curves written and read first, and whether the shipped
    # ones are read after it: those only when no directory is given.
    settings = dataclasses.replace(settings, references=(
        (values["references_dir"], False) if values["references_dir"]
        else (config.rootpath / "references", True)))
    # Relative paths were resolved by _option, the same in the controller and in
    # every worker.
    config.stash[SETTINGS_KEY] = settings
    try:
        config.stash[SHARD_KEY] = values["shard"] and parse_shard(values["shard"])
    except ConfigError as exc:
        raise pytest.UsageError(f"freezecheck: --freezecheck-shard: {exc}") from exc
    if values["data_dir"]:
        _check_data_dir(settings.dataset, values["data_dir"])
    store_dir = values["store_dir"]
    if store_dir:
        _check_writable(store_dir, "--freezecheck-store-dir")
    config.stash[STORE_KEY] = (store_dir, config.getoption("freezecheck_retrain"))
    if hasattr(config, "workerinput"):
        config.stash[SESSION_KEY] = config.workerinput["freezecheck_session"]
    else:  # the controller, or a run without xdist
        config.stash[SESSION_KEY] = uuid.uuid4().hex
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(_SessionIdToWorkers(config.stash[SESSION_KEY]))
        report_dir = values["report_dir"] or config.invocation_params.dir / DEFAULT_REPORT_DIR
        _check_writable(report_dir, "--freezecheck-report-dir")
        config.pluginmanager.register(
            SessionReport(report_dir, settings),
            "freezecheck-report")


def _settings(values: dict) -> Settings:
    from freezecheck.builtin.families import parse_families
    from freezecheck.judge.expectations import measured_gates

    dataset = values["dataset"] or DEFAULT_DATASET
    return Settings.for_tier(
        values["tier"] or "full",
        seed=values["seed"] if values["seed"] is not None else 0,
        seeds=values["seeds"] if values["seeds"] is not None else 1,
        families=parse_families(values["families"]) if values["families"] else (),
        models=[m.strip() for m in values["models"].split(",")] if values["models"]
        else MODEL_NAMES,
        dataset=dataset,
        alpha=values["alpha"] if values["alpha"] is not None else DEFAULT_ALPHA,
        measured_gates=measured_gates(backend.environment_name(), dataset),
        data_dir=str(values["data_dir"]) if values["data_dir"] else None,
        min_accuracy=values["min_accuracy"],
        curve_band=values["curve_band"],
        curve_level=values["curve_level"],
        curve_max_lag=values["curve_max_lag"],
        training=values["training"],
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the families' tests unless asked for; keep this shard's tests, and order
    them so that two workers finish together (freezecheck/plugin/schedule.py; with
    --no-loadscope-reorder, xdist keeps this order). A session that will train needs a
    supported TensorFlow: checked here, before anything runs, so that pytest in a
    project that merely has freezecheck installed is never stopped by it."""
    if any(TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())) for item in items):
        try:
            backend.check_supported()
        except UnsupportedVersionError as exc:
            raise pytest.UsageError(f"freezecheck: {exc}") from exc
    _check_experiment_names(items)
    if not config.stash[SETTINGS_KEY].families:
        unasked = [item for item in items if item.get_closest_marker("families")]
        if unasked:
            config.hook.pytest_deselected(items=unasked)
            items[:] = [item for item in items if not item.get_closest_marker("families")]
    unit_of = {item: _unit_name(item) for item in items}
    units = _units(items, unit_of, config.stash[SETTINGS_KEY])
    shard = config.stash[SHARD_KEY]
    if shard:
        index, count = shard
        keep = set(schedule.shard(units, count)[index - 1])
        deselected = [item for item in items if unit_of[item] not in keep]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if unit_of[item] in keep]
        units = [u for u in units if u.name in keep]
    rank = {name: i for i, name in enumerate(schedule.order(units))}
    items.sort(key=lambda item: rank[unit_of[item]])  # stable: a unit keeps its own order


def _check_experiment_names(items) -> None:
    """Two experiments of one name in a session would mix their variant ids, reference
    curves and report rows: a usage error, naming both test modules."""
    seen = {}
    for item in items:
        experiment = getattr(getattr(item, "cls", None), "freezecheck_experiment", None)
        if experiment is None:
            continue
        module = item.nodeid.split("::")[0]
        first, where = seen.setdefault(experiment.name, (experiment, module))
        if first is not experiment:
            raise pytest.UsageError(
                f"freezecheck: two experiments are named {experiment.name!r} ({where} and "
                f"{module}): variant ids, reference curves and reports are keyed by the "
                f"name. Give each experiment its own name.")


def _unit_name(item: pytest.Item) -> str:
    variant = _variant_of(item)
    return variant.id if variant is not None else item.nodeid.split("::")[0]


def _variant_of(item: pytest.Item):
    from freezecheck.describe.variants import Variant

    callspec = getattr(item, "callspec", None)
    variant = callspec.params.get("variant") if callspec else None
    return variant if isinstance(variant, Variant) else None


def _units(items, unit_of, settings) -> list[schedule.Unit]:
    from freezecheck.builtin.settings import FULL_EPOCH_IMAGES, estimated_seconds

    costs: dict[str, float] = {}
    needs: dict[str, str | None] = {}
    for item in items:
        name, variant = unit_of[item], _variant_of(item)
        if variant is not None and variant.model not in settings.recipes:  # a user's
            costs[name] = schedule.TRAINING_TEST_SECONDS
            needs[name] = None if variant.is_baseline else variant.baseline.id
        elif variant is not None:
            recipe = settings.recipes[variant.model]
            runs = len(settings.seeds) if item.get_closest_marker("families") else 1
            costs[name] = max(costs.get(name, 0.0), runs * estimated_seconds(
                variant.model, variant.frozen, recipe.epochs,
                recipe.train_images or FULL_EPOCH_IMAGES))
            needs[name] = None if variant.is_baseline else variant.baseline.id
        else:
            trains = item.get_closest_marker("training") is not None
            costs[name] = costs.get(name, 0.0) + (
                schedule.TRAINING_TEST_SECONDS if trains else schedule.OTHER_TEST_SECONDS)
            needs[name] = None
    return [schedule.Unit(name, costs[name], needs[name]) for name in costs]


class _SessionIdToWorkers:
    """Gives every xdist worker the controller's session id."""

    def __init__(self, session: str):
        self.session = session

    def pytest_configure_node(self, node):
        node.workerinput["freezecheck_session"] = self.session


def _check_writable(directory: Path, option: str) -> None:
    """Refuse, at start-up, a directory that cannot be created or written."""
    existing = next(p for p in (directory, *directory.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(
            f"freezecheck: {option}: {directory} cannot be written ({existing} is "
            f"{'not a directory' if not existing.is_dir() else 'not writable'}). "
            f"Choose a directory you can write."
        )


def _check_data_dir(dataset: str, directory: Path) -> None:
    """A data directory that was given but is absent or incomplete is one usage error at
    start-up, not one set-up error per test."""
    from freezecheck.builtin.datasets import check_data_dir
    from freezecheck.errors import FreezecheckError

    try:
        check_data_dir(dataset, directory)
    except FreezecheckError as exc:
        raise pytest.UsageError(f"freezecheck: --freezecheck-data-dir: {exc}") from None


def _option(config: pytest.Config, name: str):
    """Command line first, then ini (typed by pytest); converted and checked, or a
    UsageError. Paths from the command line are relative to where pytest was started,
    paths from the ini file to the ini file's directory."""
    kind, _ = OPTIONS[name]
    what = {int: "an integer", float: "a number", str: "a string", Path: "a directory"}[kind]
    raw = config.getoption(f"freezecheck_{name}")
    if raw is not None:
        source = "--freezecheck-" + name.replace("_", "-")
        if raw == "":
            return None
        try:
            value = kind(raw)
        except ValueError:
            raise pytest.UsageError(
                f"freezecheck: {source} expected {what}. Received: {raw!r}") from None
        return config.invocation_params.dir / value.expanduser() if kind is Path else value
    source = f"ini freezecheck_{name}"
    try:
        value = config.getini(f"freezecheck_{name}")
    except (ValueError, TypeError) as exc:  # pytest's message quotes the value
        raise pytest.UsageError(f"freezecheck: {source} expected {what} ({exc})") from None
    if kind is Path and value is not None:
        if len(value) != 1:
            raise pytest.UsageError(
                f"freezecheck: {source} expected one directory. Received: "
                f"{[str(v) for v in value]!r}")
        value = value[0].expanduser()
    if value == "":
        return None
    return value


@pytest.fixture(scope="session")
def freezecheck_settings(pytestconfig) -> Settings:
    """The session's tier, recipes and gates."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def freezecheck_data(freezecheck_settings):
    """The built-in experiment's data set of this session, verified against its pinned
    hashes, loaded once per process."""
    from freezecheck.builtin.experiment import EXPERIMENTS

    return _experiment_data(EXPERIMENTS[MODEL_NAMES[0]], freezecheck_settings)


def _experiment_data(experiment, settings):
    """``experiment``'s data set of this session; refused data fails the test asking,
    naming the file and the fix (a traceback would only bury it)."""
    from freezecheck.errors import FreezecheckError

    try:
        return experiment.data_for(settings)
    except FreezecheckError as exc:
        pytest.fail(f"freezecheck: {experiment.data_title(settings)} refused, nothing "
                    f"trained:\n{exc}", pytrace=False)


@pytest.fixture(scope="session")
def freezecheck_store(pytestconfig, tmp_path_factory):
    """The run store: the --freezecheck-store-dir if given, else one shared by all
    workers of this session and only this session."""
    from freezecheck.train.store import RunStore

    store_dir, retrain = pytestconfig.stash[STORE_KEY]
    if store_dir is None:
        store_dir = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            store_dir = store_dir.parent  # the session's directory, shared by its workers
        store_dir = store_dir / "freezecheck-runs"
    return RunStore(store_dir, session=pytestconfig.stash[SESSION_KEY], retrain=retrain)


@pytest.fixture(scope="session")
def freezecheck_references(pytestconfig, freezecheck_settings):
    """This environment's stored reference curves of the built-in experiment."""
    from freezecheck.builtin.experiment import builtin_references

    return builtin_references(freezecheck_settings.references,
                              regenerate=pytestconfig.getoption("freezecheck_regen_references"))


@pytest.fixture
def freezecheck_run(request, freezecheck_settings, freezecheck_data, freezecheck_store):
    """A function ``run(variant, seed=None) -> RunRecord`` (the session's first seed by
    default): trains once per session, then reuses."""
    from freezecheck.builtin.models import train
    from freezecheck.train.store import run_key

    def run(variant, seed=None):
        recipe = freezecheck_settings.recipe(variant.model, seed)
        key = run_key(variant.id, recipe.as_dict(), freezecheck_data.sha256)
        record = freezecheck_store.get_or_train(
            key, lambda: train(variant, recipe, freezecheck_data)
        )
        _note_run(request, record, freezecheck_settings.gate(variant.model),
                  variant.id if seed is None else f"{variant.id} seed={recipe.seed}")
        return record

    return run


@pytest.fixture
def freezecheck_experiment_run(request, freezecheck_settings, freezecheck_store):
    """A function ``run(experiment, variant) -> RunRecord`` for an experiment
    (freezecheck.Experiment): trains once per session, then reuses. The data set of the
    test class's experiment is loaded at set-up, so refused data errors every test that
    would train on it; a declaration the model or data contradict fails the test,
    naming it, and nothing is stored."""
    from freezecheck.errors import FreezecheckError

    own = getattr(request.cls, "freezecheck_experiment", None)
    if own is not None:
        _experiment_data(own, freezecheck_settings)

    def run(experiment, variant):
        recipe = experiment.recipe_for(freezecheck_settings)
        data = _experiment_data(experiment, freezecheck_settings)
        gates = experiment.gates_for(freezecheck_settings)
        try:
            record = freezecheck_store.get_or_train(
                experiment.store_key(variant, recipe, data),
                lambda: experiment.train(variant, recipe, data))
        except FreezecheckError as exc:
            pytest.fail(f"freezecheck: {variant}: nothing trained:\n{exc}", pytrace=False)
        _note_run(request, record, gates.min_accuracy, variant.id,
                  curve=dataclasses.asdict(gates))
        return record

    return run


@pytest.fixture
def freezecheck_experiment_references(request, freezecheck_settings):
    """A function ``references(experiment) -> References``: this environment's stored
    curves of an experiment (Experiment.references_for: for a user's, in its
    ``references`` directory or in ``references/`` beside the test module)."""
    def references(experiment):
        return experiment.references_for(
            freezecheck_settings, request.path,
            regenerate=request.config.getoption("freezecheck_regen_references"))

    return references


def _note_run(request, record, gate: float, name: str, curve: dict | None = None) -> None:
    """Keep a run's figures for the session report and the JUnit XML properties."""
    from freezecheck.reporting.report import run_figures

    figures = run_figures(record, gate)
    if curve is not None:
        figures["curve_gates"] = curve
    request.node.stash.setdefault(RUNS_KEY, {})[(record.variant_id, record.recipe["seed"])] = figures
    # JUnit XML properties (xdist carries user_properties to the controller).
    request.node.user_properties += [
        (f"final_val_accuracy[{name}]", figures["final_val_accuracy"]),
        (f"test_accuracy[{name}]", figures["test_accuracy"]),
        (f"epochs_to_gate[{name}]", figures["epochs_to_level"]),
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        # Plain builtins on the report travel from xdist workers to the controller.
        report.freezecheck_runs = list(item.stash.get(RUNS_KEY, {}).values())
    return report


class SessionReport:
    """Collects run figures from test reports; writes them once, at the end. On the
    controller, says each run as it arrives, so that a long session under xdist is not
    a silent row of dots."""

    def __init__(self, directory: Path, settings: Settings):
        self.directory = directory
        self.settings = settings
        self.runs: dict[str, dict] = {}
        self.outcomes: dict[str, str] = {}
        self.borrowed: dict[str, list[str]] = {}  # environment -> tests judged by its reference
        self.terminal = None

    def pytest_sessionstart(self, session):
        self.terminal = session.config.pluginmanager.get_plugin("terminalreporter")

    def context(self):
        from freezecheck.reporting.report import Context

        s = self.settings
        # A user experiment's gate is its own: every run carries it as its level.
        own = {r["model"]: r["curve_gates"] for r in self.runs.values()
               if "curve_gates" in r and r["model"] not in s.recipes}
        builtin = any(r["model"] in s.recipes for r in self.runs.values())
        if own and not builtin:  # only user experiments ran: say theirs
            return Context(environment=backend.environment_name(),
                           dataset="experiment " + ", ".join(sorted(own)), tier="its own recipe",
                           seeds=tuple(sorted({r["seed"] for r in self.runs.values()})),
                           gates=next(iter(own.values())),
                           model_gates={m: g["min_accuracy"] for m, g in own.items()})
        return Context(environment=backend.environment_name(), dataset=s.dataset,
                       tier=s.tier, seeds=tuple(s.seeds), gates=dataclasses.asdict(s.gates),
                       model_gates={**s.model_gates,
                                    **{m: g["min_accuracy"] for m, g in own.items()}})

    def pytest_runtest_logreport(self, report):
        for figures in getattr(report, "freezecheck_runs", None) or ():
            key = f"{figures['variant']} seed={figures['seed']:04d}"
            if key not in self.runs and self.terminal is not None and self.terminal.verbosity >= 0:
                writer = getattr(self.terminal, "_tw", None)
                if writer is not None and writer.width_of_current_line:
                    self.terminal.write("\n")  # after a row of progress dots
                self.terminal.write_line(
                    f"freezecheck: {figures['variant']} seed {figures['seed']}: "
                    f"val accuracy {figures['final_val_accuracy']:.2%} after "
                    f"{len(figures['val_accuracy'])} epochs, {figures['train_seconds']:.0f} s")
            self.runs[key] = figures
        if report.when == "call" or report.outcome != "passed":
            self.outcomes[_without_xdist_group(report.nodeid)] = _outcome(report)
        if report.when == "call":
            for name, value in report.user_properties:
                if name == "reference_environment" and value != backend.environment_name():
                    self.borrowed.setdefault(value, []).append(
                        _without_xdist_group(report.nodeid))

    def pytest_terminal_summary(self, terminalreporter):
        if self.borrowed:
            self._summarise_borrowed(terminalreporter)
        if not self.runs:
            return
        from freezecheck.reporting.report import table, verdicts, write_results

        context = self.context()
        written = write_results(self.directory, self.runs, self.outcomes, context)
        terminalreporter.write_sep("=", "freezecheck")
        judged = verdicts(self.runs, self.outcomes, context)
        for line in table(self.runs, self.outcomes, context, judged):
            terminalreporter.write_line(line)
        page = written / "index.html"
        start = terminalreporter.config.invocation_params.dir
        terminalreporter.write_line(
            f"report: {page.relative_to(start) if page.is_relative_to(start) else page}")

    def _summarise_borrowed(self, terminalreporter):
        """Say, pass or fail, which reference curves were another environment's."""
        from freezecheck.builtin.experiment import builtin_references

        references = builtin_references(self.settings.references)
        terminalreporter.write_sep("=", "freezecheck reference curves borrowed")
        for whose, tests in sorted(self.borrowed.items()):
            variants = sorted(test[test.index("[") + 1:-1] for test in tests)
            terminalreporter.write_line(
                f"{references.environment} has no reference of its own for "
                f"{len(variants)} variant(s), compared with {whose}'s (the nearest "
                f"supported environment that has them): {', '.join(variants)}")
        terminalreporter.write_line(references.how_to_create())


def _without_xdist_group(nodeid: str) -> str:
    """The test id as without workers: --dist=loadgroup appends "@group" to it, which
    xdist tells from a parameter holding "@" by no "]" following it (as here)."""
    head, at, _ = nodeid.rpartition("@")
    return head if at and nodeid.rfind("@") > nodeid.rfind("]") else nodeid


def _outcome(report) -> str:
    if hasattr(report, "wasxfail"):
        return "xpassed" if report.passed else "xfailed"
    return report.outcome if report.when == "call" else f"{report.outcome} in {report.when}"
