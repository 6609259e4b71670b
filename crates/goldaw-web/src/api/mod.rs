//! The JSON API, version 1.

mod assessments;
mod attachments;
mod cases;
mod contracting;
pub(crate) mod costing;
mod document;
mod households;
mod merges;
mod paging;
mod partners;
mod persons;
mod referrals;
mod retention;
mod statistics;
mod subject_access;
mod survivors;
mod workforce;

use crate::error::ErrorBody;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use document::TrueDocument;
use serde::Serialize;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "goldaw API",
        description = "Case management for community-based social services. All personal data is scoped to the caller; records outside scope answer 404.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        health,
        persons::search, persons::likely_duplicates, persons::probable_duplicates, persons::file, persons::read, persons::create, persons::update,
        households::search, households::read, households::create, households::update,
        cases::list, cases::register, cases::read, cases::act, cases::allocate, cases::notes,
        cases::add_note, cases::events, cases::access, cases::tasks, cases::caseload, cases::plans,
        cases::save_draft, cases::agreement, cases::submit, cases::reviews, cases::add_review,
        referrals::list_providers, referrals::create_provider, referrals::read_provider,
        referrals::update_provider, referrals::add_point, referrals::update_point, referrals::set_offer, referrals::offers,
        referrals::case_referrals, referrals::refer, referrals::legal_basis, referrals::cancel,
        referrals::inbox, referrals::provider_read, referrals::provider_act, referrals::deliver,
        assessments::list, assessments::start, assessments::read, assessments::save,
        assessments::complete, assessments::instruments, assessments::instrument,
        attachments::list, attachments::upload, attachments::download,
        merges::merge, merges::read, merges::undo,
        statistics::indicators, statistics::table, statistics::dhis2,
        partners::refer, partners::list, partners::read,
        workforce::list_staff, workforce::hire, workforce::read_staff, workforce::leave, workforce::promote,
        workforce::training, workforce::certify, workforce::list_posts, workforce::create_post, workforce::fill_post,
        workforce::list_courses, workforce::create_course, workforce::supervise, workforce::supervision_tasks,
        workforce::plan, workforce::set_norms,
        contracting::list_tenders, contracting::draft_tender, contracting::read_tender, contracting::change_tender, contracting::tender_act,
        contracting::tender_bids, contracting::prepare_bid, contracting::ranking, contracting::award,
        contracting::sign_contract, contracting::read_bid, contracting::change_bid, contracting::bid_act,
        contracting::declare_conflict, contracting::score_bid, contracting::list_contracts, contracting::read_contract,
        contracting::contract_act, contracting::contract_reports, contracting::draft_report, contracting::confirm_report,
        contracting::verify_report, contracting::record_payment, contracting::late_reports, contracting::comparison,
        costing::unit_costs, costing::community, costing::budget, costing::delivered,
        survivors::add_line, survivors::set_member, survivors::line_calls, survivors::call_backs,
        survivors::log_call, survivors::read_call, survivors::call_to_case, survivors::case_consents,
        survivors::record_consent, survivors::withdraw, survivors::override_consent, survivors::disclose,
        survivors::read_safety_plan, survivors::save_safety_plan, survivors::gbv_statistics,
        survivors::set_incident_date,
        subject_access::own_data,
        retention::settings, retention::set_years, retention::plan, retention::holds, retention::hold, retention::lift,
    ),
    components(schemas(ErrorBody, Health)),
    modifiers(&BearerAuth, &TrueDocument),
    security(("bearer" = [])),
    tags((name = "people", description = "People and households"),
         (name = "cases", description = "The case workflow: referrals, transitions, allocation, notes, tasks and caseloads"),
         (name = "providers", description = "Providers, their offers and places, referrals to services and the provider's side of them"),
         (name = "assessments", description = "Initial and holistic assessments recorded against the versioned instruments, and the instruments"),
         (name = "statistics", description = "Published statistics with small counts suppressed, and their DHIS2 export"),
         (name = "partners", description = "Partner agencies' referrals and their status, with the organisation's key (gpk_...) as the bearer token"),
         (name = "workforce", description = "The social workforce register: staff, posts, training, supervision, careers, against the plan"),
         (name = "contracting", description = "Social contracting: tenders, bids, evaluation, contracts, delivery reports, payments, and the comparison of ways of delivery"),
         (name = "costing", description = "The cost model: unit costs, community against residential care, the budget to reach a coverage target, and what delivered units cost"),
         (name = "survivors", description = "The survivor's path: the hotline's call log, consent records that govern sharing, overrides and disclosures, safety plans, the incident date, anonymised statistics"),
         (name = "retention", description = "Retention of closed cases: the years per kind of case, the dry run, legal holds"))
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme every `/api/v1` route needs.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/api/openapi.json", get(openapi))
        .nest(
            "/api/v1",
            Router::new()
                .merge(persons::router())
                .merge(households::router())
                .merge(cases::router())
                .merge(referrals::router())
                .merge(assessments::router())
                .merge(merges::router())
                .merge(statistics::router())
                .merge(partners::router())
                .merge(workforce::router())
                .merge(contracting::router())
                .merge(costing::router())
                .merge(survivors::router())
                .merge(subject_access::router())
                .merge(retention::router())
                .layer(axum::middleware::from_fn(crate::error::translate_errors)),
        )
        .fallback(not_found)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    pub version: String,
}

/// The routes that take file uploads, with their own body limit: merged outside the general one.
pub fn upload_router() -> Router<AppState> {
    Router::new().nest(
        "/api/v1",
        attachments::router().layer(axum::middleware::from_fn(crate::error::translate_errors)),
    )
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let (status, word) = match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    };
    (
        status,
        Json(Health {
            status: word.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }),
    )
}

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

async fn not_found() -> crate::ApiError {
    crate::ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such page or API route",
    )
}

/// Paging of list answers.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// At most this many items (1..200, default 50).
    pub limit: Option<u32>,
    /// Skip this many items first.
    pub offset: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    pub limit: u32,
    pub offset: u32,
}

/// Takes `field` out of a JSON object and parses the rest as `T`: lets a request body carry one
/// field beside a data type that refuses unknown fields.
pub(crate) fn split_field<'de, D, F, T>(d: D, field: &str) -> Result<(F, T), D::Error>
where
    D: serde::Deserializer<'de>,
    F: serde::de::DeserializeOwned + Default,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    use serde::Deserialize;
    let mut map = serde_json::Map::deserialize(d)?;
    let extra = match map.remove(field) {
        Some(v) => {
            serde_json::from_value(v).map_err(|e| D::Error::custom(format!("{field}: {e}")))?
        }
        None => F::default(),
    };
    // serde_path_to_error names the field that failed (`birth_date: …`).
    let data = serde_path_to_error::deserialize(serde_json::Value::Object(map))
        .map_err(D::Error::custom)?;
    Ok((extra, data))
}
