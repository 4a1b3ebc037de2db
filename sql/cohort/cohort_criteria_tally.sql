-- cohort_criteria_tally: one row per patient of the trial: what the patient's criteria
-- results add up to, from which cohort_decisions decides.
-- Reads: criteria_results, criteria_manifest.
-- Counts of failed criteria (inclusion not_met, exclusion met), unknown inclusions and
-- exclusions and manual items; the weight of criteria settled favourably (inclusion met,
-- exclusion not_met) and of all non-manual ones; the latest evidence date; the ids failed,
-- unknown and exclusions unknown (to verify), each in manifest order.
-- Apart from cohort_decisions so that an export computes it once for every view that
-- reads the decisions (pipelines/exports.py, shared_views).
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

final as (
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
)

select * from final
