-- Screening events: what coordinators decided about a trial's patients, append-only.
-- One row per event: a patient's screening state (to_review ... withdrawn) or a
-- decision on one criterion (met / not_met). Rows are never updated or deleted (a
-- correction is a new event); nothing a scan does (a full refresh, a re-scan, a past
-- as-of date) touches them. pipelines/screening/events.py writes them; each trial's
-- screening_* views (sql/screening/) read them for the as-of date of an evaluation:
-- only events decided on or before it count.
-- Only ids, codes, dates and a short note are stored (the note is at most 200
-- characters, never logged). computed_status and criteria_snapshot are codes and
-- sha256 fingerprints of the patient's criteria as the data gave them at the time (no
-- evidence text): a decision on a computed criterion lapses when its fingerprint
-- changes, a closed state is re-opened for review when a computed status changes.

create sequence if not exists screening_event_seq start 1;

create table if not exists screening_events (
    event_id bigint primary key default nextval('screening_event_seq'),
    trial_id varchar not null,
    patient_id varchar not null,
    criterion_id varchar,
    state varchar,
    decision varchar,
    reason varchar,
    note varchar check (length(note) <= 200),
    decided_by varchar not null,
    decided_on date not null,
    valid_until date,
    recorded_at timestamp not null default current_timestamp,
    source varchar not null,
    source_file varchar,
    source_line bigint,
    row_key varchar,
    computed_status varchar,
    evidence_fingerprint varchar,
    criteria_snapshot struct(criterion_id varchar, status varchar, fingerprint varchar)[],
    check ((criterion_id is null) != (state is null)),
    check ((criterion_id is null) = (decision is null))
);

-- Fingerprint of what the data says about one criterion of one patient: its status,
-- its evidence date and its evidence sentence with what time alone changes taken out:
-- the as-of date ('no eGFR result within 90 days before <as-of>'), counts of days,
-- weeks, months or years ('mycophenolate 301 days (2026-01-05 to <as-of>)' grows by one
-- every night while the course runs) and an age in years ('age 45 on <as-of>'). A new or
-- corrected record changes it (a status, a date, a value, a drug); another night with
-- the same records does not.
create or replace macro evidence_fingerprint(status, evidence, evidence_date, as_of_date) as md5(
    status || '|' || coalesce(strftime(evidence_date, '%Y-%m-%d'), '') || '|'
    || regexp_replace(
        regexp_replace(
            replace(coalesce(evidence, ''), strftime(as_of_date, '%Y-%m-%d'), '<as-of>'),
            '\b[0-9]+ (days?|weeks?|months?|years?)\b', '# \1', 'g'
        ),
        '\bage [0-9]+( or [0-9]+)?\b', 'age #', 'g'
    )
);
