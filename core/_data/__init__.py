"""Data layer: ``--data SPEC`` parsing, in-memory and streaming datasets, batch order.

Sources (``digits``, ``mnist:PATH``, ``folder:PATH``, ...) are registered by
plugins through the ``register_datasets`` hook; this package holds the
machinery they share. Importing it does not import torch; the submodules do:

* :class:`gensynth.DataRequest` (in :mod:`gensynth._metadata.request`) -- what a model asks for (torch-free);
* :mod:`gensynth._data.spec` -- :func:`load_data`, from ``--data`` text to checked data;
* :mod:`gensynth._data.dataset` -- :class:`TensorData` (in memory), :class:`StreamingImages` (on demand);
* :mod:`gensynth._data.loader` -- :class:`BatchStream`, the deterministic, restartable batch order;
* :mod:`gensynth._data.images` -- conversion of images to the requested channels, size and range;
* :mod:`gensynth._data.files` -- checks on the folders that sources are given.
"""
