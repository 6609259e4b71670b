//! The indicators of the statutory workflow: the assessment funnel, the priority mix, referral
//! sources and timeliness against the deadlines. Cases registered in goldaw are dated by their
//! history (`case_events`); imported cases have none and count on their opening day.

use super::gather::{CaseRow, EventRow, PersonRow};
use crate::error::StoreResult;
use crate::Store;
use goldaw_core::codes::{CaseStatus, Priority};
use goldaw_core::deadlines::Step;
use goldaw_core::indicators::Record;
use goldaw_core::statistics::Period;
use std::collections::HashMap;
use uuid::Uuid;

/// The funnel's steps, in order.
pub(crate) const REFERRAL: &str = "referral";
pub(crate) const INITIAL: &str = "initial_assessment";
pub(crate) const HOLISTIC: &str = "holistic_assessment";
pub(crate) const PLAN: &str = "support_plan";

/// The event that completes each step after referral.
const STEP_EVENTS: [(&str, &str); 3] = [
    ("complete_initial", INITIAL),
    ("complete_holistic", HOLISTIC),
    ("approve_plan", PLAN),
];

/// What was gathered: the records, and whether imported cases (dated at opening) are among them.
pub(crate) struct Gathered {
    pub records: Vec<Record>,
    pub imported: bool,
}

/// The steps an imported case has reached, as far as its status and priority show.
fn imported_steps(case: &CaseRow) -> &'static [&'static str] {
    match case.status.parse::<CaseStatus>() {
        Ok(CaseStatus::Referred | CaseStatus::InitialAssessment) | Err(_) => &[REFERRAL],
        Ok(CaseStatus::HolisticAssessment) => &[REFERRAL, INITIAL],
        Ok(CaseStatus::SupportPlan) => &[REFERRAL, INITIAL, HOLISTIC],
        Ok(CaseStatus::Active | CaseStatus::Monitoring) => &[REFERRAL, INITIAL, HOLISTIC, PLAN],
        // Closed: screened if it has a priority; how far it went after that is not known.
        Ok(CaseStatus::Closed) if case.priority.is_some() => &[REFERRAL, INITIAL],
        Ok(CaseStatus::Closed) => &[REFERRAL],
    }
}

impl Store {
    /// The records of one case: its person's facts placed in the case's etrap.
    fn indicator_record(
        &self,
        case: &CaseRow,
        persons: &HashMap<Uuid, PersonRow>,
        own: Vec<String>,
    ) -> StoreResult<Option<Record>> {
        let Some(person) = persons.get(&case.person_id) else {
            return Ok(None);
        };
        Ok(Some(Record::new(
            case.id,
            person.facts(self, &case.admin_unit, "")?,
            own,
        )))
    }

    /// Cases reaching each step in the period.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn funnel_records(
        &self,
        range: &(String, String),
        period: &Period,
    ) -> StoreResult<Gathered> {
        let opened = self.cases_opened(range, period).await?;
        let events = self
            .events_in(&STEP_EVENTS.map(|(action, _)| action), period)
            .await?;
        let ids: Vec<Uuid> = events.iter().map(|e| e.case_id).collect();
        let stepped = self.cases_in_range(&ids, range).await?;
        let persons = self
            .persons_by_id(
                &opened
                    .iter()
                    .chain(stepped.values())
                    .map(|c| c.person_id)
                    .collect::<Vec<_>>(),
            )
            .await?;
        let mut records = Vec::new();
        let mut imported = false;
        for case in &opened {
            let steps: &[&str] = if case.imported() {
                imported = true;
                imported_steps(case)
            } else {
                &[REFERRAL]
            };
            for step in steps {
                records.extend(self.indicator_record(case, &persons, vec![(*step).to_owned()])?);
            }
        }
        for e in &events {
            let (Some(case), Some((_, step))) = (
                stepped.get(&e.case_id),
                STEP_EVENTS.iter().find(|(a, _)| *a == e.action),
            ) else {
                continue;
            };
            records.extend(self.indicator_record(case, &persons, vec![(*step).to_owned()])?);
        }
        Ok(Gathered { records, imported })
    }

    /// Cases screened in the period, by the priority screening set.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn priority_records(
        &self,
        range: &(String, String),
        period: &Period,
    ) -> StoreResult<Gathered> {
        let opened: Vec<CaseRow> = self
            .cases_opened(range, period)
            .await?
            .into_iter()
            .filter(|c| c.imported() && c.priority.is_some())
            .collect();
        let events = self.events_in(&["complete_initial"], period).await?;
        let ids: Vec<Uuid> = events.iter().map(|e| e.case_id).collect();
        let screened = self.cases_in_range(&ids, range).await?;
        let persons = self
            .persons_by_id(
                &opened
                    .iter()
                    .chain(screened.values())
                    .map(|c| c.person_id)
                    .collect::<Vec<_>>(),
            )
            .await?;
        let mut records = Vec::new();
        for case in &opened {
            let priority = case.priority.clone().unwrap_or_default();
            records.extend(self.indicator_record(case, &persons, vec![priority])?);
        }
        for e in &events {
            let (Some(case), Some(priority)) = (screened.get(&e.case_id), e.detail.as_ref()) else {
                continue;
            };
            records.extend(self.indicator_record(case, &persons, vec![priority.clone()])?);
        }
        Ok(Gathered {
            imported: !opened.is_empty(),
            records,
        })
    }

    /// Cases referred in the period, by source.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn source_records(
        &self,
        range: &(String, String),
        period: &Period,
    ) -> StoreResult<Gathered> {
        let opened = self.cases_opened(range, period).await?;
        let persons = self
            .persons_by_id(&opened.iter().map(|c| c.person_id).collect::<Vec<_>>())
            .await?;
        let mut records = Vec::new();
        for case in &opened {
            records.extend(self.indicator_record(
                case,
                &persons,
                vec![case.referral_source.clone()],
            )?);
        }
        Ok(Gathered {
            records,
            imported: false,
        })
    }

    /// Each step reached in the period by a case registered in goldaw, with the days it took
    /// from referral (or the reopening) and whether it met its deadline.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn timeliness_records(
        &self,
        range: &(String, String),
        period: &Period,
    ) -> StoreResult<Gathered> {
        const STEPS: [(&str, Step); 4] = [
            ("start_initial", Step::FirstContact),
            ("complete_initial", Step::InitialAssessment),
            ("complete_holistic", Step::HolisticAssessment),
            ("approve_plan", Step::SupportPlan),
        ];
        let events = self
            .events_in(&STEPS.map(|(action, _)| action), period)
            .await?;
        let ids: Vec<Uuid> = events.iter().map(|e| e.case_id).collect();
        let cases = self.cases_in_range(&ids, range).await?;
        let histories = self
            .histories(&cases.keys().copied().collect::<Vec<_>>())
            .await?;
        let persons = self
            .persons_by_id(&cases.values().map(|c| c.person_id).collect::<Vec<_>>())
            .await?;
        let deadlines = self.deadlines();
        // A case that reached a step twice in the period (after a reopening) counts once, with
        // its latest time: the records are read newest first and the first one counts.
        let mut events = events;
        events.sort_by_key(|e| std::cmp::Reverse(e.at));
        let mut records = Vec::new();
        for e in &events {
            let (Some(case), Some((_, step))) = (
                cases.get(&e.case_id),
                STEPS.iter().find(|(a, _)| *a == e.action),
            ) else {
                continue;
            };
            let Some(referred) = case.referred_at else {
                continue;
            };
            let history = histories.get(&case.id).map_or(&[][..], Vec::as_slice);
            let timing = Timing::of(*step, e, referred, history, case.priority.as_deref());
            let Some(mut record) = self.indicator_record(
                case,
                &persons,
                vec![
                    step.as_str().to_owned(),
                    timing.priority.as_str().to_owned(),
                ],
            )?
            else {
                continue;
            };
            record.days = Some((e.at - timing.since).num_seconds() as f64 / 86_400.0);
            record.within = deadlines
                .due(*step, timing.priority, timing.clock)
                .map(|due| e.at <= due);
            records.push(record);
        }
        Ok(Gathered {
            records,
            imported: false,
        })
    }
}

/// When a step's clocks started, and which priority's deadline applies.
struct Timing {
    /// Referral, or the latest reopening before the step (holistic assessment and plan).
    since: chrono::DateTime<chrono::Utc>,
    /// Where the deadline counts from: as `since`, but the end of the holistic assessment for
    /// the plan.
    clock: chrono::DateTime<chrono::Utc>,
    priority: Priority,
}

impl Timing {
    fn of(
        step: Step,
        event: &EventRow,
        referred: chrono::DateTime<chrono::Utc>,
        history: &[EventRow],
        current: Option<&str>,
    ) -> Timing {
        let before = |action: &str| {
            history
                .iter()
                .rfind(|h| h.action == action && h.at <= event.at)
        };
        let parse = |p: Option<&String>| p.and_then(|p| p.parse::<Priority>().ok());
        let reopened = before("reopen").map(|h| h.at).filter(|at| *at < event.at);
        let (since, clock, priority) = match step {
            // Before screening every clock runs as for support, unless screening found the case
            // critical; "none" was found at the end of screening.
            Step::FirstContact | Step::InitialAssessment => {
                let screened = history
                    .iter()
                    .find(|h| h.action == "complete_initial")
                    .and_then(|h| parse(h.detail.as_ref()))
                    .or_else(|| current.and_then(|p| p.parse().ok()));
                let priority = match screened {
                    Some(Priority::Critical) => Priority::Critical,
                    _ => Priority::Support,
                };
                (referred, referred, priority)
            }
            Step::HolisticAssessment | Step::SupportPlan => {
                let since = reopened.unwrap_or(referred);
                let priority = before("complete_initial")
                    .and_then(|h| parse(h.detail.as_ref()))
                    .or_else(|| current.and_then(|p| p.parse().ok()))
                    .unwrap_or(Priority::Support);
                let clock = if step == Step::SupportPlan {
                    before("complete_holistic")
                        .map(|h| h.at)
                        .filter(|at| *at >= since)
                        .unwrap_or(since)
                } else {
                    since
                };
                (since, clock, priority)
            }
            _ => (referred, referred, Priority::Support),
        };
        Timing {
            since,
            clock,
            priority,
        }
    }
}
