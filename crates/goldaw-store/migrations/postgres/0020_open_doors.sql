-- Issue #23, open doors: the public directory, the public's request for help, and the partner
-- agencies that refer families (docs/directory.md, docs/partners.md).

-- The public description of one offer of the register (provider_services), edited by the ministry
-- (ManageProviders). The provider, the service, the place, the form and the places come from the
-- register itself; only what the public reads besides is here. An offer without a row is still
-- listed (with the register's facts only) unless a row says it is not published.
CREATE TABLE directory_entries (
    offer_id       UUID PRIMARY KEY REFERENCES provider_services(id),
    description_tk TEXT NOT NULL DEFAULT '',
    description_ru TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    how_to_apply   TEXT NOT NULL DEFAULT '',
    opening_hours  TEXT NOT NULL DEFAULT '',
    contact        TEXT NOT NULL DEFAULT '',
    published      BOOLEAN NOT NULL DEFAULT TRUE,
    version        INTEGER NOT NULL DEFAULT 1,
    updated_by     TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

-- The etrap social work service's office and the hotlines, per unit (the hotline of the nation
-- is kept at TM).
CREATE TABLE directory_contacts (
    id            UUID PRIMARY KEY,
    admin_unit    TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    kind          TEXT NOT NULL CHECK (kind IN ('etrap_office', 'hotline')),
    name          TEXT NOT NULL,
    address       TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    opening_hours TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    updated_by    TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX directory_contacts_unit ON directory_contacts(admin_unit, kind);

-- A request for help sent by the public: it became the case `case_id` (an intake referral in the
-- etrap's queue). The reference is what the person quotes on the phone. The address is kept only
-- as a keyed hash, for the per-address limit.
CREATE TABLE public_requests (
    id              UUID PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    case_id         UUID NOT NULL REFERENCES cases(id),
    admin_unit      TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    source          TEXT NOT NULL CHECK (source IN ('self', 'outreach')),
    service_code    TEXT,
    consent_contact BOOLEAN NOT NULL,
    address_hash    BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX public_requests_at ON public_requests(created_at);
CREATE INDEX public_requests_address ON public_requests(address_hash, created_at);

-- Partner agencies that refer families: a police department, a school, a clinic, a guardianship
-- authority, a court. Scoped to their organisation (their own referrals) and their area.
CREATE TABLE partner_organisations (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('police', 'juvenile_inspectorate', 'school', 'health', 'guardianship', 'court', 'ngo', 'other')),
    admin_unit TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- A partner organisation's access keys (for the API and the portal's sign-in): the SHA-256 only.
CREATE TABLE partner_tokens (
    id           UUID PRIMARY KEY,
    partner_id   UUID NOT NULL REFERENCES partner_organisations(id),
    token_hash   BYTEA NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX partner_tokens_partner ON partner_tokens(partner_id);

-- A partner's referral: the case it became, and what the partner may read of it (the status,
-- mapped; the outcome summary only when the family agreed to that feedback).
CREATE TABLE partner_referrals (
    id               UUID PRIMARY KEY,
    partner_id       UUID NOT NULL REFERENCES partner_organisations(id),
    case_id          UUID NOT NULL REFERENCES cases(id),
    reference        TEXT NOT NULL UNIQUE,
    their_reference  TEXT,
    feedback_consent BOOLEAN NOT NULL DEFAULT FALSE,
    consent_by       TEXT,
    consent_at       TIMESTAMPTZ,
    outcome_sealed   BYTEA,
    outcome_by       TEXT,
    outcome_at       TIMESTAMPTZ,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX partner_referrals_partner ON partner_referrals(partner_id, created_at);
CREATE INDEX partner_referrals_case ON partner_referrals(case_id);
