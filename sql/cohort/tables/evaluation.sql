-- evaluation (one per trial schema): at most one row, the fingerprint of what the
-- trial's last complete evaluation read (pipelines/criteria/evaluate.py: fingerprint).
-- Created empty when an evaluation starts; the row is inserted only once it is complete,
-- so a failed evaluation is never "current".
create or replace table evaluation (
    fingerprint varchar not null
)
