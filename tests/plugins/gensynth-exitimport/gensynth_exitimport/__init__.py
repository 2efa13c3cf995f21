"""A plugin that ends the interpreter while being imported."""

import sys

sys.exit("gensynth-exitimport refuses to load")
