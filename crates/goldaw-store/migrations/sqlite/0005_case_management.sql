-- Case management: the statutory etrap social work workflow (WORKFLOW.md), assessments, support
-- plans, providers and their capacity, referrals to services, notes, attachments and reviews.
--
-- Free text that may hold personal detail is sealed with the operator's key (crypto.rs, the
-- column and the row id as associated data): BLOB columns named *_sealed. Codes, dates and ids
-- stay plain so that statistics and deadlines need no key.

-- The grant to see statistics without small-cell suppression (planners and the ministry only).
ALTER TABLE users ADD COLUMN unsuppressed INTEGER NOT NULL DEFAULT 0;

-- Settings an admin may change; shipped defaults (reference/deadlines.csv, holidays.csv) are
-- inserted when absent and never overwrite an admin's change.
CREATE TABLE deadline_rules (
    step       TEXT NOT NULL,
    priority   TEXT NOT NULL CHECK (priority IN ('critical', 'support')),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    unit       TEXT NOT NULL CHECK (unit IN ('hours', 'working_days', 'days', 'months')),
    updated_by TEXT,
    updated_at TEXT,
    PRIMARY KEY (step, priority)
);

CREATE TABLE holidays (
    day     TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_tk TEXT NOT NULL
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT,
    updated_at TEXT
);

-- Cases: the interchange fields of 0001 plus the workflow's. external_id is the readable case
-- number for cases opened in goldaw ("A-05/2026/0007"); imported cases keep their own id.
ALTER TABLE cases ADD COLUMN household_case INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN worker_user_id BLOB REFERENCES users(id);
ALTER TABLE cases ADD COLUMN registered_by BLOB REFERENCES users(id);
-- gender-based violence or child protection: names and text need the sensitive permission
ALTER TABLE cases ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN referred_at TEXT;
ALTER TABLE cases ADD COLUMN referrer_sealed BLOB;
ALTER TABLE cases ADD COLUMN concern_sealed BLOB;
-- milestones: the clocks of the deadlines, and the funnel of the statistics
ALTER TABLE cases ADD COLUMN first_contact_at TEXT;
ALTER TABLE cases ADD COLUMN initial_done_at TEXT;
ALTER TABLE cases ADD COLUMN holistic_done_at TEXT;
ALTER TABLE cases ADD COLUMN plan_approved_at TEXT;
ALTER TABLE cases ADD COLUMN last_review_at TEXT;
ALTER TABLE cases ADD COLUMN closure_reason TEXT;
ALTER TABLE cases ADD COLUMN closed_at TEXT;
-- the holistic assessment clock restarts when a closed case is reopened
ALTER TABLE cases ADD COLUMN reopened_at TEXT;
-- a worker's request to close, awaiting the supervisor
ALTER TABLE cases ADD COLUMN closure_requested_at TEXT;
ALTER TABLE cases ADD COLUMN closure_requested_reason TEXT;
ALTER TABLE cases ADD COLUMN closure_requested_by TEXT;
-- a transfer awaiting the receiving etrap's supervisor
ALTER TABLE cases ADD COLUMN transfer_to TEXT REFERENCES admin_units(code);
ALTER TABLE cases ADD COLUMN transfer_requested_at TEXT;
ALTER TABLE cases ADD COLUMN transfer_requested_by TEXT;
CREATE INDEX cases_worker ON cases(worker_user_id, status);
CREATE INDEX cases_transfer ON cases(transfer_to) WHERE transfer_to IS NOT NULL;

-- Readable case numbers: the last number given per etrap and year.
CREATE TABLE case_number_counters (
    admin_unit TEXT NOT NULL,
    year       INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    PRIMARY KEY (admin_unit, year)
);

-- A case's history: every transition, allocation, transfer and approval.
CREATE TABLE case_events (
    id          BLOB PRIMARY KEY,
    case_id     BLOB NOT NULL REFERENCES cases(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    from_unit   TEXT,
    to_unit     TEXT,
    -- a code (a reason, a worker's username); never free text about the person
    detail      TEXT
);
CREATE INDEX case_events_case ON case_events(case_id, at);

-- A court order or a ministry referral: what a residential (tertiary) placement needs.
CREATE TABLE legal_bases (
    id          BLOB PRIMARY KEY,
    case_id     BLOB NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL CHECK (kind IN ('court_order', 'mlsp_referral')),
    reference   TEXT NOT NULL,
    issued_on   TEXT NOT NULL,
    issued_by   TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX legal_bases_case ON legal_bases(case_id);

-- Assessment instruments: versioned data (reference/instruments/*.toml). An assessment keeps the
-- version it was made with.
CREATE TABLE instruments (
    code       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('initial', 'holistic', 'review')),
    -- JSON: sections and items with their names in tk, ru and en
    definition TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    loaded_at  TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE assessments (
    id                 BLOB PRIMARY KEY,
    case_id            BLOB NOT NULL REFERENCES cases(id),
    kind               TEXT NOT NULL CHECK (kind IN ('initial', 'holistic')),
    instrument_code    TEXT NOT NULL,
    instrument_version INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'completed')),
    -- initial assessment: the priority it concludes, and whether anyone is at risk of harm now
    priority           TEXT CHECK (priority IN ('critical', 'support', 'none')),
    immediate_risk     INTEGER,
    consent_assessment INTEGER,
    consent_recording  INTEGER,
    consent_sharing    INTEGER,
    summary_sealed     BLOB,
    author             TEXT NOT NULL,
    started_at         TEXT NOT NULL,
    completed_at       TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    updated_at         TEXT NOT NULL,
    FOREIGN KEY (instrument_code, instrument_version) REFERENCES instruments(code, version)
);
CREATE INDEX assessments_case ON assessments(case_id);

-- One rated item of an assessment, about one person of the household.
CREATE TABLE assessment_items (
    assessment_id    BLOB NOT NULL REFERENCES assessments(id),
    person_id        BLOB NOT NULL REFERENCES persons(id),
    item             TEXT NOT NULL,
    -- need 0 none, 1 low, 2 moderate, 3 high
    need             INTEGER CHECK (need BETWEEN 0 AND 3),
    -- a coded answer (yes/no, a Washington Group answer 1-4)
    answer           TEXT,
    strengths_sealed BLOB,
    own_words_sealed BLOB,
    PRIMARY KEY (assessment_id, person_id, item)
);

-- Individual support plans; each revision is a new row, the earlier ones kept.
CREATE TABLE support_plans (
    id                  BLOB PRIMARY KEY,
    case_id             BLOB NOT NULL REFERENCES cases(id),
    number              INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'superseded')),
    -- the person's agreement: NULL not yet asked, 1 agrees, 0 disagrees (their views recorded)
    person_agrees       INTEGER,
    person_views_sealed BLOB,
    agreed_on           TEXT,
    author              TEXT NOT NULL,
    submitted_at        TEXT,
    approved_at         TEXT,
    approved_by         TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (case_id, number)
);

CREATE TABLE plan_goals (
    id          BLOB PRIMARY KEY,
    plan_id     BLOB NOT NULL REFERENCES support_plans(id),
    position    INTEGER NOT NULL,
    -- the assessment domain the goal answers, if any
    domain      TEXT,
    -- in the person's own words
    goal_sealed BLOB NOT NULL
);
CREATE INDEX plan_goals_plan ON plan_goals(plan_id, position);

CREATE TABLE plan_actions (
    id           BLOB PRIMARY KEY,
    plan_id      BLOB NOT NULL REFERENCES support_plans(id),
    goal_id      BLOB REFERENCES plan_goals(id),
    position     INTEGER NOT NULL,
    who_sealed   BLOB NOT NULL,
    what_sealed  BLOB NOT NULL,
    due_on       TEXT,
    -- an action that is a referral to a service
    service_code TEXT REFERENCES services(code),
    done_on      TEXT
);
CREATE INDEX plan_actions_plan ON plan_actions(plan_id, position);

-- Providers of services (state and NGO), their service points, and what they offer where.
CREATE TABLE providers (
    id          BLOB PRIMARY KEY,
    -- the id in the interchange files (service_episodes.csv provider_id)
    external_id TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('state', 'ngo', 'private')),
    admin_unit  TEXT REFERENCES admin_units(code),
    active      INTEGER NOT NULL DEFAULT 1,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE service_points (
    id          BLOB PRIMARY KEY,
    provider_id BLOB NOT NULL REFERENCES providers(id),
    name        TEXT NOT NULL,
    admin_unit  TEXT NOT NULL REFERENCES admin_units(code),
    address     TEXT,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX service_points_provider ON service_points(provider_id);

-- A service a provider offers to the people of one unit (an etrap), with its places.
CREATE TABLE provider_services (
    id               BLOB PRIMARY KEY,
    provider_id      BLOB NOT NULL REFERENCES providers(id),
    service_point_id BLOB REFERENCES service_points(id),
    service_code     TEXT NOT NULL REFERENCES services(code),
    admin_unit       TEXT NOT NULL REFERENCES admin_units(code),
    -- people served at once; NULL = not limited
    places           INTEGER CHECK (places >= 0),
    active           INTEGER NOT NULL DEFAULT 1,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (provider_id, service_code, admin_unit)
);
CREATE INDEX provider_services_where ON provider_services(admin_unit, service_code);

-- A referral of a person to a service: a provider's offer (specialized, residential) or a
-- universal service of another sector (recipient names the school, clinic or office).
CREATE TABLE service_referrals (
    id                  BLOB PRIMARY KEY,
    case_id             BLOB NOT NULL REFERENCES cases(id),
    person_id           BLOB NOT NULL REFERENCES persons(id),
    plan_id             BLOB REFERENCES support_plans(id),
    goal_id             BLOB REFERENCES plan_goals(id),
    service_code        TEXT NOT NULL REFERENCES services(code),
    provider_service_id BLOB REFERENCES provider_services(id),
    provider_id         BLOB REFERENCES providers(id),
    recipient           TEXT,
    status              TEXT NOT NULL CHECK (status IN ('sent', 'accepted', 'waiting', 'declined', 'started', 'completed', 'cancelled')),
    -- what the provider needs to know, shared with the person's consent
    info_sealed         BLOB,
    decision_reason     TEXT,
    decision_note_sealed BLOB,
    legal_basis_id      BLOB REFERENCES legal_bases(id),
    sent_at             TEXT NOT NULL,
    sent_by             TEXT NOT NULL,
    decided_at          TEXT,
    decided_by          TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TEXT NOT NULL
);
CREATE INDEX service_referrals_case ON service_referrals(case_id);
CREATE INDEX service_referrals_provider ON service_referrals(provider_id, status, sent_at);
CREATE INDEX service_referrals_offer ON service_referrals(provider_service_id, status);

ALTER TABLE service_episodes ADD COLUMN referral_id BLOB REFERENCES service_referrals(id);

-- Units of service delivered, as recorded; service_episodes.units is their sum.
CREATE TABLE service_deliveries (
    id           BLOB PRIMARY KEY,
    episode_id   BLOB NOT NULL REFERENCES service_episodes(id),
    delivered_on TEXT NOT NULL,
    units        INTEGER NOT NULL CHECK (units > 0),
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX service_deliveries_episode ON service_deliveries(episode_id);

CREATE TABLE case_notes (
    id          BLOB PRIMARY KEY,
    case_id     BLOB NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL CHECK (kind IN ('home_visit', 'phone_call', 'office_visit', 'meeting', 'case_conference', 'other')),
    happened_at TEXT NOT NULL,
    text_sealed BLOB NOT NULL,
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes(case_id, happened_at);

CREATE TABLE attachments (
    id              BLOB PRIMARY KEY,
    case_id         BLOB NOT NULL REFERENCES cases(id),
    kind            TEXT NOT NULL,
    filename_sealed BLOB NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL CHECK (size > 0),
    sha256          BLOB NOT NULL,
    content_sealed  BLOB NOT NULL,
    author          TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);

-- Reviews: of a plan (each goal rated), at closure, and follow-ups 3 and 6-12 months after.
CREATE TABLE reviews (
    id                   BLOB PRIMARY KEY,
    case_id              BLOB NOT NULL REFERENCES cases(id),
    plan_id              BLOB REFERENCES support_plans(id),
    kind                 TEXT NOT NULL CHECK (kind IN ('plan_review', 'closing', 'follow_up_short', 'follow_up_long')),
    held_on              TEXT NOT NULL,
    -- the standard outcome set (ASSESSMENT.md)
    living_at_home       INTEGER,
    family_together      INTEGER,
    in_education_or_work INTEGER,
    income_change        TEXT CHECK (income_change IN ('up', 'same', 'down')),
    feels_safe           INTEGER CHECK (feels_safe BETWEEN 0 AND 10),
    satisfaction         INTEGER CHECK (satisfaction BETWEEN 0 AND 10),
    person_view_sealed   BLOB,
    author               TEXT NOT NULL,
    created_at           TEXT NOT NULL
);
CREATE INDEX reviews_case ON reviews(case_id, held_on);

CREATE TABLE review_goals (
    review_id          BLOB NOT NULL REFERENCES reviews(id),
    goal_id            BLOB NOT NULL REFERENCES plan_goals(id),
    rating             TEXT NOT NULL CHECK (rating IN ('achieved', 'partly', 'not_achieved')),
    person_view_sealed BLOB,
    PRIMARY KEY (review_id, goal_id)
);

-- Duplicate people merged into one, with what was moved, so the history stays traceable.
ALTER TABLE persons ADD COLUMN merged_into BLOB REFERENCES persons(id);
CREATE TABLE person_merges (
    id        BLOB PRIMARY KEY,
    kept_id   BLOB NOT NULL REFERENCES persons(id),
    merged_id BLOB NOT NULL REFERENCES persons(id),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    -- JSON: the ids of the cases, episodes and referrals moved
    moved     TEXT NOT NULL
);
