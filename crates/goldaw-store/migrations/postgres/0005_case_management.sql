-- Case management: the statutory etrap social work workflow (WORKFLOW.md), assessments, support
-- plans, providers and their capacity, referrals to services, notes, attachments and reviews.
--
-- Free text that may hold personal detail is sealed with the operator's key (crypto.rs, the
-- column and the row id as associated data): BYTEA columns named *_sealed. Codes, dates and ids
-- stay plain so that statistics and deadlines need no key.

-- The grant to see statistics without small-cell suppression (planners and the ministry only).
ALTER TABLE users ADD COLUMN unsuppressed BOOLEAN NOT NULL DEFAULT FALSE;

-- Settings an admin may change; shipped defaults (reference/deadlines.csv, holidays.csv) are
-- inserted when absent and never overwrite an admin's change.
CREATE TABLE deadline_rules (
    step       TEXT NOT NULL,
    priority   TEXT NOT NULL CHECK (priority IN ('critical', 'support')),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    unit       TEXT NOT NULL CHECK (unit IN ('hours', 'working_days', 'days', 'months')),
    updated_by TEXT,
    updated_at TIMESTAMPTZ,
    PRIMARY KEY (step, priority)
);

CREATE TABLE holidays (
    day     DATE PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_tk TEXT NOT NULL
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT,
    updated_at TIMESTAMPTZ
);

-- Cases: the interchange fields of 0001 plus the workflow's. external_id is the readable case
-- number for cases opened in goldaw ("A-05/2026/0007"); imported cases keep their own id.
ALTER TABLE cases ADD COLUMN household_case BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN worker_user_id UUID REFERENCES users(id);
ALTER TABLE cases ADD COLUMN registered_by UUID REFERENCES users(id);
-- gender-based violence or child protection: names and text need the sensitive permission
ALTER TABLE cases ADD COLUMN sensitive BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN referred_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN referrer_sealed BYTEA;
ALTER TABLE cases ADD COLUMN concern_sealed BYTEA;
-- milestones: the clocks of the deadlines, and the funnel of the statistics
ALTER TABLE cases ADD COLUMN first_contact_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN initial_done_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN holistic_done_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN plan_approved_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN last_review_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN closure_reason TEXT;
ALTER TABLE cases ADD COLUMN closed_at TIMESTAMPTZ;
-- the holistic assessment clock restarts when a closed case is reopened
ALTER TABLE cases ADD COLUMN reopened_at TIMESTAMPTZ;
-- a worker's request to close, awaiting the supervisor
ALTER TABLE cases ADD COLUMN closure_requested_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN closure_requested_reason TEXT;
ALTER TABLE cases ADD COLUMN closure_requested_by TEXT;
-- a transfer awaiting the receiving etrap's supervisor
ALTER TABLE cases ADD COLUMN transfer_to TEXT COLLATE "C" REFERENCES admin_units(code);
ALTER TABLE cases ADD COLUMN transfer_requested_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN transfer_requested_by TEXT;
CREATE INDEX cases_worker ON cases(worker_user_id, status);
CREATE INDEX cases_transfer ON cases(transfer_to) WHERE transfer_to IS NOT NULL;

-- Readable case numbers: the last number given per etrap and year.
CREATE TABLE case_number_counters (
    admin_unit TEXT COLLATE "C" NOT NULL,
    year       INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    PRIMARY KEY (admin_unit, year)
);

-- A case's history: every transition, allocation, transfer and approval.
CREATE TABLE case_events (
    id          UUID PRIMARY KEY,
    case_id     UUID NOT NULL REFERENCES cases(id),
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    from_unit   TEXT COLLATE "C",
    to_unit     TEXT COLLATE "C",
    -- a code (a reason, a worker's username); never free text about the person
    detail      TEXT
);
CREATE INDEX case_events_case ON case_events(case_id, at);

-- A court order or a ministry referral: what a residential (tertiary) placement needs.
CREATE TABLE legal_bases (
    id          UUID PRIMARY KEY,
    case_id     UUID NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL CHECK (kind IN ('court_order', 'mlsp_referral')),
    reference   TEXT NOT NULL,
    issued_on   DATE NOT NULL,
    issued_by   TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
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
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    loaded_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE assessments (
    id                 UUID PRIMARY KEY,
    case_id            UUID NOT NULL REFERENCES cases(id),
    kind               TEXT NOT NULL CHECK (kind IN ('initial', 'holistic')),
    instrument_code    TEXT NOT NULL,
    instrument_version INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'completed')),
    -- initial assessment: the priority it concludes, and whether anyone is at risk of harm now
    priority           TEXT CHECK (priority IN ('critical', 'support', 'none')),
    immediate_risk     BOOLEAN,
    consent_assessment BOOLEAN,
    consent_recording  BOOLEAN,
    consent_sharing    BOOLEAN,
    summary_sealed     BYTEA,
    author             TEXT NOT NULL,
    started_at         TIMESTAMPTZ NOT NULL,
    completed_at       TIMESTAMPTZ,
    version            INTEGER NOT NULL DEFAULT 1,
    updated_at         TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (instrument_code, instrument_version) REFERENCES instruments(code, version)
);
CREATE INDEX assessments_case ON assessments(case_id);

-- One rated item of an assessment, about one person of the household.
CREATE TABLE assessment_items (
    assessment_id    UUID NOT NULL REFERENCES assessments(id),
    person_id        UUID NOT NULL REFERENCES persons(id),
    item             TEXT NOT NULL,
    -- need 0 none, 1 low, 2 moderate, 3 high
    need             INTEGER CHECK (need BETWEEN 0 AND 3),
    -- a coded answer (yes/no, a Washington Group answer 1-4)
    answer           TEXT,
    strengths_sealed BYTEA,
    own_words_sealed BYTEA,
    PRIMARY KEY (assessment_id, person_id, item)
);

-- Individual support plans; each revision is a new row, the earlier ones kept.
CREATE TABLE support_plans (
    id                  UUID PRIMARY KEY,
    case_id             UUID NOT NULL REFERENCES cases(id),
    number              INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'superseded')),
    -- the person's agreement: NULL not yet asked, 1 agrees, 0 disagrees (their views recorded)
    person_agrees       BOOLEAN,
    person_views_sealed BYTEA,
    agreed_on           DATE,
    author              TEXT NOT NULL,
    submitted_at        TIMESTAMPTZ,
    approved_at         TIMESTAMPTZ,
    approved_by         TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (case_id, number)
);

CREATE TABLE plan_goals (
    id          UUID PRIMARY KEY,
    plan_id     UUID NOT NULL REFERENCES support_plans(id),
    position    INTEGER NOT NULL,
    -- the assessment domain the goal answers, if any
    domain      TEXT,
    -- in the person's own words
    goal_sealed BYTEA NOT NULL
);
CREATE INDEX plan_goals_plan ON plan_goals(plan_id, position);

CREATE TABLE plan_actions (
    id           UUID PRIMARY KEY,
    plan_id      UUID NOT NULL REFERENCES support_plans(id),
    goal_id      UUID REFERENCES plan_goals(id),
    position     INTEGER NOT NULL,
    who_sealed   BYTEA NOT NULL,
    what_sealed  BYTEA NOT NULL,
    due_on       DATE,
    -- an action that is a referral to a service
    service_code TEXT REFERENCES services(code),
    done_on      DATE
);
CREATE INDEX plan_actions_plan ON plan_actions(plan_id, position);

-- Providers of services (state and NGO), their service points, and what they offer where.
CREATE TABLE providers (
    id          UUID PRIMARY KEY,
    -- the id in the interchange files (service_episodes.csv provider_id)
    external_id TEXT COLLATE "C" NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('state', 'ngo', 'private')),
    admin_unit  TEXT COLLATE "C" REFERENCES admin_units(code),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE service_points (
    id          UUID PRIMARY KEY,
    provider_id UUID NOT NULL REFERENCES providers(id),
    name        TEXT NOT NULL,
    admin_unit  TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    address     TEXT,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_points_provider ON service_points(provider_id);

-- A service a provider offers to the people of one unit (an etrap), with its places.
CREATE TABLE provider_services (
    id               UUID PRIMARY KEY,
    provider_id      UUID NOT NULL REFERENCES providers(id),
    service_point_id UUID REFERENCES service_points(id),
    service_code     TEXT NOT NULL REFERENCES services(code),
    admin_unit       TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    -- people served at once; NULL = not limited
    places           INTEGER CHECK (places >= 0),
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (provider_id, service_code, admin_unit)
);
CREATE INDEX provider_services_where ON provider_services(admin_unit, service_code);

-- A referral of a person to a service: a provider's offer (specialized, residential) or a
-- universal service of another sector (recipient names the school, clinic or office).
CREATE TABLE service_referrals (
    id                  UUID PRIMARY KEY,
    case_id             UUID NOT NULL REFERENCES cases(id),
    person_id           UUID NOT NULL REFERENCES persons(id),
    plan_id             UUID REFERENCES support_plans(id),
    goal_id             UUID REFERENCES plan_goals(id),
    service_code        TEXT NOT NULL REFERENCES services(code),
    provider_service_id UUID REFERENCES provider_services(id),
    provider_id         UUID REFERENCES providers(id),
    recipient           TEXT,
    status              TEXT NOT NULL CHECK (status IN ('sent', 'accepted', 'waiting', 'declined', 'started', 'completed', 'cancelled')),
    -- what the provider needs to know, shared with the person's consent
    info_sealed         BYTEA,
    decision_reason     TEXT,
    decision_note_sealed BYTEA,
    legal_basis_id      UUID REFERENCES legal_bases(id),
    sent_at             TIMESTAMPTZ NOT NULL,
    sent_by             TEXT NOT NULL,
    decided_at          TIMESTAMPTZ,
    decided_by          TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_referrals_case ON service_referrals(case_id);
CREATE INDEX service_referrals_provider ON service_referrals(provider_id, status, sent_at);
CREATE INDEX service_referrals_offer ON service_referrals(provider_service_id, status);

ALTER TABLE service_episodes ADD COLUMN referral_id UUID REFERENCES service_referrals(id);

-- Units of service delivered, as recorded; service_episodes.units is their sum.
CREATE TABLE service_deliveries (
    id           UUID PRIMARY KEY,
    episode_id   UUID NOT NULL REFERENCES service_episodes(id),
    delivered_on DATE NOT NULL,
    units        INTEGER NOT NULL CHECK (units > 0),
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_deliveries_episode ON service_deliveries(episode_id);

CREATE TABLE case_notes (
    id          UUID PRIMARY KEY,
    case_id     UUID NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL CHECK (kind IN ('home_visit', 'phone_call', 'office_visit', 'meeting', 'case_conference', 'other')),
    happened_at TIMESTAMPTZ NOT NULL,
    text_sealed BYTEA NOT NULL,
    author      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_notes_case ON case_notes(case_id, happened_at);

CREATE TABLE attachments (
    id              UUID PRIMARY KEY,
    case_id         UUID NOT NULL REFERENCES cases(id),
    kind            TEXT NOT NULL,
    filename_sealed BYTEA NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL CHECK (size > 0),
    sha256          BYTEA NOT NULL,
    content_sealed  BYTEA NOT NULL,
    author          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);

-- Reviews: of a plan (each goal rated), at closure, and follow-ups 3 and 6-12 months after.
CREATE TABLE reviews (
    id                   UUID PRIMARY KEY,
    case_id              UUID NOT NULL REFERENCES cases(id),
    plan_id              UUID REFERENCES support_plans(id),
    kind                 TEXT NOT NULL CHECK (kind IN ('plan_review', 'closing', 'follow_up_short', 'follow_up_long')),
    held_on              DATE NOT NULL,
    -- the standard outcome set (ASSESSMENT.md)
    living_at_home       BOOLEAN,
    family_together      BOOLEAN,
    in_education_or_work BOOLEAN,
    income_change        TEXT CHECK (income_change IN ('up', 'same', 'down')),
    feels_safe           INTEGER CHECK (feels_safe BETWEEN 0 AND 10),
    satisfaction         INTEGER CHECK (satisfaction BETWEEN 0 AND 10),
    person_view_sealed   BYTEA,
    author               TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX reviews_case ON reviews(case_id, held_on);

CREATE TABLE review_goals (
    review_id          UUID NOT NULL REFERENCES reviews(id),
    goal_id            UUID NOT NULL REFERENCES plan_goals(id),
    rating             TEXT NOT NULL CHECK (rating IN ('achieved', 'partly', 'not_achieved')),
    person_view_sealed BYTEA,
    PRIMARY KEY (review_id, goal_id)
);

-- Duplicate people merged into one, with what was moved, so the history stays traceable.
ALTER TABLE persons ADD COLUMN merged_into UUID REFERENCES persons(id);
CREATE TABLE person_merges (
    id        UUID PRIMARY KEY,
    kept_id   UUID NOT NULL REFERENCES persons(id),
    merged_id UUID NOT NULL REFERENCES persons(id),
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    -- JSON: the ids of the cases, episodes and referrals moved
    moved     TEXT NOT NULL
);
