-- crit_exc_malignancy: one row per patient; exclusion exc_malignancy (met = excluded).
-- Reads: stg_patients, stg_diagnoses, valuesets (malignancy).
-- Each diagnosis dated on or before the as-of date (any age: the protocol gives no
-- window) takes the category of its longest matching value-set code, so C44.311 (basal
-- cell, an exception) is not read as plain 'C' (malignant). met: any 'malignant' record.
-- unknown (verify at screening): prostate cancer or DCIS, excepted only after radical
-- surgery, which is not in the extracts; skin cancer of unspecified type, or a squamous
-- cell carcinoma whose site may be skin; a neoplasm of uncertain or unstated behaviour
-- (SNOMED 'neoplasm of uncertain behavior of ...', myelodysplastic syndrome, 126906006
-- neoplasm of prostate); a suspected cancer. Exceptions (basal or squamous cell skin
-- cancer, keratoacanthoma, cervical carcinoma in situ) do not count; a metastatic basal
-- cell carcinoma is malignant. Codes match on code system and code: ICD-10-CM by prefix where
-- the value set says so, SNOMED CT codes exactly (a benign neoplasm is in no row).
-- Otherwise not_met (event-based: no record).
with matched as (
    select
        d.patient_id,
        d.diagnosis_date,
        d.code_system || ' ' || d.code_as_reported as code,
        v.category
    from stg_diagnoses as d
    inner join vs('malignancy') as v
        on
            d.code_system = v.code_system
            and (d.code = v.code or (v.match = 'prefix' and starts_with(d.code, v.code)))
    where d.diagnosis_date <= as_of()
    qualify row_number() over (
        partition by d.patient_id, d.code_system, d.code, d.diagnosis_date
        order by length(v.code) desc, v.category asc
    ) = 1
),

decided as (
    select
        patient_id,
        max(diagnosis_date) filter (where category = 'malignant') as malignant_date,
        arg_max(code, (diagnosis_date, code)) filter (where category = 'malignant') as malignant,
        max(diagnosis_date) filter (where category like 'verify%') as verify_date,
        string_agg(
            code || ' on ' || strftime(diagnosis_date, '%Y-%m-%d') || case category
                when 'verify_surgery' then ' (excepted only after radical surgery: verify)'
                when 'verify_skin_type' then ' (skin cancer type not coded: verify basal or squamous)'
                when 'verify_skin_site' then ' (squamous cell carcinoma, skin or not: verify the site)'
                when 'verify_uncertain'
                    then ' (neoplasm of uncertain or unstated behaviour: ' || 'verify whether malignant)'
                when 'verify_suspected' then ' (suspected, not diagnosed: verify)'
            end,
            '; ' order by diagnosis_date desc, code asc
        ) filter (where category like 'verify%') as verify,
        string_agg(
            code || ' on ' || strftime(diagnosis_date, '%Y-%m-%d'), ', '
            order by diagnosis_date desc, code asc
        ) filter (where category = 'exception') as excepted
    from matched
    group by patient_id
),

final as (
    select
        p.patient_id,
        'exc_malignancy' as criterion_id,
        case
            when d.malignant is not null then 'met'
            when d.verify is not null then 'unknown'
            else 'not_met'
        end as status,
        coalesce(
            'malignancy ' || d.malignant || ' on ' || strftime(d.malignant_date, '%Y-%m-%d'),
            d.verify,
            'no malignancy recorded on or before ' || as_of_text()
        )
        || coalesce('; not counted (protocol exception): ' || d.excepted, '') as evidence,
        coalesce(d.malignant_date, d.verify_date) as evidence_date
    from stg_patients as p
    left join decided as d on p.patient_id = d.patient_id
)

-- changes_on: a diagnosis enters on its date (look-back of any age)
select
    f.*,
    dc.changes_on
from final as f
left join date_changes(
    'diagnoses', 'malignancy',
    [0],
    cast([] as integer[])
) as dc on f.patient_id = dc.patient_id
