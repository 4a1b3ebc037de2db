-- cohort_decisions: one row per patient of the trial: the overall status, its reasons
-- and score (cohort_eligibility adds the patient's diseases).
-- Reads: criteria_results, criteria_manifest, stg_patients, as_of().
-- ineligible: deceased on or before the as-of date (reason 'deceased'), or an inclusion
-- not_met, or an exclusion met. eligible: every computable inclusion met (manual ones
-- aside) and no exclusion met; unknown exclusions are listed "to verify at screening".
-- potential: nothing failed but some inclusion is unknown.
-- score = weight of criteria settled favourably / weight of all non-manual criteria.
-- Kept apart from the diseases so that what needs only the status (status counts, a
-- what-if) does not compute patient_diseases.
with results as (
    select
        r.*,
        m.ordinal,
        m.weight,
        (r.kind = 'inclusion' and r.status = 'not_met')
        or (r.kind = 'exclusion' and r.status = 'met') as failed,
        (r.kind = 'inclusion' and r.status = 'met')
        or (r.kind = 'exclusion' and r.status = 'not_met') as favourable
    from criteria_results as r
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
),

per_patient as (
    select
        patient_id,
        count(*) filter (where failed) as n_failed,
        count(*) filter (where kind = 'inclusion' and status = 'unknown') as n_inc_unknown,
        count(*) filter (where kind = 'exclusion' and status = 'unknown') as n_exc_unknown,
        count(*) filter (where status = 'manual') as n_manual,
        -- weights summed exactly (decimal), so the score and ranking do not depend on row order
        coalesce(cast(sum(cast(weight as decimal(18, 6))) filter (where favourable) as double), 0)
            as weight_favourable,
        cast(sum(cast(weight as decimal(18, 6))) filter (where status != 'manual') as double)
            as weight_computable,
        max(evidence_date) as latest_evidence_date,
        string_agg(criterion_id, ', ' order by ordinal) filter (where failed) as failed_ids,
        string_agg(criterion_id, ', ' order by ordinal) filter (
            where status = 'unknown'
        ) as unknown_ids,
        string_agg(criterion_id, ', ' order by ordinal) filter (
            where kind = 'exclusion' and status = 'unknown'
        ) as to_verify_ids
    from results
    group by patient_id
),

final as (
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
    inner join per_patient as pp on p.patient_id = pp.patient_id
)

select * from final
