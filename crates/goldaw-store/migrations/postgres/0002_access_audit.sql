-- Users, API tokens, sessions and the hash-chained audit log.

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    username        TEXT COLLATE "C" NOT NULL UNIQUE,
    role            TEXT NOT NULL,
    -- an admin unit code, or 'provider:ID'
    scope           TEXT NOT NULL,
    sensitive       BOOLEAN NOT NULL DEFAULT FALSE,
    -- argon2id PHC string; never the password
    password_hash   TEXT NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users(id),
    -- SHA-256 of the token; the token itself is shown once and never stored
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

-- Append-only. Each row's hash covers its fields and the previous row's hash, so changing or
-- deleting a row breaks the chain from there on (`goldaw audit verify`).
CREATE TABLE audit_events (
    seq        BIGINT PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    source     TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT,
    entity_id  TEXT,
    detail     TEXT,
    prev_hash  BYTEA NOT NULL,
    hash       BYTEA NOT NULL
);
CREATE INDEX audit_events_actor ON audit_events(actor, seq);
CREATE INDEX audit_events_entity ON audit_events(entity_id, seq);

-- The chain's head: one row. Updating it first thing in a transaction takes the write lock, so
-- appends are serialised and each sees the true previous hash.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
