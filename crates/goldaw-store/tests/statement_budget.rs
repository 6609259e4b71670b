//! How many SELECT statements the hot pages cost, on every backend: every statement is a hand-off
//! to SQLite's worker thread or a round trip to PostgreSQL, which is what limits the case page
//! and the task list under load (bench/README.md, "Load benchmark"). The counts come from the
//! statement log sqlx writes (`sqlx::query` events), recorded by a subscriber for this binary.
//!
//! One test function only: the recorder is global to the process.

use chrono::Utc;
use goldaw_core::access::Scope;
use goldaw_core::codes::{Priority, ReferralSource, Role};
use goldaw_core::people::PersonData;
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{ActionRequest, GoalInput, NewReferral, NoteKind, PlanInput};
use goldaw_store::sessions::Stage;
use goldaw_store::testing::{assess, databases};
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use serde_json::json;
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

const PASSWORD: &str = "Köpetdag dagy 2942 m";

/// The summaries of the statements run since the last [`take`].
static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Recorder;

struct Summary(Option<String>);

impl Visit for Summary {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.0 = Some(value.to_owned());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" && self.0.is_none() {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut summary = Summary(None);
        event.record(&mut summary);
        if let Some(s) = summary.0 {
            STATEMENTS.lock().unwrap().push(s);
        }
    }
}

/// The SELECT statements (reads) run since the last call; the audit writer's statements (its batch
/// on PostgreSQL starts `WITH head AS`, and it reads the head once) are not counted: they are
/// shared by every read of a group commit.
fn take() -> Vec<String> {
    std::mem::take(&mut *STATEMENTS.lock().unwrap())
        .into_iter()
        .filter(|s| {
            let s = s.trim_start().to_ascii_uppercase();
            let audit_writer =
                s.starts_with("WITH HEAD AS") || s.starts_with("SELECT SEQ, HASH, KEYED_FROM");
            (s.starts_with("SELECT") || s.starts_with("WITH")) && !audit_writer
        })
        .collect()
}

async fn user(store: &Store, name: &str, role: Role) -> Principal {
    let rec = store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: name.into(),
                role,
                scope: "TM-A-01".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    Principal::user(
        rec.id,
        name,
        role,
        Scope::Unit("TM-A-01".parse().unwrap()),
        false,
    )
}

async fn referral(store: &Store, sup: &Principal, name: &str) -> goldaw_store::cases::CaseRecord {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": name, "family_name": "Annaýewa", "sex": "F", "birth_date": "1990-04-02",
        "admin_unit": "TM-A-01"
    }))
    .unwrap();
    let person = store.create_person(sup, None, data).await.unwrap().id;
    store
        .register_referral(
            sup,
            NewReferral {
                person,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::Hotline,
                referrer: Some("Hotline operator 7".into()),
                concern: Some("She asks for help".into()),
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn the_hot_pages_stay_within_their_statement_budget() {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Recorder))
        .expect("the only subscriber of this test binary");
    for db in databases().await {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor).await;
        let aman = user(&store, "aman", Role::SocialWorker).await;

        // The session: read once, then kept for SESSION_CACHE_TTL.
        let token = store.open_session(&aman, Stage::Active).await.unwrap();
        take();
        assert!(store.session(&token, "x").await.unwrap().is_some());
        assert_eq!(take().len(), 1, "{}: first lookup", db.backend);
        assert!(store.session(&token, "x").await.unwrap().is_some());
        assert_eq!(take(), Vec::<String>::new(), "{}: kept", db.backend);

        // A new referral: its row (with the facts and which sections have content) and its history.
        let fresh = referral(&store, &sup, "Aýna").await;
        take();
        let file = store.case_file(&sup, fresh.id).await.unwrap();
        assert_eq!(file.events.len(), 1);
        let reads = take();
        assert_eq!(reads.len(), 2, "{}: {reads:#?}", db.backend);

        // A case at the plan step with notes, two assessments and a plan: one statement per
        // section with content (three for the assessments, three for the plans, whatever their
        // number), and none for the empty ones (reviews, referrals, attachments).
        let case = referral(&store, &sup, "Jeren").await;
        let mut case = store
            .allocate_case(&sup, case.id, case.version, "aman")
            .await
            .unwrap();
        for (action, priority, instrument) in [
            (CaseAction::StartInitial, None, None),
            (
                CaseAction::CompleteInitial,
                Some(Priority::Support),
                Some("initial"),
            ),
            (CaseAction::CompleteHolistic, None, Some("holistic_adult")),
        ] {
            if let Some(code) = instrument {
                assess(&store, &aman, case.id, code).await.unwrap();
            }
            case = store
                .act_on_case(
                    &aman,
                    case.id,
                    ActionRequest {
                        action,
                        version: case.version,
                        priority,
                        reason: None,
                        transfer_to: None,
                    },
                )
                .await
                .unwrap();
        }
        store
            .add_case_note(&aman, case.id, NoteKind::HomeVisit, Utc::now(), "Visited")
            .await
            .unwrap();
        let plan = PlanInput {
            goals: vec![GoalInput {
                text: "A place at school for my son".into(),
                domain: Some("education".into()),
            }],
            actions: vec![],
        };
        store
            .save_plan_draft(&aman, case.id, None, plan)
            .await
            .unwrap();
        take();
        let file = store.case_file(&aman, case.id).await.unwrap();
        assert_eq!(
            (file.notes.len(), file.assessments.len(), file.plans.len()),
            (1, 2, 1)
        );
        let reads = take();
        assert_eq!(reads.len(), 9, "{}: {reads:#?}", db.backend);

        // The task list: one statement for a worker and for a supervisor, the page of the due
        // dates kept with the cases and its overdue count (issue #24).
        let tasks = store.tasks(&aman).await.unwrap();
        assert!(!tasks.is_empty());
        let reads = take();
        assert_eq!(reads.len(), 1, "{}: {reads:#?}", db.backend);
        store.tasks(&sup).await.unwrap();
        let reads = take();
        assert_eq!(reads.len(), 1, "{}: {reads:#?}", db.backend);
        store.close().await;
    }
}
