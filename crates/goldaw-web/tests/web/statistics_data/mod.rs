//! Data the statistics tests share: people in four units (one velayat with many, one with
//! three, so that small cells appear), their cases and service episodes, imported through the
//! interchange files; and a site with accounts signed in.
#![allow(dead_code)]

use goldaw_core::codes::Role;
use goldaw_store::interchange::NoProgress;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use std::fmt::Write;
use std::sync::Arc;

pub const PASSWORD: &str = "Köýtendag 3137 metr";

/// (unit, people): Ahal's two etraps many, Balkan's one etrap three, an Ashgabat borough some.
pub const UNITS: [(&str, usize); 4] = [
    ("TM-A-01", 120),
    ("TM-A-02", 60),
    ("TM-B-01", 3),
    ("TM-S-01", 30),
];

/// Imports the people, cases and episodes: every person has a case (two in three still open)
/// and an episode of S04 or etrap social work starting in a month of 2025, half of them still
/// open; every seventh person only called the hotline (not a service user).
pub async fn load(store: &Store) {
    let mut households = String::from("household_id,admin_unit,settlement,address\n");
    let mut persons = String::from("person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n");
    let mut cases = String::from(
        "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id\n",
    );
    let mut episodes = String::from(
        "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units\n",
    );
    let mut i = 0usize;
    for (unit, n) in UNITS {
        for _ in 0..n {
            let sex = if i.is_multiple_of(3) { "M" } else { "F" };
            let born = 1940 + (i * 7) % 80;
            let walking = if i.is_multiple_of(5) { 3 } else { 1 };
            let group = match i % 4 {
                0 => "older_alone",
                1 => "large_family",
                _ => "",
            };
            let settlement = if i.is_multiple_of(2) {
                "urban"
            } else {
                "rural"
            };
            writeln!(households, "H{i:04},{unit},{settlement},").unwrap();
            writeln!(
                persons,
                "P{i:04},H{i:04},Aýna,Orazowa,{sex},{born}-0{}-1{},{unit},{settlement},false,1,1,{walking},1,1,1,{group}",
                1 + i % 9,
                i % 10
            )
            .unwrap();
            let (status, closed) = if i % 3 == 2 {
                ("closed", "2025-12-20")
            } else {
                ("active", "")
            };
            writeln!(
                cases,
                "C{i:04},P{i:04},{unit},2025-01-02,self,support,{status},{closed},"
            )
            .unwrap();
            let service = match i % 7 {
                6 => "HOTLINE",
                k if k % 2 == 0 => "S04",
                _ => "ETRAP_SW",
            };
            let ended = if i.is_multiple_of(2) {
                "2025-12-15"
            } else {
                ""
            };
            writeln!(
                episodes,
                "E{i:04},C{i:04},P{i:04},{service},,2025-{:02}-05,{ended},4",
                1 + i % 12
            )
            .unwrap();
            i += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("households.csv", households),
        ("persons.csv", persons),
        ("cases.csv", cases),
        ("service_episodes.csv", episodes),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    store
        .import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress))
        .await
        .unwrap();
}

/// Adds an account; answers it as a principal.
pub async fn account(store: &Store, username: &str, role: Role, scope: &str) -> Principal {
    let user = store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: username.into(),
                role,
                scope: scope.parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    Principal::user(user.id, username, role, scope.parse().unwrap(), false)
}

/// Serves the store on an ephemeral port; answers the site's base address.
pub async fn serve(store: &Store) -> String {
    let base = crate::common::TestApp::spawn(store).await.base;
    base
}
