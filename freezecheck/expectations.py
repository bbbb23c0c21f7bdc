"""What each variant is expected to do on the full tier, per environment, as measured.

Pure Python. The finding is that every variant reaches the 99% gate and follows its
baseline's curve; a variant listed here was measured not to, and the tests it fails are
strict expected failures: if it ever passes, the suite says so, in either direction.

TensorFlow promises identical results only within one version, so a variant that clears
99% by a tenth of a point in one environment can miss it in another; each environment
therefore has its own measurements. An environment without its own (one never run on the
full tier here) is judged by the newest measured one, and the reason says so.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Shortfall:
    """A variant measured to fall short of the finding, and in what way."""

    final_val_accuracy: float  # measured at the default seed, full tier
    reaches_gate: bool = False  # True where only the curve falls short
    curve_follows_baseline: bool = True  # False: its curve leaves the baseline's tolerance


# Measured with `tox -e ENV -- tests/test_experiment.py --freezecheck-tier=full` (seed 0).
SHORTFALLS: dict[str, dict[str, Shortfall]] = {
    # Freezing conv2 or fc1 of the small LeNet-5 costs it a few validation images: it
    # ends 0.1 to 0.2 points short of 99%, while its baseline ends at 99.2%.
    "py311-tf221": {
        "lenet5-frozen=conv2": Shortfall(0.9882),
        "lenet5-frozen=fc1": Shortfall(0.9884),
    },
    "py311-tf215": {
        # Here conv2 frozen also learns slower: 98.5% at epoch 7, the baseline at 3.
        "lenet5-frozen=conv2": Shortfall(0.9888, curve_follows_baseline=False),
        "lenet5-frozen=fc1": Shortfall(0.9888),
    },
}
DEFAULT_ENVIRONMENT = "py311-tf221"


def shortfalls(environment: str) -> tuple[str, dict[str, Shortfall]]:
    """(the environment whose measurements apply, its shortfalls by variant id)."""
    measured = environment if environment in SHORTFALLS else DEFAULT_ENVIRONMENT
    return measured, SHORTFALLS[measured]
