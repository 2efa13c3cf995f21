"""gensynth's built-in metrics and feature extractors, registered exactly as a third-party plugin registers its own.

This module is imported while listing, so it stays torch-free: every metric and
extractor lives behind a lazy ``module:attr`` target in a submodule.
"""

from gensynth import EvaluatorSpec, ExtractorSpec, hookimpl

GENSYNTH_API = ">=1.0,<2"

_METRICS = (
    ("fid", "feature_metrics:FID", "Fréchet distance between Gaussian fits of real and generated features (exact, float64)",
     ("fid",)),
    ("kid", "feature_metrics:KID", "Kernel distance: unbiased cubic-kernel MMD² over 100 subsets of 1,000 (torch-fidelity's)",
     ("kid", "kid_std")),
    ("is", "feature_metrics:InceptionScore", "Inception Score of the extractor's class logits over 10 splits",
     ("is", "is_std")),
    ("prc", "feature_metrics:PrecisionRecall", "Improved precision and recall on k-NN feature manifolds (k=3)",
     ("precision", "recall")),
    ("mode_coverage", "mode_coverage:ModeCoverage",
     "Modes captured, % high quality and reverse KL on ring8/grid25 (VEEGAN/PacGAN protocol)",
     ("modes", "high_quality", "reverse_kl")),
    ("elbo", "likelihood:NegativeELBO", "Negative ELBO on held-out data, nats per example (models with elbo())",
     ("neg_elbo",)),
    ("nll", "likelihood:ImportanceNLL", "Importance-sampled negative log-likelihood, nats per example (log_likelihood())",
     ("nll",)),
    ("reconstruction", "reconstruction:Reconstruction",
     "Reconstruction MSE and PSNR on held-out images, pixels in [0, 1] (models with reconstruct())", ("mse", "psnr")),
    ("code_usage", "reconstruction:CodeUsage",
     "Codebook perplexity and codes used on held-out images (discrete autoencoders with codes())",
     ("perplexity", "codes_used")),
    ("translation", "translation:TranslationAccuracy",
     "Accuracy of a target-domain classifier on translated source images (models with translate())",
     ("translation_accuracy",)),
)


@hookimpl
def register_evaluators(register):
    for name, target, summary, values in _METRICS:
        register(EvaluatorSpec(name=name, summary=summary, target=f"gensynth.plugins.metrics.{target}", values=values))


@hookimpl
def register_extractors(register):
    register(ExtractorSpec(
        name="classifier", target="gensynth.plugins.metrics.classifier:build",
        summary="Small CNN trained on the labelled reference data (cached); penultimate features and class logits",
    ))
    register(ExtractorSpec(
        name="inception", target="gensynth.plugins.metrics.inception:build",
        summary="FID Inception-v3 of pytorch-fid/TF (2048 pool features, 1008 logits); weights from a local file",
    ))
