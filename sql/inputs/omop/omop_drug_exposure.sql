-- omop_drug_exposure: DRUG_EXPOSURE rows as contract medications rows (text, checked after).
-- Grain: one row per usable code of a DRUG_EXPOSURE row of `_incoming` (text columns and
-- `_line`): the source and the standard concept when both are RxNorm, ATC or CVX and
-- differ; one row with `_why` when neither is (RxNorm Extension is not RxNorm).
-- Reads: _incoming, omop_concept, omop_cdm_source; codes through omop_concept_codes (its
-- own file).
-- The CTE `dosed` is read by name by omop_concept_codes (hence noqa ST03).
-- drug_name: the standard concept's name (a clinical drug: 'prednisone 5 MG Oral Tablet';
-- staging resolves ingredient and strength from code and name as for any drop), else the
-- source concept's, else drug_source_value.
-- end_date, which the CDM requires and ETLs often fill by convention:
--   1. verbatim_end_date, the source's own end, when present: trusted;
--   2. else drug_exposure_end_date on or after the extraction date
--      (CDM_SOURCE.source_release_date, else cdm_release_date): an order still open at
--      extraction, filled with that date: end_date empty (open, as the contract says);
--   3. else drug_exposure_end_date, whether the ETL took it from the source, from
--      start + days_supply or from a fixed 30 days: the supply's end is the best estimate
--      there is (an open order instead would count the drug as taken up to the as-of date).
-- Dose: sig when it reads '[<dose> <unit>] [<frequency>]' ('20 mg QD', '2 tablet BID',
-- 'QD');
-- else quantity / days_supply per day (frequency QD) when both are positive and
-- dose_unit_source_value names the unit; else none. route: the name of route_concept_id
-- in lower case ('oral', 'intravenous'), else route_source_value.
with extraction as (
    select
        coalesce(
            omop_date(any_value(source_release_date)), omop_date(any_value(cdm_release_date))
        ) as extracted_on
    from omop_cdm_source
),

rows as (
    select
        r._line,
        nullif(trim(r.person_id), '') as patient_id,
        coalesce(
            nullif(trim(r.drug_exposure_start_date), ''), nullif(trim(r.drug_exposure_start_datetime), '')
        ) as start_text,
        omop_date(r.verbatim_end_date) as verbatim_end,
        omop_date(coalesce(nullif(trim(r.drug_exposure_end_date), ''), r.drug_exposure_end_datetime))
            as exposure_end,
        regexp_extract(
            trim(r.sig),
            '^(?:([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%/µ]+)(?:\s+|$))?([A-Za-z][A-Za-z0-9]*)?$',
            ['dose', 'unit', 'frequency']
        ) as sig_parts,
        try_cast(r.quantity as double) as quantity,
        try_cast(r.days_supply as double) as days_supply,
        nullif(trim(r.dose_unit_source_value), '') as dose_unit_source,
        coalesce(lower(route.concept_name), nullif(trim(r.route_source_value), '')) as route,
        r.drug_concept_id as concept_id,
        r.drug_source_concept_id as source_concept_id,
        r.drug_source_value as source_value
    from _incoming as r
    left join omop_concept as route on omop_id(r.route_concept_id) = route.concept_id
),

dosed as (  -- noqa: ST03
    select
        r.*,
        case
            when r.verbatim_end is not null then r.verbatim_end
            when r.exposure_end >= e.extracted_on then null
            else r.exposure_end
        end as end_date,
        coalesce(nullif(r.sig_parts.dose, ''), nullif(r.sig_parts.frequency, '')) is not null as sig_read,
        r.quantity > 0 and r.days_supply > 0 and r.dose_unit_source is not null as supply_read
    from rows as r
    cross join extraction as e
),

final as (
    -- distinct: a source concept that maps to several standards repeats its own code
    select distinct
        _line,
        patient_id,
        code_system,
        code,
        coalesce(std_name, src_name, nullif(trim(source_value), '')) as drug_name,
        start_text as start_date,
        cast(end_date as varchar) as end_date,
        case
            when sig_read then nullif(sig_parts.dose, '')
            when supply_read then cast(quantity / days_supply as varchar)
        end as dose_value,
        case when sig_read then nullif(sig_parts.unit, '') when supply_read then dose_unit_source end
            as dose_unit,
        case when sig_read then nullif(sig_parts.frequency, '') when supply_read then 'QD' end as frequency,
        route,
        _why
    from omop_concept_codes('dosed', ['RXNORM', 'ATC', 'CVX'], 'drug', 'RxNorm, ATC or CVX')
)

select * from final
