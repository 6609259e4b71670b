//! The issue's story (#21) in real headless Chromium, on every backend, through the pages only:
//! the ministry tenders day care for children with disabilities in two etraps; three NGOs bid
//! (one a minute late: refused); a committee member declares a conflict with one bid; the
//! weighted ranking picks the winner; the contract puts the offer in the register; referrals are
//! accepted and delivered (set up through the store: the referral's own pages are tested
//! elsewhere); the month's report is drafted from the deliveries, corrected by the provider,
//! verified, and the payment is verified units × price capped at the ceiling; the comparison page
//! shows the contracted cost per person beside the state provider's.

use crate::common::{api_client_for as client_for, TestApp};
use crate::contracting::delivered;
use crate::contracting_pages::{world, PASSWORD};
use crate::webdriver::Driver;
use chrono::{Datelike, Duration, Utc};
use goldaw_core::codes::Role;
use goldaw_store::Store;
use reqwest::StatusCode;
use serde_json::json;

async fn sign_in(browser: &Driver, site: &str, username: &str) {
    if browser.exists("#sign-out").await {
        browser.click("#sign-out").await;
        browser.find("#username").await;
    }
    browser.goto(&format!("{site}/login")).await;
    browser.type_into("#username", username).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.second_factor(username).await;
    browser.find("#home-title").await;
    // The pages in English, so the test reads the same words on every machine.
    browser.click("a[lang=en]").await;
    browser.find("#home-title").await;
}

goldaw_store::each_backend! {
    async fn the_issue_story_in_chromium(db: TestDb) {
        let Some(browser) = Driver::start("1280,1400").await else {
            return;
        };
        let secrets = goldaw_store::crypto::Secrets::from_key([5u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(secrets)).await.unwrap();
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let site = app.base.clone();
        let (sup, aman, pa_store, pst_store) = world(&store, &app).await;

        // The ministry drafts the tender from the overview.
        sign_in(&browser, &site, "min").await;
        browser.goto(&format!("{site}/contracting")).await;
        browser.click("#new-tender").await;
        browser.type_into("#title", "Day care for children with disabilities").await;
        browser.type_into("#admin_units", "TM-A-01 TM-A-02").await;
        browser.type_into("#people", "20").await;
        browser.type_into("#units", "2000").await;
        browser.type_into("#max_budget", "100000").await;
        browser.type_into("#specification", "Daily habilitation, 6 hours").await;
        browser.type_into("#committee", "com1, com2").await;
        browser.click("#save-tender").await;
        assert_eq!(browser.text_becomes("#tender-status", "Draft").await, "Draft", "{b}");
        let tender_page = browser.url().await;

        // Approved by another keeper, published by the drafter.
        sign_in(&browser, &site, "min2").await;
        browser.goto(&tender_page).await;
        browser.click("#tender-approve").await;
        assert_eq!(browser.text_becomes("#tender-status", "Approved").await, "Approved");
        sign_in(&browser, &site, "min").await;
        browser.goto(&tender_page).await;
        browser.click("#tender-publish").await;
        assert_eq!(browser.text_becomes("#tender-status", "Open for bids").await, "Open for bids");

        // Three NGOs bid; C's bid is prepared and submitted a minute after the deadline.
        for (who, price, submit) in [("pra", "50", true), ("prb", "40", true), ("prc", "30", false)] {
            sign_in(&browser, &site, who).await;
            browser.goto(&tender_page).await;
            browser.type_into("#price_per_unit", price).await;
            browser.type_into("#bid-places", "10").await;
            browser.type_into("#bid-staff", "Two special educators").await;
            browser.type_into("#bid-method", "Portage").await;
            browser.click("#prepare-bid").await;
            browser.find("#submit-bid").await;
            if submit {
                browser.click("#submit-bid").await;
                browser.find("#withdraw-bid").await;
            }
        }
        store.testing_move_bid_deadline(tender_page.rsplit('/').next().unwrap().parse().unwrap(), Utc::now() - Duration::minutes(1)).await.unwrap();
        browser.click("#submit-bid").await;
        let refused = browser.text_containing("main", "deadline").await;
        assert!(refused.contains("The deadline for bids has passed"), "{b}: {refused}");

        // The committee: com2 declares a conflict with B's bid and scores A only; com1 scores both.
        sign_in(&browser, &site, "com2").await;
        browser.goto(&tender_page).await;
        browser.type_into("form.conflict-form[data-provider=PR-B] input[name=statement]", "Related to its director").await;
        browser.click("form.conflict-form[data-provider=PR-B] button").await;
        browser.find("form.score-form[data-provider=PR-A]").await;
        for (who, scores) in [("com2", [("PR-A", "8")].as_slice()), ("com1", [("PR-A", "9"), ("PR-B", "5")].as_slice())] {
            if who == "com1" {
                sign_in(&browser, &site, who).await;
                browser.goto(&tender_page).await;
            }
            for (provider, n) in scores {
                for c in ["method", "staff", "experience", "rural_reach"] {
                    browser.click(&format!("form.score-form[data-provider={provider}] select[name={c}] option[value=\"{n}\"]")).await;
                }
                browser.click(&format!("form.score-form[data-provider={provider}] button")).await;
                browser.find("#bids").await;
            }
        }

        // The ranking picks A; the award with the committee's reasons; the contract.
        sign_in(&browser, &site, "min").await;
        browser.goto(&tender_page).await;
        assert_eq!(browser.text("#ranking tbody tr:first-child .ranked-provider").await, "PR-A centre", "{b}");
        assert_eq!(browser.text("#ranking tbody tr:first-child .total").await, "83.00");
        browser.type_into("#award-reason", "Best weighted score; PR-B second").await;
        browser.click("#award").await;
        assert_eq!(browser.text_becomes("#tender-status", "Awarded").await, "Awarded");
        browser.replace_text("#ceiling", "250").await;
        browser.type_into("#payment_schedule", "Monthly, on the verified report").await;
        browser.click("#sign").await;
        assert_eq!(browser.text_becomes("#contract-status", "Signed").await, "Signed", "{b}");
        let contract_page = browser.url().await;

        // The offer is in the register for both etraps; referrals are accepted and delivered.
        let api = client_for(&store, &site, "reader", Role::Ministry, "TM").await;
        let mut offer = String::new();
        for unit in ["TM-A-01", "TM-A-02"] {
            let (s, offers) = api.send("GET", &format!("/offers?service=S05&admin_unit={unit}"), None).await;
            assert_eq!(s, StatusCode::OK, "{offers}");
            assert_eq!(offers[0]["provider_external_id"], "PR-A", "{unit}: {offers}");
            if unit == "TM-A-01" {
                offer = offers[0]["id"].as_str().unwrap().to_owned();
            }
        }
        delivered(&store, &sup, &aman, &pa_store, &offer, "Aýgül", 3).await;
        delivered(&store, &sup, &aman, &pa_store, &offer, "Merjen", 2).await;

        // The provider drafts the month's report from the deliveries and corrects it.
        sign_in(&browser, &site, "pra").await;
        browser.goto(&contract_page).await;
        browser.click("#draft-report").await;
        let drafted = browser.text_containing(".report .drafted", "5").await;
        assert!(drafted.starts_with("5 "), "{b}: {drafted}");
        browser.type_into(".confirm-form input[name=units]", "6").await;
        browser.type_into(".confirm-form input[name=reason]", "One day not yet recorded").await;
        browser.click(".confirm-form button").await;
        assert!(browser.text_containing(".report .reported", "6").await.starts_with('6'));

        // The ministry verifies and pays: 6 × 50.00 = 300.00, capped at the ceiling of 250.00.
        sign_in(&browser, &site, "min").await;
        browser.goto(&contract_page).await;
        browser.type_into(".verify-form input[name=note]", "Sampled two deliveries").await;
        browser.click(".verify-form button").await;
        assert_eq!(browser.text_becomes(".report .amount-due", "250.00").await, "250.00", "{b}");
        assert_eq!(browser.attribute(".pay-form input[name=amount]", "value").await, "250.00");
        browser.click(".pay-form button").await;
        assert_eq!(browser.text_becomes("#paid-total", "250.00").await, "250.00");

        // The comparison: the contracted cost per person beside the state provider's.
        let (_, providers) = api.send("GET", "/providers", None).await;
        let st = providers.as_array().unwrap().iter().find(|p| p["external_id"] == "PR-ST").unwrap().clone();
        let (s, so) = api.send("PUT", &format!("/providers/{}/offers", st["id"].as_str().unwrap()), Some(json!({"service_code": "S05", "admin_unit": "TM-A-01"}))).await;
        assert_eq!(s, StatusCode::OK, "{so}");
        delivered(&store, &sup, &aman, &pst_store, so["id"].as_str().unwrap(), "Ogulgerek", 4).await;
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let month = today.with_day(1).unwrap();
        browser.goto(&format!("{site}/contracting?service=S05&from={month}&to={today}")).await;
        let table = browser.text("#comparison").await;
        assert!(table.contains("NGO under contract") && table.contains("State provider"), "{b}: {table}");
        browser.quit().await;
    }
}
