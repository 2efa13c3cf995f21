"""Running training: the Trainer, Runtime (device, precision, processes), run directory, checkpoint state, RNG, logs."""
