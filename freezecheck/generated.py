"""The test class an :class:`freezecheck.Experiment` generates.

Five tests per variant, judged by freezecheck/judge/checks.py, or with
``--freezecheck-seeds=N`` (N > 1) over N seeds by freezecheck/judge/several_seeds.py
(the several-seed mode, below). Every test of a variant
is in one xdist group, so the worker that trains a variant is the one that judges it;
the run store trains each variant once per session whichever worker asks first. What a
test holds a run to (recipe, gates, declarations, references) it asks the experiment
for, per session (Experiment.recipe_for, gates_for, declared, references_for).
"""

from __future__ import annotations

import pytest

from freezecheck.errors import FreezecheckError
from freezecheck.judge import checks
from freezecheck.judge import several_seeds as seeds_check


def variant_cases(variants, experiment_of=None, family_of=None) -> list:
    """``pytest.param`` per variant, for ``parametrize("variant", ...)``: the variant's id
    as the test id, and every test of the variant in one xdist group, so the worker
    that trains a variant is the one that judges it (with ``--dist=loadgroup``).
    ``experiment_of(variant)``, if given, names the experiment of tests outside a
    generated class, so that the session checks its options and orders its runs;
    ``family_of`` (variant id -> family) marks the variants not run by default."""
    def marks(v):
        marks = [pytest.mark.xdist_group(xdist_group(v.id))]
        if experiment_of is not None:
            marks.append(pytest.mark.freezecheck_experiment(experiment_of(v)))
        family = (family_of or {}).get(v.id)
        if family is not None:  # not run by default: --freezecheck-families selects it
            marks += [pytest.mark.families, pytest.mark.freezecheck_family(family)]
        return marks

    return [pytest.param(v, id=v.id, marks=marks(v)) for v in variants]


def xdist_group(variant_id: str) -> str:
    """The xdist group of a variant's tests: its id with parentheses for brackets
    (``digits[hidden1]`` -> ``digits(hidden1)``). xdist reads what follows the last "@" of
    a test id as its group only when no "]" comes after it; otherwise every test is a
    group of its own."""
    return variant_id.replace("[", "(").replace("]", ")")


def experiment_data(experiment, options):
    """``experiment``'s data set of this session; refused data fails the test asking,
    naming the file and the fix (a traceback would only bury it)."""
    try:
        return experiment.data_for(options)
    except FreezecheckError as exc:
        refused = str(exc)  # failed outside the handler: said once, not chained
    pytest.fail(f"freezecheck: {experiment.data_title(options)} refused, nothing "
                f"trained:\n{refused}", pytrace=False)


def _fail_if(problem: str | None) -> None:
    if problem:
        pytest.fail(problem, pytrace=False)


def _declared(experiment, variant, settings):
    try:
        return experiment.declared(variant, settings)
    except FreezecheckError as exc:  # e.g. a data set on which the variant is unmeasured
        refused = str(exc)
    pytest.fail(refused, pytrace=False)


def _gated(experiment, record, options):
    """``record``, once the session's gates can read their metric in it; else the test
    fails, saying so (in full once per process: Experiment.unrecorded_metric)."""
    _fail_if(experiment.unrecorded_metric(record, options))
    return record


def alpha_split(experiment, variants, families) -> int:
    """How many of a test class's ``variants`` a session judges against their baseline,
    over which it splits alpha: those not of a family, and those of the ``families``
    it runs (the families' tests of the rest are deselected)."""
    chosen = set(families)
    judged = [v for v in variants if not v.is_baseline
              and (v.id not in experiment.family_of or experiment.family_of[v.id] in chosen)]
    return max(1, len(judged))


def test_class(experiment, variants=None) -> type:
    """A class of parametrized tests for ``experiment``'s ``variants`` (default: all it
    declares); pytest collects it when it is assigned to a name starting with ``Test``
    in a test module."""
    variants = experiment.variants if variants is None else variants
    frozen = [v for v in variants if v.frozen]
    against_baseline = [v for v in variants if not v.is_baseline]

    def cases(chosen):
        return variant_cases(chosen, family_of=experiment.family_of)

    @pytest.mark.training
    class Generated:
        __doc__ = f"The generated tests of experiment {experiment.name!r}."
        freezecheck_experiment = experiment

        @pytest.mark.parametrize("variant", cases(frozen))
        def test_frozen_weights_bitwise_unchanged(self, variant, freezecheck_experiment_run,
                                                  freezecheck_options):
            """Every variable of a frozen layer, non-trainable ones included, ends
            bitwise equal to its initial value."""
            if several_seeds(freezecheck_options):
                return _fail_if(seeds_check.frozen_weights_changed(variant, session_runs(
                    experiment, variant, freezecheck_experiment_run, freezecheck_options)))
            _fail_if(checks.frozen_weights_changed(
                variant, freezecheck_experiment_run(experiment, variant)))

        @pytest.mark.parametrize("variant", cases(variants))
        def test_trainable_weights_changed(self, variant, freezecheck_experiment_run,
                                           freezecheck_options):
            """Every variable of a trainable layer moved."""
            if several_seeds(freezecheck_options):
                return _fail_if(seeds_check.trainable_weights_unchanged(variant, session_runs(
                    experiment, variant, freezecheck_experiment_run, freezecheck_options)))
            _fail_if(checks.trainable_weights_unchanged(
                variant, freezecheck_experiment_run(experiment, variant)))

        @pytest.mark.parametrize("variant", cases(variants))
        def test_reaches_accuracy_gate(self, variant, freezecheck_experiment_run,
                                       freezecheck_options):
            """The final validation accuracy (or the gates' metric) reaches the gate, or
            keeps the declared expectation."""
            declared = _declared(experiment, variant, freezecheck_options)
            gates = experiment.gates_for(freezecheck_options)
            if several_seeds(freezecheck_options):
                return _fail_if(seeds_check.accuracy_missed(
                    variant, [_gated(experiment, r, freezecheck_options) for r in session_runs(
                        experiment, variant, freezecheck_experiment_run, freezecheck_options)],
                    gates.final_gate, declared.expectation, declared.where, declared.spread,
                    gates.metric))
            _fail_if(checks.accuracy_missed(
                variant, _gated(experiment, freezecheck_experiment_run(experiment, variant),
                                freezecheck_options),
                gates.final_gate, declared.expectation, declared.where, declared.spread,
                gates.metric))

        @pytest.mark.parametrize("variant", cases(against_baseline))
        def test_curve_follows_baseline(self, variant, freezecheck_experiment_run,
                                        freezecheck_options, record_property):
            """The validation curve within the band and lag of the baseline's, or
            consistent with the declared expectation (judge.expectations.judge_curve)."""
            from freezecheck.judge.expectations import judge_curve

            declared = _declared(experiment, variant, freezecheck_options)
            split = alpha_split(experiment, variants,
                                experiment.families_chosen(freezecheck_options))
            if several_seeds(freezecheck_options):
                return several_seeds_curve(experiment, variant, declared,
                                           freezecheck_experiment_run, freezecheck_options,
                                           record_property, variants=split)
            gates = experiment.gates_for(freezecheck_options)
            problem, largest = judge_curve(
                variant, declared.expectation, declared.where,
                *(gates.metric.values(_gated(experiment, freezecheck_experiment_run(
                    experiment, v), freezecheck_options).history)
                  for v in (variant, variant.baseline)),
                gates.curve, freezecheck_options.significance, source=declared.source,
                regenerate=declared.regenerate, variants=split)
            record_property("largest_curve_deviation", largest)
            _fail_if(problem)

        @pytest.mark.parametrize("variant", cases(variants))
        def test_curve_matches_stored_reference(self, variant, freezecheck_experiment_run,
                                                freezecheck_experiment_references,
                                                freezecheck_options, record_property):
            """The run repeats, bit for bit, the reference stored for this environment
            when it was made on this CPU type, library versions and training path;
            otherwise (or with --freezecheck-reference-match=tolerance) its curve is
            within the band and lag of it (judge.references.judgement)."""
            why_not = experiment.why_no_references(freezecheck_options)
            if why_not:
                pytest.skip(why_not)
            references = freezecheck_experiment_references(experiment)
            family = experiment.family_of.get(variant.id)
            if family and not references.regenerate and references.find(variant.id) is None:
                # A family runs on demand, over seeds: a reference is kept where made.
                pytest.skip(f"{variant} (family {family}) has no stored reference. To keep "
                            f"one, with --freezecheck-families={family}: "
                            f"{references.how_to_create()}")
            record = _gated(experiment, freezecheck_experiment_run(experiment, variant),
                            freezecheck_options)
            other_seed = checks.reference_at_another_seed(variant, record, references)
            if other_seed:
                pytest.skip(other_seed)
            _fail_if(checks.reference_missed(
                variant, record, references, experiment.gates_for(freezecheck_options).curve,
                record_property, exact=freezecheck_options.reference_match != "tolerance"))

    # No test without a case: pytest would report an empty parameter set as a skip.
    if not frozen:
        del Generated.test_frozen_weights_bitwise_unchanged
    if not against_baseline:
        del Generated.test_curve_follows_baseline
    name = "Test" + "".join(part[:1].upper() + part[1:]
                            for part in experiment.name.replace(".", "-").replace("_", "-").split("-"))
    Generated.__name__ = Generated.__qualname__ = name
    return Generated


# --- the several-seed mode -----------------------------------------------------------
#
# With --freezecheck-seeds=N (N > 1) the same tests judge every variant at N seeds, from
# the session's seed on: each run through the one fixture path (trained once per
# session by the store). The reference test judges the first seed's run only, as a
# one-seed session at that seed would: references are stored for one seed.


def several_seeds(options) -> bool:
    """Whether this session judges each variant over several seeds."""
    return (options.seeds or 1) > 1


def session_seeds(experiment, options) -> tuple[int, ...]:
    """The seeds ``experiment``'s variants run at this session: ``--freezecheck-seeds``
    of them from the session's seed (its recipe's, unless ``--freezecheck-seed``)."""
    first = experiment.recipe_for(options).seed
    return tuple(range(first, first + (options.seeds or 1)))


def session_runs(experiment, variant, run, options) -> list:
    """``variant``'s run at each seed of the session (``run``:
    the ``freezecheck_experiment_run`` fixture)."""
    return [run(experiment, variant, seed=seed) for seed in session_seeds(experiment, options)]


def several_seeds_curve(experiment, variant, declared, run, options, record_property, *,
                        variants: int) -> None:
    """The curve test over several seeds: from MIN_SEEDS seeds up, the seeds' effect
    against the baseline's same seeds, judged by the claim declared for the variant;
    below that, the first seed's curve, as a one-seed session at that seed judges it.
    ``variants``: how many the session judges, over which alpha is split."""
    from freezecheck.judge.expectations import judge_curve
    from freezecheck.judge.statistics import MIN_SEEDS

    seeds = session_seeds(experiment, options)
    gates = experiment.gates_for(options)
    if len(seeds) < MIN_SEEDS:
        problem, largest = judge_curve(
            variant, declared.expectation, declared.where,
            *(gates.metric.values(_gated(experiment, run(experiment, v, seed=seeds[0]),
                                         options).history)
              for v in (variant, variant.baseline)),
            gates.curve, options.significance, source=declared.source, variants=variants,
            regenerate=declared.regenerate)
        record_property("largest_curve_deviation", largest)
        return _fail_if(problem and f"at seed {seeds[0]} (fewer than {MIN_SEEDS} seeds: "
                                    f"the first seed's curve by the tolerance): {problem}")
    if getattr(declared.expectation, "curve_claim", None) is None:
        why = seeds_check.why_no_claim(variant, declared, seeds)
        if declared.expectation is None:  # nothing measured: the declaration has a gap
            pytest.fail(why, pytrace=False)
        pytest.skip(why)  # measured at fewer seeds: nothing statistical was declared
    def curves_of(v):
        return [gates.metric.values(_gated(experiment, run(experiment, v, seed=s),
                                           options).history) for s in seeds]

    curves, baseline = curves_of(variant), curves_of(variant.baseline)
    try:
        problem = seeds_check.curve_breaks_claim(variant, declared, curves, baseline, seeds,
                                                 gates.curve, options.significance,
                                                 variants=variants)
    except FreezecheckError as exc:
        problem = f"{variant}: {exc}"  # failed outside the handler: said once, not chained
    _fail_if(problem)
