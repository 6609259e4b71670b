-- Issue #24: the vocabulary of stored name words on SQLite too, as PostgreSQL has had since 0034
-- (`person_name_words`): every word of every stored name once. The duplicate check looks a typo
-- up in it (the stored words holding a piece of each word typed, kept when close enough:
-- goldaw_store::people::words), then reads the people holding one of the words found through
-- the word index (`persons_name_words`, 0034) within the scope's places: a few exact posting
-- lists instead of the trigram index's pieces, which for a common name in an etrap returned the
-- cut of 2,001 candidates, each scored (the intake's check: p99 126 ms at the 2030 workload).
--
-- Words are `name_key` (folded: `a-z0-9` and single spaces) split on spaces, as a JSON array
-- (`json_each`); a key that would not make one (it cannot, folded) adds no word rather than
-- failing the write. Empty words are skipped. A word held already is left out by `NOT IN`, not
-- by `INSERT OR IGNORE`: a trigger's conflict clause gives way to the firing statement's (the
-- import's upsert), which then fails on the duplicate.
CREATE TABLE person_name_words (word TEXT PRIMARY KEY) WITHOUT ROWID;

CREATE TRIGGER person_name_words_insert AFTER INSERT ON persons BEGIN
    INSERT INTO person_name_words (word)
        SELECT DISTINCT value FROM json_each(CASE
            WHEN json_valid('["' || replace(new.name_key, ' ', '","') || '"]')
            THEN '["' || replace(new.name_key, ' ', '","') || '"]' ELSE '[]' END)
        WHERE value <> '' AND value NOT IN (SELECT word FROM person_name_words);
END;

-- A changed name (a correction, retention's anonymisation, which empties it) or a deleted
-- person: the old words no stored name holds any more leave at once, as on PostgreSQL, so the
-- vocabulary keeps no name the persons table does not (a rare name identifies). Who still holds
-- a word is asked of the word index (one posting list, stopped at the first holder), and the
-- holder's own name decides: the order in which SQLite fires this trigger and the word index's
-- own (which may still list this person's old words) does not matter.
CREATE TRIGGER person_name_words_update AFTER UPDATE OF name_key ON persons
    WHEN old.name_key IS NOT new.name_key BEGIN
    INSERT INTO person_name_words (word)
        SELECT DISTINCT value FROM json_each(CASE
            WHEN json_valid('["' || replace(new.name_key, ' ', '","') || '"]')
            THEN '["' || replace(new.name_key, ' ', '","') || '"]' ELSE '[]' END)
        WHERE value <> '' AND value NOT IN (SELECT word FROM person_name_words);
    DELETE FROM person_name_words
    WHERE word IN (SELECT value FROM json_each(CASE
            WHEN json_valid('["' || replace(old.name_key, ' ', '","') || '"]')
            THEN '["' || replace(old.name_key, ' ', '","') || '"]' ELSE '[]' END))
      AND NOT EXISTS (
            SELECT 1 FROM persons_name_words JOIN persons p ON p.rowid = persons_name_words.rowid
            WHERE persons_name_words MATCH 'name_key : "' || person_name_words.word || '"'
              AND ' ' || p.name_key || ' ' LIKE '% ' || person_name_words.word || ' %');
END;
CREATE TRIGGER person_name_words_delete AFTER DELETE ON persons BEGIN
    DELETE FROM person_name_words
    WHERE word IN (SELECT value FROM json_each(CASE
            WHEN json_valid('["' || replace(old.name_key, ' ', '","') || '"]')
            THEN '["' || replace(old.name_key, ' ', '","') || '"]' ELSE '[]' END))
      AND NOT EXISTS (
            SELECT 1 FROM persons_name_words JOIN persons p ON p.rowid = persons_name_words.rowid
            WHERE persons_name_words MATCH 'name_key : "' || person_name_words.word || '"'
              AND ' ' || p.name_key || ' ' LIKE '% ' || person_name_words.word || ' %');
END;

-- The people there already.
INSERT OR IGNORE INTO person_name_words (word)
    SELECT DISTINCT w.value FROM persons, json_each(CASE
        WHEN json_valid('["' || replace(persons.name_key, ' ', '","') || '"]')
        THEN '["' || replace(persons.name_key, ' ', '","') || '"]' ELSE '[]' END) AS w
    WHERE w.value <> '';
