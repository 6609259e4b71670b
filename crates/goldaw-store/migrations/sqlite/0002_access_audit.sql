-- Users, API tokens, sessions and the hash-chained audit log.

CREATE TABLE users (
    id              BLOB PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL,
    -- an admin unit code, or 'provider:ID'
    scope           TEXT NOT NULL,
    sensitive       INTEGER NOT NULL DEFAULT 0,
    -- argon2id PHC string; never the password
    password_hash   TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id          BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users(id),
    -- SHA-256 of the token; the token itself is shown once and never stored
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- Append-only. Each row's hash covers its fields and the previous row's hash, so changing or
-- deleting a row breaks the chain from there on (`goldaw audit verify`).
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    source     TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT,
    entity_id  TEXT,
    detail     TEXT,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL
);
CREATE INDEX audit_events_actor ON audit_events(actor, seq);
CREATE INDEX audit_events_entity ON audit_events(entity_id, seq);

-- The chain's head: one row. Updating it first thing in a transaction takes the write lock, so
-- appends are serialised and each sees the true previous hash.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
