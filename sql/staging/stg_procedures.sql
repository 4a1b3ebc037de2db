-- stg_procedures: one row per distinct procedure fact (patient, system, code, date).
-- Reads: raw_procedures, stg_retired_loads.
-- Extract contract version 2 (optional kind): a drop without procedures files gives an
-- empty table, and every criterion reading it then decides as from diagnoses alone.
-- Codes are normalised for matching as diagnoses are (sql/shared/macros.sql: upper
-- case, spaces trimmed; 'CPT' and 'CPT-4' are CPT4); value sets are normalised the same
-- way. A fact delivered again in a later file counts once (natural key: patient_id,
-- code_system, code, procedure_date; the latest load and line win).
with kept as (
    select *
    from raw_procedures
    -- rows of a file retired by a later full refresh are left out
    where _load_id not in (select r.load_id from stg_retired_loads as r)
),

codes as (
    -- one row per (code_system, code) as reported, normalised
    select distinct
        code_system as reported_system,
        code as reported_code,
        norm_code_system(code_system) as code_system,
        norm_code(code_system, code) as code,
        trim(code) as code_as_reported
    from kept
),

final as (
    select
        k.patient_id,
        c.code_system,
        c.code,
        c.code_as_reported,
        k.procedure_date,
        k._load_id,
        k._line
    from kept as k
    inner join codes as c
        on k.code_system = c.reported_system and k.code = c.reported_code
    qualify row_number() over (
        partition by k.patient_id, c.code_system, c.code, k.procedure_date
        order by k._load_id desc, k._line desc
    ) = 1
)

select * from final
