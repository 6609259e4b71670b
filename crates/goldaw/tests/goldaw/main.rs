//! The goldaw binary's integration tests, one test binary (issue #17, item 6): each former test
//! file is a module here. They run the built `goldaw` program (`CARGO_BIN_EXE_goldaw`) in a
//! folder of their own, so they share no process state.

/// Chromium through chromedriver, shared with the web crate's browser tests.
#[path = "../../../goldaw-web/tests/web/webdriver/mod.rs"]
mod webdriver;

mod audit_and_demo;
mod cli;
mod cli_accounts;
mod indicators;
mod operations;
mod plan_costing;
mod plan_gaps;
mod planning_browser;
mod report;
mod report_dhis2;
mod serve_options;
mod statistics_browser;
