-- cohort_ranking: one row per eligible or potential patient, best first.
-- Reads: cohort_eligibility.
-- Order: eligible before potential; fewer open criteria (unknown inclusions, unknown
-- exclusions, manual items); the most recent deciding evidence; patient_id for a
-- stable order.
with candidates as (
    select * from cohort_eligibility
    where status in ('eligible', 'potential')
),

final as (
    select
        row_number() over (
            order by
                case status when 'eligible' then 0 else 1 end,
                n_open asc,
                latest_evidence_date desc nulls last,
                patient_id asc
        ) as rank,
        *
    from candidates
)

select * from final
