//! Issue #22: the caseload page sets each worker against her own norm, scaled by her share of full
//! time in the workforce register, not the full-time norm for everyone.

use crate::common::{allocated_case, TestApp};
use goldaw_core::codes::Role;
use goldaw_store::workforce::NewStaff;
use goldaw_store::Principal;
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "Amyderýa kenarynda 2026";

/// The cells of the row of `worker` in the `#caseload` table.
fn row_of(page: &str, worker: &str) -> Vec<String> {
    let table = &page[page
        .find("<table id=\"caseload\">")
        .expect("the caseload table")..];
    let row = table
        .split("<tr")
        .find(|r| r.contains(&format!("<td>{worker}")))
        .unwrap_or_else(|| panic!("no row for {worker}: {table}"));
    row.split("<td>")
        .skip(1)
        .map(|c| c.split("</td>").next().unwrap_or("").trim().to_owned())
        .collect()
}

goldaw_store::each_backend! {
    async fn a_half_time_worker_is_measured_against_half_the_norm(db: TestDb) {
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        app.account("sup", Role::Supervisor, "TM-A-01", PASSWORD).await;
        app.account("aman", Role::SocialWorker, "TM-A-01", PASSWORD).await;
        app.account("jeren", Role::SocialWorker, "TM-A-01", PASSWORD).await;
        let hire = |id: &str, user: &str, employment: &str, fte: Option<u32>| {
            serde_json::from_value::<NewStaff>(json!({
                "external_id": id, "given_name": "Jeren", "family_name": "Orazowa",
                "admin_unit": "TM-A-01", "organisation": "MLSP", "org_kind": "state",
                "position": "social_worker", "employment": employment, "fte_percent": fte,
                "hired_on": "2024-01-10", "username": user
            }))
            .unwrap()
        };
        let op = Principal::system("test");
        store.hire_staff(&op, hire("CN-1", "jeren", "part_time", Some(50))).await.unwrap();
        // Aman has no staff record: the full norms.
        for _ in 0..14 {
            allocated_case(&store, "TM-A-01", "jeren").await;
        }
        allocated_case(&store, "TM-A-01", "aman").await;

        let sup = format!("{}; goldaw_lang=en", app.sign_in("sup", PASSWORD).await);
        let (status, page) = app.page(&sup, "/caseload").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let jeren = row_of(&page, "jeren");
        assert_eq!(jeren[1], "50%", "{jeren:?}");
        // 14 intensive cases over a half-time norm of 13 (25 scaled by 50%, rounded):
        // over the norm, and the row says so against her own norm, not 25.
        let norm = goldaw_core::workforce::scaled_norm(goldaw_store::cases::NORM_INTENSIVE, 50);
        assert!(norm < 14, "the scaled norm {norm}");
        assert!(jeren[2].starts_with(&format!("14 / {norm} ")), "{jeren:?}");
        assert!(jeren[0].contains("over the norm"), "{jeren:?}");
        let aman = row_of(&page, "aman");
        assert_eq!(aman[1], "100%", "{aman:?}");
        assert!(aman[2].starts_with("1 / 25 "), "{aman:?}");
        assert!(!aman[0].contains("over the norm"), "{aman:?}");
        // The page says the norms are scaled for part-time staff.
        assert!(page.contains("scaled by their share of full time"), "{page}");
    }
}
