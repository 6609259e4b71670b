-- Issue #24 (the remaining lists) and #23's leftovers. docs/paging-and-due-dates.md.

-- The provider's inbox, a page at a time: one range per status, in the inbox's order
-- (sent_at, id), so a page reads at most a page per status from the index.
DROP INDEX service_referrals_provider;
CREATE INDEX service_referrals_provider ON service_referrals(provider_id, status, sent_at, id);

-- A case's referrals, newest first, a page at a time.
DROP INDEX service_referrals_case;
CREATE INDEX service_referrals_case ON service_referrals(case_id, sent_at, id);

-- The users page reads the tokens of one page of accounts.
CREATE INDEX api_tokens_user ON api_tokens(user_id, created_at);

-- Where the last check of the audit chain ended (audit.rs): /admin/audit checks only the events
-- after it. `mac` is an HMAC of (seq, hash) under the audit key, so a checkpoint moved by someone
-- without the key is not trusted (the next check walks the whole chain).
CREATE TABLE audit_verified (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    hash        BYTEA NOT NULL,
    mac         BYTEA,
    checked_at  TIMESTAMPTZ
);
INSERT INTO audit_verified (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

-- #23: a partner's key is issued to one person of the organisation (its holder, named in the
-- audit trail) and revoked alone. Keys issued before (no holder) stay organisation keys until
-- they expire or are revoked (docs/partners.md).
ALTER TABLE partner_tokens ADD COLUMN holder TEXT;

-- #23: what the public form's per-address limit needs, and no longer: the keyed digest of the
-- address and when, kept for the hour the limit counts, then deleted (public_requests/submit.rs).
-- A request's own row keeps no address (it goes after the retention period set by the operator).
CREATE TABLE public_request_marks (
    address_hash BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX public_request_marks_address ON public_request_marks(address_hash, created_at);
CREATE INDEX public_request_marks_at ON public_request_marks(created_at);
INSERT INTO public_request_marks (address_hash, created_at)
    SELECT address_hash, created_at FROM public_requests;
UPDATE public_requests SET address_hash = ''::bytea;
DROP INDEX public_requests_address;
