-- Issue #19: a national search of one word ("Orazowa", "Maral") within 5x the index's own lookup.
-- The word GIN of 0034 (`persons_name_words`) answers it, but a GIN is read as a bitmap built
-- whole before the first row: for a family name 100,000 people share, 14 ms of a 29 ms statement
-- on the national set, for a page that ranks the first 250 found. These btrees hold a name's
-- first and its second word, then the name: a national search of one word walks them in name
-- order and stops at its window (2-4 ms for 250 people; `people::search::WORD_POSITIONS`). A
-- third word, or a word too few people hold in these places, is still found through the GIN.
-- (Names are stored family name first, then the given name: the two btrees hold nearly every
-- name's words.) SQLite needs no such index: its FTS5 word table reads a posting list in order
-- and stops (0034). Their builds cost the national import about 8 s each.
CREATE INDEX persons_first_word ON persons (split_part(name_key, ' ', 1), name_key);
CREATE INDEX persons_second_word ON persons (split_part(name_key, ' ', 2), name_key);
