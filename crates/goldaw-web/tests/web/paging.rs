//! Issue #24: the task list and the case list a page at a time, in the browser's pages and in
//! the API: every task reached once by following "next", nothing of another scope, a damaged
//! link refused with a reason, a role without tasks refused.

use crate::common::{allocated_case, api_client_for, TestApp};
use goldaw_core::codes::Role;
use reqwest::StatusCode;
use std::collections::BTreeSet;

const PASSWORD: &str = "Köpetdag dagy 2942 m";

/// The rows of the table `id` on a page: (case link, task) pairs.
fn rows(page: &str, table: &str) -> Vec<String> {
    let Some(start) = page.find(&format!("<table id=\"{table}\">")) else {
        return Vec::new();
    };
    let body = &page[start
        ..page[start..]
            .find("</table>")
            .map_or(page.len(), |e| start + e)];
    body.split("<tr")
        .filter(|r| r.contains("<a href=\"/cases/"))
        .map(|r| {
            r.split("<td>")
                .skip(1)
                .take(3)
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// The href of the "next page" link, unescaped.
fn next_href(page: &str) -> Option<String> {
    let at = page.find("id=\"next-page\"")?;
    let rest = &page[at..];
    let href = rest.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&amp;", "&"))
}

goldaw_store::each_backend! {
    async fn every_task_is_reached_once_through_the_pages_and_the_api(db: TestDb) {
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        app.account("sup", Role::Supervisor, "TM-A-01", PASSWORD).await;
        app.account("aman", Role::SocialWorker, "TM-A-01", PASSWORD).await;
        app.account("other", Role::SocialWorker, "TM-B", PASSWORD).await;
        let n = 60;
        for _ in 0..n {
            allocated_case(&store, "TM-A-01", "aman").await;
        }
        // Each case owes first contact and screening: 120 tasks, three pages of 50.
        let aman = app.sign_in("aman", PASSWORD).await;
        let mut seen = Vec::new();
        let mut path = "/tasks".to_owned();
        let mut pages = 0;
        loop {
            let (status, page) = app.page(&aman, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            pages += 1;
            seen.extend(rows(&page, "tasks"));
            match next_href(&page) {
                Some(next) => {
                    assert!(next.starts_with("/tasks?after="), "{next}");
                    path = next;
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 2 * n);
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "a task shown twice");

        // The supervisor's list is grouped by worker: one heading for aman on the first page.
        let sup = app.sign_in("sup", PASSWORD).await;
        let (status, page) = app.page(&sup, "/tasks").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("aman"), "{page}");
        assert_eq!(rows(&page, "tasks").len(), 50);

        // Another etrap's worker sees none of them; a damaged link is refused, nothing shown.
        let other = app.sign_in("other", PASSWORD).await;
        let (status, page) = app.page(&other, "/tasks").await;
        assert_eq!(status, StatusCode::OK);
        assert!(rows(&page, "tasks").is_empty());
        let (status, page) = app.page(&aman, "/tasks?after=zz").await;
        assert!(status.is_client_error(), "{status}");
        assert!(rows(&page, "tasks").is_empty());

        // The case list: 60 cases, two pages of 50, newest first, each once.
        let mut cases = Vec::new();
        let mut path = "/cases".to_owned();
        loop {
            let (status, page) = app.page(&sup, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            cases.extend(rows(&page, "cases"));
            match next_href(&page) {
                Some(next) => path = next,
                None => break,
            }
        }
        assert_eq!(cases.len(), n);
        assert_eq!(cases.iter().collect::<BTreeSet<_>>().len(), n);

        // The API: pages of 30 by `next`, each task once; bad input refused with a clear 4xx.
        let api = api_client_for(&store, &app.base, "aman-api", Role::SocialWorker, "TM-A-01").await;
        let (status, _) = api.send("GET", "/tasks", None).await;
        assert_eq!(status, StatusCode::OK);
        let worker = api_client_for(&store, &app.base, "sup-api", Role::Supervisor, "TM-A-01").await;
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/tasks?limit=30&after={a}"),
                None => "/tasks?limit=30".to_owned(),
            };
            let (status, body) = worker.send("GET", &path, None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let tasks = body["tasks"].as_array().unwrap();
            assert!(tasks.len() <= 30);
            all.extend(tasks.iter().map(|t| (t["case_id"].to_string(), t["kind"].to_string(), t["due"]["step"].to_string())));
            assert_eq!(body["by_worker"], true);
            match body["next"].as_str() {
                Some(n) => after = Some(n.to_owned()),
                None => break,
            }
        }
        assert_eq!(all.len(), 2 * n);
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), all.len());
        let (status, body) = worker.send("GET", "/tasks?after=zz", None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = worker.send("GET", "/tasks?limit=many", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, body) = worker.send("GET", "/cases?limit=25", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["items"].as_array().unwrap().len(), 25);
        let next = body["next"].as_str().unwrap().to_owned();
        let (status, body) = worker.send("GET", &format!("/cases?limit=50&after={next}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["items"].as_array().unwrap().len(), n - 25);
        assert!(body["next"].is_null());
        let planner = api_client_for(&store, &app.base, "plan-api", Role::Planner, "TM").await;
        let (status, _) = planner.send("GET", "/tasks", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
