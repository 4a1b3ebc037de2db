-- changes: one row per patient whose candidacy changed since the trial's previous
-- successful run (the rows of changes.csv; see cohort_changes for what a change is).
-- Reads (in the trial's schema): cohort_changes.
select
    patient_id,
    site_id,
    change,
    previous_status,
    status,
    changed_criteria,
    previous_run_id
from cohort_changes
