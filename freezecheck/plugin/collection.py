"""What the plugin does to a collected session: check it, select, shard and order it.

Only a session that holds a freezecheck experiment's tests is touched: in any other, the
items stay as pytest collected them (the plugin is inert in a project that merely has
freezecheck installed).
"""

from __future__ import annotations

import pytest

from freezecheck.describe.session import SessionOptions
from freezecheck.plugin import schedule

# A test that uses one of these trains, or reads data to train on.
TRAINING_FIXTURES = {"freezecheck_run", "freezecheck_data", "freezecheck_experiment_run"}


def experiment_of(item: pytest.Item):
    """The experiment an item belongs to: its generated class's, or the one its
    variant's parameter carries (``variant_cases(..., experiment=)``); else None."""
    experiment = getattr(getattr(item, "cls", None), "freezecheck_experiment", None)
    if experiment is None:
        marker = item.get_closest_marker("freezecheck_experiment")
        experiment = marker.args[0] if marker else None
    return experiment


def any_experiment(items) -> bool:
    """Whether the session collected an experiment's test (before -k and -m select)."""
    return any(experiment_of(item) is not None for item in items)


def check_options_apply(options: SessionOptions, collected_experiment: bool) -> None:
    """An option only an experiment can apply, given where none was collected, is a
    usage error: it would change nothing."""
    from freezecheck.plugin.options import FOR_EXPERIMENTS

    given = [options.flag(name) for name in FOR_EXPERIMENTS if options.given(name)]
    if given and not collected_experiment:
        raise pytest.UsageError(
            f"freezecheck: {', '.join(given)}: no freezecheck experiment was collected, so "
            f"nothing would use {'it' if len(given) == 1 else 'them'}. Name a test module "
            f"that declares one (freezecheck.Experiment(...).tests()), or leave "
            f"{'it' if len(given) == 1 else 'them'} out.")


def modify_items(config: pytest.Config, items: list[pytest.Item], options: SessionOptions,
                 shard: tuple[int, int] | None) -> None:
    """As :func:`select_and_order`; under xdist a worker cannot stop the session with a
    usage error (xdist reports it as its own internal error), so the worker runs
    nothing and hands the message to the controller, which stops with it
    (:func:`usage_error_from_worker`)."""
    try:
        select_and_order(config, items, options, shard)
    except pytest.UsageError as exc:
        refuse(config, items, exc)


def refuse(config: pytest.Config, items: list, error: pytest.UsageError) -> None:
    """Stop the session with ``error``: raised where pytest can say it (no xdist, or
    the controller); in an xdist worker, which runs nothing, left for the controller."""
    if not hasattr(config, "workerinput"):
        raise error
    config.workeroutput[WORKER_USAGE_ERROR] = str(error)
    items[:] = []


# Where a worker leaves a usage error for the controller (xdist's workeroutput).
WORKER_USAGE_ERROR = "freezecheck_usage_error"


def usage_error_from_worker(node) -> None:
    """On the controller, when a worker is done: stop with its usage error, if any,
    as a usage error of the whole session."""
    message = getattr(node, "workeroutput", {}).get(WORKER_USAGE_ERROR)
    if message:
        pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)


def select_and_order(config: pytest.Config, items: list[pytest.Item],
                     options: SessionOptions, shard: tuple[int, int] | None) -> None:
    """Check the session's experiments against the options; drop the families' tests
    unless asked for; keep this shard's tests, and order them so that two workers
    finish together (freezecheck/plugin/schedule.py; with --no-loadscope-reorder, xdist
    keeps this order)."""
    experiments = {item: experiment_of(item) for item in items}
    ours = [item for item in items if experiments[item] is not None
            or TRAINING_FIXTURES & set(getattr(item, "fixturenames", ()))]
    if not ours and shard is None:
        return
    if ours:
        _check_supported_tensorflow()
    _check_experiment_names(items, experiments)
    _check_options(options, experiments)
    unasked = [item for item in items if _unasked_family(item, experiments[item], options)]
    if unasked:
        config.hook.pytest_deselected(items=unasked)
        dropped = set(unasked)
        items[:] = [item for item in items if item not in dropped]
    unit_of = {item: _unit_name(item) for item in items}
    units = _units(items, unit_of, experiments, options)
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


def _unasked_family(item, experiment, options: SessionOptions) -> bool:
    """Whether ``item`` tests a variant of a family the session did not ask for."""
    if not item.get_closest_marker("families"):
        return False
    family = item.get_closest_marker("freezecheck_family")
    if family is None:  # the built-in experiment's families' tests: all of them, or none
        return not options.families
    return family.args[0] not in experiment.families_chosen(options)


def _check_supported_tensorflow() -> None:
    """A session that will train needs a supported TensorFlow: checked before anything
    runs, so that pytest in a project that merely has freezecheck installed is never
    stopped by it."""
    from freezecheck.errors import UnsupportedVersionError
    from freezecheck.train import backend

    try:
        backend.check_supported()
    except UnsupportedVersionError as exc:
        raise pytest.UsageError(f"freezecheck: {exc}") from exc


def _check_experiment_names(items, experiments) -> None:
    """Two experiments of one name in a session would mix their variant ids, reference
    curves and report rows: a usage error, naming both test modules."""
    seen = {}
    for item in items:
        experiment = experiments[item]
        if experiment is None:
            continue
        module = item.nodeid.split("::")[0]
        first, where = seen.setdefault(experiment.name, (experiment, module))
        if first is not experiment:
            raise pytest.UsageError(
                f"freezecheck: two experiments are named {experiment.name!r} ({where} and "
                f"{module}): variant ids, reference curves and reports are keyed by the "
                f"name. Give each experiment its own name.")


def _check_options(options: SessionOptions, experiments) -> None:
    """Every given option must apply to every experiment in the session: one usage
    error listing each that does not, before anything trains."""
    problems: list[str] = []
    for experiment in dict.fromkeys(e for e in experiments.values() if e is not None):
        problems += experiment.check_options(options)
    problems = list(dict.fromkeys(problems))  # one message said by several experiments
    if problems:
        raise pytest.UsageError("freezecheck: " + "\nfreezecheck: ".join(problems))


def _unit_name(item: pytest.Item) -> str:
    variant = variant_of(item)
    return variant.id if variant is not None else item.nodeid.split("::")[0]


def variant_of(item: pytest.Item):
    from freezecheck.describe.variants import Variant

    callspec = getattr(item, "callspec", None)
    variant = callspec.params.get("variant") if callspec else None
    return variant if isinstance(variant, Variant) else None


def _units(items, unit_of, experiments, options: SessionOptions) -> list[schedule.Unit]:
    """The session's units of work (a variant's tests, or a test module) with what each
    costs and which must finish before it (a variant's baseline)."""
    costs: dict[str, float] = {}
    needs: dict[str, str | None] = {}
    for item in items:
        name, variant, experiment = unit_of[item], variant_of(item), experiments[item]
        if variant is not None:
            seconds = schedule.TRAINING_TEST_SECONDS
            if experiment is not None:
                seconds = experiment.estimated_seconds(variant, experiment.recipe_for(options))
            runs = len(options.seed_list)  # every seed of the session (the several-seed mode)
            costs[name] = max(costs.get(name, 0.0), runs * seconds)
            needs[name] = None if variant.is_baseline else variant.baseline.id
        else:
            trains = item.get_closest_marker("training") is not None
            costs[name] = costs.get(name, 0.0) + (
                schedule.TRAINING_TEST_SECONDS if trains else schedule.OTHER_TEST_SECONDS)
            needs[name] = None
    return [schedule.Unit(name, costs[name], needs[name]) for name in costs]
