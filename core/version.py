"""Versions of the package and of the plugin API it offers."""

__version__ = "0.1.0"

#: Bumped when the hook signatures or the Model interface change in a way
#: that breaks plugins. Plugins declare the range they support with a module
#: attribute ``GENSYNTH_API = ">=1,<2"``.
PLUGIN_API_VERSION = 1
