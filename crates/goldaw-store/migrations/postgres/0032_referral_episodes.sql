-- A referral's service episode, looked up by the referral (issue #24, found by bench/loadmix.py's
-- profile): every read of a referral (the provider's inbox, a delivery, the case page's referrals)
-- joins `service_episodes e ON e.referral_id = r.id`, which without this index scanned all the
-- episodes of the country for each referral (48,801 on the national set: 50 ms of CPU for one
-- inbox page of 15 referrals). Most imported episodes have no referral: partial.
CREATE INDEX service_episodes_referral ON service_episodes(referral_id) WHERE referral_id IS NOT NULL;
