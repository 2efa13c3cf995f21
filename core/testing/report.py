"""Results of the conformance kit: one :class:`CheckResult` per check, gathered in a :class:`CheckReport`."""

from __future__ import annotations

import dataclasses
from typing import Any

#: ``passed``; ``failed``; ``skipped`` (not applicable to the model); ``xfail`` (a declared
#: known failure that failed); ``xpass`` (a declared known failure that passed).
STATUSES = ("passed", "failed", "skipped", "xfail", "xpass")


@dataclasses.dataclass
class CheckResult:
    """The outcome of one check on one model."""

    model: str
    check: str
    status: str
    message: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class CheckReport:
    """Every check's outcome on one model."""

    model: str
    results: list[CheckResult]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ran(self) -> int:
        return len(self.results) - self.count("skipped")

    @property
    def ok(self) -> bool:
        """No check failed (known failures that failed do not count)."""
        return self.count("failed") == 0

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "failed"]

    def summary(self) -> str:
        parts = [f"{self.count(s)} {label}" for s, label in
                 (("passed", "passed"), ("failed", "failed"), ("xfail", "expected failures"),
                  ("xpass", "known failures passed")) if self.count(s) or s == "passed"]
        return f"{self.model}: {self.ran} checks ran ({', '.join(parts)}), {self.count('skipped')} skipped"

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "ran": self.ran, "skipped": self.count("skipped"), "ok": self.ok,
                "summary": self.summary(), "results": [r.to_json() for r in self.results]}
