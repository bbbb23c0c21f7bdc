"""What the two peer scripts share: their command line, variant ids and recipe.

Layer names, parameter counts and the recipe come from freezecheck itself (pure
Python modules, importable without TensorFlow), so the peers train exactly what the
suite trains. Imported by keras_fit.py and torch_train.py from their own directory.
"""

from __future__ import annotations

import argparse
import sys

from freezecheck.builtin.models import PARAMETER_COUNTS, WEIGHT_LAYERS  # noqa: F401 (re-exported)
from freezecheck.builtin.settings import FULL_RECIPES

# One recipe for every model (the suite's full tier): only the epoch counts differ.
BATCH_SIZE = FULL_RECIPES["lenet"].batch_size
LEARNING_RATE = FULL_RECIPES["lenet"].learning_rate
SEED = FULL_RECIPES["lenet"].seed
assert all((r.batch_size, r.learning_rate, r.seed) == (BATCH_SIZE, LEARNING_RATE, SEED)
           for r in FULL_RECIPES.values()), "the peers assume one recipe for both models"
TRAIN_IMAGES = 55_000


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def variant_ids(model: str) -> list[str]:
    return [f"{model}[{layer}]" for layer in ("none", *WEIGHT_LAYERS[model])]


def parse_args(description: str, *, threads: bool = False) -> argparse.Namespace:
    """The peers' options, checked; ``threads`` adds ``--threads`` (default 2)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--models", default="lenet,lenet5")
    parser.add_argument("--epochs-lenet", type=int, default=FULL_RECIPES["lenet"].epochs)
    parser.add_argument("--epochs-lenet5", type=int, default=FULL_RECIPES["lenet5"].epochs)
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
