"""Running the checks: :func:`check_model` without pytest, :func:`model_checks` for pytest."""

from __future__ import annotations

import dataclasses
import json
import time
import traceback
from typing import Any, Callable, Iterable, Mapping

from gensynth._data.domains import DataSpecs
from gensynth._errors import GensynthError
from gensynth._discovery.registry import Registry, get_registry
from gensynth._metadata.specs import ModelSpec
from gensynth.testing.checks import CHECKS, Check, CheckFailed
from gensynth.testing.report import CheckReport, CheckResult
from gensynth.testing.subject import Subject

_SUBJECTS: dict[tuple[int, str, str, str], Subject] = {}


def subject_for(model: str, config: Mapping[str, Any] | None, data: DataSpecs | None) -> Subject:
    """The shared :class:`Subject` of a model, config and data in this process (built once)."""
    registry = get_registry()
    key = (id(registry), registry.resolve("models", model).id, json.dumps(config or {}, sort_keys=True),
           json.dumps(data, sort_keys=True))
    if key not in _SUBJECTS:
        _SUBJECTS[key] = Subject(model, config, data)
    return _SUBJECTS[key]


def select_checks(names: Iterable[str] | None = None) -> list[Check]:
    """The checks named (all when None); a GensynthError for an unknown name."""
    if names is None:
        return list(CHECKS)
    by_name = {c.name: c for c in CHECKS}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise GensynthError(f"unknown check {unknown[0]!r}; the checks are {', '.join(by_name)}")
    return [by_name[n] for n in names]


def run_check(check: Check, subject: Subject) -> tuple[bool, str]:
    """``(passed, message)``: a failed check's message says what is wrong."""
    try:
        check.run(subject)
    except (CheckFailed, GensynthError) as exc:
        return False, str(exc)
    except Exception as exc:  # the model raised: that is the failure
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return False, f"{type(exc).__name__}: {exc} (at {frame.filename}:{frame.lineno})"
    return True, ""


def check_model(
    model: str,
    *,
    config: Mapping[str, Any] | None = None,
    data: DataSpecs | None = None,
    checks: Iterable[str] | None = None,
    known_failures: Mapping[str, str] | None = None,
    strict: bool = False,
    on_result: Callable[[CheckResult], None] | None = None,
) -> CheckReport:
    """Run every applicable check on ``model`` and return the results.

    ``config`` overrides the model's ``test_config``; ``data`` is a data spec (or
    ``{domain: spec}``), by default ``digits`` for images and ``ring8`` for points.
    ``known_failures`` maps check names to the reason they are expected to fail: they
    are reported as ``xfail`` (or ``xpass`` when they pass, which ``strict`` turns into
    a failure). ``on_result`` is called with each result as soon as it is known.
    """
    selected = select_checks(checks)
    known = dict(known_failures or {})
    select_checks(known)  # names must exist
    subject = subject_for(model, config, data)
    results = []
    for check in selected:
        began = time.perf_counter()
        reason = check.not_applicable(subject.spec)
        if reason:
            result = CheckResult(subject.id, check.name, "skipped", reason)
        else:
            passed, message = run_check(check, subject)
            result = CheckResult(subject.id, check.name, *_judge(passed, message, known.get(check.name), strict))
        result.seconds = round(time.perf_counter() - began, 3)
        results.append(result)
        if on_result:
            on_result(result)
    return CheckReport(subject.id, results)


def _judge(passed: bool, message: str, known: str | None, strict: bool) -> tuple[str, str]:
    if known is None:
        return ("passed", "") if passed else ("failed", message)
    if not passed:
        return "xfail", f"known failure ({known}): {message}"
    if strict:
        return "failed", f"passed, but is declared a known failure ({known}); remove the declaration"
    return "xpass", f"passed, but is declared a known failure ({known})"


@dataclasses.dataclass(frozen=True)
class ModelCheck:
    """One (model, check) pair for a pytest test; :meth:`run` fails the test when the model does not conform."""

    model: str
    check: str
    config: Mapping[str, Any] | None = None
    data: DataSpecs | None = None

    def run(self) -> None:
        import pytest

        subject = subject_for(self.model, self.config, self.data)
        passed, message = run_check(select_checks([self.check])[0], subject)
        if not passed:
            pytest.fail(f"{subject.id} {self.check}: {message}", pytrace=False)


def model_checks(
    *models: str,
    config: Mapping[str, Any] | None = None,
    data: DataSpecs | None = None,
    checks: Iterable[str] | None = None,
    known_failures: Mapping[str, str] | None = None,
    strict: bool = False,
) -> list[Any]:
    """``pytest.param`` objects, one per (model, check), for ``@pytest.mark.parametrize``.

    ``models`` are ids, short names or wildcards (``"myplugin:*"``). Checks that do
    not apply to a model are marked skipped with the reason; ``known_failures``
    (check name -> reason) are marked ``xfail`` (strict with ``strict=True``)::

        @pytest.mark.parametrize("check", model_checks("myplugin:my-gan"))
        def test_conformance(check):
            check.run()
    """
    import pytest

    registry = get_registry()
    selected = select_checks(checks)
    known = dict(known_failures or {})
    select_checks(known)
    params = []
    for spec in _resolve_models(models, registry):
        for check in selected:
            marks = []
            reason = check.not_applicable(spec)
            if reason:
                marks.append(pytest.mark.skip(reason=reason))
            elif check.name in known:
                marks.append(pytest.mark.xfail(reason=known[check.name], strict=strict))
            params.append(pytest.param(ModelCheck(spec.id, check.name, config, data), marks=marks,
                                       id=f"{spec.id}-{check.name}"))
    return params


def _resolve_models(patterns: Iterable[str], registry: Registry) -> list[ModelSpec]:
    specs = []
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            found = registry.list_models(pattern)
            if not found:
                raise GensynthError(f"no installed model matches {pattern!r} (see `gensynth list-models`)")
            specs += found
        else:
            specs.append(registry.resolve("models", pattern))
    return specs
