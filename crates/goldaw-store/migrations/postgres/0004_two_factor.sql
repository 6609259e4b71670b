-- TOTP two-factor sign-in. The secret is sealed with the operator's key (crypto.rs), never plain.
ALTER TABLE users ADD COLUMN totp_secret BYTEA;
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
-- 'active' once fully signed in; 'totp' while the second factor is awaited; 'enrol' while an
-- account that must use two factors sets them up.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'active';
