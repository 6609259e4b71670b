-- Issue #19: PostgreSQL's btrees of a name's first and second words (its 0038) let a national
-- search of one word stop at its window; SQLite's FTS5 word table (0034) reads a posting list in
-- order and stops already. Nothing to do here: the number is kept so both databases list the
-- same migrations (the schema_parity test).
SELECT 1;
