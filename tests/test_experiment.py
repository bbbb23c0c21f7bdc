"""The built-in experiment: every variant's frozen weights, accuracy and curve, on real
MNIST (or Fashion-MNIST).

Each model is declared with the public API (freezecheck/builtin/experiment.py); these
are the tests every experiment generates (freezecheck/generated.py). One training run
per variant per session (the run store sees to that); the tests only judge the records.
With ``--freezecheck-seeds=N`` every variant at N seeds, judged statistically from five
on. The families' variants are tests/test_families.py's.
"""

from freezecheck.builtin.experiment import EXPERIMENTS

TestLenet = EXPERIMENTS["lenet"].tests(only="default")
TestLenet5 = EXPERIMENTS["lenet5"].tests(only="default")
