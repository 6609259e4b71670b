-- Issues #19 and #24: a national name search on PostgreSQL took 130-365 ms (a full name, a rare
-- family name, Cyrillic, a typo): pg_trgm answers `name_key LIKE '%maral%' AND LIKE '%yazowa%'`
-- by a bitmap AND of the posting lists of every trigram typed, and the trigrams of whole common
-- words (`mar`, `ara`, `owa`, ...) are held by millions of people. Two indexes beside the trigram
-- ones answer from whole words instead (goldaw_store::people::search):
--
-- 1. `persons_name_words`: a GIN over the words of the folded name,
--    `string_to_array(name_key, ' ') @> '{maral,yazowa}'` for a national search: the posting
--    lists of two words, not of ten trigrams. `persons_place_words`: the same words keyed by the
--    person's velayat and etrap (`TM-A:maral`, `TM-A-09:maral`, as 0027 keys trigrams), so a
--    search in a place reads that place's posting lists only
--    (`goldaw_place_words(admin_unit, name_key) @> '{TM-A-09:maral}'`). Two indexes, not one
--    keyed three ways: a national word's bitmap (100,000 people for a common given name) grows
--    lossy in work_mem, and its rows are checked again with the index's expression, which for a
--    SQL function is 120 ms of a search; string_to_array costs next to nothing. Kept by
--    PostgreSQL on every write; the import into an empty table drops and rebuilds them with the
--    other indexes. goldaw_store::people::words computes the same keys (`keyed_words`): the two
--    change together.
-- 2. `person_name_words`: the vocabulary, every word of every stored name once (tens of thousands
--    of words for seven million people). A part of a word or a typo is looked up in the
--    vocabulary (its own trigram index, small), and the people holding one of the words found are
--    read through the word indexes (`&&`). Kept by the triggers below on every insert,
--    name change and delete of persons, the bulk import's included (set-wise, from the
--    statement's new rows); a word no stored name holds any more (a name corrected, a person
--    anonymised by retention) leaves the vocabulary in the same statement, so the vocabulary
--    keeps no name the persons table does not.
-- Only built-in functions (pg_catalog): a restore with an empty search_path finds them.
-- One expression (no subquery), so PostgreSQL inlines it: rechecking a lossy bitmap's rows costs
-- 1.9 µs a row, against 5.6 µs written as a subquery over unnest (measured on 100,000 persons).
CREATE FUNCTION goldaw_place_words(unit text, name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
    SELECT string_to_array(regexp_replace(name, '(\S+)',
        split_part(unit, '-', 1) || '-' || split_part(unit, '-', 2) || ':\1 '
            || split_part(unit, '-', 1) || '-' || split_part(unit, '-', 2) || '-'
            || split_part(unit, '-', 3) || ':\1', 'g'), ' ')
$body$;

CREATE INDEX persons_name_words ON persons USING gin (string_to_array(name_key, ' '));
CREATE INDEX persons_place_words ON persons USING gin (goldaw_place_words(admin_unit, name_key));

CREATE TABLE person_name_words (word TEXT PRIMARY KEY);
CREATE INDEX person_name_words_trgm ON person_name_words USING gin (word gin_trgm_ops);

-- New people: one statement-level trigger, set-wise over the statement's rows (the import's
-- millions in one INSERT).
CREATE FUNCTION person_name_words_added() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    INSERT INTO person_name_words (word)
        SELECT DISTINCT w FROM new_rows, unnest(string_to_array(new_rows.name_key, ' ')) AS w
        WHERE w <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$body$;

-- A changed name or a deleted person: a row-level trigger, fired only when the name changed
-- (no transition tables to keep for the many updates that leave names alone). The old words
-- no stored name holds any more leave (the AFTER trigger sees the statement's new rows).
CREATE FUNCTION person_name_words_changed() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO person_name_words (word)
            SELECT DISTINCT w FROM unnest(string_to_array(NEW.name_key, ' ')) AS w
            WHERE w <> ''
        ON CONFLICT DO NOTHING;
    END IF;
    DELETE FROM person_name_words v
    WHERE v.word IN (SELECT w FROM unnest(string_to_array(OLD.name_key, ' ')) AS w)
      AND NOT EXISTS (SELECT 1 FROM persons p
                      WHERE string_to_array(p.name_key, ' ') @> ARRAY[v.word]);
    RETURN NULL;
END
$body$;

CREATE TRIGGER person_name_words_insert AFTER INSERT ON persons
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION person_name_words_added();
CREATE TRIGGER person_name_words_update AFTER UPDATE OF name_key ON persons
    FOR EACH ROW WHEN (old.name_key IS DISTINCT FROM new.name_key)
    EXECUTE FUNCTION person_name_words_changed();
CREATE TRIGGER person_name_words_delete AFTER DELETE ON persons
    FOR EACH ROW EXECUTE FUNCTION person_name_words_changed();

-- The people there already.
INSERT INTO person_name_words (word)
    SELECT DISTINCT w FROM persons, unnest(string_to_array(persons.name_key, ' ')) AS w
    WHERE w <> '';

-- The planner's statistics of the new index expression (the word frequencies its estimates use):
-- without them a search's first plans after an upgrade guess.
ANALYZE persons;
