//! The case workflow on every backend: intake, allocation, transitions and their refusals,
//! notes sealed at rest, transfer, closure and reopening, tasks and caseloads.

use crate::helpers::{act, person_in as person, referral, user};
use chrono::Utc;
use goldaw_core::codes::{CaseStatus, Priority, Role};
use goldaw_core::deadlines::Step;
use goldaw_core::workflow::{CaseAction, ClosureReason, Refusal};
use goldaw_store::cases::{ActionRequest, CaseQuery, NewReferral, NoteKind, TaskKind};
use goldaw_store::testing::{assess, databases, TestDb};
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};

/// Registers a referral for `who` in TM-A-01, allocates it to `worker` (the account `aman`), and
/// takes it through both assessments to the support-plan step with `priority`.
async fn to_support_plan(
    store: &Store,
    sup: &Principal,
    worker: &Principal,
    who: uuid::Uuid,
    priority: Priority,
) -> goldaw_store::cases::CaseRecord {
    let case = store
        .register_referral(sup, referral(who, "TM-A-01"))
        .await
        .unwrap();
    let mut case = store
        .allocate_case(sup, case.id, case.version, "aman")
        .await
        .unwrap();
    for (action, priority, instrument) in [
        (CaseAction::StartInitial, None, None),
        (CaseAction::CompleteInitial, Some(priority), Some("initial")),
        (CaseAction::CompleteHolistic, None, Some("holistic_adult")),
    ] {
        if let Some(code) = instrument {
            assess(store, worker, case.id, code).await.unwrap();
        }
        case = store
            .act_on_case(
                worker,
                case.id,
                ActionRequest {
                    priority,
                    ..act(action, case.version)
                },
            )
            .await
            .unwrap();
    }
    case
}

/// The raw bytes of the database file or table, to show that text is sealed at rest.
async fn raw_contains(db: &TestDb, needle: &str) -> bool {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            // Checkpoint the WAL so the file holds everything written.
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
            let bytes = std::fs::read(path).unwrap();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM case_notes WHERE position($1::bytea in text_sealed) > 0",
            )
            .bind(needle.as_bytes())
            .fetch_one(&mut conn)
            .await
            .unwrap();
            n > 0
        }
    }
}

goldaw_store::each_backend! {
    async fn a_referral_runs_the_workflow_and_refuses_what_is_out_of_order(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let other = user(&store, "other", Role::SocialWorker, "TM-A-01", true).await;
        let far = user(&store, "far", Role::SocialWorker, "TM-B-01", true).await;
        let hotline = user(&store, "line", Role::Hotline, "TM", false).await;
        let who = person(&store, &sup, "Aýna", "TM-A-01", "").await;

        // The hotline registers; the number is per etrap and year.
        let case = store
            .register_referral(&hotline, referral(who, "TM-A-01"))
            .await
            .unwrap();
        let year = chrono::Datelike::year(&Utc::now().date_naive());
        assert_eq!(case.number, format!("A-01/{year}/0001"), "{}", db.backend);
        assert_eq!(case.status, CaseStatus::Referred);
        assert_eq!(case.priority, Some(Priority::Critical));
        assert_eq!(
            case.concern.as_deref(),
            Some("Her husband threatens her; she has a son of 9")
        );
        let second = store
            .register_referral(&hotline, referral(who, "TM-A-01"))
            .await
            .unwrap();
        assert_eq!(second.number, format!("A-01/{year}/0002"));
        // A critical case owes first contact within 24 hours.
        let first = &case.due[0];
        assert_eq!(first.step, Step::FirstContact);
        let hours = (first.due_at - case.referred_at.unwrap()).num_hours();
        assert_eq!(hours, 24);

        // Nobody outside the etrap sees it; the hotline sees its own call.
        assert!(matches!(
            store.case(&far, case.id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            store.case(&hotline, case.id).await.unwrap().number,
            case.number
        );

        // Only the assigned worker works on it.
        let r = store
            .act_on_case(&aman, case.id, act(CaseAction::StartInitial, case.version))
            .await;
        assert!(matches!(r, Err(StoreError::Forbidden(_))), "{r:?}");
        let case = store
            .allocate_case(&sup, case.id, case.version, "aman")
            .await
            .unwrap();
        assert_eq!(case.worker.as_deref(), Some("aman"));
        assert!(case.actions.contains(&CaseAction::StartInitial));
        let r = store
            .act_on_case(&other, case.id, act(CaseAction::StartInitial, case.version))
            .await;
        assert!(matches!(r, Err(StoreError::Forbidden(_))), "{r:?}");
        // A worker of another etrap cannot be allocated.
        let r = store
            .allocate_case(&sup, case.id, case.version, "far")
            .await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");

        // Out of order: refused with the reason, nothing changed.
        let r = store
            .act_on_case(
                &aman,
                case.id,
                act(CaseAction::CompleteHolistic, case.version),
            )
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused(Refusal::OutOfOrder {
                    status: CaseStatus::Referred,
                    ..
                }))
            ),
            "{r:?}"
        );
        assert_eq!(
            store.case(&aman, case.id).await.unwrap().version,
            case.version
        );

        let case = store
            .act_on_case(&aman, case.id, act(CaseAction::StartInitial, case.version))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::InitialAssessment);
        assert!(case.first_contact_at.is_some());
        // A stale version is a conflict, not an overwrite.
        let r = store
            .act_on_case(
                &aman,
                case.id,
                act(CaseAction::CompleteInitial, case.version - 1),
            )
            .await;
        assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
        // Screening concludes a recorded initial assessment, not a guess.
        let r = store
            .act_on_case(
                &aman,
                case.id,
                ActionRequest {
                    priority: Some(Priority::Critical),
                    ..act(CaseAction::CompleteInitial, case.version)
                },
            )
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused(Refusal::InitialAssessmentMissing))
            ),
            "{r:?}"
        );
        assert!(!case.actions.contains(&CaseAction::CompleteInitial));
        let initial = assess(&store, &aman, case.id, "initial").await.unwrap();
        assert_eq!(
            initial.proposed_priority, None,
            "nobody at risk: no proposal"
        );
        let case = store.case(&aman, case.id).await.unwrap();
        assert!(case.actions.contains(&CaseAction::CompleteInitial));
        // Screening needs a priority: the worker's, as the assessment proposed none.
        let r = store
            .act_on_case(
                &aman,
                case.id,
                act(CaseAction::CompleteInitial, case.version),
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Refused(Refusal::PriorityRequired))),
            "{r:?}"
        );
        let case = store
            .act_on_case(
                &aman,
                case.id,
                ActionRequest {
                    priority: Some(Priority::Critical),
                    ..act(CaseAction::CompleteInitial, case.version)
                },
            )
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::HolisticAssessment);
        assert_eq!(case.due[0].step, Step::HolisticAssessment);

        // Contacts are recorded as sealed notes and counted as units of etrap social work.
        store
            .add_case_note(
                &aman,
                case.id,
                NoteKind::HomeVisit,
                Utc::now(),
                "Visited at home; safety plan agreed with Aýna",
            )
            .await
            .unwrap();
        store
            .add_case_note(
                &aman,
                case.id,
                NoteKind::Other,
                Utc::now(),
                "Called the school",
            )
            .await
            .unwrap();
        let notes = store.case_notes(&sup, case.id).await.unwrap();
        assert_eq!(notes.len(), 2);
        assert!(notes
            .iter()
            .any(|n| n.text.as_deref() == Some("Called the school")));
        assert!(
            !raw_contains(&db, "safety plan agreed").await,
            "note text must be sealed at rest ({})",
            db.backend
        );
        let r = store
            .add_case_note(&aman, case.id, NoteKind::PhoneCall, Utc::now(), "   ")
            .await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })));

        // The support plan is built on a completed holistic assessment.
        let r = store
            .act_on_case(
                &aman,
                case.id,
                act(CaseAction::CompleteHolistic, case.version),
            )
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused(Refusal::HolisticAssessmentMissing))
            ),
            "{r:?}"
        );
        assess(&store, &aman, case.id, "holistic_adult")
            .await
            .unwrap();
        let case = store
            .act_on_case(
                &aman,
                case.id,
                act(CaseAction::CompleteHolistic, case.version),
            )
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::SupportPlan);
        // Approving needs a submitted plan the person agreed to, and a supervisor.
        let r = store
            .act_on_case(&aman, case.id, act(CaseAction::ApprovePlan, case.version))
            .await;
        assert!(matches!(r, Err(StoreError::Forbidden(_))), "{r:?}");
        let r = store
            .act_on_case(&sup, case.id, act(CaseAction::ApprovePlan, case.version))
            .await;
        assert!(
            matches!(r, Err(StoreError::Refused(Refusal::PlanNotReady))),
            "{r:?}"
        );

        // Closing: the worker asks with a reason, the supervisor approves.
        let r = store
            .act_on_case(
                &aman,
                case.id,
                act(CaseAction::RequestClosure, case.version),
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Refused(Refusal::ClosureReasonRequired))),
            "{r:?}"
        );
        let case = store
            .act_on_case(
                &aman,
                case.id,
                ActionRequest {
                    reason: Some(ClosureReason::MovedAway),
                    ..act(CaseAction::RequestClosure, case.version)
                },
            )
            .await
            .unwrap();
        assert_eq!(case.closure_requested, Some(ClosureReason::MovedAway));
        let tasks = store.tasks(&sup).await.unwrap();
        assert!(tasks
            .iter()
            .any(|t| t.case_id == case.id && t.kind == TaskKind::ApproveClosure));
        let case = store
            .act_on_case(&sup, case.id, act(CaseAction::ApproveClosure, case.version))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::Closed);
        assert_eq!(case.closure_reason, Some(ClosureReason::MovedAway));
        // A closed case owes its follow-ups, and can be reopened.
        assert_eq!(case.due[0].step, Step::FollowUpShort);
        let case = store
            .act_on_case(&aman, case.id, act(CaseAction::Reopen, case.version))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::HolisticAssessment);
        assert!(case.reopened_at.is_some() && case.closed_at.is_none());

        // The history keeps every step.
        let events = store.case_events(&sup, case.id).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "register",
                "allocate",
                "start_initial",
                "assessment_started",
                "assessment_completed",
                "complete_initial",
                "assessment_started",
                "assessment_completed",
                "complete_holistic",
                "request_closure",
                "approve_closure",
                "reopen"
            ]
        );
        // The etrap social work episode counted the home visit only, and was ended at closure.
        if let DatabaseUrl::Sqlite(path) = &db.url {
            let conn = rusqlite::Connection::open(path).unwrap();
            let (units, ended): (i64, Option<String>) = conn
                .query_row(
                    "SELECT units, ended_on FROM service_episodes WHERE service_code = 'ETRAP_SW'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(units, 1);
            assert!(ended.is_some());
        }
    }
}

goldaw_store::each_backend! {
    async fn a_transfer_moves_the_case_when_the_receiving_supervisor_accepts(db: TestDb) {
        let store = db.open_with_key().await;
        let sup_a = user(&store, "sup-a", Role::Supervisor, "TM-A-01", false).await;
        let sup_b = user(&store, "sup-b", Role::Supervisor, "TM-B-01", false).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        let who = person(&store, &sup_a, "Maral", "TM-A-01", "").await;
        let case = store
            .register_referral(
                &sup_a,
                NewReferral {
                    sensitive: false,
                    ..referral(who, "TM-A-01")
                },
            )
            .await
            .unwrap();
        let case = store
            .allocate_case(&sup_a, case.id, case.version, "aman")
            .await
            .unwrap();
        let r = store
            .act_on_case(
                &aman,
                case.id,
                ActionRequest {
                    transfer_to: Some("TM-A-01".parse().unwrap()),
                    ..act(CaseAction::RequestTransfer, case.version)
                },
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Invalid { .. })),
            "same etrap: {r:?}"
        );
        let case = store
            .act_on_case(
                &aman,
                case.id,
                ActionRequest {
                    transfer_to: Some("TM-B-01".parse().unwrap()),
                    ..act(CaseAction::RequestTransfer, case.version)
                },
            )
            .await
            .unwrap();
        assert_eq!(case.transfer_to.as_deref(), Some("TM-B-01"));
        // The receiving supervisor sees it waiting, and only may accept or decline.
        let seen = store.case(&sup_b, case.id).await.unwrap();
        assert_eq!(
            seen.actions,
            vec![CaseAction::AcceptTransfer, CaseAction::DeclineTransfer]
        );
        assert!(store
            .tasks(&sup_b)
            .await
            .unwrap()
            .iter()
            .any(|t| t.kind == TaskKind::AcceptTransfer));
        let r = store
            .act_on_case(
                &sup_a,
                case.id,
                act(CaseAction::AcceptTransfer, case.version),
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Forbidden(_))),
            "the sender does not accept: {r:?}"
        );
        let moved = store
            .act_on_case(
                &sup_b,
                case.id,
                act(CaseAction::AcceptTransfer, case.version),
            )
            .await
            .unwrap();
        assert_eq!(moved.admin_unit, "TM-B-01");
        assert_eq!(moved.worker, None);
        assert_eq!(
            moved.status,
            CaseStatus::Referred,
            "the status travels with the case"
        );
        // The sending worker lost access; the history travelled.
        assert!(matches!(
            store.case(&aman, case.id).await,
            Err(StoreError::NotFound)
        ));
        let events = store.case_events(&sup_b, case.id).await.unwrap();
        assert!(events
            .iter()
            .any(|e| e.action == "accept_transfer" && e.from_unit.as_deref() == Some("TM-A-01")));
    }
}

goldaw_store::each_backend! {
    async fn sensitive_cases_show_codes_not_names_without_the_permission(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let plain = user(&store, "plain", Role::Supervisor, "TM-A-01", false).await;
        let worker = user(&store, "plainworker", Role::SocialWorker, "TM-A-01", false).await;
        let who = person(&store, &sup, "Gülnar", "TM-A-01", "").await;
        let case = store
            .register_referral(
                &sup,
                NewReferral {
                    sensitive: true,
                    ..referral(who, "TM-A-01")
                },
            )
            .await
            .unwrap();
        let listed = store
            .list_cases(
                &plain,
                &CaseQuery {
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let line = listed
            .iter()
            .find(|c| c.id == case.id)
            .expect("the case is listed by its number");
        assert_eq!(line.person_name, None);
        let seen = store.case(&plain, case.id).await.unwrap();
        assert!(seen.restricted);
        assert_eq!(seen.person_name, None);
        assert_eq!(seen.concern, None);
        assert!(seen.actions.is_empty());
        assert_eq!(
            store
                .case(&sup, case.id)
                .await
                .unwrap()
                .person_name
                .as_deref(),
            Some("Gülnar Annaýewa")
        );
        // It cannot be given to a worker without the permission.
        let r = store
            .allocate_case(&sup, case.id, case.version, "plainworker")
            .await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
        let _ = worker;
        // Nor registered by someone without it.
        let r = store
            .register_referral(
                &plain,
                NewReferral {
                    sensitive: true,
                    ..referral(who, "TM-A-01")
                },
            )
            .await;
        assert!(matches!(r, Err(StoreError::Forbidden(_))), "{r:?}");
    }
}

goldaw_store::each_backend! {
    async fn tasks_and_caseloads_follow_the_deadlines_and_the_norm(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", false).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        let who = person(&store, &sup, "Jeren", "TM-A-01", "").await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let c = store
                .register_referral(
                    &sup,
                    NewReferral {
                        provisional_priority: None,
                        ..referral(who, "TM-A-01")
                    },
                )
                .await
                .unwrap();
            let c = store
                .allocate_case(&sup, c.id, c.version, "aman")
                .await
                .unwrap();
            ids.push(c.id);
        }
        let unallocated = store
            .register_referral(&sup, referral(who, "TM-A-01"))
            .await
            .unwrap();
        let tasks = store.tasks(&aman).await.unwrap();
        // Each of the worker's cases owes first contact and screening; none of the other case.
        assert_eq!(tasks.len(), 6, "{tasks:?}");
        assert!(tasks
            .iter()
            .all(|t| ids.contains(&t.case_id) && t.kind == TaskKind::Deadline));
        let sup_tasks = store.tasks(&sup).await.unwrap();
        assert!(sup_tasks
            .iter()
            .any(|t| t.case_id == unallocated.id && t.kind == TaskKind::Allocate));
        // Overdue first: set a referral back a month behind goldaw's back.
        let backdated = ids[2];
        match &db.url {
            DatabaseUrl::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let at = (Utc::now() - chrono::TimeDelta::days(30)).to_rfc3339();
                conn.execute(
                    "UPDATE cases SET referred_at = ?1 WHERE id = ?2",
                    rusqlite::params![at, backdated.as_bytes().to_vec()],
                )
                .unwrap();
            }
            DatabaseUrl::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(
                    "UPDATE cases SET referred_at = now() - interval '30 days' WHERE id = $1",
                )
                .bind(backdated)
                .execute(&mut conn)
                .await
                .unwrap();
            }
        }
        // A change behind goldaw's back reaches the stored due dates when they are computed again
        // (at start, or as here, by the operator's recompute).
        store.recompute_all_due_dates().await.unwrap();
        let tasks = store.tasks(&aman).await.unwrap();
        assert_eq!(tasks[0].case_id, backdated);
        assert!(tasks[0].due.unwrap().overdue);
        assert!(!tasks.last().unwrap().due.unwrap().overdue);

        let loads = store.caseloads(&sup).await.unwrap();
        let a = loads.iter().find(|l| l.username == "aman").unwrap();
        assert_eq!((a.intensive, a.monitoring, a.last_12_months), (3, 0, 3));
        assert_eq!(
            (a.norm_intensive, a.norm_monitored, a.norm_per_year),
            (25, 25, 75)
        );
        assert!(!a.over_norm);
        // A worker sees their own load only.
        let own = store.caseloads(&aman).await.unwrap();
        assert_eq!(own.len(), 1);
        // Providers, planners and the ministry have no tasks here.
        let planner = user(&store, "plan", Role::Planner, "TM", false).await;
        assert!(matches!(
            store.tasks(&planner).await,
            Err(StoreError::Forbidden(_))
        ));
    }
}

goldaw_store::each_backend! {
    async fn intake_finds_likely_duplicates_in_any_spelling_and_with_typos(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", false).await;
        let hotline = user(&store, "line", Role::Hotline, "TM", false).await;
        let known = person(&store, &sup, "Aýna", "TM-A-01", "").await;
        person(&store, &sup, "Merdan", "TM-A-01", "").await;
        let unit = "TM-A-01".parse().unwrap();
        let born = Some("1990-04-02".parse().unwrap());
        for (given, family) in [
            ("Ayna", "Annayewa"),
            ("Айна", "Аннаева"),
            ("Aina", "Annaewa"),
            ("Annaýewa", "Aýna"),
        ] {
            let found = store
                .likely_duplicates(&hotline, &unit, given, Some(family), None)
                .await
                .unwrap();
            assert_eq!(
                found.first().map(|c| c.person),
                Some(known),
                "{given} {family} ({})",
                db.backend
            );
        }
        // A different name with the same birth date is not a likely duplicate; nor in another etrap.
        let found = store
            .likely_duplicates(&sup, &unit, "Bahar", Some("Orazowa"), born)
            .await
            .unwrap();
        assert!(found.is_empty(), "{found:?}");
        let elsewhere = "TM-B-01".parse().unwrap();
        assert!(store
            .likely_duplicates(&hotline, &elsewhere, "Aýna", Some("Annaýewa"), born)
            .await
            .unwrap()
            .is_empty());
        // Planners do not look people up.
        let planner = user(&store, "plan", Role::Planner, "TM", false).await;
        assert!(matches!(
            store
                .likely_duplicates(&planner, &unit, "Aýna", None, None)
                .await,
            Err(StoreError::Forbidden(_))
        ));
    }
}

goldaw_store::each_backend! {
    async fn a_plan_made_with_the_person_is_approved_reviewed_and_the_case_closes_with_outcomes(db: TestDb) {
        use goldaw_store::cases::{
            ActionInput, GoalInput, GoalRating, GoalReviewInput, PlanInput, ReviewInput, ReviewKind,
        };
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let who = person(&store, &sup, "Aýna", "TM-A-01", "").await;
        let case = to_support_plan(&store, &sup, &aman, who, Priority::Critical).await;
        let input = PlanInput {
            goals: vec![
                GoalInput {
                    text: "I want to feel safe at home".into(),
                    domain: Some("safety".into()),
                },
                GoalInput {
                    text: "I want a job".into(),
                    domain: Some("employment".into()),
                },
            ],
            actions: vec![
                ActionInput {
                    goal: Some(0),
                    who: "Psychologist".into(),
                    what: "Weekly sessions".into(),
                    due_on: None,
                    service_code: Some("S10".into()),
                },
                ActionInput {
                    goal: Some(1),
                    who: "Employment office".into(),
                    what: "Job search support".into(),
                    due_on: None,
                    service_code: Some("U_EMPLOY".into()),
                },
            ],
        };
        // Bad input is refused with the field named; nothing is written.
        let bad = PlanInput {
            actions: vec![ActionInput {
                goal: Some(5),
                ..input.actions[0].clone()
            }],
            ..input.clone()
        };
        let r = store.save_plan_draft(&aman, case.id, None, bad).await;
        assert!(
            matches!(&r, Err(StoreError::Invalid { field, .. }) if field == "actions[0].goal"),
            "{r:?}"
        );
        assert!(store.case_plans(&aman, case.id).await.unwrap().is_empty());
        let plan = store
            .save_plan_draft(&aman, case.id, None, input.clone())
            .await
            .unwrap();
        assert_eq!(
            (plan.number, plan.status.as_str(), plan.goals.len()),
            (1, "draft", 2)
        );
        assert_eq!(
            plan.goals[0].text.as_deref(),
            Some("I want to feel safe at home")
        );
        // Two people editing the same draft: the second gets a conflict.
        let plan = store
            .save_plan_draft(&aman, case.id, Some(plan.version), input.clone())
            .await
            .unwrap();
        let r = store
            .save_plan_draft(&sup, case.id, Some(plan.version - 1), input.clone())
            .await;
        assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
        // Submission needs the person's agreement or views; disagreement needs the views.
        assert!(matches!(
            store.submit_plan(&aman, plan.id, plan.version).await,
            Err(StoreError::Invalid { .. })
        ));
        assert!(matches!(
            store
                .record_plan_agreement(&aman, plan.id, plan.version, false, None)
                .await,
            Err(StoreError::Invalid { .. })
        ));
        let plan = store
            .record_plan_agreement(
                &aman,
                plan.id,
                plan.version,
                false,
                Some("I do not want my husband told"),
            )
            .await
            .unwrap();
        assert_eq!(plan.person_agrees, Some(false));
        assert_eq!(
            plan.person_views.as_deref(),
            Some("I do not want my husband told")
        );
        let plan = store
            .submit_plan(&aman, plan.id, plan.version)
            .await
            .unwrap();
        assert_eq!(plan.status, "submitted");
        assert!(store
            .tasks(&sup)
            .await
            .unwrap()
            .iter()
            .any(|t| t.kind == TaskKind::ApprovePlan));
        let case = store.case(&sup, case.id).await.unwrap();
        let case = store
            .act_on_case(&sup, case.id, act(CaseAction::ApprovePlan, case.version))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::Active);
        assert_eq!(case.due[0].step, Step::PlanReview);
        let plan = store.plan(&sup, plan.id).await.unwrap();
        assert_eq!(
            (plan.status.as_str(), plan.approved_by.as_deref()),
            ("approved", Some("sup"))
        );

        // A plan review rates every goal; follow-ups wait for closure.
        let rate = |ratings: [GoalRating; 2]| -> Vec<GoalReviewInput> {
            plan.goals
                .iter()
                .zip(ratings)
                .map(|(g, rating)| GoalReviewInput {
                    goal: g.id,
                    rating,
                    person_view: None,
                })
                .collect()
        };
        let partial = ReviewInput {
            kind: Some(ReviewKind::PlanReview),
            goals: rate([GoalRating::Partly, GoalRating::Partly])[..1].to_vec(),
            ..ReviewInput::default()
        };
        assert!(matches!(
            store.record_review(&aman, case.id, partial).await,
            Err(StoreError::Invalid { .. })
        ));
        let review = store
            .record_review(
                &aman,
                case.id,
                ReviewInput {
                    kind: Some(ReviewKind::PlanReview),
                    goals: rate([GoalRating::Partly, GoalRating::NotAchieved]),
                    feels_safe: Some(6),
                    ..ReviewInput::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(review.goals.len(), 2);
        let follow = ReviewInput {
            kind: Some(ReviewKind::FollowUpShort),
            ..ReviewInput::default()
        };
        assert!(matches!(
            store.record_review(&aman, case.id, follow.clone()).await,
            Err(StoreError::Invalid { .. })
        ));
        let r = store
            .record_review(
                &aman,
                case.id,
                ReviewInput {
                    kind: Some(ReviewKind::PlanReview),
                    goals: rate([GoalRating::Achieved, GoalRating::Achieved]),
                    satisfaction: Some(11),
                    ..ReviewInput::default()
                },
            )
            .await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");

        // Closing needs the closing review.
        let case = store.case(&aman, case.id).await.unwrap();
        assert!(case.last_review_at.is_some());
        let case = store
            .act_on_case(
                &aman,
                case.id,
                ActionRequest {
                    reason: Some(ClosureReason::GoalsAchieved),
                    ..act(CaseAction::RequestClosure, case.version)
                },
            )
            .await
            .unwrap();
        let r = store
            .act_on_case(&sup, case.id, act(CaseAction::ApproveClosure, case.version))
            .await;
        assert!(
            matches!(r, Err(StoreError::Refused(Refusal::ClosingReviewMissing))),
            "{r:?}"
        );
        store
            .record_review(
                &aman,
                case.id,
                ReviewInput {
                    kind: Some(ReviewKind::Closing),
                    goals: rate([GoalRating::Achieved, GoalRating::Achieved]),
                    living_at_home: Some(true),
                    feels_safe: Some(9),
                    satisfaction: Some(8),
                    ..ReviewInput::default()
                },
            )
            .await
            .unwrap();
        let case = store
            .act_on_case(&sup, case.id, act(CaseAction::ApproveClosure, case.version))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::Closed);
        store.record_review(&aman, case.id, follow).await.unwrap();
        let case = store.case(&aman, case.id).await.unwrap();
        assert_eq!(
            case.due.iter().map(|d| d.step).collect::<Vec<_>>(),
            [Step::FollowUpLong],
            "the short follow-up is done"
        );
        let reviews = store.case_reviews(&sup, case.id).await.unwrap();
        assert_eq!(reviews.len(), 3);
        assert_eq!(
            reviews
                .iter()
                .filter(|r| r.kind == ReviewKind::Closing)
                .count(),
            1
        );
    }
}

goldaw_store::each_backend! {
    /// The case page reads everything through `case_file`: the same content as the separate reads,
    /// for one audit event; and nothing for someone outside the case's scope.
    async fn the_case_file_shows_what_the_separate_reads_show_for_one_audit_event(db: TestDb) {
        use goldaw_store::audit::AuditCheck;
        use goldaw_store::cases::{GoalInput, PlanInput};
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let other = user(&store, "other", Role::SocialWorker, "TM-A-02", true).await;
        let who = person(&store, &sup, "Aýna", "TM-A-01", "").await;
        let case = to_support_plan(&store, &sup, &aman, who, Priority::Support).await;
        store
            .add_case_note(
                &aman,
                case.id,
                NoteKind::PhoneCall,
                Utc::now(),
                "Called her sister",
            )
            .await
            .unwrap();
        let goals = vec![GoalInput {
            text: "A place at school for my son".into(),
            domain: Some("education".into()),
        }];
        store
            .save_plan_draft(
                &aman,
                case.id,
                None,
                PlanInput {
                    goals,
                    actions: vec![],
                },
            )
            .await
            .unwrap();

        let events = |check| match check {
            AuditCheck::Intact { events } => events,
            other => panic!("{}: {other:?}", db.backend),
        };
        let before = events(store.verify_audit().await.unwrap());
        let file = store.case_file(&aman, case.id).await.unwrap();
        let after = events(store.verify_audit().await.unwrap());
        assert_eq!(
            after,
            before + 1,
            "{}: one event for the case file",
            db.backend
        );

        assert_eq!(file.case.id, case.id);
        assert_eq!(file.case.status, CaseStatus::SupportPlan);
        let notes = store.case_notes(&aman, case.id).await.unwrap();
        assert_eq!(file.notes.len(), 1);
        assert_eq!(file.notes[0].text, notes[0].text);
        assert_eq!(file.notes[0].text.as_deref(), Some("Called her sister"));
        let history = store.case_events(&aman, case.id).await.unwrap();
        assert_eq!(file.events.len(), history.len());
        assert!(file.events.len() >= 4, "{}", file.events.len());
        assert_eq!(file.plans.len(), 1);
        assert_eq!(
            file.plans[0].goals[0].text.as_deref(),
            Some("A place at school for my son")
        );
        assert!(file.reviews.is_empty() && file.referrals.is_empty());
        // The assessments come with the file, with what they found, under the same event.
        let kinds: Vec<&str> = file
            .assessments
            .iter()
            .map(|a| a.instrument_code.as_str())
            .collect();
        assert_eq!(kinds, ["holistic_adult", "initial"], "{}", db.backend);
        assert_eq!(file.assessments[0].domain_needs.len(), 14);
        assert_eq!(
            file.assessments[0].persons[0].name.as_deref(),
            Some("Aýna Annaýewa")
        );
        assert!(
            file.assessable_persons.is_empty(),
            "no assessment to start at the plan step"
        );

        // Out of scope: not found, and the refusal reads nothing.
        assert!(matches!(
            store.case_file(&other, case.id).await,
            Err(StoreError::NotFound)
        ));
        store.close().await;
    }
}

/// While support runs the plan is revised with the person: a new numbered draft, agreement,
/// submission and the supervisor's approval; the earlier plan stays in force until then and is
/// kept as superseded; the case keeps its status; reviews then rate the revised plan's goals.
#[tokio::test]
async fn a_plan_is_revised_while_support_runs_and_the_case_keeps_its_status() {
    use goldaw_store::cases::{
        GoalInput, GoalRating, GoalReviewInput, PlanInput, PlanRecord, ReviewInput, ReviewKind,
    };
    fn goals(texts: &[&str]) -> PlanInput {
        PlanInput {
            goals: texts
                .iter()
                .map(|t| GoalInput {
                    text: (*t).into(),
                    domain: None,
                })
                .collect(),
            actions: vec![],
        }
    }
    async fn agreed_and_submitted(store: &Store, who: &Principal, plan: PlanRecord) -> PlanRecord {
        let plan = store
            .record_plan_agreement(who, plan.id, plan.version, true, None)
            .await
            .unwrap();
        store.submit_plan(who, plan.id, plan.version).await.unwrap()
    }
    for db in databases().await {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let who = person(&store, &sup, "Aýna", "TM-A-01", "").await;
        let case = to_support_plan(&store, &sup, &aman, who, Priority::Support).await;
        let first = store
            .save_plan_draft(&aman, case.id, None, goals(&["I want a job"]))
            .await
            .unwrap();
        let first = agreed_and_submitted(&store, &aman, first).await;
        let case = store
            .act_on_case(&sup, case.id, act(CaseAction::ApprovePlan, case.version))
            .await
            .unwrap();
        let case = store
            .act_on_case(&aman, case.id, act(CaseAction::ToMonitoring, case.version))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::Monitoring, "{b}");

        // The revision: a second draft; the first plan stays in force meanwhile.
        let revised = store
            .save_plan_draft(
                &aman,
                case.id,
                None,
                goals(&["I want a job", "I want my son in school"]),
            )
            .await
            .unwrap();
        assert_eq!(
            (revised.number, revised.status.as_str()),
            (2, "draft"),
            "{b}"
        );
        assert_eq!(
            store.plan(&aman, first.id).await.unwrap().status,
            "approved"
        );
        // Approving before submission is refused, and the worker may not approve.
        let r = store
            .act_on_case(&sup, case.id, act(CaseAction::ApprovePlan, case.version))
            .await;
        assert!(r.is_err(), "{b}: nothing submitted yet: {r:?}");
        let revised = agreed_and_submitted(&store, &aman, revised).await;
        assert!(store
            .tasks(&sup)
            .await
            .unwrap()
            .iter()
            .any(|t| t.case_id == case.id && t.kind == TaskKind::ApprovePlan));
        let case = store.case(&sup, case.id).await.unwrap();
        assert!(matches!(
            store
                .act_on_case(&aman, case.id, act(CaseAction::ApprovePlan, case.version))
                .await,
            Err(StoreError::Forbidden(_))
        ));
        let case = store
            .act_on_case(&sup, case.id, act(CaseAction::ApprovePlan, case.version))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::Monitoring, "{b}: the status stays");
        let plans = store.case_plans(&sup, case.id).await.unwrap();
        let status_of = |id| {
            plans
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.status.clone())
                .unwrap()
        };
        assert_eq!(status_of(first.id), "superseded", "{b}");
        assert_eq!(status_of(revised.id), "approved", "{b}");

        // Reviews rate the revised plan's goals, not the old plan's.
        let rate = |plan: &PlanRecord| ReviewInput {
            kind: Some(ReviewKind::PlanReview),
            goals: plan
                .goals
                .iter()
                .map(|g| GoalReviewInput {
                    goal: g.id,
                    rating: GoalRating::Partly,
                    person_view: None,
                })
                .collect(),
            ..ReviewInput::default()
        };
        assert!(matches!(
            store.record_review(&aman, case.id, rate(&first)).await,
            Err(StoreError::Invalid { .. })
        ));
        let review = store
            .record_review(&aman, case.id, rate(&revised))
            .await
            .unwrap();
        assert_eq!(review.goals.len(), 2, "{b}");

        // A closed case's plan is not revised.
        let case = store.case(&aman, case.id).await.unwrap();
        let case = store
            .act_on_case(
                &aman,
                case.id,
                ActionRequest {
                    reason: Some(ClosureReason::GoalsAchieved),
                    ..act(CaseAction::RequestClosure, case.version)
                },
            )
            .await
            .unwrap();
        let closing = ReviewInput {
            kind: Some(ReviewKind::Closing),
            ..rate(&revised)
        };
        store.record_review(&aman, case.id, closing).await.unwrap();
        let case = store
            .act_on_case(&sup, case.id, act(CaseAction::ApproveClosure, case.version))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::Closed);
        let r = store
            .save_plan_draft(&aman, case.id, None, goals(&["again"]))
            .await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{b} {r:?}");
    }
}

goldaw_store::each_backend! {
    /// WORKFLOW.md, "audit log: own team's access to own cases": a supervisor sees who opened a case
    /// in their scope and its person, newest first; a worker may not ask, another etrap's supervisor
    /// finds no such case, and asking is recorded too.
    async fn a_supervisor_sees_who_opened_a_case_in_scope(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sona", Role::Supervisor, "TM-A-01", false).await;
        let worker = user(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        let elsewhere = user(&store, "merdan", Role::Supervisor, "TM-B-01", false).await;
        let who = person(&store, &sup, "Ogulgerek", "TM-A-01", "").await;
        let case = store
            .register_referral(&sup, referral(who, "TM-A-01"))
            .await
            .unwrap();
        store
            .allocate_case(&sup, case.id, case.version, "aman")
            .await
            .unwrap();
        // Another case's reads must not appear.
        let other_person = person(&store, &sup, "Jeren", "TM-A-01", "").await;
        let other = store
            .register_referral(&sup, referral(other_person, "TM-A-01"))
            .await
            .unwrap();
        store.case_file(&sup, other.id).await.unwrap();

        store.case_file(&worker, case.id).await.unwrap();
        store.person(&worker, who).await.unwrap();

        let log = store.case_access(&sup, case.id, 200).await.unwrap();
        assert_eq!(
            (log[0].actor.as_str(), log[0].action.as_str()),
            ("aman", "person.read"),
            "{b}: newest first: {log:?}"
        );
        assert_eq!(
            (log[1].actor.as_str(), log[1].action.as_str()),
            ("aman", "case.read"),
            "{b}"
        );
        assert!(log.windows(2).all(|w| w[0].seq > w[1].seq), "{b}");
        let case_id = case.id.to_string();
        let person_id = who.to_string();
        assert!(
            log.iter()
                .all(|e| e.entity_id.as_deref() == Some(case_id.as_str())
                    || e.entity_id.as_deref() == Some(person_id.as_str())),
            "{b}: only this case and its person: {log:?}"
        );
        assert!(
            log.iter()
                .any(|e| e.action.starts_with("case.") && e.actor == "sona"),
            "{b}: the supervisor's own changes (registration, allocation) are listed too"
        );
        assert_eq!(store.case_access(&sup, case.id, 1).await.unwrap().len(), 1);

        // Asking is recorded: the next list starts with the previous reading of it.
        let again = store.case_access(&sup, case.id, 200).await.unwrap();
        assert_eq!(
            (again[0].actor.as_str(), again[0].action.as_str()),
            ("sona", "case.access.read"),
            "{b}"
        );

        assert!(
            matches!(
                store.case_access(&worker, case.id, 200).await,
                Err(StoreError::Forbidden(_))
            ),
            "{b}: a social worker may not read the log"
        );
        assert!(
            matches!(
                store.case_access(&elsewhere, case.id, 200).await,
                Err(StoreError::NotFound)
            ),
            "{b}: outside the supervisor's scope the case is not found"
        );
    }
}
