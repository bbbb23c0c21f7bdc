"""A variant: which layers a run freezes and which distribution their weights come from.

Pure Python: no numpy, no TensorFlow. Also the initialiser names a variant may draw its
kernels from, and the one parser of variant ids.
"""

from __future__ import annotations

import dataclasses

from freezecheck.errors import ConfigError

# Kernel initialisers a variant may draw its weights from. Keras' default, Glorot
# uniform, is what the experiment uses; "normal-S" is a zero-mean normal distribution of
# standard deviation S, at any positive scale. Biases always start at zero.
DEFAULT_INIT = "glorot_uniform"
NAMED_INITS = ("glorot_uniform", "he_normal", "lecun_normal", "orthogonal")
NORMAL_PREFIX = "normal-"


def order_layers(model: str, known, layers) -> tuple[str, ...]:
    """``layers``, each one of ``known`` (``model``'s weight layers) and none twice, in
    ``known``'s order."""
    if isinstance(layers, str):  # ("conv1") is a string, not a tuple: say so
        raise ConfigError(f"layers expected a list of layer names, not one string. "
                          f"Received: layers={layers!r}")
    layers = list(layers)
    unknown = [name for name in layers if name not in known]
    if unknown:
        raise ConfigError(
            f"Unknown layer for model {model!r}: expected names among "
            f"{', '.join(known)}. Received: layers={layers!r}"
        )
    if len(set(layers)) != len(layers):
        raise ConfigError(f"A layer is named twice. Received: layers={layers!r}")
    return tuple(name for name in known if name in layers)


def check_init(name: str) -> str:
    """Validate an initialiser name: one of NAMED_INITS or ``normal-S`` with S > 0."""
    if name in NAMED_INITS:
        return name
    try:
        scale = float(name[len(NORMAL_PREFIX):]) if name.startswith(NORMAL_PREFIX) else 0.0
    except (AttributeError, ValueError):
        scale = 0.0
    if not (0 < scale < float("inf")):
        raise ConfigError(
            f"Unknown initialiser: expected one of {', '.join(NAMED_INITS)} or "
            f"{NORMAL_PREFIX}S with a finite standard deviation S > 0 (e.g. normal-0.01). "
            f"Received: init={name!r}"
        )
    return name


@dataclasses.dataclass(frozen=True, order=True)
class Variant:
    """One training run's architecture: a model, the weight layers it freezes, and the
    distribution their kernels are drawn from.

    ``init`` applies to the frozen layers; with nothing frozen, to every layer (the
    baseline with its distribution changed). Layers it does not apply to keep Keras'
    default, Glorot uniform.

    ``layers`` are the model's weight layers in order, from its experiment's
    declaration.
    """

    model: str
    frozen: tuple[str, ...] = ()
    init: str = DEFAULT_INIT
    layers: tuple[str, ...] | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if self.layers is None:
            raise ConfigError(f"Variant {self.model!r} needs its model's weight layers: "
                              f"give layers=(...), in order.")
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "frozen", order_layers(self.model, layers, self.frozen))
        check_init(self.init)

    @property
    def id(self) -> str:
        """Readable id, which ``pytest -k`` accepts verbatim and which is no part of
        another id: ``digits[none]``, ``digits[hidden1+hidden2]``,
        ``digits[hidden1:normal-0.001]``."""
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
