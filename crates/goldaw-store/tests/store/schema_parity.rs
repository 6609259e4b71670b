//! The two migration folders must build the same schema: the same tables, the same columns in
//! each, and the same indexes (by name, table and indexed columns). Every use case is written once
//! for both databases, so a column or an index that one folder forgot is a bug that only shows on
//! that database, often only under load (a missing index) or on upgrade.

use goldaw_store::testing::{postgres, sqlite};
use goldaw_store::DatabaseUrl;
use sqlx::Connection;
use std::collections::BTreeMap;

/// table -> its column names, sorted.
type Columns = BTreeMap<String, Vec<String>>;
/// index name -> (table, indexed columns in order; an expression shows as `expr`).
type Indexes = BTreeMap<String, (String, Vec<String>)>;

async fn sqlite_schema(url: &DatabaseUrl) -> (Columns, Indexes) {
    let DatabaseUrl::Sqlite(path) = url else {
        unreachable!()
    };
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut columns = Columns::new();
    for (table,) in tables {
        let mut names: Vec<String> =
            sqlx::query_as::<_, (String,)>("SELECT name FROM pragma_table_info($1)")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .map(|(n,)| n)
                .collect();
        names.sort();
        columns.insert(table, names);
    }
    // Indexes created by CREATE INDEX (`sql` is NULL for those SQLite makes for keys).
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
           ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut indexes = Indexes::new();
    for (name, table) in rows {
        let cols: Vec<(Option<String>,)> =
            sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let cols = cols
            .into_iter()
            .map(|(c,)| c.unwrap_or_else(|| "expr".to_owned()))
            .collect();
        indexes.insert(name, (table, cols));
    }
    (columns, indexes)
}

async fn postgres_schema(url: &DatabaseUrl) -> (Columns, Indexes) {
    let DatabaseUrl::Postgres(url) = url else {
        unreachable!()
    };
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
           JOIN information_schema.tables t
             ON t.table_schema = c.table_schema AND t.table_name = c.table_name
          WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
            AND c.table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut columns = Columns::new();
    for (table, column) in rows {
        columns.entry(table).or_default().push(column);
    }
    for names in columns.values_mut() {
        names.sort();
    }
    // Indexes created by CREATE INDEX: not those behind a primary key or UNIQUE constraint.
    let rows: Vec<(String, String, Vec<String>)> = sqlx::query_as(
        "SELECT i.relname::text, t.relname::text,
                ARRAY(SELECT COALESCE(a.attname::text, 'expr')
                        FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                        LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                                                AND k.attnum > 0
                       ORDER BY k.n)
           FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_namespace s ON s.oid = t.relnamespace
          WHERE s.nspname = 'public' AND t.relname <> '_sqlx_migrations'
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let indexes = rows
        .into_iter()
        .map(|(name, table, cols)| (name, (table, cols)))
        .collect();
    (columns, indexes)
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_define_the_same_schema() {
    let Some(pg) = postgres().await else { return };
    let lite = sqlite().await;
    // Opening a store applies every migration.
    drop(lite.open().await);
    drop(pg.open().await);
    let (mut lite_columns, lite_indexes) = sqlite_schema(&lite.url).await;
    let (pg_columns, mut pg_indexes) = postgres_schema(&pg.url).await;
    // The name search index is each database's own (migration 0016): an FTS5 table and its
    // shadow tables in SQLite, a pg_trgm GIN index in PostgreSQL.
    lite_columns.retain(|table, _| !table.starts_with(SQLITE_NAME_INDEX));
    pg_indexes.remove(POSTGRES_NAME_INDEX);
    // PostgreSQL's place-keyed trigram index (0027) is the counterpart of the SQLite index's
    // place column: compared by the people tests too.
    pg_indexes.remove(POSTGRES_PLACE_INDEX);
    // The word indexes (0034) are each database's own too: SQLite's an FTS5 table with a word
    // tokenizer, PostgreSQL's a GIN over the name's words (compared by the people tests
    // instead).
    lite_columns.retain(|table, _| !table.starts_with(SQLITE_WORD_INDEX));
    pg_indexes.remove(POSTGRES_WORD_INDEX);
    pg_indexes.remove(POSTGRES_PLACE_WORD_INDEX);
    // The vocabulary's table is on both (SQLite since 0037); its trigram index on PostgreSQL
    // only (SQLite reads the small table whole).
    pg_indexes.remove(POSTGRES_VOCABULARY_INDEX);
    // PostgreSQL's btrees of a name's first and second words (0038) serve its national search
    // of one word, which SQLite's FTS5 word table answers already (test name_positions).
    for index in POSTGRES_WORD_POSITIONS {
        pg_indexes.remove(index);
    }

    assert!(
        lite_columns.contains_key("persons") && lite_columns.contains_key("audit_events"),
        "the schema was read: {:?}",
        lite_columns.keys().collect::<Vec<_>>()
    );
    let tables = |c: &Columns| c.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        tables(&lite_columns),
        tables(&pg_columns),
        "the same tables (SQLite left, PostgreSQL right)"
    );
    for (table, columns) in &lite_columns {
        assert_eq!(
            Some(columns),
            pg_columns.get(table),
            "the columns of {table} (SQLite left, PostgreSQL right)"
        );
    }
    assert!(!lite_indexes.is_empty(), "the indexes were read");
    let names = |i: &Indexes| i.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&lite_indexes),
        names(&pg_indexes),
        "the same indexes (SQLite left, PostgreSQL right)"
    );
    for (name, (table, columns)) in &lite_indexes {
        let (pg_table, pg_columns) = &pg_indexes[name];
        assert_eq!(table, pg_table, "index {name} is on the same table");
        let mut columns = columns.clone();
        if let Some((_, implicit)) = IMPLICIT_IN_SQLITE.iter().find(|(i, _)| i == name) {
            columns.extend(implicit.iter().map(|c| (*c).to_owned()));
        }
        assert_eq!(
            &columns, pg_columns,
            "index {name} covers the same columns (SQLite left, PostgreSQL right)"
        );
    }
}

/// The name search index of each database (migration 0016), compared by the people tests instead.
const SQLITE_NAME_INDEX: &str = "persons_name_index";
const POSTGRES_NAME_INDEX: &str = "persons_name_trgm";
const POSTGRES_WORD_POSITIONS: [&str; 2] = ["persons_first_word", "persons_second_word"];
const POSTGRES_PLACE_INDEX: &str = "persons_place_trgm";
/// The word indexes of each database (migration 0034).
const SQLITE_WORD_INDEX: &str = "persons_name_words";
const POSTGRES_WORD_INDEX: &str = "persons_name_words";
const POSTGRES_PLACE_WORD_INDEX: &str = "persons_place_words";
const POSTGRES_VOCABULARY_INDEX: &str = "person_name_words_trgm";

/// Indexes whose SQLite form carries columns implicitly that PostgreSQL names: a secondary index
/// of a `WITHOUT ROWID` table holds the table's primary key in every entry.
const IMPLICIT_IN_SQLITE: &[(&str, &[&str])] = &[
    // report_service_uses is WITHOUT ROWID, keyed (person_id, episode_id); PostgreSQL INCLUDEs
    // person_id so a report's count of people is an index-only scan there too.
    ("report_service_uses_period", &["person_id"]),
];
