-- Issue #19: people at national scale. The folded name (`name_key`, goldaw_core::names::fold_name)
-- gets an index fit for partial, spelling-tolerant matching: here an FTS5 table with the trigram
-- tokenizer over `name_key` (PostgreSQL: a pg_trgm GIN index on the column itself). It is an
-- external-content table over `persons` (keyed by the rowid), kept by the triggers below on every
-- write, the bulk import's included. After a VACUUM (which may renumber rowids) rebuild it:
--   INSERT INTO persons_name_index(persons_name_index) VALUES ('rebuild');
-- Exact names, birth dates (duplicate checks, search by date or year) use plain indexes, the same
-- on both databases.
CREATE INDEX persons_name_key ON persons(name_key);
CREATE INDEX persons_birth_date ON persons(birth_date, admin_unit);

CREATE VIRTUAL TABLE persons_name_index USING fts5(
    name_key, content = 'persons', content_rowid = 'rowid', tokenize = 'trigram'
);

CREATE TRIGGER persons_name_index_insert AFTER INSERT ON persons BEGIN
    INSERT INTO persons_name_index (rowid, name_key) VALUES (new.rowid, new.name_key);
END;
CREATE TRIGGER persons_name_index_update AFTER UPDATE OF name_key ON persons
    WHEN old.name_key IS NOT new.name_key BEGIN
    INSERT INTO persons_name_index (persons_name_index, rowid, name_key)
        VALUES ('delete', old.rowid, old.name_key);
    INSERT INTO persons_name_index (rowid, name_key) VALUES (new.rowid, new.name_key);
END;
CREATE TRIGGER persons_name_index_delete AFTER DELETE ON persons BEGIN
    INSERT INTO persons_name_index (persons_name_index, rowid, name_key)
        VALUES ('delete', old.rowid, old.name_key);
END;

-- The people there already.
INSERT INTO persons_name_index (persons_name_index) VALUES ('rebuild');
