"""The ``--freezecheck-*`` options: declared once here, read into a SessionOptions.

Every option is also an ini key (``freezecheck_NAME``). Values are converted and
checked here, at start-up (a UsageError names the option and the value); whether each
applies to the session's experiments is theirs to say, at collection
(Experiment.check_options), so that none is silently ignored.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from freezecheck.describe.recipe import DEFAULT_ALPHA, TRAINING_PATHS, check_alpha
from freezecheck.describe.session import SessionOptions
from freezecheck.errors import ConfigError

DEFAULT_REPORT_DIR = "freezecheck-report"
REFERENCE_MATCHES = ("exact", "tolerance")

# option name -> (type, help); each is --freezecheck-NAME and ini freezecheck_NAME.
# Path options are taken from where pytest was started on the command line, and from
# the ini file's directory in an ini file (as pytest's own path options are).
# "Every experiment" options apply to any experiment; the others say which take them.
OPTIONS = {
    "seed": (int, "Seed of every run of every experiment, or the first of "
                  "--freezecheck-seeds (default: each recipe's, 0)."),
    "tier": (str, "The tier (a named recipe and gates) every experiment runs (default: "
                  "each experiment's default, full). An experiment without it stops "
                  "the session, naming the tiers it has."),
    "dataset": (str, "The data set every experiment trains on, by name (default: each "
                     "experiment's first). An experiment without it stops the session, "
                     "naming the data sets it has."),
    "data_dir": (Path, "Directory the data set is read from, passed to every "
                       "experiment's data function (one that takes no data_dir stops "
                       "the session)."),
    "training": (str, "Train every run of every experiment through this path: loop "
                      "(freezecheck's compiled whole-epoch loop) or fit (Keras' "
                      "model.compile + model.fit) (default: each recipe's)."),
    "min_accuracy": (float, "Final validation accuracy every variant of every experiment "
                            "must reach (default: each experiment's gate). An experiment "
                            "gated on another metric stops the session."),
    "curve_band": (float, "Largest per-epoch |variant - baseline| validation accuracy, "
                          "every experiment (default: each experiment's gate). An "
                          "experiment gated on another metric stops the session."),
    "curve_level": (float, "Accuracy whose first epoch is compared with the baseline's, "
                           "every experiment (default: each experiment's gate). An "
                           "experiment gated on another metric stops the session."),
    "curve_max_lag": (int, "Largest allowed difference, in epochs, to first reach the "
                           "curve level, every experiment, whichever its metric "
                           "(default: each experiment's gate)."),
    "alpha": (float, "Significance level of the statistical judgements (declared "
                     f"expectations, several seeds), per variant (default: {DEFAULT_ALPHA})."),
    "seeds": (int, "Number of seeds every variant of every experiment runs with, from "
                   "the session's seed on: checks at every seed, accuracy by the seeds' "
                   "centre, and from 5 the curve by the declared claim (default: 1). "
                   "From 5, an experiment that declares no claims stops the session."),
    "families": (str, "Also run these families of variants (Experiment(families=...)), "
                      "comma-separated, or all (default: none). An experiment that does "
                      "not declare one named stops the session."),
    "models": (str, "Restrict the families to these models, comma-separated (default: "
                    "all). An experiment with no models to choose from stops the session."),
    "reference_match": (str, "How a run is held to its stored reference when the "
                             "environment is the one that made it: exact (bit for bit) "
                             "or tolerance (the curve gates, as on other machines) "
                             "(default: exact)."),
    "references_dir": (Path, "Where every experiment's reference curves are read, and "
                             "written by --freezecheck-regen-references (default: each "
                             "experiment's own, e.g. references/ beside its test module)."),
    "report_dir": (Path, f"Where the session report goes (default: ./{DEFAULT_REPORT_DIR})."),
    "store_dir": (Path, "Keep trained runs in this directory across sessions, and reuse a "
                       "run whose inputs are unchanged (default: none; nothing persists)."),
    "shard": (str, "Run only shard K of N (K/N, e.g. 1/2): a deterministic split of the "
                   "session, for a CI matrix over several machines (default: all)."),
}

CHOICES = {"training": TRAINING_PATHS, "reference_match": REFERENCE_MATCHES}
INI_TYPES = {str: "string", int: "int", float: "float", Path: "paths"}
METAVARS = {str: "VALUE", int: "N", float: "F", Path: "DIR"}
FLAGS = {
    "regen_references": "Write this environment's reference curves from this run; every "
                        "reference test then fails, so that nobody regenerates by accident.",
    "retrain": "With --freezecheck-store-dir: train every run again, once, replacing what "
               "the store holds.",
}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("freezecheck", "frozen-layer reproducibility suite")
    for name, (kind, help_text) in OPTIONS.items():
        flag = SessionOptions.flag(name)
        metavar = "{" + ",".join(CHOICES[name]) + "}" if name in CHOICES else METAVARS[kind]
        if name == "shard":
            metavar = "K/N"
        group.addoption(flag, dest=f"freezecheck_{name}", default=None, help=help_text,
                        metavar=metavar)
        parser.addini(f"freezecheck_{name}", help_text, type=INI_TYPES[kind], default=None)
    for name, help_text in FLAGS.items():
        group.addoption(SessionOptions.flag(name), action="store_true",
                        dest=f"freezecheck_{name}", help=help_text)


def read_options(config: pytest.Config) -> tuple[SessionOptions, dict]:
    """The session's options, and the ones the plugin itself uses (report_dir,
    store_dir, shard, retrain); a UsageError names a bad value."""
    values = {name: _option(config, name) for name in OPTIONS}
    for name, choices in CHOICES.items():
        if values[name] is not None and values[name] not in choices:
            raise pytest.UsageError(
                f"freezecheck: {SessionOptions.flag(name)} expected one of "
                f"{', '.join(choices)}. Received: {values[name]!r}")
    try:
        if values["alpha"] is not None:
            check_alpha(values["alpha"])
        _check_gates(values)
        if values["seed"] is not None and values["seed"] < 0:
            raise ConfigError(f"{SessionOptions.flag('seed')} expected a non-negative "
                              f"integer. Received: {values['seed']}")
        if values["seeds"] is not None and values["seeds"] < 1:
            raise ConfigError(f"{SessionOptions.flag('seeds')} expected a positive integer. "
                              f"Received: {values['seeds']}")
    except ConfigError as exc:
        raise pytest.UsageError(f"freezecheck: {exc}") from None
    own = {name: values.pop(name) for name in ("report_dir", "store_dir", "shard")}
    own["retrain"] = config.getoption("freezecheck_retrain")
    for name in ("families", "models"):
        if values[name] is not None:
            values[name] = tuple(part.strip() for part in values[name].split(",")
                                 if part.strip())
    for name, directory in (("store_dir", own["store_dir"]),
                            ("report_dir", own["report_dir"])):
        if directory is not None:
            check_writable(directory, SessionOptions.flag(name))
    options = SessionOptions(**values, rootdir=config.rootpath,
                             regen_references=config.getoption("freezecheck_regen_references"))
    return options, own


def _check_gates(values: dict) -> None:
    """Each gate given, checked as Gates checks its field (any experiment's gates)."""
    from freezecheck.describe.recipe import CurveTolerance, check_fraction

    if values["min_accuracy"] is not None:
        check_fraction("min_accuracy", values["min_accuracy"])
    curve = {"band": values["curve_band"], "level": values["curve_level"],
             "max_lag": values["curve_max_lag"]}
    CurveTolerance(**{**{"band": 0.0, "level": 1.0, "max_lag": 0},
                      **{k: v for k, v in curve.items() if v is not None}})


# The options that only an experiment can apply: given in a session that collected
# none, they would change nothing.
FOR_EXPERIMENTS = ("seed", "tier", "dataset", "training", "min_accuracy", "curve_band",
                   "curve_level", "curve_max_lag", "alpha", "seeds", "families", "models",
                   "reference_match")


def check_writable(directory: Path, option: str) -> None:
    """Refuse, at start-up, a directory that cannot be created or written."""
    existing = next(p for p in (directory, *directory.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(
            f"freezecheck: {option}: {directory} cannot be written ({existing} is "
            f"{'not a directory' if not existing.is_dir() else 'not writable'}). "
            f"Choose a directory you can write."
        )


def _option(config: pytest.Config, name: str):
    """Command line first, then ini (typed by pytest); converted and checked, or a
    UsageError. Paths from the command line are relative to where pytest was started,
    paths from the ini file to the ini file's directory."""
    kind, _ = OPTIONS[name]
    what = {int: "an integer", float: "a number", str: "a string", Path: "a directory"}[kind]
    raw = config.getoption(f"freezecheck_{name}")
    if raw is not None:
        source = SessionOptions.flag(name)
        if raw == "":
            return None
        try:
            value = kind(raw)
        except ValueError:
            raise pytest.UsageError(
                f"freezecheck: {source} expected {what}. Received: {raw!r}") from None
        return config.invocation_params.dir / value.expanduser() if kind is Path else value
    source = f"ini freezecheck_{name}"
    try:
        value = config.getini(f"freezecheck_{name}")
    except (ValueError, TypeError) as exc:  # pytest's message quotes the value
        raise pytest.UsageError(f"freezecheck: {source} expected {what} ({exc})") from None
    if kind is Path and value is not None:
        if len(value) != 1:
            raise pytest.UsageError(
                f"freezecheck: {source} expected one directory. Received: "
                f"{[str(v) for v in value]!r}")
        value = value[0].expanduser()
    if value == "":
        return None
    return value
