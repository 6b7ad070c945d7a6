"""Export run folders and tuning studies to experiment trackers (MLflow)."""

from __future__ import annotations

from fitbench.export._mlflow import Exported, export_mlflow
from fitbench.export._records import RunRecord, Skipped, StudyRecord, read_records

__all__ = ["Exported", "RunRecord", "Skipped", "StudyRecord", "export_mlflow", "read_records"]
