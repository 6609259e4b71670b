-- Issue #24: what each case owes, kept with the case (goldaw_core::due_dates). One row per step
-- due and per decision waiting, rewritten inside every write that moves the case and when a
-- deadline rule or a holiday changes, so that a task list is one indexed range.
--
-- due_at is seconds since 1970 (UTC), 0 for a decision (decisions come first); shown_until the
-- same, for a closed case's follow-ups; worker_key the worker's id as text, '' for none; unit the
-- admin unit whose scope sees the task (a transfer's acceptance: the unit it goes to).
CREATE TABLE case_due_dates (
    case_id     BLOB NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL,
    step        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    home_unit   TEXT NOT NULL,
    worker_key  TEXT NOT NULL,
    due_at      INTEGER NOT NULL,
    shown_until INTEGER,
    PRIMARY KEY (case_id, kind, step)
);
-- A worker's list by date; a supervisor's grouped by worker, then by date (keyset order).
CREATE INDEX case_due_dates_worker ON case_due_dates(worker_key, due_at, case_id, kind, step, unit, home_unit, shown_until);
-- What is due or overdue in a scope: one range on the unit, then the date.
CREATE INDEX case_due_dates_unit ON case_due_dates(unit, due_at);

-- Which rules and calendar (goldaw_core::due_dates::fingerprint) each case's rows were computed
-- with: a case with no row here, or another fingerprint, is computed again (at start, after an
-- import, after a rule or a holiday changes).
CREATE TABLE case_due_state (
    case_id     BLOB PRIMARY KEY REFERENCES cases(id),
    fingerprint TEXT NOT NULL
);
CREATE INDEX case_due_state_fingerprint ON case_due_state(fingerprint);

-- The case list: newest first in the reader's scope, and a keyset on (opened_on, external_id).
CREATE INDEX cases_opened_number ON cases(opened_on, external_id);
CREATE INDEX cases_unit_opened ON cases(admin_unit, opened_on, external_id);

-- A case changed by any statement (a write goldaw does not know moves the case, SQL run by hand,
-- a script) is marked for computing again: the writes that move a case compute it in the same
-- transaction (and mark it again), the rest is computed when the store next opens.
CREATE TRIGGER cases_due_stale AFTER UPDATE ON cases
BEGIN
    DELETE FROM case_due_state WHERE case_id = NEW.id;
END;
