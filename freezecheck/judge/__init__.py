"""Judging runs: weight fingerprints, curves against a baseline and stored references,
the statistics over seeds, and the declared expectations. Needs numpy and scipy, never
TensorFlow."""
