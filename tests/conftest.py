"""Fixtures shared by several test modules."""

from __future__ import annotations

import os

import pytest

from installed_plugins import installed_site

# One CPU thread for torch unless the run asks otherwise: the suite runs on shared 2-core machines (where a
# second thread slows small models down), and a fixed count keeps results bit-identical between runs that a
# test compares (gensynth's default thread count depends on the load; see gensynth._training.threads).
os.environ.setdefault("GENSYNTH_THREADS", "1")

#: Plugins that fight over names (a third-party `dcgan`, an entry point named `gan`) or attack
#: the importing process (a hang, os._exit), next to a well-behaved one.
CROWD = ["gensynth-goodplugin", "gensynth-dupname", "gensynth-impostor", "gensynth-hangimport", "gensynth-osexitimport"]


@pytest.fixture(scope="session")
def crowded_site(tmp_path_factory):
    """A site folder (for PYTHONPATH) holding the :data:`CROWD` plugins."""
    return installed_site(tmp_path_factory, *CROWD)
