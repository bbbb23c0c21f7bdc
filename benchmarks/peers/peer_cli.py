"""What the two peer scripts share: their command line, variant ids and recipe.

The peers are written as a user would write them, without freezecheck: the layer
names, parameter counts and recipe below are the built-in experiment's full tier,
written out. benchmarks/speed.py checks them against the recipe the suite's runs
report, so a peer that drifted from the suite is refused there, not timed. Imported by
keras_fit.py and torch_train.py from their own directory.
"""

from __future__ import annotations

import argparse
import sys

# Weight layers in order, input to output, and trainable parameters (each peer asserts
# its built model against them).
WEIGHT_LAYERS = {
    "lenet": ("conv1", "conv2", "fc1", "out"),
    "lenet5": ("conv1", "conv2", "fc1", "fc2", "out"),
}
PARAMETER_COUNTS = {"lenet": 431_080, "lenet5": 61_706}

# One recipe for every model (the suite's full tier): only the epoch counts differ.
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
SEED = 0
EPOCHS = {"lenet": 10, "lenet5": 15}
TRAIN_IMAGES = 55_000


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def variant_ids(model: str) -> list[str]:
    return [f"{model}[{layer}]" for layer in ("none", *WEIGHT_LAYERS[model])]


def parse_args(description: str, *, threads: bool = False) -> argparse.Namespace:
    """The peers' options, checked; ``threads`` adds ``--threads`` (default 2)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", required=True,
                        help="directory of the four MNIST IDX files (plain or .gz)")
    parser.add_argument("--models", default="lenet,lenet5")
    parser.add_argument("--epochs-lenet", type=int, default=EPOCHS["lenet"])
    parser.add_argument("--epochs-lenet5", type=int, default=EPOCHS["lenet5"])
    parser.add_argument("--train-images", type=int, default=TRAIN_IMAGES)
    parser.add_argument("--variants", default="", help="comma-separated variant ids")
    if threads:
        parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    args.models = [m for m in args.models.split(",") if m]
    if not args.models or set(args.models) - WEIGHT_LAYERS.keys():
        parser.error(f"--models: expected names among {', '.join(WEIGHT_LAYERS)}")
    known = [v for m in args.models for v in variant_ids(m)]
    wanted = [v for v in args.variants.split(",") if v]
    if set(wanted) - set(known):
        parser.error(f"--variants: unknown {sorted(set(wanted) - set(known))}; "
                     f"known for these models: {', '.join(known)}")
    args.variants = [v for v in known if not wanted or v in wanted]
    if not 1 <= args.train_images <= TRAIN_IMAGES:
        parser.error(f"--train-images: expected 1 to {TRAIN_IMAGES}")
    if min(args.epochs_lenet, args.epochs_lenet5) < 1:
        parser.error("--epochs-*: expected at least 1")
    if threads and args.threads < 1:
        parser.error("--threads: expected at least 1")
    return args
