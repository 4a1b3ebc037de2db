-- screening_log: one row per site (and 'all') x measure x reason: a CONSORT-style
-- screening log of the trial's screening pool (screening_patient_state) on the as-of
-- date. Zero rows included: every site lists every measure and every reason.
-- Reads: screening_patient_state, screening_reasons, stg_patients (the sites).
-- Measures (patients; reason '' is the total, other rows split it by reason code):
--   identified = not_reviewed + no_longer_candidate + deceased[before_review] + reviewed
--   reviewed = screen_failed + eligible
--   eligible = not_contacted + deceased[after_review] + contacted
--   contacted = awaiting_consent + declined + deceased[after_contact] + consented
--   consented = awaiting_enrolment + deceased[after_consent] + withdrawn + enrolled
--   deferred: patients deferred now (already counted where they had got to).
-- identified is cumulative: the pool keeps every patient an earlier run listed as a
-- candidate; one never reviewed who is not a candidate tonight (the data changed, or
-- time passed) is no_longer_candidate, the rest of the never reviewed not_reviewed.
-- A patient counts by the state now and the furthest level reached; a screen failure
-- counts at review whatever step it came at. screen_failed, declined and withdrawn are
-- split by reason, deceased (an open state closed by death) by the step reached.
with patients as (
    select
        site_id,
        state,
        coalesce(state_reason, 'unspecified') as state_reason,
        furthest_level,
        case
            when state in ('screen_failed', 'declined', 'enrolled', 'withdrawn', 'deceased') then state
            when furthest_level = 0 and state = 'to_review' and not is_candidate
                then 'no_longer_candidate'
            when furthest_level = 0 then 'not_reviewed'
            when furthest_level = 1 then 'not_contacted'
            when furthest_level = 2 then 'awaiting_consent'
            else 'awaiting_enrolment'
        end as bucket,
        ['before_review', 'after_review', 'after_contact', 'after_consent', 'after_consent'][
            furthest_level + 1
        ] as deceased_step
    from screening_patient_state
),

memberships as (
    select
        site_id,
        'identified' as measure,
        '' as reason
    from patients
    union all
    select
        site_id,
        'reviewed' as measure,
        '' as reason
    from patients
    where furthest_level >= 1
    union all
    select
        site_id,
        'eligible' as measure,
        '' as reason
    from patients
    where furthest_level >= 1 and bucket != 'screen_failed'
    union all
    select
        site_id,
        'contacted' as measure,
        '' as reason
    from patients
    where furthest_level >= 2 and bucket != 'screen_failed'
    union all
    select
        site_id,
        'consented' as measure,
        '' as reason
    from patients
    where furthest_level >= 3 and bucket not in ('screen_failed', 'declined')
    union all
    select
        site_id,
        bucket as measure,
        '' as reason
    from patients
    union all
    select
        site_id,
        bucket as measure,
        state_reason as reason
    from patients
    where bucket in ('screen_failed', 'declined', 'withdrawn')
    union all
    select
        site_id,
        'deceased' as measure,
        deceased_step as reason
    from patients
    where bucket = 'deceased'
    union all
    select
        site_id,
        'deferred' as measure,
        '' as reason
    from patients
    where state = 'deferred'
),

keys as (
    select
        unnest([
            'identified', 'not_reviewed', 'no_longer_candidate', 'reviewed', 'screen_failed',
            'eligible', 'not_contacted', 'contacted', 'awaiting_consent', 'declined', 'consented',
            'awaiting_enrolment', 'enrolled', 'withdrawn', 'deceased', 'deferred'
        ]) as measure,
        '' as reason
    union all
    select
        case reason_list
            when 'screen_failure' then 'screen_failed'
            when 'decline' then 'declined'
            else 'withdrawn'
        end as measure,
        reason
    from screening_reasons
    where reason_list in ('screen_failure', 'decline', 'withdrawal')
    union all
    select
        'deceased' as measure,
        unnest(['before_review', 'after_review', 'after_contact', 'after_consent']) as reason
),

sites as (
    select 'all' as site_id
    union
    select distinct site_id from stg_patients
),

counted as (
    select
        site_id,
        measure,
        reason,
        count(*) as patients
    from memberships
    group by site_id, measure, reason
    union all
    select
        'all' as site_id,
        measure,
        reason,
        count(*) as patients
    from memberships
    group by measure, reason
),

final as (
    select
        s.site_id,
        k.measure,
        k.reason,
        coalesce(c.patients, 0) as patients
    from sites as s
    cross join keys as k
    left join counted as c on s.site_id = c.site_id and k.measure = c.measure and k.reason = c.reason
    order by
        s.site_id = 'all' desc,
        s.site_id,
        list_position(
            [
                'identified', 'not_reviewed', 'no_longer_candidate', 'reviewed', 'screen_failed',
                'eligible', 'not_contacted', 'contacted', 'awaiting_consent', 'declined',
                'consented', 'awaiting_enrolment', 'enrolled', 'withdrawn', 'deceased', 'deferred'
            ],
            k.measure
        ),
        k.reason asc
)

select * from final
