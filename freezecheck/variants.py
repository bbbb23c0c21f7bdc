"""A variant: which layers a run freezes and which distribution their weights come from.

Pure Python: no numpy, no TensorFlow. The families of variants the suite runs are in
:mod:`freezecheck.families`.
"""

from __future__ import annotations

import dataclasses

from freezecheck.errors import ConfigError
from freezecheck.models import (DEFAULT_INIT, MODEL_NAMES, WEIGHT_LAYERS, check_init,
                                check_model_name, order_layers)


@dataclasses.dataclass(frozen=True, order=True)
class Variant:
    """One training run's architecture: a model, the weight layers it freezes, and the
    distribution their kernels are drawn from.

    ``init`` applies to the frozen layers; with nothing frozen, to every layer (the
    baseline with its distribution changed). Layers it does not apply to keep Keras'
    default, Glorot uniform.

    ``layers`` are the model's weight layers in order: the built-in models' are known
    (freezecheck.models); a user experiment's come from its declaration.
    """

    model: str
    frozen: tuple[str, ...] = ()
    init: str = DEFAULT_INIT
    layers: tuple[str, ...] | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if self.layers is None:  # a built-in model's
            layers = WEIGHT_LAYERS[check_model_name(self.model)]
        else:  # a user experiment's, declared with it
            layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "frozen", order_layers(self.model, layers, self.frozen))
        check_init(self.init)

    @property
    def id(self) -> str:
        """Readable id, which ``pytest -k`` accepts verbatim and which is no part of
        another id: ``lenet5[none]``, ``lenet5[conv1+conv2]``,
        ``lenet5[conv2:normal-0.001]``, ``digits[hidden1]``."""
        return variant_id(self.model, self.frozen, self.init)

    @property
    def kernel_inits(self) -> dict[str, str]:
        """Layer name -> initialiser, for the layers not drawn from the default."""
        if self.init == DEFAULT_INIT:
            return {}
        return {name: self.init for name in (self.frozen or self.layers)}

    @property
    def is_baseline(self) -> bool:
        """The experiment's reference run: nothing frozen, default initialisation."""
        return not self.frozen and self.init == DEFAULT_INIT

    @property
    def baseline(self) -> "Variant":
        """The unfrozen run of the same model, against which curves are compared."""
        return Variant(self.model, layers=self.layers)

    @property
    def trainable(self) -> tuple[str, ...]:
        return tuple(n for n in self.layers if n not in self.frozen)

    def __str__(self) -> str:
        return self.id


def single_layer_variants(model: str) -> list[Variant]:
    """The baseline of ``model`` followed by each weight layer frozen alone."""
    return [Variant(model)] + [Variant(model, (name,)) for name in WEIGHT_LAYERS[model]]


def experiment(models=MODEL_NAMES) -> list[Variant]:
    """The experiment of ORIGIN.md for each of ``models``: baseline first, then one frozen layer each."""
    return [v for model in models for v in single_layer_variants(model)]


def parse_id(variant_id: str) -> tuple[str, tuple[str, ...], str]:
    """(model, frozen layers, initialiser) of a variant id (:attr:`Variant.id`), without
    knowing the model's layers. Ids written before the current form
    (``MODEL-frozen=A+B,init=I``, in older reports and stores) are read too."""
    if variant_id.endswith("]") and "[" in variant_id:
        model, _, inside = variant_id[:-1].partition("[")
        layers, _, init = inside.partition(":")
    else:
        model, separator, rest = variant_id.partition("-frozen=")
        if not separator:
            raise ConfigError(f"Not a variant id: expected MODEL[LAYERS] or "
                              f"MODEL[LAYERS:INIT], e.g. digits[none] or "
                              f"digits[hidden1+hidden2]. Received: {variant_id!r}")
        layers, _, init = rest.partition(",init=")
    frozen = () if layers == "none" else tuple(layers.split("+"))
    return model, frozen, init or DEFAULT_INIT


def variant_id(model: str, frozen=(), init: str = DEFAULT_INIT) -> str:
    """The id of a variant from its parts (:attr:`Variant.id`), for code that holds
    ids rather than variants; also turns an id of the older form into the current one:
    ``variant_id(*parse_id(old))``."""
    suffix = "" if init == DEFAULT_INIT else f":{init}"
    return f"{model}[{'+'.join(frozen) or 'none'}{suffix}]"


def contiguous_blocks(layers) -> list[tuple[str, ...]]:
    """Every contiguous run of two or more of ``layers``, leaving at least one out;
    shorter first, then from the input side."""
    layers = tuple(layers)
    return [layers[start:start + length]
            for length in range(2, len(layers))
            for start in range(len(layers) - length + 1)]
