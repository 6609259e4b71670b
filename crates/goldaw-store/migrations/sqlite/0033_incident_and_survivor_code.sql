-- The survivor's path, the last item of issue #18 (docs/survivors.md): the date of the incident a
-- hotline call or a sensitive case is about (optional; checked by goldaw_core::gbv_statistics::
-- check_incident_date when written), from which the GBV statistics count the time from incident to
-- report; and the survivor code, the only identifier of a sensitive case in those statistics
-- (random, non-identifying, never regenerated: goldaw_core::survivor_code). Existing sensitive
-- cases get their code at first read (Store::ensure_survivor_code), not here: the code is random
-- with a check character, made in Rust.
ALTER TABLE hotline_calls ADD COLUMN incident_on TEXT;
ALTER TABLE cases ADD COLUMN incident_on TEXT;
ALTER TABLE cases ADD COLUMN survivor_code TEXT;
CREATE UNIQUE INDEX cases_survivor_code ON cases(survivor_code) WHERE survivor_code IS NOT NULL;
