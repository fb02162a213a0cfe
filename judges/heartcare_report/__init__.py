"""The Heartcare-Bench 17-item report judge (see :mod:`.rubric`)."""

from harness.judges.heartcare_report.rubric import DEFAULT_WEIGHTING, WEIGHTINGS, HeartcareReportRubric, InvalidVerdict

__all__ = ["DEFAULT_WEIGHTING", "WEIGHTINGS", "HeartcareReportRubric", "InvalidVerdict"]
