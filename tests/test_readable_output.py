"""Output a new user reads: list-models at 80 columns, metric tables that name their feature space, quiet installs."""

from __future__ import annotations

import io
import sys

import pytest
from click.testing import CliRunner
from rich.console import Console

from gensynth import GensynthError
from gensynth._discovery.installer import Installer
from gensynth._evaluation.describe import feature_space, published, published_sentence
from gensynth._evaluation.session import EvaluationReport, MetricResult
from gensynth.cli import evaluate as evaluate_cli
from gensynth.cli.main import cli

CLASSIFIER = {"extractor": {"id": "metrics:classifier", "train_spec": "digits", "test_accuracy": 0.978}}
INCEPTION = {"extractor": {"id": "metrics:inception", "reference_weights": True}}
OTHER_INCEPTION = {"extractor": {"id": "metrics:inception", "reference_weights": False}}


def test_list_models_fits_80_columns_in_at_most_two_lines_a_model(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(cli, ["list-models"])
    assert result.exit_code == 0, result.output
    lines = result.output.rstrip("\n").splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].split() == ["id", "family", "summary"]
    models = [line for line in lines[2:] if line[:1].strip()]
    assert len(models) >= 7 and len(lines) - 2 <= 2 * len(models)


def test_feature_spaces_and_published_comparability_in_words():
    assert feature_space(CLASSIFIER) == "classifier (trained on digits, accuracy 97.8%)"
    assert feature_space(INCEPTION) == "inception (pytorch-fid weights)" and feature_space({}) == "-"
    assert published(CLASSIFIER) == "no (classifier features)" and published(OTHER_INCEPTION).startswith("no")
    assert published(INCEPTION) == "if same n and data" and published({}) == "-"
    assert published_sentence(CLASSIFIER).startswith("Not comparable with published numbers")
    assert published_sentence(INCEPTION).startswith("Comparable with published numbers measured on the same number "
                                                    "of generated samples against the same reference data")
    measured = {**INCEPTION, "generated": {"num_samples": 10_000}, "reference": {"spec": "mnist:x", "num_samples": 10_000}}
    assert "measured on 10,000 generated samples against the same reference data (mnist:x" in published_sentence(measured)


def test_the_evaluate_table_names_feature_space_and_reference(monkeypatch):
    protocol = {**CLASSIFIER, "reference": {"spec": "digits", "num_samples": 1797}, "generated": {"num_samples": 500,
                                                                                              "seed": 0}}
    report = EvaluationReport({"dir": "runs/d"}, [MetricResult("metrics:kid", {"kid": 972.8, "kid_std": 110.0},
                                                               protocol, 1.0)])
    buffer = io.StringIO()
    monkeypatch.setattr(evaluate_cli, "console", lambda stderr=False: Console(file=buffer, width=100))
    evaluate_cli.print_reports([report])
    text = " ".join(buffer.getvalue().split())  # the title wraps to the table's width
    assert "feature space: classifier (trained on digits, accuracy 97.8%); reference: digits (1,797)" in text
    assert "Not comparable with published numbers" in text and "972.8" in text and "500" in text


def test_the_installer_is_quiet_unless_it_fails(capfd):
    noisy = Installer("pip", (sys.executable, "-c"), sys.executable)
    noisy.run([sys.executable, "-c", "print('Collecting x\\n' * 80)"])
    assert capfd.readouterr() == ("", "")
    with pytest.raises(GensynthError, match="pip failed with exit code 3"):
        noisy.run([sys.executable, "-c", "import sys; print('resolver says no'); sys.exit(3)"])
    assert "resolver says no" in capfd.readouterr().err
    noisy.run([sys.executable, "-c", "print('shown')"], verbose=True)
    assert "shown" in capfd.readouterr().out
