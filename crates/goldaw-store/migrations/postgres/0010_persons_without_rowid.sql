-- Nothing to do on PostgreSQL. SQLite's 0010 rebuilds persons and households as WITHOUT ROWID
-- tables keyed by their id (one b-tree instead of a rowid table and an id index); a PostgreSQL
-- table is a heap with its primary key index either way. Kept so both folders number alike.
SELECT 1;
