"""The built-in experiment: LeNet and LeNet-5, trained from scratch on MNIST (and
Fashion-MNIST), with each weight layer frozen in turn. The only code that names them.

- :mod:`~freezecheck.builtin.models`: the two networks and their layer names;
- :mod:`~freezecheck.builtin.datasets`: the data sets' files, pinned hashes and reading;
- :mod:`~freezecheck.builtin.settings`: the tiers, recipes, gates and run costs;
- :mod:`~freezecheck.builtin.families`: the families of variants;
- ``expectations.json``: what each variant was measured to do, per environment and data
  set, made from the committed measurements by ``python -m freezecheck expectations``
  (read by :mod:`freezecheck.judge.expectations`);
- ``references/<environment>/<variant id>.json``: each environment's full-tier curves
  (:mod:`freezecheck.judge.references`).

Both data files are read with :mod:`importlib.resources`; nothing writes here unless
told to by path (``--out``, ``--freezecheck-references-dir``).
"""
