"""Measuring an experiment's variants over many seeds, outside pytest, on Dask.

``freezecheck measure --experiment PATH::NAME`` trains every (variant, seed) of the
experiment on its declared recipe (:func:`run_experiment`), each worker importing the
module from PATH (:mod:`freezecheck.cli.locate`), and appends one JSON line per run to a
measurements file. Those lines are what ``freezecheck declare`` makes an experiment's
declarations from, and what ``replication`` and ``false-alarms`` audit. A package that
measures its own way (its own tasks and lines) sweeps through :func:`sweep`.

Scheduling is Dask distributed's: by default an embedded ``LocalCluster`` of
single-thread worker processes on this machine; with ``--scheduler tcp://HOST:PORT`` an
existing cluster (``dask scheduler``, ``dask worker --nthreads 1``). Each task trains
one run where it lands, reading the data set from that worker's own directory (checked
by sha256, once per worker process), and returns the whole record; the client writes it
to its own run store and appends the line, so workers need no shared disk and nothing
partial is ever stored. The store key is computed where the run trained (it includes
that machine's CPU type), and a sweep trains on workers of one CPU type only
(:func:`placement`), since runs on other types are not bitwise alike. A worker that
dies mid-task has the task run again elsewhere (Dask's own rescheduling, plus
``retries`` for errors); a re-run skips every run the measurements file already holds;
Ctrl-C or SIGTERM cancels what is pending and closes a cluster the command started.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import socket
import time
import uuid
from pathlib import Path

from freezecheck.describe.recipe import RECORDED_METRICS
from freezecheck.describe.session import SessionOptions
from freezecheck.describe.variants import Variant
from freezecheck.errors import ConfigError

# 2: which worker and host trained the run, and the tier; 3: its CPU type (and, without
# a new number, the curve gates it is judged by: "curve_gates")
MEASUREMENT_SCHEMA = 3
RETRIES = 2  # a task that raises is tried again this many times (a dead worker: always)


def who() -> dict:
    """Which worker, host and CPU type this task runs on."""
    from freezecheck.train.store import cpu_type

    try:
        from distributed import get_worker
        worker = get_worker().address
    except (ImportError, ValueError):
        worker = "in-process"
    return {"worker": worker, "host": socket.gethostname(), "cpu": cpu_type()}


def placement(types: dict[str, str], own: str, wanted: str = "auto"
              ) -> tuple[str | None, list[str], dict[str, str]]:
    """Which workers a sweep's runs go to, from each worker's CPU type (``types``:
    address -> train.store.cpu_type(), at least one).

    Runs on CPUs of different types are not bitwise alike, so one sweep keeps to one:
    ``wanted`` names it, or ``auto`` picks the client's own type if a worker has it, else
    the type most workers have. ``any`` places runs on every worker. Returns the type
    (None for any), the chosen workers' addresses, and the left-out ones with their types.
    """
    if wanted == "any":
        return None, sorted(types), {}
    counts = collections.Counter(types.values())
    if wanted == "auto":
        wanted = own if own in counts else max(sorted(counts), key=counts.__getitem__)
    if wanted not in counts:
        raise ConfigError(f"--cpu-type {wanted}: no worker has it; the workers have "
                          f"{', '.join(f'{k} ({n})' for k, n in sorted(counts.items()))}")
    chosen = sorted(a for a, kind in types.items() if kind == wanted)
    return wanted, chosen, {a: kind for a, kind in sorted(types.items()) if kind != wanted}


def measurement(variant: Variant, seed: int, tier: str | None, dataset: str, result: dict,
                environment: str, experiment: str | None = None,
                curve_gates: dict | None = None) -> dict:
    """The JSON line of one trained run: of an ``experiment`` (PATH::NAME) on its
    declared recipe, or, for a package that measures its own way, on its ``tier``'s;
    with the ``curve_gates`` (a Gates as a dict) its curve is judged by, where given."""
    from freezecheck.judge.fingerprints import changes

    record = result["record"]
    frozen_paths = [p for layer in variant.frozen for p in record.variables_of(layer)]
    return {
        "schema": MEASUREMENT_SCHEMA,
        "environment": environment,
        "variant": variant.id,
        "model": variant.model,
        "frozen": list(variant.frozen),
        "init": variant.init,
        "dataset": dataset,
        "tier": tier,
        "seed": seed,
        "recipe": record.recipe,
        "val_accuracy": record.val_accuracy,
        "val_loss": record.history["val_loss"],
        "final_val_accuracy": record.final_val_accuracy,
        "test_accuracy": record.test_accuracy,
        "frozen_unchanged": not changes(record.weights_before, record.weights_after,
                                        frozen_paths),
        "train_seconds": record.train_seconds,
        "versions": record.versions,
        "key": result["key"],
        "worker": result["worker"],
        "host": result["host"],
        "cpu": result["cpu"],
        **({"experiment": experiment} if experiment else {}),
        **({"curve_gates": curve_gates} if curve_gates else {}),
        # Every other metric the run reports (an experiment's own compile adds them), so
        # that gates on any of them can be declared from these lines.
        **({"curves": others} if (others := {k: v for k, v in record.history.items()
                                             if k not in RECORDED_METRICS}) else {}),
    }


def measured(out: Path) -> set[tuple[str, int]]:
    """(variant id, seed) of every run ``out`` already holds."""
    if not out.exists():
        return set()
    return {(row["variant"], row["seed"]) for row in read(out)}


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int):
    """A Dask client: to ``scheduler``, or to a LocalCluster of ``workers``
    single-thread worker processes that closes with the client."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("measure runs on Dask distributed, which is not installed: "
                          "pip install 'freezecheck[dask]'") from exc
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    # Any free port: a second sweep, or another cluster, may hold Dask's default one.
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", scheduler_port=0) as cluster, \
            Client(cluster) as client:
        yield client


def _has_dashboard() -> bool:
    try:
        import bokeh  # noqa: F401  (the dashboard needs it)
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM is handled like Ctrl-C, so the pending tasks and the cluster are closed."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Progress:
    """Runs done of total, the rate and the time left, one line per finished run."""

    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.perf_counter()

    def line(self, row: dict) -> str:
        self.done += 1
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed * 3600
        left = (self.total - self.done) * elapsed / self.done
        return (f"[{self.done}/{self.total} {elapsed:6.0f}s, {rate:.1f} runs/h, about "
                f"{left / 60:.0f} min left] {row['variant']} seed {row['seed']}: "
                f"{row['final_val_accuracy']:.4f} ({row['train_seconds']:.0f}s on "
                f"{row['worker']} at {row['host']})")


def run_experiment(ref, seeds: list[int], *, store_dir: Path, out: Path, workers: int,
                   scheduler: str | None = None, cpu: str = "auto") -> int:
    """Measure every (variant, seed) of a user's experiment (``ref``, a
    cli.locate.ExperimentRef) on its declared recipe at each seed, not yet in ``out``;
    append each as it finishes (:func:`sweep`). Returns 0, or 130 when interrupted
    (what finished by then is kept).

    The runs are stored under the keys a pytest session computes for them, so a session
    given the same ``--freezecheck-store-dir`` reuses the run at its recipe's seed."""
    from freezecheck.train.backend import environment_name

    experiment = ref.load()
    environment = environment_name()
    gates = experiment.gates_for(SessionOptions()).as_dict()
    pairs = [(v, s) for v in experiment.variants for s in seeds]  # baseline first
    return sweep(pairs, out=out, store_dir=store_dir, workers=workers, scheduler=scheduler,
                  cpu=cpu, what=f"experiment {experiment.name} ({ref.path})",
                  environment=environment,
                  task=lambda v, s: (experiment_task, ref, v.id, s),
                  line_of=lambda v, s, result: measurement(
                      v, s, None, result["dataset"], result, environment,
                      experiment=ref.spec, curve_gates=gates))


def experiment_task(ref, variant_id: str, seed: int) -> dict:
    """Train one run of a user's experiment where this task runs: the record, its store
    key, its data set's name and who trained it (:func:`who`)."""
    experiment = ref.load()
    variant = experiment.variant(variant_id)
    # As a session with --freezecheck-seed=SEED trains it: the same recipe and store key.
    options = SessionOptions(seed=seed)
    recipe = experiment.recipe_for(options)
    data = experiment.data_for(options)
    return {"record": experiment.train(variant, recipe, data),
            "key": experiment.store_key(variant, recipe, data),
            "dataset": data.name, **who()}


def sweep(pairs, *, out: Path, store_dir: Path, workers: int, scheduler: str | None,
           cpu: str, what: str, environment: str, task, line_of) -> int:
    """Submit ``task(variant, seed)`` (a function and its arguments) for every pair not
    in ``out`` to the workers of one CPU type (:func:`placement`), store each result
    and append ``line_of(variant, seed, result)``."""
    from freezecheck.train.store import RunStore, cpu_type

    done = measured(out)
    to_measure = [(v, s) for v, s in pairs if (v.id, s) not in done]
    where = scheduler or f"an embedded cluster of {workers} single-thread workers"
    print(f"measure: {len(to_measure)} runs to make ({len(done)} already in {out}), "
          f"{what}, on {where}, environment {environment}", flush=True)
    if not to_measure:
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    store = RunStore(Path(store_dir), session=uuid.uuid4().hex)
    progress = Progress(len(to_measure))
    futures: list = []
    with _sigterm_as_interrupt():
        try:
            with dask_client(scheduler, workers) as client:
                if client.dashboard_link and _has_dashboard():
                    print(f"measure: Dask dashboard at {client.dashboard_link}", flush=True)
                client.wait_for_workers(1)  # an existing cluster may have none yet
                kind, chosen, left_out = placement(client.run(cpu_type), cpu_type(), cpu)
                _say_placement(kind, chosen, left_out)
                futures = [client.submit(*task(v, s),
                                         key=f"train-{v.id}-seed-{s}-{uuid.uuid4().hex[:8]}",
                                         retries=RETRIES, pure=False,
                                         workers=chosen if left_out else None)
                           for v, s in to_measure]
                try:
                    _collect(futures, to_measure, store, out, progress, line_of)
                finally:  # interrupted or failed: nothing pending keeps a worker busy
                    client.cancel([f for f in futures if not f.done()])
        except KeyboardInterrupt:
            # The embedded cluster is closed by now (its context has exited).
            print(f"measure: interrupted; {progress.done} of {len(to_measure)} runs kept in "
                  f"{out}, the rest cancelled. Run the same command to go on.", flush=True)
            return 130
    return 0


def _say_placement(kind: str | None, chosen: list[str], left_out: dict[str, str]) -> None:
    if kind is None:
        print(f"measure: runs go to all {len(chosen)} workers, whatever their CPU type "
              f"(--cpu-type any): each line says which", flush=True)
    elif left_out:
        print(f"measure: runs go to the {len(chosen)} workers of CPU type {kind}; "
              f"{len(left_out)} of another type get none, since their runs would not be "
              f"bitwise these ({', '.join(f'{a} {k}' for a, k in left_out.items())}). "
              f"Measure them in a sweep of their own (--cpu-type TYPE)", flush=True)


def _collect(futures, to_measure, store, out: Path, progress: Progress, line_of) -> None:
    """Store each finished run and append its line, as it finishes."""
    from distributed import as_completed

    pairs = {f.key: pair for f, pair in zip(futures, to_measure)}
    with out.open("a") as sink:
        for future in as_completed(futures):
            variant, seed = pairs[future.key]
            result = future.result()
            store.get_or_train(result["key"], lambda: result["record"])
            row = line_of(variant, seed, result)
            sink.write(json.dumps(row, sort_keys=True) + "\n")
            sink.flush()
            os.fsync(sink.fileno())  # a line, once printed, survives a crash
            print(progress.line(row), flush=True)


def read(path: Path) -> list[dict]:
    """The measurement rows of ``path``, each line checked (a bad one is refused by
    file, line and field: freezecheck.reporting.readers); an empty file holds none."""
    from freezecheck.reporting.readers import read_lines

    return read_lines(path, required=False)


def seed_range(text: str) -> list[int]:
    """``"5"`` -> seeds 0..4; ``"3-7"`` -> seeds 3..7; ``"0-0"`` -> seed 0 alone."""
    first, dash, last = text.partition("-")
    try:
        seeds = (list(range(int(first), int(last) + 1)) if dash
                 else list(range(int(first))))
    except ValueError:
        seeds = []
    if not seeds or seeds[0] < 0:
        raise ConfigError(f"--seeds expected N >= 1 (seeds 0 to N-1) or A-B with "
                          f"0 <= A <= B (seeds A to B). Received: {text!r}")
    return seeds
