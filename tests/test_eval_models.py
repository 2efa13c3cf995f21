"""Metrics that depend on what a model can do (ELBO/NLL, translation), feature extractors (a third party's,
the FID Inception's contract), and mismatched inputs."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gensynth import ExtractorSpec, GensynthError, ModelConfig, ModelSpec, hookimpl
from gensynth._metadata.request import DataRequest
from gensynth._evaluation.session import Evaluation
from gensynth._evaluation.interfaces import ExtractorSetup, FeatureExtractor, Features
from gensynth._models.model import Model
from gensynth._discovery.loader import PluginManager, PluginRecord
from gensynth.plugins.metrics import inception
from gensynth._discovery.registry import Registry, get_registry

CPU = torch.device("cpu")
SMALL_CLASSIFIER = {"steps": "200", "width": "8"}


@pytest.fixture(autouse=True, scope="module")
def one_thread_and_private_cache(tmp_path_factory):
    """A temporary cache; one torch thread (two spinning threads are many times slower on a shared 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENSYNTH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        mp.delenv(inception.ENV_VAR, raising=False)
        yield
    torch.set_num_threads(threads)


def spec_of(name: str, data: str = "image") -> ModelSpec:
    return ModelSpec(name=name, summary="test model", target="test_eval_models:unused", plugin="test", data=data)


class ImageModel(Model):
    """8x8 grey images; ``sample`` gives seeded noise images of ``sample_size`` pixels."""

    def __init__(self, sample_size: int = 8) -> None:
        super().__init__(ModelConfig())
        self.anchor = nn.Parameter(torch.zeros(1))
        self.sample_size = sample_size

    def data_request(self):
        return DataRequest(image_size=8, channels=1)

    def sample(self, n, seed=None, **kwargs):
        return torch.rand(n, 1, self.sample_size, self.sample_size, generator=self.seeded_generator(seed)) * 2 - 1


class GaussianLatentModel(ImageModel):
    """p(z) = N(0, 1), p(x|z) = N(x; 0, I), q(z|x) = N(0.5, 1): log p(x) is known, the ELBO is log p(x) - 1/8."""

    def log_px(self, x):
        flat = x.flatten(1)
        return -0.5 * (flat ** 2).sum(1) - 0.5 * flat.shape[1] * math.log(2 * math.pi)

    def elbo(self, x):
        return self.log_px(x) - 0.125  # minus KL(q || p)

    def log_likelihood(self, x, k):
        z = 0.5 + torch.randn(len(x), k)
        log_weights = -0.5 * z ** 2 + 0.5 * (z - 0.5) ** 2  # log p(z) - log q(z|x)
        return self.log_px(x) + torch.logsumexp(log_weights, dim=1) - math.log(k)


def evaluate(model, spec, metrics, reference="digits@:300", registry=None, **kwargs):
    evaluation = Evaluation(metrics, reference, model.data_request(), registry or get_registry(), device=CPU, **kwargs)
    return {r.metric.split(":")[1]: r for r in evaluation.run(model, spec)}


def test_elbo_and_nll_of_a_model_with_a_known_likelihood():
    model = GaussianLatentModel()
    results = evaluate(model, spec_of("gaussian"), ["elbo", "nll"], params={"nll": {"k": 200}})
    reference = Evaluation(["elbo"], "digits@:300", model.data_request(), get_registry(), device=CPU).reference.data
    true_nll = float(-model.log_px(reference.x).double().mean())
    assert results["elbo"].values["neg_elbo"] == pytest.approx(true_nll + 0.125, rel=1e-9)
    assert results["nll"].values["nll"] == pytest.approx(true_nll, abs=0.02)
    assert results["nll"].protocol["params"] == {"k": 200, "batch_size": 64, "seed": 0}
    assert results["nll"].protocol["reference"]["num_samples"] == 300 and "generated" not in results["nll"].protocol
    before = torch.get_rng_state()
    again = evaluate(model, spec_of("gaussian"), ["nll"], params={"nll": {"k": 200}})
    assert again["nll"].values == results["nll"].values  # seeded ...
    assert torch.equal(torch.get_rng_state(), before)  # ... and the global generator is left as it was


class IdentityTranslator(ImageModel):
    directions = ("a2b", "b2a")

    def translate(self, x, direction):
        assert direction in self.directions
        return x


def test_translation_accuracy_of_an_identity_translator():
    results = evaluate(IdentityTranslator(), spec_of("identity"), ["translation"], reference="digits@300:1000",
                       extractor_options=SMALL_CLASSIFIER, params={"translation": {"source": "digits@:300"}})
    result = results["translation"]
    accuracy, classifier = result.values["translation_accuracy"], result.protocol["extractor"]
    assert classifier["test_accuracy"] > 0.8 and classifier["train_samples"] + classifier["test_samples"] == 700
    assert accuracy == pytest.approx(classifier["test_accuracy"], abs=0.1)  # untranslated digits read as themselves
    assert result.protocol["direction"] == "a2b" and result.protocol["source"]["num_samples"] == 300


class DomainTranslator(IdentityTranslator):
    def data_request(self):
        return {"a": DataRequest(image_size=8, channels=1), "b": DataRequest(image_size=8, channels=1)}


def test_translation_between_named_domains_and_its_errors():
    results = evaluate(DomainTranslator(), spec_of("domains"), ["translation"], reference="digits@300:1000",
                       extractor_options=SMALL_CLASSIFIER,
                       params={"translation": {"source": "digits@:300", "direction": "b2a"}})
    assert results["translation"].protocol["direction"] == "b2a"
    with pytest.raises(GensynthError, match=r"translation\.source=SPEC"):
        evaluate(DomainTranslator(), spec_of("domains"), ["translation"])
    with pytest.raises(GensynthError, match="translates a2b, b2a"):
        evaluate(DomainTranslator(), spec_of("domains"), ["translation"],
                 params={"translation": {"source": "digits", "direction": "a2c"}})
    with pytest.raises(GensynthError, match="learns between the data domains a, b"):
        evaluate(DomainTranslator(), spec_of("domains"), ["fid"])


def test_metrics_refuse_models_without_the_capability():
    with pytest.raises(GensynthError, match=r"it needs a model with a log_likelihood\(\) method"):
        evaluate(ImageModel(), spec_of("plain"), ["nll"])
    with pytest.raises(GensynthError, match=r"needs a model with a translate\(\) method"):
        evaluate(ImageModel(), spec_of("plain"), ["translation"], params={"translation": {"source": "digits"}})


class PixelExtractor(FeatureExtractor):
    """A third party's extractor: the pixels themselves."""

    def describe(self):
        return {"weights_sha256": "none", "features": "raw pixels"}

    def extract(self, images):
        return Features(images.flatten(1))


def build_pixels(setup: ExtractorSetup) -> PixelExtractor:
    return PixelExtractor()


class ThirdParty:
    @hookimpl
    def register_extractors(self, register):
        register(ExtractorSpec(name="pixels", summary="raw pixels", target="test_eval_models:build_pixels"))


@pytest.fixture(scope="module")
def registry_with_third_party():
    manager = PluginManager()
    manager.load_entry_points()
    manager.add_plugin(ThirdParty(), PluginRecord("thirdparty", "gensynth-thirdparty", "1.0", "thirdparty", builtin=False))
    registry = Registry(manager)
    registry.collect()
    return registry


def test_a_third_party_extractor_serves_every_feature_metric(registry_with_third_party):
    results = evaluate(ImageModel(), spec_of("noise"), ["fid", "kid", "prc"], registry=registry_with_third_party,
                       extractor="pixels", num_samples=300, params={"kid": {"subset_size": 100, "subsets": 5}})
    assert results["fid"].values["fid"] > 0 and results["fid"].protocol["extractor"]["id"] == "thirdparty:pixels"
    with pytest.raises(GensynthError, match="needs class logits and extractor thirdparty:pixels gives none"):
        evaluate(ImageModel(), spec_of("noise"), ["is"], registry=registry_with_third_party, extractor="pixels")


def test_generated_images_of_another_size_than_the_reference_are_refused(registry_with_third_party):
    with pytest.raises(GensynthError, match="test:wrong generates 1x16x16 images but reference='digits@:300' gives 1x8x8"):
        evaluate(ImageModel(sample_size=16), spec_of("wrong"), ["fid"], registry=registry_with_third_party,
                 extractor="pixels", num_samples=50)


def setup_for(weights) -> ExtractorSetup:
    return ExtractorSetup(1, 28, CPU, weights, {}, "digits", get_registry())


def test_inception_without_weights_names_the_file_and_where_to_put_it(tmp_path):
    with pytest.raises(GensynthError) as error:
        inception.build(setup_for(None))
    message = str(error.value)
    assert inception.WEIGHTS_URL in message and inception.ENV_VAR in message and "--extractor-weights" in message
    assert f"weights/{inception.WEIGHTS_FILE}" in message and "\n" not in message
    (tmp_path / "bad.pth").write_bytes(b"not weights")
    with pytest.raises(GensynthError, match="cannot read Inception weights"):
        inception.build(setup_for(tmp_path / "bad.pth"))


def test_inception_shape_contract_with_random_weights(tmp_path):
    torch.save(inception.fid_inception_v3().state_dict(), tmp_path / "random.pth")
    extractor = inception.build(setup_for(tmp_path / "random.pth"))
    out = extractor.extract(torch.rand(1, 1, 28, 28) * 2 - 1)  # grey, small: repeated to RGB, resized to 299
    assert out.features.shape == (1, 2048) and out.logits.shape == (1, 1008)
    facts = extractor.describe()
    assert len(facts["weights_sha256"]) == 64 and facts["reference_weights"] is False
