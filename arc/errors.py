"""User-facing errors.

Anything a user can cause (bad file, bad setting, missing checkpoint) raises
``ArcError`` with a message that names the file or key and what was expected.
The CLI prints it without a traceback and exits with status 2.
"""


class ArcError(Exception):
    """An error caused by input the user controls; the message is the whole story."""


class ConfigError(ArcError):
    """A setting in params.yaml (or on the command line) is missing or out of range."""


class DataError(ArcError):
    """A dataset file or split list is missing, corrupt or in the wrong unit."""


class CheckpointError(ArcError):
    """A checkpoint is missing or does not fit the model it is loaded into."""
