//! Need against supply from the database (store::planning) on every backend: places from active offers
//! (an etrap's own, a borough's, a velayat-wide offer shared by population, unlimited and inactive ones left
//! out), assessed need from plans, referrals and episodes, the waiting list, population estimates where the
//! reference data has none, the caller's scope, and the audit.

use crate::helpers::sensitive_staff as user;
use goldaw_core::codes::{Priority, ReferralSource, Role};
use goldaw_core::people::PersonData;
use goldaw_core::planning::gaps::NeedInput;
use goldaw_core::workflow::CaseAction;
use goldaw_store::audit::AuditQuery;
use goldaw_store::cases::{ActionInput, ActionRequest, GoalInput, NewReferral, PlanInput};
use goldaw_store::planning::PopulationBasis;
use goldaw_store::referrals::{
    NewProvider, NewServiceReferral, OfferRequest, ProviderAction, ProviderActionKind,
    ProviderKind, ReferralStatus,
};
use goldaw_store::{Principal, Store, StoreError};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

fn act(action: CaseAction, version: i32) -> ActionRequest {
    ActionRequest {
        action,
        version,
        priority: Some(Priority::Support),
        reason: None,
        transfer_to: None,
    }
}

/// A case in `unit` taken to the holistic assessment (and past it when `complete`); its id and person.
async fn case_in(
    store: &Store,
    sup: &Principal,
    unit: &str,
    name: &str,
    complete: bool,
) -> (Uuid, Uuid) {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": name, "family_name": "Berdiýewa", "sex": "F", "birth_date": "1985-03-01",
        "admin_unit": unit, "target_groups": []
    }))
    .unwrap();
    let person = store.create_person(sup, None, data).await.unwrap().id;
    let case = store
        .register_referral(
            sup,
            NewReferral {
                person,
                admin_unit: unit.parse().unwrap(),
                referral_source: ReferralSource::SelfReferral,
                referrer: None,
                concern: Some("needs support at home".into()),
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            },
        )
        .await
        .unwrap();
    let mut case = store
        .allocate_case(sup, case.id, case.version, "aman")
        .await
        .unwrap();
    let mut steps = vec![CaseAction::StartInitial, CaseAction::CompleteInitial];
    if complete {
        steps.push(CaseAction::CompleteHolistic);
    }
    for step in steps {
        // Screening and the holistic step conclude a completed assessment.
        let instrument = match step {
            CaseAction::CompleteInitial => Some("initial"),
            CaseAction::CompleteHolistic => Some("holistic_adult"),
            _ => None,
        };
        if let Some(code) = instrument {
            goldaw_store::testing::assess(store, sup, case.id, code)
                .await
                .unwrap();
        }
        case = store
            .act_on_case(sup, case.id, act(step, case.version))
            .await
            .unwrap();
    }
    (case.id, person)
}

fn referral(person: Uuid, service: &str, offer: Uuid) -> NewServiceReferral {
    NewServiceReferral {
        person,
        service_code: service.parse().unwrap(),
        provider_service: Some(offer),
        recipient: None,
        info: None,
    }
}

fn pact(action: ProviderActionKind, version: i32) -> ProviderAction {
    ProviderAction {
        action,
        version,
        reason: None,
        note: None,
        on: None,
    }
}

fn offer(service: &str, unit: &str, places: Option<i32>, active: bool) -> OfferRequest {
    OfferRequest {
        service_code: service.parse().unwrap(),
        admin_unit: unit.parse().unwrap(),
        places,
        service_point: None,
        active,
        version: None,
    }
}

fn rates() -> BTreeMap<String, f64> {
    BTreeMap::from([
        ("S01".to_owned(), 0.0001),
        ("S02".to_owned(), 0.0002),
        ("S03".to_owned(), 0.00005),
        ("S04".to_owned(), 0.0003),
    ])
}

fn input<'a>(inputs: &'a [NeedInput], etrap: &str, service: &str) -> &'a NeedInput {
    inputs
        .iter()
        .find(|i| i.etrap == etrap && i.service == service)
        .unwrap_or_else(|| panic!("no input for {etrap} {service}"))
}

goldaw_store::each_backend! {
    async fn needs_and_places_are_counted_from_the_register_and_the_casework(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        // Exact counts need the grant to see unsuppressed statistics; a planner without it is below.
        let ministry = user(&store, "min", Role::Ministry, "TM")
            .await
            .with_unsuppressed(true);
        let planner = user(&store, "plan", Role::Planner, "TM-A")
            .await
            .with_unsuppressed(true);
        let sup = user(&store, "sup", Role::Supervisor, "TM-A").await;
        let yenme = user(&store, "yenme", Role::Provider, "provider:PR-Y").await;
        user(&store, "aman", Role::SocialWorker, "TM-A").await;

        let provider = store
            .create_provider(
                &ministry,
                NewProvider {
                    external_id: "PR-Y".into(),
                    name: "Ýeňme".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: Some("TM-A-01".parse().unwrap()),
                },
            )
            .await
            .unwrap();
        let mut offer_ids = BTreeMap::new();
        for (key, o) in [
            ("s01", offer("S01", "TM-A-01", Some(1), true)),
            ("s04", offer("S04", "TM-A", Some(10), true)),
            ("s02", offer("S02", "TM-A-02", None, true)),
            ("s03", offer("S03", "TM-A-09-01", Some(2), true)),
            ("off", offer("S01", "TM-A-03", Some(5), false)),
            ("tmb", offer("S01", "TM-B-01", Some(7), true)),
        ] {
            let id = store.set_offer(&ministry, provider.id, o).await.unwrap().id;
            offer_ids.insert(key, id);
        }

        // TM-A-01: one case past the holistic assessment, so the etrap counts as assessed.
        let (c1, p1) = case_in(&store, &sup, "TM-A-01", "Aýna", true).await;
        let (c2, p2) = case_in(&store, &sup, "TM-A-01", "Jeren", false).await;
        let (c3, p3) = case_in(&store, &sup, "TM-A-01", "Maýsa", false).await;
        // P1: S01 accepted (holds the one place); her plan names S04 and S01 again (counted once).
        let r1 = store
            .refer(&sup, c1, referral(p1, "S01", offer_ids["s01"]))
            .await
            .unwrap();
        let seen = store.provider_referral(&yenme, r1.id).await.unwrap();
        let a1 = store
            .provider_act(
                &yenme,
                r1.id,
                pact(ProviderActionKind::Accept, seen.version),
            )
            .await
            .unwrap();
        assert_eq!(a1.status, ReferralStatus::Accepted, "{b}");
        let action = |service: &str| ActionInput {
            goal: Some(0),
            who: "the social worker".into(),
            what: "arrange the service".into(),
            due_on: None,
            service_code: Some(service.into()),
        };
        store
            .save_plan_draft(
                &sup,
                c1,
                None,
                PlanInput {
                    goals: vec![GoalInput {
                        text: "to live at home".into(),
                        domain: None,
                    }],
                    actions: vec![action("S04"), action("S01")],
                },
            )
            .await
            .unwrap();
        // P2: S01 accepted with no place free: the waiting list.
        let r2 = store
            .refer(&sup, c2, referral(p2, "S01", offer_ids["s01"]))
            .await
            .unwrap();
        let a2 = store
            .provider_act(&yenme, r2.id, pact(ProviderActionKind::Accept, r2.version))
            .await
            .unwrap();
        assert_eq!(a2.status, ReferralStatus::Waiting, "{b}");
        // P3: a referral to the velayat-wide S04 offer, not yet answered.
        store
            .refer(&sup, c3, referral(p3, "S04", offer_ids["s04"]))
            .await
            .unwrap();
        // TM-A-02: no case past the holistic assessment; one person put on the S04 waiting list.
        let (c5, p5) = case_in(&store, &sup, "TM-A-02", "Selbi", false).await;
        let r5 = store
            .refer(&sup, c5, referral(p5, "S04", offer_ids["s04"]))
            .await
            .unwrap();
        let w5 = store
            .provider_act(&yenme, r5.id, pact(ProviderActionKind::Wait, r5.version))
            .await
            .unwrap();
        assert_eq!(w5.status, ReferralStatus::Waiting, "{b}");

        let answer = store
            .needs_and_supply(&planner, &"TM-A".parse().unwrap(), &rates())
            .await
            .unwrap();
        assert_eq!(answer.unit, "TM-A");
        // Ahal's etraps in the reference data: TM-A-01 .. TM-A-09 (a city with boroughs counts once).
        let codes: Vec<&str> = answer.etraps.iter().map(|e| e.code.as_str()).collect();
        let expected: Vec<String> = (1..=9).map(|i| format!("TM-A-{i:02}")).collect();
        assert_eq!(codes, expected, "{b}");
        assert_eq!(answer.inputs.len(), 9 * 4);
        assert_eq!(
            answer.unlimited_offers, 1,
            "{b}: the S02 offer without places"
        );
        assert_eq!(answer.parents["TM-A-05"], "TM-A");

        // No etrap of Ahal has a population in the reference data: the velayat's, shared equally.
        let catalogue = store.catalogue();
        let ahal = catalogue
            .admin_units
            .iter()
            .find(|u| u.code == "TM-A")
            .unwrap()
            .population
            .unwrap() as u64;
        let (base, extra) = (ahal / 9, ahal % 9);
        for (i, e) in answer.etraps.iter().enumerate() {
            assert_eq!(e.population_basis, PopulationBasis::Estimated, "{b}");
            assert_eq!(e.population, base + u64::from((i as u64) < extra), "{b}");
        }
        assert_eq!(
            answer.etraps.iter().map(|e| e.population).sum::<u64>(),
            ahal
        );
        let assessed: Vec<&str> = answer
            .etraps
            .iter()
            .filter(|e| e.assessed)
            .map(|e| e.code.as_str())
            .collect();
        assert_eq!(assessed, ["TM-A-01"], "{b}");

        let i = &answer.inputs;
        // TM-A-01 S01: P1 (accepted referral, plan) assessed; P2 waiting; the one place.
        let s01 = input(i, "TM-A-01", "S01");
        assert_eq!(
            (s01.assessed, s01.waiting, s01.places),
            (Some(1), 1, 1),
            "{b}"
        );
        // TM-A-01 S04: P1 (plan) and P3 (sent referral); 10 velayat-wide places shared by population:
        // 10 × 98,539 / 886,845 = 1.11 for TM-A-01..03 and 10 × 98,538 / 886,845 for the rest: 1 each, and the
        // one left over goes to the largest remainder, TM-A-01's.
        let s04 = input(i, "TM-A-01", "S04");
        assert_eq!(
            (s04.assessed, s04.waiting, s04.places),
            (Some(2), 0, 2),
            "{b}"
        );
        let s04_places: u64 = i
            .iter()
            .filter(|x| x.service == "S04")
            .map(|x| x.places)
            .sum();
        assert_eq!(s04_places, 10, "{b}: the shares add up to the offer");
        assert_eq!(input(i, "TM-A-02", "S04").places, 1);
        // Assessed etrap, service nobody needs: 0, not unknown.
        assert_eq!(input(i, "TM-A-01", "S02").assessed, Some(0));
        // TM-A-02 is not assessed: its open referral does not count, its waiting list does.
        let a2s04 = input(i, "TM-A-02", "S04");
        assert_eq!((a2s04.assessed, a2s04.waiting), (None, 1), "{b}");
        assert_eq!(a2s04.rate, 0.0003);
        // The unlimited S02 offer is not counted as places; the inactive S01 offer is not counted at all.
        assert_eq!(input(i, "TM-A-02", "S02").places, 0);
        assert_eq!(input(i, "TM-A-03", "S01").places, 0);
        // A borough's offer counts in its city.
        assert_eq!(input(i, "TM-A-09", "S03").places, 2);
        // The totals, counted independently from what was set up above.
        let total = |f: fn(&NeedInput) -> u64| i.iter().map(f).sum::<u64>();
        assert_eq!(total(|x| x.places), 1 + 10 + 2, "{b}");
        assert_eq!(total(|x| x.waiting), 2, "{b}");
        assert_eq!(total(|x| x.assessed.unwrap_or(0)), 3, "{b}");

        // The country: Balkan's offer is there too.
        let nation = store
            .needs_and_supply(&ministry, &"TM".parse().unwrap(), &rates())
            .await
            .unwrap();
        assert_eq!(input(&nation.inputs, "TM-B-01", "S01").places, 7, "{b}");
        assert!(nation.etraps.len() > 50, "{b}");

        // Scope: a planner of Ahal does not see Balkan; a planner of one etrap sees only it.
        assert!(matches!(
            store
                .needs_and_supply(&planner, &"TM-B".parse().unwrap(), &rates())
                .await,
            Err(StoreError::NotFound)
        ));
        let local = user(&store, "local", Role::Planner, "TM-A-01")
            .await
            .with_unsuppressed(true);
        let mine = store
            .needs_and_supply(&local, &"TM-A".parse().unwrap(), &rates())
            .await
            .unwrap();
        assert_eq!(mine.unit, "TM-A-01");
        assert_eq!(mine.etraps.len(), 1);
        assert_eq!(input(&mine.inputs, "TM-A-01", "S01"), s01);
        // Without the grant (issue #16, item 10): each line's count of people is released like any
        // statistic. Every line here counts 0 to 2 people: the three with 1 to 4 are withheld and
        // take the population estimate instead; the empty ones show their 0 (the standard rule).
        assert!(!answer.protected && answer.withheld.is_empty(), "{b}");
        let plain = user(&store, "plain", Role::Planner, "TM-A").await;
        let p = store
            .needs_and_supply(&plain, &"TM-A".parse().unwrap(), &rates())
            .await
            .unwrap();
        assert!(p.protected, "{b}");
        let withheld: Vec<(&str, &str)> = p
            .withheld
            .iter()
            .map(|(e, s)| (e.as_str(), s.as_str()))
            .collect();
        assert_eq!(
            withheld,
            [("TM-A-01", "S01"), ("TM-A-01", "S04"), ("TM-A-02", "S04")],
            "{b}"
        );
        for (etrap, service) in &withheld {
            let line = input(&p.inputs, etrap, service);
            assert_eq!(
                (line.assessed, line.waiting),
                (None, 0),
                "{b} {etrap} {service}"
            );
            // Places, population and rate are not about people: as they are.
            let exact = input(i, etrap, service);
            assert_eq!(
                (line.places, line.population, line.rate),
                (exact.places, exact.population, exact.rate)
            );
        }
        for line in &p.inputs {
            if !p
                .withheld
                .contains(&(line.etrap.clone(), line.service.clone()))
            {
                assert_eq!(line, input(i, &line.etrap, &line.service), "{b}");
            }
        }

        // Deny by default: case staff and providers do not plan; an unknown unit is not found.
        assert!(matches!(
            store
                .needs_and_supply(&sup, &"TM-A".parse().unwrap(), &rates())
                .await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store
                .needs_and_supply(&yenme, &"TM-A".parse().unwrap(), &rates())
                .await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store
                .needs_and_supply(&ministry, &"TM-X".parse().unwrap(), &rates())
                .await,
            Err(StoreError::NotFound)
        ));
        let bad_rate = BTreeMap::from([("S01".to_owned(), 1.5)]);
        assert!(matches!(
            store
                .needs_and_supply(&ministry, &"TM-A".parse().unwrap(), &bad_rate)
                .await,
            Err(StoreError::Invalid { .. })
        ));

        // Every read is audited as a statistics read of the unit covered.
        let admin = Principal::system("test");
        let events = store
            .audit_events(
                &admin,
                &AuditQuery {
                    actor: Some("plan".into()),
                    entity_id: None,
                    from: None,
                    to: None,
                    limit: 50,
                },
            )
            .await
            .unwrap();
        let reads: Vec<_> = events
            .iter()
            .filter(|e| e.action == "statistics.read")
            .collect();
        assert_eq!(reads.len(), 1, "{b}: {events:?}");
        assert_eq!(reads[0].entity_id.as_deref(), Some("TM-A"));
        assert_eq!(
            reads[0].detail.as_deref(),
            Some("needs and supply: 9 etraps")
        );
    }
}
