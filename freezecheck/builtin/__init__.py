"""The built-in experiment's data: what it was measured to do, and its reference curves.

- ``expectations.json``: per environment and data set, every measured variant's final
  validation accuracy per seed and its curve verdicts. Made from the committed
  measurements by ``python -m freezecheck expectations``; read by
  :mod:`freezecheck.expectations`.
- ``references/<environment>/<variant id>.json``: each environment's full-tier curves
  (:mod:`freezecheck.references`).

Both are read with :mod:`importlib.resources`; nothing writes here unless told to by
path (``--out``, ``--freezecheck-references-dir``).
"""
