"""Versions of the package and of the plugin API it offers."""

__version__ = "0.1.0"

#: The version of the public surface (everything importable from ``gensynth``, the hooks
#: and their arguments, the Model interface; docs/plugin-api.md). The minor number grows
#: when names or hook arguments are added (old plugins keep working); the major number
#: when something is removed or changes meaning. Plugins declare the range they support
#: with a module attribute ``GENSYNTH_API = ">=1.0,<2"``.
PLUGIN_API_VERSION = "1.0"
