//! Referrals to services in the browser: referring from the case page, and the provider's inbox
//! where its staff accept, put on the waiting list, decline, start, record delivery and complete.
//! The store checks every rule again (store::referrals); these pages only offer what fits.

use super::common::after;
use super::common::render;
use super::extract::{Posted, Signed};
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_core::service_referrals::{referral_actions, ReferralAction, ReferralReader};
use goldaw_store::provider_inbox::InboxQuery;
use goldaw_store::referrals::{
    DeclineReason, Delivery, NewServiceReferral, ProviderAction, ProviderActionKind, ReferralStatus,
};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/referrals", post(refer))
        .route("/provider", get(inbox))
        .route("/provider/referrals/{id}/action", post(provider_action))
        .route("/provider/referrals/{id}/delivery", post(delivery))
}

#[derive(Deserialize)]
struct ReferForm {
    person: Uuid,
    /// `offer:<id>` (a provider's offer) or `service:<code>` (a universal service).
    target: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    info: String,
}

async fn refer(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ReferForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let p = signed.principal();
    let (service, offer) = match form.target.split_once(':') {
        Some(("offer", offer)) => {
            let Ok(offer) = offer.parse::<Uuid>() else {
                return Ok(signed.unreadable_form());
            };
            // The offer names its service: find it among the etrap's offers the page showed.
            match state.store.offer(p, offer).await {
                Ok(o) => (o.service_code, Some(offer)),
                Err(e) => return Err(signed.fail(e)),
            }
        }
        Some(("service", code)) => (code.to_owned(), None),
        _ => return Ok(signed.unreadable_form()),
    };
    let Ok(service_code) = service.parse() else {
        return Ok(signed.unreadable_form());
    };
    let new = NewServiceReferral {
        person: form.person,
        service_code,
        provider_service: offer,
        recipient: Some(form.recipient.trim().to_owned()).filter(|r| !r.is_empty()),
        info: Some(form.info.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    Ok(after(
        &signed,
        state.store.refer(p, id, new).await,
        format!("/cases/{id}#referrals"),
    ))
}

struct InboxLine {
    id: Uuid,
    version: i32,
    person: String,
    service: String,
    info: String,
    from: String,
    status: String,
    units: i32,
    can_decide: bool,
    can_start: bool,
    running: bool,
}

#[derive(Template)]
#[template(path = "provider_inbox.html")]
struct InboxPage {
    t: Translator,
    user: Option<UserView>,
    lines: Vec<InboxLine>,
    reasons: Vec<(String, String)>,
    /// Referrals to answer or under way, "more than 1,000" past it (issue #24).
    open: String,
    next_link: Option<String>,
    first_link: String,
    paged: bool,
}

#[derive(Deserialize)]
struct InboxParams {
    after: Option<String>,
}

async fn inbox(
    State(state): State<AppState>,
    signed: Signed,
    Query(params): Query<InboxParams>,
) -> PageResult {
    signed.require(Permission::ProviderWork)?;
    let page = state
        .store
        .provider_inbox_page(
            signed.principal(),
            &InboxQuery {
                status: None,
                after: params.after.clone(),
                limit: None,
            },
        )
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let count = if page.open.more {
        t.t_with("page-count-more", &[("count", page.open.shown.into())])
    } else {
        page.open.shown.to_string()
    };
    let open = t.t_with("inbox-open", &[("count", count.into())]);
    let next_link = crate::pages::paging::next_link("/provider", &[], page.next.as_deref());
    let lines = page
        .items
        .into_iter()
        .map(|r| {
            // What the provider may do next: the referral's state machine in core.
            let actions = referral_actions(r.status, ReferralReader::Provider);
            InboxLine {
                id: r.id,
                version: r.version,
                // What a provider may see (`goldaw_core::privacy::provider_referral_sight`): a
                // cancelled referral says only that; a sensitive one without the permission its code.
                person: match (&r.given_name, r.status) {
                    (_, ReferralStatus::Cancelled) => t.t("privacy-referral-cancelled"),
                    (Some(name), _) => format!(
                        "{} · {} · {}",
                        name,
                        r.sex.map(|s| t.t(&format!("sex-{s}"))).unwrap_or_default(),
                        r.birth_year.map(|y| y.to_string()).unwrap_or_default()
                    ),
                    (None, _) => t.t("privacy-referral-restricted"),
                },
                service: r.service_code.clone().unwrap_or_default(),
                info: r.info.clone().unwrap_or_default(),
                from: r.referring_unit.clone().unwrap_or_default(),
                status: t.t(&format!("referral-status-{}", r.status.as_str())),
                units: r.units.unwrap_or(0),
                can_decide: actions.contains(&ReferralAction::Accept),
                can_start: actions.contains(&ReferralAction::Start),
                running: actions.contains(&ReferralAction::Deliver),
            }
        })
        .collect();
    Ok(render(InboxPage {
        user: signed.user(),
        reasons: DeclineReason::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str().to_owned(),
                    t.t(&format!("decline-{}", r.as_str())),
                )
            })
            .collect(),
        t: t.clone_lang(),
        lines,
        open,
        next_link,
        first_link: "/provider".to_owned(),
        paged: params.after.is_some(),
    }))
}

#[derive(Deserialize)]
struct ActionForm {
    action: String,
    version: i32,
    #[serde(default)]
    reason: String,
}

async fn provider_action(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ActionForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let Some(action) = ProviderActionKind::ALL
        .iter()
        .copied()
        .find(|a| a.as_str() == form.action)
    else {
        return Ok(signed.unreadable_form());
    };
    let reason = DeclineReason::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == form.reason);
    let act = ProviderAction {
        action,
        version: form.version,
        reason,
        note: None,
        on: None,
    };
    Ok(after(
        &signed,
        state.store.provider_act(signed.principal(), id, act).await,
        "/provider".to_owned(),
    ))
}

#[derive(Deserialize)]
struct DeliveryForm {
    units: String,
}

async fn delivery(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<DeliveryForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let Ok(units) = form.units.trim().parse::<i32>() else {
        return Ok(signed.unreadable_form());
    };
    let d = Delivery {
        units,
        delivered_on: None,
    };
    Ok(after(
        &signed,
        state.store.record_delivery(signed.principal(), id, d).await,
        "/provider".to_owned(),
    ))
}
