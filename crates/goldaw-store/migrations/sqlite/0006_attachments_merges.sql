-- Merging duplicate people (merges.rs): the merges that kept or merged a person are found by
-- index (reading a person's merges back, undoing one). What was merged into a person is found
-- through person_merges too, so persons itself gets no new index (bulk import rebuilds those).
CREATE INDEX person_merges_kept ON person_merges(kept_id, at);
CREATE INDEX person_merges_merged ON person_merges(merged_id);
