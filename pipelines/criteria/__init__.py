"""Criteria: trials as folders of SQL and configuration (`trials`), evaluated inside the
warehouse into `criteria_results` and the cohort views (`evaluate`), and which criteria a
parameter can change (`scope`)."""
