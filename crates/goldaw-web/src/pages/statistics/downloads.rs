//! The statistics downloads: the report's table as CSV and XLSX, and the DHIS2 data value set.

use super::deny;
use super::report::{page_query, param_message, store_refusal};
use crate::pages::error::PageResult;
use crate::pages::extract::Signed;
use crate::statistics::{self, ParamError, RawParams, StatQuery, StatTable};
use crate::statistics_export::{self};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use goldaw_core::access::Permission;
use goldaw_core::periods::CalendarPeriod;
use goldaw_store::StoreError;

// ----- downloads -------------------------------------------------------------------------------

/// The table asked for by a download link, or the page that says why not.
async fn download_table(
    state: &AppState,
    signed: &Signed,
    params: Result<Query<RawParams>, QueryRejection>,
) -> Result<StatTable, Response> {
    if let Some(r) = deny(signed) {
        return Err(r);
    }
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let query = page_query(&params)
        .map_err(|e| signed.refuse(StatusCode::BAD_REQUEST, param_message(&signed.t, &e)))?;
    match statistics::run(&state.store, signed.principal(), &query).await {
        Ok(table) => Ok(table),
        Err(e) => {
            let status = match e {
                StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            Err(match store_refusal(signed, e) {
                Ok(message) => signed.refuse(status, message),
                Err(response) => response,
            })
        }
    }
}

/// A file to download: its type and name (made of known codes and dates only).
fn attachment(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

fn file_stem(q: &StatQuery) -> String {
    format!("{}-{}-{}", q.indicator, q.period.from(), q.period.to())
}

fn internal(what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

pub(super) async fn report_csv(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<RawParams>, QueryRejection>,
) -> PageResult {
    let table = match download_table(&state, &signed, params).await {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    Ok(attachment(
        statistics_export::csv(&table).into_bytes(),
        "text/csv; charset=utf-8",
        &format!("{}.csv", file_stem(&table.query)),
    ))
}

pub(super) async fn report_xlsx(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<RawParams>, QueryRejection>,
) -> PageResult {
    let table = match download_table(&state, &signed, params).await {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    Ok(
        match statistics_export::xlsx(&table, &state.store.catalogue(), signed.t.lang()) {
            Ok(bytes) => attachment(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{}.xlsx", file_stem(&table.query)),
            ),
            Err(e) => internal("the statistics workbook", e),
        },
    )
}

#[derive(serde::Deserialize)]
pub(super) struct Dhis2Query {
    period: Option<String>,
}

pub(super) async fn dhis2_download(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<Dhis2Query>, QueryRejection>,
) -> PageResult {
    if let Some(r) = deny(&signed) {
        return Ok(r);
    }
    signed.require(Permission::Dhis2Export)?;
    let t = &signed.t;
    let raw_period = query.ok().and_then(|Query(q)| q.period).unwrap_or_default();
    let period: CalendarPeriod = match raw_period.trim().parse() {
        Ok(p) => p,
        Err(e) => {
            let e = ParamError {
                param: "period",
                message: goldaw_core::ParseError::to_string(&e),
            };
            return Ok(signed.refuse(StatusCode::BAD_REQUEST, param_message(t, &e)));
        }
    };
    let mapping = match statistics_export::configured_mapping(state.dhis2_mapping.as_deref()) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "the DHIS2 mapping is unusable");
            return Ok(signed.refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                t.t_with("stat-dhis2-mapping-broken", &[("detail", e.into())]),
            ));
        }
    };
    Ok(
        match statistics_export::dhis2(&state.store, signed.principal(), &mapping, period).await {
            Ok(set) => match serde_json::to_vec_pretty(&set) {
                Ok(body) => attachment(
                    body,
                    "application/json",
                    &format!("dhis2-dataValueSets-{period}.json"),
                ),
                Err(e) => internal("the DHIS2 document", e),
            },
            Err(statistics_export::Dhis2Error::Mapping(detail)) => signed.refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                t.t_with("stat-dhis2-mapping-broken", &[("detail", detail.into())]),
            ),
            Err(statistics_export::Dhis2Error::Store(e)) => match store_refusal(&signed, e) {
                Ok(message) => signed.refuse(StatusCode::BAD_REQUEST, message),
                Err(response) => response,
            },
        },
    )
}
