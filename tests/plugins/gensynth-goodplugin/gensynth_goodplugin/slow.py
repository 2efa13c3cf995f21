"""A model module that takes long to import: listing must not pay for it."""

import time

time.sleep(3)

from gensynth_goodplugin.model import TinyPointGAN  # noqa: E402,F401
