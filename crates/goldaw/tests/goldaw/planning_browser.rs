//! The demo's costed plan for one velayat in real headless Chromium (Debian's chromium and chromium-driver,
//! installed by scripts/test.sh): `goldaw demo` fills an SQLite file, the web server serves it on 127.0.0.1,
//! demo-planner signs in, sees the workforce chart with its gap, opens Ahal's plan, runs the optimiser, and the
//! page's XLSX link gives the workbook whose totals are the page's.
//!
//! The WebDriver client is goldaw-web's (`crates/goldaw-web/tests/web/webdriver/`), shared by path.

use crate::webdriver;

use calamine::{Data, Reader, Xlsx};
use goldaw_store::{DatabaseUrl, Store};
use std::process::Command;

use webdriver::Driver;

/// `12,345.60` → 12345.60
fn amount(text: &str) -> f64 {
    text.replace(',', "")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not an amount: {text}"))
}

#[tokio::test]
async fn the_demo_planner_opens_ahals_costed_plan_and_its_workbook_in_chromium() {
    let Some(browser) = Driver::start("1280,900").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir.path())
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_ENCRYPTION_KEY")
        .env_remove("GOLDAW_ENCRYPTION_KEY_FILE")
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = DatabaseUrl::Sqlite(dir.path().join("goldaw-data").join("goldaw.db"));
    // Served as `goldaw serve` does, with the operator's key: the two-factor secrets are sealed
    // with it, and readers without the unsuppressed grant get counts perturbed with it.
    let key = goldaw_store::crypto::Secrets::from_key([6u8; 32]);
    let store = Store::open_with_secrets(&url, Some(key)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve(store.clone(), listener));

    // Sign in as the demo planner, in English.
    browser.goto(&format!("{site}/login")).await;
    browser.click("a[lang=en]").await;
    browser.replace_text("#username", "demo-planner").await;
    browser.replace_text("#password", "goldaw-demo-2026").await;
    browser.click("#sign-in").await;
    // A national account signs in with two factors.
    browser.second_factor("demo-planner").await;

    // The navigation leads to the workforce chart, with the gap shaded and labelled.
    browser.click("nav a[href='/planning']").await;
    browser.find("#workforce-chart").await;
    browser.find("#gap-area").await;
    assert_eq!(
        browser.text_containing("#summary", "gap 171").await,
        "In 2030: 1,070 social workers in post against a requirement of 1,241; gap 171."
    );

    // The chooser, then Ahal's plan.
    browser.click("#to-velayats").await;
    browser.click("a[href='/planning/velayat/TM-A']").await;
    assert_eq!(
        browser.text_containing("#plan-title", "Ahal").await,
        "Costed draft service development plan: Ahal Region (TM-A)"
    );
    assert!(browser
        .text("#composed-warning")
        .await
        .contains("composed placeholders"));
    // The demo's providers give places; Gökdepe's cases give assessed need.
    let places: u64 = browser
        .text("#total-places")
        .await
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(places >= 100, "places from the demo's offers: {places}");
    let gokdepe = browser.text("#etrap-TM-A-05").await;
    assert!(
        gokdepe.contains("Need from assessments, support plans and waiting lists."),
        "{gokdepe}"
    );
    let page_cost = amount(&browser.text("#total-cost").await);
    let page_gap: f64 = amount(&browser.text("#total-gap").await);
    assert!(page_cost > 0.0 && page_gap > 0.0);

    // The optimiser under 200,000 manat a year.
    browser.replace_text("#budget", "200000").await;
    browser.click("#optimise").await;
    let summary = browser
        .text_containing("#optimiser-summary", "more people")
        .await;
    assert!(
        summary.starts_with("Opening places where they meet the most need serves"),
        "{summary}"
    );
    let extra = amount(&browser.text("#extra-met").await);
    let optimised = amount(&browser.text("#optimised-met").await);
    let baseline = amount(&browser.text("#baseline-met").await);
    assert_eq!(optimised - baseline, extra);
    assert!(extra > 0.0, "{summary}");

    // The page's XLSX link, fetched with the browser's session: the workbook's totals are the page's.
    let href = browser.attribute("#xlsx-link", "href").await;
    assert_eq!(href, "/planning/velayat/TM-A/plan.xlsx");
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
    let range = book.worksheet_range("TM-A plan").unwrap();
    let total_row = (0..range.height() as u32)
        .find(|r| range.get_value((*r, 0)) == Some(&Data::String("Total TM-A".into())))
        .expect("a totals row");
    let number = |c: u32| match range.get_value((total_row, c)) {
        Some(Data::Float(x)) => *x,
        other => panic!("not a number: {other:?}"),
    };
    assert_eq!(number(8), page_gap);
    assert!(
        (number(10) - page_cost).abs() < 0.005,
        "{} vs {page_cost}",
        number(10)
    );

    // The print view.
    browser.click("#print-link").await;
    assert_eq!(
        browser.text_containing("#plan-title", "Ahal").await,
        "Costed draft service development plan: Ahal Region (TM-A)"
    );
    browser.quit().await;
}
