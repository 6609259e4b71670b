-- Undoing a merge of duplicate people (merges.rs, `undo_merge`): when and by whom. A merge
-- undone stays in the table, so the history of both records keeps it.
ALTER TABLE person_merges ADD COLUMN undone_at TIMESTAMPTZ, ADD COLUMN undone_by TEXT;
