"""Data layer: ``--data SPEC`` parsing, in-memory and streaming datasets, batch order.

Sources (``digits``, ``mnist:PATH``, ``folder:PATH``, ...) are registered by
plugins through the ``register_datasets`` hook; this package holds the
machinery they share. Importing it does not import torch.
"""
