-- cohort_eligibility: one row per patient of the trial, with the overall status.
-- Reads: cohort_decisions, patient_diseases.
-- The status, reasons and score of cohort_decisions (see there for the rules), with the
-- patient's trial diseases ('' when none) after site_id.
with diseases as (
    select
        patient_id,
        string_agg(disease, ';' order by disease) as diseases
    from patient_diseases
    group by patient_id
),

final as (
    select
        c.patient_id,
        c.site_id,
        coalesce(d.diseases, '') as diseases,
        c.status,
        c.reason,
        c.unmet_or_unknown,
        c.to_verify_ids,
        c.n_open,
        c.n_inc_unknown,
        c.n_exc_unknown,
        c.n_manual,
        c.score,
        c.latest_evidence_date
    from cohort_decisions as c
    left join diseases as d on c.patient_id = d.patient_id
)

select * from final
