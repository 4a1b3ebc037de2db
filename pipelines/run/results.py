"""What one stage of a scan hands the next: typed results instead of loose dicts.

The flow passes these between tasks; run.json, the run summary and the flow's own return
value turn them into plain JSON at the edges (`as_dict`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Checked:
    """The data-quality gate's input: every check of the raw and staged tables, the
    staged tables' row counts and the stage timings; `reused_from` names the run whose
    validated staging a re-scan reused (then nothing was staged or validated again)."""

    checks: list[dict[str, Any]]
    staging_counts: dict[str, int]
    timings: dict[str, float]
    reused_from: str | None = None


@dataclass(frozen=True)
class TrialEvaluation:
    """One trial evaluated: patients per eligibility status and the attrition funnel."""

    statuses: dict[str, int]
    funnel: list[dict[str, Any]] = field(default_factory=list)
    # how the criteria were evaluated (pipelines.criteria.evaluate.last_plan)
    evaluation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
