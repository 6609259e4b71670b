-- Indexes for the statistics indicators (docs/statistics.md): each reads only what its period
-- touches. Referrals by their opening day, workflow steps by their event and time, outcomes by
-- the day of the review.
CREATE INDEX cases_opened ON cases(opened_on, admin_unit);
CREATE INDEX case_events_action ON case_events(action, at);
CREATE INDEX reviews_held ON reviews(held_on);
