-- Foundation: reference data, people and households, cases and service episodes as plain records.
-- UUIDs are UUID, dates DATE, timestamps TIMESTAMPTZ.

CREATE TABLE admin_units (
    code            TEXT COLLATE "C" PRIMARY KEY,
    parent_code     TEXT COLLATE "C" REFERENCES admin_units(code),
    level           TEXT NOT NULL,
    name_tk         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    name_ru         TEXT NOT NULL,
    population      BIGINT,
    population_year INTEGER,
    source          TEXT NOT NULL DEFAULT '',
    sort_order      BIGINT NOT NULL
);

-- Names of every closed code list (target groups, referral sources, service types, ...).
CREATE TABLE reference_terms (
    kind       TEXT NOT NULL,
    code       TEXT COLLATE "C" NOT NULL,
    name_en    TEXT NOT NULL,
    name_ru    TEXT NOT NULL,
    name_tk    TEXT NOT NULL,
    sort_order BIGINT NOT NULL,
    PRIMARY KEY (kind, code)
);

-- The service catalogue; names are in reference_terms (kind 'service').
CREATE TABLE services (
    code       TEXT COLLATE "C" PRIMARY KEY,
    level      TEXT NOT NULL CHECK (level IN ('universal', 'secondary', 'tertiary')),
    type       TEXT,
    form       TEXT,
    unit       TEXT NOT NULL,
    sort_order BIGINT NOT NULL
);

CREATE TABLE population (
    admin_unit TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    sex        TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    age_band   TEXT NOT NULL CHECK (age_band IN ('0-17', '18-59', '60+')),
    year       INTEGER NOT NULL,
    population BIGINT NOT NULL CHECK (population >= 0),
    PRIMARY KEY (admin_unit, sex, age_band, year)
);

-- One row per `goldaw import`: lets the importer tell a duplicate id within one import
-- (same batch) from a re-import of the same record (earlier batch).
CREATE TABLE import_batches (
    id          BIGINT PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    source      TEXT NOT NULL
);

CREATE TABLE households (
    id           UUID PRIMARY KEY,
    external_id  TEXT COLLATE "C" NOT NULL UNIQUE,
    admin_unit   TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    settlement   TEXT CHECK (settlement IN ('urban', 'rural')),
    address      TEXT,
    -- Made by goldaw for a person who lives alone (external id '~' || person's id).
    implicit     BOOLEAN NOT NULL DEFAULT FALSE,
    version      INTEGER NOT NULL DEFAULT 1,
    import_batch BIGINT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE persons (
    id                UUID PRIMARY KEY,
    external_id       TEXT COLLATE "C" NOT NULL UNIQUE,
    household_id      UUID NOT NULL REFERENCES households(id),
    relationship      TEXT,
    given_name        TEXT NOT NULL,
    family_name       TEXT,
    -- folded "family given" for spelling-tolerant search (goldaw_core::names::fold_name)
    name_key          TEXT NOT NULL,
    sex               TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    birth_date        DATE,
    admin_unit        TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    settlement        TEXT CHECK (settlement IN ('urban', 'rural')),
    receives_benefits BOOLEAN,
    wg_seeing         SMALLINT CHECK (wg_seeing BETWEEN 1 AND 4),
    wg_hearing        SMALLINT CHECK (wg_hearing BETWEEN 1 AND 4),
    wg_walking        SMALLINT CHECK (wg_walking BETWEEN 1 AND 4),
    wg_cognition      SMALLINT CHECK (wg_cognition BETWEEN 1 AND 4),
    wg_selfcare       SMALLINT CHECK (wg_selfcare BETWEEN 1 AND 4),
    wg_communication  SMALLINT CHECK (wg_communication BETWEEN 1 AND 4),
    -- derived from the six answers by the WG cut-off; stored for statistics
    disability        BOOLEAN NOT NULL,
    -- codes joined by ';' in contract order; the person_target_groups rows are the index
    target_groups     TEXT NOT NULL DEFAULT '',
    sensitive         BOOLEAN NOT NULL DEFAULT FALSE,
    version           INTEGER NOT NULL DEFAULT 1,
    import_batch      BIGINT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX persons_admin_unit ON persons(admin_unit);
CREATE INDEX persons_household ON persons(household_id);

CREATE TABLE person_target_groups (
    person_id    UUID NOT NULL REFERENCES persons(id),
    target_group TEXT NOT NULL,
    PRIMARY KEY (target_group, person_id)
);

CREATE TABLE cases (
    id              UUID PRIMARY KEY,
    external_id     TEXT COLLATE "C" NOT NULL UNIQUE,
    person_id       UUID NOT NULL REFERENCES persons(id),
    admin_unit      TEXT COLLATE "C" NOT NULL REFERENCES admin_units(code),
    opened_on       DATE NOT NULL,
    referral_source TEXT NOT NULL,
    priority        TEXT CHECK (priority IN ('critical', 'support', 'none')),
    status          TEXT NOT NULL,
    closed_on       DATE,
    worker_id       TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    import_batch    BIGINT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_admin_unit ON cases(admin_unit, status);

CREATE TABLE service_episodes (
    id           UUID PRIMARY KEY,
    external_id  TEXT COLLATE "C" NOT NULL UNIQUE,
    case_id      UUID REFERENCES cases(id),
    person_id    UUID NOT NULL REFERENCES persons(id),
    service_code TEXT NOT NULL REFERENCES services(code),
    provider_id  TEXT,
    started_on   DATE NOT NULL,
    ended_on     DATE,
    units        INTEGER CHECK (units >= 0),
    version      INTEGER NOT NULL DEFAULT 1,
    import_batch BIGINT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_episodes_person ON service_episodes(person_id);
CREATE INDEX service_episodes_case ON service_episodes(case_id);
CREATE INDEX service_episodes_period ON service_episodes(service_code, started_on, ended_on);
