//! The cost model where people use it (issue #21 item 7), on every backend: the `/costing` page
//! and `/api/v1/costing/...` for planners and the ministry (unit costs, community against
//! residential care, the budget ramp, delivered costs), bad input answered with what is wrong
//! (never a failure), and the other roles refused.

use crate::common::{api_client_for as client_for, TestApp};
use goldaw_core::codes::Role;
use goldaw_store::Store;
use reqwest::StatusCode;

const PASSWORD: &str = "Amyderýa 1415 km";

goldaw_store::each_backend! {
    async fn the_cost_model_on_the_page_and_in_the_api(db: TestDb) {
        let store = Store::open(&db.url).await.unwrap();
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let planner = client_for(&store, &app.base, "plan", Role::Planner, "TM-A").await;
        let provider = client_for(&store, &app.base, "pra", Role::Provider, "provider:PR-A").await;

        // The API: every service's unit cost, S05's among them; residential care against it.
        let (s, units) = planner.send("GET", "/costing/unit-costs", None).await;
        assert_eq!(s, StatusCode::OK, "{b}: {units}");
        let s05 = units.as_array().unwrap().iter().find(|u| u["service"] == "S05").expect("S05 costed").clone();
        assert!(s05["unit_cost"].as_f64().unwrap() > 0.0, "{s05}");
        let (s, versus) = planner.send("GET", "/costing/community-vs-residential", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(versus.as_array().unwrap().iter().all(|c| c["residential_per_person_year"].as_f64().unwrap() > 0.0), "{versus}");
        // The budget ramps to the target: more users in the last year than the first.
        let (s, budget) = planner.send("GET", "/costing/budget?population=1000000&start=0.0002&target=0.001&from=2027&to=2031", None).await;
        assert_eq!(s, StatusCode::OK, "{budget}");
        let years = budget.as_array().unwrap();
        assert_eq!(years.len(), 5);
        assert_eq!((years[0]["users"].as_u64(), years[4]["users"].as_u64()), (Some(200), Some(1000)), "{budget}");
        // Bad input: a coverage above 1 is a 400 saying so; a missing parameter too.
        let (s, e) = planner.send("GET", "/costing/budget?population=1000&start=0&target=2&from=2027&to=2028", None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("target coverage"), "{e}");
        let (s, _) = planner.send("GET", "/costing/budget?population=1000", None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        // Delivered costs: none delivered yet, an empty list; a reversed period refused.
        let (s, d) = planner.send("GET", "/costing/delivered?from=2026-01-01&to=2026-12-31", None).await;
        assert_eq!((s, d.as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{d}");
        let (s, _) = planner.send("GET", "/costing/delivered?from=2026-12-31&to=2026-01-01", None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // A provider does not use the cost model.
        let (s, _) = provider.send("GET", "/costing/unit-costs", None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // The page: the tables, the chart, the budget from the form; a bad form says what is wrong.
        app.account("planner", Role::Planner, "TM-A", PASSWORD).await;
        app.account("prov", Role::Provider, "provider:PR-A", PASSWORD).await;
        let session = app.sign_in("planner", PASSWORD).await;
        let (s, page) = app.page(&session, "/costing?population=1000000&start=0.02&target=0.1&first_year=2027&last_year=2031").await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for id in ["id=\"unit-costs\"", "id=\"community-vs-residential\"", "id=\"chart-community\"", "id=\"budget\""] {
            assert!(page.contains(id), "{b}: {id} in {page}");
        }
        assert!(page.contains("<td>2031</td><td>0.100%</td><td>1000</td>"), "{page}");
        let (s, page) = app.page(&session, "/costing?population=many&start=0.02&target=0.1&first_year=2027&last_year=2031").await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("id=\"budget-error\"") && page.contains("population"), "{page}");
        let (_, page) = app.page(&session, "/costing?population=1000&start=0&target=200&first_year=2027&last_year=2031").await;
        assert!(page.contains("id=\"budget-error\""), "{page}");
        let (_, page) = app.page(&session, "/costing?from=2026-12-31&to=2026-01-01").await;
        assert!(page.contains("id=\"delivered-error\""), "{page}");
        let (s, _) = app.page(&app.sign_in("prov", PASSWORD).await, "/costing").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    }
}
