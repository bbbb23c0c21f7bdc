"""The exception family of freezecheck.

Every error freezecheck raises derives from :class:`FreezecheckError` and from the
builtin it is a kind of, so callers may catch either.
"""


class FreezecheckError(Exception):
    """Base class of every error freezecheck raises."""


class ConfigError(FreezecheckError, ValueError):
    """An option, ini value or argument is outside what freezecheck accepts."""


class DataMissingError(FreezecheckError, FileNotFoundError):
    """A data file is not where it was looked for and could not be fetched."""


class DataFormatError(FreezecheckError, ValueError):
    """A data file is not a well-formed IDX file of the expected kind."""


class DataIntegrityError(FreezecheckError, OSError):
    """A data file parsed, but its content is not the pinned official content."""


class DeterminismError(FreezecheckError, RuntimeError):
    """The runtime cannot be put into the deterministic state a run needs."""


class StoreError(FreezecheckError, OSError):
    """The run store could not read or write an entry."""


class UnsupportedVersionError(FreezecheckError, RuntimeError):
    """The installed TensorFlow or Keras is outside the supported range."""


class StaleDeclarationWarning(UserWarning):
    """A variant did better than its declaration allows: the declared gap to its
    baseline is stale (regenerate the declarations); never a failure.

    ``stale`` holds its figures as JSON-ready builtins (the session report and the
    JUnit XML read them: freezecheck/judge/metric_effects.py stale_warning), or None."""

    def __init__(self, message: str, stale: dict | None = None):
        super().__init__(message)
        self.stale = stale
