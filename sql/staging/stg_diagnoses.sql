-- stg_diagnoses: one row per distinct diagnosis fact (patient, system, code, date).
-- Reads: raw_diagnoses, stg_retired_loads.
-- Codes are normalised for matching: ICD codes lose dots, spaces and case ('m32.14 ' ->
-- 'M3214'); value sets are normalised the same way. A fact delivered again in a later
-- file counts once (natural key: patient_id, code_system, code, diagnosis_date; the
-- latest load and line win).
-- Cost: codes are normalised once per distinct spelling and joined back; duplicates are
-- looked for only among the rows whose hash of (patient, date) is seen twice.
with kept as not materialized (
    select
        *,
        rowid as row_id
    from raw_diagnoses
    -- rows of a file retired by a later full refresh are left out
    where _load_id not in (select r.load_id from stg_retired_loads as r)
),

reported_codes as (
    select distinct
        code_system,
        code
    from kept
),

codes as (
    -- one row per (code_system, code) as reported, normalised
    select
        code_system as reported_system,
        code as reported_code,
        norm_code_system(code_system) as code_system,
        norm_code(code_system, code) as code,
        trim(code) as code_as_reported
    from reported_codes
),

repeated as (
    -- hashes seen more than once: every duplicated key is among them
    select hash(patient_id, diagnosis_date) as key_hash
    from kept
    group by key_hash
    having count(*) > 1
),

superseded as (
    -- rows whose natural key a later load or line delivered again
    select k.row_id
    from kept as k
    inner join codes as c
        on k.code_system = c.reported_system and k.code = c.reported_code
    where hash(k.patient_id, k.diagnosis_date) in (select rp.key_hash from repeated as rp)
    qualify row_number() over (
        partition by k.patient_id, c.code_system, c.code, k.diagnosis_date
        order by k._load_id desc, k._line desc
    ) > 1
),

final as (
    select
        k.patient_id,
        c.code_system,
        c.code,
        c.code_as_reported,
        k.diagnosis_date,
        k.source,
        k._load_id,
        k._line
    from kept as k
    inner join codes as c
        on k.code_system = c.reported_system and k.code = c.reported_code
    where not exists (
        select 1
        from superseded as s
        where s.row_id = k.row_id
    )
)

select * from final
