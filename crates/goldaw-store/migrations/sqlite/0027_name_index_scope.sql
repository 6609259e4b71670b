-- Issue #24 (found by bench/loadmix.sh on the national set): a name search at etrap scope read
-- the trigram index for the whole country and dropped the people outside the etrap one by one
-- (0.16-0.32 s of CPU for a common name in an etrap late in rowid order, and the searches held
-- the pool's connections while every other page waited). The index now carries, beside the
-- folded name, a token of the person's place, so a search in an etrap or a velayat asks the index
-- for the name AND the place and reads only what it shows (2-8 ms of CPU in the same cases).
--
-- The place token is `##` followed by the unit's code after `TM-` without dashes, lower case:
-- TM-A-09 -> `##a09#`, TM-A-09-01 -> `##a0901#`, TM-S -> `##s#`. A scope's query is the prefix
-- of its code (`##a09`, `##a`): the trigram tokenizer matches it as a substring, so a scope finds
-- its units and those below it; the SQL scope condition still decides exactly (the token only
-- narrows what the index returns). The nation needs no token. goldaw_store::people::search
-- computes the same token in Rust (`scope_token`); the two must change together.
--
-- The table is contentless (`content = ''`, with `contentless_delete = 1` so rows can be deleted
-- and replaced): its text is not a column of `persons`, so it is kept by the triggers alone. To
-- rebuild it (after a VACUUM, which may renumber rowids):
--   DELETE FROM persons_name_index;
--   INSERT INTO persons_name_index (rowid, name_key, place)
--       SELECT rowid, name_key, '##' || lower(replace(substr(admin_unit, 4), '-', '')) || '#'
--       FROM persons;
DROP TRIGGER persons_name_index_insert;
DROP TRIGGER persons_name_index_update;
DROP TRIGGER persons_name_index_delete;
DROP TABLE persons_name_index;

CREATE VIRTUAL TABLE persons_name_index USING fts5(
    name_key, place, content = '', contentless_delete = 1, tokenize = 'trigram'
);

CREATE TRIGGER persons_name_index_insert AFTER INSERT ON persons BEGIN
    INSERT INTO persons_name_index (rowid, name_key, place)
        VALUES (new.rowid, new.name_key,
                '##' || lower(replace(substr(new.admin_unit, 4), '-', '')) || '#');
END;
CREATE TRIGGER persons_name_index_update AFTER UPDATE OF name_key, admin_unit ON persons
    WHEN old.name_key IS NOT new.name_key OR old.admin_unit IS NOT new.admin_unit BEGIN
    DELETE FROM persons_name_index WHERE rowid = old.rowid;
    INSERT INTO persons_name_index (rowid, name_key, place)
        VALUES (new.rowid, new.name_key,
                '##' || lower(replace(substr(new.admin_unit, 4), '-', '')) || '#');
END;
CREATE TRIGGER persons_name_index_delete AFTER DELETE ON persons BEGIN
    DELETE FROM persons_name_index WHERE rowid = old.rowid;
END;

INSERT INTO persons_name_index (rowid, name_key, place)
    SELECT rowid, name_key, '##' || lower(replace(substr(admin_unit, 4), '-', '')) || '#'
    FROM persons;
