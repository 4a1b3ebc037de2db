-- DRUG_EXPOSURE of the rendered CDM: one row per medications row.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
select
    m._n + 1 as drug_exposure_id,
    m.patient_id as person_id,
    case when c.standard then c.concept_id else 0 end as drug_concept_id,
    m.start_date as drug_exposure_start_date,
    cast(null as varchar) as drug_exposure_start_datetime,
    coalesce(m.end_date, (select e.extracted_on from extraction as e)) as drug_exposure_end_date,
    cast(null as varchar) as drug_exposure_end_datetime,
    m.end_date as verbatim_end_date,
    0 as drug_type_concept_id,
    cast(null as varchar) as stop_reason,
    0 as refills,
    cast(null as varchar) as quantity,
    cast(null as varchar) as days_supply,
    nullif(concat_ws(' ', m.dose_value, m.dose_unit, m.frequency), '') as sig,
    coalesce(r.concept_id, 0) as route_concept_id,
    cast(null as varchar) as lot_number,
    cast(null as varchar) as provider_id,
    cast(null as varchar) as visit_occurrence_id,
    cast(null as varchar) as visit_detail_id,
    m.code as drug_source_value,
    coalesce(c.concept_id, 0) as drug_source_concept_id,
    cast(null as varchar) as route_source_value,
    cast(null as varchar) as dose_unit_source_value
from c_medications as m
left join concepts as c
    on
        c.role = 'drug' and c.vocabulary_id is not distinct from m.code_system
        and m.code = c.concept_code and c.concept_name = coalesce(m.drug_name, m.code)
left join concepts as r on r.role = 'route' and m.route = r.concept_name
order by m._n
