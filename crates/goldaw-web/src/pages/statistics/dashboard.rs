//! The dashboard (`/statistics/dashboard`): the headline figures of the reader's area, kept in
//! memory for the configured time (`AppState::dashboard_cache`).

use super::charts::{bucket_label, horizontal_bars, table_bars, vertical_bars, Bar};
use super::report::store_refusal;
use super::{area_name, deny, figure, place_dimension, HIDDEN_MARK};
use crate::i18n::Translator;
use crate::pages::common::count;
use crate::pages::common::render;
use crate::pages::error::PageResult;
use crate::pages::extract::Signed;
use crate::pages::UserView;
use crate::statistics::{self, over_time, today, Figure, Indicator, Measure, StatQuery, StatTable};
use crate::statistics_export::{column_label, dimension_label, indicator_key};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use goldaw_core::access::Principal;
use goldaw_core::disclosure::Published;
use goldaw_core::periods::{buckets, CalendarPeriod, Step};
use goldaw_core::statistics::Period;
use goldaw_store::StoreError;

// ----- the dashboard ---------------------------------------------------------------------------

struct Headline {
    id: &'static str,
    label: String,
    value: String,
    note: String,
}

#[derive(Template)]
#[template(path = "statistics_dashboard.html")]
struct DashboardPage {
    t: Translator,
    user: Option<UserView>,
    title: String,
    headlines: Vec<Headline>,
    charts: Vec<String>,
    report_href: String,
}

pub(super) async fn dashboard(State(state): State<AppState>, signed: Signed) -> PageResult {
    if let Some(r) = deny(&signed) {
        return Ok(r);
    }
    let data = match dashboard_data(&state, signed.principal()).await {
        Ok(d) => d,
        Err(e) => {
            return Ok(match store_refusal(&signed, e) {
                Ok(message) => signed.refuse(StatusCode::BAD_REQUEST, message),
                Err(response) => response,
            })
        }
    };
    Ok(render(dashboard_page(&state, &signed, &data)))
}

/// An indicator the store does not compute yet answers `Invalid { field: "indicator" }`: the
/// dashboard shows a dash for it rather than failing.
fn unless_unbuilt<T>(r: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::Invalid { field, .. }) if field == "indicator" => Ok(None),
        Err(e) => Err(e),
    }
}

/// The published tables a dashboard shows, before they are put into words.
struct DashboardData {
    this_year: Period,
    last_year: Period,
    current: StatTable,
    previous: StatTable,
    coverage: Option<StatTable>,
    open: Published<u64>,
    place: StatTable,
    time: Vec<(CalendarPeriod, Figure)>,
    funnel: Option<StatTable>,
}

/// Awaits one of the dashboard's tables and logs how long it took (debug level, target
/// `goldaw_web::pages::statistics`): the tables run side by side, so this is the time until
/// the table was ready, which shows the one the page waits for.
async fn timed<T>(table: &'static str, work: impl std::future::Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let out = work.await;
    tracing::debug!(
        target: "goldaw_web::pages::statistics",
        table,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "dashboard table"
    );
    out
}

/// Dashboards by (database, area, release, day in Ashgabat), with when they were made. A
/// dashboard is the same for everyone who reads reports in an area with the same release (the
/// standard rule, no caseload; exact counts with the unsuppressed grant, perturbed ones without:
/// `goldaw_core::cell_key::Release`, and the exact ones must never be served to a reader without
/// the grant), so those are the key; the day in the key ends every entry at midnight, when the
/// year may change; the freshness limit bounds how old a figure can be within the day. At
/// national scale a dashboard is some fifteen published tables (seconds on a loaded machine;
/// docs/statistics-outputs.md, "Speed"), served from here in milliseconds.
type DashboardKey = (
    String,
    String,
    goldaw_core::cell_key::Release,
    chrono::NaiveDate,
);
type Dashboards =
    std::collections::HashMap<DashboardKey, (std::time::Instant, std::sync::Arc<DashboardData>)>;
static DASHBOARDS: std::sync::LazyLock<std::sync::Mutex<Dashboards>> =
    std::sync::LazyLock::new(Default::default);

async fn dashboard_data(
    state: &AppState,
    principal: &Principal,
) -> Result<std::sync::Arc<DashboardData>, StoreError> {
    let now = today();
    let area = principal
        .unit_scope()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    let release = goldaw_core::cell_key::Release::of(principal);
    let key: DashboardKey = (state.store.url().to_string(), area.clone(), release, now);
    let cached = DASHBOARDS.lock().ok().and_then(|map| {
        map.get(&key)
            .filter(|(made, _)| made.elapsed() < state.dashboard_cache)
            .map(|(_, data)| data.clone())
    });
    if let Some(data) = cached {
        // Served from memory, the view is still on the record.
        state
            .store
            .audit(
                principal,
                goldaw_store::audit::AuditEvent::plain("report.dashboard")
                    .with_detail(format!("{area}, cached")),
            )
            .await?;
        return Ok(data);
    }
    let started = std::time::Instant::now();
    let data = std::sync::Arc::new(build_dashboard(state, principal, now).await?);
    tracing::debug!(
        target: "goldaw_web::pages::statistics",
        area = %area,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "dashboard made from the store"
    );
    if let Ok(mut map) = DASHBOARDS.lock() {
        map.retain(|(_, _, _, day), (made, _)| {
            *day == now && made.elapsed() < state.dashboard_cache
        });
        if !state.dashboard_cache.is_zero() {
            map.insert(key, (std::time::Instant::now(), data.clone()));
        }
    }
    Ok(data)
}

async fn build_dashboard(
    state: &AppState,
    principal: &Principal,
    now: chrono::NaiveDate,
) -> Result<DashboardData, StoreError> {
    // Whole calendar years, which every reader may ask for (a year so far would move every day,
    // and two days' figures would tell who started in between).
    let this_year = CalendarPeriod::year_of(now).period();
    let last_year = CalendarPeriod::year_of(now).previous().period();
    let total = |indicator, period| StatQuery {
        indicator,
        period,
        dims: Vec::new(),
        min_cell: None,
    };
    let (users_now, users_before, cover, funnel) = (
        total(Indicator::ServiceUsers, this_year),
        total(Indicator::ServiceUsers, last_year),
        total(Indicator::Coverage, this_year),
        total(Indicator::Funnel, this_year),
    );
    let place_query = StatQuery {
        dims: vec![place_dimension(principal)],
        ..total(Indicator::ServiceUsers, this_year)
    };
    let mut cut =
        buckets(&this_year, Step::Month).map_err(|_| super::charts::too_many_steps(&this_year))?;
    // The months begun so far, each a whole month.
    cut.retain(|(_, month)| month.from() <= now);
    let (current, previous, coverage, open, place, time, funnel) = tokio::join!(
        timed(
            "users this year",
            statistics::run(&state.store, principal, &users_now)
        ),
        timed(
            "users last year",
            statistics::run(&state.store, principal, &users_before)
        ),
        timed("coverage", statistics::run(&state.store, principal, &cover)),
        timed("open cases", state.store.open_cases(principal)),
        timed(
            "users by place",
            statistics::run(&state.store, principal, &place_query)
        ),
        timed(
            "users by month",
            over_time(&state.store, principal, Indicator::ServiceUsers, &cut)
        ),
        timed("funnel", statistics::run(&state.store, principal, &funnel)),
    );
    Ok(DashboardData {
        this_year,
        last_year,
        current: current?,
        previous: previous?,
        coverage: unless_unbuilt(coverage)?,
        open: open?,
        place: place?,
        time: time?,
        funnel: unless_unbuilt(funnel)?,
    })
}

fn dashboard_page(state: &AppState, signed: &Signed, data: &DashboardData) -> DashboardPage {
    let t = &signed.t;
    let lang = t.lang();
    let principal = signed.principal();
    let users = |table: &StatTable| {
        figure(
            statistics::total_of(table, Measure::Users),
            Measure::Users,
            lang,
        )
    };
    let coverage_text = data.coverage.as_ref().map_or_else(
        || "–".to_owned(),
        |c| {
            let per = statistics::total_of(c, Measure::Per100000);
            let pct = statistics::total_of(c, Measure::Percent);
            if per.is_suppressed() || pct.is_suppressed() {
                HIDDEN_MARK.to_owned()
            } else if matches!(per, Figure::None) {
                "–".to_owned()
            } else {
                t.t_with(
                    "stat-coverage-value",
                    &[
                        ("rate", figure(per, Measure::Per100000, lang).into()),
                        ("percent", figure(pct, Measure::Percent, lang).into()),
                    ],
                )
            }
        },
    );
    let year = |p: &Period| p.from().format("%Y").to_string();
    let headlines = vec![
        Headline {
            id: "users-this-year",
            label: t.t_with(
                "stat-users-this-year",
                &[("year", year(&data.this_year).into())],
            ),
            value: users(&data.current),
            note: t.t_with(
                "stat-period-note",
                &[
                    ("from", data.this_year.from().to_string().into()),
                    ("to", data.this_year.to().to_string().into()),
                ],
            ),
        },
        Headline {
            id: "users-last-year",
            label: t.t_with(
                "stat-users-last-year",
                &[("year", year(&data.last_year).into())],
            ),
            value: users(&data.previous),
            note: String::new(),
        },
        Headline {
            id: "coverage",
            label: t.t("stat-coverage"),
            value: coverage_text,
            note: data
                .coverage
                .as_ref()
                .map(|c| statistics::total_of(c, Measure::Population))
                .and_then(statistics::as_count)
                .and_then(|p| p.value())
                .map(|p| t.t_with("stat-population", &[("count", count(p, lang).into())]))
                .unwrap_or_default(),
        },
        Headline {
            id: "cases-open",
            label: t.t("stat-cases-open"),
            value: figure(Figure::Count { value: data.open }, Measure::Cases, lang),
            note: String::new(),
        },
    ];
    let name = t.t(&indicator_key(Indicator::ServiceUsers));
    let time: Vec<Bar> = data
        .time
        .iter()
        .map(|(p, value)| Bar {
            label: bucket_label(*p),
            value: *value,
            measure: Measure::Users,
        })
        .collect();
    let mut charts = vec![
        vertical_bars(
            "time-chart",
            &t.t_with("stat-chart-months", &[("indicator", name.clone().into())]),
            &time,
            t,
        ),
        horizontal_bars(
            "place-chart",
            &t.t_with(
                "stat-chart-place",
                &[
                    ("indicator", name.into()),
                    (
                        "dimension",
                        dimension_label(t, place_dimension(principal)).into(),
                    ),
                ],
            ),
            &table_bars(state, t, &data.place),
            t,
        ),
    ];
    if let Some(funnel) = &data.funnel {
        let split: Vec<String> = Indicator::Funnel
            .columns()
            .iter()
            .map(|c| column_label(t, *c))
            .collect();
        charts.push(horizontal_bars(
            "funnel-chart",
            &t.t_with(
                "stat-chart-place",
                &[
                    ("indicator", t.t(&indicator_key(Indicator::Funnel)).into()),
                    ("dimension", split.join(", ").into()),
                ],
            ),
            &table_bars(state, t, funnel),
            t,
        ));
    }
    DashboardPage {
        title: t.t_with(
            "stat-dashboard-title",
            &[("area", area_name(state, principal, t).into())],
        ),
        headlines,
        charts,
        report_href: format!("/statistics?{}", data.place.query.to_query_string()),
        user: signed.user(),
        t: Translator::new(Some(lang)),
    }
}
