//! Assessments against the instruments on every backend: drafts saved under a version, completion
//! checked item by item and person by person, text sealed at rest, the Washington Group answers
//! written to the person, the critical proposal as the screening's default, and instrument
//! versions kept after a revision ships.

use crate::helpers::{act, user};
use chrono::{Months, Utc};
use goldaw_core::codes::{CaseStatus, Priority, ReferralSource, Role};
use goldaw_core::instruments::{AnswerKind, AnswerValue, Instrument, Item, NeedLevel, Text};
use goldaw_core::workflow::{CaseAction, Refusal};
use goldaw_store::cases::{
    ActionRequest, AnswerInput, AssessmentSave, AssessmentStatus, NewAssessment, NewReferral,
    RawAnswer,
};
use goldaw_store::testing::{assess, ship_instruments, TestDb};
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

struct Family {
    mother: Uuid,
    son: Uuid,
    baby: Uuid,
}

/// A mother, her son of 9 and a baby of 2 in one household of TM-A-01.
async fn family(store: &Store, sup: &Principal, household: &str) -> Family {
    store
        .create_household(
            sup,
            Some(household.parse().unwrap()),
            serde_json::from_value(json!({"admin_unit": "TM-A-01"})).unwrap(),
        )
        .await
        .unwrap();
    let today = Utc::now().date_naive();
    let born = |years: u32| {
        today
            .checked_sub_months(Months::new(years * 12 + 1))
            .unwrap()
            .to_string()
    };
    let mut ids = Vec::new();
    for (name, sex, birth) in [
        ("Aýna", "F", "1990-04-02".to_owned()),
        ("Merdan", "M", born(9)),
        ("Gülälek", "F", born(2)),
    ] {
        let data = serde_json::from_value(json!({
            "given_name": name, "family_name": "Annaýewa", "sex": sex, "birth_date": birth,
            "admin_unit": "TM-A-01", "household_id": household
        }))
        .unwrap();
        ids.push(store.create_person(sup, None, data).await.unwrap().id);
    }
    Family {
        mother: ids[0],
        son: ids[1],
        baby: ids[2],
    }
}

/// A case of `person` allocated to `worker`, in `initial_assessment`.
async fn screening_case(store: &Store, sup: &Principal, worker: &Principal, person: Uuid) -> Uuid {
    let case = store
        .register_referral(
            sup,
            NewReferral {
                person,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::Hotline,
                referrer: None,
                concern: Some("Threatened at home".into()),
                provisional_priority: None,
                sensitive: false,
                household_case: true,
            },
        )
        .await
        .unwrap();
    let case = store
        .allocate_case(sup, case.id, case.version, &worker.actor)
        .await
        .unwrap();
    let case = store
        .act_on_case(worker, case.id, act(CaseAction::StartInitial, case.version))
        .await
        .unwrap();
    assert_eq!(case.status, CaseStatus::InitialAssessment);
    case.id
}

fn answer(person: Uuid, item: &str, value: RawAnswer) -> AnswerInput {
    AnswerInput {
        person,
        item: item.into(),
        value: Some(value),
        strengths: None,
        own_words: None,
    }
}

fn save(version: i32, answers: Vec<AnswerInput>) -> AssessmentSave {
    AssessmentSave {
        version,
        answers,
        persons: None,
    }
}

fn invalid(r: &Result<impl std::fmt::Debug, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid { field, message, .. }) => format!("{field}: {message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Whether `needle` is anywhere in the database's stored bytes (SQLite file) or in the sealed
/// assessment columns (PostgreSQL).
async fn raw_contains(db: &TestDb, needle: &str) -> bool {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
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
                "SELECT COUNT(*) FROM assessment_items WHERE position($1::bytea in COALESCE(text_sealed, ''::bytea)) > 0
                   OR position($1::bytea in COALESCE(strengths_sealed, ''::bytea)) > 0
                   OR position($1::bytea in COALESCE(own_words_sealed, ''::bytea)) > 0
                   OR position($1::bytea in convert_to(COALESCE(answer, ''), 'UTF8')) > 0",
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
    async fn an_initial_assessment_is_drafted_refused_where_wrong_completed_and_proposes_critical(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let other = user(&store, "other", Role::SocialWorker, "TM-A-01", true).await;
        let far = user(&store, "far", Role::SocialWorker, "TM-B-01", true).await;
        let hotline = user(&store, "line", Role::Hotline, "TM", true).await;
        let f = family(&store, &sup, "H-1").await;
        let case_id = screening_case(&store, &sup, &aman, f.mother).await;

        // Only the initial assessment belongs to the screening; the review is not an assessment.
        let new = |code: &str, persons: Vec<Uuid>| NewAssessment {
            instrument: code.into(),
            persons,
        };
        let r = store
            .start_assessment(&aman, case_id, new("holistic_adult", vec![]))
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused(Refusal::AssessmentNotNow {
                    status: CaseStatus::InitialAssessment
                }))
            ),
            "{b}: {r:?}"
        );
        assert!(invalid(
            &store
                .start_assessment(&aman, case_id, new("review", vec![]))
                .await
        )
        .contains("plan review"));
        assert!(invalid(
            &store
                .start_assessment(&aman, case_id, new("nope", vec![]))
                .await
        )
        .contains("initial, holistic_adult, holistic_child"));
        // Only the assigned worker (or a supervisor) assesses; others see nothing or may not.
        assert!(matches!(
            store
                .start_assessment(&other, case_id, new("initial", vec![]))
                .await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store
                .start_assessment(&far, case_id, new("initial", vec![]))
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .start_assessment(&hotline, case_id, new("initial", vec![]))
                .await,
            Err(StoreError::Forbidden(_))
        ));
        // The household question goes to the case's person: the initial assessment includes her.
        assert!(invalid(
            &store
                .start_assessment(&aman, case_id, new("initial", vec![f.son]))
                .await
        )
        .contains("case's person"));
        let stranger = family(&store, &sup, "H-2").await.mother;
        assert!(invalid(
            &store
                .start_assessment(&aman, case_id, new("initial", vec![f.mother, stranger]))
                .await
        )
        .starts_with("persons[1]"));

        // The household's people the worker may include: the case's person first.
        let people = store.assessable_persons(&aman, case_id).await.unwrap();
        let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
        assert_eq!(
            ids,
            [f.mother, f.son, f.baby],
            "{b}: the case's person, then by age"
        );
        assert!(people[0].respondent && !people[1].respondent);
        assert_eq!(people.len(), 3);

        let a = store
            .start_assessment(
                &aman,
                case_id,
                new("initial", vec![f.mother, f.son, f.baby]),
            )
            .await
            .unwrap();
        assert_eq!(
            (a.instrument_code.as_str(), a.instrument_version),
            ("initial", 1)
        );
        assert_eq!(a.status, AssessmentStatus::Draft);
        assert!(a.persons[0].age.is_some_and(|age| age >= 36));
        assert_eq!(a.persons[1].age, Some(9), "{b}");
        assert_eq!(a.persons[2].age, Some(2), "{b}");
        // Required: the mother's 16 closed answers and the son's 6 Washington Group ones; the
        // baby (under 5) is asked none.
        assert_eq!(a.missing.len(), 22, "{b}");
        assert!(a.missing.iter().all(|m| m.person != f.baby));
        // A second draft of the same instrument is refused: continue the first.
        assert!(invalid(
            &store
                .start_assessment(&aman, case_id, new("initial", vec![]))
                .await
        )
        .contains("continue it"));

        // Bad answers are refused naming the item and the person, and nothing is written.
        use RawAnswer::{Flag, Number, Text as T};
        for (bad, expect) in [
            (
                answer(f.son, "wg_seeing", Number(5)),
                "item 'wg_seeing' for Merdan Annaýewa",
            ),
            (
                answer(f.son, "safety_violence", Flag(true)),
                "about the household",
            ),
            (answer(f.baby, "wg_walking", Number(1)), "children under 5"),
            (
                answer(f.mother, "no_such_item", Flag(true)),
                "no such item in instrument 'initial' version 1",
            ),
            (
                answer(stranger, "wg_seeing", Number(1)),
                "not among the people",
            ),
            (
                answer(f.mother, "safety_violence", T("maybe".into())),
                "answer yes or no",
            ),
            (
                AnswerInput {
                    strengths: Some("her sister".into()),
                    ..answer(f.mother, "safety_violence", Flag(false))
                },
                "need items only",
            ),
        ] {
            let r = store
                .save_assessment(
                    &aman,
                    a.id,
                    save(
                        a.version,
                        vec![answer(f.mother, "safety_neglect", Flag(false)), bad],
                    ),
                )
                .await;
            let e = invalid(&r);
            assert!(
                e.starts_with("answers[1]") && e.contains(expect),
                "{b}: {e}"
            );
        }
        let unchanged = store.assessment(&aman, a.id).await.unwrap();
        assert_eq!(
            (unchanged.version, unchanged.answers.len()),
            (a.version, 0),
            "{b}"
        );

        // Saved as a draft, in parts; a stale save is a conflict, never an overwrite.
        let a = store
            .save_assessment(
                &aman,
                a.id,
                save(
                    a.version,
                    vec![
                        answer(f.mother, "safety_violence", Flag(true)),
                        answer(
                            f.mother,
                            "safety_details",
                            T("Her husband beat her last night".into()),
                        ),
                        answer(f.mother, "safety_neglect", T(" no ".into())),
                        answer(f.son, "wg_seeing", Number(1)),
                    ],
                ),
            )
            .await
            .unwrap();
        assert_eq!(a.version, 2);
        assert_eq!(a.missing.len(), 22 - 3, "{b}");
        assert_eq!(a.proposed_priority, Some(Priority::Critical), "{b}");
        assert_eq!(a.critical_reasons, ["safety_violence"]);
        let r = store
            .save_assessment(
                &aman,
                a.id,
                save(1, vec![answer(f.son, "wg_hearing", Number(2))]),
            )
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Conflict {
                    expected: 1,
                    actual: 2
                })
            ),
            "{r:?}"
        );

        // Completion names what is missing, item and person.
        let r = store.complete_assessment(&aman, a.id, a.version).await;
        let e = invalid(&r);
        assert!(e.contains("19 required answer(s) missing"), "{b}: {e}");
        assert!(
            e.contains("item 'safety_self_harm' (Immediate safety) for Aýna Annaýewa"),
            "{e}"
        );
        // The screening cannot conclude on a draft.
        let case = store.case(&aman, case_id).await.unwrap();
        let r = store
            .act_on_case(
                &aman,
                case_id,
                act(CaseAction::CompleteInitial, case.version),
            )
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused(Refusal::InitialAssessmentMissing))
            ),
            "{r:?}"
        );

        // Everything else answered, a blank clears an answer, then it completes.
        let rest: Vec<AnswerInput> = a
            .missing
            .iter()
            .map(|m| {
                let v = if m.item.starts_with("wg_") {
                    Number(if m.person == f.son && m.item == "wg_walking" {
                        3
                    } else {
                        1
                    })
                } else {
                    Flag(m.item.starts_with("consent"))
                };
                answer(m.person, &m.item, v)
            })
            .chain([answer(f.son, "wg_seeing", T("  ".into()))])
            .collect();
        let a = store
            .save_assessment(&aman, a.id, save(a.version, rest))
            .await
            .unwrap();
        assert_eq!(a.missing.len(), 1);
        assert_eq!(
            (a.missing[0].person, a.missing[0].item.as_str()),
            (f.son, "wg_seeing")
        );
        let a = store
            .save_assessment(
                &aman,
                a.id,
                save(a.version, vec![answer(f.son, "wg_seeing", Number(1))]),
            )
            .await
            .unwrap();
        assert!(a.missing.is_empty(), "{b}");
        let son_before = store.person(&sup, f.son).await.unwrap();
        assert!(!son_before.disability);
        let done = store
            .complete_assessment(&aman, a.id, a.version)
            .await
            .unwrap();
        assert_eq!(done.status, AssessmentStatus::Completed);
        assert!(done.completed_at.is_some());
        // A completed assessment is kept as it was.
        let r = store
            .save_assessment(
                &aman,
                a.id,
                save(done.version, vec![answer(f.son, "wg_seeing", Number(2))]),
            )
            .await;
        assert!(invalid(&r).contains("completed"), "{b}");

        // The son's Washington Group answers are now his record's: 'a lot of difficulty' walking
        // is a disability by the WG cut-off. An audited person change.
        let son = store.person(&sup, f.son).await.unwrap();
        assert!(son.disability, "{b}");
        assert_eq!(son.version, son_before.version + 1);
        assert_eq!(son.data.washington_group.walking.map(|w| w.code()), Some(3));
        let mother = store.person(&sup, f.mother).await.unwrap();
        assert!(!mother.disability);
        assert_eq!(
            mother.data.washington_group.seeing.map(|w| w.code()),
            Some(1)
        );
        assert_eq!(
            store.person(&sup, f.baby).await.unwrap().version,
            1,
            "the baby is untouched"
        );
        let admin = Principal::system("test");
        let events = store
            .audit_events(
                &admin,
                &goldaw_store::audit::AuditQuery {
                    limit: 500,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let person_updates: Vec<_> = events
            .iter()
            .filter(|e| {
                e.action == "person.update"
                    && e.detail
                        .as_deref()
                        .is_some_and(|d| d.contains(&a.id.to_string()))
            })
            .map(|e| e.entity_id.clone().unwrap_or_default())
            .collect();
        assert_eq!(person_updates.len(), 2, "{b}: {person_updates:?}");
        assert!(person_updates.contains(&f.son.to_string()));
        for action in [
            "assessment.start",
            "assessment.save",
            "assessment.complete",
            "assessment.read",
        ] {
            assert!(
                events.iter().any(|e| e.action == action),
                "{b}: {action} audited"
            );
        }
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            goldaw_store::audit::AuditCheck::Intact { .. }
        ));

        // The screening now defaults to what the assessment proposed: critical.
        let case = store.case(&aman, case_id).await.unwrap();
        assert!(case.actions.contains(&CaseAction::CompleteInitial));
        let case = store
            .act_on_case(
                &aman,
                case_id,
                act(CaseAction::CompleteInitial, case.version),
            )
            .await
            .unwrap();
        assert_eq!(
            (case.status, case.priority),
            (CaseStatus::HolisticAssessment, Some(Priority::Critical)),
            "{b}"
        );
        let list = store.case_assessments(&sup, case_id).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].proposed_priority, Some(Priority::Critical));
        assert!(matches!(
            store.case_assessments(&hotline, case_id).await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store.assessment(&far, a.id).await,
            Err(StoreError::NotFound)
        ));
    }
}

goldaw_store::each_backend! {
    async fn the_worker_may_choose_another_priority_than_the_proposal(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let f = family(&store, &sup, "H-1").await;
        let case_id = screening_case(&store, &sup, &aman, f.mother).await;
        let a = assess(&store, &aman, case_id, "initial").await.unwrap();
        assert_eq!(a.proposed_priority, None);
        let case = store.case(&aman, case_id).await.unwrap();
        // No proposal and no choice: the screening still needs a priority.
        let r = store
            .act_on_case(
                &aman,
                case_id,
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
                case_id,
                ActionRequest {
                    priority: Some(Priority::Support),
                    ..act(CaseAction::CompleteInitial, case.version)
                },
            )
            .await
            .unwrap();
        assert_eq!(case.priority, Some(Priority::Support), "{}", db.backend);
    }
}

goldaw_store::each_backend! {
    async fn a_holistic_assessment_keeps_its_text_sealed_and_feeds_the_plan(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let nosy = user(&store, "nosy", Role::SocialWorker, "TM-A-01", false).await;
        let f = family(&store, &sup, "H-1").await;
        let case_id = screening_case(&store, &sup, &aman, f.mother).await;
        assess(&store, &aman, case_id, "initial").await.unwrap();
        let case = store.case(&aman, case_id).await.unwrap();
        let case = store
            .act_on_case(
                &aman,
                case_id,
                ActionRequest {
                    priority: Some(Priority::Support),
                    ..act(CaseAction::CompleteInitial, case.version)
                },
            )
            .await
            .unwrap();
        let r = store
            .act_on_case(
                &aman,
                case_id,
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

        let a = store
            .start_assessment(
                &aman,
                case_id,
                NewAssessment {
                    instrument: "holistic_adult".into(),
                    persons: vec![],
                },
            )
            .await
            .unwrap();
        assert_eq!(a.persons.len(), 1);
        let a = store
            .save_assessment(
                &aman,
                a.id,
                save(
                    a.version,
                    vec![
                        AnswerInput {
                            strengths: Some("Her sister Jeren brings food every day".into()),
                            own_words: Some("I am afraid to go home after dark".into()),
                            ..answer(f.mother, "safety_abuse_risk", RawAnswer::Number(3))
                        },
                        answer(f.mother, "nutrition_food", RawAnswer::Number(2)),
                        answer(
                            f.mother,
                            "safety_wants_change",
                            RawAnswer::Text("To live without fear with my son".into()),
                        ),
                    ],
                ),
            )
            .await
            .unwrap();
        let risk = a
            .answers
            .iter()
            .find(|x| x.item == "safety_abuse_risk")
            .unwrap();
        assert_eq!(risk.value, Some(AnswerValue::Need(NeedLevel::High)));
        assert_eq!(
            risk.own_words.as_deref(),
            Some("I am afraid to go home after dark")
        );
        assert_eq!(risk.domain, "safety_abuse");
        let needs: Vec<(&str, NeedLevel)> = a
            .domain_needs
            .iter()
            .map(|d| (d.domain.as_str(), d.need))
            .collect();
        assert_eq!(
            needs,
            [
                ("safety_abuse", NeedLevel::High),
                ("nutrition", NeedLevel::Moderate)
            ],
            "{b}"
        );
        for secret in [
            "Her sister Jeren",
            "afraid to go home after dark",
            "without fear with my son",
        ] {
            assert!(
                !raw_contains(&db, secret).await,
                "{b}: '{secret}' must be sealed at rest"
            );
        }
        // Another worker of the etrap reads it (the case is not sensitive).
        let r = store.assessment(&nosy, a.id).await.unwrap();
        assert!(!r.restricted && r.answers.len() == 3, "{b}");

        // Completing the holistic assessment opens the support plan step.
        let missing = store.assessment(&aman, a.id).await.unwrap().missing;
        let rest = missing
            .iter()
            .map(|m| answer(m.person, &m.item, RawAnswer::Number(0)))
            .collect();
        let a = store
            .save_assessment(&aman, a.id, save(a.version, rest))
            .await
            .unwrap();
        store
            .complete_assessment(&aman, a.id, a.version)
            .await
            .unwrap();
        let case = store.case(&aman, case_id).await.unwrap();
        let case = store
            .act_on_case(
                &aman,
                case_id,
                act(CaseAction::CompleteHolistic, case.version),
            )
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::SupportPlan, "{b}");
        // Now no assessment may start or change: the step is over.
        let r = store
            .start_assessment(
                &aman,
                case_id,
                NewAssessment {
                    instrument: "holistic_adult".into(),
                    persons: vec![],
                },
            )
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused(Refusal::AssessmentNotNow { .. }))
            ),
            "{r:?}"
        );
    }
}

goldaw_store::each_backend! {
    async fn a_sensitive_case_withholds_its_assessments_from_readers_without_the_permission(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let nosy = user(&store, "nosy", Role::SocialWorker, "TM-A-01", false).await;
        let f = family(&store, &sup, "H-1").await;
        let case = store
            .register_referral(
                &sup,
                NewReferral {
                    person: f.mother,
                    admin_unit: "TM-A-01".parse().unwrap(),
                    referral_source: ReferralSource::Hotline,
                    referrer: None,
                    concern: None,
                    provisional_priority: None,
                    sensitive: true,
                    household_case: false,
                },
            )
            .await
            .unwrap();
        let case = store
            .allocate_case(&sup, case.id, case.version, "aman")
            .await
            .unwrap();
        store
            .act_on_case(&aman, case.id, act(CaseAction::StartInitial, case.version))
            .await
            .unwrap();
        let a = assess(&store, &aman, case.id, "initial").await.unwrap();
        let seen = store.assessment(&nosy, a.id).await.unwrap();
        assert!(seen.restricted);
        assert!(seen.answers.is_empty() && seen.persons.iter().all(|p| p.name.is_none()));
        assert!(matches!(
            store.assessable_persons(&nosy, case.id).await,
            Err(StoreError::Forbidden(_))
        ));
    }
}

/// Version 2 of the initial assessment: one item reworded, `income_pending` replaced by `income_debts`.
fn initial_v2(v1: &Instrument) -> Instrument {
    let mut v2 = v1.clone();
    v2.version = 2;
    let income = v2.domains.iter_mut().find(|d| d.code == "income").unwrap();
    income
        .items
        .retain(|i| i.code != "income_pending" && i.code != "income_pending_details");
    income.items.push(Item {
        code: "income_debts".into(),
        text: Text {
            en: "Does the household have debts it cannot pay?".into(),
            ru: "Есть ли у домохозяйства долги, которые оно не может выплатить?".into(),
            tk: "Öý hojalygynyň töläp bilmeýän bergisi barmy?".into(),
        },
        answer: AnswerKind::YesNo,
        proposes_critical: false,
    });
    v2
}

goldaw_store::each_backend! {
    async fn old_assessments_keep_their_instrument_version_after_a_revision_ships(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let v1 = store.instruments().get("initial", 1).unwrap().clone();
        let f1 = family(&store, &sup, "H-1").await;
        let f2 = family(&store, &sup, "H-2").await;
        let f3 = family(&store, &sup, "H-3").await;
        let case1 = screening_case(&store, &sup, &aman, f1.mother).await;
        let case2 = screening_case(&store, &sup, &aman, f2.mother).await;
        let case3 = screening_case(&store, &sup, &aman, f3.mother).await;
        // One completed with version 1, one left as a version 1 draft.
        let done_v1 = assess(&store, &aman, case1, "initial").await.unwrap();
        let draft_v1 = store
            .start_assessment(
                &aman,
                case2,
                NewAssessment {
                    instrument: "initial".into(),
                    persons: vec![],
                },
            )
            .await
            .unwrap();
        assert_eq!(draft_v1.instrument_version, 1);

        // A release ships version 2 beside version 1: new assessments use it.
        let v2 = initial_v2(&v1);
        let others: Vec<Instrument> = store
            .instruments()
            .current()
            .into_iter()
            .filter(|i| i.code != "initial")
            .cloned()
            .collect();
        let mut shipped = vec![v1.clone(), v2.clone()];
        shipped.extend(others.iter().cloned());
        ship_instruments(&store, &shipped).await.unwrap();
        let new = store
            .start_assessment(
                &aman,
                case3,
                NewAssessment {
                    instrument: "initial".into(),
                    persons: vec![],
                },
            )
            .await
            .unwrap();
        assert_eq!(new.instrument_version, 2, "{b}");
        assert!(new.missing.iter().any(|m| m.item == "income_debts"));
        assert!(!new.missing.iter().any(|m| m.item == "income_pending"));

        // A later release drops the version 1 file: the database keeps version 1.
        let mut only_v2 = vec![v2.clone()];
        only_v2.extend(others.iter().cloned());
        ship_instruments(&store, &only_v2).await.unwrap();
        let held = store.instruments();
        let kept = held.get("initial", 1).unwrap();
        assert!(!held.is_active(kept), "no new assessment uses it");
        assert_eq!(held.in_force("initial").unwrap().version, 2);

        // The completed version 1 assessment still reads with its own questions and answers.
        let old = store.assessment(&sup, done_v1.id).await.unwrap();
        assert_eq!(old.instrument_version, 1);
        assert!(
            old.answers.iter().any(|a| a.item == "income_pending"),
            "{b}"
        );
        assert_eq!(old.answers.len(), done_v1.answers.len());

        // The version 1 draft is still checked against version 1: its items, not version 2's.
        let r = store
            .save_assessment(
                &aman,
                draft_v1.id,
                save(
                    draft_v1.version,
                    vec![answer(f2.mother, "income_debts", RawAnswer::Flag(true))],
                ),
            )
            .await;
        assert!(
            invalid(&r).contains("no such item in instrument 'initial' version 1"),
            "{b}"
        );
        let answers = draft_v1
            .missing
            .iter()
            .map(|m| answer(m.person, &m.item, RawAnswer::Number(1)))
            .map(|mut a| {
                if !a.item.starts_with("wg_") {
                    a.value = Some(RawAnswer::Flag(false));
                }
                a
            })
            .collect();
        let d = store
            .save_assessment(&aman, draft_v1.id, save(draft_v1.version, answers))
            .await
            .unwrap();
        let d = store
            .complete_assessment(&aman, d.id, d.version)
            .await
            .unwrap();
        assert_eq!(
            (d.status, d.instrument_version),
            (AssessmentStatus::Completed, 1),
            "{b}"
        );

        // Changing version 1 in place (its items) is refused while assessments use it...
        let mut changed = v1.clone();
        changed.domains[0].items[0].code = "safety_violence_now".into();
        let mut bad = vec![changed, v2.clone()];
        bad.extend(others.iter().cloned());
        let e = ship_instruments(&store, &bad)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("instrument 'initial' version 1 was changed in place")
                && e.contains("as version 2"),
            "{b}: {e}"
        );
        assert!(store
            .instruments()
            .get("initial", 1)
            .unwrap()
            .item("safety_violence")
            .is_some());
        // ...but a wording fix is taken, and the old assessment reads with it.
        let mut fixed = v1.clone();
        fixed.domains[0].items[0].text.tk = "Öý hojalygynda häzir zorluk howpy abandyrmy?".into();
        let mut good = vec![fixed, v2.clone()];
        good.extend(others.iter().cloned());
        ship_instruments(&store, &good).await.unwrap();
        assert_eq!(
            store.instruments().get("initial", 1).unwrap().domains[0].items[0]
                .text
                .tk,
            "Öý hojalygynda häzir zorluk howpy abandyrmy?"
        );

        // Opening the database again (migrate ships the files compiled in) keeps both versions.
        drop(store);
        let again = db.open_with_key().await;
        assert!(again.instruments().get("initial", 2).is_some(), "{b}");
        let read = again.assessment(&sup, new.id).await.unwrap();
        assert_eq!(read.instrument_version, 2);
    }
}

goldaw_store::each_backend! {
    async fn an_assessment_follows_its_person_through_a_merge_of_duplicates(db: TestDb) {
        use goldaw_store::merges::MergeRequest;
        let b = db.backend;
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        // The hotline's record of her, alone and without a birth date; the case is opened on a
        // second record of hers, made later in her household.
        let f = family(&store, &sup, "H-1").await;
        let kept = store
            .create_person(
                &sup,
                None,
                serde_json::from_value(json!({"given_name": "Aýna", "family_name": "Annaýewa",
                    "sex": "F", "admin_unit": "TM-A-01"}))
                .unwrap(),
            )
            .await
            .unwrap()
            .id;
        let case_id = screening_case(&store, &sup, &aman, f.mother).await;
        let a = store
            .start_assessment(
                &aman,
                case_id,
                NewAssessment {
                    instrument: "initial".into(),
                    persons: vec![f.mother, f.son],
                },
            )
            .await
            .unwrap();
        let a = store
            .save_assessment(
                &aman,
                a.id,
                save(
                    a.version,
                    vec![
                        answer(
                            f.mother,
                            "safety_details",
                            RawAnswer::Text("Her brother-in-law shouts at the children".into()),
                        ),
                        answer(f.mother, "safety_violence", RawAnswer::Flag(true)),
                        answer(f.son, "wg_seeing", RawAnswer::Number(2)),
                    ],
                ),
            )
            .await
            .unwrap();
        let version = |id| {
            let store = store.clone();
            let sup = sup.clone();
            async move { store.person(&sup, id).await.unwrap().version }
        };
        store
            .merge_persons(
                &sup,
                kept,
                MergeRequest {
                    merged: f.mother,
                    kept_version: version(kept).await,
                    merged_version: version(f.mother).await,
                },
            )
            .await
            .unwrap();

        // The assessment is hers under the kept record: her answers, her sealed words still open.
        let after = store.assessment(&aman, a.id).await.unwrap();
        let ids: Vec<Uuid> = after.persons.iter().map(|p| p.id).collect();
        assert_eq!(ids, [kept, f.son], "{b}");
        assert!(after.persons[0].respondent, "the case moved with her");
        let details = after
            .answers
            .iter()
            .find(|x| x.item == "safety_details")
            .unwrap();
        assert_eq!(details.person, kept);
        assert_eq!(
            details.value,
            Some(AnswerValue::Text(
                "Her brother-in-law shouts at the children".into()
            )),
            "{b}"
        );
        assert_eq!(after.critical_reasons, ["safety_violence"]);
        // It is completed under the kept record, whose Washington Group answers it then holds.
        let rest = after
            .missing
            .iter()
            .map(|m| {
                let v = if m.item.starts_with("wg_") {
                    RawAnswer::Number(1)
                } else {
                    RawAnswer::Flag(false)
                };
                answer(m.person, &m.item, v)
            })
            .collect();
        let saved = store
            .save_assessment(&aman, a.id, save(after.version, rest))
            .await
            .unwrap();
        assert!(saved.missing.iter().all(|m| m.person != f.mother));
        store
            .complete_assessment(&aman, a.id, saved.version)
            .await
            .unwrap();
        let her = store.person(&sup, kept).await.unwrap();
        assert_eq!(
            her.data.washington_group.walking.map(|w| w.code()),
            Some(1),
            "{b}"
        );
        let file = store.case_file(&aman, case_id).await.unwrap();
        assert_eq!(file.assessments[0].persons[0].id, kept, "{b}");
    }
}
