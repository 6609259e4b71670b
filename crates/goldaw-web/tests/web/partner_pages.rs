//! A partner's own referrals a page at a time, over HTTP (issue #20, item 5; docs/partners.md):
//! the API names the next page in a `Link` header (`rel="next"`) and the portal links to it; a
//! school that follows the links to the end gets exactly its own referrals, newest first, and
//! none of the other school's on any page; a damaged link is the API's 422 and the portal's first
//! page with the reason.

use crate::common::TestApp;
use goldaw_core::partners::PartnerKind;
use goldaw_store::partners::{NewPartner, PartnerReferralInput};
use goldaw_store::Principal;
use reqwest::{header, StatusCode};
use serde_json::Value;

fn pupil(name: &str) -> PartnerReferralInput {
    PartnerReferralInput {
        given_name: name.into(),
        family_name: Some("Orazowa".into()),
        sex: "F".into(),
        birth_date: Some("2015-03-01".parse().unwrap()),
        admin_unit: None,
        concern: "Absent for three weeks.".into(),
        contact: Some("Class teacher".into()),
        their_reference: None,
        sensitive: false,
    }
}

/// The target of a `Link: <...>; rel="next"` header.
fn next_of(r: &reqwest::Response) -> Option<String> {
    let link = r.headers().get(header::LINK)?.to_str().unwrap().to_owned();
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    Some(
        link.trim_start_matches('<')
            .split('>')
            .next()
            .unwrap()
            .to_owned(),
    )
}

goldaw_store::each_backend! {
    async fn a_partner_follows_its_pages_and_never_sees_another_partners_referrals(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        let op = Principal::system("test");
        let school = |name: &str| NewPartner {
            name: name.into(),
            kind: PartnerKind::School,
            admin_unit: "TM-A-05".parse().unwrap(),
        };
        let a = store.create_partner(&op, school("School 12")).await.unwrap();
        let o = store.create_partner(&op, school("School 3")).await.unwrap();
        let key = store.issue_partner_key(&op, a.id, "Mrs Orazowa").await.unwrap();
        let other_key = store.issue_partner_key(&op, o.id, "Mr Baýramow").await.unwrap();
        let pa = store.principal_for_partner_key(&key, "192.0.2.1").await.unwrap().unwrap();
        let po = store.principal_for_partner_key(&other_key, "192.0.2.2").await.unwrap().unwrap();
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        for i in 0..9 {
            if i % 3 == 1 {
                theirs.push(store.partner_refer(&po, pupil(&format!("Jeren{i}"))).await.unwrap().reference);
            } else {
                mine.push(store.partner_refer(&pa, pupil(&format!("Aýna{i}"))).await.unwrap().reference);
            }
        }
        mine.reverse();
        theirs.reverse();
        let http = reqwest::Client::new();

        // The API: pages of two (2, 2, 2), following the Link header to the end.
        for (key, own, sizes) in [(&key, &mine, &[2usize, 2, 2][..]), (&other_key, &theirs, &[2, 1][..])] {
            let mut url = format!("{}/api/v1/partner/referrals?limit=2", app.base);
            let (mut seen, mut pages) = (Vec::new(), Vec::new());
            loop {
                let r = http.get(&url).bearer_auth(key).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{b}");
                let next = next_of(&r);
                let list: Vec<Value> = r.json().await.unwrap();
                pages.push(list.len());
                seen.extend(list.iter().map(|v| v["reference"].as_str().unwrap().to_owned()));
                match next {
                    Some(path) => {
                        assert!(path.starts_with("/api/v1/partner/referrals?after=") && path.ends_with("&limit=2"), "{b}: {path}");
                        url = format!("{}{path}", app.base);
                    }
                    None => break,
                }
                assert!(pages.len() < 10, "{b}: the pages do not end");
            }
            assert_eq!(pages, sizes, "{b}");
            assert_eq!(&seen, own, "{b}: exactly its own, newest first");
        }
        // A damaged link: the API's JSON error, 422.
        let r = http
            .get(format!("{}/api/v1/partner/referrals?after=zz", app.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "invalid", "{b}");
        // An unknown parameter, and no key: refused.
        let r = http
            .get(format!("{}/api/v1/partner/referrals?partner_id={}", app.base, o.id))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{b}");
        let r = http.get(format!("{}/api/v1/partner/referrals?limit=2", app.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{b}");

        // The portal: the first page (50) holds all six; with the key in its cookie the page
        // shows School 12's references and none of School 3's.
        let portal = |path: String| {
            let (http, key, base) = (http.clone(), key.clone(), app.base.clone());
            async move {
                let r = http
                    .get(format!("{base}{path}"))
                    .header(header::COOKIE, format!("goldaw_partner={key}"))
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let (status, page) = portal("/partner".into()).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(mine.iter().all(|r| page.contains(r.as_str())), "{b}");
        assert!(theirs.iter().all(|r| !page.contains(r.as_str())), "{b}");
        assert!(!page.contains("<nav class=\"paging\""), "{b}: one page, no paging");
        // From a page's cursor (the API's, after its second referral): the rest, and the way
        // back to the first page.
        let r = http
            .get(format!("{}/api/v1/partner/referrals?limit=2", app.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let next = next_of(&r).unwrap();
        let after = next.split("after=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let rest: Vec<Value> = http
            .get(format!("{}/api/v1/partner/referrals?after={after}", app.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rest: Vec<String> = rest.iter().map(|v| v["reference"].as_str().unwrap().to_owned()).collect();
        assert_eq!(rest, mine[2..], "{b}: the API from that cursor");
        let (status, page) = portal(format!("/partner?after={after}")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(mine[2..].iter().all(|r| page.contains(r.as_str())), "{b}: from {after}");
        assert!(mine[..2].iter().chain(&theirs).all(|r| !page.contains(r.as_str())), "{b}");
        assert!(page.contains("<nav class=\"paging\""), "{b}: the way back to the first page");
        // A damaged link: the first page, and why.
        let (status, page) = portal("/partner?after=zz".into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        // (The portal speaks the visitor's language, Turkmen by default: the message's place.)
        assert!(page.contains("role=\"alert\" id=\"message\""), "{b}: the reason is shown");
        assert!(mine.iter().all(|r| page.contains(r.as_str())), "{b}");
    }
}
