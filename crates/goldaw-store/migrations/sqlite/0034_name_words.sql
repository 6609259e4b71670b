-- Issues #19 and #24: a search for a very common single word (a given name alone in an etrap)
-- cost SQLite's trigram index 20-90 ms: the phrase of a word's trigrams is matched against the
-- posting lists of every one of them, and the place token's too. Beside the trigram index, an
-- FTS5 table with a word tokenizer over the same folded name answers whole words from one posting
-- list each (goldaw_store::people::search asks it first; the trigram index then only for parts of
-- words and typos, and only when the whole words have not filled the page).
--
-- An external-content table over the view `persons_name_words_source` (the persons' rowid, folded
-- name and place words), kept by the triggers below on every write, the bulk import's included.
-- Not contentless like persons_name_index (0027): each deletion names the old words, so the
-- index can be rewritten without them (a retention run ends with FTS5's `optimize`:
-- `Store::apply_retention`; until a merge FTS5 keeps a removed name's words in its segments,
-- marked deleted). FTS5's `secure-delete` option would remove them at once, but the bundled
-- SQLite 3.46.0 reports the index malformed after an update in that mode. Two columns: the
-- folded name, and the person's place as two words, her velayat (`v` + its code) and her etrap (`e` + velayat and etrap codes):
-- TM-A-09-01 -> `va ea09`, TM-S -> `vs es`. A search in a velayat asks for `place : va`, in an
-- etrap or a unit below one for `place : ea09` (`people::words::word_place`: the two change
-- together); the SQL scope condition still decides exactly. To rebuild it (after a VACUUM, which
-- may renumber rowids):
--   INSERT INTO persons_name_words (persons_name_words) VALUES ('rebuild');
CREATE VIEW persons_name_words_source AS
    SELECT id, name_key, 'v' || v || ' e' || v || e AS place
    FROM (SELECT id, name_key, substr(c, 1, instr(c || '-', '-') - 1) AS v,
                 substr(r, 1, instr(r || '-', '-') - 1) AS e
          FROM (SELECT id, name_key, c, substr(c, instr(c || '-', '-') + 1) AS r
                FROM (SELECT rowid AS id, name_key, lower(substr(admin_unit, 4)) AS c
                      FROM persons)));

CREATE VIRTUAL TABLE persons_name_words USING fts5(
    name_key, place, content = 'persons_name_words_source', content_rowid = 'id',
    tokenize = 'unicode61'
);

-- The place words computed from the new row itself (as the view does): no second read of the
-- person, which the import pays for every row.
CREATE TRIGGER persons_name_words_insert AFTER INSERT ON persons BEGIN
    INSERT INTO persons_name_words (rowid, name_key, place)
        SELECT new.rowid, new.name_key, 'v' || v || ' e' || v || e
        FROM (SELECT substr(c, 1, instr(c || '-', '-') - 1) AS v,
                     substr(r, 1, instr(r || '-', '-') - 1) AS e
              FROM (SELECT c, substr(c, instr(c || '-', '-') + 1) AS r
                    FROM (SELECT lower(substr(new.admin_unit, 4)) AS c)));
END;
CREATE TRIGGER persons_name_words_update AFTER UPDATE OF name_key, admin_unit ON persons
    WHEN old.name_key IS NOT new.name_key OR old.admin_unit IS NOT new.admin_unit BEGIN
    INSERT INTO persons_name_words (persons_name_words, rowid, name_key, place)
        SELECT 'delete', old.rowid, old.name_key, 'v' || v || ' e' || v || e
        FROM (SELECT substr(c, 1, instr(c || '-', '-') - 1) AS v,
                     substr(r, 1, instr(r || '-', '-') - 1) AS e
              FROM (SELECT c, substr(c, instr(c || '-', '-') + 1) AS r
                    FROM (SELECT lower(substr(old.admin_unit, 4)) AS c)));
    INSERT INTO persons_name_words (rowid, name_key, place)
        SELECT new.rowid, new.name_key, 'v' || v || ' e' || v || e
        FROM (SELECT substr(c, 1, instr(c || '-', '-') - 1) AS v,
                     substr(r, 1, instr(r || '-', '-') - 1) AS e
              FROM (SELECT c, substr(c, instr(c || '-', '-') + 1) AS r
                    FROM (SELECT lower(substr(new.admin_unit, 4)) AS c)));
END;
CREATE TRIGGER persons_name_words_delete AFTER DELETE ON persons BEGIN
    INSERT INTO persons_name_words (persons_name_words, rowid, name_key, place)
        SELECT 'delete', old.rowid, old.name_key, 'v' || v || ' e' || v || e
        FROM (SELECT substr(c, 1, instr(c || '-', '-') - 1) AS v,
                     substr(r, 1, instr(r || '-', '-') - 1) AS e
              FROM (SELECT c, substr(c, instr(c || '-', '-') + 1) AS r
                    FROM (SELECT lower(substr(old.admin_unit, 4)) AS c)));
END;

-- The people there already.
INSERT INTO persons_name_words (persons_name_words) VALUES ('rebuild');
