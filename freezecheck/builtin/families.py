"""The families of variants: where the finding is tested to hold, and to break.

Pure Python. ``single`` is the experiment of ORIGIN.md (the baseline and each weight
layer frozen alone). The others test its two predictions, that freezing several layers
at once, or drawing the frozen weights from another distribution, must at some point
cost accuracy:

- ``blocks``: every contiguous block of two or more weight layers frozen, up to all but
  one. ``lenet5[conv1+conv2+fc1+fc2]`` trains only its output layer on a fixed
  random feature map, an Extreme Learning Machine.
- ``inits``: each weight layer alone, and two blocks (the two convolutions; everything
  but the output layer), frozen with kernels drawn from each of :data:`INITS` other than
  the default.
- ``init-baselines``: nothing frozen, every layer drawn from each of those
  distributions: what the distribution costs by itself, without freezing.
"""

from __future__ import annotations

from freezecheck.builtin.models import MODEL_NAMES, WEIGHT_LAYERS, variant_of
from freezecheck.describe.variants import DEFAULT_INIT, Variant, contiguous_blocks
from freezecheck.errors import ConfigError


def single_layer_variants(model: str) -> list[Variant]:
    """The baseline of ``model`` followed by each weight layer frozen alone."""
    return [variant_of(model)] + [variant_of(model, (name,)) for name in WEIGHT_LAYERS[model]]


def experiment(models=MODEL_NAMES) -> list[Variant]:
    """The experiment of ORIGIN.md for each of ``models``: baseline first, then one frozen layer each."""
    return [v for model in models for v in single_layer_variants(model)]


# Glorot uniform is Keras' default and the experiment's; then the other common
# variance-scaling schemes, orthogonal, and a normal distribution from tiny to huge.
INITS = (DEFAULT_INIT, "he_normal", "lecun_normal", "orthogonal",
         "normal-0.001", "normal-0.01", "normal-0.1", "normal-1", "normal-10")
OTHER_INITS = tuple(name for name in INITS if name != DEFAULT_INIT)

FAMILIES = ("single", "blocks", "inits", "init-baselines")
DEFAULT_FAMILIES = ("single",)


def blocks(model: str) -> list[tuple[str, ...]]:
    """Every contiguous run of two or more weight layers, leaving at least one trainable;
    shorter first, then from the input side."""
    return contiguous_blocks(WEIGHT_LAYERS[model])


def init_blocks(model: str) -> list[tuple[str, ...]]:
    """The blocks frozen with other distributions: the two convolutions, and every layer
    but the output one (the Extreme Learning Machine)."""
    layers = WEIGHT_LAYERS[model]
    return [layers[:2], layers[:-1]]


def family(name: str, model: str) -> list[Variant]:
    """The variants of family ``name`` for ``model``, in a fixed order."""
    layers = WEIGHT_LAYERS[model]
    if name == "single":
        return single_layer_variants(model)
    if name == "blocks":
        return [variant_of(model, block) for block in blocks(model)]
    if name == "inits":
        frozen_sets = [(layer,) for layer in layers] + init_blocks(model)
        return [variant_of(model, frozen, init) for init in OTHER_INITS for frozen in frozen_sets]
    if name == "init-baselines":
        return [variant_of(model, (), init) for init in OTHER_INITS]
    raise ConfigError(f"Unknown family: expected one of {', '.join(FAMILIES)}. "
                      f"Received: family={name!r}")


def parse_families(text: str) -> tuple[str, ...]:
    """``"blocks,inits"`` or ``"all"`` -> family names in FAMILIES order."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if names == ["all"]:
        return FAMILIES
    unknown = [n for n in names if n not in FAMILIES]
    if unknown or not names:
        raise ConfigError(f"families expected a comma-separated list of "
                          f"{', '.join(FAMILIES)}, or all. Received: {text!r}")
    return tuple(n for n in FAMILIES if n in names)


def variants(families=DEFAULT_FAMILIES, models=MODEL_NAMES) -> list[Variant]:
    """The variants of ``families`` for each of ``models``, each once; every model's
    baseline first, since curves are compared with it."""
    chosen: list[Variant] = []
    for model in models:
        for v in [variant_of(model)] + [v for name in families for v in family(name, model)]:
            if v not in chosen:
                chosen.append(v)
    return chosen
