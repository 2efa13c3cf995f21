"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest

from installed_plugins import installed_site

#: Plugins that fight over names (a third-party `dcgan`, an entry point named `gan`) or attack
#: the importing process (a hang, os._exit), next to a well-behaved one.
CROWD = ["gensynth-goodplugin", "gensynth-dupname", "gensynth-impostor", "gensynth-hangimport", "gensynth-osexitimport"]


@pytest.fixture(scope="session")
def crowded_site(tmp_path_factory):
    """A site folder (for PYTHONPATH) holding the :data:`CROWD` plugins."""
    return installed_site(tmp_path_factory, *CROWD)
