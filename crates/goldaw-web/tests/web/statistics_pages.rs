//! The statistics pages over HTTP on SQLite and PostgreSQL: the report table shows the store's
//! published figures (hidden ones marked, never a number), its charts have titles and draw no
//! hidden bar; the CSV and the XLSX (read back with calamine) carry the same table; the
//! dashboard's headline figures are the store's; the DHIS2 download has DHIS2's shape and leaves
//! hidden cells out; bad parameters are named and change nothing. The readers here have no
//! grant to see unsuppressed statistics: the shown counts are perturbed by at most 3 (the same
//! on every page, download and export), and a period that is not a calendar one is refused in
//! the reader's language.

use calamine::{Data, Reader, Xlsx};
use goldaw_core::codes::Role;
use goldaw_core::disclosure::Published;
use goldaw_core::indicators::{Figure, Indicator};
use goldaw_core::statistics::{Dimension, Period};
use goldaw_store::statistics::Suppression;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};
use std::collections::BTreeMap;

use crate::common;
use crate::statistics_data;
use statistics_data::{account, load, serve, PASSWORD};

async fn get(base: &str, cookie: &str, path: &str) -> reqwest::Response {
    common::client()
        .get(format!("{base}{path}"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// Signs `username` in; the cookie with English chosen.
async fn session(base: &str, username: &str) -> String {
    let s = common::sign_in(base, username, PASSWORD).await.1.unwrap();
    format!("{s}; goldaw_lang=en")
}

fn year_2025() -> Period {
    Period::new("2025-01-01".parse().unwrap(), "2025-12-31".parse().unwrap()).unwrap()
}

/// The store's count in a row of a service-users table.
fn count(f: &Figure) -> Published<u64> {
    match f {
        Figure::Count { value } => *value,
        other => panic!("not a count: {other:?}"),
    }
}

/// The true counts, unsuppressed (the operator's principal has the grant): what every shown
/// figure must equal. Each published table is compared with these rather than with another
/// published copy, whose secondary cells may differ where counts tie.
async fn truth(store: &Store, period: Period, dims: &[Dimension]) -> BTreeMap<Vec<String>, u64> {
    store
        .indicator(
            &Principal::system("test"),
            Indicator::ServiceUsers,
            period,
            dims,
            Suppression::MinCell(0),
        )
        .await
        .unwrap()
        .rows
        .iter()
        .map(|r| (r.values.clone(), count(&r.figures[0]).value().unwrap()))
        .collect()
}

fn english_name(store: &Store, code: &str) -> String {
    store
        .catalogue()
        .admin_units
        .iter()
        .find(|u| u.code == code)
        .unwrap()
        .name_en
        .clone()
}

goldaw_store::each_backend! {
    async fn the_report_page_and_its_downloads_show_the_published_table(db: TestDb) {
        let store = db.open_with_key().await; // national accounts sign in with two factors
        load(&store).await;
        let ministry = account(&store, "ministry", Role::Ministry, "TM").await;
        let base = serve(&store).await;
        let cookie = session(&base, "ministry").await;

        // By velayat over 2025: Balkan's three people are hidden, and so is another velayat
        // (or the national total could give them back).
        let published = store
            .indicator(
                &ministry,
                Indicator::ServiceUsers,
                year_2025(),
                &[Dimension::Velayat],
                Suppression::Standard,
            )
            .await
            .unwrap();
        let balkan = published
            .rows
            .iter()
            .find(|r| r.values == ["TM-B"])
            .unwrap();
        assert!(count(&balkan.figures[0]).is_suppressed(), "{}", db.backend);
        let query = "indicator=service_users&from=2025-01-01&to=2025-12-31&by=velayat";
        let r = get(&base, &cookie, &format!("/statistics?{query}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{}", db.backend);
        let page = r.text().await.unwrap();
        let true_counts = truth(&store, year_2025(), &[Dimension::Velayat]).await;
        for row in &published.rows {
            // The store's own table: shown figures are true but for the noise, small ones hidden.
            let n = true_counts[&row.values];
            match count(&row.figures[0]) {
                Published::Shown { value } => assert!(value.abs_diff(n) <= 3, "{value} for {n}"),
                Published::Suppressed { .. } => {}
            }
            assert!(!(1..5).contains(&n) || row.figures[0].is_suppressed());
        }
        let mut hidden = 0;
        for row in &published.rows {
            let name = english_name(&store, &row.values[0]);
            match count(&row.figures[0]) {
                Published::Shown { value } => assert!(
                    page.contains(&format!("<td>{name}</td><td class=\"num\">{value}</td>")),
                    "{}: {name} {value} not on the page",
                    db.backend
                ),
                Published::Suppressed { .. } => {
                    hidden += 1;
                    assert!(
                        page.contains(&format!("<td>{name}</td><td class=\"num hidden-cell\"")),
                        "{}: {name} not marked hidden",
                        db.backend
                    );
                }
            }
        }
        assert!(hidden >= 2, "secondary suppression hides a second velayat");
        assert!(page.contains("id=\"suppression-note\""));
        assert!(page.contains("Counts from 1 to 4 are not published"));
        // The charts: titled, described, no bar for a hidden figure.
        assert!(
            page.contains(r#"<svg id="place-chart""#) && page.contains(r#"<svg id="time-chart""#)
        );
        assert!(page.contains("<title id=\"place-chart-title\">Service users by Velayat</title>"));
        let place_chart = page.split(r#"<svg id="place-chart""#).nth(1).unwrap();
        let place_chart = &place_chart[..place_chart.find("</svg>").unwrap()];
        let shown = published
            .rows
            .iter()
            .filter(|r| !r.figures[0].is_suppressed())
            .count();
        assert_eq!(place_chart.matches(r#"class="bar""#).count(), shown);
        assert_eq!(place_chart.matches(r#"class="hidden-bar""#).count(), hidden);
        assert!(
            place_chart.contains("Balkan Region: hidden"),
            "{place_chart}"
        );
        // Twelve months of 2025, each a published total.
        let time_chart = page.split(r#"<svg id="time-chart""#).nth(1).unwrap();
        let time_chart = &time_chart[..time_chart.find("</svg>").unwrap()];
        assert!(time_chart.contains("2025-01: ") && time_chart.contains("2025-12: "));
        let march =
            Period::new("2025-03-01".parse().unwrap(), "2025-03-31".parse().unwrap()).unwrap();
        let march_total = store
            .indicator(
                &ministry,
                Indicator::ServiceUsers,
                march,
                &[],
                Suppression::Standard,
            )
            .await
            .unwrap();
        let march_count = count(&march_total.rows[0].figures[0]).value().unwrap();
        assert!(
            time_chart.contains(&format!("2025-03: {march_count};")),
            "{}: {time_chart}",
            db.backend
        );

        // The CSV: the CLI's format, hidden counts empty.
        let r = get(&base, &cookie, &format!("/statistics.csv?{query}")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("service_users-2025-01-01-2025-12-31.csv"));
        let csv = r.text().await.unwrap();
        let mut expected = String::from("velayat,count\n");
        for row in &published.rows {
            let n = count(&row.figures[0])
                .value()
                .map(|n| n.to_string())
                .unwrap_or_default();
            expected.push_str(&format!("{},{n}\n", row.values[0]));
        }
        assert_eq!(csv, expected, "{}", db.backend);

        // The XLSX: the same rows, counts as numbers, hidden ones empty with the reason.
        let r = get(&base, &cookie, &format!("/statistics.xlsx?{query}")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap().to_vec();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("service_users").unwrap();
        let header_row = goldaw_web::statistics_export::XLSX_HEADER_ROW;
        assert_eq!(
            sheet.get_value((0, 0)),
            Some(&Data::String(
                "Service users, 2025-01-01 to 2025-12-31".into()
            ))
        );
        assert!(
            matches!(sheet.get_value((1, 0)), Some(Data::String(s)) if s.contains("Counts from 1 to 4"))
        );
        assert_eq!(
            sheet.get_value((header_row, 0)),
            Some(&Data::String("velayat".into()))
        );
        assert_eq!(
            sheet.get_value((header_row, 2)),
            Some(&Data::String("Service users".into()))
        );
        for (i, row) in published.rows.iter().enumerate() {
            let r = header_row + 1 + i as u32;
            assert_eq!(
                sheet.get_value((r, 0)),
                Some(&Data::String(row.values[0].clone()))
            );
            match count(&row.figures[0]) {
                Published::Shown { value } => {
                    assert_eq!(sheet.get_value((r, 2)), Some(&Data::Float(value as f64)))
                }
                Published::Suppressed { .. } => {
                    assert!(matches!(sheet.get_value((r, 2)), None | Some(Data::Empty)));
                    assert!(
                        matches!(sheet.get_value((r, 3)), Some(Data::String(s)) if s.starts_with("Hidden"))
                    );
                }
            }
        }
    }
}

goldaw_store::each_backend! {
    async fn bad_parameters_are_named_and_the_form_keeps_them(db: TestDb) {
        let store = db.open_with_key().await; // national accounts sign in with two factors
        load(&store).await;
        account(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let base = serve(&store).await;
        let cookie = session(&base, "worker").await;
        for (query, needle) in [
            (
                "from=2025-13-01&to=2025-12-31",
                "From: &#39;2025-13-01&#39; is not a date",
            ),
            ("from=2025-06-01&to=2025-01-31", "To: the period starts"),
            (
                "period=2025-Q1",
                "Period: &#39;2025-Q1&#39; is not a period",
            ),
            (
                "period=2025&by=gender",
                "Split by: unknown dimension &#39;gender&#39;",
            ),
            (
                "period=2025&min_cell=abc",
                "Hide counts below: &#39;abc&#39; is not a threshold",
            ),
            ("period=2025&indicator=users", "Indicator: &#39;users&#39;"),
            (
                "period=2025&indicator=coverage&by=disability",
                "cannot be split by &#39;disability&#39;",
            ),
            // Half a year, a day short of it: not a calendar period (issue #16, item 10).
            (
                "from=2025-01-01&to=2025-06-30",
                "2025-01-01 to 2025-06-30 is not a whole calendar month, quarter or year",
            ),
            (
                "indicator=funnel&from=2025-01-01&to=2025-06-29",
                "is not a whole calendar month, quarter or year",
            ),
        ] {
            let r = get(&base, &cookie, &format!("/statistics?{query}")).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
            let page = r.text().await.unwrap();
            assert!(page.contains("id=\"report-errors\""), "{query}");
            assert!(page.contains(needle), "{}: {query}: {page}", db.backend);
            assert!(
                !page.contains("id=\"report-table\""),
                "no table for {query}"
            );
        }
        // The refusal in the reader's language.
        let ru = cookie.replace("goldaw_lang=en", "goldaw_lang=ru");
        let page = get(&base, &ru, "/statistics?from=2025-01-01&to=2025-06-30")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("не целый календарный месяц, квартал или год"),
            "{page}"
        );
        // What was typed stays in the form.
        let page = get(
            &base,
            &cookie,
            "/statistics?from=2025-13-01&to=2025-12-31&by=sex",
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(page.contains(r#"name="from" value="2025-13-01""#));
        assert!(page.contains(r#"id="by-sex" checked"#), "{page}");
        // Below the standard threshold needs the grant: a worker is refused.
        let r = get(&base, &cookie, "/statistics?period=2025&min_cell=2").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains("needs the grant"));
        let r = get(&base, &cookie, "/statistics.csv?period=2025&min_cell=0").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = get(&base, &cookie, "/statistics.xlsx?period=20251").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}

goldaw_store::each_backend! {
    async fn the_dashboard_shows_the_areas_headline_figures(db: TestDb) {
        let store = db.open_with_key().await; // national accounts sign in with two factors
        load(&store).await;
        let worker = account(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let base = serve(&store).await;
        let cookie = session(&base, "worker").await;
        let r = get(&base, &cookie, "/statistics/dashboard").await;
        assert_eq!(r.status(), StatusCode::OK, "{}", db.backend);
        let page = r.text().await.unwrap();
        assert!(page.contains(&format!("Dashboard: {}", english_name(&store, "TM-A-01"))));
        let today = goldaw_web::statistics::today();
        let last_year = goldaw_core::periods::CalendarPeriod::year_of(today)
            .previous()
            .period();
        let published = store
            .indicator(
                &worker,
                Indicator::ServiceUsers,
                last_year,
                &[],
                Suppression::Standard,
            )
            .await
            .unwrap();
        let expected = published
            .rows
            .first()
            .map_or(0, |r| count(&r.figures[0]).value().unwrap());
        let card = page.split(r#"id="users-last-year""#).nth(1).unwrap();
        assert!(
            card.contains(&format!("<div class=\"value\">{expected}<")),
            "{}: {card}",
            db.backend
        );
        let open = store.open_cases(&worker).await.unwrap().value().unwrap();
        assert!(open >= 5, "two in three of TM-A-01's cases are open");
        let card = page.split(r#"id="cases-open""#).nth(1).unwrap();
        assert!(
            card.contains(&format!("<div class=\"value\">{open}</div>")),
            "{card}"
        );
        assert!(page.contains(r#"<svg id="place-chart""#));
        assert!(page.contains(r#"<svg id="time-chart""#));
        // The home page links to it.
        let home = get(&base, &cookie, "/").await.text().await.unwrap();
        assert!(home.contains(r#"href="/statistics/dashboard" id="home-statistics""#));
    }
}

goldaw_store::each_backend! {
    /// The DHIS2 download: DHIS2's field names, values as strings, identifiers of 11 letters and
    /// digits, the period as asked; one value per shown cell of each mapped table, none for a
    /// hidden one.
    async fn the_dhis2_download_has_dhis2s_shape_and_no_hidden_cell(db: TestDb) {
        let store = db.open_with_key().await; // national accounts sign in with two factors
        load(&store).await;
        let ministry = account(&store, "ministry", Role::Ministry, "TM").await;
        account(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let base = serve(&store).await;
        let cookie = session(&base, "ministry").await;
        let r = get(&base, &cookie, "/statistics/dhis2.json?period=2025").await;
        assert_eq!(r.status(), StatusCode::OK, "{}", db.backend);
        let set: serde_json::Value = r.json().await.unwrap();
        check_data_value_set(&set, "2025");
        let mapping = goldaw_core::dhis2::Mapping::shipped().unwrap();
        let values = set["dataValues"].as_array().unwrap();
        let mut small_left_out = 0;
        for element in &mapping.elements {
            let true_counts = truth(&store, year_2025(), &element.dimensions()).await;
            let exported: Vec<&serde_json::Value> = values
                .iter()
                .filter(|v| v["dataElement"] == element.data_element.as_str())
                .collect();
            assert!(!exported.is_empty());
            // Every exported value is a (perturbed) count of a cell of this table, never small.
            for v in &exported {
                let n: u64 = v["value"].as_str().unwrap().parse().unwrap();
                assert!(
                    n == 0 || n >= 5,
                    "{}: a small count exported: {v}",
                    db.backend
                );
                let cell = true_counts.iter().find(|(key, count)| {
                    let unit = match element.place.dimension() {
                        Some(_) => key[0].as_str(),
                        None => "TM",
                    };
                    let by = &key[usize::from(element.place.dimension().is_some())..];
                    // Perturbed for a reader without the grant: within 3 of the true count.
                    count.abs_diff(n) <= 3
                        && v["orgUnit"] == mapping.org_units[unit].as_str()
                        && v["categoryOptionCombo"]
                            == element.combos.get(by).map_or("", |c| c.as_str())
                });
                assert!(
                    cell.is_some(),
                    "{}: {v} is no cell of the table",
                    db.backend
                );
            }
            small_left_out += true_counts.values().filter(|n| (1..5).contains(*n)).count();
            assert!(exported.len() <= true_counts.len());
        }
        assert!(small_left_out > 0, "the data has small cells, all left out");
        let _ = &ministry;

        // Bad period, a worker, an unreadable mapping are refused.
        let r = get(&base, &cookie, "/statistics/dhis2.json?period=2025W01").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let worker = session(&base, "worker").await;
        let r = get(&base, &worker, "/statistics/dhis2.json?period=2025").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

/// What DHIS2's dataValueSets import reads: an object with `dataValues`, each with exactly
/// these fields, every identifier a DHIS2 uid, the value a string holding a whole number.
pub fn check_data_value_set(set: &serde_json::Value, period: &str) {
    let uid = |s: &str| {
        s.len() == 11
            && s.chars().all(|c| c.is_ascii_alphanumeric())
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
    };
    let top = set.as_object().expect("an object");
    for key in top.keys() {
        assert!(["dataSet", "dataValues"].contains(&key.as_str()), "{key}");
    }
    if let Some(ds) = top.get("dataSet") {
        assert!(uid(ds.as_str().unwrap()));
    }
    let values = top["dataValues"].as_array().expect("dataValues is a list");
    assert!(!values.is_empty());
    for v in values {
        let v = v.as_object().unwrap();
        let mut keys: Vec<&str> = v.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "categoryOptionCombo",
                "dataElement",
                "orgUnit",
                "period",
                "value"
            ]
        );
        for k in ["dataElement", "orgUnit", "categoryOptionCombo"] {
            assert!(uid(v[k].as_str().unwrap()), "{k}: {}", v[k]);
        }
        assert_eq!(v["period"], period);
        let value = v["value"].as_str().expect("the value is a string");
        assert!(value.parse::<u64>().is_ok(), "{value}");
    }
}

#[tokio::test]
async fn a_velayat_planner_sees_its_etraps_and_a_provider_no_statistics() {
    let db = goldaw_store::testing::sqlite().await;
    let store = db.open_with_key().await; // national accounts sign in with two factors
    load(&store).await;
    let planner = account(&store, "planner", Role::Planner, "TM-A").await;
    account(&store, "provider", Role::Provider, "provider:PR1").await;
    let base = serve(&store).await;
    let cookie = session(&base, "planner").await;
    let page = get(&base, &cookie, "/statistics?period=2025&by=admin_unit")
        .await
        .text()
        .await
        .unwrap();
    // Only Ahal's etraps: nothing of Balkan or Ashgabat.
    assert!(page.contains(&english_name(&store, "TM-A-01")));
    assert!(!page.contains(&english_name(&store, "TM-B-01")));
    assert!(!page.contains(&english_name(&store, "TM-S-01")));
    let table = store
        .indicator(
            &planner,
            Indicator::ServiceUsers,
            year_2025(),
            &[Dimension::AdminUnit],
            Suppression::Standard,
        )
        .await
        .unwrap();
    assert!(table.rows.iter().all(|r| r.values[0].starts_with("TM-A-")));
    let provider = session(&base, "provider").await;
    assert_eq!(
        get(&base, &provider, "/statistics/dashboard")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let _ = Principal::system("unused");
}

goldaw_store::each_backend! {
    /// Indicators with their own columns and rates: the funnel's steps and the coverage of the
    /// nation are shown with the figures the store publishes, the DHIS2 form only to the ministry.
    async fn other_indicators_show_their_columns_and_rates(db: TestDb) {
        let store = db.open_with_key().await; // national accounts sign in with two factors
        load(&store).await;
        let ministry = account(&store, "ministry", Role::Ministry, "TM").await;
        let base = serve(&store).await;
        let cookie = session(&base, "ministry").await;
        let r = get(&base, &cookie, "/statistics?indicator=funnel&period=2025").await;
        assert_eq!(r.status(), StatusCode::OK, "{}", db.backend);
        let page = r.text().await.unwrap();
        assert!(page.contains("<th scope=\"col\">Step</th>"), "{page}");
        let funnel = store
            .indicator(
                &ministry,
                Indicator::Funnel,
                year_2025(),
                &[],
                Suppression::Standard,
            )
            .await
            .unwrap();
        let referral = funnel
            .rows
            .iter()
            .find(|r| r.values == ["referral"])
            .unwrap();
        let n = count(&referral.figures[0]).value().unwrap();
        assert!(n >= 200, "every imported case was referred in 2025");
        assert!(
            page.contains(&format!(
                "<td>Referral</td><td class=\"num\">{}</td>",
                group(n)
            )),
            "{page}"
        );
        assert!(
            !page.contains(r#"<svg id="time-chart""#),
            "no chart over time for own columns"
        );
        assert!(page.contains(r#"<svg id="place-chart""#));

        let page = get(
            &base,
            &cookie,
            "/statistics?indicator=coverage&period=2025&by=velayat",
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(page.contains("Per 100,000"), "{page}");
        assert!(page.contains("id=\"dhis2-form\""));
        let page = get(&base, &cookie, "/statistics/dashboard")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"<svg id="funnel-chart""#), "{page}");
        assert!(
            page.contains("per 100,000"),
            "national coverage on the dashboard: {page}"
        );
    }
}

/// `1,234` as the English pages write it.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
