"""The conformance kit: the checks every gensynth model must pass, in the spirit of
scikit-learn's ``check_estimator``. Plugin authors run it on their models; gensynth
runs it on every built-in model.

Without pytest (or ``gensynth check MODEL``)::

    from gensynth.testing import check_model
    report = check_model("myplugin:my-gan")
    print(report.summary())          # how many checks ran, passed, failed, were skipped
    assert report.ok, report.failures

With pytest, one test per (model, check)::

    import pytest
    from gensynth.testing import model_checks

    @pytest.mark.parametrize("check", model_checks("myplugin:my-gan"))
    def test_conformance(check):
        check.run()

Checks are selected by the model's declared ``ModelSpec.capabilities``, never by
its name; the model is built with its ``ModelSpec.test_config`` (small widths) and
trained on CPU on bundled data (``digits`` for images, ``ring8`` for points).
"""

from gensynth.testing.checks import CHECKS, Check, CheckFailed
from gensynth.testing.report import CheckReport, CheckResult
from gensynth.testing.runner import ModelCheck, check_model, model_checks

__all__ = ["CHECKS", "Check", "CheckFailed", "CheckReport", "CheckResult", "ModelCheck", "check_model", "model_checks"]
