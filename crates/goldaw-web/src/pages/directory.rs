//! The public side (issue #23, docs/directory.md): the directory of services and the request for
//! help, without signing in; and the ministry's page that edits what the public reads.
//!
//! - `GET /directory?place=&q=`: search by place and by need in plain words;
//! - `GET /directory/services/{id}`: one service, with "ask for help";
//! - `GET /directory/leaflet/{unit}`: a printable leaflet of an etrap's services and contacts;
//! - `GET /help`, `POST /help`: the request form (honeypot, minimum time open, size limits; the
//!   store counts the per-address and global limits, 429 beyond them);
//! - `GET /directory/manage`, `POST /directory/manage/...`: the ministry's and the admin's
//!   controls (public descriptions, offices and hotlines, the switches).
//!
//! Small pages, no script, no third party; the operator's switches turn the directory and the
//! form off (answered 503 with the page that says whom to call).

use super::common::{render, server_error, unit_name};
use super::error::{OrRefuse, PageResult};
use super::extract::{message_page, see_other, Posted, Signed};
use super::translator;
use crate::client_addr::ClientAddr;
use crate::i18n::Translator;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_core::ids::AdminUnitCode;
use goldaw_store::catalogue::Catalogue;
use goldaw_store::directory::{
    Contact, ContactChange, DirectoryEntry, EntryChange, PublicSwitches,
};
use goldaw_store::public_requests::{Limited, PublicRequest, FORM_MAX_AGE_SECONDS};
use goldaw_store::public_requests::{MAX_CONCERN, MAX_CONTACT};
use serde::Deserialize;
use uuid::Uuid;

/// The largest request form read (the fields' own limits are far below).
const HELP_FORM_LIMIT: usize = 16 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/directory", get(directory))
        .route("/directory/services/{id}", get(service))
        .route("/directory/leaflet/{unit}", get(leaflet))
        .route("/help", get(help_form).post(help_send))
        .route("/directory/manage", get(manage))
        .route("/directory/manage/switches", post(save_switches))
        .route("/directory/manage/entries/{id}", post(save_entry))
        .route("/directory/manage/contacts", post(add_contact))
}

/// A place to choose: its code, its name, and whether it is a velayat (a group heading).
pub struct PlaceOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
    pub indent: bool,
}

fn is_etrap_level(level: &str) -> bool {
    matches!(level, "etrap" | "city_etrap_status" | "borough")
}

/// The places of the country, velayats first with their etraps under them.
fn places(
    catalogue: &Catalogue,
    t: &Translator,
    selected: Option<&str>,
    etraps_only: bool,
) -> Vec<PlaceOption> {
    let mut out = Vec::new();
    for v in catalogue
        .admin_units
        .iter()
        .filter(|u| matches!(u.level.as_str(), "velayat" | "capital_city_velayat_status"))
    {
        if !etraps_only {
            out.push(PlaceOption {
                code: v.code.clone(),
                name: unit_name(v, t),
                selected: selected == Some(v.code.as_str()),
                indent: false,
            });
        }
        for e in catalogue.admin_units.iter().filter(|u| {
            u.parent_code.as_deref() == Some(v.code.as_str()) && is_etrap_level(&u.level)
        }) {
            out.push(PlaceOption {
                code: e.code.clone(),
                name: if etraps_only {
                    format!("{} ({})", unit_name(e, t), unit_name(v, t))
                } else {
                    unit_name(e, t)
                },
                selected: selected == Some(e.code.as_str()),
                indent: !etraps_only,
            });
        }
    }
    out
}

/// A place typed or chosen: a unit of the catalogue, or nothing.
fn known_place(catalogue: &Catalogue, code: Option<&str>) -> Option<AdminUnitCode> {
    let code: AdminUnitCode = code?.trim().parse().ok()?;
    catalogue.admin_unit(&code).map(|_| code)
}

fn place_name(catalogue: &Catalogue, code: &str, t: &Translator) -> String {
    catalogue
        .admin_units
        .iter()
        .find(|u| u.code == code)
        .map_or_else(|| code.to_owned(), |u| unit_name(u, t))
}

fn service_name(catalogue: &Catalogue, code: &str, lang: &str) -> String {
    catalogue
        .term("service", code)
        .map_or_else(|| code.to_owned(), |t| t.name(lang).to_owned())
}

/// A service as a page shows it.
pub struct EntryView {
    pub id: Uuid,
    pub service: String,
    pub provider: String,
    pub place: String,
    pub form: String,
    pub address: String,
    pub places: String,
    pub description: String,
    pub how_to_apply: String,
    pub opening_hours: String,
    pub contact: String,
    pub admin_unit: String,
}

fn entry_view(catalogue: &Catalogue, t: &Translator, e: &DirectoryEntry) -> EntryView {
    let address = match (&e.point_name, &e.address) {
        (Some(n), Some(a)) if !a.is_empty() => format!("{n}, {a}"),
        (Some(n), _) => n.clone(),
        (None, Some(a)) => a.clone(),
        (None, None) => String::new(),
    };
    EntryView {
        id: e.id,
        service: service_name(catalogue, &e.service_code, t.lang()),
        provider: e.provider_name.clone(),
        place: place_name(catalogue, &e.admin_unit, t),
        form: e
            .form
            .as_deref()
            .map(|f| t.t(&format!("directory-form-{f}")))
            .unwrap_or_default(),
        address,
        places: t.t(&format!("directory-places-{}", e.places.as_str())),
        description: e.description(t.lang()).to_owned(),
        how_to_apply: e.how_to_apply.clone(),
        opening_hours: e.opening_hours.clone(),
        contact: e.contact.clone(),
        admin_unit: e.admin_unit.clone(),
    }
}

pub struct ContactView {
    pub kind: String,
    pub name: String,
    pub place: String,
    pub address: String,
    pub phone: String,
    pub opening_hours: String,
}

fn contact_view(catalogue: &Catalogue, t: &Translator, c: &Contact) -> ContactView {
    ContactView {
        kind: t.t(if c.kind == "hotline" {
            "directory-hotline"
        } else {
            "directory-office"
        }),
        name: c.name.clone(),
        place: place_name(catalogue, &c.admin_unit, t),
        address: c.address.clone(),
        phone: c.phone.clone(),
        opening_hours: c.opening_hours.clone(),
    }
}

/// The words of a service code in every language, for the search by need.
fn need_words(catalogue: &Catalogue, code: &str) -> String {
    let mut words = String::new();
    if let Some(term) = catalogue.term("service", code) {
        for lang in ["tk", "ru", "en"] {
            words.push_str(term.name(lang));
            words.push(' ');
        }
    }
    // A form code (`day_care`): its names in the three languages.
    for lang in ["tk", "ru", "en"] {
        let t = Translator::new(Some(lang));
        let key = format!("directory-form-{code}");
        let text = t.t(&key);
        if text != key {
            words.push_str(&text);
            words.push(' ');
        }
    }
    words
}

async fn switches(state: &AppState) -> Result<PublicSwitches, Response> {
    state.store.public_switches().await.map_err(server_error)
}

fn closed(t: &Translator, text_key: &str) -> Response {
    message_page(
        t,
        None,
        StatusCode::SERVICE_UNAVAILABLE,
        "directory-closed-title",
        text_key,
    )
}

fn not_found(t: &Translator) -> Response {
    message_page(
        t,
        None,
        StatusCode::NOT_FOUND,
        "not-found",
        "not-found-text",
    )
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    t: Translator,
    user: Option<super::UserView>,
    places: Vec<PlaceOption>,
    q: String,
    searched: bool,
    found_text: String,
    entries: Vec<EntryView>,
    contacts: Vec<ContactView>,
    leaflet: Option<String>,
    requests_open: bool,
}

#[derive(Deserialize, Default)]
struct DirectoryQuery {
    place: Option<String>,
    q: Option<String>,
}

async fn directory(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<DirectoryQuery>, QueryRejection>,
) -> Response {
    let t = translator(&headers);
    let sw = match switches(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !sw.directory {
        return closed(&t, "directory-closed");
    }
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let catalogue = state.store.catalogue();
    let place = known_place(&catalogue, query.place.as_deref());
    let q: String = query
        .q
        .unwrap_or_default()
        .chars()
        .take(goldaw_core::directory::MAX_QUERY)
        .collect();
    let searched = place.is_some() || !q.trim().is_empty();
    let names = |code: &str| need_words(&catalogue, code);
    let (entries, contacts) = if searched {
        let entries = match state.store.directory(place.as_ref(), &q, &names).await {
            Ok(e) => e,
            Err(e) => return server_error(e),
        };
        let contacts = match state.store.directory_contacts(place.as_ref()).await {
            Ok(c) => c,
            Err(e) => return server_error(e),
        };
        (entries, contacts)
    } else {
        (Vec::new(), Vec::new())
    };
    let leaflet = place
        .as_ref()
        .filter(|p| {
            catalogue
                .admin_unit(p)
                .is_some_and(|u| is_etrap_level(&u.level))
        })
        .map(|p| p.to_string());
    render(DirectoryPage {
        places: places(&catalogue, &t, place.as_ref().map(|p| p.as_str()), false),
        q,
        searched,
        found_text: t.t_with("directory-found", &[("count", entries.len().into())]),
        entries: entries
            .iter()
            .map(|e| entry_view(&catalogue, &t, e))
            .collect(),
        contacts: contacts
            .iter()
            .map(|c| contact_view(&catalogue, &t, c))
            .collect(),
        leaflet,
        requests_open: sw.requests,
        user: None,
        t,
    })
}

#[derive(Template)]
#[template(path = "directory_service.html")]
struct ServicePage {
    t: Translator,
    user: Option<super::UserView>,
    e: EntryView,
    requests_open: bool,
}

async fn service(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Response {
    let t = translator(&headers);
    let sw = match switches(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !sw.directory {
        return closed(&t, "directory-closed");
    }
    let Ok(Path(id)) = id else {
        return not_found(&t);
    };
    let entry = match state.store.directory_entry(id).await {
        Ok(Some(e)) => e,
        Ok(None) => return not_found(&t),
        Err(e) => return server_error(e),
    };
    let catalogue = state.store.catalogue();
    render(ServicePage {
        e: entry_view(&catalogue, &t, &entry),
        requests_open: sw.requests,
        user: None,
        t,
    })
}

#[derive(Template)]
#[template(path = "directory_leaflet.html")]
struct LeafletPage {
    t: Translator,
    user: Option<super::UserView>,
    title: String,
    entries: Vec<EntryView>,
    contacts: Vec<ContactView>,
}

async fn leaflet(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(unit): Path<String>,
) -> Response {
    let t = translator(&headers);
    let sw = match switches(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !sw.directory {
        return closed(&t, "directory-closed");
    }
    let catalogue = state.store.catalogue();
    let Some(place) = known_place(&catalogue, Some(&unit)) else {
        return not_found(&t);
    };
    let names = |code: &str| need_words(&catalogue, code);
    let entries = match state.store.directory(Some(&place), "", &names).await {
        Ok(e) => e,
        Err(e) => return server_error(e),
    };
    let contacts = match state.store.directory_contacts(Some(&place)).await {
        Ok(c) => c,
        Err(e) => return server_error(e),
    };
    render(LeafletPage {
        title: t.t_with(
            "directory-leaflet-title",
            &[("place", place_name(&catalogue, place.as_str(), &t).into())],
        ),
        entries: entries
            .iter()
            .map(|e| entry_view(&catalogue, &t, e))
            .collect(),
        contacts: contacts
            .iter()
            .map(|c| contact_view(&catalogue, &t, c))
            .collect(),
        user: None,
        t,
    })
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    t: Translator,
    user: Option<super::UserView>,
    token: String,
    places: Vec<PlaceOption>,
    service: String,
    service_name: Option<String>,
    message: Option<String>,
    form: HelpForm,
    concern_limit: usize,
    contact_limit: usize,
    concern_label: String,
    contact_label: String,
}

#[derive(Deserialize, Default)]
struct HelpQuery {
    service: Option<Uuid>,
    place: Option<String>,
}

/// What the form sends (every field optional here: the store says which is missing).
#[derive(Deserialize, Default, Clone)]
struct HelpForm {
    #[serde(default)]
    token: String,
    /// The honeypot: a field people do not see, that bots fill in.
    #[serde(default)]
    website: String,
    #[serde(default)]
    for_whom: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    admin_unit: String,
    #[serde(default)]
    concern: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    service: String,
}

fn help_page(
    state: &AppState,
    t: Translator,
    form: HelpForm,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let token = match state.store.public_form_token() {
        Ok(tk) => tk,
        Err(e) => return server_error(e),
    };
    let catalogue = state.store.catalogue();
    let service_name =
        (!form.service.is_empty()).then(|| service_name(&catalogue, &form.service, t.lang()));
    let mut r = render(HelpPage {
        token,
        places: places(&catalogue, &t, Some(form.admin_unit.as_str()), true),
        service: form.service.clone(),
        service_name,
        message,
        form,
        concern_limit: MAX_CONCERN,
        contact_limit: MAX_CONTACT,
        concern_label: t.t_with("help-concern", &[("limit", MAX_CONCERN.into())]),
        contact_label: t.t_with("help-contact", &[("limit", MAX_CONTACT.into())]),
        user: None,
        t,
    });
    *r.status_mut() = status;
    r
}

async fn help_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HelpQuery>, QueryRejection>,
) -> Response {
    let t = translator(&headers);
    let sw = match switches(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !sw.requests {
        return closed(&t, "help-closed");
    }
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let mut form = HelpForm::default();
    // From a service's page: its etrap (when the offer is for one) and its service.
    if let Some(id) = query.service {
        if let Ok(Some(e)) = state.store.directory_entry(id).await {
            form.service = e.service_code.clone();
            form.admin_unit = e.admin_unit.clone();
        }
    }
    if let Some(place) = query.place {
        form.admin_unit = place.chars().take(20).collect();
    }
    help_page(&state, t, form, None, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "help_sent.html")]
struct HelpSentPage {
    t: Translator,
    user: Option<super::UserView>,
    reference: String,
}

async fn help_send(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let t = translator(&headers);
    let sw = match switches(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !sw.requests {
        return closed(&t, "help-closed");
    }
    let refused = |t: &Translator, status: StatusCode, key: &str| {
        message_page(t, None, status, "help-refused-title", key)
    };
    // Size first: a large body is refused before it is read whole.
    let Ok(bytes) = axum::body::to_bytes(body, HELP_FORM_LIMIT).await else {
        return refused(&t, StatusCode::PAYLOAD_TOO_LARGE, "help-too-large");
    };
    let Ok(form) = serde_urlencoded::from_bytes::<HelpForm>(&bytes) else {
        return refused(&t, StatusCode::BAD_REQUEST, "help-unreadable");
    };
    // The honeypot: people never see the field; whatever fills it in is not a person.
    if !form.website.is_empty() {
        tracing::info!(address = %addr, "public request refused: honeypot");
        return refused(&t, StatusCode::BAD_REQUEST, "help-unreadable");
    }
    // The form's clock: not sooner than a person could write it, not a day old.
    match state.store.public_form_age(&form.token) {
        None => return refused(&t, StatusCode::BAD_REQUEST, "help-expired"),
        Some(age) if !(0..=FORM_MAX_AGE_SECONDS).contains(&age) => {
            return refused(&t, StatusCode::BAD_REQUEST, "help-expired")
        }
        Some(age) if age < i64::from(sw.form_min_seconds) => {
            let message = t.t("help-too-fast");
            return help_page(&state, t, form, Some(message), StatusCode::BAD_REQUEST);
        }
        Some(_) => {}
    }
    let request = PublicRequest {
        for_someone_else: form.for_whom == "other",
        given_name: form.given_name.clone(),
        family_name: form.family_name.clone(),
        sex: form.sex.clone(),
        admin_unit: form.admin_unit.clone(),
        concern: form.concern.clone(),
        contact: form.contact.clone(),
        consent: form.consent.is_some(),
        service_code: Some(form.service.clone()),
    };
    match state
        .store
        .submit_public_request(&addr.to_string(), request, sw.limits())
        .await
    {
        Ok(Ok(receipt)) => render(HelpSentPage {
            reference: receipt.reference,
            user: None,
            t,
        }),
        Ok(Err(Limited::Address | Limited::Global)) => {
            let mut r = refused(&t, StatusCode::TOO_MANY_REQUESTS, "help-too-many");
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("3600"),
            );
            r
        }
        Err(goldaw_store::StoreError::Invalid { say: Some(say), .. }) => {
            let message = t.say(&say);
            help_page(
                &state,
                t,
                form,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => server_error(e),
    }
}

// The ministry's and the admin's page.

pub struct ManagedEntry {
    pub view: EntryView,
    pub description_tk: String,
    pub description_ru: String,
    pub description_en: String,
    pub version: i32,
}

#[derive(Template)]
#[template(path = "directory_manage.html")]
struct ManagePage {
    t: Translator,
    user: Option<super::UserView>,
    csrf: String,
    switches: Option<PublicSwitches>,
    entries: Vec<ManagedEntry>,
    contacts: Vec<ContactView>,
}

async fn manage(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::ManageProviders)?;
    let t = &signed.t;
    let catalogue = state.store.catalogue();
    let names = |code: &str| need_words(&catalogue, code);
    let entries = state
        .store
        .directory(None, "", &names)
        .await
        .or_refuse(&signed)?;
    let contacts = state
        .store
        .directory_contacts(None)
        .await
        .or_refuse(&signed)?;
    let may_switch = signed.principal().may(Permission::ManageSettings);
    let switches = if may_switch {
        Some(state.store.public_switches().await.or_refuse(&signed)?)
    } else {
        None
    };
    Ok(render(ManagePage {
        csrf: signed.session.csrf.clone(),
        switches,
        entries: entries
            .iter()
            .map(|e| ManagedEntry {
                view: entry_view(&catalogue, t, e),
                description_tk: e.description_tk.clone(),
                description_ru: e.description_ru.clone(),
                description_en: e.description_en.clone(),
                version: e.version,
            })
            .collect(),
        contacts: contacts
            .iter()
            .map(|c| contact_view(&catalogue, t, c))
            .collect(),
        user: signed.user(),
        t: t.clone_lang(),
    }))
}

#[derive(Deserialize)]
struct SwitchesForm {
    #[serde(default)]
    directory: Option<String>,
    #[serde(default)]
    requests: Option<String>,
    form_min_seconds: u32,
    per_address_per_hour: u32,
    global_per_hour: u32,
    retention_days: u32,
}

async fn save_switches(State(state): State<AppState>, posted: Posted<SwitchesForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageSettings)?;
    state
        .store
        .set_public_switches(
            signed.principal(),
            PublicSwitches {
                directory: form.directory.is_some(),
                requests: form.requests.is_some(),
                form_min_seconds: form.form_min_seconds,
                per_address_per_hour: form.per_address_per_hour,
                global_per_hour: form.global_per_hour,
                retention_days: form.retention_days,
            },
        )
        .await
        .or_refuse(&signed)?;
    Ok(see_other("/directory/manage"))
}

#[derive(Deserialize)]
struct EntryForm {
    version: i32,
    #[serde(default)]
    description_tk: String,
    #[serde(default)]
    description_ru: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    how_to_apply: String,
    #[serde(default)]
    opening_hours: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    published: Option<String>,
}

async fn save_entry(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<EntryForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageProviders)?;
    state
        .store
        .set_directory_entry(
            signed.principal(),
            id,
            EntryChange {
                version: form.version,
                description_tk: form.description_tk,
                description_ru: form.description_ru,
                description_en: form.description_en,
                how_to_apply: form.how_to_apply,
                opening_hours: form.opening_hours,
                contact: form.contact,
                published: form.published.is_some(),
            },
        )
        .await
        .or_refuse(&signed)?;
    Ok(see_other("/directory/manage"))
}

#[derive(Deserialize)]
struct ContactForm {
    admin_unit: String,
    kind: String,
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    opening_hours: String,
}

async fn add_contact(State(state): State<AppState>, posted: Posted<ContactForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageProviders)?;
    let Ok(unit) = form.admin_unit.trim().parse::<AdminUnitCode>() else {
        return Ok(signed.unreadable_form());
    };
    state
        .store
        .set_directory_contact(
            signed.principal(),
            ContactChange {
                id: None,
                version: 0,
                admin_unit: unit,
                kind: form.kind,
                name: form.name,
                address: form.address,
                phone: form.phone,
                opening_hours: form.opening_hours,
            },
        )
        .await
        .or_refuse(&signed)?;
    Ok(see_other("/directory/manage"))
}
