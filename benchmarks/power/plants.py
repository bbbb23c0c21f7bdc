"""The regressions the curve gates' power is measured against, fixed before any rule is tuned.

Each plant is a change a real regression could make to one variant's training (a
library upgrade, a data loader, a refactor), planted in LeNet-5 with ``out`` frozen
(``TARGET``) and never in its baseline, so the paired gap the gates judge moves by what
the plant costs and by nothing else:

- one layer's learning rate (``fc1``, the largest trainable layer) at 0.25x and 0.5x of
  the recipe's, the rest of the network unchanged (a per-variable learning rate, as a
  wrongly scoped optimizer argument would give);
- Adam's first-moment decay ``beta_1`` at 0.8 instead of 0.9 (a changed default);
- 2% of the training labels replaced by another class (a data-loading fault);
- a training set 10% smaller (the first 90% of the training images: a dropped shard).

The definitions are data: :data:`PLANTS` is read by ``benchmarks/power/measure_plants.py``,
which trains every plant, the unplanted target and the baseline at seeds no declaration
was made from (``SEEDS``), and writes one measurement line per run with the plant's name.
The rule the runs are judged by is not here and may change; these plants may not. Their
names, targets and sizes were fixed and committed before the margin and the one-sided
regression gate of ``freezecheck/judge/claims.py`` were written, so no rule can have been
tuned to catch them.

``planted(plant)`` installs a plant in this process for the duration of a ``with``
block, by standing functions of ``freezecheck.train.training`` in (the mechanism of
``tests/test_sensitivity.py``'s conftest plants, as a context manager instead of a
conftest so that one process can train planted and unplanted runs in turn).
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np

TARGET = "lenet5[out]"  # the variant every plant is planted in
BASELINE = "lenet5[none]"  # never planted: the gap is the target's minus this
SEEDS = range(10, 30)  # above every seed a declaration of the built-in experiment used
UNPLANTED = "none"  # the name measurement lines give the target and baseline unplanted
LABEL_NOISE_SALT = 25  # mixed into the seed of the label-noise draw, so it is not the run's


@dataclasses.dataclass(frozen=True)
class Plant:
    """One regression, planted in ``TARGET``'s training only. Exactly one field besides
    ``name`` and ``what`` is set."""

    name: str
    what: str
    layer_learning_rate: tuple[str, float] | None = None  # (layer, factor of the recipe's)
    beta_1: float | None = None  # Adam's first-moment decay (Keras' default 0.9)
    noised_labels: float | None = None  # fraction of training labels given another class
    train_fraction: float | None = None  # fraction of the training images kept (the first)

    def __post_init__(self):
        set_fields = [f for f in ("layer_learning_rate", "beta_1", "noised_labels",
                                  "train_fraction") if getattr(self, f) is not None]
        if len(set_fields) != 1:
            raise ValueError(f"plant {self.name}: exactly one change expected. Received: "
                             f"{set_fields or 'none'}")


PLANTS = (
    Plant("fc1-lr-0.25", "fc1's learning rate at 0.25x the recipe's",
          layer_learning_rate=("fc1", 0.25)),
    Plant("fc1-lr-0.5", "fc1's learning rate at 0.5x the recipe's",
          layer_learning_rate=("fc1", 0.5)),
    Plant("adam-beta1-0.8", "Adam's beta_1 at 0.8 instead of 0.9", beta_1=0.8),
    Plant("labels-noised-2pct", "2% of the training labels replaced by another class",
          noised_labels=0.02),
    Plant("train-10pct-smaller", "the first 90% of the training images only",
          train_fraction=0.9),
)
BY_NAME = {plant.name: plant for plant in PLANTS}


def noised_labels(labels: np.ndarray, fraction: float, seed: int, classes: int = 10) -> np.ndarray:
    """A copy of ``labels`` with ``round(fraction * n)`` of them, drawn without
    replacement, each moved to another class drawn uniformly. The draw depends on
    ``seed`` alone: a planted run at a seed sees the same noise every time."""
    rng = np.random.default_rng([seed, LABEL_NOISE_SALT])
    noised = np.array(labels, copy=True)
    chosen = rng.choice(len(labels), size=round(fraction * len(labels)), replace=False)
    noised[chosen] = (noised[chosen] + rng.integers(1, classes, size=len(chosen))) % classes
    return noised


class _LayerLearningRate:
    """Two Adams standing in for one: ``layer``'s variables updated by a copy of
    ``optimizer`` whose learning-rate schedule starts ``factor`` times as high, every
    other variable by ``optimizer`` itself. Adam keeps its moments per variable, so this
    is a per-layer learning rate and nothing else. Used by ``compile_epoch``, which
    calls only ``build`` and ``apply_gradients``."""

    def __init__(self, optimizer, variables, factor: float):
        config = optimizer.get_config()
        schedule = dict(config["learning_rate"])
        schedule["config"] = {**schedule["config"],
                              "initial_learning_rate":
                                  schedule["config"]["initial_learning_rate"] * factor}
        self.rest = optimizer
        self.layer = type(optimizer).from_config({**config, "learning_rate": schedule})
        self.layer_ids = {id(v) for v in variables}

    def _split(self, variables):
        return ([v for v in variables if id(v) in self.layer_ids],
                [v for v in variables if id(v) not in self.layer_ids])

    def build(self, variables):
        mine, rest = self._split(variables)
        self.layer.build(mine)
        self.rest.build(rest)

    def apply_gradients(self, pairs):
        pairs = list(pairs)
        self.layer.apply_gradients([(g, v) for g, v in pairs if id(v) in self.layer_ids])
        self.rest.apply_gradients([(g, v) for g, v in pairs if id(v) not in self.layer_ids])


@contextlib.contextmanager
def planted(plant: Plant):
    """``plant`` installed in ``TARGET``'s training (loop path) while the block runs."""
    from freezecheck.train import training

    train, compile_epoch = training.train, training.compile_epoch

    def planted_train(variant, recipe, data, *args, **kwargs):
        if variant.id != TARGET:
            return train(variant, recipe, data, *args, **kwargs)
        if recipe.training != "loop":
            raise ValueError(f"plant {plant.name}: planted in the compiled loop only. "
                             f"Received: recipe.training={recipe.training!r}")
        if plant.noised_labels is not None:
            data = dataclasses.replace(data, train_labels=noised_labels(
                data.train_labels, plant.noised_labels, recipe.seed))
        if plant.train_fraction is not None:
            recipe = dataclasses.replace(
                recipe, train_images=int(plant.train_fraction * len(data.train_labels)))
        training.compile_epoch = planted_compile_epoch
        try:
            return train(variant, recipe, data, *args, **kwargs)
        finally:
            training.compile_epoch = compile_epoch

    def planted_compile_epoch(net, optimizer, *args, **kwargs):
        if plant.beta_1 is not None:
            optimizer = type(optimizer).from_config({**optimizer.get_config(),
                                                     "beta_1": plant.beta_1})
        if plant.layer_learning_rate is not None:
            layer, factor = plant.layer_learning_rate
            optimizer = _LayerLearningRate(
                optimizer, net.get_layer(layer).trainable_variables, factor)
        return compile_epoch(net, optimizer, *args, **kwargs)

    training.train = planted_train
    try:
        yield
    finally:
        training.train, training.compile_epoch = train, compile_epoch
