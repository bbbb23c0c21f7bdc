"""freezecheck: reproducibility tests for networks trained with layers frozen at their
random initial weights; the built-in experiment is LeNet on MNIST.

The public API, for your own experiment (docs/own-experiment.md)::

    from freezecheck import Experiment, Freeze, Gates, Metric, Recipe, arrays

Importing this package is cheap: the names below load on first use, and TensorFlow is
imported only by the functions that train.
"""

__version__ = "0.1.0"

# name -> module that defines it; loaded on first access (PEP 562), so that the pytest
# plugin, which imports this package in every session, imports nothing else.
_PUBLIC = {
    "Declared": "freezecheck.experiment",
    "Experiment": "freezecheck.experiment",
    "Freeze": "freezecheck.describe.freezes",
    "Tier": "freezecheck.experiment",
    "arrays": "freezecheck.train.arrays",
    "each_layer_alone": "freezecheck.describe.freezes",
    "blocks": "freezecheck.describe.freezes",
    "with_inits": "freezecheck.describe.freezes",
    "Recipe": "freezecheck.describe.recipe",
    "Gates": "freezecheck.describe.recipe",
    "Metric": "freezecheck.describe.recipe",
    "Expectation": "freezecheck.judge.expectations",
    "Dataset": "freezecheck.train.data",
    "verify_file": "freezecheck.train.data",
    "FreezecheckError": "freezecheck.errors",
    "ConfigError": "freezecheck.errors",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'freezecheck' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
