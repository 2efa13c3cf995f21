"""Evaluation: the interfaces metrics and extractors implement, the context they draw inputs from, protocols, caches.

* :mod:`gensynth._evaluation.interfaces` -- :class:`Evaluator`, :class:`FeatureExtractor`, :class:`Features`, :class:`ExtractorSetup`;
* :mod:`gensynth._evaluation.context` -- reference data, extractor and generated samples, on first use;
* :mod:`gensynth._evaluation.statistics` -- Gaussian statistics of features (cached for reference data);
* :mod:`gensynth._evaluation.cache` -- the user cache folder, content hashes, cached tensors;
* :mod:`gensynth._evaluation.protocol` -- what makes two results comparable;
* :mod:`gensynth._evaluation.session` -- running metrics into results and report files;
* :mod:`gensynth._evaluation.training` -- the Trainer's every-N-steps evaluation.

The metric math itself (FID, KID, IS, precision/recall, mode coverage) belongs to
the built-in ``metrics`` plugin (``plugins/metrics/``). Importing this package does
not import torch; its submodules do.
"""
