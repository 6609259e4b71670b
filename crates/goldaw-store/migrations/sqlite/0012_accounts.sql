-- Issue #16: accounts (users.rs, two_factor.rs, grants.rs).

-- Two-factor codes: wrong codes in a row (five lock the account, as five wrong passwords do),
-- and the last time step whose code was used (RFC 6238 §5.2: a code is good once).
ALTER TABLE users ADD COLUMN totp_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- Four eyes: an account made by an admin with a wide grant signs in only once a second admin
-- approved it. Every account that exists already was made under the old rules: approved.
ALTER TABLE users ADD COLUMN approved INTEGER NOT NULL DEFAULT 1;

-- A wide grant an admin asked for, waiting for a second admin (or decided). The account keeps
-- what it has until the grant is approved, and the grant applies only to the account's version
-- it was asked against.
CREATE TABLE grant_requests (
    id                BLOB PRIMARY KEY,
    user_id           BLOB NOT NULL REFERENCES users(id),
    role              TEXT NOT NULL,
    scope             TEXT NOT NULL,
    sensitive         INTEGER NOT NULL,
    unsuppressed      INTEGER NOT NULL,
    user_version      INTEGER NOT NULL,
    requested_by      BLOB NOT NULL REFERENCES users(id),
    requested_at      TEXT NOT NULL,
    -- 'approved', 'rejected' or 'replaced' (a newer request for the account); NULL while pending
    decision          TEXT,
    decided_by        TEXT,
    decided_at        TEXT,
    version           INTEGER NOT NULL DEFAULT 1
);
-- At most one pending request per account.
CREATE UNIQUE INDEX grant_requests_pending ON grant_requests(user_id) WHERE decision IS NULL;

-- API tokens expire, and say when they were last used. Tokens made before expiry existed get
-- 90 days from the upgrade (the default lifetime), not from when they were made: none stops
-- working the moment goldaw is upgraded.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+90 days');
