"""The model behind the plugin's targets; the tests replace this file to break it in various ways."""

from gensynth_goodplugin.model import TinyPointGAN as EditableGAN  # noqa: F401
