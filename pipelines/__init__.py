"""cohortscan: find candidate patients for clinical trials in de-identified extracts."""

__version__ = "0.1.0"
