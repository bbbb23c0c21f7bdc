"""The built-in experiment, declared with the public API: each LeNet trained from
scratch, once with nothing frozen and once with each weight layer frozen at its random
initial weights (ORIGIN.md).

Each model is an :class:`freezecheck.Experiment` like a user's, and its tests are the
ones every experiment generates (tests/test_experiment.py). What it adds is what the
session chooses (:class:`~freezecheck.builtin.settings.Settings`): the tier's recipe and
gates, the data set (MNIST or Fashion-MNIST) and its measured gate, the expectations
measured in this environment, and the reference curves shipped with freezecheck.

Its families (blocks, other initial distributions: freezecheck/builtin/families.py) are
declared on it like a user's, and run through the same generated tests
(tests/test_families.py), at every seed of ``--freezecheck-seeds``.

Its runs train through :func:`freezecheck.builtin.models.train`, the path every stored
measurement was made on, under the store keys of any experiment.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources
from pathlib import Path

from freezecheck.builtin import models
from freezecheck.builtin.datasets import TITLES, check_data_dir, load_dataset
from freezecheck.builtin.settings import (DATASETS, DEFAULT_DATASET, FULL_EPOCH_IMAGES,
                                          FULL_RECIPES, SMOKE_RECIPES, TIER_GATES, Settings,
                                          estimated_seconds)
from freezecheck.describe.freezes import Freeze, each_layer_alone
from freezecheck.errors import FreezecheckError
from freezecheck.experiment import Declared, Experiment, Tier
from freezecheck.train.backend import environment_name

# One load per process and data set, shared by every test that trains on it.
cached_dataset = functools.cache(load_dataset)


class LeNetExperiment(Experiment):
    """One built-in model's experiment: its baseline and each weight layer frozen alone,
    with the tiers full and smoke and the data sets MNIST and Fashion-MNIST."""

    def __init__(self, model: str):
        layers = models.WEIGHT_LAYERS[models.check_model_name(model)]
        super().__init__(
            model, build=functools.partial(models.network, model), layers=layers,
            data={name: functools.partial(_load, name) for name in DATASETS},
            recipe=FULL_RECIPES[model], gates=TIER_GATES["full"],
            tiers={"smoke": Tier(SMOKE_RECIPES[model], TIER_GATES["smoke"])},
            variants=each_layer_alone(layers), families=_families(model))

    def check_options(self, options) -> list[str]:
        """Every option applies to the built-in experiment; its values are checked by
        the session's Settings (a data directory by what it holds)."""
        try:
            settings_for(options)
        except FreezecheckError as exc:
            return [f"experiment {self.name!r}: {exc}"]
        if options.data_dir is not None:
            try:  # the same for every built-in model: said once
                check_data_dir(options.dataset or DEFAULT_DATASET, options.data_dir)
            except FreezecheckError as exc:
                return [f"{options.flag('data_dir')}: {exc}"]
        problems = self.check_seeds(options)
        if options.families and (options.tier or "full") != "full":
            problems.append(
                f"{options.flag('families')}={','.join(options.families)}: experiment "
                f"{self.name!r}'s families are measured on the full tier only; leave out "
                f"{options.flag('tier')}={options.tier} or the families.")
        return problems

    def why_no_claims(self, options) -> tuple[str, str] | None:
        """Its curve claims are measured on the full tier."""
        if settings_for(options).tier == "full":
            return None
        return (f"experiment {self.name!r} declares curve claims on the full tier only",
                f"leave out {options.flag('tier')}={options.tier}")

    def families_chosen(self, options) -> tuple[str, ...]:
        """The families asked for, of the models asked for (--freezecheck-models)."""
        if self.name not in settings_for(options).models:
            return ()
        chosen = settings_for(options).families
        return tuple(f for f in chosen if f in self.family_of.values())

    def recipe_for(self, options):
        """The tier's recipe, the session's seed and training path applied."""
        return settings_for(options).recipe(self.name)

    def gates_for(self, options):
        """The tier's gates; on a data set other than MNIST, the model's measured gate."""
        settings = settings_for(options)
        return dataclasses.replace(settings.gates, min_accuracy=settings.gate(self.name))

    def data_title(self, options) -> str:
        return TITLES[options.dataset or DEFAULT_DATASET]

    def declared(self, variant, options) -> Declared:
        """On the full tier, what was measured in this environment (or the nearest one
        measured) on the session's data set; on the smoke tier nothing: every variant
        must reach its gate and follow its baseline. On MNIST an unmeasured variant of
        the experiment is held to the finding itself; a family's, or any on another
        data set, whose gate comes from measurements, fails saying how to measure it."""
        from freezecheck.errors import ConfigError

        settings = settings_for(options)
        if settings.tier != "full":
            return Declared()
        table = builtin_lookup(environment_name(), settings.dataset)
        expectation = table.expectations.get(variant.id)
        if expectation is None and (settings.dataset != DEFAULT_DATASET
                                    or variant.id in self.family_of):
            raise ConfigError(how_to_measure(table, variant))
        return Declared(expectation, where=table.where(variant.id),
                        spread=table.spreads.get(variant.model, 0.0),
                        source="freezecheck/builtin/expectations.json",
                        regenerate="measure it again (`freezecheck measure`, docs/commands.md), "
                                   "then `freezecheck expectations measurements/*/*.jsonl "
                                   "--out freezecheck/builtin/expectations.json`")

    def why_no_references(self, options) -> str | None:
        settings = settings_for(options)
        if settings.tier != "full" or settings.dataset != DEFAULT_DATASET:
            return "reference curves are kept for the full tier on MNIST only"
        return None

    def references_for(self, options, module: Path):
        return builtin_references(options)

    def estimated_seconds(self, variant, recipe) -> float:
        return estimated_seconds(variant.model, variant.frozen, recipe.epochs,
                                 recipe.train_images or FULL_EPOCH_IMAGES)

    def train(self, variant, recipe, data):
        """Through builtin.models.train: the images given their channel axis, on the
        path every stored measurement was made on."""
        return models.train(variant, recipe, data)


def _families(model: str) -> dict:
    """The families beyond ``single`` (the experiment itself), as Freeze declarations."""
    from freezecheck.builtin.families import FAMILIES, family

    return {name: [Freeze(*v.frozen, init=v.init) for v in family(name, model)]
            for name in FAMILIES if name != "single"}


def _load(name: str, data_dir=None):
    return cached_dataset(name, None if data_dir is None else str(data_dir))


@functools.cache
def settings_for(options) -> Settings:
    """The built-in experiment's Settings of a session: its tier's recipes with the
    seed applied, gates (measured ones off MNIST), data set, seeds and families. A bad
    value raises a ConfigError naming it."""
    from freezecheck.builtin.families import parse_families
    from freezecheck.judge.expectations import measured_gates

    dataset = options.dataset or DEFAULT_DATASET
    return Settings.for_tier(
        options.tier or "full", seed=options.first_seed, seeds=options.seeds or 1,
        families=parse_families(",".join(options.families)) if options.families else (),
        models=options.models or models.MODEL_NAMES,
        dataset=dataset, alpha=options.significance,
        # Read only off MNIST: a session on MNIST never opens the table for its gates.
        measured_gates=(measured_gates(builtin_lookup(environment_name(), dataset))
                        if dataset != DEFAULT_DATASET else None),
        data_dir=str(options.data_dir) if options.data_dir else None,
        training=options.training, **options.gate_overrides(),
        references=_references_where(options))


def _references_where(options) -> tuple[Path, bool]:
    """(the directory written, and read first; whether the shipped references are read
    after it): the shipped ones only when no directory is given."""
    if options.references_dir is not None:
        return options.references_dir, False
    return options.rootdir / "references", True


def builtin_references(options):
    """The built-in experiment's reference curves of this environment: in the session's
    references directory, then (when none is given) those shipped with freezecheck."""
    from freezecheck.judge.references import SUPPORTED_ENVIRONMENTS, References

    root, read_shipped = _references_where(options)
    environment = environment_name()
    command = ("pytest -n auto tests/test_experiment.py --freezecheck-tier=full "
               "--freezecheck-regen-references")
    if environment in SUPPORTED_ENVIRONMENTS:
        command = f"tox -e {environment} -- " + command.removeprefix("pytest -n auto ")
    return References(root, environment, regenerate=options.regen_references,
                      also=[shipped_references()] if read_shipped else [],
                      training=settings_for(options).recipe("lenet").training,
                      regen_command=command)


def shipped_references() -> Path:
    """The built-in experiment's references, in the installed package."""
    return Path(str(resources.files("freezecheck.builtin") / "references"))


# The environment whose measurements stand in for one without its own: the one the
# built-in experiment was measured in at ten seeds.
DEFAULT_ENVIRONMENT = "py311-tf221"


@functools.cache
def measured_table() -> dict:
    """The built-in experiment's declarations (``expectations.json``, made by
    ``freezecheck expectations`` from measurements/): environment -> data set -> ..."""
    from freezecheck.judge.declarations import read

    return read(Path(str(resources.files("freezecheck.builtin") / "expectations.json")))


def builtin_lookup(environment: str, dataset: str):
    """The built-in experiment's expectations for a session (judge.expectations.lookup)."""
    from freezecheck.judge.expectations import lookup

    return lookup(environment, dataset, measured_table(), DEFAULT_ENVIRONMENT)


def how_to_measure(found, variant) -> str:
    """What to run when ``variant`` has no expectation in ``found``."""
    return (
        f"{variant}: no expectation measured ({found.where(variant.id)}). Measure it "
        f"with `python -m freezecheck measure --dataset {found.dataset} --models "
        f"{variant.model} --families FAMILY --seeds 5 --store-dir DIR --out FILE`, "
        f"then `python -m freezecheck expectations FILE... --out "
        f"freezecheck/builtin/expectations.json` in a checkout of freezecheck, and "
        f"review and commit it.")


EXPERIMENTS = {model: LeNetExperiment(model) for model in models.MODEL_NAMES}
