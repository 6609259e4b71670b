-- Issue #19: people at national scale. The folded name (`name_key`, goldaw_core::names::fold_name)
-- gets an index fit for partial, spelling-tolerant matching: a pg_trgm GIN index over it (SQLite:
-- an FTS5 trigram table, `persons_name_index`). PostgreSQL keeps it on every write; the bulk import
-- drops and rebuilds it with the other indexes when it loads an empty table.
-- pg_trgm is in contrib (postgresql-contrib) and trusted: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX persons_name_trgm ON persons USING gin (name_key gin_trgm_ops);
-- Exact names, birth dates (duplicate checks, search by date or year) use plain indexes, the same
-- on both databases.
CREATE INDEX persons_name_key ON persons(name_key);
CREATE INDEX persons_birth_date ON persons(birth_date, admin_unit);
