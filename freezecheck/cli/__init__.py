"""The ``freezecheck`` command: compare, measure, expectations, findings and the
statistical audits."""
