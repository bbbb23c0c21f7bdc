"""Where the plugin keeps its per-session state (pytest stash keys), in one place for
the hooks, fixtures and report that share it."""

from __future__ import annotations

import pytest

OPTIONS_KEY = pytest.StashKey["SessionOptions"]()
SHARD_KEY = pytest.StashKey["tuple[int, int] | None"]()
RUNS_KEY = pytest.StashKey[dict]()  # on an item: the runs its test used
SESSION_KEY = pytest.StashKey[str]()  # the session's id, the same in every worker
STORE_KEY = pytest.StashKey[tuple]()  # (store directory or None, retrain)
STALE_KEY = pytest.StashKey[list]()  # on an item: its stale declarations' figures
