-- CONCEPT of the rendered CDM: the drop's own vocabulary, one row per concept of table `concepts`.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
select
    concept_id,
    concept_name,
    domain_id,
    vocabulary_id,
    'Site concept' as concept_class_id,
    case when standard then 'S' end as standard_concept,
    concept_code,
    '1970-01-01' as valid_start_date,
    '2099-12-31' as valid_end_date,
    cast(null as varchar) as invalid_reason
from concepts
order by concept_id
