//! The harness's own world (`helpers`): accounts by role and a case taken to a status, as a new
//! test sets them up in a few lines.

use crate::helpers::{operator, person_in, staff, user};
use goldaw_core::codes::{CaseStatus, Role};

goldaw_store::each_backend! {
    async fn a_case_is_set_up_at_each_status_in_a_few_lines(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        for status in [
            CaseStatus::Referred,
            CaseStatus::InitialAssessment,
            CaseStatus::HolisticAssessment,
            CaseStatus::SupportPlan,
        ] {
            let person = person_in(&store, &operator(), "Maral", "TM-A-01", "").await;
            let case = crate::helpers::case_at(&store, &sup, &aman, person, "TM-A-01", status).await;
            assert_eq!(case.status, status, "{}", db.backend);
        }
    }
}
