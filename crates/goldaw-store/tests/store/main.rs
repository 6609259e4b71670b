//! The store's integration tests, one binary (issue #17, item 6): each former test file is a
//! module here, so the program links once instead of once per file. Shared set-up is in
//! [`helpers`]; tests that run on each backend use `goldaw_store::each_backend!`.
//!
//! `tests/statement_budget.rs` stays a binary of its own: it installs a process-global tracing
//! subscriber that records every statement sqlx runs, which would count other tests' statements
//! (and could not be installed twice) in a shared binary. `tests/audit_checkpoints.rs` is one too:
//! it holds the SQLite WAL to a size bound that depends on the background checkpoint keeping up,
//! so it must not share its process (and its two cores) with the other tests' load: in this
//! binary it saw 31 MB against a bound of 24 MiB, alone it stays within it as it always did.

mod helpers;

mod access;
mod accounts;
mod assessments;
mod attachments;
mod audit_group_commit;
mod audit_keyed;
mod cases;
mod contracting;
mod contracting_more;
mod contracting_timeliness;
mod differencing;
mod due_dates;
mod import_line_endings;
mod import_name_index;
mod import_paths;
mod import_pipeline;
mod indicators;
mod interchange;
mod merge_consents;
mod merge_undo;
mod merges;
mod name_index_scope;
mod name_positions;
mod name_words;
mod open_doors;
mod open_doors_leftovers;
mod own_work_offers;
mod paging_lists;
mod partner_pages;
mod people;
mod people_duplicates;
mod people_duplicates_vocabulary;
mod people_pages;
mod people_search;
mod planning;
mod pool_health;
mod privacy;
mod query_plans;
mod refer_in_transaction;
mod referrals;
mod refusal_keys;
mod report_service_uses;
mod retention;
mod schema_parity;
mod session_cache;
mod subject_access;
mod survivors;
mod survivors_incident;
mod survivors_leftovers;
mod user_changes;
mod workforce;
mod world;
