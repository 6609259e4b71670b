-- Issue #19: goldaw_core::names::fold_name now folds Russian дж (and its transliteration dzh) to
-- Turkmen j, so that Ходжамов finds Hojamow. The stored folded names follow: the fold's last
-- step is this very replacement, so applying it to the stored key gives the new fold exactly.
-- (SQLite: the trigger on name_key keeps the trigram index; PostgreSQL: the GIN index follows.)
UPDATE persons SET name_key = REPLACE(name_key, 'dzh', 'j') WHERE name_key LIKE '%dzh%';
