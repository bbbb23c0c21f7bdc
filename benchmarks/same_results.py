"""Check that two sessions' results.json hold bitwise the same runs and test outcomes.

    python benchmarks/same_results.py BEFORE/results.json AFTER/results.json

For a change that must not move any result (a refactor, a new id form): every run of
BEFORE must be in AFTER (which may be a larger session), matched by variant and seed, variant ids of the older form
(``lenet5-frozen=conv1``) read as the current one (``lenet5[conv1]``), and every figure
but the timings is compared exactly: the validation and training curves, the final and
test accuracies, epochs to the level, the recipe, the versions and the sha256 of every
weight variable after training. Every test outcome of BEFORE must be AFTER's too, by
test id, read without the test class (``::TestLenet5``) the tests gained when the
built-in experiment became an Experiment.
Prints what differs and exits 1 if anything does, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

# What a result is; the rest of a run's figures (seconds, memory) depend on the machine's load.
COMPARED = ("model", "frozen", "seed", "recipe", "versions", "val_accuracy", "train_accuracy",
            "final_val_accuracy", "test_accuracy", "epochs_to_level", "level",
            "weights_after_sha256")


# Ids of the older form: MODEL-frozen=A+B, optionally ",init=NAME".
OLDER_ID = re.compile(r"(?P<model>[^\[\]]+)-frozen=(?P<layers>[^,\[\]]+)(?:,init=(?P<init>.+))?")
DEFAULT_INIT = "glorot_uniform"  # an id names its initialiser only when it is another


def current_id(variant: str) -> str:
    """A variant id in the current form (``lenet5[conv1]``, ``lenet5[conv1:he_normal]``);
    ValueError if it is no variant id of either form."""
    if variant.endswith("]") and "[" in variant:
        return variant
    match = OLDER_ID.fullmatch(variant)
    if match is None:
        raise ValueError(f"not a variant id: {variant!r}")
    init = match["init"] or DEFAULT_INIT
    return f"{match['model']}[{match['layers']}{'' if init == DEFAULT_INIT else ':' + init}]"


def runs(results: dict) -> dict:
    return {(current_id(r["variant"]), r["seed"]): {k: r.get(k) for k in COMPARED}
            for r in results["runs"]}


def tests(results: dict) -> dict:
    """test id (variant in its current form, without a test class) -> outcome."""
    def rename(test: str) -> str:
        # The experiment's tests moved into one generated class per model.
        test = re.sub(r"::Test[^:\[]*(?=::)", "", test)
        match = re.fullmatch(r"(?P<head>[^\[]+)\[(?P<param>.+)\]", test)
        try:
            return f"{match['head']}[{current_id(match['param'])}]"
        except (TypeError, ValueError):  # no parameter, or one that is not a variant
            return test
    # results.json schema 3 records each test as {"outcome": ..., "message": ...}.
    return {rename(test): outcome["outcome"] if isinstance(outcome, dict) else outcome
            for test, outcome in results["tests"].items()}


def differences(before: dict, after: dict) -> list[str]:
    found = []
    old, new = runs(before), runs(after)
    for key in sorted(old):
        if key not in new:
            found.append(f"run {key}: only in before")
            continue
        for field in COMPARED:
            if old[key][field] != new[key][field]:
                found.append(f"run {key}: {field} differs: {old[key][field]!r} vs "
                             f"{new[key][field]!r}")
    old_tests, new_tests = tests(before), tests(after)
    for test in sorted(old_tests.keys() & new_tests.keys()):
        if old_tests[test] != new_tests[test]:
            found.append(f"test {test}: {old_tests[test]} vs {new_tests[test]}")
    # AFTER may be a larger session (the whole suite) than BEFORE (the experiment alone).
    for test in sorted(old_tests.keys() - new_tests.keys()):
        found.append(f"test {test}: only in before")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="results.json of the earlier session")
    parser.add_argument("after", type=Path, help="results.json of the later session")
    args = parser.parse_args(argv)
    before, after = (json.loads(path.read_text()) for path in (args.before, args.after))
    found = differences(before, after)
    print("\n".join(found) if found else
          f"bitwise equal: {len(before['runs'])} runs ({sum(len(r['weights_after_sha256']) for r in before['runs'])} "
          f"weight fingerprints) and {len(before['tests'])} test outcomes")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
