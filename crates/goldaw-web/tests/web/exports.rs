//! Issue #16, area "exports", over HTTP on SQLite and PostgreSQL:
//! - every download a person opens in a spreadsheet (the audit CSV, the statistics CSV and
//!   workbook, the plan's workbook) quotes a text cell that could run as a formula, whether a
//!   failed sign-in's username, an audit detail or a place's name put in by an administrator's
//!   file; numbers stay numbers; the interchange export keeps the same value exactly;
//! - the providers' register refuses offers of the etrap social work service and the hotline
//!   (422 through the API, a translated refusal on the page; nothing stored), and only those who
//!   keep the register may offer at all (403).

use calamine::{Data, Reader, Xlsx};
use goldaw_core::codes::Role;
use goldaw_core::spreadsheet::is_formula_like;
use goldaw_store::audit::AuditEvent;
use goldaw_store::interchange::NoProgress;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};
use serde_json::json;
use std::sync::Arc;

use crate::common;
use crate::statistics_data;
use statistics_data::{account, load, serve, PASSWORD};

/// A text for each character that starts a formula (OWASP's list).
const HOSTILE: [&str; 6] = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
];

const LINK: &str = "=HYPERLINK(\"http://x\",\"y\")";

async fn get(base: &str, cookie: &str, path: &str) -> reqwest::Response {
    common::client()
        .get(format!("{base}{path}"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// The cells of a CSV file, header included.
fn csv_cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// No cell of the file could be read as a formula: each is text that starts with none of the
/// characters of a formula, or a plain number (`-2.5`).
fn assert_no_formula(cells: &[Vec<String>], what: &str) {
    for row in cells {
        for cell in row {
            assert!(
                !is_formula_like(cell) || plain_number(cell),
                "{what}: {cell:?} in {row:?}"
            );
        }
    }
}

/// `-2.5`, `-12`: digits and at most one dot after a minus (written out here rather than asking
/// the code under test).
fn plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.matches('.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.')
}

/// The first worksheet of a workbook: (row, column, value) of every cell.
fn workbook_cells(bytes: Vec<u8>) -> Vec<(u32, u32, Data)> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .cells()
        .map(|(r, c, d)| (r as u32, c as u32, d.clone()))
        .collect()
}

fn text_at(cells: &[(u32, u32, Data)], row: u32, col: u32) -> Option<String> {
    cells.iter().find_map(|(r, c, d)| match d {
        Data::String(s) if (*r, *c) == (row, col) => Some(s.clone()),
        _ => None,
    })
}

/// The row whose first cell is `code`.
fn row_of(cells: &[(u32, u32, Data)], code: &str) -> u32 {
    cells
        .iter()
        .find(|(_, c, d)| *c == 0 && *d == Data::String(code.into()))
        .map(|(r, _, _)| *r)
        .unwrap_or_else(|| panic!("no row {code}"))
}

fn assert_no_formula_in_workbook(cells: &[(u32, u32, Data)], what: &str) {
    for (r, c, d) in cells {
        if let Data::String(s) = d {
            assert!(!is_formula_like(s), "{what} ({r},{c}): {s:?}");
        }
    }
}

goldaw_store::each_backend! {
    async fn the_audit_csv_quotes_usernames_and_details_that_could_run_as_formulas(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let op = Principal::system("test");
        let root = store
            .add_user(
                &op,
                NewUser {
                    username: "root".into(),
                    role: Role::Admin,
                    scope: "TM".parse().unwrap(),
                    sensitive: false,
                    unsuppressed: false,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        account(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let base = serve(&store).await;

        // Someone types formulas as usernames at the sign-in form.
        for name in HOSTILE {
            let s = common::sign_in_full(&base, name, "not the password at all").await;
            assert!(s.session.is_none(), "{b}: {name:?} signed in");
        }
        // A record's own values: an actor and a detail as the store keeps them (what a failed
        // sign-in records may become a marker instead of the name typed; these stay).
        for text in HOSTILE {
            let actor = Principal::system("test").with_actor(text);
            store
                .audit(&actor, AuditEvent::plain("test.hostile").with_detail(text))
                .await
                .unwrap();
        }

        let admin = common::sign_in(&base, "root", PASSWORD).await.1.unwrap();
        common::enrol(&store, &base, &admin, root.id, "root").await;
        let r = get(&base, &admin, "/admin/audit.csv").await;
        assert_eq!(r.status(), StatusCode::OK, "{b}");
        let text = r.text().await.unwrap();
        let cells = csv_cells(&text);
        assert_eq!(
            cells[0],
            [
                "seq",
                "at",
                "actor",
                "source",
                "action",
                "entity",
                "entity_id",
                "detail"
            ]
        );
        assert_no_formula(&cells, b);
        let hostile_rows: Vec<&Vec<String>> =
            cells.iter().filter(|r| r[4] == "test.hostile").collect();
        assert_eq!(hostile_rows.len(), HOSTILE.len(), "{b}: {text}");
        for text in HOSTILE {
            let quoted = format!("'{text}");
            assert!(
                hostile_rows
                    .iter()
                    .any(|r| r[2] == quoted && r[7] == quoted),
                "{b}: {quoted:?} not found as actor and detail in {hostile_rows:?}"
            );
        }
        assert!(
            cells.iter().filter(|r| r[4] == "signin.failed").count() >= HOSTILE.len(),
            "{b}: {text}"
        );
        // The sequence numbers stay numbers.
        assert!(cells[1..].iter().all(|r| r[0].parse::<u64>().is_ok()));

        // A social worker gets no audit log.
        let worker = common::sign_in(&base, "worker", PASSWORD).await.1.unwrap();
        assert_eq!(
            get(&base, &worker, "/admin/audit.csv").await.status(),
            StatusCode::FORBIDDEN,
            "{b}"
        );
        store.close().await;
    }
}

/// A borough renamed by an administrator's `admin_units.csv` to names that are formulas, in all
/// three languages.
async fn rename_borough(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("admin_units.csv"),
        "code,name_tk,name_en,name_ru,level,parent_code,population,population_year,source\n\
         TM-S-01,-1+2,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",@SUM(1),borough,TM-S,,,test\n",
    )
    .unwrap();
    store
        .import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress))
        .await
        .unwrap();
}

goldaw_store::each_backend! {
    async fn statistics_and_plans_quote_a_place_name_that_could_run_as_a_formula(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        load(&store).await;
        rename_borough(&store).await;
        account(&store, "ministry", Role::Ministry, "TM").await;
        account(&store, "planner", Role::Planner, "TM").await;
        let base = serve(&store).await;
        let ministry = common::sign_in(&base, "ministry", PASSWORD)
            .await
            .1
            .unwrap();
        let query = "indicator=service_users&from=2025-01-01&to=2025-12-31&by=admin_unit";

        // The statistics workbook names the places: the borough's name is quoted in each language.
        for (lang, name) in [("en", LINK), ("tk", "-1+2"), ("ru", "@SUM(1)")] {
            let cookie = format!("{ministry}; goldaw_lang={lang}");
            let r = get(&base, &cookie, &format!("/statistics.xlsx?{query}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{b} {lang}");
            let cells = workbook_cells(r.bytes().await.unwrap().to_vec());
            assert_no_formula_in_workbook(&cells, b);
            let row = row_of(&cells, "TM-S-01");
            assert_eq!(
                text_at(&cells, row, 1),
                Some(format!("'{name}")),
                "{b} {lang}"
            );
            // The count is a number cell (or empty when hidden), not text.
            assert!(
                cells
                    .iter()
                    .filter(|(r, c, _)| *r == row && *c == 2)
                    .all(|(_, _, d)| matches!(d, Data::Float(_) | Data::Empty)),
                "{b}"
            );
        }
        // The statistics CSV carries codes only; none is a formula, and the counts are numbers.
        let cookie = format!("{ministry}; goldaw_lang=en");
        let r = get(&base, &cookie, &format!("/statistics.csv?{query}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{b}");
        let cells = csv_cells(&r.text().await.unwrap());
        assert_no_formula(&cells, b);
        assert!(cells.iter().any(|r| r[0] == "TM-S-01"), "{b}: {cells:?}");

        // The plan's workbook names the etraps: the borough's name is quoted, the figures are numbers.
        let planner = common::sign_in(&base, "planner", PASSWORD).await.1.unwrap();
        let cookie = format!("{planner}; goldaw_lang=en");
        let r = get(&base, &cookie, "/planning/velayat/TM-S/plan.xlsx").await;
        assert_eq!(r.status(), StatusCode::OK, "{b}");
        let cells = workbook_cells(r.bytes().await.unwrap().to_vec());
        assert_no_formula_in_workbook(&cells, b);
        let row = row_of(&cells, "TM-S-01");
        assert_eq!(text_at(&cells, row, 1), Some(format!("'{LINK}")), "{b}");
        for col in [4, 5, 7, 8, 9, 10] {
            assert!(
                cells
                    .iter()
                    .any(|(r, c, d)| (*r, *c) == (row, col) && matches!(d, Data::Float(_))),
                "{b}: column {col} of the plan is not a number"
            );
        }

        // The interchange export is data exchange, not a spreadsheet: the names stay exact.
        let dir = tempfile::tempdir().unwrap();
        store
            .export_dir(&Principal::system("test"), dir.path())
            .await
            .unwrap();
        let units = std::fs::read_to_string(dir.path().join("admin_units.csv")).unwrap();
        assert!(
            units.contains(
                "\nTM-S-01,-1+2,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",@SUM(1),borough,TM-S,"
            ),
            "{b}: {units}"
        );
        store.close().await;
    }
}

/// The statistics CSV and workbook of a table whose own column holds text that could be a
/// formula (a provider's or a worker's name) and whose figure is negative: the text is quoted,
/// the number stays a number.
#[test]
fn a_statistics_table_quotes_its_text_and_keeps_its_numbers() {
    use goldaw_core::disclosure::Rule;
    use goldaw_core::indicators::{Column, Figure, Indicator, Measure};
    use goldaw_core::statistics::Period;
    use goldaw_store::indicators::{Table, TableRow};
    use goldaw_web::statistics::{StatQuery, StatTable};
    let period = Period::new("2025-01-01".parse().unwrap(), "2025-12-31".parse().unwrap()).unwrap();
    let table = StatTable {
        query: StatQuery {
            indicator: Indicator::Episodes,
            period,
            dims: vec![],
            min_cell: None,
        },
        table: Table {
            indicator: Indicator::Episodes,
            period,
            dimensions: vec![],
            columns: vec![Column::Provider],
            measures: vec![Measure::Episodes, Measure::Units],
            rows: HOSTILE
                .iter()
                .map(|v| TableRow {
                    values: vec![(*v).to_owned()],
                    figures: vec![Figure::count(3), Figure::number(-2.5)],
                })
                .collect(),
            totals: vec![],
            rule: Rule::OFF,
            notes: vec![],
        },
    };
    let csv = goldaw_web::statistics_export::csv(&table);
    let cells = csv_cells(&csv);
    assert_no_formula(&cells, "csv");
    assert_eq!(cells[0], ["provider", "episodes", "units"]);
    for (row, v) in cells[1..].iter().zip(HOSTILE) {
        assert_eq!(row, &[format!("'{v}"), "3".into(), "-2.5".into()]);
    }

    let catalogue = goldaw_store::catalogue::Catalogue::default();
    let bytes = goldaw_web::statistics_export::xlsx(&table, &catalogue, "en").unwrap();
    let cells = workbook_cells(bytes);
    assert_no_formula_in_workbook(&cells, "xlsx");
    let first = goldaw_web::statistics_export::XLSX_HEADER_ROW + 1;
    for (i, v) in HOSTILE.iter().enumerate() {
        let r = first + i as u32;
        assert_eq!(text_at(&cells, r, 0), Some(format!("'{v}")));
        assert_eq!(text_at(&cells, r, 1), Some(format!("'{v}")));
        assert!(cells.contains(&(r, 3, Data::Float(-2.5))), "{cells:?}");
    }
}

goldaw_store::each_backend! {
    async fn the_register_refuses_offers_of_the_cases_own_work(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let base = serve(&store).await;
        let ministry = common::api_client_for(&store, &base, "min", Role::Ministry, "TM").await;
        let worker =
            common::api_client_for(&store, &base, "aman", Role::SocialWorker, "TM-A-01").await;
        let (status, provider) = ministry
            .send(
                "POST",
                "/providers",
                Some(json!({"external_id": "PR-Y", "name": "Ýeňme", "kind": "ngo"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {provider}");
        let id = provider["id"].as_str().unwrap().to_owned();
        let offers = format!("/providers/{id}/offers");

        for code in ["ETRAP_SW", "HOTLINE"] {
            let (status, body) = ministry
                .send(
                    "PUT",
                    &offers,
                    Some(json!({"service_code": code, "admin_unit": "TM-A-01", "places": 5})),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{b} {code}: {body}"
            );
            assert_eq!(body["error"]["code"], "invalid", "{b}: {body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(code) && message.contains("own work"),
                "{b}: {body}"
            );
        }
        // A worker never keeps the register.
        let (status, _) = worker
            .send(
                "PUT",
                &offers,
                Some(json!({"service_code": "S01", "admin_unit": "TM-A-01"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
        // Nothing was stored; a specialised service is offered.
        let op = Principal::system("test");
        let uuid = id.parse().unwrap();
        assert!(store.provider(&op, uuid).await.unwrap().offers.is_empty());
        let (status, body) = ministry
            .send(
                "PUT",
                &offers,
                Some(json!({"service_code": "S01", "admin_unit": "TM-A-01", "places": 5})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {body}");

        // The page refuses the same, in the reader's language, and stores nothing more.
        account(&store, "minpage", Role::Ministry, "TM").await;
        let session = common::sign_in(&base, "minpage", PASSWORD).await.1.unwrap();
        for (lang, words) in [
            (
                "en",
                "own work (the etrap social work service or the hotline)",
            ),
            ("ru", "собственная работа по делу"),
            ("tk", "işiň öz işi"),
        ] {
            let cookie = format!("{session}; goldaw_lang={lang}");
            let page = get(&base, &cookie, &format!("/providers/{id}"))
                .await
                .text()
                .await
                .unwrap();
            let r = common::client()
                .post(format!("{base}{offers}"))
                .header(header::COOKIE, &cookie)
                .form(&[
                    ("csrf", common::csrf_of(&page).as_str()),
                    ("service_code", "HOTLINE"),
                    ("admin_unit", "TM-A-01"),
                    ("places", "2"),
                    ("service_point", ""),
                    ("active", "true"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b} {lang}");
            let page = r.text().await.unwrap();
            assert!(
                page.contains(words) && page.contains("HOTLINE"),
                "{b} {lang}: {page}"
            );
            // The form offers neither service.
            let form = get(&base, &cookie, &format!("/providers/{id}"))
                .await
                .text()
                .await
                .unwrap();
            assert!(
                !form.contains("value=\"ETRAP_SW\"") && !form.contains("value=\"HOTLINE\""),
                "{b}"
            );
            assert!(form.contains("value=\"S01\""), "{b}: {form}");
        }
        let offers = store.provider(&op, uuid).await.unwrap().offers;
        assert_eq!(offers.len(), 1, "{b}");
        assert_eq!(offers[0].service_code.as_str(), "S01");
        store.close().await;
    }
}
