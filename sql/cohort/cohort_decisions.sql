-- cohort_decisions: one row per patient of the trial: the overall status, its reasons
-- and score (cohort_eligibility adds the patient's diseases).
-- Reads: cohort_criteria_tally, stg_patients, as_of().
-- ineligible: deceased on or before the as-of date (reason 'deceased'), or an inclusion
-- not_met, or an exclusion met. eligible: every computable inclusion met (manual ones
-- aside) and no exclusion met; unknown exclusions are listed "to verify at screening".
-- potential: nothing failed but some inclusion is unknown.
-- score = weight of criteria settled favourably / weight of all non-manual criteria.
-- Kept apart from the diseases so that what needs only the status (status counts, a
-- what-if) does not compute patient_diseases.
with final as (
    select
        p.patient_id,
        p.site_id,
        case
            when p.death_date <= as_of() then 'ineligible'
            when pp.n_failed > 0 then 'ineligible'
            when pp.n_inc_unknown = 0 then 'eligible'
            else 'potential'
        end as status,
        case
            when p.death_date <= as_of() then 'deceased'
            else pp.failed_ids
        end as reason,
        concat_ws(', ', pp.failed_ids, pp.unknown_ids) as unmet_or_unknown,
        pp.to_verify_ids,
        pp.n_inc_unknown + pp.n_exc_unknown + pp.n_manual as n_open,
        pp.n_inc_unknown,
        pp.n_exc_unknown,
        pp.n_manual,
        round(
            case
                when p.death_date <= as_of() then 0
                else coalesce(pp.weight_favourable / nullif(pp.weight_computable, 0), 0)
            end,
            4
        ) as score,
        pp.latest_evidence_date
    from stg_patients as p
    inner join cohort_criteria_tally as pp on p.patient_id = pp.patient_id
)

select * from final
