//! The workforce register's pages (docs/workforce.md):
//!
//! - `/workforce`: the staff in the reader's sight (the ministry and supervisors: their scope; a
//!   worker: her own record), supervision overdue (the supervisor's tasks), the establishment, and
//!   the forms the reader may use: hire, add a post or a course, record a supervision session;
//! - `/workforce/staff/{id}`: one record with its training, certification, CPD against the norm,
//!   supervision and career, and the forms on it (training, certification, promotion, leaving).
//!
//! Forms are offered as `goldaw_core::workforce` says the reader may; the store decides again.

use super::common::{after, refusal, render};
use super::extract::{see_other, Posted, Signed};
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use goldaw_core::workforce::{
    may_add_courses, may_keep_establishment, may_see_supervision_tasks, may_supervise, staff_sight,
    Attendance, LeavingReason, Position, StaffSight, SupervisionForm,
};
use goldaw_store::error::SayArg;
use goldaw_store::workforce::{
    AttendanceInput, CertificationInput, CourseRecord, LeaveRequest, NewCourse, NewPost, NewStaff,
    NewSupervision, PostRecord, PromotionRequest, StaffFile, StaffSummary, SupervisionTask,
};
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workforce", get(register))
        .route("/workforce/staff", post(hire))
        .route("/workforce/staff/{id}", get(staff_page))
        .route("/workforce/staff/{id}/training", post(training))
        .route("/workforce/staff/{id}/certification", post(certify))
        .route("/workforce/staff/{id}/promote", post(promote))
        .route("/workforce/staff/{id}/leave", post(leave))
        .route("/workforce/supervision", post(supervise))
        .route("/workforce/posts", post(add_post))
        .route("/workforce/courses", post(add_course))
}

/// A code's name in the reader's language (`workforce-code-…`).
fn code_name(t: &Translator, code: &str) -> String {
    t.t(&format!("workforce-code-{code}"))
}

fn date(field: &'static str, text: &str) -> Result<NaiveDate, StoreError> {
    text.trim().parse().map_err(|_| {
        StoreError::refuse(
            field,
            "store-workforce-date",
            vec![("field", SayArg::Text(field.to_owned()))],
        )
    })
}

fn opt_date(field: &'static str, text: &str) -> Result<Option<NaiveDate>, StoreError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        date(field, text).map(Some)
    }
}

fn ext_id(field: &'static str, text: &str) -> Result<goldaw_core::ids::ExternalId, StoreError> {
    text.trim().parse().map_err(|e: goldaw_core::ParseError| {
        StoreError::refuse(
            field,
            "store-workforce-code",
            vec![
                ("field", SayArg::Text(field.to_owned())),
                ("problem", SayArg::Text(e.to_string())),
            ],
        )
    })
}

fn unit(field: &'static str, text: &str) -> Result<goldaw_core::ids::AdminUnitCode, StoreError> {
    text.trim().parse().map_err(|e: goldaw_core::ParseError| {
        StoreError::refuse(
            field,
            "store-workforce-code",
            vec![
                ("field", SayArg::Text(field.to_owned())),
                ("problem", SayArg::Text(e.to_string())),
            ],
        )
    })
}

fn number(field: &'static str, text: &str) -> Result<Option<u32>, StoreError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| {
        StoreError::refuse(
            field,
            "store-workforce-number",
            vec![("field", SayArg::Text(field.to_owned()))],
        )
    })
}

fn uuid(field: &'static str, text: &str) -> Result<Uuid, StoreError> {
    text.trim().parse().map_err(|_| {
        StoreError::refuse(
            field,
            "store-workforce-code",
            vec![
                ("field", SayArg::Text(field.to_owned())),
                ("problem", SayArg::Text("not an id".into())),
            ],
        )
    })
}

/// A choice of a select: its code and name.
struct Choice {
    code: String,
    name: String,
}

fn choices(t: &Translator, codes: &[&str]) -> Vec<Choice> {
    codes
        .iter()
        .map(|c| Choice {
            code: (*c).to_owned(),
            name: code_name(t, c),
        })
        .collect()
}

struct StaffLine {
    s: StaffSummary,
    position: String,
}

struct PostLine {
    p: PostRecord,
    position: String,
}

#[derive(Template)]
#[template(path = "workforce.html")]
struct RegisterPage {
    t: Translator,
    user: Option<UserView>,
    csrf: String,
    staff: Vec<StaffLine>,
    tasks: Vec<SupervisionTask>,
    show_tasks: bool,
    posts: Vec<PostLine>,
    may_hire: bool,
    may_add_post: bool,
    may_add_course: bool,
    may_supervise: bool,
    positions: Vec<Choice>,
    forms: Vec<Choice>,
    today: String,
}

async fn register(State(state): State<AppState>, signed: Signed) -> PageResult {
    let p = signed.principal();
    if staff_sight(p) == StaffSight::Nothing {
        return Err(signed.fail(StoreError::Forbidden(
            "your role keeps no staff records".into(),
        )));
    }
    let t = &signed.t;
    let staff = state
        .store
        .list_staff(p, None, true)
        .await
        .or_refuse(&signed)?;
    let show_tasks = may_see_supervision_tasks(p);
    let tasks = if show_tasks {
        state.store.supervision_tasks(p).await.or_refuse(&signed)?
    } else {
        Vec::new()
    };
    let supervisor_or_ministry = matches!(staff_sight(p), StaffSight::Unit(_));
    let posts = if supervisor_or_ministry {
        state.store.list_posts(p, None).await.or_refuse(&signed)?
    } else {
        Vec::new()
    };
    let positions: Vec<&str> = Position::ALL.iter().map(|c| c.as_str()).collect();
    let forms: Vec<&str> = SupervisionForm::ALL.iter().map(|c| c.as_str()).collect();
    Ok(render(RegisterPage {
        csrf: signed.session.csrf.clone(),
        user: signed.user(),
        staff: staff
            .into_iter()
            .map(|s| StaffLine {
                position: code_name(t, &s.position),
                s,
            })
            .collect(),
        tasks,
        show_tasks,
        posts: posts
            .into_iter()
            .map(|p| PostLine {
                position: code_name(t, &p.position),
                p,
            })
            .collect(),
        may_hire: supervisor_or_ministry,
        may_add_post: may_keep_establishment(p),
        may_add_course: may_add_courses(p),
        may_supervise: may_supervise(p),
        positions: choices(t, &positions),
        forms: choices(t, &forms),
        today: goldaw_core::deadlines::local_date(chrono::Utc::now()).to_string(),
        t: t.clone_lang(),
    }))
}

#[derive(Template)]
#[template(path = "workforce_staff.html")]
struct StaffPage {
    t: Translator,
    user: Option<UserView>,
    csrf: String,
    f: StaffFile,
    position: String,
    employment: String,
    cpd_text: String,
    courses: Vec<CourseRecord>,
    statuses: Vec<Choice>,
    reasons: Vec<Choice>,
    promotions: Vec<Choice>,
    vacant_posts: Vec<PostRecord>,
    today: String,
}

async fn staff_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> PageResult {
    let p = signed.principal();
    let f = state.store.staff_file(p, id).await.or_refuse(&signed)?;
    let t = &signed.t;
    let courses = if f.may_record_training {
        state.store.list_courses(p).await.or_refuse(&signed)?
    } else {
        Vec::new()
    };
    let vacant_posts = if f.may_change {
        state
            .store
            .list_posts(p, None)
            .await
            .or_refuse(&signed)?
            .into_iter()
            .filter(|p| p.holder_id.is_none() && p.abolished_on.is_none())
            .collect()
    } else {
        Vec::new()
    };
    let from: Option<Position> = f.staff.position.parse().ok();
    let promotions: Vec<&str> = Position::ALL
        .iter()
        .filter(|to| from.is_some_and(|f| goldaw_core::workforce::promotion_allowed(f, **to)))
        .map(|c| c.as_str())
        .collect();
    let statuses: Vec<&str> = Attendance::ALL.iter().map(|c| c.as_str()).collect();
    let reasons: Vec<&str> = LeavingReason::ALL.iter().map(|c| c.as_str()).collect();
    let cpd_text = t.t_with(
        "workforce-cpd-text",
        &[
            ("hours", f.cpd.hours.into()),
            ("norm", f.cpd.norm.into()),
            ("year", f.cpd.year.into()),
        ],
    );
    Ok(render(StaffPage {
        csrf: signed.session.csrf.clone(),
        user: signed.user(),
        position: code_name(t, &f.staff.position),
        employment: code_name(t, &f.staff.employment),
        cpd_text,
        courses,
        statuses: choices(t, &statuses),
        reasons: choices(t, &reasons),
        promotions: choices(t, &promotions),
        vacant_posts,
        today: goldaw_core::deadlines::local_date(chrono::Utc::now()).to_string(),
        f,
        t: t.clone_lang(),
    }))
}

#[derive(Deserialize)]
struct HireForm {
    external_id: String,
    given_name: String,
    family_name: String,
    #[serde(default)]
    sex: String,
    admin_unit: String,
    organisation: String,
    org_kind: String,
    position: String,
    employment: String,
    #[serde(default)]
    fte_percent: String,
    hired_on: String,
    #[serde(default)]
    degree_social_work: Option<String>,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    post_id: String,
}

async fn hire(State(state): State<AppState>, posted: Posted<HireForm>) -> PageResult {
    let Posted { signed, form: f } = posted;
    let new = (|| -> Result<NewStaff, StoreError> {
        Ok(NewStaff {
            external_id: ext_id("external_id", &f.external_id)?,
            given_name: f.given_name.clone(),
            family_name: f.family_name.clone(),
            sex: Some(f.sex.clone()).filter(|s| !s.is_empty()),
            birth_date: None,
            admin_unit: unit("admin_unit", &f.admin_unit)?,
            organisation: f.organisation.clone(),
            org_kind: f.org_kind.clone(),
            position: f.position.clone(),
            specialism: None,
            employment: f.employment.clone(),
            fte_percent: number("fte_percent", &f.fte_percent)?,
            hired_on: date("hired_on", &f.hired_on)?,
            degree_social_work: f.degree_social_work.is_some(),
            languages: f
                .languages
                .split([',', ';', ' '])
                .map(str::to_owned)
                .collect(),
            username: Some(f.username.clone()).filter(|s| !s.trim().is_empty()),
            supervisor_id: None,
            post_id: if f.post_id.trim().is_empty() {
                None
            } else {
                Some(uuid("post_id", &f.post_id)?)
            },
        })
    })();
    let new = match new {
        Ok(n) => n,
        Err(e) => return Ok(refusal(&signed, e)),
    };
    Ok(
        match state.store.hire_staff(signed.principal(), new).await {
            Ok(s) => see_other(&format!("/workforce/staff/{}", s.id)),
            Err(e) => refusal(&signed, e),
        },
    )
}

#[derive(Deserialize)]
struct TrainingForm {
    course_id: String,
    status: String,
    #[serde(default)]
    completed_on: String,
}

async fn training(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<TrainingForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let result = async {
        let input = AttendanceInput {
            course_id: uuid("course_id", &form.course_id)?,
            status: form.status.clone(),
            completed_on: opt_date("completed_on", &form.completed_on)?,
        };
        state
            .store
            .record_attendance(signed.principal(), id, input)
            .await
    }
    .await;
    Ok(after(&signed, result, format!("/workforce/staff/{id}")))
}

#[derive(Deserialize)]
struct CertifyForm {
    name: String,
    certified_on: String,
    #[serde(default)]
    expires_on: String,
}

async fn certify(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<CertifyForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let result = async {
        let input = CertificationInput {
            name: form.name.clone(),
            certified_on: date("certified_on", &form.certified_on)?,
            expires_on: opt_date("expires_on", &form.expires_on)?,
        };
        state
            .store
            .record_certification(signed.principal(), id, input)
            .await
    }
    .await;
    Ok(after(&signed, result, format!("/workforce/staff/{id}")))
}

#[derive(Deserialize)]
struct PromoteForm {
    version: i32,
    to_position: String,
    effective_on: String,
    #[serde(default)]
    post_id: String,
}

async fn promote(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<PromoteForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let result = async {
        let input = PromotionRequest {
            version: form.version,
            to_position: form.to_position.clone(),
            effective_on: date("effective_on", &form.effective_on)?,
            post_id: if form.post_id.trim().is_empty() {
                None
            } else {
                Some(uuid("post_id", &form.post_id)?)
            },
        };
        state
            .store
            .promote_staff(signed.principal(), id, input)
            .await
    }
    .await;
    Ok(after(&signed, result, format!("/workforce/staff/{id}")))
}

#[derive(Deserialize)]
struct LeaveForm {
    version: i32,
    left_on: String,
    reason: String,
}

async fn leave(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<LeaveForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let result = match date("left_on", &form.left_on) {
        Ok(left_on) => {
            state
                .store
                .staff_leaves(
                    signed.principal(),
                    id,
                    LeaveRequest {
                        version: form.version,
                        left_on,
                        reason: form.reason.clone(),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    Ok(after(&signed, result, format!("/workforce/staff/{id}")))
}

#[derive(Deserialize)]
struct SuperviseForm {
    held_on: String,
    form: String,
    /// The worker's staff record (one-to-one), or several `;`-separated ids for a group.
    workers: String,
    #[serde(default)]
    cases: String,
    #[serde(default)]
    actions: String,
}

async fn supervise(State(state): State<AppState>, posted: Posted<SuperviseForm>) -> PageResult {
    let Posted { signed, form } = posted;
    let result = async {
        let workers = form
            .workers
            .split([';', ',', ' '])
            .filter(|w| !w.trim().is_empty())
            .map(|w| uuid("workers", w))
            .collect::<Result<Vec<_>, _>>()?;
        let input = NewSupervision {
            supervisor_id: None,
            held_on: date("held_on", &form.held_on)?,
            form: form.form.clone(),
            workers,
            cases: form
                .cases
                .split([';', ',', ' '])
                .filter(|c| !c.trim().is_empty())
                .map(str::to_owned)
                .collect(),
            actions: Some(form.actions.clone()),
        };
        state
            .store
            .record_supervision(signed.principal(), input)
            .await
    }
    .await;
    Ok(after(&signed, result, "/workforce".to_owned()))
}

#[derive(Deserialize)]
struct PostForm {
    external_id: String,
    admin_unit: String,
    organisation: String,
    position: String,
    #[serde(default)]
    fte_percent: String,
    funded_from: String,
}

async fn add_post(State(state): State<AppState>, posted: Posted<PostForm>) -> PageResult {
    let Posted { signed, form } = posted;
    let result = async {
        let input = NewPost {
            external_id: ext_id("external_id", &form.external_id)?,
            admin_unit: unit("admin_unit", &form.admin_unit)?,
            organisation: form.organisation.clone(),
            position: form.position.clone(),
            fte_percent: number("fte_percent", &form.fte_percent)?,
            funded_from: date("funded_from", &form.funded_from)?,
        };
        state.store.create_post(signed.principal(), input).await
    }
    .await;
    Ok(after(&signed, result, "/workforce".to_owned()))
}

#[derive(Deserialize)]
struct CourseForm {
    external_id: String,
    topic: String,
    hours: String,
    #[serde(default)]
    trainer: String,
    starts_on: String,
    ends_on: String,
    #[serde(default)]
    place: String,
}

async fn add_course(State(state): State<AppState>, posted: Posted<CourseForm>) -> PageResult {
    let Posted { signed, form } = posted;
    let result = async {
        let input = NewCourse {
            external_id: ext_id("external_id", &form.external_id)?,
            topic: form.topic.clone(),
            hours: number("hours", &form.hours)?.unwrap_or(0),
            trainer: Some(form.trainer.clone()),
            starts_on: date("starts_on", &form.starts_on)?,
            ends_on: date("ends_on", &form.ends_on)?,
            place: Some(form.place.clone()),
        };
        state.store.create_course(signed.principal(), input).await
    }
    .await;
    Ok(after(&signed, result, "/workforce".to_owned()))
}

/// One line of the register against the plan, for people.
pub(crate) struct PlanLine {
    pub unit: String,
    pub name: String,
    pub posts: String,
    pub filled: String,
    pub vacant: String,
    pub staff: String,
    pub fte: String,
    pub trained: String,
    pub certified: String,
    pub requirement: String,
    pub caseload: String,
}

/// The register against the plan, as the planning page's partial shows it
/// (`templates/planning_workforce.html`).
pub(crate) struct PlanRegisterView {
    pub text: String,
    pub observed: String,
    pub lines: Vec<PlanLine>,
    pub total: PlanLine,
    pub years: Vec<(i32, String, String, String)>,
}

fn plan_line(s: &goldaw_core::workforce::UnitStock, name: String, lang: &str) -> PlanLine {
    use super::common::count;
    let one = |x: f64| {
        if lang == "en" {
            format!("{x:.1}")
        } else {
            format!("{x:.1}").replace('.', ",")
        }
    };
    PlanLine {
        unit: s.unit.clone(),
        name,
        posts: count(s.posts, lang),
        filled: count(s.filled, lang),
        vacant: count(s.vacant, lang),
        staff: count(s.staff, lang),
        fte: one(s.fte),
        trained: count(s.trained, lang),
        certified: count(s.certified, lang),
        requirement: s
            .requirement
            .map_or_else(|| "—".to_owned(), |r| count(r, lang)),
        caseload: s.caseload_per_fte.map_or_else(|| "—".to_owned(), one),
    }
}

/// The register against the plan for the reader's scope (planners and the ministry), projected to
/// `until` with `inflow` where the scope is the nation (the seeds' inflow is national); `None`
/// when the store cannot answer (the planning page still shows the seeds' projection).
pub(crate) async fn plan_register(
    state: &AppState,
    signed: &Signed,
    until: i32,
    inflow: &std::collections::BTreeMap<i32, f64>,
) -> Option<PlanRegisterView> {
    let p = signed.principal();
    let scope = p.unit_scope()?.clone();
    let national = scope == goldaw_core::access::nation();
    let empty = std::collections::BTreeMap::new();
    let plan = match state
        .store
        .workforce_against_plan(
            p,
            &scope,
            None,
            until,
            if national { inflow } else { &empty },
        )
        .await
    {
        Ok(plan) => plan,
        Err(e) => {
            tracing::warn!(error = %e, "the register against the plan");
            return None;
        }
    };
    let t = &signed.t;
    let lang = t.lang();
    let catalogue = state.store.catalogue();
    let name = |code: &str| {
        catalogue
            .admin_unit(&goldaw_core::ids::AdminUnitCode::from_stored(
                code.to_owned(),
            ))
            .map_or_else(|| code.to_owned(), |u| super::common::unit_name(u, t))
    };
    let rows = if national {
        &plan.velayats
    } else {
        &plan.etraps
    };
    let lines = rows
        .iter()
        .map(|s| plan_line(s, name(&s.unit), lang))
        .collect();
    let o = &plan.observed;
    let observed = if plan.attrition_observed {
        t.t_with(
            "workforce-plan-observed",
            &[
                ("year", o.year.into()),
                ("start", (o.stock_start as i64).into()),
                ("leavers", (o.leavers as i64).into()),
                ("end", (o.stock_end as i64).into()),
                ("rate", format!("{:.1}", plan.attrition * 100.0).into()),
            ],
        )
    } else {
        t.t_with("workforce-plan-no-stock", &[("year", o.year.into())])
    };
    let round = |x: f64| super::common::count(x.round().max(0.0) as u64, lang);
    Some(PlanRegisterView {
        text: t.t_with(
            "workforce-plan-text",
            &[
                ("unit", name(&plan.unit).into()),
                ("date", plan.as_of.to_string().into()),
            ],
        ),
        observed,
        lines,
        total: plan_line(&plan.total, t.t("workforce-plan-total"), lang),
        years: plan
            .projection
            .iter()
            .map(|y| (y.year, round(y.inflow), round(y.leavers), round(y.stock)))
            .collect(),
    })
}
