//! The legal basis for residential care on the case page (issue #19, item 4): the court orders
//! and ministry referrals recorded on the case, and the supervisor's form to record one (the
//! refusal of a residential referral without one points here: `#legal-basis`). The store decides
//! who may record (`Store::record_legal_basis`: a supervisor who may work on the case).

use super::common::{after, case_work, local_time};
use super::error::{OrRefuse, PageResult};
use super::extract::Posted;
use crate::i18n::Translator;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use goldaw_core::access::{Permission, Principal};
use goldaw_store::cases::CaseRecord;
use goldaw_store::service_referrals::{LegalBasis, LegalBasisKind, NewLegalBasis};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/legal-basis", post(record))
}

pub(crate) struct LegalBasisLine {
    pub(crate) kind: String,
    pub(crate) reference: String,
    pub(crate) issued: String,
    pub(crate) recorded: String,
}

/// What `case_legal_basis.html` shows.
pub(crate) struct LegalBasisSection {
    pub(crate) lines: Vec<LegalBasisLine>,
    /// The reader may record one (a supervisor who may work on the case).
    pub(crate) may_record: bool,
    pub(crate) kinds: Vec<(String, String)>,
}

impl LegalBasisSection {
    /// Nothing to show and nothing to do: the section is left out.
    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty() && !self.may_record
    }
}

/// The section for `case` as `p` sees it, from the bases the store read.
pub(crate) fn section(
    t: &Translator,
    p: &Principal,
    case: &CaseRecord,
    bases: &[LegalBasis],
) -> LegalBasisSection {
    let may_record = p.may(Permission::ApproveCases) && case_work(p, case).may_work();
    LegalBasisSection {
        lines: bases
            .iter()
            .map(|b| LegalBasisLine {
                kind: t.t(&format!("legal-basis-{}", b.kind.as_str())),
                reference: b.reference.clone(),
                issued: t.t_with(
                    "legal-basis-issued",
                    &[
                        ("name", b.issued_by.clone().into()),
                        ("date", b.issued_on.to_string().into()),
                    ],
                ),
                recorded: t.t_with(
                    "legal-basis-recorded",
                    &[
                        ("who", b.recorded_by.clone().into()),
                        ("at", local_time(b.recorded_at).into()),
                    ],
                ),
            })
            .collect(),
        may_record,
        kinds: [LegalBasisKind::CourtOrder, LegalBasisKind::MlspReferral]
            .iter()
            .map(|k| {
                (
                    k.as_str().to_owned(),
                    t.t(&format!("legal-basis-{}", k.as_str())),
                )
            })
            .collect(),
    }
}

#[derive(Deserialize)]
pub(crate) struct LegalBasisForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    issued_by: String,
}

async fn record(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
    posted: Posted<LegalBasisForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ApproveCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    // The case first, in scope: outside it the answer is 404 whatever the form holds.
    state
        .store
        .case_legal_bases(signed.principal(), id)
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let bad = |field: &str| {
        signed.refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t_with(
                "legal-basis-field-bad",
                &[("field", t.t(&format!("legal-basis-field-{field}")).into())],
            ),
        )
    };
    let Ok(kind) = form.kind.parse::<LegalBasisKind>() else {
        return Ok(bad("kind"));
    };
    let Ok(issued_on) = form.issued_on.trim().parse::<chrono::NaiveDate>() else {
        return Ok(bad("issued_on"));
    };
    let new = NewLegalBasis {
        kind,
        reference: form.reference,
        issued_on,
        issued_by: form.issued_by,
    };
    Ok(after(
        &signed,
        state
            .store
            .record_legal_basis(signed.principal(), id, new)
            .await,
        format!("/cases/{id}#legal-basis"),
    ))
}
