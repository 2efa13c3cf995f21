"""Names inside a run directory (torch-free, so commands that only read runs stay fast).

See :mod:`gensynth._training.rundir` for the layout.
"""

from __future__ import annotations

import re

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
STATE_TENSORS = "state.safetensors"
STATE_JSON = "state.json"
STATUS = "status.json"
STEP_DIR = re.compile(r"^step-(\d+)$")
