"""Export run folders and tuning studies to experiment trackers (MLflow)."""

from __future__ import annotations

from fitbench.export._mlflow import Exported, export_mlflow
from fitbench.export._records import RunRecord, StudyRecord, read_record

__all__ = ["Exported", "RunRecord", "StudyRecord", "export_mlflow", "read_record"]
