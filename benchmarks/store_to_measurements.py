"""Turn the runs a pytest session kept in its run store into measurement lines.

    python benchmarks/store_to_measurements.py STORE_DIR --dataset mnist --tier full \
        --note "how the runs were made" --out measurements/ENV/FILE.jsonl

A session run with ``--freezecheck-store-dir`` (for example the families at unseen
seeds) trains the same runs ``python -m freezecheck measure`` would; this writes each
as the line ``measure`` writes (freezecheck.cli.measure.measurement), so that those runs
count as measurements without training them again. Variant ids of the older form are
read as the current one. Every run must have been trained with this environment's
library versions and the tier's recipe at its seed; anything else is refused, and
nothing is written unless every run converts. Runs already in ``--out`` are skipped.
The store does not know which worker or host trained a run: the lines say so, with
``--note``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from freezecheck.builtin.models import variant_of
from freezecheck.builtin.measure import recipe_for
from freezecheck.cli.measure import measured, measurement
from freezecheck.describe.variants import parse_id
from freezecheck.errors import ConfigError
from freezecheck.files import write_atomic
from freezecheck.train.backend import environment_name
from freezecheck.train.records import RunRecord
from freezecheck.train.training import versions


def lines(store: Path, dataset: str, tier: str, note: str, skip: set) -> list[dict]:
    environment, current = environment_name(), versions()
    rows = []
    for entry in sorted(p for p in store.iterdir() if (p / "record.json").is_file()):
        record = RunRecord.load(entry)
        variant = variant_of(*parse_id(record.variant_id))
        seed = record.recipe["seed"]
        expected = recipe_for(variant, seed, tier).as_dict()
        if record.recipe != expected:
            raise ConfigError(f"{entry}: {variant.id} seed {seed} was not trained with the "
                              f"{tier} tier's recipe: {record.recipe} vs {expected}")
        if record.versions != current:
            raise ConfigError(f"{entry}: trained with {record.versions}, not this "
                              f"environment's {current} ({environment})")
        if (variant.id, seed) in skip:
            continue
        rows.append(measurement(variant, seed, tier, dataset, {
            "record": record, "key": entry.name, "worker": note, "host": "not recorded"},
            environment))
    return sorted(rows, key=lambda row: (row["variant"], row["seed"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--tier", default="full")
    parser.add_argument("--note", required=True,
                        help="how the runs were trained (the lines' worker field)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        rows = lines(args.store, args.dataset, args.tier, args.note, measured(args.out))
    except ConfigError as exc:
        print(f"store_to_measurements: {exc}", file=sys.stderr)
        return 2
    old = args.out.read_text() if args.out.exists() else ""
    write_atomic(args.out, old + "".join(json.dumps(row, sort_keys=True) + "\n"
                                         for row in rows))
    print(f"{len(rows)} runs added to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
