//! `/people/{id}/own-data`: a person's own data as a printable page (issue #20, item 5), for the
//! supervisor who produces it on the person's request. The same document as JSON is
//! `GET /api/v1/persons/{id}/own-data`; both are one store call, audited as `person.own_data`.

use super::common::{local_time, render};
use super::extract::Signed;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_store::subject_access::{OwnDataRecipient, SubjectAccess, SubjectCase};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/people/{id}/own-data", get(own_data))
}

/// A label and its value, as the document prints them.
struct Field {
    label: String,
    value: String,
}

struct Row {
    cells: Vec<String>,
}

struct CaseView {
    number: String,
    part: String,
    fields: Vec<Field>,
    notes: Vec<Row>,
    plans: Vec<Row>,
    referrals: Vec<Row>,
    assessments: Vec<Row>,
    reviews: Vec<Row>,
    consents: Vec<Row>,
    events: Vec<Row>,
}

#[derive(Template)]
#[template(path = "own_data.html")]
struct OwnDataPage {
    t: Translator,
    id: Uuid,
    produced: String,
    produced_by: String,
    person: Vec<Field>,
    household: Vec<Field>,
    cases: Vec<CaseView>,
    /// "N cases are left out", or empty.
    left_out: String,
    /// Whom it was produced for, as a sentence.
    produced_for: String,
    /// Produced for the person: the page offers to produce it for a representative.
    for_person: bool,
    access: Vec<Row>,
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn yes_no(t: &Translator, v: Option<bool>) -> String {
    match v {
        Some(true) => t.t("yes"),
        Some(false) => t.t("no"),
        None => String::new(),
    }
}

fn field(t: &Translator, key: &str, value: String) -> Field {
    Field {
        label: t.t(key),
        value,
    }
}

fn case_view(t: &Translator, c: SubjectCase) -> CaseView {
    let case = c.case;
    let fields = vec![
        field(
            t,
            "own-data-case-status",
            t.t(&format!("case-status-{}", case.status)),
        ),
        field(t, "own-data-case-unit", case.admin_unit.clone()),
        field(t, "own-data-case-opened", case.opened_on.to_string()),
        field(
            t,
            "own-data-case-closed",
            opt(case.closed_at.map(local_time)),
        ),
        field(t, "own-data-case-worker", opt(case.worker.clone())),
        field(t, "own-data-case-referrer", opt(case.referrer.clone())),
        field(t, "own-data-case-concern", opt(case.concern.clone())),
    ];
    CaseView {
        number: case.number,
        part: t.t(&format!("own-data-part-{}", c.part)),
        fields,
        notes: c
            .notes
            .into_iter()
            .map(|n| Row {
                cells: vec![
                    local_time(n.happened_at),
                    t.t(&format!("note-{}", n.kind.as_str())),
                    opt(n.text),
                    n.author,
                ],
            })
            .collect(),
        plans: c
            .plans
            .into_iter()
            .map(|p| {
                let goals: Vec<String> = p.goals.into_iter().filter_map(|g| g.text).collect();
                let actions: Vec<String> = p
                    .actions
                    .into_iter()
                    .map(|a| format!("{} — {}", opt(a.who), opt(a.what)))
                    .collect();
                Row {
                    cells: vec![
                        p.number.to_string(),
                        p.status,
                        goals.join("; "),
                        actions.join("; "),
                        opt(p.person_views),
                        opt(p.agreed_on),
                    ],
                }
            })
            .collect(),
        referrals: c
            .referrals
            .into_iter()
            .map(|r| Row {
                cells: vec![
                    local_time(r.sent_at),
                    r.service_code,
                    opt(r.provider_name.or(r.recipient)),
                    t.t(&format!("referral-status-{}", r.status.as_str())),
                    opt(r.info),
                ],
            })
            .collect(),
        assessments: c
            .assessments
            .into_iter()
            .map(|a| Row {
                cells: vec![
                    local_time(a.started_at),
                    format!("{} v{}", a.instrument_code, a.instrument_version),
                    format!("{:?}", a.status).to_lowercase(),
                    opt(a.completed_at.map(local_time)),
                    a.author,
                ],
            })
            .collect(),
        reviews: c
            .reviews
            .into_iter()
            .map(|r| Row {
                cells: vec![
                    r.held_on.to_string(),
                    format!("{:?}", r.kind).to_lowercase(),
                    opt(r.person_view),
                    r.author,
                ],
            })
            .collect(),
        consents: c
            .consents
            .consents
            .into_iter()
            .map(|k| Row {
                cells: vec![
                    k.purpose.as_str().to_owned(),
                    opt(k.provider_name.or(k.provider_kind)),
                    format!("{} – {}", k.valid_from, opt(k.valid_until)),
                    yes_no(t, Some(k.in_force)),
                    opt(k.withdrawn_at.map(local_time)),
                ],
            })
            .collect(),
        events: c
            .events
            .into_iter()
            .map(|e| Row {
                cells: vec![local_time(e.at), e.actor, e.action, opt(e.detail)],
            })
            .collect(),
    }
}

fn page(t: Translator, id: Uuid, recipient: OwnDataRecipient, doc: SubjectAccess) -> OwnDataPage {
    let p = &doc.person;
    let d = &p.data;
    let mut person = vec![
        field(&t, "own-data-person-id", p.person_id.clone()),
        field(&t, "own-data-given-name", d.given_name.as_str().to_owned()),
        field(
            &t,
            "own-data-family-name",
            opt(d.family_name.as_ref().map(|n| n.as_str().to_owned())),
        ),
        field(&t, "own-data-sex", t.t(&format!("sex-{}", d.sex.as_str()))),
        field(&t, "own-data-birth-date", opt(d.birth_date)),
        field(&t, "own-data-unit", d.admin_unit.as_str().to_owned()),
        field(&t, "own-data-benefits", yes_no(&t, d.receives_benefits)),
        field(&t, "own-data-disability", yes_no(&t, Some(p.disability))),
        field(&t, "own-data-target-groups", d.target_groups.to_field()),
        field(&t, "own-data-recorded", local_time(p.created_at)),
        field(&t, "own-data-changed", local_time(p.updated_at)),
    ];
    if let Some(h) = &d.household_id {
        person.push(field(&t, "own-data-household-id", h.as_str().to_owned()));
    }
    let household = doc
        .household
        .as_ref()
        .map(|h| {
            let members: Vec<String> = h
                .members
                .iter()
                .map(|m| match &m.family_name {
                    Some(f) => format!("{} {f}", m.given_name),
                    None => m.given_name.clone(),
                })
                .collect();
            vec![
                field(&t, "own-data-household-id", h.household_id.clone()),
                field(&t, "own-data-unit", h.data.admin_unit.as_str().to_owned()),
                field(&t, "own-data-address", opt(h.data.address.clone())),
                field(&t, "own-data-members", members.join(", ")),
            ]
        })
        .unwrap_or_default();
    let access = doc
        .access
        .iter()
        .map(|e| Row {
            cells: vec![
                local_time(e.at),
                e.actor.clone(),
                e.source.clone(),
                e.action.clone(),
                opt(e.detail.clone()),
            ],
        })
        .collect();
    let produced = local_time(doc.produced_at);
    let produced_by = doc.produced_by.clone();
    let left_out = if doc.cases_left_out == 0 {
        String::new()
    } else {
        t.t_with("own-data-left-out", &[("count", doc.cases_left_out.into())])
    };
    let cases = doc.cases.into_iter().map(|c| case_view(&t, c)).collect();
    OwnDataPage {
        produced_for: t.t(&format!("own-data-for-{recipient}")),
        for_person: recipient == OwnDataRecipient::Person,
        t,
        id,
        produced,
        produced_by,
        person,
        household,
        cases,
        left_out,
        access,
    }
}

#[derive(Deserialize)]
struct OwnDataQuery {
    /// `person` (the default) or `representative`.
    #[serde(rename = "for", default)]
    recipient: String,
}

async fn own_data(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, PathRejection>,
    query: Result<Query<OwnDataQuery>, QueryRejection>,
) -> PageResult {
    signed.require(Permission::SubjectAccess)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let Ok(Query(query)) = query else {
        return Ok(signed.unreadable_form());
    };
    let recipient = match query.recipient.trim() {
        "" => OwnDataRecipient::Person,
        other => match other.parse() {
            Ok(r) => r,
            Err(_) => return Ok(signed.unreadable_form()),
        },
    };
    let doc = state
        .store
        .subject_access_for(signed.principal(), id, recipient)
        .await
        .or_refuse(&signed)?;
    Ok(render(page(signed.t.clone_lang(), id, recipient, doc)))
}
