-- Issue #24: SQLite's 0037 adds the vocabulary of stored name words (`person_name_words`) that
-- PostgreSQL has had since 0034 (table, trigram index and triggers). Nothing to add here; the
-- same number keeps the two folders in step (the schema_parity test). A statement, not only a
-- comment: it documents the table where psql shows it.
COMMENT ON TABLE person_name_words IS
    'Every word of every stored name once (migration 0034): the duplicate check and the people search look typos and parts of words up in it. Kept exact by triggers on persons.';
