-- extraction: one row, the rendered CDM's extraction date (ISO text): the day after the
-- drop's last date, so that every real end date falls before it.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
with dates as (
    select try_cast(birth_date as date) as d from c_patients
    union all
    select try_cast(death_date as date) from c_patients
    union all
    select try_cast(diagnosis_date as date) from c_diagnoses
    union all
    select try_cast(result_date as date) from c_labs
    union all
    select try_cast(start_date as date) from c_medications
    union all
    select try_cast(end_date as date) from c_medications
    union all
    select try_cast(procedure_date as date) from c_procedures
)

select cast(max(d) + 1 as varchar) as extracted_on from dates
