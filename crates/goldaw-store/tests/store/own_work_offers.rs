//! The providers' register and the case's own work (issue #16), on every backend: offers of the
//! etrap social work service and the hotline are refused and nothing is stored; offers of them
//! made before the rule are retired by migration 0014 (kept, inactive, their version moved) and
//! cannot be switched on again; other offers are left as they were.

use goldaw_store::referrals::{NewProvider, OfferRequest, ProviderKind};
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};

fn offer(code: &str, version: Option<i32>) -> OfferRequest {
    OfferRequest {
        service_code: code.parse().unwrap(),
        admin_unit: "TM-A-01".parse().unwrap(),
        places: Some(3),
        service_point: None,
        active: true,
        version,
    }
}

async fn execute(store: &Store, statements: &[&str]) {
    use sqlx::Connection;
    match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for sql in statements {
                sqlx::query(sql).execute(&mut c).await.unwrap();
            }
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            for sql in statements {
                sqlx::query(sql).execute(&mut c).await.unwrap();
            }
        }
    }
}

fn assert_own_work_refusal(result: Result<impl std::fmt::Debug, StoreError>, what: &str) {
    match result {
        Err(e @ StoreError::Invalid { .. }) => {
            assert!(e.to_string().contains("own work"), "{what}: {e}")
        }
        other => panic!("{what}: {other:?}"),
    }
}

goldaw_store::each_backend! {
    async fn own_work_is_never_offered_and_offers_made_before_are_retired(db: TestDb) {
        let b = db.backend;
        let store = db.open().await;
        let op = Principal::system("test");
        let provider = store
            .create_provider(
                &op,
                NewProvider {
                    external_id: "PR-Y".into(),
                    name: "Ýeňme".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: None,
                },
            )
            .await
            .unwrap();
        for code in ["ETRAP_SW", "HOTLINE"] {
            assert_own_work_refusal(
                store.set_offer(&op, provider.id, offer(code, None)).await,
                &format!("{b} {code}"),
            );
        }
        assert!(store
            .provider(&op, provider.id)
            .await
            .unwrap()
            .offers
            .is_empty());

        // Offers as an earlier goldaw took them: S01 and S02 offered, S01 made a hotline offer
        // by hand, and the database taken back to before migration 0014.
        let s01 = store
            .set_offer(&op, provider.id, offer("S01", None))
            .await
            .unwrap();
        let s02 = store
            .set_offer(&op, provider.id, offer("S02", None))
            .await
            .unwrap();
        execute(
            &store,
            &[
                "UPDATE provider_services SET service_code = 'HOTLINE' WHERE service_code = 'S01'",
                "DELETE FROM _sqlx_migrations WHERE version = 14",
            ],
        )
        .await;
        store.close().await;
        let store = db.open().await;
        let offers = store.provider(&op, provider.id).await.unwrap().offers;
        let of = |code: &str| offers.iter().find(|o| o.service_code == code).unwrap();
        let hotline = of("HOTLINE");
        assert!(!hotline.active, "{b}: the hotline offer is retired");
        assert_eq!(hotline.version, s01.version + 1, "{b}");
        assert_eq!(hotline.places, Some(3), "{b}: kept as it was");
        let kept = of("S02");
        assert!(kept.active && kept.version == s02.version, "{b}: {kept:?}");
        // It cannot be switched on again, not even with the version read.
        assert_own_work_refusal(
            store
                .set_offer(&op, provider.id, offer("HOTLINE", Some(hotline.version)))
                .await,
            &format!("{b} again"),
        );
        store.close().await;
    }
}
