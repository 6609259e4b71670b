//! The statistics pages in real headless Chromium (Debian's chromium and chromium-driver,
//! installed by scripts/test.sh): `goldaw demo` fills an SQLite file, a ministry account is added
//! with `goldaw user add`, and the ministry user opens the dashboard from the home page, builds a
//! report by ticking dimensions, sees hidden counts marked and explained, and downloads the XLSX,
//! which holds the page's rows.
//!
//! The WebDriver client is goldaw-web's (`crates/goldaw-web/tests/web/webdriver/`), shared by path.

use crate::webdriver;

use calamine::{Data, Reader, Xlsx};
use goldaw_store::{DatabaseUrl, Store};
use std::io::Write;
use std::process::{Command, Stdio};

use webdriver::Driver;

const PASSWORD: &str = "Garagum 350000 km2";

fn goldaw(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_ENCRYPTION_KEY")
        .env_remove("GOLDAW_ENCRYPTION_KEY_FILE")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "goldaw {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn a_ministry_user_opens_the_dashboard_builds_a_report_and_downloads_it_in_chromium() {
    let Some(browser) = Driver::start("1024,900").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    goldaw(dir.path(), &["demo"], "");
    goldaw(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "nation",
            "--role",
            "ministry",
            "--scope",
            "TM",
        ],
        &format!("{PASSWORD}\n"),
    );
    let url = DatabaseUrl::Sqlite(dir.path().join("goldaw-data").join("goldaw.db"));
    // Served as `goldaw serve` does, with the operator's key: the two-factor secrets are sealed
    // with it, and readers without the unsuppressed grant get counts perturbed with it.
    let key = goldaw_store::crypto::Secrets::from_key([6u8; 32]);
    let store = Store::open_with_secrets(&url, Some(key)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve(store.clone(), listener));

    // Sign in, in English.
    browser.goto(&format!("{site}/login")).await;
    browser.click("a[lang=en]").await;
    browser.replace_text("#username", "nation").await;
    browser.replace_text("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    // A national account signs in with two factors.
    browser.second_factor("nation").await;

    // The home page leads to the nation's dashboard: headline figures and charts with titles.
    browser.click("#home-statistics").await;
    assert_eq!(
        browser
            .text_containing("#dashboard-title", "Dashboard")
            .await,
        "Dashboard: Turkmenistan"
    );
    let users = browser.text("#users-this-year .value").await;
    assert!(
        users == "•" || users.replace(',', "").parse::<u64>().is_ok(),
        "{users}"
    );
    browser.find("#time-chart").await;
    browser.find("#place-chart").await;
    assert!(!browser.text("#cases-open .value").await.is_empty());

    // A report by velayat (from the dashboard's link), then also by sex.
    browser.click("#to-report").await;
    browser.find("#report-table").await;
    browser.click("#by-sex").await;
    browser.replace_text("#order-sex", "2").await;
    browser.replace_text("#order-velayat", "1").await;
    browser.click("#show-report").await;
    let header = browser.text_containing("#report-table thead", "Sex").await;
    assert!(
        header.find("Velayat").unwrap() < header.find("Sex").unwrap(),
        "{header}"
    );
    // The demo's few people: small counts are hidden, marked and explained.
    assert!(browser.exists("td.hidden-cell").await, "a hidden count");
    assert!(browser
        .text("#suppression-note")
        .await
        .contains("Counts from 1 to 4 are not published"));
    browser.find("#hidden-count").await;

    // The XLSX link, fetched with the browser's session: the page's rows, hidden counts empty.
    let href = browser.attribute("#xlsx-link", "href").await;
    assert!(href.starts_with("/statistics.xlsx?"), "{href}");
    assert!(href.contains("by=velayat%2Csex"), "{href}");
    let session = browser.cookie("goldaw_session").await;
    let r = reqwest::Client::new()
        .get(format!("{site}{href}"))
        .header(
            reqwest::header::COOKIE,
            format!("goldaw_session={session}; goldaw_lang=en"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("service_users").unwrap();
    let header_row = goldaw_web::statistics_export::XLSX_HEADER_ROW;
    assert_eq!(
        sheet.get_value((header_row, 0)),
        Some(&Data::String("velayat".into()))
    );
    assert_eq!(
        sheet.get_value((header_row, 2)),
        Some(&Data::String("sex".into()))
    );
    let page_rows = browser
        .text("#report-table tbody")
        .await
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let sheet_rows = (header_row + 1..sheet.height() as u32)
        .filter(|r| matches!(sheet.get_value((*r, 0)), Some(Data::String(_))))
        .count();
    assert_eq!(sheet_rows, page_rows);
    let hidden_in_sheet = (header_row + 1..sheet.height() as u32)
        .filter(|r| matches!(sheet.get_value((*r, 5)), Some(Data::String(s)) if s.starts_with("Hidden")))
        .count();
    assert!(hidden_in_sheet > 0);
    browser.quit().await;
}
