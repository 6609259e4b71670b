//! The WebDriver client of the browser tests: the dozen W3C calls they use, written here rather
//! than taken from a crate (the crates that exist pull a large dependency tree and by default
//! download drivers, which this machine cannot). Shared by `crates/goldaw-web/tests/web/browser.rs`
//! and `crates/goldaw/tests/goldaw/planning_browser.rs` (through `#[path]`); each uses a part of it.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    process: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
    /// The two-factor keys set up in this browser, per username, with the last time step whose
    /// code was sent (a code is good once): the authenticator app of the person at the keyboard.
    authenticator: std::sync::Mutex<std::collections::HashMap<String, (Vec<u8>, u64)>>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub fn binary(name: &str) -> Option<String> {
    ["/usr/bin/", "/usr/local/bin/"]
        .iter()
        .map(|d| format!("{d}{name}"))
        .find(|p| std::path::Path::new(p).exists())
}

impl Driver {
    /// Starts chromedriver and a headless Chromium session; `None` (outside CI) if not installed.
    pub async fn start(window: &str) -> Option<Driver> {
        let (Some(driver), Some(chromium)) = (binary("chromedriver"), binary("chromium")) else {
            if std::env::var_os("CI").is_some() {
                panic!("chromium and chromedriver are required: scripts/test.sh installs them");
            }
            eprintln!("note: chromium/chromedriver not installed, browser tests skipped (scripts/test.sh installs them)");
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
            let ready = http.get(format!("{base}/status")).send().await.ok();
            if let Some(r) = ready {
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
            // The console, for the messages of blocked content (Content-Security-Policy).
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", format!("--window-size={window}"),
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
            authenticator: Default::default(),
        })
    }

    pub async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({"url": url})).await;
    }

    /// The element for a CSS selector, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> String {
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

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd(
            "POST",
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/click"), json!({}))
            .await;
    }

    /// Waits until the element's text is `expected`; returns what it last saw.
    pub async fn text_becomes(&self, css: &str, expected: &str) -> String {
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
            if text == expected || started.elapsed() > Duration::from_secs(10) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn url(&self) -> String {
        self.cmd("GET", "/url", json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Clears the field, then types `text` (where the field may hold a value already).
    pub async fn replace_text(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/clear"), json!({}))
            .await;
        self.type_into(css, text).await;
    }

    pub async fn attribute(&self, css: &str, name: &str) -> String {
        let id = self.find(css).await;
        self.cmd("GET", &format!("/element/{id}/attribute/{name}"), json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A cookie of the page (HttpOnly ones too: WebDriver sees them).
    pub async fn cookie(&self, name: &str) -> String {
        self.cmd("GET", &format!("/cookie/{name}"), json!({})).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Clicks every element the selector finds (each radio of a kind on a form page).
    pub async fn click_all(&self, css: &str) {
        let found = self
            .cmd(
                "POST",
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        for element in found.as_array().into_iter().flatten() {
            if let Some(id) = element[ELEMENT].as_str() {
                self.cmd("POST", &format!("/element/{id}/click"), json!({}))
                    .await;
            }
        }
    }

    /// Whether the page has an element for the selector now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        let found = self
            .cmd(
                "POST",
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found.as_array().is_some_and(|a| !a.is_empty())
    }

    /// Waits (up to 10 s, as pages load after a form) until the element's text contains `needle`;
    /// returns what it last saw.
    pub async fn text_containing(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let text = self.text(css).await;
            if text.contains(needle) || started.elapsed() > Duration::from_secs(10) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.cmd("GET", &format!("/element/{id}/text"), json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// After the password: if the page asks for a second factor (an admin, or an account with a
    /// wide grant), answers it as a person with an authenticator app would, setting it up from
    /// the key the page shows the first time. Returns once the home page is there.
    pub async fn second_factor(&self, username: &str) {
        let started = Instant::now();
        while !self.exists("#home-title").await && !self.exists("#totp-title").await {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "neither the home page nor the code form after signing in as {username}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if self.exists("#home-title").await {
            return;
        }
        if self.exists("#secret").await {
            let encoded = self.attribute("#secret", "value").await;
            let secret = totp_rs::Secret::Encoded(encoded).to_bytes().unwrap();
            self.authenticator
                .lock()
                .unwrap()
                .insert(username.to_owned(), (secret, 0));
        }
        let code = loop {
            let (secret, last) = self
                .authenticator
                .lock()
                .unwrap()
                .get(username)
                .cloned()
                .unwrap_or_else(|| {
                    panic!("no two-factor key set up for {username} in this browser")
                });
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                / 30;
            // This step's code, or the next one's if that was used (one step of drift is allowed).
            let step = now.max(last + 1);
            if step <= now + 1 {
                self.authenticator
                    .lock()
                    .unwrap()
                    .insert(username.to_owned(), (secret.clone(), step));
                let totp = totp_rs::TOTP::new(
                    totp_rs::Algorithm::SHA1,
                    6,
                    0,
                    30,
                    secret,
                    Some("goldaw".into()),
                    username.to_owned(),
                )
                .unwrap();
                break totp.generate(step * 30);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        self.type_into("#code", &code).await;
        self.click("#confirm").await;
        self.find("#home-title").await;
    }

    pub async fn quit(&self) {
        self.cmd("DELETE", "", json!({})).await;
    }
}
