"""A pytest plugin for the benchmarks: when each xdist worker was busy, and so idle.

    PYTHONPATH=benchmarks pytest -p worker_timeline ...   (writes $WORKER_TIMELINE)

On the controller it collects every test phase's start and stop per worker and writes,
at the end, per worker: busy seconds, idle seconds inside the span from the first test's
start to the last test's stop, and how long before that end the worker ran out of work.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict


class Timeline:
    def __init__(self):
        self.phases = defaultdict(list)  # worker -> [(start, stop)]

    def pytest_runtest_logreport(self, report):
        node = getattr(report, "node", None)
        worker = node.gateway.id if node is not None else "main"
        self.phases[worker].append((report.start, report.stop))

    def pytest_sessionfinish(self, session):
        if not self.phases:
            return
        first = min(start for phases in self.phases.values() for start, _ in phases)
        last = max(stop for phases in self.phases.values() for _, stop in phases)
        span = last - first
        workers = {}
        for worker, phases in sorted(self.phases.items()):
            busy = sum(stop - start for start, stop in phases)
            workers[worker] = {"busy_seconds": busy, "idle_seconds": span - busy,
                               "idle_fraction": (span - busy) / span if span else 0.0,
                               "finished_early_seconds": last - max(s for _, s in phases)}
        with open(os.environ["WORKER_TIMELINE"], "w") as out:
            json.dump({"span_seconds": span, "workers": workers}, out, indent=2)


def pytest_configure(config):
    if not hasattr(config, "workerinput") and os.environ.get("WORKER_TIMELINE"):
        config.pluginmanager.register(Timeline(), "worker-timeline")
