"""``python -m gensynth`` runs the CLI."""

from gensynth.cli.main import main

main()
