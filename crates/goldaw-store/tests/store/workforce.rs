//! The social workforce register (issue #22) on both databases: a velayat with posts in three
//! etraps, staff hired, trained, certified, one leaving and one promoted; the plan's actual figures
//! against counts computed here from the rows written; the projection from the actual stock by
//! hand for two years; an overdue supervision as the supervisor's task; and the refusals.

use crate::helpers::{operator, staff};
use chrono::{Datelike, NaiveDate};
use goldaw_core::codes::Role;
use goldaw_store::workforce::{
    AttendanceInput, CertificationInput, LeaveRequest, NewCourse, NewPost, NewStaff,
    NewSupervision, PromotionRequest, WorkforceFiles,
};
use goldaw_store::{Principal, Store, StoreError};
use std::collections::BTreeMap;
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn today() -> NaiveDate {
    goldaw_core::deadlines::local_date(chrono::Utc::now())
}

fn post(id: &str, unit: &str, position: &str) -> NewPost {
    NewPost {
        external_id: id.parse().unwrap(),
        admin_unit: unit.parse().unwrap(),
        organisation: "MLSP etrap social work service".into(),
        position: position.into(),
        fte_percent: None,
        funded_from: d("2024-01-01"),
    }
}

#[allow(clippy::too_many_arguments)]
fn hire(
    id: &str,
    name: &str,
    unit: &str,
    position: &str,
    hired: &str,
    user: Option<&str>,
    post: Option<Uuid>,
    part: Option<u32>,
) -> NewStaff {
    NewStaff {
        external_id: id.parse().unwrap(),
        given_name: name.into(),
        family_name: "Orazowa".into(),
        sex: Some("F".into()),
        birth_date: Some(d("1990-05-05")),
        admin_unit: unit.parse().unwrap(),
        organisation: "MLSP etrap social work service".into(),
        org_kind: "state".into(),
        position: position.into(),
        specialism: None,
        employment: if part.is_some() {
            "part_time"
        } else {
            "full_time"
        }
        .into(),
        fte_percent: part,
        hired_on: d(hired),
        degree_social_work: true,
        languages: vec!["tk".into(), "ru".into()],
        username: user.map(str::to_owned),
        supervisor_id: None,
        post_id: post,
    }
}

struct World {
    ministry: Principal,
    sup: Principal,
    worker: Principal,
    planner: Principal,
    sup_id: Uuid,
    aman: Uuid,
    part_timer: Uuid,
    promoted: Uuid,
    leaver: Uuid,
    course: Uuid,
}

async fn world(store: &Store) -> World {
    let ministry = staff(store, "mlsp", Role::Ministry, "TM").await;
    let sup = staff(store, "sup", Role::Supervisor, "TM-A-01").await;
    let worker = staff(store, "aman", Role::SocialWorker, "TM-A-01").await;
    let planner = staff(store, "plan", Role::Planner, "TM-A").await;
    let mut posts = BTreeMap::new();
    for (id, unit, position) in [
        ("P1-S", "TM-A-01", "supervisor"),
        ("P1-1", "TM-A-01", "social_worker"),
        ("P1-2", "TM-A-01", "social_worker"),
        ("P1-3", "TM-A-01", "social_worker"),
        ("P2-1", "TM-A-02", "social_worker"),
        ("P2-2", "TM-A-02", "social_worker"),
        ("P3-1", "TM-A-03", "social_worker"),
    ] {
        let p = store
            .create_post(&ministry, post(id, unit, position))
            .await
            .unwrap();
        posts.insert(id, p.id);
    }
    let sup_id = store
        .hire_staff(
            &ministry,
            hire(
                "S-1",
                "Maral",
                "TM-A-01",
                "supervisor",
                "2024-01-10",
                Some("sup"),
                Some(posts["P1-S"]),
                None,
            ),
        )
        .await
        .unwrap()
        .id;
    let mut a = hire(
        "S-2",
        "Aman",
        "TM-A-01",
        "social_worker",
        "2024-03-01",
        Some("aman"),
        Some(posts["P1-1"]),
        None,
    );
    a.supervisor_id = Some(sup_id);
    let aman = store.hire_staff(&ministry, a).await.unwrap().id;
    // A supervisor hires into her own etrap.
    let part_timer = store
        .hire_staff(
            &sup,
            hire(
                "S-3",
                "Jeren",
                "TM-A-01",
                "social_worker",
                "2025-02-01",
                None,
                Some(posts["P1-2"]),
                Some(50),
            ),
        )
        .await
        .unwrap()
        .id;
    let promoted = store
        .hire_staff(
            &ministry,
            hire(
                "S-4",
                "Bahar",
                "TM-A-02",
                "social_worker",
                "2024-06-01",
                None,
                Some(posts["P2-1"]),
                None,
            ),
        )
        .await
        .unwrap()
        .id;
    store
        .hire_staff(
            &ministry,
            hire(
                "S-5",
                "Ogulgerek",
                "TM-A-02",
                "social_worker",
                "2025-01-15",
                None,
                None,
                None,
            ),
        )
        .await
        .unwrap();
    let leaver = store
        .hire_staff(
            &ministry,
            hire(
                "S-6",
                "Selbi",
                "TM-A-03",
                "social_worker",
                "2024-09-01",
                None,
                Some(posts["P3-1"]),
                None,
            ),
        )
        .await
        .unwrap()
        .id;
    let year = today().year();
    let course = store
        .create_course(
            &ministry,
            NewCourse {
                external_id: "C-1".parse().unwrap(),
                topic: "Case management".into(),
                hours: 24,
                trainer: Some("UNICEF".into()),
                starts_on: NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
                ends_on: NaiveDate::from_ymd_opt(year, 1, 3).unwrap(),
                place: Some("Ashgabat".into()),
            },
        )
        .await
        .unwrap()
        .id;
    World {
        ministry,
        sup,
        worker,
        planner,
        sup_id,
        aman,
        part_timer,
        promoted,
        leaver,
        course,
    }
}

async fn count(store: &Store, table: &str) -> usize {
    // Through the export: the rows of a file, what the operator sees.
    let files = store.export_workforce(&operator()).await.unwrap();
    let name = format!("{table}.csv");
    files.iter().find(|(n, _, _)| *n == name).unwrap().2 as usize
}

goldaw_store::each_backend! {
    async fn the_register_stands_against_the_plan(db: TestDb) {
        let store = db.open_with_key().await;
        let w = world(&store).await;
        let year = today().year();
        let completed = NaiveDate::from_ymd_opt(year, 1, 3).unwrap();
        // Training: the worker records her own; the supervisor her team's.
        store.record_attendance(&w.worker, w.aman, AttendanceInput { course_id: w.course, status: "completed".into(), completed_on: Some(completed) }).await.unwrap();
        store.record_attendance(&w.ministry, w.promoted, AttendanceInput { course_id: w.course, status: "completed".into(), completed_on: Some(completed) }).await.unwrap();
        store.record_attendance(&w.sup, w.part_timer, AttendanceInput { course_id: w.course, status: "enrolled".into(), completed_on: None }).await.unwrap();
        store.record_certification(&w.sup, w.aman, CertificationInput { name: "MLSP social worker".into(), certified_on: d("2025-06-01"), expires_on: None }).await.unwrap();
        store.record_certification(&w.ministry, w.promoted, CertificationInput { name: "MLSP social worker".into(), certified_on: d("2020-01-01"), expires_on: Some(d("2021-01-01")) }).await.unwrap();
        // One leaves, one is promoted.
        let v = store.staff_file(&w.ministry, w.leaver).await.unwrap().staff.version;
        store.staff_leaves(&w.ministry, w.leaver, LeaveRequest { version: v, left_on: d("2025-08-31"), reason: "resigned".into() }).await.unwrap();
        let v = store.staff_file(&w.ministry, w.promoted).await.unwrap().staff.version;
        let p = store.promote_staff(&w.ministry, w.promoted, PromotionRequest { version: v, to_position: "senior_social_worker".into(), effective_on: d("2025-10-01"), post_id: None }).await.unwrap();
        assert_eq!(p.position, "senior_social_worker");

        // The worker's own file: her CPD against the norm, her certification in force.
        let mine = store.staff_file(&w.worker, w.aman).await.unwrap();
        assert_eq!((mine.cpd.hours, mine.cpd.norm, mine.cpd.met), (24, 40, false));
        assert!(mine.certifications[0].in_force);
        assert!(mine.may_record_training && !mine.may_change);
        let promoted = store.staff_file(&w.ministry, w.promoted).await.unwrap();
        assert_eq!(promoted.career.len(), 1);
        assert!(!promoted.certifications[0].in_force, "expired");
        let left = store.staff_file(&w.ministry, w.leaver).await.unwrap();
        assert_eq!(left.staff.leaving_reason.as_deref(), Some("resigned"));

        // The plan: its figures against counts made here from the rows.
        let unit = "TM-A".parse().unwrap();
        let plan = store.workforce_against_plan(&w.planner, &unit, Some(2025), 2027, &BTreeMap::from([(2026, 2.0), (2027, 2.0)])).await.unwrap();
        let posts = store.list_posts(&w.ministry, Some(&unit)).await.unwrap();
        let staff_rows = store.list_staff(&w.ministry, Some(&unit), false).await.unwrap();
        let now = today();
        for etrap in ["TM-A-01", "TM-A-02", "TM-A-03"] {
            let row = plan.etraps.iter().find(|e| e.unit == etrap).unwrap();
            let mine: Vec<_> = posts.iter().filter(|p| p.admin_unit == etrap).collect();
            let filled = mine.iter().filter(|p| p.holder_id.is_some()).count() as u64;
            assert_eq!((row.posts, row.filled, row.vacant), (mine.len() as u64, filled, mine.len() as u64 - filled), "{etrap}");
            let in_post: Vec<_> = staff_rows.iter().filter(|s| s.admin_unit == etrap && s.left_on.is_none_or(|l| l >= now)).collect();
            assert_eq!(row.staff, in_post.len() as u64, "{etrap}");
            let fte: f64 = in_post.iter().map(|s| f64::from(s.fte_percent) / 100.0).sum();
            assert!((row.fte - fte).abs() < 1e-9, "{etrap}");
            let mut trained = 0;
            let mut certified = 0;
            for s in &in_post {
                let file = store.staff_file(&w.ministry, s.id).await.unwrap();
                if file.training.iter().any(|t| t.status == "completed") { trained += 1; }
                if file.certifications.iter().any(|c| c.in_force) { certified += 1; }
            }
            assert_eq!((row.trained, row.certified), (trained, certified), "{etrap}");
            assert!(row.requirement.is_some(), "{etrap}: the population is known or estimated");
        }
        let a01 = plan.etraps.iter().find(|e| e.unit == "TM-A-01").unwrap();
        assert_eq!((a01.posts, a01.filled, a01.vacant, a01.staff), (4, 3, 1, 3));
        assert!((a01.fte - 2.5).abs() < 1e-9);
        let a03 = plan.etraps.iter().find(|e| e.unit == "TM-A-03").unwrap();
        assert_eq!((a03.posts, a03.filled, a03.vacant, a03.staff), (1, 0, 1, 0), "the leaver's post fell vacant");
        let velayat = plan.velayats.iter().find(|v| v.unit == "TM-A").unwrap();
        assert_eq!((velayat.posts, velayat.filled, velayat.vacant), (7, 4, 3));
        assert_eq!(velayat.requirement, Some(plan.etraps.iter().filter_map(|e| e.requirement).sum()));
        assert_eq!(plan.total.posts, 7);

        // The projection from the register, by hand. In post on 1 January 2025: Maral, Aman,
        // Bahar, Selbi (4); left in 2025: Selbi (1); in post on 31 December: Maral, Aman, Jeren,
        // Bahar, Ogulgerek (5). Leaving rate 1/4.
        assert_eq!((plan.observed.stock_start, plan.observed.leavers, plan.observed.stock_end), (4.0, 1.0, 5.0));
        assert!(plan.attrition_observed);
        let rate = 1.0 / 4.0;
        let y2026 = 5.0 - rate * 5.0 + 2.0; // 5.75
        let y2027 = y2026 - rate * y2026 + 2.0; // 6.3125
        assert_eq!(plan.projection.len(), 3);
        assert_eq!(plan.projection[0].stock, 5.0);
        assert!((plan.projection[1].stock - y2026).abs() < 1e-9);
        assert!((plan.projection[1].leavers - 1.25).abs() < 1e-9);
        assert!((plan.projection[2].stock - y2027).abs() < 1e-9);
        assert!((y2027 - 6.3125_f64).abs() < 1e-12);

        // Supervision: Jeren (no supervisor, in the supervisor's etrap, never supervised since
        // February 2025) is overdue; a session with Aman today leaves her off the list.
        store.record_supervision(&w.sup, NewSupervision { supervisor_id: None, held_on: now, form: "one_to_one".into(), workers: vec![w.aman], cases: vec![], actions: Some("Visit the family again".into()) }).await.unwrap();
        let tasks = store.supervision_tasks(&w.sup).await.unwrap();
        let ids: Vec<Uuid> = tasks.iter().map(|t| t.staff_id).collect();
        assert_eq!(ids, [w.part_timer], "{:?}", tasks);
        assert!(tasks[0].days_overdue > 0);
        assert_eq!(tasks[0].last_session, None);
        // The worker sees the session, not the agreed actions; the supervisor sees both.
        let mine = store.staff_file(&w.worker, w.aman).await.unwrap();
        assert_eq!(mine.supervisions.len(), 1);
        assert_eq!(mine.supervisions[0].actions, None);
        assert!(!mine.supervision_overdue);
        let theirs = store.staff_file(&w.sup, w.aman).await.unwrap();
        assert_eq!(theirs.supervisions[0].actions.as_deref(), Some("Visit the family again"));
        // A worker and a planner have no supervision tasks.
        assert!(matches!(store.supervision_tasks(&w.worker).await, Err(StoreError::Forbidden(_))));
        assert!(matches!(store.supervision_tasks(&w.planner).await, Err(StoreError::Forbidden(_))));
        let _ = w.sup_id;
    }
}

goldaw_store::each_backend! {
    async fn the_register_refuses_what_it_must(db: TestDb) {
        let store = db.open_with_key().await;
        let w = world(&store).await;
        let far_sup = staff(&store, "far", Role::Supervisor, "TM-A-02").await;
        let hotline = staff(&store, "hot", Role::Hotline, "TM").await;
        // Out of scope or not hers: not found, as a record that does not exist.
        for (who, id) in [(&far_sup, w.aman), (&w.worker, w.part_timer), (&w.planner, w.aman), (&hotline, w.aman)] {
            assert!(matches!(store.staff_file(who, id).await, Err(StoreError::NotFound)), "{}", who.actor);
        }
        assert!(matches!(store.staff_file(&w.ministry, Uuid::now_v7()).await, Err(StoreError::NotFound)));
        // Lists: a worker sees only her own record; a planner none.
        let own = store.list_staff(&w.worker, None, false).await.unwrap();
        assert_eq!(own.iter().map(|s| s.id).collect::<Vec<_>>(), [w.aman]);
        assert!(matches!(store.list_staff(&w.planner, None, false).await, Err(StoreError::Forbidden(_))));
        // A planner sees posts without names.
        let posts = store.list_posts(&w.planner, None).await.unwrap();
        assert!(posts.iter().all(|p| p.holder.is_none() && p.holder_id.is_none()));
        // Not permitted: forbidden, and nothing written.
        let staff_before = count(&store, "staff").await;
        let err = store.hire_staff(&w.worker, hire("S-9", "X", "TM-A-01", "social_worker", "2025-01-01", None, None, None)).await;
        assert!(matches!(err, Err(StoreError::Forbidden(_))), "{err:?}");
        let err = store.hire_staff(&w.sup, hire("S-9", "X", "TM-A-02", "social_worker", "2025-01-01", None, None, None)).await;
        assert!(matches!(err, Err(StoreError::Forbidden(_))), "out of her scope: {err:?}");
        assert!(matches!(store.create_post(&w.sup, post("P9", "TM-A-01", "social_worker")).await, Err(StoreError::Forbidden(_))));
        assert!(matches!(store.record_certification(&w.worker, w.aman, CertificationInput { name: "x".into(), certified_on: d("2025-01-01"), expires_on: None }).await, Err(StoreError::Forbidden(_))));
        // Bad input: a clear refusal naming the field, nothing written.
        let bad = |e: Result<_, StoreError>, field: &str| match e {
            Err(StoreError::Invalid { field: f, say: Some(_), .. }) => assert_eq!(f, field),
            other => panic!("expected a refusal of {field}, got {:?}", other.map(|_| ())),
        };
        bad(store.hire_staff(&w.ministry, hire("S-2", "Dup", "TM-A-01", "social_worker", "2025-01-01", None, None, None)).await.map(|_| ()), "external_id");
        bad(store.hire_staff(&w.ministry, hire("S-9", "X", "TM-A-01", "boss", "2025-01-01", None, None, None)).await.map(|_| ()), "position");
        bad(store.hire_staff(&w.ministry, hire("S-9", "X", "TM-A-01", "social_worker", "2025-01-01", None, None, Some(100))).await.map(|_| ()), "fte_percent");
        bad(store.hire_staff(&w.ministry, hire("S-9", "X", "TM-A-01", "social_worker", "2025-01-01", Some("aman"), None, None)).await.map(|_| ()), "username");
        bad(store.hire_staff(&w.ministry, hire("S-9", "X", "TM-A-01", "social_worker", "2025-01-01", Some("nobody"), None, None)).await.map(|_| ()), "username");
        let filled = store.list_posts(&w.ministry, None).await.unwrap().into_iter().find(|p| p.external_id == "P1-1").unwrap();
        bad(store.hire_staff(&w.ministry, hire("S-9", "X", "TM-A-01", "social_worker", "2025-01-01", None, Some(filled.id), None)).await.map(|_| ()), "post_id");
        assert_eq!(count(&store, "staff").await, staff_before, "nothing written");
        // Leaving: before hired, then twice; a stale version is a conflict.
        let v = store.staff_file(&w.ministry, w.leaver).await.unwrap().staff.version;
        bad(store.staff_leaves(&w.ministry, w.leaver, LeaveRequest { version: v, left_on: d("2020-01-01"), reason: "resigned".into() }).await.map(|_| ()), "left_on");
        bad(store.staff_leaves(&w.ministry, w.leaver, LeaveRequest { version: v, left_on: d("2025-01-01"), reason: "vanished".into() }).await.map(|_| ()), "reason");
        assert!(matches!(store.staff_leaves(&w.ministry, w.leaver, LeaveRequest { version: v + 7, left_on: d("2025-01-01"), reason: "resigned".into() }).await, Err(StoreError::Conflict { .. })));
        store.staff_leaves(&w.ministry, w.leaver, LeaveRequest { version: v, left_on: d("2025-01-01"), reason: "resigned".into() }).await.unwrap();
        bad(store.staff_leaves(&w.ministry, w.leaver, LeaveRequest { version: v + 1, left_on: d("2025-02-01"), reason: "resigned".into() }).await.map(|_| ()), "left_on");
        // Promotion down the path is refused; supervision of someone outside her scope is not found.
        let v = store.staff_file(&w.ministry, w.sup_id).await.unwrap().staff.version;
        bad(store.promote_staff(&w.ministry, w.sup_id, PromotionRequest { version: v, to_position: "social_worker".into(), effective_on: d("2025-01-01"), post_id: None }).await.map(|_| ()), "to_position");
        assert!(matches!(store.record_supervision(&w.sup, NewSupervision { supervisor_id: None, held_on: today(), form: "one_to_one".into(), workers: vec![w.promoted], cases: vec![], actions: None }).await, Err(StoreError::NotFound)));
        bad(store.record_supervision(&w.sup, NewSupervision { supervisor_id: None, held_on: today(), form: "group".into(), workers: vec![w.aman], cases: vec![], actions: None }).await.map(|_| ()), "workers");
        bad(store.record_supervision(&w.sup, NewSupervision { supervisor_id: None, held_on: today(), form: "one_to_one".into(), workers: vec![w.aman], cases: vec!["A-01/2026/9999".into()], actions: None }).await.map(|_| ()), "cases");
        // A worker without a linked record records no supervision; she cannot pose as a supervisor.
        bad(store.record_supervision(&far_sup, NewSupervision { supervisor_id: None, held_on: today(), form: "one_to_one".into(), workers: vec![w.promoted], cases: vec![], actions: None }).await.map(|_| ()), "supervisor_id");
        assert!(matches!(store.record_supervision(&w.worker, NewSupervision { supervisor_id: Some(w.sup_id), held_on: today(), form: "one_to_one".into(), workers: vec![w.aman], cases: vec![], actions: None }).await, Err(StoreError::Forbidden(_))));
        // The plan: planners and the ministry only, within scope.
        assert!(matches!(store.workforce_against_plan(&w.sup, &"TM-A".parse().unwrap(), None, 2030, &BTreeMap::new()).await, Err(StoreError::Forbidden(_))));
        assert!(matches!(store.workforce_against_plan(&w.planner, &"TM-B".parse().unwrap(), None, 2030, &BTreeMap::new()).await, Err(StoreError::NotFound)));
        // Norms: the ministry sets them.
        assert!(store.set_workforce_norms(&w.sup, goldaw_store::workforce::WorkforceNorms { cpd_hours: 1, supervisions_per_month: 1 }).await.is_err());
        store.set_workforce_norms(&w.ministry, goldaw_store::workforce::WorkforceNorms { cpd_hours: 20, supervisions_per_month: 2 }).await.unwrap();
        assert_eq!(store.workforce_norms().await.unwrap().cpd_hours, 20);
    }
}

const STAFF: &str = "staff_id,given_name,family_name,sex,birth_date,admin_unit,organisation,org_kind,position,specialism,employment,fte_percent,hired_on,left_on,leaving_reason,degree_social_work,languages,supervisor_id
M-2,Aman,Orazow,M,1991-02-03,TM-A-01,MLSP,state,social_worker,,full_time,100,2024-03-01,,,yes,tk;ru,M-1
M-1,Maral,Orazowa,F,,TM-A-01,MLSP,state,supervisor,,full_time,100,2023-01-01,,,yes,tk,
M-3,Jeren,Ataýewa,F,,TM-A-02,Ýeňiş NGO,ngo,specialist,psychologist,part_time,50,2024-05-01,2025-05-01,moved,no,,
";
const COURSES: &str = "course_id,topic,hours,trainer,starts_on,ends_on,place
K-1,Case management,24,UNICEF,2025-01-10,2025-01-12,Ashgabat
";
const POSTS: &str = "post_id,admin_unit,organisation,position,fte_percent,funded_from,abolished_on,holder_staff_id,since
Q-1,TM-A-01,MLSP,social_worker,100,2024-01-01,,M-2,2024-03-01
Q-2,TM-A-01,MLSP,social_worker,100,2024-01-01,,,2024-01-01
";
const TRAINING: &str = "course_id,staff_id,status,completed_on
K-1,M-2,completed,2025-01-12
K-1,M-1,enrolled,
";

goldaw_store::each_backend! {
    async fn the_register_imports_all_or_nothing_and_exports_what_it_imported(db: TestDb) {
        let store = db.open_with_key().await;
        let op = operator();
        let files = WorkforceFiles { staff: Some(STAFF.into()), courses: Some(COURSES.into()), posts: Some(POSTS.into()), training: Some(TRAINING.into()) };
        let counts = store.import_workforce(&op, &files).await.unwrap();
        assert_eq!(counts, [("staff.csv".into(), 3), ("courses.csv".into(), 1), ("posts.csv".into(), 2), ("training.csv".into(), 2)]);
        let out = store.export_workforce(&op).await.unwrap();
        let text = |name: &str| out.iter().find(|(n, _, _)| n == name).unwrap().1.clone();
        // Export, import again: the same files.
        let again = WorkforceFiles { staff: Some(text("staff.csv")), courses: Some(text("courses.csv")), posts: Some(text("posts.csv")), training: Some(text("training.csv")) };
        store.import_workforce(&op, &again).await.unwrap();
        let out2 = store.export_workforce(&op).await.unwrap();
        assert_eq!(out, out2);
        assert!(text("staff.csv").contains("M-2,Aman,Orazow,M,1991-02-03,TM-A-01,MLSP,state,social_worker,,full_time,100,2024-03-01,,,yes,tk;ru,M-1"));
        // A bad row anywhere refuses the whole import, naming file, line and column.
        let bad_posts = format!("{POSTS}Q-3,TM-A-01,MLSP,boss,100,2024-01-01,,,\n");
        let new_staff = STAFF.replace("M-3,Jeren", "M-4,Jeren");
        let refused = store.import_workforce(&op, &WorkforceFiles { staff: Some(new_staff), courses: None, posts: Some(bad_posts), training: None }).await;
        match refused {
            Err(StoreError::Import(e)) => {
                assert_eq!((e.file.as_str(), e.line, e.column.as_deref()), ("posts.csv", 4, Some("position")), "{e}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(store.export_workforce(&op).await.unwrap(), out2, "nothing written");
        let refused = store.import_workforce(&op, &WorkforceFiles { training: Some("course_id,staff_id,status,completed_on\nK-1,M-9,completed,2025-01-12\n".into()), ..Default::default() }).await;
        assert!(matches!(refused, Err(StoreError::Import(ref e)) if e.file == "training.csv" && e.line == 2 && e.column.as_deref() == Some("staff_id")), "{refused:?}");
        let refused = store.import_workforce(&op, &WorkforceFiles { staff: Some(format!("{STAFF}M-1,Dup,X,F,,TM-A-01,MLSP,state,supervisor,,full_time,100,2023-01-01,,,yes,tk,\n")), ..Default::default() }).await;
        assert!(matches!(refused, Err(StoreError::Import(ref e)) if e.line == 5 && e.message.contains("line 3")), "{refused:?}");
        // Only the operator imports and exports.
        let ministry = staff(&store, "mlsp", Role::Ministry, "TM").await;
        assert!(matches!(store.import_workforce(&ministry, &files).await, Err(StoreError::Forbidden(_))));
        assert!(matches!(store.export_workforce(&ministry).await, Err(StoreError::Forbidden(_))));
    }
}
