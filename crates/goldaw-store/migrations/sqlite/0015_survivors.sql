-- Issue #18, the survivor's path: the hotline's call log, consent records that govern sharing
-- (ISO/IEC TS 27560 shape), supervisors' overrides, disclosures outside the case's team, and
-- versioned safety plans. Codes are checked by goldaw_core::hotline and goldaw_core::consent.

-- A hotline (a number an NGO or the ministry runs) and its staff.
CREATE TABLE hotline_lines (
    id          BLOB PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE hotline_line_members (
    line_id     BLOB NOT NULL REFERENCES hotline_lines(id),
    user_id     BLOB NOT NULL REFERENCES users(id),
    line_role   TEXT NOT NULL CHECK (line_role IN ('operator', 'supervisor')),
    PRIMARY KEY (line_id, user_id)
);
CREATE INDEX hotline_line_members_user ON hotline_line_members(user_id);

-- Every call, also those that end with advice. The caller may stay anonymous: a code name, an age
-- band, sex and etrap if given. What was said is sealed.
CREATE TABLE hotline_calls (
    id                  BLOB PRIMARY KEY,
    line_id             BLOB NOT NULL REFERENCES hotline_lines(id),
    received_at         TEXT NOT NULL,
    duration_seconds    INTEGER NOT NULL,
    taken_by            TEXT NOT NULL,
    caller_code         TEXT NOT NULL,
    caller_age_band     TEXT NOT NULL,
    caller_sex          TEXT,
    caller_admin_unit   TEXT REFERENCES admin_units(code),
    about               TEXT NOT NULL,
    category            TEXT NOT NULL,
    immediate_danger    INTEGER NOT NULL,
    children_at_risk    INTEGER NOT NULL,
    weapons             INTEGER NOT NULL,
    previous_incidents  INTEGER NOT NULL,
    outcome             TEXT NOT NULL,
    emergency_consent   INTEGER NOT NULL,
    call_back_at        TEXT,
    follows_call_id     BLOB REFERENCES hotline_calls(id),
    summary_sealed      BLOB,
    case_id             BLOB REFERENCES cases(id),
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TEXT NOT NULL
);
CREATE INDEX hotline_calls_line ON hotline_calls(line_id, received_at);
CREATE INDEX hotline_calls_call_back ON hotline_calls(line_id, call_back_at);
CREATE INDEX hotline_calls_follows ON hotline_calls(follows_call_id);
CREATE INDEX hotline_calls_case ON hotline_calls(case_id);

-- A consent record: per person, per purpose (and recipient), who gave it, how, valid from and
-- until, recorded by whom, withdrawn.
CREATE TABLE consents (
    id              BLOB PRIMARY KEY,
    person_id       BLOB NOT NULL REFERENCES persons(id),
    case_id         BLOB REFERENCES cases(id),
    purpose         TEXT NOT NULL,
    provider_id     BLOB REFERENCES providers(id),
    provider_kind   TEXT,
    giver           TEXT NOT NULL,
    method          TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_until     TEXT,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    withdrawn_at    TEXT,
    withdrawn_by    TEXT,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX consents_person ON consents(person_id, purpose);
CREATE INDEX consents_case ON consents(case_id);

-- A supervisor's decision to share without consent, for a reason the law allows.
CREATE TABLE consent_overrides (
    id              BLOB PRIMARY KEY,
    case_id         BLOB NOT NULL REFERENCES cases(id),
    person_id       BLOB NOT NULL REFERENCES persons(id),
    purpose         TEXT NOT NULL,
    provider_id     BLOB REFERENCES providers(id),
    reason          TEXT NOT NULL,
    note_sealed     BLOB NOT NULL,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
);
CREATE INDEX consent_overrides_case ON consent_overrides(case_id);

-- Information shared outside the case's team (the police, health), and on what basis.
CREATE TABLE disclosures (
    id              BLOB PRIMARY KEY,
    case_id         BLOB NOT NULL REFERENCES cases(id),
    person_id       BLOB NOT NULL REFERENCES persons(id),
    purpose         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    basis           TEXT NOT NULL,
    consent_id      BLOB REFERENCES consents(id),
    override_id     BLOB REFERENCES consent_overrides(id),
    detail_sealed   BLOB,
    shared_by       TEXT NOT NULL,
    shared_at       TEXT NOT NULL
);
CREATE INDEX disclosures_case ON disclosures(case_id);

-- A safety plan made with the person: each revision a row, sealed.
CREATE TABLE safety_plans (
    id              BLOB PRIMARY KEY,
    case_id         BLOB NOT NULL REFERENCES cases(id),
    revision        INTEGER NOT NULL,
    risk_level      TEXT NOT NULL,
    plan_sealed     BLOB NOT NULL,
    made_by         TEXT NOT NULL,
    made_at         TEXT NOT NULL,
    UNIQUE (case_id, revision)
);
