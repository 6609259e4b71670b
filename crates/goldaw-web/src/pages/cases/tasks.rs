//! The task list (`/tasks`): what is due on the reader's cases, a page at a time — a worker's by
//! date, a supervisor's grouped by worker (cases waiting for a worker first) — read from the due
//! dates kept with each case (`goldaw_store::due_dates`).

use crate::i18n::Translator;
use crate::pages::common::{local_time, render};
use crate::pages::error::{OrRefuse, PageResult};
use crate::pages::extract::Signed;
use crate::pages::paging::next_link;
use crate::pages::UserView;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use goldaw_core::access::Permission;
use goldaw_store::cases::{TaskKind, TaskQuery};
use serde::Deserialize;
use uuid::Uuid;

struct TaskView {
    case_id: Uuid,
    number: String,
    name: String,
    what: String,
    due: String,
    overdue: bool,
    /// A supervisor's list: the heading of a new worker's group, on its first row.
    group: Option<String>,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    t: Translator,
    user: Option<UserView>,
    tasks: Vec<TaskView>,
    overdue_text: String,
    overdue_only: bool,
    next_link: Option<String>,
    first_link: String,
    paged: bool,
    /// Supervision overdue by the ministry's norm (the workforce register, issue #22), for a
    /// supervisor and the ministry, on the first page only.
    supervision: Vec<goldaw_store::workforce::SupervisionTask>,
}

#[derive(Deserialize)]
pub(super) struct TaskParams {
    #[serde(default)]
    show: String,
    after: Option<String>,
}

pub(super) async fn tasks(
    State(state): State<AppState>,
    signed: Signed,
    Query(params): Query<TaskParams>,
) -> PageResult {
    signed.require(Permission::WorkCases)?;
    let overdue_only = params.show == "overdue";
    let page = state
        .store
        .task_page(
            signed.principal(),
            &TaskQuery {
                after: params.after.clone(),
                limit: None,
                overdue_only,
            },
        )
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let mut last_worker: Option<Option<String>> = None;
    let mut tasks = Vec::with_capacity(page.tasks.len());
    for k in page.tasks {
        let group = if page.by_worker && last_worker.as_ref() != Some(&k.worker) {
            last_worker = Some(k.worker.clone());
            Some(match &k.worker {
                Some(w) => t.t_with("tasks-group-worker", &[("name", w.clone().into())]),
                None => t.t("tasks-group-unallocated"),
            })
        } else {
            None
        };
        tasks.push(TaskView {
            case_id: k.case_id,
            name: crate::pages::consents::hidden_name(t, k.sensitive, k.person_name.as_deref()),
            what: match (k.kind, &k.due) {
                (TaskKind::Deadline, Some(d)) => t.t(&format!("step-{}", d.step)),
                (kind, _) => t.t(&format!("task-{}", kind.as_str())),
            },
            due: k.due.map(|d| local_time(d.due_at)).unwrap_or_default(),
            overdue: k.due.is_some_and(|d| d.overdue),
            number: k.number,
            group,
        });
    }
    let overdue_text = if page.overdue.more {
        t.t_with(
            "tasks-overdue-more",
            &[("count", page.overdue.shown.into())],
        )
    } else {
        t.t_with(
            "tasks-overdue-count",
            &[("count", page.overdue.shown.into())],
        )
    };
    let show = if overdue_only { "overdue" } else { "" };
    // One more source of tasks: the supervisions due (goldaw_core::workforce decides who sees them).
    let supervision = if params.after.is_none()
        && goldaw_core::workforce::may_see_supervision_tasks(signed.principal())
    {
        state
            .store
            .supervision_tasks(signed.principal())
            .await
            .or_refuse(&signed)?
    } else {
        Vec::new()
    };
    Ok(render(TasksPage {
        user: signed.user(),
        overdue_text,
        t: t.clone_lang(),
        tasks,
        overdue_only,
        next_link: next_link("/tasks", &[("show", show)], page.next.as_deref()),
        first_link: if overdue_only {
            "/tasks?show=overdue".into()
        } else {
            "/tasks".into()
        },
        paged: params.after.is_some(),
        supervision,
    }))
}
