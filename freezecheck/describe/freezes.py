"""Which layers a variant freezes, as an experiment declares them (pure Python):
one :class:`Freeze` per variant, and the lists the usual experiments are made of.
"""

from __future__ import annotations

import dataclasses

from freezecheck.describe.variants import DEFAULT_INIT, contiguous_blocks


@dataclasses.dataclass(frozen=True)
class Freeze:
    """One variant: these weight layers frozen at their initial values, their kernels
    drawn from ``init`` (an initialiser name: ``glorot_uniform``, ``he_normal``,
    ``lecun_normal``, ``orthogonal`` or ``normal-S``). With no layers, ``init`` applies
    to every layer: the baseline drawn from another distribution."""

    layers: tuple[str, ...] = ()
    init: str = DEFAULT_INIT

    def __init__(self, *layers: str, init: str = DEFAULT_INIT):
        object.__setattr__(self, "layers", tuple(layers))
        object.__setattr__(self, "init", init)


def each_layer_alone(layers) -> list[Freeze]:
    """Every weight layer frozen on its own: the experiment of the original finding."""
    return [Freeze(layer) for layer in layers]


def blocks(layers) -> list[Freeze]:
    """Every contiguous block of two or more weight layers, leaving at least one
    trainable; shorter first, then from the input side."""
    return [Freeze(*block) for block in contiguous_blocks(layers)]


def with_inits(variants, inits) -> list[Freeze]:
    """Each of ``variants`` (Freeze) again with its kernels drawn from each of ``inits``."""
    return [Freeze(*v.layers, init=init) for init in inits for v in variants]
