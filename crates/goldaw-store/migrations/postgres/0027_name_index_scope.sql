-- Issue #24 (found by bench/loadmix.sh on the national set): a name search at etrap scope read
-- the trigram index for the whole country (the GIN posting lists of a common name hold ~120,000
-- people) and intersected it with the etrap. This index keys each trigram of the folded name by
-- the person's velayat and etrap (`TM-A:mar`, `TM-A-09:mar`), so a search in a velayat or an
-- etrap reads the posting lists of that place only. The nation keeps persons_name_trgm (0016).
--
-- Only a word's inner trigrams are keyed (pg_trgm's padded ones at word ends are dropped): a
-- search term is matched as a part of a word, and goldaw_store::people::search computes the same
-- inner trigrams of what was typed (`place_trigrams`); the LIKE on name_key still decides.
-- (An `array(SELECT ...)` over a VALUES list: twice as fast to build as array_agg over unnest.)
-- show_trgm is named with pg_trgm's schema: pg_dump's restore runs with an empty search_path, and
-- an index expression's function must find it there too.
DO $migration$
DECLARE trgm_schema text;
BEGIN
    SELECT n.nspname INTO trgm_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    EXECUTE format($function$
        CREATE FUNCTION goldaw_place_trigrams(unit text, name text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
          SELECT array(
            SELECT v || t
            FROM unnest(%I.show_trgm(name)) AS t,
                 (VALUES (split_part(unit, '-', 1) || '-' || split_part(unit, '-', 2) || ':'),
                         (split_part(unit, '-', 1) || '-' || split_part(unit, '-', 2) || '-'
                              || split_part(unit, '-', 3) || ':')) AS p(v)
            WHERE left(t, 1) <> ' ' AND right(t, 1) <> ' ')
        $body$
    $function$, trgm_schema);
END
$migration$;

CREATE INDEX persons_place_trgm ON persons USING gin (goldaw_place_trigrams(admin_unit, name_key));
