"""The variant matrix: which layers each run freezes, its id, and what it is expected to do.

Pure Python: no numpy, no TensorFlow.
"""

from __future__ import annotations

import dataclasses

from freezecheck.models import MODEL_NAMES, WEIGHT_LAYERS, check_layer_names


@dataclasses.dataclass(frozen=True, order=True)
class Variant:
    """One training run's architecture: a model and the weight layers it freezes."""

    model: str
    frozen: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "frozen", check_layer_names(self.model, self.frozen))

    @property
    def id(self) -> str:
        """Readable id, e.g. ``lenet-frozen=none`` or ``lenet5-frozen=conv1+conv2``."""
        return f"{self.model}-frozen={'+'.join(self.frozen) or 'none'}"

    @property
    def is_baseline(self) -> bool:
        return not self.frozen

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
