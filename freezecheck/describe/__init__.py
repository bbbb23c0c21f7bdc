"""The vocabulary of an experiment: its variants (which layers are frozen, from which
distribution, and their ids), its recipe, gates and curve tolerance. Pure Python:
imports nothing but the standard library, and :mod:`freezecheck.errors`."""
