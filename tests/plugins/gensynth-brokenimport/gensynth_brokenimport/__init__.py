"""A plugin whose module fails to import."""

import gensynth_this_dependency_does_not_exist  # noqa: F401
