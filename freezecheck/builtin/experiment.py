"""The built-in experiment, declared with the public API: each LeNet trained from
scratch, once with nothing frozen and once with each weight layer frozen at its random
initial weights (ORIGIN.md).

Each model is an :class:`freezecheck.Experiment` like a user's, and its tests are the
ones every experiment generates (tests/test_experiment.py). What it adds is what the
session chooses (:class:`~freezecheck.builtin.settings.Settings`): the tier's recipe and
gates, the data set (MNIST or Fashion-MNIST) and its measured gate, the expectations
measured in this environment, and the reference curves shipped with freezecheck.

Its runs train through :func:`freezecheck.builtin.models.train`, the path every stored
measurement was made on, and keep the built-in store keys, so the families
(tests/test_families.py) reuse them within a session.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from freezecheck.builtin import models
from freezecheck.builtin.datasets import TITLES, load_dataset
from freezecheck.builtin.settings import DEFAULT_DATASET, FULL_RECIPES, TIER_GATES
from freezecheck.experiment import Declared, Experiment, each_layer_alone
from freezecheck.train.backend import environment_name

# One load per process and data set, shared by every test that trains on it.
cached_dataset = functools.cache(load_dataset)


class LeNetExperiment(Experiment):
    """One built-in model's experiment: its baseline and each weight layer frozen alone."""

    def __init__(self, model: str):
        layers = models.WEIGHT_LAYERS[models.check_model_name(model)]
        super().__init__(
            model, build=functools.partial(models.network, model), layers=layers,
            data=functools.partial(cached_dataset, DEFAULT_DATASET, None),
            recipe=FULL_RECIPES[model], gates=TIER_GATES["full"],
            variants=each_layer_alone(layers))

    def recipe_for(self, settings):
        """The tier's recipe, the session's seed and training path applied."""
        return settings.recipe(self.name)

    def gates_for(self, settings):
        """The tier's gates; on a data set other than MNIST, the model's measured gate."""
        return dataclasses.replace(settings.gates, min_accuracy=settings.gate(self.name))

    def data_for(self, settings):
        return cached_dataset(settings.dataset, settings.data_dir)

    def data_title(self, settings) -> str:
        return TITLES[settings.dataset]

    def declared(self, variant, settings) -> Declared:
        """On the full tier, what was measured in this environment (or the nearest one
        measured) on the session's data set; on the smoke tier nothing: every variant
        must reach its gate and follow its baseline. On MNIST an unmeasured variant is
        held to the finding itself; on another data set, whose gate comes from
        measurements, it fails saying how to measure it."""
        from freezecheck.errors import ConfigError
        from freezecheck.judge.expectations import lookup

        if settings.tier != "full":
            return Declared()
        table = lookup(environment_name(), settings.dataset)
        expectation = table.expectations.get(variant.id)
        if expectation is None and settings.dataset != DEFAULT_DATASET:
            raise ConfigError(table.how_to_measure(variant))
        return Declared(expectation, where=table.where(variant.id),
                        spread=table.spreads.get(variant.model, 0.0),
                        source="freezecheck/builtin/expectations.json")

    def why_no_references(self, settings) -> str | None:
        if settings.tier != "full" or settings.dataset != DEFAULT_DATASET:
            return "reference curves are kept for the full tier on MNIST only"
        return None

    def references_for(self, settings, module: Path, regenerate: bool):
        return builtin_references(settings.references, regenerate)

    def train(self, variant, recipe, data):
        """Through builtin.models.train: the images given their channel axis, on the
        path every stored measurement was made on."""
        return models.train(variant, recipe, data)

    def key(self) -> None:
        """None: the built-in runs' store keys hash freezecheck's own code
        (train.store.TRAINING_MODULES), as the families' runs do."""
        return None


def builtin_references(where: tuple[Path, bool], regenerate: bool = False):
    """The built-in experiment's reference curves of this environment, from ``where``:
    (the directory written, and read first; whether those shipped with freezecheck are
    read after it)."""
    from freezecheck.judge.references import References, shipped_root

    root, read_shipped = where
    return References(root, environment_name(), regenerate=regenerate,
                      also=[shipped_root()] if read_shipped else [])


EXPERIMENTS = {model: LeNetExperiment(model) for model in models.MODEL_NAMES}
