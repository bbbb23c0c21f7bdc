"""The ``freezecheck`` command: compare, measure, declare, identical and the
statistical audits, and the commands installed packages add (plugins.py)."""
