"""Screening: coordinators' decisions on a trial's patients, kept as append-only events."""
