//! The case list (`/cases`): the cases the reader may see, filtered by what they show, newest
//! first, a page at a time (the next page after the last case shown).

use super::due_text;
use crate::i18n::Translator;
use crate::pages::common::render;
use crate::pages::error::{OrRefuse, PageResult};
use crate::pages::extract::Signed;
use crate::pages::paging::next_link;
use crate::pages::UserView;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use goldaw_core::access::Permission;
use goldaw_core::codes::Priority;
use goldaw_store::cases::CaseQuery;
use serde::Deserialize;
use uuid::Uuid;

struct CaseLine {
    id: Uuid,
    number: String,
    name: String,
    status: String,
    priority: String,
    critical: bool,
    worker: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    t: Translator,
    user: Option<UserView>,
    lines: Vec<CaseLine>,
    filter: String,
    next_link: Option<String>,
    first_link: String,
    paged: bool,
}

#[derive(Deserialize)]
pub(super) struct ListFilter {
    #[serde(default)]
    show: String,
    after: Option<String>,
}

pub(super) async fn case_list(
    State(state): State<AppState>,
    signed: Signed,
    Query(filter): Query<ListFilter>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let query = CaseQuery {
        mine: filter.show == "mine",
        unallocated: filter.show == "unallocated",
        limit: goldaw_core::paging::DEFAULT_PAGE_SIZE,
        after: filter.after.clone(),
        ..CaseQuery::default()
    };
    let page = state
        .store
        .case_page(signed.principal(), &query)
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let lines = page
        .items
        .into_iter()
        .map(|c| CaseLine {
            id: c.id,
            name: crate::pages::consents::hidden_name(t, c.sensitive, c.person_name.as_deref()),
            number: c.number,
            status: t.t(&format!("case-status-{}", c.status)),
            priority: c
                .priority
                .map(|p| t.t(&format!("priority-{p}")))
                .unwrap_or_default(),
            critical: c.priority == Some(Priority::Critical),
            worker: c.worker.unwrap_or_default(),
            due: c.next_due.map(|d| due_text(t, &d)).unwrap_or_default(),
            overdue: c.next_due.is_some_and(|d| d.overdue),
        })
        .collect();
    Ok(render(CasesPage {
        user: signed.user(),
        t: signed.t.clone_lang(),
        lines,
        next_link: next_link("/cases", &[("show", &filter.show)], page.next.as_deref()),
        first_link: match filter.show.as_str() {
            "mine" => "/cases?show=mine",
            "unallocated" => "/cases?show=unallocated",
            _ => "/cases",
        }
        .to_owned(),
        paged: filter.after.is_some(),
        filter: filter.show,
    }))
}
