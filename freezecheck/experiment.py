"""Your own experiment: describe the model, data, recipe, variants and gates; get the tests.

Importing this module imports neither TensorFlow nor Keras: a declaration is checked
when its test module is imported (at collection), the model is built only when a test
first needs a run. A test module holds::

    experiment = freezecheck.Experiment("digits", build=build, layers=LAYERS,
                                        data=load_digits, recipe=..., gates=...)
    TestDigits = experiment.tests()

and ``pytest -n auto`` runs, for the baseline (nothing frozen) and every variant, the
tests described in docs/own-experiment.md.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path
from typing import Callable

import numpy as np

from freezecheck.describe.freezes import Freeze, each_layer_alone
from freezecheck.describe.recipe import Gates, Recipe
from freezecheck.describe.session import SessionOptions
from freezecheck.describe.variants import DEFAULT_INIT, Variant, check_init
from freezecheck.errors import ConfigError, FreezecheckError
from freezecheck.train.data import Dataset

# Names that pytest's -k accepts verbatim and that cannot be mistaken for the id syntax
# (``name[layer+layer:init]``).
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_BASELINE_WORD = "none"
# What a run of a user's model is taken to cost when ordering a session.
_GUESSED_RUN_SECONDS = 20.0


@dataclasses.dataclass(frozen=True)
class Declared:
    """What is declared for one variant in a session: its expectation (None: the gate
    and the baseline's curve hold it), where that was measured or declared, how far
    another seed may land from a declared final accuracy that falls short of the gate,
    and what to regenerate when the behaviour changes on purpose, and how (the commands,
    for a stale declaration's message; "" where there are none to give)."""

    expectation: object = None
    where: str = ""
    spread: float = 0.0
    source: str = "the declared expectations"
    regenerate: str = ""


class Experiment:
    """A frozen-layer experiment on your own model and data.

    - ``name``: the experiment's name; variant ids and test ids start with it.
    - ``build``: returns an uncompiled Keras model whose weight layers carry the names
      in ``layers``. It may take one argument, ``kernel_initializer``: a function from
      a layer name to the initialiser to pass to that layer (needed by variants with
      ``init``). freezecheck seeds before calling it and freezes layers after it.
    - ``layers``: every layer that has weights, input side first.
    - ``data``: a Dataset (:func:`arrays`, or files read and checked by the caller), or a
      function returning one, called once per process when a test first trains; a
      function may take a parameter ``data_dir``, which receives
      ``--freezecheck-data-dir`` (None when not given). Or a dict of named data sets
      (name -> either of those), the first the default: ``--freezecheck-dataset=NAME``
      chooses another.
    - ``recipe``: how every variant trains (:class:`freezecheck.Recipe`).
    - ``gates``: what every variant must reach (:class:`freezecheck.Gates`), in
      validation accuracy or the metric they name (:class:`freezecheck.Metric`): one of
      the metrics every run records (validation accuracy and loss), or with
      ``compile``, one it compiles (refused at the first run if fit does not report it).
    - ``compile``: your own training recipe, a function ``compile(model, recipe)``
      that calls ``model.compile(optimizer=..., loss=..., metrics=["accuracy", ...])``
      (SGD with momentum, a schedule, label smoothing, ...), called after the frozen
      layers are set. Such a model trains through Keras' ``fit`` (the compiled loop
      knows only Adam on a cosine decay with cross-entropy); the recipe gives epochs,
      batch size and seed. Its code is part of the store key.
    - ``families``: variants not run by default, in named families, name -> Freeze
      declarations (``{"blocks": blocks(LAYERS)}``, say); ``--freezecheck-families=NAME,...``
      (or ``all``) runs them too.
    - ``tiers``: other named configurations, name -> :class:`Tier` (a recipe and
      gates: a quick one for CI, say), chosen with ``--freezecheck-tier=NAME``; the
      declared ``recipe`` and ``gates`` are the tier named ``default_tier``
      (default ``full``). Reference curves are kept for the default tier.
    - ``variants``: Freeze declarations (default: each layer alone); the baseline,
      nothing frozen, always runs first.
    - ``expectations``: variant id -> :class:`freezecheck.Expectation`, for variants
      measured to fall short of the gate or to leave the baseline's curve.
    - ``seed_spread``: how far (a fraction) another seed or machine may land from a
      declared final accuracy that falls short of the gate (default 0: exactly).
    - ``references``: directory of stored reference curves (default: ``references/``
      beside the test module).
    - ``declarations``: the file ``freezecheck declare`` writes from measurements
      (default: ``declarations/NAME.json`` beside the test module, if there): each
      variant's measured final accuracies and curve claim, for the variants
      ``expectations`` does not declare in code.
    """

    def __init__(self, name: str, *, build: Callable, layers, data, recipe: Recipe,
                 gates: Gates, variants=None, expectations=None, seed_spread: float = 0.0,
                 references=None, tiers=None, default_tier: str = "full", compile=None,
                 declarations=None, families=None):
        self.name = _check_name(name)
        self.layers = _check_layers(name, layers)
        if not callable(build):
            raise ConfigError(f"experiment {name!r}: build expected a function returning an "
                              f"uncompiled Keras model. Received: {build!r}")
        self.build = build
        self._takes_initializer = _takes_initializer(name, build)
        if compile is not None and not callable(compile):
            raise ConfigError(f"experiment {name!r}: compile expected a function "
                              f"compile(model, recipe) that calls model.compile(...). "
                              f"Received: {compile!r}")
        self.compile = compile
        self.recipe = _check_type(name, "recipe", recipe, Recipe)
        self.gates = _check_type(name, "gates", gates, Gates)
        self.datasets = _check_data(name, data)
        # (data set name, data directory) -> loaded, in this process
        self._loaded: dict[tuple, Dataset] = {}
        self.default_tier = _check_label(name, "default_tier", default_tier)
        self.tiers = {self.default_tier: Tier(self.recipe, self.gates),
                      **_check_tiers(name, tiers or {}, self.default_tier)}
        if compile is None:
            _check_recorded(name, self.tiers)
        self.variants = self._variants(each_layer_alone(self.layers) if variants is None
                                       else variants)
        self.family_of = self._families(families or {})
        self.expectations = self._expectations(expectations or {})
        if isinstance(seed_spread, bool) or not isinstance(seed_spread, (int, float)) \
                or not 0 <= seed_spread < 1:
            raise ConfigError(f"experiment {name!r}: seed_spread expected a number in "
                              f"[0, 1). Received: seed_spread={seed_spread!r}")
        self.seed_spread = float(seed_spread)
        self.references = None if references is None else Path(references)
        self.declarations = None if declarations is None else Path(declarations)
        self._home: Path | None = None  # the test module's directory, set by tests()
        self._module: Path | None = None  # the test module, set by tests()
        self._table = None  # the declarations file's table, read once per process
        self._refusal: str | None = None  # why the model or data were refused, if they were
        self._unrecorded: str | None = None  # the gates' metric missing from a run, once said

    # --- what a session asks of it --------------------------------------------------
    #
    # The generated tests ask the experiment, per session, for its recipe, gates, data,
    # declarations and references, given the session's options
    # (freezecheck.describe.session.SessionOptions: None where an option was not given).
    # An experiment whose declaration depends on more than these (expectations measured
    # per environment, say: the built-in one) overrides these methods.

    def check_options(self, options: SessionOptions) -> list[str]:
        """Why each given option cannot apply to this experiment (empty: all apply).
        Called once, at collection, before anything trains: the session stops with
        these as one usage error."""
        problems = []
        if options.tier is not None and options.tier not in self.tiers:
            problems.append(
                f"{options.flag('tier')}={options.tier}: experiment {self.name!r} offers "
                f"the tier(s) {', '.join(self.tiers)}. Declare it with "
                f"Experiment(..., tiers={{{options.tier!r}: freezecheck.Tier(recipe=..., "
                f"gates=...)}}), or leave the option out.")
        if options.dataset is not None and options.dataset not in self.datasets:
            problems.append(
                f"{options.flag('dataset')}={options.dataset}: experiment {self.name!r} "
                f"has the data set(s) {', '.join(self.datasets)}. Declare it with "
                f"Experiment(..., data={{'name': loader, ...}}), or leave the option out.")
        if options.data_dir is not None and not self._data_takes_dir():
            problems.append(
                f"{options.flag('data_dir')}: experiment {self.name!r}'s data does not take "
                f"a directory. Give its data function a parameter data_dir (it receives "
                f"the option's value, or None), or leave the option out.")
        if self.compile is not None and options.training == "loop":
            problems.append(
                f"{options.flag('training')}=loop: experiment {self.name!r} compiles its own "
                f"model (compile=...), which only fit trains: the loop knows only Adam on a "
                f"cosine decay with cross-entropy. Leave the option out.")
        problems += self.check_seeds(options)
        declared = sorted(set(self.family_of.values()))
        unknown = [f for f in options.families or () if f != "all" and f not in declared]
        if unknown:
            problems.append(
                f"{options.flag('families')}={','.join(options.families)}: experiment "
                f"{self.name!r} declares "
                f"{'the families ' + ', '.join(declared) if declared else 'no families'}. "
                f"Declare them with Experiment(..., families={{'NAME': [Freeze(...), ...]}}), "
                f"or leave the option out.")
        if options.given("models"):
            problems.append(
                f"{options.flag('models')}={','.join(options.models)}: experiment "
                f"{self.name!r} has no models to choose from; only the built-in "
                f"experiment's families take it. Leave it out.")
        tier = self.tiers.get(self.tier_name(options))  # None: refused above
        if tier is not None and not tier.gates.metric.is_default:
            metric = tier.gates.metric
            # In accuracy's units, by name: applied to another metric they would mean
            # something else. The lag is in epochs, whichever the metric.
            for name in ("min_accuracy", "curve_band", "curve_level"):
                if options.given(name):
                    problems.append(
                        f"{options.flag(name)}={getattr(options, name)}: experiment "
                        f"{self.name!r} gates on {metric.name}, not validation accuracy; "
                        f"the option is in accuracy's units. Change the experiment's "
                        f"Gates(...) instead, or leave the option out.")
        if not problems:
            try:  # the gates with the command line's overrides
                self.gates_for(options)
            except ConfigError as exc:
                problems.append(f"experiment {self.name!r}: {exc}")
        return problems

    def check_seeds(self, options: SessionOptions) -> list[str]:
        """Why ``--freezecheck-seeds`` cannot apply (empty: it can). From MIN_SEEDS
        seeds up each variant's curve is judged by the claim measured for it over seeds
        (freezecheck/generated.py, the several-seed mode): an experiment that declares
        none has nothing to judge its curves by."""
        from freezecheck.judge.statistics import MIN_SEEDS

        if (options.seeds or 1) < MIN_SEEDS or len(self.variants) == 1:
            return []
        missing = self.why_no_claims(options)
        if missing is None:
            return []
        why, fix = missing
        return [f"{options.flag('seeds')}={options.seeds}: {why}. From {MIN_SEEDS} seeds "
                f"each variant's curve is judged by the claim measured for it over seeds: "
                f"{fix}, or use {options.flag('seeds')}={MIN_SEEDS - 1} or fewer (each "
                f"curve judged at the first seed by the tolerance)."]

    def why_no_claims(self, options: SessionOptions) -> tuple[str, str] | None:
        """(why this session has no curve claims measured over seeds to judge by, what
        makes them); None when it has: a declarations file (``freezecheck declare``),
        or an Expectation with a ``curve_claim``."""
        if any(getattr(e, "curve_claim", None) for e in self.expectations.values()) \
                or self.declarations is not None or self.declarations_path(self._home).is_file():
            return None
        return (f"experiment {self.name!r} declares no curve claims (no "
                f"{self.declarations_path(self._home)}, no Expectation with a curve_claim)",
                f"measure it (`freezecheck measure --experiment PATH::{self.name} --seeds 5`) "
                f"and declare it (`freezecheck declare`)")

    def tier_name(self, options: SessionOptions) -> str:
        """The tier this session runs: the one asked for, else the default."""
        return options.tier if options.tier is not None else self.default_tier

    def recipe_for(self, options: SessionOptions) -> Recipe:
        """The session's tier's recipe, with the session's seed and training path, if
        given."""
        recipe = self.tiers[self.tier_name(options)].recipe
        changes = {}
        if options.seed is not None:
            changes["seed"] = options.seed
        if options.training is not None:
            changes["training"] = options.training
        elif self.compile is not None:
            changes["training"] = "fit"  # the only path that trains a model compiled as given
        return dataclasses.replace(recipe, **changes) if changes else recipe

    def gates_for(self, options: SessionOptions) -> Gates:
        """The session's tier's gates, with each gate the command line set."""
        gates = self.tiers[self.tier_name(options)].gates
        overrides = options.gate_overrides()
        return dataclasses.replace(gates, **overrides) if overrides else gates

    def unrecorded_metric(self, record, options: SessionOptions) -> str | None:
        """Why the session's gates cannot read their metric in ``record`` (a run of this
        experiment), or None: in full the first time in a process, in one line after,
        so that a gates metric the compile does not report is said once. Nothing
        retrains once the gates are fixed: they are not part of the store key."""
        metric = self.gates_for(options).metric
        if metric.name in record.history:
            return None
        if self._unrecorded is None:
            try:
                metric.values(record.history, "its runs")
            except ConfigError as exc:
                self._unrecorded = str(exc)
            return f"experiment {self.name!r}: {self._unrecorded}"
        return (f"experiment {self.name!r}: gates metric {metric.name!r} is not recorded, "
                f"as the first test that asked says in full")

    def dataset_name(self, options: SessionOptions) -> str:
        return options.dataset if options.dataset is not None else next(iter(self.datasets))

    def data_for(self, options: SessionOptions) -> Dataset:
        """The session's data set, loaded once per process."""
        return self.data(self.dataset_name(options), options.data_dir)

    def data_title(self, options: SessionOptions) -> str:
        """How messages and the report name the session's data set."""
        name = self.dataset_name(options)
        directory = None if options.data_dir is None else str(options.data_dir)
        loaded = self._loaded.get((name, directory))
        return loaded.name if loaded is not None and loaded.name else name

    def declared(self, variant: Variant, options: SessionOptions) -> Declared:
        """What is declared for ``variant`` in this session (:class:`Declared`): in
        ``expectations``, else in the declarations file, measured in this environment or
        the nearest one measured. May raise a FreezecheckError: the variant's tests then
        fail with its message."""
        if variant.id in self.expectations or self._declarations_table() is None:
            return Declared(self.expectations.get(variant.id),
                            where=f"experiment {self.name}'s declaration",
                            spread=self.seed_spread,
                            source=f"the expectations declared for experiment {self.name}")
        from freezecheck.judge.expectations import lookup
        from freezecheck.train.backend import environment_name

        table, path = self._declarations_table(), self.declarations_path(self._home)
        environment = environment_name()
        # Measurements name a data set as its Dataset does (measure writes data.name).
        found = lookup(environment, self.data_for(options).name, table,
                       default_environment=_nearest(environment, table))
        metric = self.gates_for(options).metric
        if found.metrics != {metric.name}:
            raise ConfigError(
                f"experiment {self.name!r}: the declarations {path} were declared on "
                f"{', '.join(sorted(found.metrics))}; the gates read {metric.name}. Declare "
                f"again from the measurements (`freezecheck declare --experiment ...`), "
                f"which declares on the gates' metric.")
        expectation = found.expectations.get(variant.id)
        return Declared(expectation, where=found.where(variant.id),
                        spread=found.spreads.get(self.name, self.seed_spread),
                        source=f"{path} (freezecheck declare)",
                        regenerate=self._how_to_declare(expectation))

    def _how_to_declare(self, expectation) -> str:
        """The commands that declare this experiment again from new measurements of the
        seeds ``expectation`` was declared from: into a new file, since ``measure``
        skips the runs a file already holds."""
        if expectation is None:
            return ""
        module = self._module or Path(f"{self.name}.py")
        try:
            module = module.relative_to(Path.cwd())
        except ValueError:
            pass  # outside the working directory: its full path
        spec = f"{module}::{self.name}"
        seeds = f"{min(expectation.seeds)}-{max(expectation.seeds)}"
        out = f" --out {self.declarations}" if self.declarations is not None else ""
        measured = f"{self.name}-remeasured.jsonl"
        return (f"`freezecheck measure --experiment {spec} --seeds {seeds} --out {measured}`"
                f", then `freezecheck declare --experiment {spec} {measured}{out}`")

    def declarations_path(self, home: Path | None) -> Path:
        """Where this experiment's declarations file is: ``declarations``, else
        ``declarations/NAME.json`` in ``home``, the test module's directory."""
        return self.declarations or (home or Path(".")) / "declarations" / f"{self.name}.json"

    def _declarations_table(self):
        if self._table is None:
            path = self.declarations_path(self._home)
            if self.declarations is None and not path.is_file():
                return None
            from freezecheck.judge.declarations import read

            self._table = read(path)
        return self._table

    def why_no_references(self, options: SessionOptions) -> str | None:
        """Why this session's curves are not compared with stored ones (the tests then
        skip), or None: references are kept for the default tier and data set only."""
        if self.tier_name(options) != self.default_tier:
            return (f"reference curves are kept for experiment {self.name}'s "
                    f"{self.default_tier} tier only")
        if self.dataset_name(options) != next(iter(self.datasets)):
            return (f"reference curves are kept for experiment {self.name}'s data set "
                    f"{next(iter(self.datasets))} only")
        return None

    def references_for(self, options: SessionOptions, module: Path):
        """The stored reference curves of this environment (judge.references.References):
        in ``--freezecheck-references-dir`` if given, else in the experiment's
        ``references`` directory, else in ``references/`` beside ``module``, the test
        module."""
        from freezecheck.judge.references import References
        from freezecheck.train.backend import environment_name

        shown = module.relative_to(Path.cwd()) if module.is_relative_to(Path.cwd()) else module
        root = options.references_dir or self.references or module.parent / "references"
        training = self.recipe_for(options).training
        flag = f" --freezecheck-training={training}" if options.training else ""
        return References(root, environment_name(), regenerate=options.regen_references,
                          regen_command=f"pytest -n auto {shown}{flag} "
                                        f"--freezecheck-regen-references",
                          training=training,
                          metric=self.gates_for(options).metric.name)

    def estimated_seconds(self, variant: Variant, recipe: Recipe) -> float:
        """What one run of ``variant`` costs, for ordering and sharding a session
        (freezecheck/plugin/schedule.py): unknown for a user's model, so a fixed guess,
        the same for every variant (the order then keeps baselines first)."""
        return _GUESSED_RUN_SECONDS

    # --- the declaration, checked without TensorFlow -------------------------------

    @property
    def baseline(self) -> Variant:
        return self.variants[0]

    def _variants(self, declared, duplicates_allowed: bool = False) -> list[Variant]:
        variants = [Variant(self.name, layers=self.layers)]
        for item in declared:
            if not isinstance(item, Freeze):
                raise ConfigError(f"experiment {self.name!r}: variants expected Freeze(...) "
                                  f"declarations. Received: {item!r}")
            if not item.layers and item.init == DEFAULT_INIT:
                raise ConfigError(f"experiment {self.name!r}: an empty variant, Freeze() "
                                  f"freezes nothing: it is the baseline, which always runs. "
                                  f"Received: variants containing {item!r}")
            try:
                check_init(item.init)
                variant = Variant(self.name, item.layers, item.init, layers=self.layers)
            except ConfigError as exc:
                raise ConfigError(f"experiment {self.name!r}: variant {item!r}: {exc}") from None
            if not variant.trainable:
                raise ConfigError(f"experiment {self.name!r}: variant {variant.id} freezes "
                                  f"every weight layer: nothing would train. Received: {item!r}")
            if variant.init != DEFAULT_INIT and not self._takes_initializer:
                raise ConfigError(
                    f"experiment {self.name!r}: variant {variant.id} draws its kernels from "
                    f"{variant.init}, but build takes no kernel_initializer argument. "
                    f"Give build a parameter kernel_initializer and pass "
                    f"kernel_initializer(name) to each weight layer.")
            if variant in variants and not duplicates_allowed:
                raise ConfigError(f"experiment {self.name!r}: variant {variant.id} is "
                                  f"declared twice. Received: {item!r}")
            variants.append(variant)
        return variants

    def _families(self, families) -> dict[str, str]:
        """Add the families' variants (each once, after the default ones); return
        variant id -> its family, for those not run by default."""
        if not isinstance(families, dict):
            raise ConfigError(f"experiment {self.name!r}: families expected a dict of name "
                              f"-> Freeze declarations. Received: families={families!r}")
        family_of = {}
        for family, declared in families.items():
            _check_label(self.name, "a family's name", family)
            if family == "all":
                raise ConfigError(f"experiment {self.name!r}: a family may not be named "
                                  f"'all' (--freezecheck-families=all runs every family)")
            for variant in self._variants(declared, duplicates_allowed=True)[1:]:
                if variant not in self.variants:
                    self.variants.append(variant)
                    family_of[variant.id] = family
        return family_of

    def families_chosen(self, options: SessionOptions) -> tuple[str, ...]:
        """The families the session runs (none unless --freezecheck-families)."""
        if not options.families:
            return ()
        declared = tuple(dict.fromkeys(self.family_of.values()))
        return declared if "all" in options.families else tuple(options.families)

    def _expectations(self, declared: dict) -> dict:
        from freezecheck.judge.expectations import Expectation

        ids = {v.id for v in self.variants}
        for key, value in declared.items():
            if key not in ids:
                raise ConfigError(f"experiment {self.name!r}: expectations name an unknown "
                                  f"variant: expected one of {', '.join(sorted(ids))}. "
                                  f"Received: {key!r}")
            if not isinstance(value, Expectation):
                raise ConfigError(f"experiment {self.name!r}: expectations[{key!r}] expected "
                                  f"a freezecheck.Expectation. Received: {value!r}")
        return dict(declared)

    def variant(self, variant_id: str) -> Variant:
        """The declared variant of id ``variant_id``."""
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise ConfigError(f"experiment {self.name!r} has no variant {variant_id!r}: expected "
                          f"one of {', '.join(v.id for v in self.variants)}")

    # --- what a run needs -----------------------------------------------------------

    def data(self, dataset: str | None = None, data_dir: Path | None = None) -> Dataset:
        """The data set named ``dataset`` (default: the first declared), loaded once per
        process; a loader that takes ``data_dir`` receives it."""
        name = next(iter(self.datasets)) if dataset is None else dataset
        key = (name, None if data_dir is None else str(data_dir))  # another directory, other data
        if key not in self._loaded:
            source = self.datasets[name]
            if isinstance(source, Dataset):
                loaded = source
            else:
                loaded = source(data_dir=data_dir) if _takes(source, "data_dir") else source()
            if not isinstance(loaded, Dataset):
                raise ConfigError(f"experiment {self.name!r}: data expected a function "
                                  f"returning a Dataset (freezecheck.arrays(...)). "
                                  f"Received: {loaded!r}")
            self._loaded[key] = loaded
        return self._loaded[key]

    def _data_takes_dir(self) -> bool:
        return any(not isinstance(s, Dataset) and _takes(s, "data_dir")
                   for s in self.datasets.values())

    def key(self) -> dict:
        """What of this experiment a run's store key covers beyond the recipe and data:
        its name, weight layers, and a digest of the code that trains
        (freezecheck.describe.code): ``build``'s source and the user's code it reaches,
        and ``train``'s where a subclass overrides it. Not the rest of the test module,
        so editing a gate or an expectation reuses the store."""
        from freezecheck.describe.code import digest

        key = {"name": self.name, "layers": list(self.layers),
               "build": f"{getattr(self.build, '__module__', '?')}."
                        f"{getattr(self.build, '__qualname__', '?')}",
               "build_code_sha256": digest(self.build)}
        if type(self).train is not Experiment.train:
            key["train_code_sha256"] = digest(type(self).train)
        if self.compile is not None:
            key["compile_code_sha256"] = digest(self.compile)
        return key

    def store_key(self, variant: Variant, recipe: Recipe, data: Dataset) -> str:
        """The run store's key of ``variant`` trained with ``recipe`` on ``data``: the
        one a session and ``freezecheck measure --experiment`` both use."""
        from freezecheck.train.store import run_key

        return run_key(variant.id, recipe.as_dict(), data.sha256, self.key())

    def build_variant(self, variant: Variant):
        """The uncompiled network of ``variant``: built, checked against the
        declaration, its frozen layers set not trainable."""
        from freezecheck.train.initializers import initializer

        if self._takes_initializer:
            inits = variant.kernel_inits
            net = self.build(kernel_initializer=lambda layer: initializer(
                inits.get(layer, DEFAULT_INIT)))
        else:
            net = self.build()
        self._check_model(net)
        for name in variant.frozen:
            net.get_layer(name).trainable = False
        return net

    def _check_model(self, net) -> None:
        from freezecheck.train.backend import environment_name, keras, keras_version

        if not hasattr(net, "layers") or not hasattr(net, "get_layer"):
            raise ConfigError(f"experiment {self.name!r}: build expected to return a Keras "
                              f"model. Received: {type(net).__name__}")
        trains_with = keras()
        if not isinstance(net, trains_with.Model):
            # e.g. `import keras` (Keras 3) where TF_USE_LEGACY_KERAS=1 makes TensorFlow
            # train with tf-keras: its optimizer cannot take the other Keras' variables.
            selected = environment_name().endswith("-keras2")  # tf-keras replaces Keras 3
            which = f"{'tf-keras' if selected else 'Keras'} {keras_version()}"
            why = " (TF_USE_LEGACY_KERAS=1 selects it)" if selected else ""
            raise ConfigError(
                f"experiment {self.name!r}: build expected to return a model of the Keras "
                f"TensorFlow trains with, {which}{why}. Received: a "
                f"{type(net).__module__}.{type(net).__name__}. Build it "
                f"with the Keras that `freezecheck.train.backend.keras()` returns (or "
                f"`tf.keras`) instead of importing a Keras package directly.")
        if getattr(net, "compiled", False) or getattr(net, "_is_compiled", False):
            raise ConfigError(
                f"experiment {self.name!r}: build expected to return an uncompiled model. "
                f"Received: a compiled one. Keras reads `trainable` when a model is "
                f"compiled, and freezecheck freezes layers after build: give your optimizer, "
                f"loss and metrics as Experiment(..., compile=function), a function "
                f"compile(model, recipe) that calls model.compile(...).")
        with_weights = [layer.name for layer in net.layers if layer.weights]
        if with_weights != list(self.layers):
            raise ConfigError(
                f"experiment {self.name!r}: layers expected to name the model's weight "
                f"layers in order: the model built has {with_weights}. Received: "
                f"layers={list(self.layers)}. Name every weight layer (name=...) and list "
                f"them all; names that differ between builds (Keras' automatic dense_1, "
                f"dense_2, ...) are not allowed.")

    def check_data(self, data: Dataset, net) -> None:
        """Refuse data the model cannot take, before anything trains."""
        expected = tuple(net.inputs[0].shape[1:]) if getattr(net, "inputs", None) else None
        if expected is not None and tuple(data.train_images.shape[1:]) != expected:
            raise ConfigError(f"experiment {self.name!r}: data inputs expected shape "
                              f"(n, {', '.join(map(str, expected))}) for the model's input. "
                              f"Received: {data.train_images.shape}")
        classes = int(net.outputs[0].shape[-1])
        highest = max(int(labels.max()) for labels in
                      (data.train_labels, data.val_labels, data.test_labels))
        if highest >= classes:
            raise ConfigError(f"experiment {self.name!r}: data labels expected below the "
                              f"model's {classes} outputs. Received: a label {highest}")

    def train(self, variant: Variant, recipe: Recipe, data: Dataset):
        """Train ``variant`` (freezecheck.train.training), after checking the model twice (its
        weight layers must be named the same in both builds) and the data against it."""
        # A model, data or compile refused is refused for every variant: said in full
        # by the first test that asks, in one line by the others, and not built again.
        if self._refusal is not None:
            raise ConfigError(f"experiment {self.name!r} was refused before training, as the "
                              f"first test that asked says in full: {self._refusal}")
        try:
            return self._train(variant, recipe, data)
        except ConfigError as exc:
            self._refusal = str(exc).split(". ")[0]
            raise

    def _train(self, variant: Variant, recipe: Recipe, data: Dataset):
        from freezecheck.train.determinism import make_deterministic, own_python_random
        from freezecheck.train.training import train

        checked = []

        def build(v):
            net = self.build_variant(v)
            if not checked:
                self.check_data(data, net)
                checked.append(True)
            return net

        # Two builds under the same seed, before training: their weight names must not
        # change, and their initial weights must be equal, or the run cannot repeat.
        # Each draws from a Python generator of this thread's own, as training does, so
        # another thread's draws cannot make them differ.
        with own_python_random(recipe.seed):
            make_deterministic(recipe.seed, recipe.threads)
            first = self.build_variant(variant)
            make_deterministic(recipe.seed, recipe.threads)
            second = self.build_variant(variant)
        self._check_deterministic(first, second, recipe.seed)
        compile = None if self.compile is None else (lambda net: self.compile(net, recipe))
        return train(variant, recipe, data, build=build, compile=compile)

    def _check_deterministic(self, first, second, seed: int) -> None:
        differ = [getattr(a, "path", a.name) for a, b in zip(first.weights, second.weights)
                  if a.shape != b.shape or not np.array_equal(np.asarray(a), np.asarray(b))]
        if differ:
            raise ConfigError(
                f"experiment {self.name!r}: build expected to give the same initial weights "
                f"every time under one seed. Received: two builds at seed {seed} differ in "
                f"{', '.join(differ[:5])}{' and more' if len(differ) > 5 else ''}. "
                f"freezecheck seeds Python, numpy and Keras before calling build: draw "
                f"every random number from those (no unseeded numpy Generator, no "
                f"time- or counter-based seed), or pass a fixed initializer.")

    # --- the tests ------------------------------------------------------------------

    def tests(self, only: str | None = None) -> type:
        """A test class to assign to a ``Test...`` name in a test module: for every
        variant, or ``only="default"`` the variants run by default, or
        ``only="families"`` the families' variants (the two in modules of their own,
        say, as freezecheck's own suite keeps the built-in experiment's)."""
        import sys

        from freezecheck.generated import test_class

        # The calling test module's directory: where the declarations file is looked for.
        caller = sys._getframe(1).f_globals.get("__file__")
        if caller and self._home is None:
            self._module = Path(caller).resolve()
            self._home = self._module.parent
        parts = {None: self.variants,
                 "default": [v for v in self.variants if v.id not in self.family_of],
                 "families": [v for v in self.variants if v.id in self.family_of]}
        if only not in parts:
            raise ConfigError(f"experiment {self.name!r}: tests(only=...) expected "
                              f"'default' or 'families' (or nothing: every variant). "
                              f"Received: only={only!r}")
        if not parts[only]:
            raise ConfigError(f"experiment {self.name!r}: tests(only={only!r}) has no "
                              f"variants to test: it declares no families. Declare them "
                              f"with Experiment(..., families={{'NAME': [Freeze(...)]}}).")
        return test_class(self, parts[only])

    def alpha_split(self, variant_id: str, families=None) -> int:
        """How many variants a session splits alpha over when it judges ``variant_id``
        in a class of ``tests(only="default")`` or ``tests(only="families")``: the
        class's variants that the session runs, baselines not counted
        (freezecheck/generated.py). ``families``: the families the session runs
        (default: every one declared)."""
        from freezecheck.generated import alpha_split

        family = variant_id in self.family_of
        in_class = [v for v in self.variants if (v.id in self.family_of) == family]
        chosen = tuple(dict.fromkeys(self.family_of.values())) if families is None else families
        return alpha_split(self, in_class, chosen)

    def __repr__(self) -> str:
        return f"Experiment({self.name!r}, {len(self.variants)} variants)"


@dataclasses.dataclass(frozen=True)
class Tier:
    """A named configuration of an experiment: the recipe every variant trains with and
    the gates it must reach (a quick tier for CI, say: fewer epochs, its own gates)."""

    recipe: Recipe
    gates: Gates

    def __post_init__(self):
        if not isinstance(self.recipe, Recipe):
            raise ConfigError(f"Tier recipe expected a freezecheck.Recipe. Received: "
                              f"{self.recipe!r}")
        if not isinstance(self.gates, Gates):
            raise ConfigError(f"Tier gates expected a freezecheck.Gates. Received: "
                              f"{self.gates!r}")


def _check_label(name: str, field: str, value) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ConfigError(f"experiment {name!r}: {field} expected a name of letters, digits, "
                          f"'_', '.' or '-'. Received: {field}={value!r}")
    return value


def _check_tiers(name: str, tiers, default: str) -> dict:
    if not isinstance(tiers, dict):
        raise ConfigError(f"experiment {name!r}: tiers expected a dict of name -> "
                          f"freezecheck.Tier. Received: tiers={tiers!r}")
    for key, tier in tiers.items():
        _check_label(name, "a tier's name", key)
        if key == default:
            raise ConfigError(f"experiment {name!r}: tiers names {key!r}, the default tier, "
                              f"which the declared recipe and gates are. Give it another "
                              f"name, or set default_tier.")
        if not isinstance(tier, Tier):
            raise ConfigError(f"experiment {name!r}: tiers[{key!r}] expected a "
                              f"freezecheck.Tier(recipe=..., gates=...). Received: {tier!r}")
    return dict(tiers)


def _check_recorded(name: str, tiers: dict) -> None:
    """Without a compile of its own, a run records accuracy and loss only (either
    training path): a gates metric beyond those is refused at declaration."""
    from freezecheck.describe.recipe import RECORDED_METRICS

    for tier_name, tier in tiers.items():
        metric = tier.gates.metric
        if metric.name not in RECORDED_METRICS:
            raise ConfigError(
                f"experiment {name!r}: the {tier_name} tier's gates metric {metric.name!r} "
                f"is not recorded by its runs: without compile=, they record "
                f"{', '.join(RECORDED_METRICS)}. Gate on one of those, or compile the "
                f"metric yourself with Experiment(..., compile=function).")


def _check_data(name: str, data) -> dict:
    """The declared data as a dict of named sources (one source: named after it)."""
    def check(source, what):
        if not (callable(source) or isinstance(source, Dataset)):
            raise ConfigError(f"experiment {name!r}: {what} expected a Dataset "
                              f"(freezecheck.arrays(...)) or a function returning one. "
                              f"Received: {source!r}")
        if callable(source) and not isinstance(source, Dataset):
            parameters = inspect.signature(source).parameters
            required = [p for p in parameters.values() if p.default is p.empty
                        and p.name != "data_dir"
                        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            if required:
                raise ConfigError(f"experiment {name!r}: {what} expected a function of no "
                                  f"arguments, or of one named data_dir. Received: "
                                  f"{getattr(source, '__name__', source)}"
                                  f"{inspect.signature(source)}")
        return source

    if isinstance(data, dict):
        if not data:
            raise ConfigError(f"experiment {name!r}: data expected at least one data set. "
                              f"Received: data={{}}")
        for key in data:
            _check_label(name, "a data set's name", key)
        return {key: check(source, f"data[{key!r}]") for key, source in data.items()}
    check(data, "data")
    title = data.name if isinstance(data, Dataset) else getattr(data, "__name__", "data")
    return {title if isinstance(title, str) and _NAME.fullmatch(title) else "data": data}


def _nearest(environment: str, table: dict) -> str:
    """The environment of ``table`` whose declarations stand in for ``environment``'s:
    its own, else the nearest (judge.references.fallback_order), else the first."""
    from freezecheck.judge.references import fallback_order

    try:
        order = [environment, *fallback_order(environment)]
    except ValueError:  # a name outside the supported pattern
        order = [environment]
    return next((e for e in order if e in table), next(iter(sorted(table)), environment))


def _takes(function, parameter: str) -> bool:
    try:
        return parameter in inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def _check_name(name) -> str:
    # Two experiments of one name in a session are refused at collection
    # (freezecheck.plugin): their ids, references and runs would mix.
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"Experiment name expected letters, digits, '_', '.' or '-', "
                          f"starting with a letter (test ids and -k use it). Received: "
                          f"name={name!r}")
    return name


def _check_layers(name: str, layers) -> tuple[str, ...]:
    if isinstance(layers, str) or not layers:
        raise ConfigError(f"experiment {name!r}: layers expected a non-empty list of weight-"
                          f"layer names. Received: layers={layers!r}")
    layers = tuple(layers)
    bad = [layer for layer in layers
           if not isinstance(layer, str) or not _NAME.fullmatch(layer) or layer == _BASELINE_WORD]
    if bad:
        raise ConfigError(f"experiment {name!r}: layer names expected letters, digits, '_', "
                          f"'.' or '-' (not {_BASELINE_WORD!r}). Received: {bad!r}")
    if len(set(layers)) != len(layers):
        raise ConfigError(f"experiment {name!r}: a layer is named twice. Received: "
                          f"layers={list(layers)!r}")
    return layers


def _check_type(name: str, field: str, value, kind):
    if not isinstance(value, kind):
        raise ConfigError(f"experiment {name!r}: {field} expected a freezecheck."
                          f"{kind.__name__}. Received: {value!r}")
    return value


def _takes_initializer(name: str, build) -> bool:
    parameters = inspect.signature(build).parameters
    if "kernel_initializer" in parameters:
        return True
    required = [p for p in parameters.values() if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if required:
        raise ConfigError(f"experiment {name!r}: build expected no arguments, or one named "
                          f"kernel_initializer. Received: build{inspect.signature(build)}")
    return False


__all__ = ["Declared", "Experiment", "Tier", "FreezecheckError"]
