//! A tender on pages: `/contracting/tenders/new` (the draft form), `/contracting/tenders/{id}`
//! (the tender, its bids as the reader may see them, the committee's forms, the ranking, the
//! award and the contract's signing), and the forms they post. Each form is offered as the
//! store's answer says the reader may (`Tender::actions`, `Bid::actions`, `member`, `keeper`);
//! the store decides again.

use super::answer::{done, refused};
use super::fields::{
    action_choices, date, manat, moment, number, opt_date, opt_number, opt_text, show_manat, words,
};
use crate::i18n::Translator;
use crate::pages::common::render;
use crate::pages::error::{OrRefuse, PageResult};
use crate::pages::extract::{see_other, Posted, Signed};
use crate::pages::UserView;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use goldaw_core::access::Permission;
use goldaw_core::contracting::{
    BidAction, BidStatus, Criterion, TenderAction, TenderStatus, Weights, SCORED,
};
use goldaw_store::contracting::{
    AwardRequest, Bid, BidActRequest, BidRequest, ConflictRequest, NewContract, NewTender,
    ScoreEntry, ScoreRequest, Tender, TenderActRequest,
};
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

/// A choice of a select.
pub(super) struct Choice {
    pub(super) code: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// The draft (or edit) form's values, as typed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TenderForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    service_code: String,
    #[serde(default)]
    admin_units: String,
    #[serde(default)]
    period_from: String,
    #[serde(default)]
    period_to: String,
    #[serde(default)]
    people: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    max_budget: String,
    #[serde(default)]
    specification: String,
    #[serde(default)]
    documents: String,
    #[serde(default)]
    weight_price: String,
    #[serde(default)]
    weight_method: String,
    #[serde(default)]
    weight_staff: String,
    #[serde(default)]
    weight_experience: String,
    #[serde(default)]
    weight_rural_reach: String,
    #[serde(default)]
    bid_deadline: String,
    #[serde(default)]
    committee: String,
    #[serde(default)]
    version: String,
}

impl TenderForm {
    fn read(&self) -> Result<NewTender, StoreError> {
        let units = words(&self.admin_units)
            .iter()
            .map(|u| {
                u.parse().map_err(|_| {
                    StoreError::refuse(
                        "admin_units",
                        "contracting-unit-unknown",
                        vec![("unit", goldaw_store::error::SayArg::Text(u.clone()))],
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewTender {
            title: self.title.clone(),
            service_code: self.service_code.trim().parse().map_err(|_| {
                StoreError::refuse(
                    "service_code",
                    "store-service-unknown",
                    vec![(
                        "service",
                        goldaw_store::error::SayArg::Text(self.service_code.clone()),
                    )],
                )
            })?,
            admin_units: units,
            period_from: date("period_from", &self.period_from)?,
            period_to: date("period_to", &self.period_to)?,
            people: number("people", &self.people)?,
            units: number("units", &self.units)?,
            max_budget: manat("max_budget", &self.max_budget)?,
            specification: self.specification.clone(),
            documents: opt_text(&self.documents),
            weights: Weights {
                price: number("weight_price", &self.weight_price)?,
                method: number("weight_method", &self.weight_method)?,
                staff: number("weight_staff", &self.weight_staff)?,
                experience: number("weight_experience", &self.weight_experience)?,
                rural_reach: number("weight_rural_reach", &self.weight_rural_reach)?,
            },
            bid_deadline: moment("bid_deadline", &self.bid_deadline)?,
            committee: words(&self.committee),
        })
    }

    fn of(t: &Tender) -> TenderForm {
        TenderForm {
            title: t.title.clone(),
            service_code: t.service_code.clone(),
            admin_units: t.admin_units.join(" "),
            period_from: t.period_from.to_string(),
            period_to: t.period_to.to_string(),
            people: t.people.to_string(),
            units: t.units.to_string(),
            max_budget: show_manat(t.max_budget),
            specification: t.specification.clone(),
            documents: t.documents.clone().unwrap_or_default(),
            weight_price: t.weights.price.to_string(),
            weight_method: t.weights.method.to_string(),
            weight_staff: t.weights.staff.to_string(),
            weight_experience: t.weights.experience.to_string(),
            weight_rural_reach: t.weights.rural_reach.to_string(),
            bid_deadline: t.bid_deadline.format("%Y-%m-%dT%H:%M").to_string(),
            committee: t.committee.join(" "),
            version: t.version.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "contracting_tender_form.html")]
struct FormPage {
    t: Translator,
    user: Option<UserView>,
    csrf: String,
    /// The tender edited; none for a new draft.
    id: Option<Uuid>,
    f: TenderForm,
    services: Vec<Choice>,
}

fn service_choices(state: &AppState, t: &Translator, chosen: &str) -> Vec<Choice> {
    let catalogue = state.store.catalogue();
    catalogue
        .services
        .iter()
        .filter(|s| s.route().offered_in_register())
        .map(|s| Choice {
            code: s.code.clone(),
            label: catalogue.term("service", &s.code).map_or_else(
                || s.code.clone(),
                |term| format!("{} ({})", term.name(t.lang()), s.code),
            ),
            selected: s.code == chosen,
        })
        .collect()
}

/// The form of a new tender (the ministry).
pub(super) async fn new_form(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::Contracting)?;
    let today = goldaw_core::deadlines::local_date(chrono::Utc::now());
    let deadline = chrono::Utc::now() + chrono::Duration::days(14);
    let f = TenderForm {
        period_from: today.to_string(),
        period_to: (today + chrono::Duration::days(364)).to_string(),
        bid_deadline: deadline.format("%Y-%m-%dT%H:%M").to_string(),
        weight_price: "40".into(),
        weight_method: "20".into(),
        weight_staff: "15".into(),
        weight_experience: "15".into(),
        weight_rural_reach: "10".into(),
        ..TenderForm::default()
    };
    Ok(render(FormPage {
        csrf: signed.session.csrf.clone(),
        user: signed.user(),
        id: None,
        services: service_choices(&state, &signed.t, "S05"),
        f,
        t: signed.t,
    }))
}

/// Drafts the tender; on to its page.
pub(super) async fn draft(State(state): State<AppState>, posted: Posted<TenderForm>) -> PageResult {
    let Posted { signed, form } = posted;
    let new = match form.read() {
        Ok(n) => n,
        Err(e) => return Ok(refused(&signed, e)),
    };
    Ok(
        match state.store.draft_tender(signed.principal(), new).await {
            Ok(t) => see_other(&format!("/contracting/tenders/{}", t.id)),
            Err(e) => refused(&signed, e),
        },
    )
}

/// The edit form of a draft (its keepers).
pub(super) async fn edit_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> PageResult {
    let tender = state
        .store
        .tender(signed.principal(), id)
        .await
        .or_refuse(&signed)?;
    if !tender.keeper {
        return Err(signed.fail(StoreError::NotFound));
    }
    Ok(render(FormPage {
        csrf: signed.session.csrf.clone(),
        user: signed.user(),
        id: Some(id),
        services: service_choices(&state, &signed.t, &tender.service_code),
        f: TenderForm::of(&tender),
        t: signed.t,
    }))
}

/// Changes a draft.
pub(super) async fn edit(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<TenderForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let read = form
        .read()
        .and_then(|n| Ok((n, number("version", &form.version)?)));
    let result = match read {
        Ok((new, version)) => {
            state
                .store
                .change_tender(signed.principal(), id, version, new)
                .await
        }
        Err(e) => Err(e),
    };
    Ok(done(&signed, result, format!("/contracting/tenders/{id}")))
}

struct BidLine {
    b: Bid,
    status: String,
    price: String,
    /// The reader may declare a conflict and score it (a member, during the evaluation).
    evaluates: bool,
}

struct RankLine {
    rank: u32,
    provider: String,
    price: String,
    total: String,
    price_score: String,
    averages: Vec<String>,
    conflicts: String,
}

#[derive(Template)]
#[template(path = "contracting_tender.html")]
struct TenderPage {
    t: Translator,
    user: Option<UserView>,
    csrf: String,
    x: Tender,
    status: String,
    budget: String,
    deadline: String,
    weights: Vec<(String, i32)>,
    actions: Vec<(String, String)>,
    may_cancel: bool,
    may_edit: bool,
    bids: Vec<BidLine>,
    own: Option<Bid>,
    own_price: String,
    may_prepare: bool,
    own_submit: bool,
    own_withdraw: bool,
    own_change: bool,
    scored: Vec<(String, String)>,
    scores: Vec<i32>,
    ranking: Vec<RankLine>,
    ranking_note: String,
    may_award: bool,
    may_sign: bool,
    contract: Option<Uuid>,
    winner: String,
}

fn criterion_name(t: &Translator, c: Criterion) -> String {
    t.t(&format!("contracting-criterion-{}", c.as_str()))
}

/// The tender page.
pub(super) async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> PageResult {
    let p = signed.principal().clone();
    let x = state.store.tender(&p, id).await.or_refuse(&signed)?;
    let t = &signed.t;
    let bids = state.store.tender_bids(&p, id).await.or_refuse(&signed)?;
    let provider = p.may(Permission::ProviderWork);
    // The organisation's bid; a withdrawn one stays its bid (a withdrawal is final).
    let own = bids
        .iter()
        .find(|b| b.own && b.status != BidStatus::Withdrawn)
        .or_else(|| bids.iter().find(|b| b.own))
        .cloned();
    let evaluating = x.member && x.status == TenderStatus::Closed;
    let inside = x.keeper || x.member;
    let shows_ranking = (inside
        && matches!(x.status, TenderStatus::Closed | TenderStatus::Awarded))
        || (provider && x.status == TenderStatus::Awarded);
    let (ranking, ranking_note) = if shows_ranking {
        match state.store.ranking(&p, id).await {
            Ok(r) => (
                r.into_iter()
                    .map(|r| RankLine {
                        rank: r.ranked.rank,
                        provider: r.provider_name,
                        price: show_manat(r.price_per_unit),
                        total: format!("{:.2}", r.ranked.total),
                        price_score: format!("{:.2}", r.ranked.price_score),
                        averages: r
                            .ranked
                            .averages
                            .iter()
                            .map(|a| format!("{a:.2}"))
                            .collect(),
                        conflicts: r.conflicts.join(", "),
                    })
                    .collect(),
                String::new(),
            ),
            Err(StoreError::Invalid { say: Some(say), .. }) => (vec![], t.say(&say)),
            Err(StoreError::NotFound) => (vec![], String::new()),
            Err(e) => return Err(signed.fail(e)),
        }
    } else {
        (vec![], String::new())
    };
    let contract = if x.keeper && x.status == TenderStatus::Awarded {
        state
            .store
            .list_contracts(&p)
            .await
            .or_refuse(&signed)?
            .into_iter()
            .find(|c| c.tender_id == id)
            .map(|c| c.id)
    } else {
        None
    };
    let winner = x
        .awarded_bid
        .and_then(|w| bids.iter().find(|b| b.id == w))
        .map(|b| b.provider_name.clone())
        .unwrap_or_default();
    let actions = action_choices(
        x.actions
            .iter()
            .copied()
            .filter(|a| matches!(a, TenderAction::Approve | TenderAction::Publish)),
        TenderAction::as_str,
        t,
    );
    let w = x.weights;
    let weights = Criterion::ALL
        .iter()
        .map(|c| (criterion_name(t, *c), w.of(*c)))
        .collect();
    let page = TenderPage {
        csrf: signed.session.csrf.clone(),
        user: signed.user(),
        status: t.t(&format!("contracting-tender-{}", x.status.as_str())),
        budget: show_manat(x.max_budget),
        deadline: x.bid_deadline.format("%Y-%m-%d %H:%M UTC").to_string(),
        weights,
        actions,
        may_cancel: x.actions.contains(&TenderAction::Cancel),
        may_edit: x.keeper && x.status == TenderStatus::Draft,
        may_prepare: provider && own.is_none() && x.status == TenderStatus::Published,
        own_submit: own
            .as_ref()
            .is_some_and(|b| b.actions.contains(&BidAction::Submit)),
        own_withdraw: own
            .as_ref()
            .is_some_and(|b| b.actions.contains(&BidAction::Withdraw)),
        own_change: own
            .as_ref()
            .is_some_and(|b| b.actions.contains(&BidAction::Change)),
        own_price: own
            .as_ref()
            .and_then(|b| b.price_per_unit)
            .map(show_manat)
            .unwrap_or_default(),
        own,
        bids: bids
            .into_iter()
            .filter(|b| b.status != BidStatus::Draft || b.own)
            .map(|b| BidLine {
                status: t.t(&format!("contracting-bid-{}", b.status.as_str())),
                price: b.price_per_unit.map(show_manat).unwrap_or_default(),
                evaluates: evaluating && b.status == BidStatus::Submitted,
                b,
            })
            .collect(),
        scored: SCORED
            .iter()
            .map(|c| (c.as_str().to_owned(), criterion_name(t, *c)))
            .collect(),
        scores: (0..=goldaw_core::contracting::MAX_SCORE).collect(),
        ranking,
        ranking_note,
        may_award: x.actions.contains(&TenderAction::Award),
        may_sign: x.keeper && x.status == TenderStatus::Awarded && contract.is_none(),
        contract,
        winner,
        x,
        t: t.clone_lang(),
    };
    Ok(render(page))
}

#[derive(Deserialize)]
pub(super) struct ActForm {
    action: String,
    version: String,
    #[serde(default)]
    reason: String,
}

/// Approve, publish or cancel.
pub(super) async fn act(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ActForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let Ok(action) = form.action.parse::<TenderAction>() else {
        return Ok(signed.unreadable_form());
    };
    let result = match number("version", &form.version) {
        Ok(version) => {
            state
                .store
                .tender_act(
                    signed.principal(),
                    id,
                    TenderActRequest {
                        action,
                        version,
                        reason: opt_text(&form.reason),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    Ok(done(&signed, result, format!("/contracting/tenders/{id}")))
}

#[derive(Deserialize)]
pub(super) struct AwardForm {
    version: String,
    #[serde(default)]
    reason: String,
}

/// The award to the first of the ranking, with the committee's reasons.
pub(super) async fn award(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<AwardForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let result = match number("version", &form.version) {
        Ok(version) => {
            state
                .store
                .award_tender(
                    signed.principal(),
                    id,
                    AwardRequest {
                        version,
                        reason: form.reason.clone(),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    Ok(done(&signed, result, format!("/contracting/tenders/{id}")))
}

#[derive(Deserialize)]
pub(super) struct SignForm {
    ceiling: String,
    target_people: String,
    target_units: String,
    #[serde(default)]
    target_outcomes: String,
    #[serde(default)]
    payment_schedule: String,
    #[serde(default)]
    period_from: String,
    #[serde(default)]
    period_to: String,
    #[serde(default)]
    places: String,
}

/// Signs the contract of the awarded tender; on to the contract.
pub(super) async fn sign(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<SignForm>,
) -> PageResult {
    let Posted { signed, form: f } = posted;
    let new = (|| {
        Ok::<_, StoreError>(NewContract {
            ceiling: manat("ceiling", &f.ceiling)?,
            target_people: number("target_people", &f.target_people)?,
            target_units: number("target_units", &f.target_units)?,
            target_outcomes: opt_text(&f.target_outcomes),
            payment_schedule: f.payment_schedule.clone(),
            period_from: opt_date("period_from", &f.period_from)?,
            period_to: opt_date("period_to", &f.period_to)?,
            places: opt_number("places", &f.places)?,
        })
    })();
    let result = match new {
        Ok(n) => state.store.sign_contract(signed.principal(), id, n).await,
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok(c) => see_other(&format!("/contracting/contracts/{}", c.id)),
        Err(e) => refused(&signed, e),
    })
}

#[derive(Deserialize)]
pub(super) struct BidForm {
    price_per_unit: String,
    units: String,
    people: String,
    #[serde(default)]
    places: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    documents: String,
    #[serde(default)]
    version: String,
}

impl BidForm {
    fn read(&self) -> Result<BidRequest, StoreError> {
        Ok(BidRequest {
            price_per_unit: manat("price_per_unit", &self.price_per_unit)?,
            units: number("units", &self.units)?,
            people: number("people", &self.people)?,
            places: opt_number("places", &self.places)?,
            staff: self.staff.clone(),
            method: self.method.clone(),
            documents: opt_text(&self.documents),
            version: opt_number("version", &self.version)?,
        })
    }
}

/// Prepares the organisation's bid (a draft).
pub(super) async fn prepare_bid(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<BidForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let result = match form.read() {
        Ok(req) => state.store.prepare_bid(signed.principal(), id, req).await,
        Err(e) => Err(e),
    };
    Ok(done(&signed, result, format!("/contracting/tenders/{id}")))
}

/// Back to the bid's tender (the bid as the reader sees it; a bid out of sight is not found).
async fn bid_tender(
    state: &AppState,
    signed: &Signed,
    bid: Uuid,
) -> Result<Uuid, crate::pages::error::PageError> {
    Ok(state
        .store
        .bid(signed.principal(), bid)
        .await
        .or_refuse(signed)?
        .tender_id)
}

/// Changes the draft bid.
pub(super) async fn change_bid(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<BidForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let tender = bid_tender(&state, &signed, id).await?;
    let result = match form.read() {
        Ok(req) => state.store.change_bid(signed.principal(), id, req).await,
        Err(e) => Err(e),
    };
    Ok(done(
        &signed,
        result,
        format!("/contracting/tenders/{tender}"),
    ))
}

#[derive(Deserialize)]
pub(super) struct BidActForm {
    action: String,
    version: String,
}

/// Submits or withdraws the bid.
pub(super) async fn bid_act(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<BidActForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let tender = bid_tender(&state, &signed, id).await?;
    let Ok(action) = form.action.parse::<BidAction>() else {
        return Ok(signed.unreadable_form());
    };
    let result = match number("version", &form.version) {
        Ok(version) => {
            state
                .store
                .bid_act(signed.principal(), id, BidActRequest { action, version })
                .await
        }
        Err(e) => Err(e),
    };
    Ok(done(
        &signed,
        result,
        format!("/contracting/tenders/{tender}"),
    ))
}

#[derive(Deserialize)]
pub(super) struct ConflictForm {
    #[serde(default)]
    statement: String,
}

/// A member declares a conflict of interest with the bid.
pub(super) async fn conflict(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ConflictForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let tender = bid_tender(&state, &signed, id).await?;
    let result = state
        .store
        .declare_conflict(
            signed.principal(),
            id,
            ConflictRequest {
                statement: form.statement.clone(),
            },
        )
        .await;
    Ok(done(
        &signed,
        result,
        format!("/contracting/tenders/{tender}"),
    ))
}

#[derive(Deserialize)]
pub(super) struct ScoreForm {
    #[serde(default)]
    method: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    experience: String,
    #[serde(default)]
    rural_reach: String,
}

/// A member's scores of the bid.
pub(super) async fn score(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ScoreForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let tender = bid_tender(&state, &signed, id).await?;
    let entries = [
        (Criterion::Method, "method", &form.method),
        (Criterion::Staff, "staff", &form.staff),
        (Criterion::Experience, "experience", &form.experience),
        (Criterion::RuralReach, "rural_reach", &form.rural_reach),
    ]
    .into_iter()
    .filter(|(_, _, v)| !v.trim().is_empty())
    .map(|(criterion, field, v)| -> Result<ScoreEntry, StoreError> {
        Ok(ScoreEntry {
            criterion,
            score: number(field, v)?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>();
    let result = match entries {
        Ok(scores) => {
            state
                .store
                .score_bid(signed.principal(), id, ScoreRequest { scores })
                .await
        }
        Err(e) => Err(e),
    };
    Ok(done(
        &signed,
        result,
        format!("/contracting/tenders/{tender}"),
    ))
}
