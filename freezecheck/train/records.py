"""The plain result of one training run, and its file form (JSON plus a numpy archive).

Needs only numpy. Nothing is ever unpickled: the summary is JSON and the weights are
read with ``allow_pickle=False``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

RECORD_FILE = "record.json"
WEIGHTS_FILE = "weights.npz"


@dataclasses.dataclass
class RunRecord:
    """What training one variant produced. Asserts nothing.

    ``history`` maps Keras metric names (``accuracy``, ``loss``, ``val_accuracy``,
    ``val_loss``) to one float per epoch. ``weights_before`` and ``weights_after`` map a
    variable path (``layer/kernel``, ``layer/bias``) to its value at initialisation and
    after the last epoch. Times are in seconds.
    """

    variant_id: str
    model: str
    frozen: list[str]
    recipe: dict
    history: dict[str, list[float]]
    test_accuracy: float
    test_loss: float
    epoch_seconds: list[float]
    train_seconds: float
    peak_rss_mb: float  # the training process's peak resident memory, up to the run's end
    versions: dict[str, str]
    data_sha256: dict[str, str]
    weights_before: dict[str, np.ndarray] = dataclasses.field(repr=False)
    weights_after: dict[str, np.ndarray] = dataclasses.field(repr=False)

    @property
    def val_accuracy(self) -> list[float]:
        return self.history["val_accuracy"]

    @property
    def final_val_accuracy(self) -> float:
        return self.history["val_accuracy"][-1]

    def variables_of(self, layer: str) -> list[str]:
        """Paths of the variables of ``layer``, in model order."""
        return [path for path in self.weights_before if path.split("/")[0] == layer]

    def summary(self) -> dict:
        """Everything but the weights, as JSON-ready builtins."""
        data = dataclasses.asdict(self)
        del data["weights_before"], data["weights_after"]
        return data

    def save(self, directory: Path) -> None:
        """Write the record into ``directory`` (which must exist)."""
        paths = list(self.weights_before)
        summary = self.summary() | {"variables": paths}
        (directory / RECORD_FILE).write_text(json.dumps(summary, indent=1, sort_keys=True))
        arrays = {f"before_{i}": self.weights_before[p] for i, p in enumerate(paths)}
        arrays |= {f"after_{i}": self.weights_after[p] for i, p in enumerate(paths)}
        with open(directory / WEIGHTS_FILE, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, directory: Path) -> "RunRecord":
        summary = json.loads((directory / RECORD_FILE).read_text())
        paths = summary.pop("variables")
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as archive:
            before = {p: archive[f"before_{i}"] for i, p in enumerate(paths)}
            after = {p: archive[f"after_{i}"] for i, p in enumerate(paths)}
        return cls(**summary, weights_before=before, weights_after=after)
