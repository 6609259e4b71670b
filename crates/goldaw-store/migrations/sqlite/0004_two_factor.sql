-- TOTP two-factor sign-in. The secret is sealed with the operator's key (crypto.rs), never plain.
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
-- 'active' once fully signed in; 'totp' while the second factor is awaited; 'enrol' while an
-- account that must use two factors sets them up.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'active';
