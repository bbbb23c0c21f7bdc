"""A variant: which layers a run freezes and which distribution their weights come from.

Pure Python: no numpy, no TensorFlow. The families of variants the suite runs are in
:mod:`freezecheck.families`.
"""

from __future__ import annotations

import dataclasses

from freezecheck.models import (DEFAULT_INIT, MODEL_NAMES, WEIGHT_LAYERS, check_init,
                                check_layer_names)


@dataclasses.dataclass(frozen=True, order=True)
class Variant:
    """One training run's architecture: a model, the weight layers it freezes, and the
    distribution their kernels are drawn from.

    ``init`` applies to the frozen layers; with nothing frozen, to every layer (the
    baseline with its distribution changed). Layers it does not apply to keep Keras'
    default, Glorot uniform.
    """

    model: str
    frozen: tuple[str, ...] = ()
    init: str = DEFAULT_INIT

    def __post_init__(self):
        object.__setattr__(self, "frozen", check_layer_names(self.model, self.frozen))
        check_init(self.init)

    @property
    def id(self) -> str:
        """Readable id, e.g. ``lenet-frozen=none``, ``lenet5-frozen=conv1+conv2`` or
        ``lenet5-frozen=conv2,init=normal-0.001``."""
        name = f"{self.model}-frozen={'+'.join(self.frozen) or 'none'}"
        return name if self.init == DEFAULT_INIT else f"{name},init={self.init}"

    @property
    def kernel_inits(self) -> dict[str, str]:
        """Layer name -> initialiser, for the layers not drawn from the default."""
        if self.init == DEFAULT_INIT:
            return {}
        return {name: self.init for name in (self.frozen or WEIGHT_LAYERS[self.model])}

    @property
    def is_baseline(self) -> bool:
        """The experiment's reference run: nothing frozen, default initialisation."""
        return not self.frozen and self.init == DEFAULT_INIT

    @property
    def baseline(self) -> "Variant":
        """The unfrozen run of the same model, against which curves are compared."""
        return Variant(self.model)

    @property
    def trainable(self) -> tuple[str, ...]:
        return tuple(n for n in WEIGHT_LAYERS[self.model] if n not in self.frozen)

    def __str__(self) -> str:
        return self.id


def single_layer_variants(model: str) -> list[Variant]:
    """The baseline of ``model`` followed by each weight layer frozen alone."""
    return [Variant(model)] + [Variant(model, (name,)) for name in WEIGHT_LAYERS[model]]


def experiment(models=MODEL_NAMES) -> list[Variant]:
    """The experiment of ORIGIN.md for each of ``models``: baseline first, then one frozen layer each."""
    return [v for model in models for v in single_layer_variants(model)]
