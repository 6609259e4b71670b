-- Issue #20, item 4: retention of closed cases (goldaw_core::retention, docs/operations.md).
-- The years after closure a case is kept, per kind of case (general, child, sensitive): set by
-- the ministry; goldaw's defaults are its own (the seeds give none).
CREATE TABLE retention_years (
    kind       TEXT PRIMARY KEY CHECK (kind IN ('general', 'child', 'sensitive')),
    years      INTEGER NOT NULL CHECK (years BETWEEN 1 AND 100),
    updated_by TEXT,
    updated_at TEXT,
    version    INTEGER NOT NULL DEFAULT 1
);
INSERT INTO retention_years (kind, years) VALUES ('general', 5), ('child', 10), ('sensitive', 10);

-- Legal holds: set and lifted by a supervisor with a reason; a case with a hold in force (not
-- lifted) is never anonymised. Lifted holds stay, for the record.
CREATE TABLE legal_holds (
    id          BLOB PRIMARY KEY,
    case_id     BLOB NOT NULL REFERENCES cases(id),
    reason      TEXT NOT NULL,
    set_by      TEXT NOT NULL,
    set_at      TEXT NOT NULL,
    lifted_by   TEXT,
    lifted_at   TEXT,
    lift_reason TEXT,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX legal_holds_in_force ON legal_holds(case_id) WHERE lifted_at IS NULL;
CREATE INDEX legal_holds_case ON legal_holds(case_id, set_at);

-- When retention anonymised the case's text, and the person's name and birth date.
ALTER TABLE cases ADD COLUMN anonymised_at TEXT;
ALTER TABLE persons ADD COLUMN anonymised_at TEXT;
-- Closed cases by the day they closed: the run's range.
CREATE INDEX cases_closed_retention ON cases(closed_on);
