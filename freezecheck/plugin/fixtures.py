"""The plugin's fixtures: the session's options, the run store, and the one path by which
every experiment's runs are trained (or loaded) and its references read.

Nothing here imports TensorFlow at import time: a fixture imports what trains only when
a test first uses it.
"""

from __future__ import annotations

import dataclasses
import os

import pytest

from freezecheck.plugin.keys import OPTIONS_KEY, RUNS_KEY, SESSION_KEY, STORE_KEY


@pytest.fixture(scope="session")
def freezecheck_options(pytestconfig):
    """The session's options (freezecheck.describe.session.SessionOptions)."""
    return pytestconfig.stash[OPTIONS_KEY]


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


@pytest.fixture
def freezecheck_experiment_run(request, freezecheck_options, freezecheck_store):
    """A function ``run(experiment, variant, seed=None) -> RunRecord`` (the session's
    seed by default): trains once per session, then reuses. The data set of the test
    class's experiment is loaded at set-up, so refused data errors every test that would
    train on it; a declaration the model or data contradict fails the test, naming it,
    and nothing is stored."""
    from freezecheck.errors import FreezecheckError
    from freezecheck.generated import experiment_data

    own = getattr(request.cls, "freezecheck_experiment", None)
    if own is not None:
        experiment_data(own, freezecheck_options)

    def run(experiment, variant, seed=None):
        recipe = experiment.recipe_for(freezecheck_options)
        if seed is not None:
            recipe = dataclasses.replace(recipe, seed=seed)
        data = experiment_data(experiment, freezecheck_options)
        gates = experiment.gates_for(freezecheck_options)
        key = experiment.store_key(variant, recipe, data)
        try:
            record = freezecheck_store.get_or_train(
                key, lambda: experiment.train(variant, recipe, data))
        except FreezecheckError as exc:
            refused = str(exc)  # failed below, outside the handler: said once, not chained
        else:
            refused = None
        if refused is not None:
            pytest.fail(f"freezecheck: {variant}: nothing trained:\n{refused}", pytrace=False)
        trained = freezecheck_store.trained_here(key)
        # A run another test's variant needs (its baseline, to compare curves) is
        # reported by its own tests, unless trained here.
        if trained or _own_variant(request) in (None, variant):
            note_run(request, record, experiment, freezecheck_options, gates, trained=trained,
                     name=variant.id if seed is None else f"{variant.id} seed={recipe.seed}",
                     variant=variant)
        return record

    return run


@pytest.fixture
def freezecheck_experiment_references(request, freezecheck_options):
    """A function ``references(experiment) -> References``: this environment's stored
    curves of an experiment (Experiment.references_for: for a user's, in
    --freezecheck-references-dir, its ``references`` directory or ``references/``
    beside the test module)."""
    def references(experiment):
        return experiment.references_for(freezecheck_options, request.path)

    return references


def _own_variant(request):
    callspec = getattr(request.node, "callspec", None)
    return callspec.params.get("variant") if callspec else None


def note_run(request, record, experiment, options, gates, *, trained: bool, name: str,
             variant=None) -> None:
    """Keep a run's figures for the session report and the JUnit XML properties: with
    the experiment's, its tier, data set (its name and title) and gates, whether it was trained in this
    session or loaded from the store and by which worker, its ``index`` in the
    experiment's declared variants (None for one it does not declare: a family's) and
    its ``declared_curve`` (:func:`declared_curve`)."""
    from freezecheck.reporting.report import run_figures

    figures = run_figures(record, gates.final_gate, gates.metric)
    index = next((i for i, v in enumerate(experiment.variants) if v.id == record.variant_id),
                 None)
    figures.update(
        experiment=experiment.name, tier=experiment.tier_name(options),
        dataset=experiment.dataset_name(options), dataset_title=experiment.data_title(options),
        curve_gates=gates.as_dict(),
        trained=trained, worker=os.environ.get("PYTEST_XDIST_WORKER", "main"), index=index,
        declared_curve=declared_curve(experiment, variant, options))
    request.node.stash.setdefault(RUNS_KEY, {})[(record.variant_id, record.recipe["seed"])] = figures
    # JUnit XML properties (xdist carries user_properties to the controller).
    request.node.user_properties += [
        (f"final_val_accuracy[{name}]", figures["final_val_accuracy"]),
        (f"test_accuracy[{name}]", figures["test_accuracy"]),
        (f"epochs_to_gate[{name}]", figures["epochs_to_level"]),
    ]


def declared_curve(experiment, variant, options) -> str | None:
    """What is declared of ``variant``'s curve against its baseline's in this session:
    ``follows``, ``leaves`` or ``undetermined`` (judge.expectations.judge_curve reads
    the same declaration), None when nothing is declared (it must follow) or the
    declaration cannot be read (its tests say why)."""
    from freezecheck.errors import FreezecheckError

    if variant is None or variant.is_baseline:
        return None
    try:
        expectation = experiment.declared(variant, options).expectation
    except FreezecheckError:
        return None
    if expectation is None:
        return None
    claim = getattr(expectation, "curve_claim", None)
    if claim is not None:
        return claim
    return "follows" if expectation.follows_baseline else "leaves"
