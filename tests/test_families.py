"""Where the finding holds and where it breaks: the built-in experiment's families
(blocks, other initial distributions; freezecheck/builtin/families.py), over many seeds.

Declared on the built-in experiment (freezecheck/builtin/experiment.py), they run
through the tests every experiment generates (freezecheck/generated.py), only with
``--freezecheck-families`` and on the full tier; with ``--freezecheck-seeds=N`` at every
seed, judged statistically from five seeds on. The variants of the experiment itself
(the ``single`` family) are tests/test_experiment.py's.
"""

from freezecheck.builtin.experiment import EXPERIMENTS

TestLenet = EXPERIMENTS["lenet"].tests(only="families")
TestLenet5 = EXPERIMENTS["lenet5"].tests(only="families")
