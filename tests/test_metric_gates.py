"""Gates on a metric the experiment names (freezecheck.Metric), with its direction: the
final gate, the curve's lag, the declarations and the command line's gate options, and
a toy experiment of one's own recipe gated on its validation loss, run by pytest."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import freezecheck
from freezecheck.describe.recipe import CurveTolerance
from freezecheck.describe.session import SessionOptions
from freezecheck.errors import ConfigError
from freezecheck.judge import claims, metric_effects
from freezecheck.judge.curves import compare_curves
from freezecheck.judge.declarations import declare
from freezecheck.judge.expectations import Expectation, judge_accuracy

LOSS = freezecheck.Metric("val_loss", higher_is_better=False)


def _loss_gates(**changes):
    return freezecheck.Gates(**{"metric": LOSS, "final": 0.4, "curve_band": 0.1,
                                "curve_level": 0.5, "curve_max_lag": 1, "curve_margin": 0.01,
                                **changes})


def _experiment(gates, compile=None):
    def data():
        rng = np.random.default_rng(0)
        return freezecheck.arrays(train=(rng.normal(size=(20, 4)), rng.integers(0, 2, 20)),
                                  validation=(rng.normal(size=(6, 4)), rng.integers(0, 2, 6)))

    return freezecheck.Experiment("lossy", build=lambda: None, layers=("a", "b"), data=data,
                                  recipe=freezecheck.Recipe(epochs=2), gates=gates,
                                  compile=compile)


@pytest.mark.parametrize("changes, message", [
    ({"min_accuracy": 0.9}, "min_accuracy is the final gate of validation accuracy; these "
                            "gates read val_loss. Give the final gate in its units as final=..."),
    ({"final": None}, "Gates expected final. Received: none"),
    ({"final": float("nan")}, "final expected a finite number. Received: final=nan"),
    ({"curve_band": -0.1}, "band expected a finite number >= 0. Received: band=-0.1"),
    ({"metric": "val_loss"}, "metric expected a freezecheck.Metric(name, higher_is_better=...). "
                             "Received: metric='val_loss'"),
])
def test_bad_metric_gates_are_refused_naming_the_field(changes, message):
    with pytest.raises(ConfigError) as caught:
        _loss_gates(**changes)
    assert message in str(caught.value)


@pytest.mark.parametrize("arguments, message", [
    (("loss", False), "metric name expected a validation metric as Keras' fit names it"),
    (("val_loss", None), "metric val_loss: higher_is_better expected True or False. "
                         "Received: higher_is_better=None"),
    (("val_loss", False, "yes"), "fraction expected True or False"),
])
def test_bad_metric_is_refused(arguments, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        freezecheck.Metric(*arguments)


def test_accuracy_gates_read_as_they_always_have():
    """Given positionally, by min_accuracy or by final: one gate, the same record."""
    gates = freezecheck.Gates(0.9, 0.05, 0.9, 1)
    assert gates == freezecheck.Gates(final=0.9, curve_band=0.05, curve_level=0.9,
                                      curve_max_lag=1)
    assert gates.as_dict() == {"min_accuracy": 0.9, "curve_band": 0.05, "curve_level": 0.9,
                               "curve_max_lag": 1, "curve_margin": 0.0015}
    assert gates.final_gate == 0.9 and gates.metric.is_default
    assert _loss_gates().as_dict() == {
        "metric": {"name": "val_loss", "higher_is_better": False, "unit": "value"},
        "final": 0.4, "curve_band": 0.1, "curve_level": 0.5, "curve_max_lag": 1,
        "curve_margin": 0.01}


def test_a_metric_that_is_not_a_fraction_states_its_margin():
    """The default margin is an accuracy's (0.15 points): in a loss's units it would
    mean nothing, so it is asked for, not assumed."""
    with pytest.raises(ConfigError, match=re.escape(
            "Gates on val_loss expected curve_margin, in its units")):
        freezecheck.Gates(metric=LOSS, final=0.4, curve_band=0.1, curve_level=0.5,
                          curve_max_lag=1)
    with pytest.raises(ConfigError, match=re.escape(
            "margin expected a positive number. Received: margin=-0.01")):
        _loss_gates(curve_margin=-0.01)


def test_a_metric_no_run_records_is_refused_at_declaration_naming_those_recorded():
    """Without a compile of its own a run records accuracy and loss only, on either path:
    known before anything is built."""
    gates = freezecheck.Gates(metric=freezecheck.Metric("val_top_3", higher_is_better=True),
                              final=0.9, curve_band=0.1, curve_level=0.9, curve_max_lag=1,
                              curve_margin=0.01)
    with pytest.raises(ConfigError) as caught:
        _experiment(gates)
    assert str(caught.value) == (
        "experiment 'lossy': the full tier's gates metric 'val_top_3' is not recorded by its "
        "runs: without compile=, they record accuracy, loss, val_accuracy, val_loss. Gate on "
        "one of those, or compile the metric yourself with Experiment(..., compile=function).")
    _experiment(gates, compile=lambda model, recipe: None)  # its compile may report it


def test_the_lower_is_better_final_gate_fails_above_it_naming_the_numbers():
    assert judge_accuracy(0.35, None, 0.4, 0.0, LOSS) is None
    assert judge_accuracy(0.45, None, 0.4, 0.0, LOSS) == "0.4500 is above the gate 0.4000"
    # Declared to fall short of a loss gate: above it, and within the measured range.
    short = Expectation(seeds=(0, 1), finals=(0.60, 0.64), follows_baseline=False)
    assert short.kind(0.4, LOSS) == "short" and short.kind(0.7, LOSS) == "reaches"
    assert judge_accuracy(0.62, short, 0.4, 0.0, LOSS) is None
    assert judge_accuracy(0.38, short, 0.4, 0.0, LOSS).startswith(
        "0.3800 reaches the gate 0.4000, but is declared to fall short of it: short "
        "(0.6000 to 0.6400 at seeds 0, 1)")


def test_the_curve_lag_counts_epochs_to_fall_to_a_lower_is_better_level():
    baseline = [0.9, 0.6, 0.45, 0.40, 0.38]
    slower = [0.9, 0.8, 0.7, 0.60, 0.45]  # falls to 0.5 at epoch 5, the baseline at 3
    loss = CurveTolerance(band=0.5, level=0.5, max_lag=1, metric=LOSS)
    comparison = compare_curves(slower, baseline, loss)
    assert (comparison.variant_epochs_to_level, comparison.baseline_epochs_to_level) == (5, 3)
    assert comparison.report("v", "b") == (
        "v first reached validation loss <= 0.5000 at epoch 5, b at epoch 3: more than the "
        "allowed 1 epoch(s) apart.")
    # Read as a metric where higher is better, both curves start above the level.
    rising = CurveTolerance(band=0.5, level=0.5, max_lag=1,
                            metric=freezecheck.Metric("val_loss", higher_is_better=True))
    assert compare_curves(slower, baseline, rising).ok


def test_a_lower_is_better_effect_is_signed_as_an_improvement_and_gated_one_sided():
    """A loss's gaps are the baseline's minus the variant's: negative where the variant
    is worse, so the one-sided regression gate fails a loss that rises, and a loss
    that falls is a stale declaration, never a failure."""
    rng = np.random.default_rng(1)
    baseline = [np.linspace(1.0, 0.3, 8) + rng.normal(0, 0.01, 8) for _ in range(5)]
    variant = [curve + 0.1 for curve in baseline]  # higher loss: worse, and slower
    effect = metric_effects.measure_effect(variant, baseline, level=0.5, seeds=range(5),
                                           metric=LOSS)
    assert effect.level == 0.5  # as the gates state it
    assert np.allclose(effect.gap, -0.1, atol=0.02) and effect.mean_gap < 0
    assert effect.lag > 0  # more epochs to fall to 0.5
    run = metric_effects.run_effect(variant[0], baseline[0], level=0.5, metric=LOSS)
    assert claims.judge_run(effect, run, alpha=0.01) == []
    worse = metric_effects.run_effect(variant[0] + 0.2, baseline[0], level=0.5, metric=LOSS)
    findings = claims.judge_run(effect, worse, alpha=0.01)
    assert findings, "a loss 0.2 higher than declared must fail"
    message = metric_effects.explain("v", "leaves", effect, worse, findings,
                                     where="here", alpha=0.01, metric=LOSS)
    assert "-0.3" in message and "points" not in message, message
    assert "gaps of validation loss are signed as for an accuracy" in message
    better = metric_effects.run_effect(baseline[0] - 0.2, baseline[0], level=0.5, metric=LOSS)
    assert claims.judge_run(effect, better, alpha=0.01) == []
    assert claims.stale(effect, better, alpha=0.01) is not None


def _row(variant, seed, loss):
    return {"variant": variant, "seed": seed, "environment": "env", "val_loss": loss,
            "val_accuracy": [0.5] * len(loss), "final_val_accuracy": 0.5}


def test_declarations_are_made_on_the_gates_metric():
    baseline = {s: _row("x[none]", s, [0.9, 0.5, 0.40 + s / 100]) for s in range(2)}
    frozen = {s: _row("x[a]", s, [0.9, 0.8, 0.70 + s / 100]) for s in range(2)}
    entries = declare({"x[none]": baseline, "x[a]": frozen},
                      lambda v: None if v == "x[none]" else "x[none]",
                      _loss_gates().curve, alpha=0.01)
    assert entries["x[none]"]["finals"] == pytest.approx([0.40, 0.41])
    assert entries["x[a]"]["finals"] == pytest.approx([0.70, 0.71])
    assert entries["x[a]"]["follows_baseline"] is False  # lags: 0.5 never reached
    top3 = freezecheck.Gates(metric=freezecheck.Metric("val_top_3", higher_is_better=True),
                             final=0.9, curve_band=0.1, curve_level=0.9, curve_max_lag=1,
                              curve_margin=0.01)
    with pytest.raises(ConfigError, match=re.escape(
            "x[a] seed 0 (env): the measurement records no 'val_top_3' curve, which the gates "
            "read; it records val_accuracy, val_loss.")):
        declare({"x[none]": baseline, "x[a]": frozen},
                lambda v: None if v == "x[none]" else "x[none]", top3.curve, alpha=0.01)


def test_accuracy_gate_options_are_refused_for_another_metric_and_the_lag_applies():
    experiment = _experiment(_loss_gates())
    for name, value in (("min_accuracy", 0.9), ("curve_band", 0.1), ("curve_level", 0.9)):
        options = SessionOptions(**{name: value})
        assert experiment.check_options(options) == [
            f"{options.flag(name)}={value}: experiment 'lossy' gates on val_loss, not "
            f"validation accuracy; the option is in accuracy's units. Change the "
            f"experiment's Gates(...) instead, or leave the option out."]
    lagged = SessionOptions(curve_max_lag=3)
    assert experiment.check_options(lagged) == []
    assert experiment.gates_for(lagged) == _loss_gates(curve_max_lag=3)


def test_declarations_of_another_metric_are_refused_naming_both(tmp_path):
    from freezecheck.judge.declarations import document

    experiment = _experiment(_loss_gates())
    path = tmp_path / "declarations.json"
    table = {"py311-tf221": {"data": {"variants": {"lossy[a]": {
        "seeds": [0], "finals": [0.9], "follows_baseline": True}}}}}
    path.write_text(document(table, "by hand, for the test"))
    experiment.declarations = path
    with pytest.raises(ConfigError, match=re.escape(
            f"experiment 'lossy': the declarations {path} were declared on val_accuracy; the "
            f"gates read val_loss. Declare again")):
        experiment.declared(experiment.variant("lossy[a]"), SessionOptions())


TOY = '''
import numpy as np
import freezecheck

LEARNING_RATE = {learning_rate}
GATED = {gated!r}


def build():
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="a"),
                             keras.layers.Dense(2, activation="softmax", name="b")])


def compile(model, recipe):
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    return freezecheck.arrays(train=(x[:150], y[:150]), validation=(x[150:], y[150:]))


TestLossy = freezecheck.Experiment(
    "lossy", build=build, layers=("a", "b"), data=data, compile=compile,
    recipe=freezecheck.Recipe(epochs=4, batch_size=16),
    gates=freezecheck.Gates(metric=freezecheck.Metric(GATED, higher_is_better=False),
                            final=0.35, curve_band=0.5, curve_level=0.5, curve_max_lag=1,
                            curve_margin=0.01)
).tests()
'''


def _toy(pytester, learning_rate=0.1, gated="val_loss"):
    pytester.makepyfile(test_lossy=TOY.format(learning_rate=learning_rate, gated=gated))


@pytest.mark.training
def test_a_loss_gate_passes_a_good_run_and_fails_a_planted_regression(pytester, tmp_path):
    """SGD at 0.1 falls well below the validation-loss gate; at a hundredth of it (the
    planted regression) it stays above it, and the gate test says so with the numbers.
    The report names the metric, its direction and its values."""
    args = ("-p", "no:cacheprovider", "--freezecheck-report-dir=report", "-k",
            "reaches_accuracy_gate and lossy[none]")
    _toy(pytester)
    good = pytester.runpytest_subprocess(*args)
    good.assert_outcomes(passed=1)
    good.stdout.fnmatch_lines(["freezecheck: lossy[[]none] seed 0: val accuracy *, "
                               "val_loss 0.* after 4 epochs, trained in *",
                               "*gates: final validation loss <= 0.3500; curve within "
                               "+-0.5000 of the baseline's, validation loss <= 0.5000 "
                               "reached at most 1 epoch(s) after it*",
                               "lossy  (gate val_loss <= 0.3500)"])
    results = json.loads((pytester.path / "report" / "results.json").read_text())
    assert results["gates"]["metric"] == {"name": "val_loss", "higher_is_better": False,
                                          "unit": "value"}
    assert results["model_gates"] == {"lossy": 0.35}
    run = results["runs"][0]
    assert run["final_metric"] == run["metric_values"][-1] < 0.35
    _toy(pytester, learning_rate=0.001)
    planted = pytester.runpytest_subprocess(*args)
    planted.assert_outcomes(failed=1)
    planted.stdout.fnmatch_lines([
        "*lossy[[]none]: final validation loss 0.* is above the gate 0.3500; test accuracy *",
        "*validation loss per epoch: 0.*"])


@pytest.mark.training
def test_a_gates_metric_the_compile_does_not_report_is_said_once_and_nothing_retrains(
        pytester, tmp_path):
    """val_top_3 is not compiled: the first test that reads it says so in full, naming the
    metrics the run records, the others in one line; the frozen-weight tests, which do
    not read it, pass; fixing the gates reuses the stored runs."""
    store = tmp_path / "store"
    args = ("-p", "no:cacheprovider", f"--freezecheck-store-dir={store}", "-p", "no:randomly",
            "-k", "lossy[none] or lossy[a]")
    _toy(pytester, gated="val_top_3")
    refused = pytester.runpytest_subprocess(*args)
    output = refused.stdout.str()
    full = ("experiment 'lossy': gates metric 'val_top_3' is not recorded by its runs. "
            "Recorded: accuracy, loss, val_accuracy, val_loss. Name one of those in "
            "Gates(metric=freezecheck.Metric(...)), or add the metric to the metrics "
            "compile passes to model.compile.")
    failures = output[output.index("= FAILURES ="):output.index("short test summary")]
    assert failures.count(full) == 1, output
    assert "gates metric 'val_top_3' is not recorded, as the first test that asked says " \
           "in full" in failures
    refused.assert_outcomes(passed=3, failed=5)  # frozen, trainable x2 pass
    refused.stdout.fnmatch_lines(["lossy  (gate val_top_3 <= 0.3500)",
                                  "*epochs to val_top_3 <= 0.35*"])
    _toy(pytester)
    fixed = pytester.runpytest_subprocess(*args, "--freezecheck-regen-references")
    fixed.stdout.no_fnmatch_line("*trained in*")
    fixed.stdout.fnmatch_lines(["*loaded from the store*"])
