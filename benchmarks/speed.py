"""The whole experiment's speed beside the obvious alternatives, measured in one run.

    python benchmarks/speed.py --data-dir DIR \
        [--torch-python .torchvenv/bin/python] [--repeats 3] [--out benchmarks/speed]

Ways of running the experiment (every variant of both models, the full tier's recipe),
each a fresh process, interleaved round by round so that drift in the machine's speed
hits all of them alike:

- ``suite -n auto``: ``pytest -n auto tests/test_experiment.py --freezecheck-tier=full``
  with a new persistent store, then ``suite warm``: the same command again on that store
  (nothing changed, so nothing trains);
- ``suite -n 0``: the same, one process;
- ``keras fit``: ``benchmarks/peers/keras_fit.py``, the plain script a user would write,
  variants one after another with ``model.fit`` and default settings;
- ``torch``: ``benchmarks/peers/torch_train.py``, the same model and recipe in PyTorch on
  the CPU (its own virtual environment: ``--torch-python``).

Also measured in the same run: the machine's float32 matmul rate (numpy, every core),
from which each variant's ceiling follows (training FLOPs per image, counted from the
architecture); images per second per variant and way; idle time of each xdist worker
(``worker_timeline.py``); peak memory per worker. Figures go to ``benchmarks/speed.json``
and ``benchmarks/speed.md`` (or ``--out``), with the command that produced them.
Targets are checked here and reported, never in the tests.

The suite is run through its command line only (pytest and its ``--freezecheck-*``
options); the recipe of its runs is read from the report it writes, and the peers'
recipe (``peers/peer_cli.py``) is checked against it, so the ways train the same thing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
WAYS = ("suite -n auto", "suite -n 0", "keras fit", "torch")
TARGETS = {
    "wall_ratio_auto_to_keras_fit_max": 0.5,
    "throughput_ratio_to_keras_fit_min": 1.3,
    "throughput_ratio_to_torch_min": 1.0,
    "idle_fraction_max": 0.10,
    "warm_rerun_seconds_max": 20.0,
    "peak_rss_mb_per_worker_max": 1536,
}
TRAIN_IMAGES = 55_000
sys.path.insert(0, str(BENCHMARKS / "peers"))
import peer_cli  # noqa: E402  (the peers' recipe, to check against the suite's)

# Forward multiply-adds per image of each weight layer, from the shapes in
# freezecheck/builtin/models.py (output positions x output channels x kernel inputs).
FORWARD_MACS = {
    "lenet": {"conv1": 24 * 24 * 20 * 25, "conv2": 8 * 8 * 50 * 20 * 25,
              "fc1": 800 * 500, "out": 500 * 10},
    "lenet5": {"conv1": 28 * 28 * 6 * 25, "conv2": 10 * 10 * 16 * 6 * 25,
               "fc1": 400 * 120, "fc2": 120 * 84, "out": 84 * 10},
}


def training_flops_per_image(model: str, frozen: list[str]) -> float:
    """Forward pass, weight gradients of trainable layers, and input gradients of each
    layer above the lowest trainable one (below it, nothing needs a gradient)."""
    layers = list(FORWARD_MACS[model])
    lowest = min((layers.index(n) for n in layers if n not in frozen), default=len(layers))
    macs = 0
    for i, name in enumerate(layers):
        forward = FORWARD_MACS[model][name]
        macs += forward
        macs += forward if name not in frozen else 0
        macs += forward if i > lowest else 0
    return 2.0 * macs


def model_and_frozen(variant: str) -> tuple[str, list[str]]:
    """``"lenet5[conv1+fc1]"`` -> ``("lenet5", ["conv1", "fc1"])``, as reports write ids."""
    model, _, inside = variant[:-1].partition("[")
    layers = inside.partition(":")[0]  # an initialiser after ":" adds no work
    return model, [] if layers == "none" else layers.split("+")


def check_peer_recipe(results: dict) -> None:
    """Refuse to time peers whose recipe is not the one the suite's runs report."""
    for run in results["runs"]:
        model, recipe = run["model"], run["recipe"]
        peer = {"epochs": peer_cli.EPOCHS.get(model), "batch_size": peer_cli.BATCH_SIZE,
                "learning_rate": peer_cli.LEARNING_RATE, "seed": peer_cli.SEED}
        differ = {k: (recipe.get(k), v) for k, v in peer.items() if recipe.get(k) != v}
        if differ:
            raise SystemExit(f"speed.py: the suite trains {run['variant']} with a recipe the "
                             f"peers do not (suite, peers): {differ}. Update "
                             f"benchmarks/peers/peer_cli.py to the suite's recipe.")


def matmul_gflops(size: int = 2048, repeats: int = 7) -> float:
    """Best float32 matmul rate of numpy's BLAS on every core, GFLOP/s."""
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    a @ a  # warm up the BLAS threads
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """(wall seconds, largest descendant's peak RSS in MB, stdout) of ``command``."""
    probe = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"
             "; sys.exit(p.returncode)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *command], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0,):
        raise RuntimeError(f"{shlex.join(command)} exited {done.returncode}:\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return wall, peak_kib // 1024, done.stdout


def suite(module: Path, data_dir: str, workers: str, select: str | None, scratch: Path,
          store: Path) -> dict:
    report, timeline = scratch / "report", scratch / "timeline.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-p", "worker_timeline", "-n", workers, str(module),
               "--freezecheck-tier=full", f"--freezecheck-data-dir={data_dir}",
               f"--freezecheck-store-dir={store}", f"--freezecheck-report-dir={report}"]
    if select:
        command += ["-k", select]
    env = os.environ | {"PYTHONPATH": str(BENCHMARKS), "WORKER_TIMELINE": str(timeline)}
    wall, peak, _ = run_measured(command, env)
    results = json.loads((report / "results.json").read_text())
    check_peer_recipe(results)
    runs = {r["variant"]: {"epoch_seconds": r["epoch_seconds"], "peak_rss_mb": r["peak_rss_mb"],
                           "final_val_accuracy": r["final_val_accuracy"],
                           "epochs": r["recipe"]["epochs"]}
            for r in results["runs"]}
    outcome = dict.fromkeys(("passed", "failed", "xfailed", "xpassed", "skipped"), 0)
    for value in results["tests"].values():
        outcome[value] = outcome.get(value, 0) + 1
    return {"wall_seconds": wall, "largest_process_peak_rss_mb": peak, "runs": runs,
            "outcomes": outcome,
            "timeline": json.loads(timeline.read_text()) if timeline.exists() else None}


def peer(command: list[str]) -> dict:
    wall, peak, stdout = run_measured(command)
    printed = json.loads(stdout.strip().splitlines()[-1])
    return {"wall_seconds": wall, "largest_process_peak_rss_mb": peak,
            "runs": {r["variant"]: {"epoch_seconds": r["epoch_seconds"],
                                     "final_val_accuracy": r["final_val_accuracy"],
                                     "epochs": r["epochs"]}
                     for r in printed["runs"]},
            "versions": printed.get("versions")}


def images_per_second(epoch_seconds: list[float]) -> float:
    """One process's steady rate: the first epoch (graph tracing) left out."""
    steady = epoch_seconds[1:] or epoch_seconds
    return TRAIN_IMAGES / statistics.median(steady)


def summarise(rounds: list[dict], gflops: list[float]) -> dict:
    rate = statistics.median(gflops) * 1e9
    flops = {vid: training_flops_per_image(*model_and_frozen(vid))
             for r in rounds for m in r.values() for vid in m["runs"]}
    ways = {}
    for way in rounds[0]:
        measured = [r[way] for r in rounds if way in r]
        walls = [m["wall_seconds"] for m in measured]
        per_variant = {}
        for vid in measured[0]["runs"]:
            rates = [images_per_second(m["runs"][vid]["epoch_seconds"]) for m in measured]
            ceiling = rate / flops[vid]
            per_variant[vid] = {"images_per_second": statistics.median(rates),
                                "ceiling_images_per_second": ceiling,
                                "ratio_to_ceiling": statistics.median(rates) / ceiling}
        # Work done per second of wall time over the whole experiment, all processes.
        total_flops = sum(flops[vid] * TRAIN_IMAGES * run["epochs"]
                          for vid, run in measured[0]["runs"].items())
        ways[way] = {
            "wall_seconds_median": statistics.median(walls),
            "wall_seconds_spread": [min(walls), max(walls)],
            "repeats": len(walls),
            "achieved_gflops": total_flops / statistics.median(walls) / 1e9,
            "largest_process_peak_rss_mb": max(m["largest_process_peak_rss_mb"] for m in measured),
            "per_variant": per_variant,
        }
        if way.startswith("suite") and way != "suite warm":
            ways[way]["peak_rss_mb_per_worker"] = max(
                run["peak_rss_mb"] for m in measured for run in m["runs"].values())
            timelines = [m["timeline"] for m in measured if m.get("timeline")]
            if timelines:
                ways[way]["idle_fraction_max"] = max(
                    w["idle_fraction"] for t in timelines for w in t["workers"].values())
            ways[way]["outcomes"] = measured[0]["outcomes"]
    return {"matmul_gflops_median": statistics.median(gflops), "matmul_gflops": gflops,
            "ways": ways}


def check_targets(summary: dict) -> dict:
    ways = summary["ways"]
    checks = {}
    if {"suite -n auto", "keras fit"} <= ways.keys():
        auto, fit = ways["suite -n auto"], ways["keras fit"]
        checks["wall_ratio_auto_to_keras_fit"] = auto["wall_seconds_median"] / fit["wall_seconds_median"]
        checks["throughput_ratio_to_keras_fit"] = auto["achieved_gflops"] / fit["achieved_gflops"]
    if {"suite -n auto", "torch"} <= ways.keys():
        checks["throughput_ratio_to_torch"] = (ways["suite -n auto"]["achieved_gflops"]
                                               / ways["torch"]["achieved_gflops"])
    if "suite -n auto" in ways:
        checks["idle_fraction"] = ways["suite -n auto"].get("idle_fraction_max")
        checks["peak_rss_mb_per_worker"] = max(ways[w].get("peak_rss_mb_per_worker", 0)
                                               for w in ways)
    if "suite warm" in ways:
        checks["warm_rerun_seconds"] = ways["suite warm"]["wall_seconds_median"]
    limits = {"wall_ratio_auto_to_keras_fit": ("max", 0.5),
              "throughput_ratio_to_keras_fit": ("min", 1.3),
              "throughput_ratio_to_torch": ("min", 1.0), "idle_fraction": ("max", 0.10),
              "warm_rerun_seconds": ("max", 20.0), "peak_rss_mb_per_worker": ("max", 1536)}
    return {name: {"value": value, "target": f"{limits[name][0]} {limits[name][1]}",
                   "met": value is not None and (value <= limits[name][1] if limits[name][0] == "max"
                                                 else value >= limits[name][1])}
            for name, value in checks.items()}


def markdown(result: dict) -> str:
    ways = result["summary"]["ways"]
    lines = [f"Command: `{result['command']}`", "",
             f"Machine: {result['machine']}; matmul {result['summary']['matmul_gflops_median']:.0f} "
             f"GFLOP/s (numpy float32, every core).", "",
             "| way | wall s (median) | spread | repeats | GFLOP/s achieved | peak RSS MB |",
             "| --- | ---: | --- | ---: | ---: | ---: |"]
    for way, w in ways.items():
        lines.append(f"| {way} | {w['wall_seconds_median']:.1f} | {w['wall_seconds_spread'][0]:.1f} "
                     f"to {w['wall_seconds_spread'][1]:.1f} | {w['repeats']} | "
                     f"{w['achieved_gflops']:.1f} | "
                     f"{w.get('peak_rss_mb_per_worker', w['largest_process_peak_rss_mb']):.0f} |")
    lines += ["", "| target | value | limit | met |", "| --- | ---: | --- | --- |"]
    for name, check in result["targets"].items():
        value = check["value"]
        lines.append(f"| {name} | {value:.3g} | {check['target']} | {'yes' if check['met'] else 'NO'} |")
    shown = [w for w in ("suite -n 0", "suite -n auto", "keras fit", "torch") if w in ways]
    if not shown:
        return "\n".join(lines) + "\n"
    lines += ["", "Images per second per variant (one process, first epoch left out) and the "
              "share of the ceiling:", "",
              "| variant | " + " | ".join(shown) + " | ceiling |",
              "| --- |" + " ---: |" * (len(shown) + 1)]
    for vid in ways[shown[0]]["per_variant"]:
        cells = [f"{ways[w]['per_variant'][vid]['images_per_second']:.0f} "
                 f"({ways[w]['per_variant'][vid]['ratio_to_ceiling']:.0%})" for w in shown]
        ceiling = ways[shown[0]]["per_variant"][vid]["ceiling_images_per_second"]
        lines.append(f"| {vid} | " + " | ".join(cells) + f" | {ceiling:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True,
                        help="directory of the four MNIST IDX files (plain or .gz)")
    parser.add_argument("--torch-python", help="Python of a venv with torch==2.13.0; "
                                               "without it, the torch way is left out")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ways", default=",".join(WAYS),
                        help=f"comma-separated subset of: {', '.join(WAYS)}")
    parser.add_argument("--suite", type=Path, default=ROOT / "tests" / "test_experiment.py",
                        help="the test module the suite ways run (default: the built-in "
                             "experiment's)")
    parser.add_argument("--models", default="lenet,lenet5",
                        help="restrict to these models (a quick check of the harness)")
    parser.add_argument("--out", default=str(BENCHMARKS / "speed"),
                        help="path without suffix; .json and .md are written")
    args = parser.parse_args()
    chosen = [w for w in args.ways.split(",") if w]
    unknown = set(chosen) - set(WAYS)
    if unknown or args.repeats < 1:
        parser.error(f"unknown ways {sorted(unknown)} or repeats < 1")
    if "torch" in chosen and not args.torch_python:
        parser.error("the torch way needs --torch-python (a venv with torch==2.13.0)")
    data_dir = str(Path(args.data_dir).resolve())
    module = args.suite.resolve()
    models = args.models.split(",")
    if not models or set(models) - set(FORWARD_MACS):
        parser.error(f"--models expected names among {', '.join(FORWARD_MACS)}")
    select = None if set(models) == set(FORWARD_MACS) else (
        "lenet5" if models == ["lenet5"] else "lenet and not lenet5")
    peer_args = ["--data-dir", data_dir, "--models", args.models]

    gflops, rounds = [], []
    for repeat in range(args.repeats):
        gflops.append(matmul_gflops())
        measured = {}
        for way in chosen:
            print(f"round {repeat + 1}/{args.repeats}: {way}", file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory() as scratch:
                scratch = Path(scratch)
                if way == "suite -n auto":
                    measured[way] = suite(module, data_dir, "auto", select, scratch, scratch / "store")
                    (scratch / "report").rename(scratch / "cold-report")
                    measured["suite warm"] = suite(module, data_dir, "auto", select, scratch,
                                                   scratch / "store")
                elif way == "suite -n 0":
                    measured[way] = suite(module, data_dir, "0", select, scratch, scratch / "store")
                elif way == "keras fit":
                    measured[way] = peer([sys.executable, str(BENCHMARKS / "peers/keras_fit.py"),
                                          *peer_args])
                else:
                    measured[way] = peer([args.torch_python,
                                          str(BENCHMARKS / "peers/torch_train.py"), *peer_args])
        rounds.append(measured)

    summary = summarise(rounds, gflops)
    import tensorflow as tf

    result = {
        "command": "python benchmarks/speed.py " + shlex.join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, "
                   f"TensorFlow {tf.__version__}",
        "summary": summary,
        "targets": check_targets(summary),
        "rounds": rounds,
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
