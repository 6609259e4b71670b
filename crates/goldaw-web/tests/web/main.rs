//! The web crate's integration tests, one binary (issue #17, item 6): each former test file is a
//! module here, so the program links once instead of once per file. Shared helpers: [`common`]
//! (sign-in, forms, accounts), [`statistics_data`] (a loaded statistics world), [`webdriver`]
//! (Chromium through chromedriver, for the browser tests).

mod common;
mod statistics_data;
mod webdriver;

mod access;
mod api;
mod api_assessments;
mod api_attachments;
mod api_cases;
mod api_merges;
mod api_people;
mod api_referrals;
mod api_robustness;
mod api_statistics;
mod audit_connection;
mod browser;
mod case_scope;
mod caseload_norms;
mod contracting;
mod contracting_browser;
mod contracting_costing;
mod contracting_pages;
mod contracting_timeliness;
mod exports;
mod fuzz_inputs;
mod http;
mod open_doors;
mod open_doors_leftovers;
mod own_data_retention;
mod page_access;
mod pages;
mod pages_accounts;
mod pages_assessments;
mod pages_case_access;
mod pages_case_transfer;
mod pages_merge_undo;
mod pages_store_refusals;
mod paging;
mod paging_lists;
mod partner_pages;
mod people_pages;
mod planning_pages;
mod referral_offers;
mod serve_config;
mod statistics_pages;
mod survivors_browser;
mod survivors_incident;
mod survivors_leftovers;
mod survivors_pages;
mod workforce;
