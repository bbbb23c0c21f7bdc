"""What every generated test asserts, as functions that return why a run fails, or None.

Shared by the tests every :class:`freezecheck.Experiment` generates and by tests
written against the library, so that all say the same thing about the same failure. Each takes a finished run's record and asserts nothing itself.
"""

from __future__ import annotations

from freezecheck.describe.recipe import VALIDATION_ACCURACY, Metric
from freezecheck.judge.curves import compare_curves
from freezecheck.judge.fingerprints import changes
from freezecheck.judge.references import (EXACT, describe_environment, exact_differences,
                                          judgement, training_path)


def variable_paths(record, layers) -> list[str]:
    """The recorded variables of ``layers``, every one (non-trainable ones included)."""
    paths = [path for layer in layers for path in record.variables_of(layer)]
    assert paths, f"no variables recorded for layers {layers}: the record is malformed"
    return paths


def frozen_weights_changed(variant, record) -> str | None:
    """Every variable of a frozen layer must end bitwise equal to its initial value."""
    changed = changes(record.weights_before, record.weights_after,
                      variable_paths(record, variant.frozen))
    if not changed:
        return None
    return (f"{variant}: {len(changed)} frozen variable(s) changed during training:\n"
            + "\n".join("  " + c.describe() for c in changed)
            + "\nA layer set trainable=False was updated anyway. Check that it is frozen "
            "before the model is compiled (Keras 3 reads `trainable` when the train "
            "function is built), that the optimizer touches only trainable variables, and "
            "that no layer updates its own state (a BatchNormalization's moving "
            "statistics) while frozen.")


def trainable_weights_unchanged(variant, record) -> str | None:
    """Every trainable layer's variables must have moved."""
    paths = variable_paths(record, variant.trainable)
    moved = {c.path for c in changes(record.weights_before, record.weights_after, paths)}
    unchanged = [p for p in paths if p not in moved]
    if not unchanged:
        return None
    return (f"{variant}: {len(unchanged)} trainable variable(s) ended bitwise equal to "
            f"their initial values: {', '.join(unchanged)}.\nTraining did not update "
            f"them: a zero learning rate, a layer frozen by mistake, or a step that "
            f"applies no gradients.")


def accuracy_missed(variant, record, gate: float, expectation=None, where: str = "",
                    spread: float = 0.0, metric: Metric = VALIDATION_ACCURACY) -> str | None:
    """The final validation accuracy (or the gates' ``metric``) reaches ``gate``, or
    keeps ``expectation``. A metric the run does not record raises a ConfigError
    naming it and those it records."""
    from freezecheck.judge.expectations import judge_accuracy

    values = metric.values(record.history, f"the run of {variant}")
    problem = judge_accuracy(values[-1], expectation, gate, spread, metric)
    if not problem:
        return None
    curve = ", ".join(f"{a:.4f}" for a in values)
    where = f" (measured in {where})" if expectation and where else ""
    return (f"{variant}: final {metric.label} {problem}{where}; test accuracy "
            f"{record.test_accuracy:.4f}.\n  {metric.label} per epoch: {curve}")


def reference_at_another_seed(variant, record, references) -> str | None:
    """Why ``record`` is not judged against its stored reference, or None: the
    reference was made at another seed, the rest of the recipe the same. A reference
    repeats one run, so it judges a session at its own seed only (``--freezecheck-seed``
    chooses another); a recipe that differs otherwise is a change, and fails
    (:func:`reference_missed`)."""
    if references.regenerate:
        return None
    found = references.find(variant.id)
    if found is None:
        return None
    reference, whose = found
    stored = dict(reference["recipe"])
    if stored.get("seed") == record.recipe.get("seed"):
        return None
    if {**stored, "seed": record.recipe.get("seed")} != record.recipe:
        return None
    path = references.located(variant.id, whose)
    seed = record.recipe.get("seed")
    return (f"{variant}: the stored reference {path} is of seed {stored.get('seed')}, this "
            f"run of seed {seed}: a reference judges a session at its own seed only, and "
            f"this run is judged against its baseline and its declaration by the other "
            f"tests. To keep references at seed {seed}, add --freezecheck-seed={seed} "
            f"--freezecheck-references-dir=DIR --freezecheck-regen-references.")


def reference_missed(variant, record, references, tolerance, record_property,
                     exact: bool = True) -> str | None:
    """The run against its stored reference; regenerating writes the reference and
    fails, so that nobody regenerates by accident.

    A run in the same environment as its environment's own reference (the same CPU
    type, library versions, training path and recipe: judge.references.judgement) must
    repeat it bit for bit: every epoch's validation accuracy, the test accuracy and the
    sha256 of every weight after training. Any other run (another CPU type or version,
    a borrowed reference, a reference made before these were recorded) is judged by
    the curve ``tolerance``, on its metric (a reference records validation accuracy,
    and the gates' metric where it is another). ``exact=False`` judges every run by the tolerance: what the
    option ``--freezecheck-reference-match=tolerance`` is to choose
    (``--freezecheck-reference-match=exact``, the default, is ``exact=True``).

    Records, pass or fail, the JUnit properties ``reference_environment`` (whose
    reference), ``reference_judged_by`` (``exact`` or ``tolerance``),
    ``reference_judged_by_reason`` (one line: the same environment, or what differs,
    or that it was relaxed) and ``largest_reference_deviation``."""
    metric = tolerance.metric
    run_curve = metric.values(record.history, f"the run of {variant}")
    if references.regenerate:
        path = references.write(record)
        return (f"regenerated {path}: review it, commit it, and run again without "
                f"--freezecheck-regen-references.")
    found = references.find(variant.id)
    if found is None:
        return (f"no reference curve for {variant} in environment "
                f"{references.environment}, nor in any supported environment: expected "
                f"{references.path(variant.id)}.\n" + references.how_to_create())
    reference, whose = found
    path = references.located(variant.id, whose)
    # Which environment's reference judged this run, whether it passes or fails.
    record_property("reference_environment", whose)
    own = whose == references.environment
    borrowed = "" if own else references.borrowed(whose) + " "
    if reference["recipe"] != record.recipe:
        return (f"the reference {path} was made with recipe {reference['recipe']}, this "
                f"run used {record.recipe}.\n" + borrowed + references.how_to_create())
    stored_curve = reference.get(metric.name)
    if stored_curve is None:  # a reference made before the gates read this metric
        return (f"the reference {path} holds no {metric.name} curve, which the gates "
                f"read: it was made before they did.\n" + borrowed
                + (references.how_to_create() if borrowed
                   else f"To record it, {references.how_to_regenerate()}."))
    judged = judgement(reference, record, borrowed_from=None if own else whose, exact=exact)
    record_property("reference_judged_by", judged.by)
    record_property("reference_judged_by_reason", judged.reason)
    comparison = compare_curves(run_curve, stored_curve, tolerance)
    record_property("largest_reference_deviation", comparison.largest_deviation)
    if judged.by == EXACT:
        differences = exact_differences(reference, record)
        if not differences:
            return None
        environment = describe_environment(reference["cpu"], reference["versions"],
                                           training_path(record.recipe))
        data = reference.get("data_sha256")
        other_data = (f"The data differ from the reference's (sha256 {record.data_sha256} "
                      f"here, {data} there): the likely cause.\n"
                      if data is not None and data != record.data_sha256 else "")
        largest = (f"{comparison.largest_deviation * 100:.2f} points" if metric.fraction
                   else f"{comparison.largest_deviation:.4f}")
        verdict = ("pass" if comparison.ok else "fail too") + (
            f" (largest difference {largest})")
        return (f"{variant}: same environment ({environment}), other results than its "
                f"{whose} reference {path}:\n"
                + "\n".join("  " + line for line in differences) + "\n"
                + other_data
                + "In the same environment a run repeats its reference bit for bit, so "
                "something the reference does not record has changed: the model's code or "
                "the data, freezecheck's training code, a dependency not among the "
                "recorded versions (a oneDNN or BLAS build, say), a patched library, or "
                "nondeterminism in training.\n"
                + f"Judged by the tolerance alone the run would {verdict}.\n"
                + f"Investigate the difference; if it is intended, "
                f"{references.how_to_regenerate()}; or judge by the tolerance alone with "
                f"--freezecheck-reference-match=tolerance.")
    if comparison.ok:
        return None
    return (comparison.report(variant.id, f"its {whose} reference")
            + f"\n  this run:  {', '.join(f'{a:.4f}' for a in run_curve)}"
            + f"\n  reference: {', '.join(f'{a:.4f}' for a in stored_curve)}"
            + f"\n  ({path}, made with {reference['versions']})"
            + f"\n  judged by the tolerance: {judged.reason}"
            + (f"\n{borrowed}{references.how_to_create()}" if borrowed else ""))
