//! The task list (`/tasks`): what is due on the reader's cases, overdue first.

use crate::i18n::Translator;
use crate::pages::common::{local_time, render};
use crate::pages::error::{OrRefuse, PageResult};
use crate::pages::extract::Signed;
use crate::pages::UserView;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use goldaw_core::access::Permission;
use goldaw_store::cases::TaskKind;
use uuid::Uuid;

struct TaskView {
    case_id: Uuid,
    number: String,
    name: String,
    what: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    t: Translator,
    user: Option<UserView>,
    tasks: Vec<TaskView>,
    overdue_text: String,
}

pub(super) async fn tasks(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::WorkCases)?;
    let list = state
        .store
        .tasks(signed.principal())
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let tasks: Vec<TaskView> = list
        .into_iter()
        .map(|k| TaskView {
            case_id: k.case_id,
            name: k.person_name.unwrap_or_else(|| t.t("restricted-name")),
            what: match (k.kind, &k.due) {
                (TaskKind::Deadline, Some(d)) => t.t(&format!("step-{}", d.step)),
                (kind, _) => t.t(&format!("task-{}", task_code(kind))),
            },
            due: k.due.map(|d| local_time(d.due_at)).unwrap_or_default(),
            overdue: k.due.is_some_and(|d| d.overdue),
            number: k.number,
        })
        .collect();
    let overdue = tasks.iter().filter(|k| k.overdue).count();
    Ok(render(TasksPage {
        user: signed.user(),
        overdue_text: t.t_with("tasks-overdue-count", &[("count", overdue.into())]),
        t: t.clone_lang(),
        tasks,
    }))
}

fn task_code(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Deadline => "deadline",
        TaskKind::Allocate => "allocate",
        TaskKind::ApprovePlan => "approve_plan",
        TaskKind::ApproveClosure => "approve_closure",
        TaskKind::AcceptTransfer => "accept_transfer",
    }
}
