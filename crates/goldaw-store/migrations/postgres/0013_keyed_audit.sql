-- A keyed audit chain (audit.rs). Events up to the first one written with the operator's key keep
-- their plain SHA-256 hash; from that event on each hash is an HMAC-SHA-256 under a key derived
-- from the encryption key, and covers keyed_from, so the start cannot be moved. NULL until a
-- process holding the key first appends. key_check (an HMAC of a fixed text under the same key)
-- tells a wrong key apart from a changed event.
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT;
ALTER TABLE audit_head ADD COLUMN key_check BYTEA;
