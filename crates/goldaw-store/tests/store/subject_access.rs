//! A person's own data (issue #20, item 5): a supervisor produces everything held about a person
//! in scope (record, cases with their text opened, consents, who read it), audited; another
//! etrap's case is counted, not shown; a worker or a planner is refused (403), a supervisor of
//! another etrap or without the sensitive permission for a hidden person gets "no such person".

use crate::helpers::{operator, person_in, referral, sensitive_staff, staff};
use chrono::Utc;
use goldaw_core::codes::Role;
use goldaw_store::cases::NoteKind;
use goldaw_store::StoreError;

goldaw_store::each_backend! {
    async fn a_supervisor_produces_a_persons_own_data_in_scope(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let other = staff(&store, "sup2", Role::Supervisor, "TM-A-02").await;
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let planner = staff(&store, "planner", Role::Planner, "TM").await;
        let aman = person_in(&store, &sup, "Aýna", "TM-A-01", "").await;
        let case = store.register_referral(&sup, referral(aman, "TM-A-01")).await.unwrap();
        store
            .add_case_note(&sup, case.id, NoteKind::HomeVisit, Utc::now(), "Visited; the roof leaks")
            .await
            .unwrap();
        // A case of hers in the next etrap: counted, not shown to this supervisor.
        let elsewhere = store.register_referral(&other, referral(aman, "TM-A-02")).await;
        let left_out = u32::from(elsewhere.is_ok());
        // Someone read her record.
        store.person(&worker, aman).await.unwrap();

        let doc = store.subject_access(&sup, aman).await.unwrap();
        assert_eq!(doc.person.id, aman, "{b}");
        assert_eq!(doc.person.data.given_name.as_str(), "Aýna", "{b}");
        assert_eq!(doc.produced_by, "sup", "{b}");
        assert_eq!(doc.cases.len(), 1, "{b}: {:?}", doc.cases.iter().map(|c| &c.case.number).collect::<Vec<_>>());
        assert_eq!(doc.cases_left_out, left_out, "{b}");
        let c = &doc.cases[0];
        assert_eq!(c.case.id, case.id, "{b}");
        assert_eq!(c.part, "subject", "{b}");
        assert_eq!(c.case.concern.as_deref(), Some("Her husband threatens her; she has a son of 9"), "{b}");
        assert_eq!(c.notes.len(), 1, "{b}");
        assert_eq!(c.notes[0].text.as_deref(), Some("Visited; the roof leaks"), "{b}: the note is opened for the document");
        assert!(!c.events.is_empty(), "{b}: the case's history");
        // Who read it: the worker's read of the person is there.
        assert!(
            doc.access.iter().any(|e| e.actor == "worker" && e.action == "person.read"),
            "{b}: {:?}", doc.access.iter().map(|e| (&e.actor, &e.action)).collect::<Vec<_>>()
        );
        // Producing it was audited: the next production lists the first.
        let again = store.subject_access(&sup, aman).await.unwrap();
        assert!(
            again.access.iter().any(|e| e.actor == "sup" && e.action == "person.own_data"
                && e.detail.as_deref().is_some_and(|d| d.starts_with("1 cases shown"))),
            "{b}: {:?}", again.access.iter().map(|e| (&e.actor, &e.action, &e.detail)).collect::<Vec<_>>()
        );
        // JSON: the document serialises whole.
        let json = serde_json::to_value(&again).unwrap();
        assert_eq!(json["cases"][0]["notes"][0]["text"], "Visited; the roof leaks", "{b}");
        assert_eq!(json["person"]["given_name"], "Aýna", "{b}");

        // Refusals: roles that may not (403), outside scope (404), no such person (404).
        for who in [&worker, &planner] {
            assert!(matches!(store.subject_access(who, aman).await, Err(StoreError::Forbidden(_))), "{b}: {}", who.actor);
        }
        assert!(matches!(store.subject_access(&other, aman).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.subject_access(&sup, uuid::Uuid::now_v7()).await, Err(StoreError::NotFound)), "{b}");
        let _ = operator();
    }

    async fn a_hidden_person_is_not_found_without_the_sensitive_permission(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let sens = sensitive_staff(&store, "sens", Role::Supervisor, "TM-A-01").await;
        let hidden = person_in(&store, &sens, "Gülälek", "TM-A-01", "woman_gbv").await;
        assert!(matches!(store.subject_access(&sup, hidden).await, Err(StoreError::NotFound)), "{b}");
        let doc = store.subject_access(&sens, hidden).await.unwrap();
        assert_eq!(doc.person.id, hidden, "{b}");
        assert!(doc.cases.is_empty(), "{b}");
    }
}
