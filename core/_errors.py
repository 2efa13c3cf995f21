"""Errors meant for users: one line saying what is wrong and what to do."""


class GensynthError(Exception):
    """A user-facing error. The CLI prints its message on one line and exits with ``exit_code``."""

    exit_code = 1


class PluginError(GensynthError):
    """A plugin failed to load, register or run."""


class TrainingInterrupted(GensynthError):
    """Ctrl-C during training: a checkpoint was saved and the run can be resumed."""

    exit_code = 130


class NonFiniteLoss(GensynthError):
    """A loss became NaN or infinite; nothing was saved for the bad step."""
