//! A person's page (`/people/{id}`) and a household's page (`/households/{id}`), issue #19: who
//! they are, the household and its members, the cases, referrals and services the reader may
//! see, the history of changes, and the edit forms (with the version read: 409 when someone
//! changed the record meanwhile). The store reads in scope (404 outside it, and for a person
//! hidden from the reader) and audits; the page offers a form only when
//! `goldaw_core::persons::person_work` says so, and the store decides again.

use super::common::{local_time, render, unit_name};
use super::error::{OrRefuse, PageResult};
use super::extract::{see_other, Posted, Signed};
use super::UserView;
use crate::i18n::Translator;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_core::codes::{Relationship, Settlement, Sex};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::names::PersonName;
use goldaw_core::persons::{changed_in_detail, person_work};
use goldaw_store::people::PersonChange;
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people/duplicates", get(duplicates_page))
        .route("/people/{id}", get(person_page).post(edit_person))
        .route("/households/{id}", get(household_page).post(edit_household))
        .route("/households/{id}/members", post(add_member))
}

/// An option of a select.
pub(crate) struct Choice {
    pub(crate) code: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

struct Fact {
    label: String,
    value: String,
}

struct MemberLine {
    id: Uuid,
    name: String,
    relationship: String,
    /// The person whose page this is.
    this: bool,
}

struct CaseLine {
    id: Uuid,
    number: String,
    status: String,
    place: String,
    opened_on: String,
    worker: String,
}

struct ReferralLine {
    case_id: Uuid,
    case_number: String,
    service: String,
    provider: String,
    status: String,
    sent: String,
}

struct ServiceLine {
    service: String,
    provider: String,
    period: String,
    units: String,
}

struct ChangeLine {
    when: String,
    who: String,
    what: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    version: i32,
    name: String,
    facts: Vec<Fact>,
    household_id: Option<Uuid>,
    household_name: String,
    members: Vec<MemberLine>,
    cases: Vec<CaseLine>,
    referrals: Vec<ReferralLine>,
    services: Vec<ServiceLine>,
    history: Vec<ChangeLine>,
    may_edit: bool,
    may_merge: bool,
    /// The edit form's current values.
    given_name: String,
    family_name: String,
    birth_date: String,
    sexes: Vec<Choice>,
    settlements: Vec<Choice>,
    benefits: Vec<Choice>,
    relationships: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    version: i32,
    name: String,
    implicit: bool,
    facts: Vec<Fact>,
    members: Vec<MemberLine>,
    history: Vec<ChangeLine>,
    may_edit: bool,
    address: String,
    settlements: Vec<Choice>,
    relationships: Vec<Choice>,
}

fn choices(items: impl IntoIterator<Item = (String, String)>, selected: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(code, label)| Choice {
            selected: code == selected,
            code,
            label,
        })
        .collect()
}

fn full_name(given: &str, family: Option<&str>) -> String {
    match family {
        Some(f) if !f.is_empty() => format!("{f} {given}"),
        _ => given.to_owned(),
    }
}

fn relationship_choices(t: &Translator, selected: Option<Relationship>) -> Vec<Choice> {
    let mut out = vec![Choice {
        code: String::new(),
        label: String::new(),
        selected: selected.is_none(),
    }];
    out.extend(choices(
        Relationship::ALL.iter().map(|r| {
            (
                r.as_str().to_owned(),
                t.t(&format!("relationship-{}", r.as_str())),
            )
        }),
        selected.map(Relationship::as_str).unwrap_or_default(),
    ));
    out
}

fn settlement_choices(t: &Translator, selected: Option<Settlement>) -> Vec<Choice> {
    let mut out = vec![Choice {
        code: String::new(),
        label: t.t("person-unknown"),
        selected: selected.is_none(),
    }];
    out.extend(choices(
        Settlement::ALL.iter().map(|s| {
            (
                s.as_str().to_owned(),
                t.t(&format!("stat-settlement-{}", s.as_str())),
            )
        }),
        selected.map(Settlement::as_str).unwrap_or_default(),
    ));
    out
}

/// The history of the record `this`, each change as "created" or "changed: given name, birth
/// date"; a change of a record merged into it says so.
fn history_lines(t: &Translator, this: Uuid, history: &[PersonChange]) -> Vec<ChangeLine> {
    let this = this.to_string();
    history
        .iter()
        .map(|c| {
            let mut action = t.t(&format!("person-change-{}", c.action.replace('.', "-")));
            if c.record != this {
                action = format!("{action} ({})", t.t("person-change-merged-record"));
            }
            let fields: Vec<String> = c
                .detail
                .as_deref()
                .map(changed_in_detail)
                .unwrap_or_default()
                .into_iter()
                .map(|f| t.t(&format!("person-field-{f}")))
                .collect();
            ChangeLine {
                when: local_time(c.at),
                who: c.actor.clone(),
                what: if fields.is_empty() {
                    action
                } else {
                    format!("{action}: {}", fields.join(", "))
                },
            }
        })
        .collect()
}

fn place_name(state: &AppState, t: &Translator, code: &str) -> String {
    let catalogue = state.store.catalogue();
    code.parse::<AdminUnitCode>()
        .ok()
        .and_then(|u| catalogue.admin_unit(&u).map(|u| unit_name(u, t)))
        .unwrap_or_else(|| code.to_owned())
}

async fn person_page(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> PageResult {
    signed.require(Permission::ReadPeople)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let file = state.store.person_file(p, id).await.or_refuse(&signed)?;
    if file.person.id != id {
        // A merged record opens as the record it was merged into.
        return Ok(see_other(&format!("/people/{}", file.person.id)));
    }
    let t = &signed.t;
    let catalogue = state.store.catalogue();
    let person = &file.person;
    let d = &person.data;
    let term = |kind: &str, code: &str| {
        catalogue
            .term(kind, code)
            .map_or_else(|| code.to_owned(), |n| n.name(t.lang()).to_owned())
    };
    let service_name = |code: &str| {
        catalogue.term("service", code).map_or_else(
            || code.to_owned(),
            |s| format!("{} ({code})", s.name(t.lang())),
        )
    };
    let unknown = || t.t("person-unknown");
    let yes_no = |b: bool| t.t(if b { "yes" } else { "no" });
    let mut facts = vec![
        Fact {
            label: t.t("person-id"),
            value: person.person_id.clone(),
        },
        Fact {
            label: t.t("person-given-name"),
            value: d.given_name.to_string(),
        },
        Fact {
            label: t.t("person-family-name"),
            value: d
                .family_name
                .as_ref()
                .map_or_else(unknown, |f| f.to_string()),
        },
        Fact {
            label: t.t("col-birth-date"),
            value: d.birth_date.map_or_else(unknown, |b| b.to_string()),
        },
        Fact {
            label: t.t("col-sex"),
            value: t.t(&format!("sex-{}", d.sex.as_str())),
        },
        Fact {
            label: t.t("person-etrap"),
            value: place_name(&state, t, d.admin_unit.as_str()),
        },
        Fact {
            label: t.t("person-settlement"),
            value: d
                .settlement
                .map_or_else(unknown, |s| t.t(&format!("stat-settlement-{}", s.as_str()))),
        },
        Fact {
            label: t.t("person-benefits"),
            value: d.receives_benefits.map_or_else(unknown, yes_no),
        },
    ];
    let wg = d.washington_group.as_array();
    for (domain, answer) in [
        "seeing",
        "hearing",
        "walking",
        "cognition",
        "selfcare",
        "communication",
    ]
    .iter()
    .zip(wg)
    {
        facts.push(Fact {
            label: t.t(&format!("person-wg-{domain}")),
            value: answer.map_or_else(unknown, |a| t.t(&format!("person-wg-answer-{}", a.code()))),
        });
    }
    facts.push(Fact {
        label: t.t("col-disability"),
        value: yes_no(person.disability),
    });
    facts.push(Fact {
        label: t.t("col-target-groups"),
        value: d
            .target_groups
            .iter()
            .map(|g| term("target_group", g.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
    });
    let members: Vec<MemberLine> = file
        .household
        .as_ref()
        .map(|h| {
            h.members
                .iter()
                .map(|m| MemberLine {
                    id: m.id,
                    name: full_name(&m.given_name, m.family_name.as_deref()),
                    relationship: m
                        .relationship
                        .as_deref()
                        .map(|r| t.t(&format!("relationship-{r}")))
                        .unwrap_or_default(),
                    this: m.id == person.id,
                })
                .collect()
        })
        .unwrap_or_default();
    let household_name = match &file.household {
        Some(h) if h.implicit => t.t("merge-lives-alone"),
        Some(h) => {
            let mut name = h.household_id.clone();
            if let Some(a) = &h.data.address {
                name.push_str(" · ");
                name.push_str(a);
            }
            name
        }
        None => String::new(),
    };
    let cases = file
        .cases
        .iter()
        .map(|c| CaseLine {
            id: c.id,
            number: c.number.clone(),
            status: t.t(&format!("case-status-{}", c.status)),
            place: place_name(&state, t, &c.admin_unit),
            opened_on: c.opened_on.to_string(),
            worker: c.worker.clone().unwrap_or_default(),
        })
        .collect();
    let referrals = file
        .referrals
        .iter()
        .map(|r| ReferralLine {
            case_id: r.case_id,
            case_number: r.case_number.clone(),
            service: service_name(&r.service_code),
            provider: r.provider.clone().unwrap_or_default(),
            status: t.t(&format!("referral-status-{}", r.status)),
            sent: local_time(r.sent_at),
        })
        .collect();
    let services = file
        .services
        .iter()
        .map(|s| ServiceLine {
            service: service_name(&s.service_code),
            provider: s.provider_id.clone().unwrap_or_default(),
            period: match s.ended_on {
                Some(e) => format!("{} – {e}", s.started_on),
                None => format!("{} –", s.started_on),
            },
            units: s.units.map(|u| u.to_string()).unwrap_or_default(),
        })
        .collect();
    let work = person_work(p);
    let page = PersonPage {
        user: signed.user(),
        id: person.id,
        version: person.version,
        name: full_name(
            d.given_name.as_str(),
            d.family_name.as_ref().map(PersonName::as_str),
        ),
        facts,
        household_id: file.household.as_ref().map(|h| h.id),
        household_name,
        members,
        cases,
        referrals,
        services,
        history: history_lines(t, file.person.id, &file.history),
        may_edit: work.edit,
        may_merge: work.merge,
        given_name: d.given_name.to_string(),
        family_name: d
            .family_name
            .as_ref()
            .map(|f| f.to_string())
            .unwrap_or_default(),
        birth_date: d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
        sexes: choices(
            Sex::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), t.t(&format!("sex-{}", s.as_str())))),
            d.sex.as_str(),
        ),
        settlements: settlement_choices(t, d.settlement),
        benefits: choices(
            [
                (String::new(), t.t("person-unknown")),
                ("yes".to_owned(), t.t("yes")),
                ("no".to_owned(), t.t("no")),
            ],
            match d.receives_benefits {
                None => "",
                Some(true) => "yes",
                Some(false) => "no",
            },
        ),
        relationships: relationship_choices(t, d.relationship),
        t: t.clone_lang(),
    };
    Ok(render(page))
}

#[derive(Deserialize)]
struct PersonForm {
    version: i32,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    settlement: String,
    #[serde(default)]
    receives_benefits: String,
    #[serde(default)]
    relationship: String,
}

/// A form field that did not parse: 422, naming the field and what it holds.
fn bad_field(signed: &Signed, field: &str) -> Response {
    let t = &signed.t;
    signed.refuse(
        StatusCode::UNPROCESSABLE_ENTITY,
        t.t_with(
            "person-field-bad",
            &[("field", t.t(&format!("person-field-{field}")).into())],
        ),
    )
}

/// Why an edit of a person or a household was not made; nothing was written.
enum EditError {
    /// A form field that does not parse: 422, naming it.
    Field(&'static str),
    /// A refusal in the page's words (key), with its status.
    Said(StatusCode, &'static str),
    /// The store's: 409 in the record's words when someone changed it since the version read.
    Store(StoreError),
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> Self {
        EditError::Store(e)
    }
}

/// A form field parsed, or the refusal naming it.
fn field<T, E>(name: &'static str, parsed: Result<T, E>) -> Result<T, EditError> {
    parsed.map_err(|_| EditError::Field(name))
}

/// An optional form field: empty is none.
fn optional<T: std::str::FromStr>(name: &'static str, s: &str) -> Result<Option<T>, EditError> {
    match s.trim() {
        "" => Ok(None),
        v => field(name, v.parse().map(Some)),
    }
}

/// The start of every edit of these pages: who may (write and read people), and the record's id
/// from the path (404 when it is not one).
fn editing(
    signed: &Signed,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Result<Uuid, super::error::PageError> {
    signed.require(Permission::WritePeople)?;
    signed.require(Permission::ReadPeople)?;
    match id {
        Ok(Path(id)) => Ok(id),
        Err(_) => Err(signed.not_found().into()),
    }
}

/// The end of every edit of these pages: back to the page written to; or the refusal, a stale
/// version in the record's words (409).
fn edited(signed: &Signed, result: Result<String, EditError>) -> Response {
    match result {
        Ok(to) => see_other(&to),
        Err(EditError::Field(name)) => bad_field(signed, name),
        Err(EditError::Said(status, key)) => signed.refuse(status, signed.t.t(key)),
        Err(EditError::Store(StoreError::Conflict { .. })) => {
            signed.refuse(StatusCode::CONFLICT, signed.t.t("person-conflict"))
        }
        Err(EditError::Store(e)) => super::common::refusal(signed, e),
    }
}

async fn edit_person(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
    posted: Posted<PersonForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let id = editing(&signed, id)?;
    let p = signed.principal();
    // Read in scope first: outside it the answer is 404 whatever the form holds.
    let current = state.store.person(p, id).await.or_refuse(&signed)?;
    let result = async {
        let mut data = current.data.clone();
        data.given_name = field("given_name", form.given_name.trim().parse::<PersonName>())?;
        data.family_name = optional("family_name", &form.family_name)?;
        data.birth_date = optional("birth_date", &form.birth_date)?;
        data.sex = field("sex", form.sex.parse::<Sex>())?;
        data.settlement = optional("settlement", &form.settlement)?;
        data.receives_benefits = match form.receives_benefits.as_str() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return Err(EditError::Field("receives_benefits")),
        };
        data.relationship = optional("relationship", &form.relationship)?;
        let record = state
            .store
            .update_person(p, current.id, form.version, data)
            .await?;
        Ok::<String, EditError>(format!("/people/{}", record.id))
    }
    .await;
    Ok(edited(&signed, result))
}

async fn household_page(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> PageResult {
    signed.require(Permission::ReadPeople)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let file = state.store.household_file(p, id).await.or_refuse(&signed)?;
    let t = &signed.t;
    let h = &file.household;
    let unknown = || t.t("person-unknown");
    let facts = vec![
        Fact {
            label: t.t("household-id"),
            value: if h.implicit {
                t.t("merge-lives-alone")
            } else {
                h.household_id.clone()
            },
        },
        Fact {
            label: t.t("household-address"),
            value: h.data.address.clone().unwrap_or_else(unknown),
        },
        Fact {
            label: t.t("person-etrap"),
            value: place_name(&state, t, h.data.admin_unit.as_str()),
        },
        Fact {
            label: t.t("person-settlement"),
            value: h
                .data
                .settlement
                .map_or_else(unknown, |s| t.t(&format!("stat-settlement-{}", s.as_str()))),
        },
    ];
    let members = h
        .members
        .iter()
        .map(|m| MemberLine {
            id: m.id,
            name: full_name(&m.given_name, m.family_name.as_deref()),
            relationship: m
                .relationship
                .as_deref()
                .map(|r| t.t(&format!("relationship-{r}")))
                .unwrap_or_default(),
            this: false,
        })
        .collect();
    let work = person_work(p);
    Ok(render(HouseholdPage {
        user: signed.user(),
        id: h.id,
        version: h.version,
        name: if h.implicit {
            t.t("merge-lives-alone")
        } else {
            h.household_id.clone()
        },
        implicit: h.implicit,
        facts,
        members,
        history: history_lines(t, h.id, &file.history),
        // A household made for someone living alone is changed through the person.
        may_edit: work.edit && !h.implicit,
        address: h.data.address.clone().unwrap_or_default(),
        settlements: settlement_choices(t, h.data.settlement),
        relationships: relationship_choices(t, None),
        t: t.clone_lang(),
    }))
}

#[derive(Deserialize)]
struct HouseholdForm {
    version: i32,
    #[serde(default)]
    address: String,
    #[serde(default)]
    settlement: String,
}

async fn edit_household(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
    posted: Posted<HouseholdForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let id = editing(&signed, id)?;
    let p = signed.principal();
    let current = state.store.household(p, id).await.or_refuse(&signed)?;
    let result = async {
        if current.implicit {
            return Err(EditError::Said(StatusCode::CONFLICT, "household-implicit"));
        }
        let mut data = current.data.clone();
        data.settlement = optional("settlement", &form.settlement)?;
        data.address = match form.address.trim() {
            "" => None,
            a => Some(a.to_owned()),
        };
        state
            .store
            .update_household(p, id, form.version, data)
            .await?;
        Ok::<String, EditError>(format!("/households/{id}"))
    }
    .await;
    Ok(edited(&signed, result))
}

#[derive(Deserialize)]
struct MemberForm {
    /// The person's id in the interchange files, or goldaw's id.
    #[serde(default)]
    person: String,
    #[serde(default)]
    relationship: String,
}

async fn add_member(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
    posted: Posted<MemberForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let id = editing(&signed, id)?;
    let p = signed.principal();
    // The household first: outside scope, 404 whatever the form holds.
    state.store.household(p, id).await.or_refuse(&signed)?;
    let result = async {
        let relationship = optional("relationship", &form.relationship)?;
        let wanted = form.person.trim();
        if wanted.is_empty() || wanted.chars().count() > 100 {
            return Err(EditError::Field("person"));
        }
        let person = match wanted.parse::<Uuid>() {
            Ok(uuid) => state.store.person(p, uuid).await,
            Err(_) => state.store.person_by_external_id(p, wanted).await,
        }
        .map_err(|e| match e {
            StoreError::NotFound => {
                EditError::Said(StatusCode::UNPROCESSABLE_ENTITY, "household-member-unknown")
            }
            e => EditError::Store(e),
        })?;
        state
            .store
            .move_to_household(p, id, person.id, person.version, relationship)
            .await?;
        Ok::<String, EditError>(format!("/households/{id}"))
    }
    .await;
    Ok(edited(&signed, result))
}

struct PairLine {
    first: PairSideView,
    second: PairSideView,
    score: u8,
}

struct PairSideView {
    id: Uuid,
    name: String,
    person_id: String,
    birth_date: String,
    place: String,
}

#[derive(Template)]
#[template(path = "people_duplicates.html")]
struct DuplicatesPage {
    t: Translator,
    user: Option<UserView>,
    units: Vec<Choice>,
    pairs: Vec<PairLine>,
    /// The link to the next page, if the walk goes on.
    next: Option<String>,
    /// "This page checked N people".
    checked: String,
    /// The people compared with the first candidates only, and the sentence saying so.
    incomplete: Vec<PairSideView>,
    incomplete_note: String,
}

#[derive(Deserialize)]
struct DuplicatesQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    after: String,
}

/// The supervisor's list of probable duplicates in scope, a page at a time.
async fn duplicates_page(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<axum::extract::Query<DuplicatesQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    signed.require(Permission::ReadPeople)?;
    signed.require(Permission::ApproveCases)?;
    let Ok(axum::extract::Query(query)) = query else {
        return Ok(signed.refuse(StatusCode::BAD_REQUEST, signed.t.t("form-unreadable-short")));
    };
    let p = signed.principal();
    let t = &signed.t;
    let unit = match query.unit.trim() {
        "" => None,
        u => match u.parse::<AdminUnitCode>() {
            Ok(u) => Some(u),
            Err(_) => return Ok(bad_field(&signed, "admin_unit")),
        },
    };
    let after = match query.after.trim() {
        "" => None,
        a => Some(a),
    };
    let page = state
        .store
        .probable_duplicates(
            p,
            unit.as_ref(),
            after,
            goldaw_core::paging::DEFAULT_PAGE_SIZE,
        )
        .await
        .or_refuse(&signed)?;
    let view = |s: &goldaw_store::people::PairSide| PairSideView {
        id: s.id,
        name: s.name.clone(),
        person_id: s.person_id.clone(),
        birth_date: s.birth_date.map(|b| b.to_string()).unwrap_or_default(),
        place: place_name(&state, t, &s.admin_unit),
    };
    let checked = t.t_with("duplicates-checked", &[("count", page.checked.into())]);
    let incomplete: Vec<PairSideView> = page.incomplete.iter().map(|c| view(&c.person)).collect();
    let incomplete_note = page
        .incomplete
        .first()
        .map(|c| t.t_with("duplicates-incomplete", &[("count", c.more_than.into())]))
        .unwrap_or_default();
    let pairs = page
        .items
        .iter()
        .map(|pair| PairLine {
            first: view(&pair.first),
            second: view(&pair.second),
            score: pair.score,
        })
        .collect();
    let unit_code = unit
        .as_ref()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    let next = page.next.map(|n| {
        let mut link = format!("/people/duplicates?after={n}");
        if !unit_code.is_empty() {
            link.push_str(&format!("&unit={unit_code}"));
        }
        link
    });
    // The units a supervisor may narrow to: their scope and the units below it.
    let catalogue = state.store.catalogue();
    let mut units = vec![Choice {
        code: String::new(),
        label: t.t("duplicates-whole-scope"),
        selected: unit_code.is_empty(),
    }];
    units.extend(
        catalogue
            .admin_units
            .iter()
            .filter(|u| {
                u.level != "country"
                    && u.code
                        .parse::<AdminUnitCode>()
                        .is_ok_and(|code| p.can_see_unit(&code))
            })
            .map(|u| Choice {
                selected: u.code == unit_code,
                label: format!("{} ({})", unit_name(u, t), u.code),
                code: u.code.clone(),
            }),
    );
    Ok(render(DuplicatesPage {
        user: signed.user(),
        units,
        pairs,
        next,
        checked,
        incomplete,
        incomplete_note,
        t: t.clone_lang(),
    }))
}
