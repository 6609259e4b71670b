//! `/api/v1/tenders`, `/api/v1/bids`, `/api/v1/contracts`, `/api/v1/reports`,
//! `/api/v1/contracting/...`: social contracting (docs/contracting.md). Each handler asks the
//! store, which decides who may (the rules are `goldaw_core::contracting`); out of sight is 404.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use goldaw_store::contracting::{
    AwardRequest, Bid, BidActRequest, BidRequest, Comparison, ConfirmRequest, ConflictRequest,
    Contract, ContractActRequest, DeliveryReport, LateReport, NewContract, NewTender,
    PaymentRequest, RankedBid, ScoreRequest, Tender, TenderActRequest, VerifyRequest,
};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tenders", get(list_tenders).post(draft_tender))
        .route("/tenders/{id}", get(read_tender).put(change_tender))
        .route("/tenders/{id}/actions", post(tender_act))
        .route("/tenders/{id}/bids", get(tender_bids).post(prepare_bid))
        .route("/tenders/{id}/ranking", get(ranking))
        .route("/tenders/{id}/award", post(award))
        .route("/tenders/{id}/contract", post(sign_contract))
        .route("/bids/{id}", get(read_bid).put(change_bid))
        .route("/bids/{id}/actions", post(bid_act))
        .route("/bids/{id}/conflicts", post(declare_conflict))
        .route("/bids/{id}/scores", post(score_bid))
        .route("/contracts", get(list_contracts))
        .route("/contracts/{id}", get(read_contract))
        .route("/contracts/{id}/actions", post(contract_act))
        .route(
            "/contracts/{id}/reports",
            get(contract_reports).post(draft_report),
        )
        .route("/reports/{id}/confirm", post(confirm_report))
        .route("/reports/{id}/verify", post(verify_report))
        .route("/reports/{id}/payments", post(record_payment))
        .route("/contracting/late-reports", get(late_reports))
        .route("/contracting/comparison", get(comparison))
}

type Id = Result<Path<Uuid>, PathRejection>;
type Body<T> = Result<Json<T>, JsonRejection>;

/// The tenders you may see: your scope's as their keeper or committee member, every published
/// one as a provider.
#[utoipa::path(get, path = "/api/v1/tenders", tag = "contracting",
    responses((status = 200, body = Vec<Tender>), (status = 403, body = ErrorBody)))]
pub async fn list_tenders(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<Tender>>, ApiError> {
    Ok(Json(state.store.list_tenders(&principal).await?))
}

/// Draft a tender (the ministry, in its scope).
#[utoipa::path(post, path = "/api/v1/tenders", tag = "contracting", request_body = NewTender,
    responses((status = 201, body = Tender), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft_tender(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Body<NewTender>,
) -> Result<(StatusCode, Json<Tender>), ApiError> {
    let Json(body) = body?;
    let t = state.store.draft_tender(&principal, body).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// One tender (its status now: closed from the deadline on).
#[utoipa::path(get, path = "/api/v1/tenders/{id}", tag = "contracting", params(("id" = Uuid, Path)),
    responses((status = 200, body = Tender), (status = 404, body = ErrorBody)))]
pub async fn read_tender(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
) -> Result<Json<Tender>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.tender(&principal, id).await?))
}

/// A draft's new terms, with the version read.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderChange {
    pub version: i32,
    pub tender: NewTender,
}

/// Change a draft (its keepers; an approved tender keeps the terms approved).
#[utoipa::path(put, path = "/api/v1/tenders/{id}", tag = "contracting", params(("id" = Uuid, Path)), request_body = TenderChange,
    responses((status = 200, body = Tender), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_tender(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<TenderChange>,
) -> Result<Json<Tender>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .change_tender(&principal, id, body.version, body.tender)
            .await?,
    ))
}

/// Approve (not the drafter), publish, or cancel with a reason.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/actions", tag = "contracting", params(("id" = Uuid, Path)), request_body = TenderActRequest,
    responses((status = 200, body = Tender), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tender_act(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<TenderActRequest>,
) -> Result<Json<Tender>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.tender_act(&principal, id, body).await?))
}

/// The bids on a tender as you may see them (sealed until the deadline; others' after the award
/// only as the outcome).
#[utoipa::path(get, path = "/api/v1/tenders/{id}/bids", tag = "contracting", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Bid>), (status = 404, body = ErrorBody)))]
pub async fn tender_bids(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
) -> Result<Json<Vec<Bid>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.tender_bids(&principal, id).await?))
}

/// Prepare your organisation's bid (a draft) on a published tender.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/bids", tag = "contracting", params(("id" = Uuid, Path)), request_body = BidRequest,
    responses((status = 201, body = Bid), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn prepare_bid(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<BidRequest>,
) -> Result<(StatusCode, Json<Bid>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let b = state.store.prepare_bid(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

/// The weighted ranking: the keepers and the committee from the deadline, the bidders after
/// the award.
#[utoipa::path(get, path = "/api/v1/tenders/{id}/ranking", tag = "contracting", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<RankedBid>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ranking(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
) -> Result<Json<Vec<RankedBid>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.ranking(&principal, id).await?))
}

/// Award a closed tender to the first of the ranking, with the committee's reasons.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/award", tag = "contracting", params(("id" = Uuid, Path)), request_body = AwardRequest,
    responses((status = 200, body = Tender), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn award(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<AwardRequest>,
) -> Result<Json<Tender>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.award_tender(&principal, id, body).await?))
}

/// Sign the contract of an awarded tender: its offer enters the register.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/contract", tag = "contracting", params(("id" = Uuid, Path)), request_body = NewContract,
    responses((status = 201, body = Contract), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign_contract(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<NewContract>,
) -> Result<(StatusCode, Json<Contract>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let c = state.store.sign_contract(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// One bid as you may see it.
#[utoipa::path(get, path = "/api/v1/bids/{id}", tag = "contracting", params(("id" = Uuid, Path)),
    responses((status = 200, body = Bid), (status = 404, body = ErrorBody)))]
pub async fn read_bid(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
) -> Result<Json<Bid>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.bid(&principal, id).await?))
}

/// Change your draft bid (a submitted one is sealed).
#[utoipa::path(put, path = "/api/v1/bids/{id}", tag = "contracting", params(("id" = Uuid, Path)), request_body = BidRequest,
    responses((status = 200, body = Bid), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_bid(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<BidRequest>,
) -> Result<Json<Bid>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.change_bid(&principal, id, body).await?))
}

/// Submit or withdraw your bid, before the deadline.
#[utoipa::path(post, path = "/api/v1/bids/{id}/actions", tag = "contracting", params(("id" = Uuid, Path)), request_body = BidActRequest,
    responses((status = 200, body = Bid), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bid_act(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<BidActRequest>,
) -> Result<Json<Bid>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.bid_act(&principal, id, body).await?))
}

/// Declare a conflict of interest with a bid (committee members).
#[utoipa::path(post, path = "/api/v1/bids/{id}/conflicts", tag = "contracting", params(("id" = Uuid, Path)), request_body = ConflictRequest,
    responses((status = 200, body = Bid), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn declare_conflict(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<ConflictRequest>,
) -> Result<Json<Bid>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    state.store.declare_conflict(&principal, id, body).await?;
    Ok(Json(state.store.bid(&principal, id).await?))
}

/// Score a bid on the scored criteria (committee members without a conflict with it).
#[utoipa::path(post, path = "/api/v1/bids/{id}/scores", tag = "contracting", params(("id" = Uuid, Path)), request_body = ScoreRequest,
    responses((status = 200, body = Bid), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn score_bid(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<ScoreRequest>,
) -> Result<Json<Bid>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    state.store.score_bid(&principal, id, body).await?;
    Ok(Json(state.store.bid(&principal, id).await?))
}

/// The contracts you may see: a keeper's in scope, a provider's own.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracting",
    responses((status = 200, body = Vec<Contract>), (status = 403, body = ErrorBody)))]
pub async fn list_contracts(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<Contract>>, ApiError> {
    Ok(Json(state.store.list_contracts(&principal).await?))
}

/// One contract: terms, versions, delivery against targets, money due and paid.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracting", params(("id" = Uuid, Path)),
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody)))]
pub async fn read_contract(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
) -> Result<Json<Contract>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.contract(&principal, id).await?))
}

/// Amend (new terms), suspend, resume or end a contract, with a reason.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/actions", tag = "contracting", params(("id" = Uuid, Path)), request_body = ContractActRequest,
    responses((status = 200, body = Contract), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn contract_act(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<ContractActRequest>,
) -> Result<Json<Contract>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.contract_act(&principal, id, body).await?))
}

/// A contract's monthly delivery reports.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/reports", tag = "contracting", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<DeliveryReport>), (status = 404, body = ErrorBody)))]
pub async fn contract_reports(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
) -> Result<Json<Vec<DeliveryReport>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.contract_reports(&principal, id).await?))
}

/// The month to draft a report for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftReport {
    /// `YYYY-MM`.
    pub month: String,
}

/// Draft (or draft again) the month's report from the deliveries on the contract's referrals.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/reports", tag = "contracting", params(("id" = Uuid, Path)), request_body = DraftReport,
    responses((status = 200, body = DeliveryReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft_report(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<DraftReport>,
) -> Result<Json<DeliveryReport>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .draft_report(&principal, id, &body.month)
            .await?,
    ))
}

/// Confirm the drafted report, or correct it with a reason (the provider's staff).
#[utoipa::path(post, path = "/api/v1/reports/{id}/confirm", tag = "contracting", params(("id" = Uuid, Path)), request_body = ConfirmRequest,
    responses((status = 200, body = DeliveryReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm_report(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<ConfirmRequest>,
) -> Result<Json<DeliveryReport>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state.store.confirm_report(&principal, id, body).await?,
    ))
}

/// Verify a confirmed report (the ministry; never the provider's own organisation).
#[utoipa::path(post, path = "/api/v1/reports/{id}/verify", tag = "contracting", params(("id" = Uuid, Path)), request_body = VerifyRequest,
    responses((status = 200, body = DeliveryReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn verify_report(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<VerifyRequest>,
) -> Result<Json<DeliveryReport>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.verify_report(&principal, id, body).await?))
}

/// Record a payment made on a verified report (never beyond what is due, so the ceiling).
#[utoipa::path(post, path = "/api/v1/reports/{id}/payments", tag = "contracting", params(("id" = Uuid, Path)), request_body = PaymentRequest,
    responses((status = 201, body = DeliveryReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_payment(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Id,
    body: Body<PaymentRequest>,
) -> Result<(StatusCode, Json<DeliveryReport>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let r = state.store.record_payment(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The months whose delivery report is late, on the contracts you see (tasks).
#[utoipa::path(get, path = "/api/v1/contracting/late-reports", tag = "contracting",
    responses((status = 200, body = Vec<LateReport>), (status = 403, body = ErrorBody)))]
pub async fn late_reports(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<LateReport>>, ApiError> {
    Ok(Json(state.store.late_delivery_reports(&principal).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ComparisonParams {
    /// A service code (e.g. `S05`).
    pub service: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Cost per unit and per person by way of delivery (state, NGO under contract, NGO other),
/// suppressed as published statistics are.
#[utoipa::path(get, path = "/api/v1/contracting/comparison", tag = "contracting", params(ComparisonParams),
    responses((status = 200, body = Comparison), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn comparison(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<ComparisonParams>, QueryRejection>,
) -> Result<Json<Comparison>, ApiError> {
    let Query(p) = params?;
    let service = p
        .service
        .parse()
        .map_err(|e: goldaw_core::ParseError| ApiError::bad_request(e.to_string()))?;
    Ok(Json(
        state
            .store
            .delivery_comparison(&principal, &service, p.from, p.to)
            .await?,
    ))
}
