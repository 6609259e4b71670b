//! Unit tests of instruments: reading and checking files, the shipped instruments, and answers.

use super::file::check_code;
use super::*;
use crate::washington_group::{WgAnswer, WG_COLUMNS};
use std::collections::BTreeSet;

fn shipped(code: &str) -> Instrument {
    let all = default_instruments().unwrap();
    latest_instrument(&all, code).unwrap().clone()
}

/// A small valid file; tests break one thing in it at a time.
const GOOD: &str = r#"
code = "tiny"
version = 1
kind = "holistic"
applies_to = "adult"
title = { en = "Tiny", ru = "Крошечный", tk = "Kiçijik" }

[[domains]]
code = "housing"
title = { en = "Housing", ru = "Жильё", tk = "Ýaşaýyş jaýy" }

[[domains.items]]
code = "housing_condition"
answer = "need"
text = { en = "Condition", ru = "Состояние", tk = "Ýagdaýy" }

[[domains.items]]
code = "housing_wants_change"
answer = "text"
text = { en = "What does the person want to change?", ru = "Что человек хочет изменить?", tk = "Adam näme üýtgetmek isleýär?" }
"#;

fn refusal(text: &str) -> String {
    match Instrument::from_toml(text) {
        Ok(i) => panic!("accepted: {i:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn instruments_the_shipped_files_parse_with_unique_codes() {
    let all = default_instruments().unwrap();
    let mut codes: Vec<_> = all.iter().map(|i| (i.code.as_str(), i.kind)).collect();
    // Later versions of an instrument may be shipped too; each code is listed once here.
    let mut seen = BTreeSet::new();
    codes.retain(|(code, _)| seen.insert(*code));
    assert_eq!(
        codes,
        [
            ("initial", InstrumentKind::Initial),
            ("holistic_adult", InstrumentKind::Holistic),
            ("holistic_child", InstrumentKind::Holistic),
            ("review", InstrumentKind::Review),
        ]
    );
    for i in &all {
        let mut seen = BTreeSet::new();
        for item in i.items() {
            assert!(seen.insert(&item.code), "{} {}", i.code, item.code);
        }
    }
    assert_eq!(shipped("initial").applies_to, AppliesTo::Household);
    assert_eq!(shipped("holistic_adult").applies_to, AppliesTo::Adult);
    assert_eq!(shipped("holistic_child").applies_to, AppliesTo::Child);
    assert_eq!(shipped("review").applies_to, AppliesTo::Any);
    assert!(find_instrument(&all, "review", 1).is_some());
    assert!(find_instrument(&all, "review", 0).is_none());
}

#[test]
fn instruments_shipped_files_say_their_translations_are_composed() {
    for (file, text) in DEFAULT_INSTRUMENT_FILES {
        let header: String = text.lines().take_while(|l| l.starts_with('#')).collect();
        assert!(header.contains("COMPOSED"), "{file}");
        assert!(header.contains("review by the"), "{file}");
    }
}

#[test]
fn instruments_holistic_adult_has_the_fourteen_domains() {
    let adult = shipped("holistic_adult");
    let codes: Vec<_> = adult.domains.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "nutrition",
            "personal_hygiene",
            "toilet_needs",
            "clothing",
            "home_safety",
            "habitable_home",
            "relationships",
            "work_education",
            "community_services",
            "child_care_responsibilities",
            "health_medication",
            "income_documents",
            "safety_abuse",
            "social_participation",
        ]
    );
    for d in &adult.domains {
        assert!(
            d.items.iter().any(|i| i.answer == AnswerKind::Need),
            "{} has no need item",
            d.code
        );
    }
}

#[test]
fn instruments_holistic_child_has_three_sides_and_separation_risk() {
    let child = shipped("holistic_child");
    for side in [
        "developmental_needs",
        "parenting_capacity",
        "family_environment",
    ] {
        assert!(child.domain(side).is_some(), "{side}");
    }
    let separation = child.item("separation_risk").unwrap();
    assert_eq!(separation.answer, AnswerKind::YesNo);
    assert!(separation.text.en.contains("residential care"));
    let parenting: Vec<_> = child.domain("parenting_capacity").unwrap().items[..6]
        .iter()
        .map(|i| i.code.as_str())
        .collect();
    assert_eq!(
        parenting,
        [
            "parenting_basic_care",
            "parenting_safety",
            "parenting_emotional_warmth",
            "parenting_stimulation",
            "parenting_guidance",
            "parenting_stability",
        ]
    );
}

#[test]
fn instruments_every_holistic_domain_ends_with_what_the_person_wants_to_change() {
    for code in ["holistic_adult", "holistic_child"] {
        for d in &shipped(code).domains {
            let last = d.items.last().unwrap();
            assert_eq!(last.answer, AnswerKind::Text, "{code} {}", d.code);
            assert!(
                last.code.ends_with(WANTS_CHANGE_SUFFIX),
                "{code} {}",
                d.code
            );
            assert!(
                last.text.en.starts_with("What do") && last.text.en.ends_with("want to change?"),
                "{code} {}: {}",
                d.code,
                last.text.en
            );
        }
    }
}

#[test]
fn instruments_initial_asks_the_six_wg_questions_with_the_person_codes() {
    let initial = shipped("initial");
    let wg: Vec<_> = initial
        .items()
        .filter(|i| i.answer == AnswerKind::Wg)
        .map(|i| i.code.as_str())
        .collect();
    assert_eq!(wg, WG_COLUMNS);
    assert_eq!(
        initial.item("wg_seeing").unwrap().text.en,
        "Do you have difficulty seeing, even if wearing glasses?"
    );
    let labels: Vec<_> = AnswerKind::Wg.options().iter().map(|o| o.en).collect();
    assert_eq!(
        labels,
        [
            "No difficulty",
            "Some difficulty",
            "A lot of difficulty",
            "Cannot do at all"
        ]
    );
    let intro = initial
        .domain("functioning")
        .unwrap()
        .intro
        .as_ref()
        .unwrap();
    assert!(intro.en.contains("HEALTH PROBLEM"));
}

#[test]
fn instruments_initial_safety_and_consent() {
    let initial = shipped("initial");
    let critical: Vec<_> = initial
        .items()
        .filter(|i| i.proposes_critical)
        .map(|i| i.code.as_str())
        .collect();
    assert_eq!(
        critical,
        [
            "safety_violence",
            "safety_neglect",
            "safety_self_harm",
            "safety_no_shelter",
            "safety_no_food"
        ]
    );
    for consent in ["consent_assessment", "consent_recording", "consent_sharing"] {
        assert_eq!(initial.item(consent).unwrap().answer, AnswerKind::YesNo);
    }
}

#[test]
fn instruments_a_yes_to_a_safety_item_proposes_critical() {
    let initial = shipped("initial");
    let mut answers = Answers::new();
    for code in ["safety_violence", "safety_no_food", "consent_assessment"] {
        let value = initial.parse_answer(code, "no").unwrap();
        answers.insert(code.to_owned(), value);
    }
    assert!(!initial.proposes_critical(&answers));
    answers.insert("consent_assessment".into(), AnswerValue::YesNo(true));
    assert!(
        !initial.proposes_critical(&answers),
        "a yes elsewhere proposes nothing"
    );
    answers.insert(
        "safety_no_food".into(),
        initial.parse_answer("safety_no_food", " yes ").unwrap(),
    );
    assert!(initial.proposes_critical(&answers));
    let reasons: Vec<_> = initial
        .critical_items(&answers)
        .iter()
        .map(|i| i.code.as_str())
        .collect();
    assert_eq!(reasons, ["safety_no_food"]);
}

#[test]
fn instruments_review_ships_the_standard_outcome_set() {
    let review = shipped("review");
    for (code, kind) in [
        ("living_at_home", AnswerKind::YesNo),
        ("family_together", AnswerKind::YesNo),
        ("in_education_training_work", AnswerKind::YesNo),
        ("income_changed", AnswerKind::YesNo),
        ("feels_safe", AnswerKind::Scale0To10),
        ("satisfaction", AnswerKind::Scale0To10),
    ] {
        assert_eq!(review.item(code).map(|i| i.answer), Some(kind), "{code}");
    }
}

#[test]
fn instruments_the_small_file_parses() {
    let tiny = Instrument::from_toml(GOOD).unwrap();
    assert_eq!(tiny.items().count(), 2);
    assert_eq!(tiny.title.get("tk"), "Kiçijik");
    assert_eq!(tiny.title.get("de"), "Tiny");
}

#[test]
fn instruments_a_duplicate_item_code_is_refused_naming_it() {
    let bad = GOOD.replace(
        "code = \"housing_condition\"",
        "code = \"housing_wants_change\"",
    );
    let e = refusal(&bad);
    assert!(e.contains("item 'housing_wants_change'"), "{e}");
    assert!(e.contains("already used in domain 'housing'"), "{e}");
}

#[test]
fn instruments_a_duplicate_domain_code_is_refused() {
    let second = GOOD
        .split("[[domains]]")
        .nth(1)
        .unwrap()
        .replace("housing_", "other_");
    let bad = format!("{GOOD}\n[[domains]]{second}");
    let e = refusal(&bad);
    assert!(e.contains("domain 'housing'"), "{e}");
    assert!(e.contains("domain code is used twice"), "{e}");
}

#[test]
fn instruments_a_missing_turkmen_text_is_refused_naming_the_item() {
    let bad = GOOD.replace(", tk = \"Ýagdaýy\"", "");
    let e = refusal(&bad);
    assert!(e.contains("item 'housing_condition'"), "{e}");
    assert!(e.contains("no Turkmen (tk) wording"), "{e}");
    let blank = GOOD.replace("tk = \"Ýagdaýy\"", "tk = \"  \"");
    assert!(refusal(&blank).contains("no Turkmen (tk) wording"));
    let cyrillic = GOOD.replace("tk = \"Ýagdaýy\"", "tk = \"Состояние\"");
    assert!(refusal(&cyrillic).contains("Latin script"));
}

#[test]
fn instruments_an_unknown_answer_type_is_refused_naming_the_item() {
    let bad = GOOD.replace("answer = \"need\"", "answer = \"scale\"");
    let e = refusal(&bad);
    assert!(e.contains("item 'housing_condition'"), "{e}");
    assert!(e.contains("'scale' is not a known answer type"), "{e}");
    assert!(e.contains("need, yes_no, scale_0_10, text, wg"), "{e}");
}

#[test]
fn instruments_version_zero_and_bad_top_level_values_are_refused() {
    let e = refusal(&GOOD.replace("version = 1", "version = 0"));
    assert!(e.contains("version 0 is not allowed"), "{e}");
    assert!(refusal(&GOOD.replace("version = 1", "version = -3")).contains("version -3"));
    let e = refusal(&GOOD.replace("kind = \"holistic\"", "kind = \"full\""));
    assert!(e.contains("'full' is not a known instrument kind"), "{e}");
    let e = refusal(&GOOD.replace("applies_to = \"adult\"", "applies_to = \"elder\""));
    assert!(e.contains("applies_to"), "{e}");
}

#[test]
fn instruments_codes_must_be_snake_case_ascii() {
    for bad in [
        "Housing",
        "housing-condition",
        "2housing",
        "housing__x",
        "housing_",
        "ýagdaý",
        "",
    ] {
        let text = GOOD.replace("code = \"housing_condition\"", &format!("code = \"{bad}\""));
        let e = refusal(&text);
        assert!(e.contains("is not a valid code"), "{bad}: {e}");
    }
    assert!(check_code("wg_seeing").is_ok());
    assert!(check_code("a1_b2").is_ok());
}

#[test]
fn instruments_structure_rules_are_enforced() {
    let no_domains = GOOD.split("[[domains]]").next().unwrap();
    assert!(refusal(no_domains).contains("it has no domains"));

    let e = refusal(&GOOD.replace("housing_wants_change", "housing_hopes"));
    assert!(e.contains("domain 'housing'"), "{e}");
    assert!(e.contains("_wants_change"), "{e}");
    // The rule is for holistic instruments only.
    assert!(Instrument::from_toml(
        &GOOD
            .replace("housing_wants_change", "housing_hopes")
            .replace("kind = \"holistic\"", "kind = \"review\"")
    )
    .is_ok());

    let e = refusal(&GOOD.replace(
        "answer = \"need\"",
        "answer = \"need\"\nproposes_critical = true",
    ));
    assert!(
        e.contains("proposes_critical is only allowed on yes_no"),
        "{e}"
    );

    let e = refusal(&GOOD.replace("answer = \"need\"", "answer = \"wg\""));
    assert!(e.contains("Washington Group codes"), "{e}");
    assert!(e.contains("wg items are missing"), "{e}");

    let e = refusal(&GOOD.replace("answer = \"need\"", "answer = \"need\"\nhelp = \"x\""));
    assert!(e.contains("unknown field `help`"), "{e}");
    assert!(e.contains("line "), "{e}");
}

#[test]
fn instruments_every_problem_is_listed_at_once() {
    let bad = GOOD
        .replace("version = 1", "version = 0")
        .replace("answer = \"need\"", "answer = \"nede\"")
        .replace(", ru = \"Жильё\"", "");
    let e = refusal(&bad);
    assert!(e.contains("3 problem(s)"), "{e}");
}

#[test]
fn instruments_answers_are_parsed_and_out_of_range_values_refused() {
    let item = |answer: AnswerKind| Item {
        code: "x".into(),
        text: Text {
            en: "x".into(),
            ru: "х".into(),
            tk: "x".into(),
        },
        answer,
        proposes_critical: false,
    };
    let need = item(AnswerKind::Need);
    assert_eq!(
        need.parse_answer("2").unwrap(),
        AnswerValue::Need(NeedLevel::Moderate)
    );
    assert_eq!(
        need.parse_answer(" 0 ").unwrap(),
        AnswerValue::Need(NeedLevel::None)
    );
    for bad in ["4", "-1", "1.5", "high", "", "   ", "+1", "99999999999"] {
        let e = need.parse_answer(bad).unwrap_err();
        assert_eq!(e.item, "x");
    }
    assert!(need
        .parse_answer("4")
        .unwrap_err()
        .to_string()
        .contains("0 none, 1 low, 2 moderate or 3 high"));

    let yes_no = item(AnswerKind::YesNo);
    assert_eq!(
        yes_no.parse_answer("yes").unwrap(),
        AnswerValue::YesNo(true)
    );
    assert_eq!(
        yes_no.parse_answer("no").unwrap(),
        AnswerValue::YesNo(false)
    );
    for bad in ["y", "Yes", "1", "true", "hawa"] {
        assert!(yes_no.parse_answer(bad).is_err(), "{bad}");
    }

    let scale = item(AnswerKind::Scale0To10);
    assert_eq!(scale.parse_answer("10").unwrap(), AnswerValue::Scale(10));
    assert_eq!(scale.parse_answer("0").unwrap(), AnswerValue::Scale(0));
    for bad in ["11", "-1", "7.5", "ten", "256"] {
        assert!(scale.parse_answer(bad).is_err(), "{bad}");
    }

    let wg = item(AnswerKind::Wg);
    assert_eq!(
        wg.parse_answer("4").unwrap(),
        AnswerValue::Wg(WgAnswer::CannotDoAtAll)
    );
    for bad in ["0", "5", "x"] {
        assert!(wg.parse_answer(bad).is_err(), "{bad}");
    }

    let text = item(AnswerKind::Text);
    assert_eq!(
        text.parse_answer("  Maşgala bilen ýaşamak\n").unwrap(),
        AnswerValue::Text("Maşgala bilen ýaşamak".into())
    );
    let longest = "ä".repeat(MAX_TEXT_ANSWER_CHARS);
    assert!(text.parse_answer(&longest).is_ok());
    let e = text.parse_answer(&format!("{longest}a")).unwrap_err();
    assert!(e.message.contains("at most 4000"), "{e}");
    assert!(text.parse_answer("a\u{0}b").is_err());
    assert!(text.parse_answer("line one\nline two").is_ok());

    assert_eq!(need.parse_note("  ").unwrap(), None);
    assert_eq!(
        need.parse_note(" her sister helps ").unwrap(),
        Some("her sister helps".into())
    );
    assert!(need.parse_note(&format!("{longest}a")).is_err());

    let initial = shipped("initial");
    let e = initial.parse_answer("no_such_item", "yes").unwrap_err();
    assert!(e.to_string().contains("no such item"), "{e}");
}

#[test]
fn instruments_wg_answers_are_collected_for_the_person() {
    let initial = shipped("initial");
    let mut answers = Answers::new();
    for (code, raw) in [("wg_seeing", "1"), ("wg_communication", "3")] {
        answers.insert(code.into(), initial.parse_answer(code, raw).unwrap());
    }
    let wg = wg_answers(&answers);
    assert_eq!(wg.seeing, Some(WgAnswer::NoDifficulty));
    assert_eq!(wg.communication, Some(WgAnswer::ALotOfDifficulty));
    assert_eq!(wg.walking, None);
    assert!(wg.has_disability());
}

#[test]
fn instruments_round_trip_through_json_and_are_checked_again() {
    for i in default_instruments().unwrap() {
        let json = serde_json::to_string(&i).unwrap();
        let back: Instrument = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i, "{}", i.code);
    }
    // A stored definition is checked like a file: a broken code is refused, naming it.
    let tiny = Instrument::from_toml(GOOD).unwrap();
    let json = serde_json::to_string(&tiny)
        .unwrap()
        .replace("housing_condition", "Housing Condition");
    let e = serde_json::from_str::<Instrument>(&json).unwrap_err();
    assert!(e.to_string().contains("'Housing Condition'"), "{e}");
}
