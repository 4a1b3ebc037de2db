-- MEASUREMENT of the rendered CDM: one row per labs row.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
select
    l._n + 1 as measurement_id,
    l.patient_id as person_id,
    case when c.standard then c.concept_id else 0 end as measurement_concept_id,
    l.result_date as measurement_date,
    cast(null as varchar) as measurement_datetime,
    cast(null as varchar) as measurement_time,
    0 as measurement_type_concept_id,
    coalesce(op.concept_id, 0) as operator_concept_id,
    coalesce(l.value_num, regexp_extract(l.value_text, getvariable('comparator'), 2))
        as value_as_number,
    coalesce(v.concept_id, 0) as value_as_concept_id,
    coalesce(u.concept_id, 0) as unit_concept_id,
    l.ref_low as range_low,
    l.ref_high as range_high,
    cast(null as varchar) as provider_id,
    cast(null as varchar) as visit_occurrence_id,
    cast(null as varchar) as visit_detail_id,
    l.code as measurement_source_value,
    coalesce(c.concept_id, 0) as measurement_source_concept_id,
    l.unit as unit_source_value,
    cast(null as varchar) as unit_source_concept_id,
    case
        when l.value_num is null and v.concept_id is null and op.concept_id is null
            then l.value_text
    end as value_source_value,
    cast(null as varchar) as measurement_event_id,
    cast(null as varchar) as meas_event_field_concept_id
from c_labs as l
left join concepts as c
    on
        c.role = 'code' and c.vocabulary_id is not distinct from l.code_system
        and l.code = c.concept_code
left join concepts as u on u.role = 'unit' and l.unit = u.concept_code
left join concepts as v on v.role = 'value' and l.value_text = v.concept_name and l.value_num is null
left join concepts as op
    on
        op.role = 'operator' and l.value_num is null
        and op.concept_name = regexp_extract(l.value_text, getvariable('comparator'), 1)
order by l._n
