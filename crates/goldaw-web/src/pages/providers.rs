//! The register of providers (issue #4, item 6) for the ministry and admins (`ManageProviders`):
//! organisations, state or NGO, with their service points, the services they offer by etrap or
//! velayat, and their places. The same store calls as `/api/v1/providers`; every change is
//! versioned (no lost updates) and audited by the store.

use super::common::refusal;
use super::common::{render, unit_name};
use super::extract::{see_other, Posted, Signed};
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_core::cases::ServiceCode;
use goldaw_core::ids::AdminUnitCode;
use goldaw_store::catalogue::Catalogue;
use goldaw_store::referrals::{
    NewProvider, NewServicePoint, OfferRequest, Provider, ProviderChange, ProviderKind,
    ServicePointChange,
};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/providers", get(list).post(create))
        .route("/providers/{id}", get(show).post(update))
        .route("/providers/{id}/points", post(add_point))
        .route("/providers/{id}/points/{point}", post(update_point))
        .route("/providers/{id}/offers", post(set_offer))
}

/// A choice of a select list.
struct Choice {
    code: String,
    label: String,
}

struct ProviderLine {
    id: Uuid,
    external_id: String,
    name: String,
    kind: String,
    place: String,
    active: bool,
    offers: usize,
    places: String,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "providers.html")]
struct ListPage {
    t: Translator,
    user: Option<UserView>,
    providers: Vec<ProviderLine>,
    kinds: Vec<Choice>,
    units: Vec<Choice>,
}

/// Etraps and cities first by code, then velayats: where a provider is registered or serves.
fn unit_choices(catalogue: &Catalogue, t: &Translator) -> Vec<Choice> {
    catalogue
        .admin_units
        .iter()
        .filter(|u| u.level != "country")
        .map(|u| Choice {
            code: u.code.clone(),
            label: format!("{} ({})", unit_name(u, t), u.code),
        })
        .collect()
}

fn kind_choices(t: &Translator) -> Vec<Choice> {
    ProviderKind::ALL
        .iter()
        .map(|k| Choice {
            code: k.as_str().to_owned(),
            label: t.t(&format!("provider-kind-{}", k.as_str())),
        })
        .collect()
}

fn place_label(catalogue: &Catalogue, t: &Translator, code: Option<&str>) -> String {
    let Some(code) = code else {
        return String::new();
    };
    code.parse::<AdminUnitCode>()
        .ok()
        .and_then(|c| catalogue.admin_unit(&c))
        .map_or_else(
            || code.to_owned(),
            |u| format!("{} ({code})", unit_name(u, t)),
        )
}

async fn list(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::ManageProviders)?;
    let providers = state
        .store
        .list_providers(signed.principal())
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let catalogue = state.store.catalogue();
    let providers = providers
        .into_iter()
        .map(|p| {
            let limited: Vec<i64> = p
                .offers
                .iter()
                .filter(|o| o.active)
                .filter_map(|o| o.places.map(i64::from))
                .collect();
            let free: i64 = p
                .offers
                .iter()
                .filter(|o| o.active)
                .filter_map(|o| o.free_places)
                .sum();
            ProviderLine {
                id: p.id,
                kind: t.t(&format!("provider-kind-{}", p.kind.as_str())),
                place: place_label(&catalogue, t, p.admin_unit.as_deref()),
                active: p.active,
                offers: p.offers.iter().filter(|o| o.active).count(),
                places: if limited.is_empty() {
                    String::new()
                } else {
                    t.t_with(
                        "providers-places-free",
                        &[
                            ("places", limited.iter().sum::<i64>().into()),
                            ("free", free.into()),
                        ],
                    )
                },
                waiting: p.offers.iter().map(|o| o.waiting).sum(),
                external_id: p.external_id,
                name: p.name,
            }
        })
        .collect();
    Ok(render(ListPage {
        user: signed.user(),
        providers,
        kinds: kind_choices(t),
        units: unit_choices(&catalogue, t),
        t: signed.t,
    }))
}

#[derive(Deserialize)]
struct CreateForm {
    external_id: String,
    name: String,
    kind: String,
    #[serde(default)]
    admin_unit: String,
}

/// An optional unit from a select: empty = none; `Err` says why it is not a unit code.
fn optional_unit(text: &str) -> Result<Option<AdminUnitCode>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    text.trim().parse().map(Some).map_err(|e| format!("{e}"))
}

/// The unit a service point or an offer must name, or the refusal naming the field.
fn required_unit(signed: &Signed, text: &str) -> Result<AdminUnitCode, Box<Response>> {
    match optional_unit(text) {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(invalid(
            signed,
            "admin_unit",
            &signed.t.t("providers-unit-needed"),
        )),
        Err(e) => Err(invalid(signed, "admin_unit", &e)),
    }
}

fn invalid(signed: &Signed, field: &str, detail: &str) -> Box<Response> {
    Box::new(signed.refuse(
        StatusCode::UNPROCESSABLE_ENTITY,
        signed.t.t_with(
            "invalid-field",
            &[
                ("field", field.to_owned().into()),
                ("detail", detail.to_owned().into()),
            ],
        ),
    ))
}

fn kind_of(text: &str) -> Option<ProviderKind> {
    ProviderKind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == text)
}

/// The kind and the optional unit of a provider's form, or the refusal naming the field.
fn kind_and_unit(
    signed: &Signed,
    kind: &str,
    unit: &str,
) -> Result<(ProviderKind, Option<AdminUnitCode>), Box<Response>> {
    let kind = kind_of(kind)
        .ok_or_else(|| invalid(signed, "kind", &signed.t.t("providers-kind-unknown")))?;
    let unit = optional_unit(unit).map_err(|e| invalid(signed, "admin_unit", &e))?;
    Ok((kind, unit))
}

async fn create(State(state): State<AppState>, posted: Posted<CreateForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageProviders)?;
    let (kind, admin_unit) = match kind_and_unit(&signed, &form.kind, &form.admin_unit) {
        Ok(k) => k,
        Err(r) => return Ok(*r),
    };
    Ok(
        match state
            .store
            .create_provider(
                signed.principal(),
                NewProvider {
                    external_id: form.external_id,
                    name: form.name,
                    kind,
                    admin_unit,
                },
            )
            .await
        {
            Ok(p) => see_other(&format!("/providers/{}", p.id)),
            Err(e) => refusal(&signed, e),
        },
    )
}

struct PointLine {
    id: Uuid,
    name: String,
    /// The unit's code, to preselect it in the change form.
    admin_unit: String,
    place: String,
    address: String,
    active: bool,
}

struct OfferLine {
    id: Uuid,
    /// The offer's key, sent back by its change form.
    service_code: String,
    admin_unit: String,
    service_point: String,
    service: String,
    place: String,
    point: String,
    places: String,
    free: String,
    waiting: i64,
    active: bool,
    version: i32,
}

#[derive(Template)]
#[template(path = "provider.html")]
struct ProviderPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    external_id: String,
    name: String,
    kind: String,
    admin_unit: String,
    active: bool,
    version: i32,
    kinds: Vec<Choice>,
    units: Vec<Choice>,
    services: Vec<Choice>,
    points: Vec<PointLine>,
    point_choices: Vec<Choice>,
    offers: Vec<OfferLine>,
}

fn provider_page(state: &AppState, signed: Signed, p: Provider) -> Response {
    let t = &signed.t;
    let catalogue = state.store.catalogue();
    let service_label = |code: &str| {
        catalogue.term("service", code).map_or_else(
            || code.to_owned(),
            |s| format!("{} ({code})", s.name(t.lang())),
        )
    };
    // Providers offer the specialized and residential services; the universal ones, etrap
    // social work and the hotline are not referred to through the register.
    let services = catalogue
        .services
        .iter()
        .filter(|s| s.route().offered_in_register())
        .map(|s| Choice {
            code: s.code.clone(),
            label: service_label(&s.code),
        })
        .collect();
    let point_name = |id: Option<Uuid>| {
        id.and_then(|id| p.service_points.iter().find(|sp| sp.id == id))
            .map(|sp| sp.name.clone())
            .unwrap_or_default()
    };
    let offers = p
        .offers
        .iter()
        .map(|o| OfferLine {
            id: o.id,
            service_code: o.service_code.clone(),
            admin_unit: o.admin_unit.clone(),
            service_point: o
                .service_point_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            service: service_label(&o.service_code),
            place: place_label(&catalogue, t, Some(&o.admin_unit)),
            point: point_name(o.service_point_id),
            places: o.places.map(|n| n.to_string()).unwrap_or_default(),
            free: o
                .free_places
                .map_or_else(|| t.t("places-unlimited"), |n| n.to_string()),
            waiting: o.waiting,
            active: o.active,
            version: o.version,
        })
        .collect();
    let page = ProviderPage {
        user: signed.user(),
        id: p.id,
        kinds: kind_choices(t),
        units: unit_choices(&catalogue, t),
        services,
        points: p
            .service_points
            .iter()
            .map(|sp| PointLine {
                id: sp.id,
                name: sp.name.clone(),
                admin_unit: sp.admin_unit.clone(),
                place: place_label(&catalogue, t, Some(&sp.admin_unit)),
                address: sp.address.clone().unwrap_or_default(),
                active: sp.active,
            })
            .collect(),
        // New offers go to open points only.
        point_choices: p
            .service_points
            .iter()
            .filter(|sp| sp.active)
            .map(|sp| Choice {
                code: sp.id.to_string(),
                label: sp.name.clone(),
            })
            .collect(),
        offers,
        kind: p.kind.as_str().to_owned(),
        admin_unit: p.admin_unit.clone().unwrap_or_default(),
        external_id: p.external_id,
        name: p.name,
        active: p.active,
        version: p.version,
        t: signed.t,
    };
    render(page)
}

async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<Uuid>) -> PageResult {
    signed.require(Permission::ManageProviders)?;
    Ok(match state.store.provider(signed.principal(), id).await {
        Ok(p) => provider_page(&state, signed, p),
        Err(e) => refusal(&signed, e),
    })
}

#[derive(Deserialize)]
struct UpdateForm {
    version: i32,
    name: String,
    kind: String,
    #[serde(default)]
    admin_unit: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    active: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<UpdateForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageProviders)?;
    let (kind, admin_unit) = match kind_and_unit(&signed, &form.kind, &form.admin_unit) {
        Ok(k) => k,
        Err(r) => return Ok(*r),
    };
    let change = ProviderChange {
        version: form.version,
        name: form.name,
        kind,
        admin_unit,
        active: form.active.is_some(),
    };
    Ok(
        match state
            .store
            .update_provider(signed.principal(), id, change)
            .await
        {
            Ok(_) => see_other(&format!("/providers/{id}")),
            Err(e) => refusal(&signed, e),
        },
    )
}

#[derive(Deserialize)]
struct PointForm {
    name: String,
    admin_unit: String,
    #[serde(default)]
    address: String,
}

async fn add_point(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<PointForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageProviders)?;
    let admin_unit = match required_unit(&signed, &form.admin_unit) {
        Ok(u) => u,
        Err(r) => return Ok(*r),
    };
    let new = NewServicePoint {
        name: form.name,
        admin_unit,
        address: Some(form.address).filter(|a| !a.trim().is_empty()),
    };
    Ok(
        match state
            .store
            .add_service_point(signed.principal(), id, new)
            .await
        {
            Ok(_) => see_other(&format!("/providers/{id}#points")),
            Err(e) => refusal(&signed, e),
        },
    )
}

#[derive(Deserialize)]
struct PointChangeForm {
    /// The provider's version read.
    version: i32,
    name: String,
    admin_unit: String,
    #[serde(default)]
    address: String,
    /// A checkbox: present while the point is open.
    #[serde(default)]
    active: Option<String>,
}

/// Changes a service point, or ends it (the box unticked).
async fn update_point(
    State(state): State<AppState>,
    Path((id, point)): Path<(Uuid, Uuid)>,
    posted: Posted<PointChangeForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageProviders)?;
    let admin_unit = match required_unit(&signed, &form.admin_unit) {
        Ok(u) => u,
        Err(r) => return Ok(*r),
    };
    let change = ServicePointChange {
        version: form.version,
        name: form.name,
        admin_unit,
        address: Some(form.address).filter(|a| !a.trim().is_empty()),
        active: form.active.is_some(),
    };
    Ok(
        match state
            .store
            .update_service_point(signed.principal(), id, point, change)
            .await
        {
            Ok(_) => see_other(&format!("/providers/{id}#points")),
            Err(e) => refusal(&signed, e),
        },
    )
}

#[derive(Deserialize)]
struct OfferForm {
    service_code: String,
    admin_unit: String,
    /// Empty: not limited.
    #[serde(default)]
    places: String,
    #[serde(default)]
    service_point: String,
    #[serde(default)]
    active: Option<String>,
    /// Present when changing an existing offer.
    #[serde(default)]
    version: Option<i32>,
}

async fn set_offer(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<OfferForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageProviders)?;
    let service_code: ServiceCode = match form.service_code.trim().parse() {
        Ok(c) => c,
        Err(e) => return Ok(*invalid(&signed, "service_code", &format!("{e}"))),
    };
    let admin_unit = match required_unit(&signed, &form.admin_unit) {
        Ok(u) => u,
        Err(r) => return Ok(*r),
    };
    let places = match form.places.trim() {
        "" => None,
        text => match text.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Ok(*invalid(
                    &signed,
                    "places",
                    &signed.t.t("providers-places-number"),
                ))
            }
        },
    };
    let service_point = match form.service_point.trim() {
        "" => None,
        text => match text.parse::<Uuid>() {
            Ok(u) => Some(u),
            Err(_) => return Ok(signed.unreadable_form()),
        },
    };
    let req = OfferRequest {
        service_code,
        admin_unit,
        places,
        service_point,
        active: form.active.is_some(),
        version: form.version,
    };
    Ok(
        match state.store.set_offer(signed.principal(), id, req).await {
            Ok(_) => see_other(&format!("/providers/{id}#offers")),
            Err(e) => refusal(&signed, e),
        },
    )
}
