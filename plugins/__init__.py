"""Built-in plugins. Each registers through the ``gensynth`` entry-point group like any third-party plugin."""
