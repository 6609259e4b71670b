-- Issue #21: social contracting (docs/contracting.md). A tender for a service in some etraps,
-- bids by providers, the committee's conflicts and scores, the contract with its versions, the
-- monthly delivery reports and the payments. Statuses are their code text
-- (goldaw_core::contracting); money is in tiyn (1 manat = 100 tiyn).

CREATE TABLE tenders (
    id               BLOB PRIMARY KEY,
    title            TEXT NOT NULL,
    service_code     TEXT NOT NULL REFERENCES services(code),
    -- the unit whose ministry (or velayat administration) tenders: the drafter's scope
    authority_unit   TEXT NOT NULL REFERENCES admin_units(code),
    period_from      TEXT NOT NULL,
    period_to        TEXT NOT NULL,
    people           INTEGER NOT NULL CHECK (people > 0),
    units            INTEGER NOT NULL CHECK (units > 0),
    max_budget       INTEGER NOT NULL CHECK (max_budget > 0),
    specification    TEXT NOT NULL,
    documents        TEXT,
    weight_price     INTEGER NOT NULL,
    weight_method    INTEGER NOT NULL,
    weight_staff     INTEGER NOT NULL,
    weight_experience INTEGER NOT NULL,
    weight_rural_reach INTEGER NOT NULL,
    bid_deadline     TEXT NOT NULL,
    -- 'closed' is never stored: a published tender is closed from its deadline on
    status           TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'published', 'awarded', 'cancelled')),
    drafted_by       TEXT NOT NULL,
    approved_by      TEXT,
    published_at     TEXT,
    cancel_reason    TEXT,
    awarded_bid_id   BLOB,
    decision_reason  TEXT,
    decided_by       TEXT,
    decided_at       TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX tenders_status ON tenders(status, bid_deadline);

-- The etraps a tender covers.
CREATE TABLE tender_units (
    tender_id  BLOB NOT NULL REFERENCES tenders(id),
    admin_unit TEXT NOT NULL REFERENCES admin_units(code),
    PRIMARY KEY (tender_id, admin_unit)
);

-- The committee a tender names: the members who declare conflicts and score.
CREATE TABLE tender_committee (
    tender_id  BLOB NOT NULL REFERENCES tenders(id),
    user_id    BLOB NOT NULL REFERENCES users(id),
    username   TEXT NOT NULL,
    PRIMARY KEY (tender_id, user_id)
);

CREATE TABLE bids (
    id              BLOB PRIMARY KEY,
    tender_id       BLOB NOT NULL REFERENCES tenders(id),
    provider_id     BLOB NOT NULL REFERENCES providers(id),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'withdrawn')),
    price_per_unit  INTEGER NOT NULL CHECK (price_per_unit > 0),
    units           INTEGER NOT NULL CHECK (units > 0),
    people          INTEGER NOT NULL CHECK (people > 0),
    places          INTEGER CHECK (places >= 0),
    staff           TEXT NOT NULL,
    method          TEXT NOT NULL,
    documents       TEXT,
    created_by      TEXT NOT NULL,
    submitted_at    TEXT,
    withdrawn_at    TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX bids_tender ON bids(tender_id, provider_id);

-- A member's declaration of a conflict of interest with one bid: the member does not score it.
CREATE TABLE bid_conflicts (
    bid_id      BLOB NOT NULL REFERENCES bids(id),
    user_id     BLOB NOT NULL REFERENCES users(id),
    statement   TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    PRIMARY KEY (bid_id, user_id)
);

-- A member's score of a bid on one criterion (0..10); scored again, replaced.
CREATE TABLE bid_scores (
    bid_id    BLOB NOT NULL REFERENCES bids(id),
    user_id   BLOB NOT NULL REFERENCES users(id),
    criterion TEXT NOT NULL CHECK (criterion IN ('method', 'staff', 'experience', 'rural_reach')),
    score     INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    scored_at TEXT NOT NULL,
    PRIMARY KEY (bid_id, user_id, criterion)
);

CREATE TABLE contracts (
    id              BLOB PRIMARY KEY,
    tender_id       BLOB NOT NULL UNIQUE REFERENCES tenders(id),
    bid_id          BLOB NOT NULL REFERENCES bids(id),
    provider_id     BLOB NOT NULL REFERENCES providers(id),
    service_code    TEXT NOT NULL REFERENCES services(code),
    status          TEXT NOT NULL CHECK (status IN ('signed', 'suspended', 'ended')),
    -- the terms in force (contract_versions keeps each)
    amendment       INTEGER NOT NULL DEFAULT 1,
    price_per_unit  INTEGER NOT NULL CHECK (price_per_unit > 0),
    ceiling         INTEGER NOT NULL CHECK (ceiling > 0),
    target_people   INTEGER NOT NULL,
    target_units    INTEGER NOT NULL,
    target_outcomes TEXT,
    payment_schedule TEXT NOT NULL,
    period_from     TEXT NOT NULL,
    period_to       TEXT NOT NULL,
    places          INTEGER,
    status_reason   TEXT,
    signed_by       TEXT NOT NULL,
    signed_at       TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    updated_at      TEXT NOT NULL
);
CREATE INDEX contracts_provider ON contracts(provider_id, service_code);

-- Every version of a contract's terms: the signed one, then each amendment with its reason.
CREATE TABLE contract_versions (
    contract_id     BLOB NOT NULL REFERENCES contracts(id),
    amendment       INTEGER NOT NULL,
    price_per_unit  INTEGER NOT NULL,
    ceiling         INTEGER NOT NULL,
    target_people   INTEGER NOT NULL,
    target_units    INTEGER NOT NULL,
    target_outcomes TEXT,
    payment_schedule TEXT NOT NULL,
    period_from     TEXT NOT NULL,
    period_to       TEXT NOT NULL,
    reason          TEXT,
    changed_by      TEXT NOT NULL,
    changed_at      TEXT NOT NULL,
    PRIMARY KEY (contract_id, amendment)
);

-- A month's delivery report: drafted from the deliveries, confirmed or corrected by the
-- provider, verified by the ministry; the amount due is fixed at verification.
CREATE TABLE delivery_reports (
    id                BLOB PRIMARY KEY,
    contract_id       BLOB NOT NULL REFERENCES contracts(id),
    month             TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('drafted', 'confirmed', 'verified')),
    drafted_units     INTEGER NOT NULL,
    drafted_people    INTEGER NOT NULL,
    drafted_referrals INTEGER NOT NULL,
    reported_units    INTEGER,
    reported_people   INTEGER,
    correction_reason TEXT,
    confirmed_by      TEXT,
    confirmed_at      TEXT,
    verified_units    INTEGER,
    verification_note TEXT,
    verified_by       TEXT,
    verified_at       TEXT,
    amount_due        INTEGER,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (contract_id, month)
);

-- Payments made on a verified report.
CREATE TABLE contract_payments (
    id          BLOB PRIMARY KEY,
    contract_id BLOB NOT NULL REFERENCES contracts(id),
    report_id   BLOB NOT NULL REFERENCES delivery_reports(id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    paid_on     TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX contract_payments_contract ON contract_payments(contract_id, report_id);
