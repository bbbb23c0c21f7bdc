"""The order the reports show variants in, from their ids (and, where runs carry it,
the order their experiment declares them), for any experiment.

Per model: the baseline first; then the variants the experiment declares, in its
order; then the others (the families a session or a sweep added), by family: one layer
frozen, blocks (shorter first, then from the input side), other distributions (per
distribution, the single layers and then the blocks), nothing frozen with another
distribution. A layer's place is its single-layer variant's declared place, else its
name's.
"""

from __future__ import annotations

from freezecheck.describe.variants import DEFAULT_INIT, NAMED_INITS, NORMAL_PREFIX, parse_id
from freezecheck.reporting.measurements import FAMILIES, family_of


def init_rank(init: str) -> tuple:
    """The named initialisers in their order, then the normal ones by scale."""
    if init in NAMED_INITS:
        return (0, NAMED_INITS.index(init), 0.0)
    return (1, len(NAMED_INITS), float(init.removeprefix(NORMAL_PREFIX)))


def variant_order(ids, declared: dict | None = None) -> list[str]:
    """``ids`` in the reports' order (the module's docstring); ``declared``: variant
    id -> its index among its experiment's declared variants, for those that have one.
    Models by name."""
    declared = declared or {}
    parts = {v: parse_id(v) for v in ids}
    layer_rank = {(model, frozen[0]): declared[v] for v, (model, frozen, init) in parts.items()
                  if v in declared and len(frozen) == 1 and init == DEFAULT_INIT}

    def layer(model: str, name: str) -> tuple:
        rank = layer_rank.get((model, name))
        return (0, rank, "") if rank is not None else (1, 0, name)

    def key(v: str):
        model, frozen, init = parts[v]
        baseline = not frozen and init == DEFAULT_INIT
        if v in declared:
            position = (0, declared[v])
        else:
            position = (1, FAMILIES.index(family_of(v)), init_rank(init), len(frozen) > 1,
                        len(frozen), [layer(model, name) for name in frozen])
        return (model, not baseline, position, v)
    return sorted(ids, key=key)
