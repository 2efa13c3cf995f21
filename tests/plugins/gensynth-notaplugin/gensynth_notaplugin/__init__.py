"""A package with no entry point in group ``gensynth``: installing it with gensynth is a mistake."""
