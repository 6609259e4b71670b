-- Issue #16: accounts (users.rs, two_factor.rs, grants.rs).

-- Two-factor codes: wrong codes in a row (five lock the account, as five wrong passwords do),
-- and the last time step whose code was used (RFC 6238 §5.2: a code is good once).
ALTER TABLE users ADD COLUMN totp_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Four eyes: an account made by an admin with a wide grant signs in only once a second admin
-- approved it. Every account that exists already was made under the old rules: approved.
ALTER TABLE users ADD COLUMN approved BOOLEAN NOT NULL DEFAULT TRUE;

-- A wide grant an admin asked for, waiting for a second admin (or decided). The account keeps
-- what it has until the grant is approved, and the grant applies only to the account's version
-- it was asked against.
CREATE TABLE grant_requests (
    id                UUID PRIMARY KEY,
    user_id           UUID NOT NULL REFERENCES users(id),
    role              TEXT NOT NULL,
    scope             TEXT NOT NULL,
    sensitive         BOOLEAN NOT NULL,
    unsuppressed      BOOLEAN NOT NULL,
    user_version      INTEGER NOT NULL,
    requested_by      UUID NOT NULL REFERENCES users(id),
    requested_at      TIMESTAMPTZ NOT NULL,
    -- 'approved', 'rejected' or 'replaced' (a newer request for the account); NULL while pending
    decision          TEXT,
    decided_by        TEXT,
    decided_at        TIMESTAMPTZ,
    version           INTEGER NOT NULL DEFAULT 1
);
-- At most one pending request per account.
CREATE UNIQUE INDEX grant_requests_pending ON grant_requests(user_id) WHERE decision IS NULL;

-- API tokens expire, and say when they were last used. Tokens made before expiry existed get
-- 90 days from the upgrade (the default lifetime), not from when they were made: none stops
-- working the moment goldaw is upgraded.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
UPDATE api_tokens SET expires_at = now() + interval '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
