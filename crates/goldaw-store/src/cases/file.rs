//! The case file: everything the case page shows, behind one scope check and one audit event.

use super::history::CaseEvent;
use super::notes::CaseNote;
use super::read::CaseRecord;
use super::{AssessedPerson, AssessmentSummary, AttachmentRecord, PlanRecord, ReviewRecord};
use crate::audit::AuditEvent;
use crate::error::StoreResult;
use crate::Store;
use goldaw_core::access::{Permission, Principal};
use uuid::Uuid;

/// What the case page shows, from [`Store::case_file`].
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub case: CaseRecord,
    pub notes: Vec<CaseNote>,
    pub events: Vec<CaseEvent>,
    pub plans: Vec<PlanRecord>,
    pub reviews: Vec<ReviewRecord>,
    pub referrals: Vec<crate::referrals::ReferralRecord>,
    /// For those who read people (not the hotline): the case's assessments, newest first.
    pub assessments: Vec<AssessmentSummary>,
    /// The people a new assessment may be about, when the reader may start one now.
    pub assessable_persons: Vec<AssessedPerson>,
    /// Listed for staff who work cases, on a case whose content they may see.
    pub attachments: Vec<AttachmentRecord>,
}

impl Store {
    /// Everything the case page shows, behind one scope check and recorded as one audit event:
    /// the case, its history, plans, reviews and referrals, and its notes for those who work on
    /// cases. The page is read many times a day per case; one event says all of it was shown.
    ///
    /// The case row says which sections have content; an empty one costs no query.
    #[tracing::instrument(skip_all, fields(case_id = %id))]
    pub async fn case_file(&self, principal: &Principal, id: Uuid) -> StoreResult<CaseFile> {
        let file = self.load_case_file_row(principal, id).await?;
        let row = &file.case;
        let restricted = row.restricted_for(principal);
        let notes = if file.has_notes && principal.may(Permission::WorkCases) {
            self.notes_of(id, restricted).await?
        } else {
            Vec::new()
        };
        let events = if file.has_events {
            self.events_of(id).await?
        } else {
            Vec::new()
        };
        let plans = if file.has_plans {
            self.plans_of(id, restricted).await?
        } else {
            Vec::new()
        };
        let reviews = if file.has_reviews {
            self.reviews_of(id, restricted).await?
        } else {
            Vec::new()
        };
        let referrals = if file.has_referrals {
            self.referrals_of(principal, id).await?
        } else {
            Vec::new()
        };
        let (assessments, assessable_persons) = if principal.may(Permission::ReadPeople) {
            (
                if file.has_assessments {
                    self.assessments_of(row, restricted).await?
                } else {
                    Vec::new()
                },
                self.assessable_of(principal, row).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let attachments =
            if file.has_attachments && principal.may(Permission::WorkCases) && !restricted {
                self.attachments_of(id).await?
            } else {
                Vec::new()
            };
        let facts = file.facts()?;
        let follow_ups = file.follow_ups();
        let case = self.case_record(principal, file.case, &facts, follow_ups)?;
        self.audit(
            principal,
            AuditEvent::on("case.read", "case", id).with_detail(format!(
                "case file: {} notes, {} plans, {} reviews, {} referrals, {} attachments, {} assessments, {} household members",
                notes.len(),
                plans.len(),
                reviews.len(),
                referrals.len(),
                attachments.len(),
                assessments.len(),
                assessable_persons.len()
            )),
        )
        .await?;
        Ok(CaseFile {
            case,
            notes,
            events,
            plans,
            reviews,
            referrals,
            assessments,
            assessable_persons,
            attachments,
        })
    }
}
