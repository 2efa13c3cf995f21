"""Evaluation: exact metric math, the context metrics draw their inputs from, protocols and caches.

* :mod:`gensynth.evaluation.frechet` -- Gaussian statistics and the Fréchet distance (FID);
* :mod:`gensynth.evaluation.kid` -- unbiased polynomial-kernel MMD² over random subsets (KID);
* :mod:`gensynth.evaluation.inception_score` -- the Inception Score from class logits;
* :mod:`gensynth.evaluation.precision_recall` -- improved precision and recall (k-NN manifolds);
* :mod:`gensynth.evaluation.mode_coverage` -- modes captured on 2-D Gaussian mixtures (VEEGAN/PacGAN);
* :mod:`gensynth.evaluation.cache` -- the user cache folder, content hashes, cached tensors;
* :mod:`gensynth.evaluation.protocol` -- what makes two results comparable;
* :mod:`gensynth.evaluation.context` -- reference data, extractor and generated samples, on first use;
* :mod:`gensynth.evaluation.session` -- running metrics into results and report files;
* :mod:`gensynth.evaluation.training` -- the Trainer's every-N-steps evaluation.

The interface plugins implement is :mod:`gensynth.evaluator`. Importing this
package does not import torch; its submodules do.
"""
