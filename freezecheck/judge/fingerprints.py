"""Bitwise fingerprints of weights and reports of what changed. Needs only numpy.

"Unchanged" means every byte is equal: ``-0.0`` versus ``0.0`` or one NaN payload
versus another counts as a change, and no float tolerance applies.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

MAX_INDICES_SHOWN = 5


def fingerprint(array: np.ndarray) -> str:
    """sha256 of an array's dtype, shape and bytes (C order), as hex."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def fingerprints(weights: dict[str, np.ndarray]) -> dict[str, str]:
    """:func:`fingerprint` of every variable, by path, in the snapshot's order: what a
    report and a stored reference keep of the weights after training."""
    return {path: fingerprint(array) for path, array in weights.items()}


@dataclasses.dataclass(frozen=True)
class VariableChange:
    """How one variable's value differs, bitwise, between two snapshots."""

    path: str
    changed: int  # elements whose bytes differ
    size: int  # elements in the variable
    largest_change: float  # max |after - before| over changed elements; nan if undefined
    first_indices: tuple[tuple[int, ...], ...]  # up to MAX_INDICES_SHOWN, row-major order
    hash_before: str
    hash_after: str

    def describe(self) -> str:
        indices = ", ".join(str(i) for i in self.first_indices)
        more = ", ..." if self.changed > len(self.first_indices) else ""
        return (
            f"{self.path}: {self.changed} of {self.size} elements changed, largest "
            f"change {self.largest_change:.3g}, first at [{indices}{more}]\n"
            f"    sha256 before {self.hash_before}\n"
            f"    sha256 after  {self.hash_after}"
        )


def changed_elements(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Boolean mask, shaped like ``before``, of elements whose bytes differ."""
    if before.dtype != after.dtype or before.shape != after.shape:
        return np.ones(before.shape, dtype=bool)
    width = before.dtype.itemsize
    a = np.ascontiguousarray(before).reshape(-1).view(np.uint8).reshape(-1, width)
    b = np.ascontiguousarray(after).reshape(-1).view(np.uint8).reshape(-1, width)
    return (a != b).any(axis=1).reshape(before.shape)


def diff(path: str, before: np.ndarray, after: np.ndarray) -> VariableChange | None:
    """None if ``before`` and ``after`` are bitwise identical, else what changed."""
    mask = changed_elements(before, after)
    if not mask.any() and before.dtype == after.dtype and before.shape == after.shape:
        return None
    largest = float("nan")  # undefined when shapes differ or nothing is comparable
    if before.shape == after.shape and mask.any():
        with np.errstate(all="ignore"):
            delta = np.abs(after[mask].astype(np.float64) - before[mask].astype(np.float64))
        largest = float(delta.max())  # a NaN anywhere makes it NaN, as it should
    indices = tuple(
        tuple(int(i) for i in index) for index in np.argwhere(mask)[:MAX_INDICES_SHOWN]
    )
    return VariableChange(
        path=path,
        changed=int(mask.sum()),
        size=int(before.size),
        largest_change=largest,
        first_indices=indices,
        hash_before=fingerprint(before),
        hash_after=fingerprint(after),
    )


def changes(before: dict[str, np.ndarray], after: dict[str, np.ndarray], paths) -> list[VariableChange]:
    """The changes among ``paths``, in their order; empty if all are bitwise identical."""
    found = (diff(path, before[path], after[path]) for path in paths)
    return [change for change in found if change is not None]
