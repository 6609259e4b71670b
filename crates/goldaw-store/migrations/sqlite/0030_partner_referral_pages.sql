-- Issue #20 (a partner's own referrals, a page at a time; docs/partners.md): the list is read
-- newest first and keyset-paged on (created_at, id), so the partner's index carries the id too
-- and a page reads one range of it, however many referrals the partner has sent.
DROP INDEX partner_referrals_partner;
CREATE INDEX partner_referrals_partner ON partner_referrals(partner_id, created_at, id);
