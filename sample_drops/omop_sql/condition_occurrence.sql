-- CONDITION_OCCURRENCE of the rendered CDM: one row per diagnoses row.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
select
    d._n + 1 as condition_occurrence_id,
    d.patient_id as person_id,
    case when c.standard then c.concept_id else 0 end as condition_concept_id,
    d.diagnosis_date as condition_start_date,
    cast(null as varchar) as condition_start_datetime,
    cast(null as varchar) as condition_end_date,
    cast(null as varchar) as condition_end_datetime,
    coalesce(t.concept_id, 0) as condition_type_concept_id,
    0 as condition_status_concept_id,
    cast(null as varchar) as stop_reason,
    cast(null as varchar) as provider_id,
    cast(null as varchar) as visit_occurrence_id,
    cast(null as varchar) as visit_detail_id,
    d.code as condition_source_value,
    coalesce(c.concept_id, 0) as condition_source_concept_id,
    cast(null as varchar) as condition_status_source_value
from c_diagnoses as d
left join concepts as c
    on
        c.role = 'code' and c.vocabulary_id is not distinct from d.code_system
        and d.code = c.concept_code
left join concepts as t on t.role = 'type' and d.source = t.concept_name
order by d._n
