"""Errors meant for users: one line saying what is wrong and what to do."""


class GensynthError(Exception):
    """A user-facing error. The CLI prints its message on one line and exits 1."""


class PluginError(GensynthError):
    """A plugin failed to load, register or run."""
