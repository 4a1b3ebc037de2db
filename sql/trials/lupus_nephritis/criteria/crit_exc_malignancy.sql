-- crit_exc_malignancy: one row per patient; exclusion exc_malignancy (met = excluded).
-- Reads: stg_patients, stg_diagnoses, valuesets (malignancy), params.
-- Each diagnosis takes the category of its longest matching value-set code, so C44.311
-- (basal cell, an exception) is not read as plain 'C' (malignant). Only records dated
-- within the past lookback_years calendar years count: diagnosis_date >= as_of minus
-- lookback_years years (inclusive) and <= as_of; a malignancy recorded again within the
-- window counts even if first recorded earlier.
-- met: a 'malignant' record in the window. unknown (verify at screening): an exception
-- (basal or squamous cell skin cancer, cervical carcinoma in situ) in the window, which
-- is excepted only when adequately treated (not in the extracts), skin cancer of
-- unspecified type or a squamous cell carcinoma whose site may be skin, a neoplasm of
-- uncertain or unstated behaviour (SNOMED 'neoplasm of uncertain behavior of ...',
-- myelodysplastic syndrome, 126906006) or a suspected cancer. not_met: otherwise
-- (event-based; older records are named).
-- Codes match on code system and code; SNOMED CT codes exactly (no benign neoplasm row).
with limits as (
    select
        cast(as_of() - to_years(cast(param('exc_malignancy', 'lookback_years') as integer)) as date)
            as window_start,
        param('exc_malignancy', 'lookback_years') as lookback_years
),

-- lookback: diagnosis_date in [window_start, as_of]; older records only for evidence
matched as (
    select
        d.patient_id,
        d.diagnosis_date,
        d.code_system || ' ' || d.code_as_reported as code,
        v.category,
        d.diagnosis_date >= l.window_start as in_window
    from stg_diagnoses as d
    cross join limits as l
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
        max(diagnosis_date) filter (where in_window and category = 'malignant') as malignant_date,
        arg_max(code, (diagnosis_date, code)) filter (
            where in_window and category = 'malignant'
        ) as malignant,
        max(diagnosis_date) filter (where in_window and category != 'malignant') as verify_date,
        string_agg(
            code || ' on ' || strftime(diagnosis_date, '%Y-%m-%d') || case category
                when 'exception' then ' (protocol exception only if adequately treated: verify)'
                when 'verify_skin_type' then ' (skin cancer type not coded: verify basal or squamous)'
                when 'verify_skin_site' then ' (squamous cell carcinoma, skin or not: verify the site)'
                when 'verify_uncertain'
                    then ' (neoplasm of uncertain or unstated behaviour: ' || 'verify whether malignant)'
                when 'verify_suspected' then ' (suspected, not diagnosed: verify)'
            end,
            '; ' order by diagnosis_date desc, code asc
        ) filter (where in_window and category != 'malignant') as verify,
        string_agg(
            code || ' on ' || strftime(diagnosis_date, '%Y-%m-%d'), ', '
            order by diagnosis_date desc, code asc
        ) filter (where not in_window) as older
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
            'no malignancy recorded since ' || as_of_text_months_before(12 * l.lookback_years)
        )
        || coalesce(
            '; older than ' || fmt_num(l.lookback_years) || ' years, not counted: ' || d.older, ''
        ) as evidence,
        coalesce(d.malignant_date, d.verify_date) as evidence_date
    from stg_patients as p
    cross join limits as l
    left join decided as d on p.patient_id = d.patient_id
)

-- changes_on: a diagnosis enters on its date and leaves the look-back on
-- date + lookback_years years
select
    f.*,
    dc.changes_on
from final as f
left join date_changes(
    'diagnoses', 'malignancy',
    [0],
    [(select 12 * cast(param('exc_malignancy', 'lookback_years') as integer))]
) as dc on f.patient_id = dc.patient_id
