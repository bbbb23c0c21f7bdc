"""Train the planted regressions of ``plants.py`` and write them as measurement lines.

    python benchmarks/power/measure_plants.py --data-dir MNIST_DIR \
        --out benchmarks/power/planted.jsonl [--plants NAME,...] [--seeds 10-29]

For every seed: the baseline (``plants.BASELINE``) and the target (``plants.TARGET``)
unplanted (``"plant": "none"``), then the target under each plant, on the full-tier
recipe, in this process, one run at a time (start a second process with other
``--plants`` or ``--seeds`` to use a second core; both may append to one file). Each
line is what ``freezecheck measure`` writes, plus ``"plant"``; its ``key`` names the
plant too, so a planted run is never taken for an unplanted one. A re-run skips every
(plant, variant, seed) the file holds and appends the rest as they finish: stop it at
any time and start it again.

The seeds are above every seed a declaration was made from, so every run here is new to
the declarations it is judged against.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import plants  # noqa: E402


def done(out: Path) -> set[tuple[str, str, int]]:
    """(plant, variant, seed) of every line ``out`` holds."""
    if not out.exists():
        return set()
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {(row["plant"], row["variant"], row["seed"]) for row in rows}


def runs(names: list[str], seeds: list[int]) -> list[tuple[str, str, int]]:
    """(plant, variant, seed) to train: per seed the unplanted pair first."""
    pending = []
    for seed in seeds:
        pending += [(plants.UNPLANTED, plants.BASELINE, seed),
                 (plants.UNPLANTED, plants.TARGET, seed)]
        pending += [(name, plants.TARGET, seed) for name in names]
    return pending


def train_one(plant: str, variant_id: str, seed: int, data, environment: str) -> dict:
    """The measurement line of one run of ``variant_id`` at ``seed`` under ``plant``."""
    import contextlib

    from freezecheck.builtin.models import train
    from freezecheck.builtin.measure import recipe_for
    from freezecheck.cli.measure import measurement
    from freezecheck.builtin.tabulate import variant_from_id
    from freezecheck.train.store import cpu_type, run_key

    variant = variant_from_id(variant_id)
    recipe = recipe_for(variant, seed, "full")
    within = (contextlib.nullcontext() if plant == plants.UNPLANTED
              else plants.planted(plants.BY_NAME[plant]))
    with within:
        record = train(variant, recipe, data)
    key_id = variant.id if plant == plants.UNPLANTED else f"{variant.id}~planted:{plant}"
    result = {"record": record, "key": run_key(key_id, record.recipe, data.sha256),
              "worker": f"in-process:{os.getpid()}", "host": socket.gethostname(),
              "cpu": cpu_type()}
    return {**measurement(variant, seed, "full", data.name, result, environment),
            "plant": plant}


def main(argv=None) -> int:
    from freezecheck.builtin.datasets import load_dataset
    from freezecheck.cli.measure import seed_range
    from freezecheck.train.backend import environment_name

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--plants", default=",".join(plants.BY_NAME),
                        help="comma-separated plant names (default: all)")
    parser.add_argument("--seeds", default=f"{plants.SEEDS[0]}-{plants.SEEDS[-1]}",
                        help="A-B, as freezecheck measure takes it")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.plants.split(",") if n.strip()]
    unknown = [n for n in names if n not in plants.BY_NAME]
    if unknown:
        parser.error(f"--plants expected names from {sorted(plants.BY_NAME)}. "
                     f"Received: {unknown}")
    seeds = seed_range(args.seeds)
    low = [s for s in seeds if s < plants.SEEDS[0]]
    if low:
        parser.error(f"--seeds must stay at or above {plants.SEEDS[0]}, above every seed a "
                     f"declaration was made from. Received: {low}")
    pending = [r for r in runs(names, seeds) if r not in done(args.out)]
    data = load_dataset("mnist", args.data_dir)
    environment = environment_name()
    print(f"{len(pending)} runs to train ({environment})", flush=True)
    for i, (plant, variant_id, seed) in enumerate(pending, 1):
        if (plant, variant_id, seed) in done(args.out):  # another process trained it
            continue
        row = train_one(plant, variant_id, seed, data, environment)
        with open(args.out, "a") as sink:
            sink.write(json.dumps(row, sort_keys=True) + "\n")
            sink.flush()
            os.fsync(sink.fileno())
        print(f"[{i}/{len(pending)}] {plant} {variant_id} seed {seed}: final "
              f"{row['final_val_accuracy']:.4f} ({row['train_seconds']:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
