//! Issue #24: the due dates kept with each case are what computing them afresh gives — after a
//! case moves, a deadline rule changes, a holiday is added or removed — and the task list, read a
//! page at a time, reaches every task of a scope larger than a page and than the old cut-off of
//! 5,000 cases, each once.

use crate::helpers::{act, case_at, person_in, referral, staff};
use chrono::{Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use goldaw_core::codes::{CaseStatus, Role};
use goldaw_core::deadlines::DeadlineRule;
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{CaseQuery, TaskKind, TaskQuery};
use goldaw_store::settings::HolidayRecord;
use goldaw_store::testing::TestDb;
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// (case, kind, step, due in whole seconds) of every task of `who`, walking every page.
async fn every_task(
    store: &Store,
    who: &Principal,
    limit: u32,
) -> Vec<(Uuid, TaskKind, Option<String>, Option<i64>)> {
    let mut out = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store
            .task_page(
                who,
                &TaskQuery {
                    after: after.clone(),
                    limit: Some(limit),
                    overdue_only: false,
                },
            )
            .await
            .unwrap();
        assert!(page.tasks.len() <= limit as usize);
        pages += 1;
        for t in &page.tasks {
            out.push((
                t.case_id,
                t.kind,
                t.due.map(|d| d.step.as_str().to_owned()),
                t.due.map(|d| d.due_at.timestamp()),
            ));
        }
        match page.next {
            Some(n) => {
                assert_eq!(
                    page.tasks.len(),
                    limit as usize,
                    "only a full page has a next"
                );
                after = Some(n);
            }
            None => break,
        }
        assert!(pages < 10_000, "the pages never end");
    }
    out
}

/// Every case's steps due, as its record computes them afresh (`Store::case`), against the
/// steps kept in the task list of `sup` (who sees every case).
async fn assert_fresh(store: &Store, sup: &Principal, cases: &[Uuid]) {
    let kept = every_task(store, sup, 7).await;
    for id in cases {
        let fresh: BTreeSet<(String, i64)> = store
            .case(sup, *id)
            .await
            .unwrap()
            .due
            .into_iter()
            .map(|d| (d.step.as_str().to_owned(), d.due_at.timestamp()))
            .collect();
        let stored: BTreeSet<(String, i64)> = kept
            .iter()
            .filter(|(c, kind, ..)| c == id && *kind == TaskKind::Deadline)
            .map(|(_, _, step, due)| (step.clone().unwrap(), due.unwrap()))
            .collect();
        assert_eq!(stored, fresh, "case {id}");
    }
}

/// The due date of `step` of case `id` in `sup`'s task list.
async fn due_of(store: &Store, sup: &Principal, id: Uuid, step: &str) -> i64 {
    every_task(store, sup, 50)
        .await
        .into_iter()
        .find(|(c, _, s, _)| *c == id && s.as_deref() == Some(step))
        .and_then(|t| t.3)
        .unwrap_or_else(|| panic!("{step} of {id} is not in the list"))
}

/// The next `n` weekdays after today (in UTC+5 terms, near enough: two days on).
fn next_weekdays(n: usize) -> Vec<NaiveDate> {
    let mut day = (Utc::now() + TimeDelta::days(2)).date_naive();
    let mut out = Vec::new();
    while out.len() < n {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(day);
        }
        day += TimeDelta::days(1);
    }
    out
}

goldaw_store::each_backend! {
    async fn stored_due_dates_are_fresh_after_moves_rules_and_holidays(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = staff(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let admin = staff(&store, "adm", Role::Admin, "TM").await;
        let who = person_in(&store, &sup, "Jeren", "TM-A-01", "").await;
        let fresh = store.register_referral(&sup, referral(who, "TM-A-01")).await.unwrap();
        let screening = case_at(&store, &sup, &aman, who, "TM-A-01", CaseStatus::InitialAssessment).await;
        let planning = case_at(&store, &sup, &aman, who, "TM-A-01", CaseStatus::SupportPlan).await;
        let cases = [fresh.id, screening.id, planning.id];
        assert_fresh(&store, &sup, &cases).await;
        // The new case waits for a worker; allocated, it does not.
        let kept = every_task(&store, &sup, 50).await;
        assert!(kept.iter().any(|t| t.0 == fresh.id && t.1 == TaskKind::Allocate));

        // The case moves: allocated, then screening started.
        let moved = store.allocate_case(&sup, fresh.id, fresh.version, "aman").await.unwrap();
        let moved = store
            .act_on_case(&aman, moved.id, act(CaseAction::StartInitial, moved.version))
            .await
            .unwrap();
        assert_eq!(moved.status, CaseStatus::InitialAssessment);
        let kept = every_task(&store, &sup, 50).await;
        assert!(!kept.iter().any(|t| t.0 == fresh.id && t.1 == TaskKind::Allocate));
        assert!(!kept.iter().any(|t| t.0 == fresh.id && t.2.as_deref() == Some("first_contact")));
        assert_fresh(&store, &sup, &cases).await;

        // A deadline rule changes: the support plan is due later, for the case already at it.
        let before = due_of(&store, &sup, planning.id, "support_plan").await;
        store
            .set_deadline_rule(&admin, DeadlineRule::parse("support_plan", "support", "30", "working_days").unwrap())
            .await
            .unwrap();
        let after = due_of(&store, &sup, planning.id, "support_plan").await;
        assert!(after > before, "{before} -> {after}");
        assert_fresh(&store, &sup, &cases).await;

        // Holidays on the next three weekdays push every working-day deadline back; removed,
        // the dates come back.
        let screening_before = due_of(&store, &sup, screening.id, "initial_assessment").await;
        let days = next_weekdays(3);
        for day in &days {
            store
                .set_holiday(&admin, HolidayRecord {
                    day: *day,
                    name_en: "Test day".into(),
                    name_ru: "Тестовый день".into(),
                    name_tk: "Synag güni".into(),
                })
                .await
                .unwrap();
        }
        assert_fresh(&store, &sup, &cases).await;
        let moved_back = due_of(&store, &sup, planning.id, "support_plan").await;
        assert!(moved_back > after, "{after} -> {moved_back}");
        for day in &days {
            store.remove_holiday(&admin, *day).await.unwrap();
        }
        assert_fresh(&store, &sup, &cases).await;
        assert_eq!(due_of(&store, &sup, planning.id, "support_plan").await, after);
        assert_eq!(
            due_of(&store, &sup, screening.id, "initial_assessment").await,
            screening_before
        );

        // Closed at screening (priority none): nothing owed, nothing kept.
        let closed = store
            .act_on_case(&aman, screening.id, goldaw_store::cases::ActionRequest {
                priority: Some(goldaw_core::codes::Priority::None),
                ..act(CaseAction::CompleteInitial, screening.version)
            })
            .await;
        if let Ok(closed) = closed {
            let kept = every_task(&store, &sup, 50).await;
            assert!(!kept.iter().any(|t| t.0 == closed.id), "{kept:?}");
        }
        assert_fresh(&store, &sup, &cases).await;
    }
}

/// Cases straight into the database (as an import or an older release leaves them): `n` of
/// them in TM-A-01 about `person`, every third without a worker, the rest `worker`'s.
async fn bulk_cases(db: &TestDb, person: Uuid, worker: Uuid, n: usize) -> Vec<Uuid> {
    let now = Utc::now();
    let rows: Vec<(Uuid, String, Option<Uuid>, chrono::DateTime<Utc>)> = (0..n)
        .map(|i| {
            (
                Uuid::now_v7(),
                format!("BULK/{i:05}"),
                (i % 3 != 0).then_some(worker),
                now - TimeDelta::minutes(i as i64),
            )
        })
        .collect();
    let insert = |k: usize| {
        let values: Vec<String> =
            (0..k)
                .map(|j| {
                    let b = j * 6;
                    format!(
                    "(${}, ${}, ${}, 'TM-A-01', ${}, 'self', 'referred', 1, ${}, ${}, ${}, ${})",
                    b + 1, b + 2, b + 3, b + 4, b + 4, b + 4, b + 5, b + 6
                )
                })
                .collect();
        format!(
            "INSERT INTO cases (id, external_id, person_id, admin_unit, referred_at, referral_source, status,
                version, created_at, updated_at, worker_user_id, opened_on)
             VALUES {}",
            values.join(", ")
        )
    };
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for part in rows.chunks(500) {
                let sql = insert(part.len());
                let mut q = sqlx::query(&sql);
                for (id, number, w, at) in part {
                    q = q
                        .bind(id)
                        .bind(number)
                        .bind(person)
                        .bind(at)
                        .bind(w)
                        .bind(at.date_naive());
                }
                q.execute(&mut conn).await.unwrap();
            }
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            for part in rows.chunks(500) {
                let sql = insert(part.len());
                let mut q = sqlx::query(&sql);
                for (id, number, w, at) in part {
                    q = q
                        .bind(id)
                        .bind(number)
                        .bind(person)
                        .bind(at)
                        .bind(w)
                        .bind(at.date_naive());
                }
                q.execute(&mut conn).await.unwrap();
            }
        }
    }
    rows.into_iter().map(|r| r.0).collect()
}

goldaw_store::each_backend! {
    multi_thread async fn every_task_of_a_large_scope_is_reached_once_through_the_pages(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = staff(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let other = staff(&store, "other", Role::SocialWorker, "TM-B").await;
        let planner = staff(&store, "plan", Role::Planner, "TM").await;
        let who = person_in(&store, &sup, "Jeren", "TM-A-01", "").await;
        let n = 5_100;
        let ids = bulk_cases(&db, who, aman.user_id.unwrap(), n).await;
        // Cases written behind the store's back have no due dates until computed: the start of
        // the store (or after an import) computes every case that has none.
        assert_eq!(store.refresh_stale_due_dates().await.unwrap(), n as u64);
        assert_eq!(store.refresh_stale_due_dates().await.unwrap(), 0);

        // The supervisor: every case owes first contact and screening; a third also a worker.
        let all = every_task(&store, &sup, 200).await;
        let unique: BTreeSet<_> = all.iter().map(|t| (t.0, t.1, t.2.clone())).collect();
        assert_eq!(unique.len(), all.len(), "a task shown twice");
        assert_eq!(all.len(), n * 2 + n.div_ceil(3));
        let per_case: BTreeMap<Uuid, usize> = all.iter().fold(BTreeMap::new(), |mut m, t| {
            *m.entry(t.0).or_default() += 1;
            m
        });
        assert_eq!(per_case.len(), n);
        assert!(ids.iter().all(|id| per_case.contains_key(id)));
        // Grouped by worker: the cases waiting for one first, then each worker's by date.
        let first_deadline = all.iter().position(|t| t.1 == TaskKind::Deadline).unwrap();
        assert!(all[..first_deadline].iter().all(|t| t.1 == TaskKind::Allocate));

        // The worker: their cases' steps only, by date, each once.
        let mine = every_task(&store, &aman, 200).await;
        let unique: BTreeSet<_> = mine.iter().map(|t| (t.0, t.2.clone())).collect();
        assert_eq!(unique.len(), mine.len());
        assert_eq!(mine.len(), (n - n.div_ceil(3)) * 2);
        assert!(mine.iter().all(|t| t.1 == TaskKind::Deadline));
        assert!(mine.windows(2).all(|w| w[0].3 <= w[1].3), "by date");
        // Overdue: none yet (3 working days from now); the count is capped, not a scan.
        let page = store.task_page(&aman, &TaskQuery::default()).await.unwrap();
        assert_eq!((page.overdue.shown, page.overdue.more), (0, false));

        // Out of scope: nothing. Not a worker's role: refused. A damaged link: refused by name.
        assert!(every_task(&store, &other, 200).await.is_empty());
        assert!(matches!(store.task_page(&planner, &TaskQuery::default()).await, Err(StoreError::Forbidden(_))));
        for bad in ["zz", "00", "6162", &"ab".repeat(600)] {
            let r = store
                .task_page(&sup, &TaskQuery { after: Some(bad.to_owned()), ..TaskQuery::default() })
                .await;
            match r {
                Err(StoreError::Invalid { say: Some(say), field, .. }) => {
                    assert_eq!((say.key, field.as_str()), ("store-page-link-damaged", "after"), "{bad}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }

        // The case list: every open case once, newest first, a page at a time.
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .case_page(&sup, &CaseQuery { limit: 200, after: after.clone(), ..CaseQuery::default() })
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|c| (c.opened_on, c.number.clone(), c.id)));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len(), n);
        assert!(seen.windows(2).all(|w| (w[0].0, &w[0].1) > (w[1].0, &w[1].1)), "newest first");
        let distinct: BTreeSet<Uuid> = seen.iter().map(|s| s.2).collect();
        assert_eq!(distinct.len(), n);
        assert!(matches!(
            store.case_page(&sup, &CaseQuery { limit: 10, after: Some("7a".into()), ..CaseQuery::default() }).await,
            Err(StoreError::Invalid { .. })
        ));
    }
}
