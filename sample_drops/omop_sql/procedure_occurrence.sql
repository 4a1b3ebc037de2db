-- PROCEDURE_OCCURRENCE of the rendered CDM: one row per procedures row.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
select
    p._n + 1 as procedure_occurrence_id,
    p.patient_id as person_id,
    case when c.standard then c.concept_id else 0 end as procedure_concept_id,
    p.procedure_date,
    cast(null as varchar) as procedure_datetime,
    cast(null as varchar) as procedure_end_date,
    cast(null as varchar) as procedure_end_datetime,
    0 as procedure_type_concept_id,
    0 as modifier_concept_id,
    cast(null as varchar) as quantity,
    cast(null as varchar) as provider_id,
    cast(null as varchar) as visit_occurrence_id,
    cast(null as varchar) as visit_detail_id,
    p.code as procedure_source_value,
    coalesce(c.concept_id, 0) as procedure_source_concept_id,
    cast(null as varchar) as modifier_source_value
from c_procedures as p
left join concepts as c
    on
        c.role = 'code' and c.vocabulary_id is not distinct from p.code_system
        and p.code = c.concept_code
order by p._n
