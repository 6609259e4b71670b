//! The demo's costed plan for one velayat in real headless Chromium (Debian's chromium and chromium-driver,
//! installed by scripts/test.sh): `goldaw demo` fills an SQLite file, the web server serves it on 127.0.0.1,
//! demo-planner signs in, sees the workforce chart with its gap, opens Ahal's plan, runs the optimiser, and the
//! page's XLSX link gives the workbook whose totals are the page's.
//!
//! The WebDriver client is the few W3C calls below (as in crates/goldaw-web/tests/browser.rs, whose client is
//! private to that file).

use calamine::{Data, Reader, Xlsx};
use goldaw_store::{DatabaseUrl, Store};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    process: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn binary(name: &str) -> Option<String> {
    ["/usr/bin/", "/usr/local/bin/"]
        .iter()
        .map(|d| format!("{d}{name}"))
        .find(|p| std::path::Path::new(p).exists())
}

impl Driver {
    /// Starts chromedriver and a headless Chromium session; `None` (outside CI) if not installed.
    async fn start() -> Option<Driver> {
        let (Some(driver), Some(chromium)) = (binary("chromedriver"), binary("chromium")) else {
            if std::env::var_os("CI").is_some() {
                panic!("chromium and chromedriver are required: scripts/test.sh installs them");
            }
            eprintln!("note: chromium/chromedriver not installed, browser test skipped");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let process = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                let v: Value = r.json().await.unwrap_or_default();
                if v["value"]["ready"] == true {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_owned();
        Some(Driver {
            process,
            base,
            session,
            http,
            _profile: profile,
        })
    }

    async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({"url": url})).await;
    }

    /// The element for a CSS selector, waiting up to 10 s for it to appear.
    async fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let v = self
                .cmd(
                    "POST",
                    "/element",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no element {css}: {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/clear"), json!({}))
            .await;
        self.cmd(
            "POST",
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/click"), json!({}))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.cmd("GET", &format!("/element/{id}/text"), json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits (up to 10 s) until the element's text contains `needle`; returns what it last saw.
    async fn text_containing(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let v = self
                .cmd(
                    "POST",
                    "/element",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            let text = match v[ELEMENT].as_str() {
                Some(id) => self
                    .cmd("GET", &format!("/element/{id}/text"), json!({}))
                    .await
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                None => String::new(),
            };
            if text.contains(needle) || started.elapsed() > Duration::from_secs(10) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn attribute(&self, css: &str, name: &str) -> String {
        let id = self.find(css).await;
        self.cmd("GET", &format!("/element/{id}/attribute/{name}"), json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A cookie of the page (HttpOnly ones too: WebDriver sees them).
    async fn cookie(&self, name: &str) -> String {
        self.cmd("GET", &format!("/cookie/{name}"), json!({})).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn quit(&self) {
        self.cmd("DELETE", "", json!({})).await;
    }
}

/// `12,345.60` → 12345.60
fn amount(text: &str) -> f64 {
    text.replace(',', "")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not an amount: {text}"))
}

#[tokio::test]
async fn the_demo_planner_opens_ahals_costed_plan_and_its_workbook_in_chromium() {
    let Some(browser) = Driver::start().await else {
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
    let store = Store::open(&url).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve(store.clone(), listener));

    // Sign in as the demo planner, in English.
    browser.goto(&format!("{site}/login")).await;
    browser.click("a[lang=en]").await;
    browser.type_into("#username", "demo-planner").await;
    browser.type_into("#password", "goldaw-demo-2026").await;
    browser.click("#sign-in").await;
    browser.find("#home-title").await;

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
    browser.type_into("#budget", "200000").await;
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
