//! Merging duplicate records of a person, for supervisors: from a person in the people search,
//! the likely duplicates; then both records side by side with what the merge will do, and a
//! confirmation. The store decides and records (merges.rs); refusals show the rule's sentence.

use super::common::refusal;
use super::common::{render, unit_name};
use super::extract::{message_page, see_other, Posted, Signed};
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_core::workflow::Refusal;
use goldaw_store::merges::MergeRequest;
use goldaw_store::people::PersonRecord;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people/merge", get(merge_page).post(merge))
        .route("/people/merge/{id}", get(merge_record_page))
        .route("/people/merge/{id}/undo", axum::routing::post(undo))
}

/// One record as the comparison shows it.
struct Side {
    id: Uuid,
    version: i32,
    name: String,
    birth_date: String,
    sex: String,
    place: String,
    household: String,
    target_groups: String,
    cases: u32,
}

struct CandidateLine {
    id: Uuid,
    name: String,
    birth_date: String,
    score: u8,
}

#[derive(Template)]
#[template(path = "merge.html")]
struct MergePage {
    t: Translator,
    user: Option<UserView>,
    /// The record chosen from the search, when no other is chosen yet.
    start: Option<Side>,
    candidates: Vec<CandidateLine>,
    /// Both records, kept first.
    pair: Option<(Side, Side)>,
    /// Why they may not be merged now, translated.
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct MergeQuery {
    merged: Option<Uuid>,
    kept: Option<Uuid>,
    #[serde(default)]
    done: bool,
}

fn side(state: &AppState, t: &Translator, p: &PersonRecord, cases: u32) -> Side {
    let catalogue = state.store.catalogue();
    let d = &p.data;
    Side {
        id: p.id,
        version: p.version,
        name: match &d.family_name {
            Some(f) => format!("{} {}", f, d.given_name),
            None => d.given_name.to_string(),
        },
        birth_date: d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
        sex: t.t(&format!("sex-{}", d.sex.as_str())),
        place: catalogue
            .admin_unit(&d.admin_unit)
            .map_or_else(|| d.admin_unit.to_string(), |u| unit_name(u, t)),
        household: d
            .household_id
            .as_ref()
            .map_or_else(|| t.t("merge-lives-alone"), |h| h.as_str().to_owned()),
        target_groups: d
            .target_groups
            .iter()
            .map(|g| {
                catalogue
                    .term("target_group", g.as_str())
                    .map_or_else(|| g.as_str().to_owned(), |n| n.name(t.lang()).to_owned())
            })
            .collect::<Vec<_>>()
            .join(", "),
        cases,
    }
}

async fn merge_page(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<MergeQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    signed.require(Permission::ApproveCases)?;
    let Ok(Query(query)) = query else {
        return Ok(signed.not_found());
    };
    let t = &signed.t;
    let p = signed.principal();
    if query.done {
        return Ok(message_page(
            t,
            signed.user(),
            StatusCode::OK,
            "merge-title",
            "merge-done",
        ));
    }
    let page = |start, candidates, pair, refusal| {
        render(MergePage {
            t: t.clone_lang(),
            user: signed.user(),
            start,
            candidates,
            pair,
            refusal,
        })
    };
    Ok(match (query.merged, query.kept) {
        (None, _) => message_page(t, signed.user(), StatusCode::OK, "merge-title", "merge-how"),
        (Some(merged), None) => {
            let person = state.store.person(p, merged).await.or_refuse(&signed)?;
            if person.id != merged {
                // Read by id, a merged record answers with the record it was merged into.
                return Ok(refusal(
                    &signed,
                    goldaw_store::StoreError::Refused(Refusal::Merge(
                        goldaw_core::merges::MergeRefusal::AlreadyMerged,
                    )),
                ));
            }
            let d = &person.data;
            let found = state
                .store
                .likely_duplicates(
                    p,
                    &d.admin_unit,
                    d.given_name.as_str(),
                    d.family_name.as_ref().map(|f| f.as_str()),
                    d.birth_date,
                )
                .await
                .or_refuse(&signed)?;
            let candidates = found
                .into_iter()
                .filter(|c| c.person != merged)
                .map(|c| CandidateLine {
                    id: c.person,
                    name: c.name,
                    birth_date: c.birth_date.map(|b| b.to_string()).unwrap_or_default(),
                    score: c.score,
                })
                .collect();
            page(Some(side(&state, t, &person, 0)), candidates, None, None)
        }
        (Some(merged), Some(kept)) => {
            let preview = state
                .store
                .merge_preview(p, kept, merged)
                .await
                .or_refuse(&signed)?;
            let refusal_text = preview
                .refusal
                .map(|r| t.t(&format!("refusal-{}", r.code())));
            let pair = (
                side(&state, t, &preview.kept, preview.kept_cases),
                side(&state, t, &preview.merged, preview.merged_cases),
            );
            page(None, Vec::new(), Some(pair), refusal_text)
        }
    })
}

#[derive(Deserialize)]
struct MergeForm {
    kept: Uuid,
    merged: Uuid,
    kept_version: i32,
    merged_version: i32,
}

async fn merge(State(state): State<AppState>, posted: Posted<MergeForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ApproveCases)?;
    let request = MergeRequest {
        merged: form.merged,
        kept_version: form.kept_version,
        merged_version: form.merged_version,
    };
    Ok(
        match state
            .store
            .merge_persons(signed.principal(), form.kept, request)
            .await
        {
            Ok(record) => see_other(&format!("/people/merge/{}?done=true", record.id)),
            Err(e) => refusal(&signed, e),
        },
    )
}

#[derive(Template)]
#[template(path = "merge_record.html")]
struct MergeRecordPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    /// "The records were merged" or "the merge was undone", just after either.
    message: Option<String>,
    made: String,
    undone: Option<String>,
    /// The kept record (a merged record read by id answers as the kept one, so only this side
    /// is shown), and its version for the undo form.
    kept: Side,
    /// What moved: cases, service episodes, referrals, assessment answers.
    moved: [usize; 4],
}

#[derive(Deserialize)]
struct RecordQuery {
    #[serde(default)]
    done: bool,
    #[serde(default)]
    undone: bool,
}

/// A merge as recorded (who, when, what moved), with the form to undo it while it stands.
async fn merge_record_page(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<axum::extract::Path<Uuid>, axum::extract::rejection::PathRejection>,
    query: Result<Query<RecordQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    signed.require(Permission::ApproveCases)?;
    let Ok(axum::extract::Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let query = query.map(|Query(q)| q).unwrap_or(RecordQuery {
        done: false,
        undone: false,
    });
    let p = signed.principal();
    let record = state.store.merge_record(p, id).await.or_refuse(&signed)?;
    let t = &signed.t;
    let kept = state
        .store
        .person(p, record.kept)
        .await
        .or_refuse(&signed)?;
    let when = |at: chrono::DateTime<chrono::Utc>| super::common::local_time(at);
    let message = if query.undone {
        Some(t.t("merge-undone"))
    } else if query.done {
        Some(t.t("merge-done"))
    } else {
        None
    };
    Ok(render(MergeRecordPage {
        user: signed.user(),
        id,
        message,
        made: t.t_with(
            "merge-made-at",
            &[
                ("at", when(record.at).into()),
                ("who", record.actor.clone().into()),
            ],
        ),
        undone: record.undone_at.map(|at| {
            t.t_with(
                "merge-undone-at",
                &[
                    ("at", when(at).into()),
                    ("who", record.undone_by.clone().unwrap_or_default().into()),
                ],
            )
        }),
        kept: side(&state, t, &kept, 0),
        moved: [
            record.moved.cases.len(),
            record.moved.service_episodes.len(),
            record.moved.referrals.len(),
            record.moved.assessment_items.len(),
        ],
        t: t.clone_lang(),
    }))
}

#[derive(Deserialize)]
struct UndoForm {
    kept_version: i32,
}

async fn undo(
    State(state): State<AppState>,
    id: Result<axum::extract::Path<Uuid>, axum::extract::rejection::PathRejection>,
    posted: Posted<UndoForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ApproveCases)?;
    let Ok(axum::extract::Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let request = goldaw_store::merges::UndoRequest {
        kept_version: form.kept_version,
    };
    Ok(
        match state
            .store
            .undo_merge(signed.principal(), id, request)
            .await
        {
            Ok(_) => see_other(&format!("/people/merge/{id}?undone=true")),
            Err(e) => refusal(&signed, e),
        },
    )
}
