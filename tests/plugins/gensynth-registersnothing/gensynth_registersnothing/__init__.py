"""A plugin that loads fine but implements no registration hook."""

GENSYNTH_API = ">=1,<2"
