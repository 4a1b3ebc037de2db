-- criteria: one row per patient x criterion of the trial (the rows of criteria.parquet;
-- criteria.csv keeps the candidates' rows of it), by patient, then in manifest order.
-- Reads (in the trial's schema): criteria_results, criteria_manifest.
-- status_source says where the status came from: `data`, or a coordinator's `decision`.
select
    r.patient_id,
    r.criterion_id,
    r.kind,
    r.status,
    r.evidence,
    r.evidence_date,
    r.status_source
from criteria_results as r
inner join criteria_manifest as m on r.criterion_id = m.criterion_id
order by r.patient_id, m.ordinal
