//! Assessments recorded against an instrument: which person is asked which item, what an assessment
//! needs before it is complete, and what its answers propose (priority `critical`, the domains of
//! high need the support plan answers).
//!
//! The rules are pure so that the store (which enforces them) and the pages (which show what is
//! still missing, in the reader's language) ask the same question.
//!
//! Who is asked what:
//! - `wg` items (the Washington Group Short Set) are asked of each person included, except children
//!   under 5, for whom the set is unsuitable (STANDARDS.md §1); an unknown birth date asks them;
//! - the other items of a `household` instrument (the initial assessment) are about the household and
//!   are answered once, for the *respondent*: the case's person;
//! - every item of an `adult`, `child` or `any` instrument is asked of each person included.
//!
//! Closed answers (need, yes/no, Washington Group, scale) are required to complete an assessment;
//! free text (details, the person's own words, "what do they want to change?") is not: a person may
//! have nothing to say, and an empty box must not block the work.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::codes::{code_enum, Priority};
use crate::instruments::{
    AnswerError, AnswerKind, AnswerValue, Answers, AppliesTo, Domain, Instrument, InstrumentKind,
    Item, NeedLevel,
};
use crate::ParseError;

code_enum!(
    /// Where an assessment is: a draft the worker saves as often as needed, or completed (checked
    /// against its instrument, and final).
    AssessmentStatus, "assessment status" {
        Draft = "draft",
        Completed = "completed",
    }
);

/// The youngest age at which the Washington Group questions are asked.
pub const WG_MIN_AGE: u32 = 5;

/// A person an assessment is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub id: Uuid,
    /// The case's person: answers the household questions of a household instrument.
    pub respondent: bool,
    /// Age in whole years on the day the assessment started; `None` when the birth date is unknown.
    pub age: Option<u32>,
}

impl Subject {
    pub fn new(id: Uuid, respondent: bool, birth_date: Option<NaiveDate>, on: NaiveDate) -> Self {
        Subject {
            id,
            respondent,
            age: birth_date.and_then(|b| on.years_since(b)),
        }
    }
}

/// The answers of an assessment, person by person.
pub type PersonAnswers = BTreeMap<Uuid, Answers>;

/// Whether `item` of `instrument` is asked of `subject`.
pub fn asks(instrument: &Instrument, item: &Item, subject: &Subject) -> bool {
    match item.answer {
        AnswerKind::Wg => subject.age.is_none_or(|age| age >= WG_MIN_AGE),
        _ if instrument.applies_to == AppliesTo::Household => subject.respondent,
        _ => true,
    }
}

/// Whether an asked item must be answered before the assessment is complete.
pub fn required(item: &Item) -> bool {
    item.answer != AnswerKind::Text
}

/// Parses what a form sent for `item_code` about `subject`: the item must exist in this version of the
/// instrument and be asked of this person. The error names the item (the caller names the person).
pub fn parse_answer(
    instrument: &Instrument,
    subject: &Subject,
    item_code: &str,
    raw: &str,
) -> Result<AnswerValue, AnswerError> {
    let value = instrument.parse_answer(item_code, raw)?;
    match instrument.item(item_code) {
        Some(item) if asks(instrument, item, subject) => Ok(value),
        Some(item) => Err(AnswerError {
            item: item.code.clone(),
            message: not_asked(instrument, item).to_owned(),
        }),
        None => Err(AnswerError {
            item: item_code.to_owned(),
            message: "there is no such item".to_owned(),
        }),
    }
}

/// Why `item` is not asked of a person it was answered for.
fn not_asked(instrument: &Instrument, item: &Item) -> &'static str {
    if item.answer == AnswerKind::Wg {
        "the Washington Group questions are not asked of children under 5"
    } else if instrument.applies_to == AppliesTo::Household {
        "this question is about the household: answer it for the case's person only"
    } else {
        "this question is not asked of this person"
    }
}

/// A required answer not given yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing<'a> {
    pub person: Uuid,
    pub domain: &'a Domain,
    pub item: &'a Item,
}

/// The required answers still missing, person by person in the order of `subjects`, item by item
/// in the order of the instrument.
pub fn missing<'a>(
    instrument: &'a Instrument,
    subjects: &[Subject],
    answers: &PersonAnswers,
) -> Vec<Missing<'a>> {
    let mut out = Vec::new();
    for subject in subjects {
        let given = answers.get(&subject.id);
        for domain in &instrument.domains {
            for item in &domain.items {
                if asks(instrument, item, subject)
                    && required(item)
                    && given.is_none_or(|a| !a.contains_key(&item.code))
                {
                    out.push(Missing {
                        person: subject.id,
                        domain,
                        item,
                    });
                }
            }
        }
    }
    out
}

/// The items that propose priority `critical` and were answered "yes" for anyone.
pub fn critical_reasons<'a>(instrument: &'a Instrument, answers: &PersonAnswers) -> Vec<&'a Item> {
    instrument
        .items()
        .filter(|item| item.proposes_critical)
        .filter(|item| {
            answers
                .values()
                .any(|a| matches!(a.get(&item.code), Some(AnswerValue::YesNo(true))))
        })
        .collect()
}

/// The priority an initial assessment proposes: `critical` when anyone is at risk of harm now. Otherwise
/// it proposes nothing: whether the person needs support or no further service is the worker's call.
pub fn proposed_priority(instrument: &Instrument, answers: &PersonAnswers) -> Option<Priority> {
    (instrument.kind == InstrumentKind::Initial
        && !critical_reasons(instrument, answers).is_empty())
    .then_some(Priority::Critical)
}

/// The highest need rated in one domain for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainNeed<'a> {
    pub person: Uuid,
    pub domain: &'a Domain,
    pub need: NeedLevel,
}

/// The highest need per domain and person, for the domains with a need rated; highest first, then
/// in the order of the instrument. The support plan answers these.
pub fn domain_needs<'a>(
    instrument: &'a Instrument,
    answers: &PersonAnswers,
) -> Vec<DomainNeed<'a>> {
    let mut out = Vec::new();
    for (person, given) in answers {
        for domain in &instrument.domains {
            let highest = domain
                .items
                .iter()
                .filter_map(|item| match given.get(&item.code) {
                    Some(AnswerValue::Need(n)) => Some(*n),
                    _ => None,
                })
                .max();
            if let Some(need) = highest {
                out.push(DomainNeed {
                    person: *person,
                    domain,
                    need,
                });
            }
        }
    }
    // A stable sort keeps the instrument's order within one level.
    out.sort_by_key(|d| std::cmp::Reverse(d.need));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instruments::{default_instruments, latest_instrument};
    use crate::washington_group::WgAnswer;

    fn shipped(code: &str) -> Instrument {
        latest_instrument(&default_instruments().unwrap(), code)
            .unwrap()
            .clone()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn household_questions_go_to_the_respondent_and_wg_to_everyone_from_five() {
        let initial = shipped("initial");
        let today = d("2026-06-01");
        let mother = Subject::new(id(1), true, Some(d("1990-04-02")), today);
        let son = Subject::new(id(2), false, Some(d("2017-03-01")), today);
        let baby = Subject::new(id(3), false, Some(d("2023-01-01")), today);
        let unknown = Subject::new(id(4), false, None, today);
        assert_eq!((son.age, baby.age, unknown.age), (Some(9), Some(3), None));
        let safety = initial.item("safety_violence").unwrap();
        let seeing = initial.item("wg_seeing").unwrap();
        assert!(asks(&initial, safety, &mother));
        assert!(!asks(&initial, safety, &son));
        assert!(asks(&initial, seeing, &son));
        assert!(!asks(&initial, seeing, &baby), "not under 5");
        assert!(
            asks(&initial, seeing, &unknown),
            "asked when the age is unknown"
        );

        let e = parse_answer(&initial, &son, "safety_violence", "yes").unwrap_err();
        assert_eq!(e.item, "safety_violence");
        assert!(e.message.contains("about the household"), "{e}");
        let e = parse_answer(&initial, &baby, "wg_walking", "1").unwrap_err();
        assert!(e.message.contains("under 5"), "{e}");
        let e = parse_answer(&initial, &mother, "wg_walking", "5").unwrap_err();
        assert!(e.message.contains("Washington Group answer"), "{e}");
        assert!(parse_answer(&initial, &mother, "no_such_item", "yes").is_err());
        assert_eq!(
            parse_answer(&initial, &son, "wg_walking", "3").unwrap(),
            AnswerValue::Wg(WgAnswer::ALotOfDifficulty)
        );

        // Every item of an adult instrument is asked of everyone included.
        let adult = shipped("holistic_adult");
        let item = adult.item("nutrition_food").unwrap();
        assert!(asks(&adult, item, &son));
    }

    #[test]
    fn completion_needs_every_closed_answer_of_every_person_and_no_text() {
        let initial = shipped("initial");
        let today = d("2026-06-01");
        let mother = Subject::new(id(1), true, Some(d("1990-04-02")), today);
        let son = Subject::new(id(2), false, Some(d("2017-03-01")), today);
        let subjects = [mother, son];
        let mut answers = PersonAnswers::new();
        let all = missing(&initial, &subjects, &answers);
        // The mother: 5 safety, 6 wg, 2 income, 3 consent; the son: 6 wg.
        assert_eq!(all.len(), 16 + 6);
        assert!(all.iter().all(|m| m.item.answer != AnswerKind::Text));
        assert_eq!(
            (
                all[0].person,
                all[0].item.code.as_str(),
                all[0].domain.code.as_str()
            ),
            (id(1), "safety_violence", "safety")
        );
        for m in &all {
            let raw = match m.item.answer {
                AnswerKind::YesNo => "no",
                _ => "1",
            };
            let value = initial.parse_answer(&m.item.code, raw).unwrap();
            answers
                .entry(m.person)
                .or_default()
                .insert(m.item.code.clone(), value);
        }
        assert!(missing(&initial, &subjects, &answers).is_empty());
        answers.get_mut(&id(2)).unwrap().remove("wg_hearing");
        let left = missing(&initial, &subjects, &answers);
        assert_eq!(left.len(), 1);
        assert_eq!(
            (left[0].person, left[0].item.code.as_str()),
            (id(2), "wg_hearing")
        );
    }

    #[test]
    fn a_yes_to_a_safety_question_proposes_critical_with_its_reasons() {
        let initial = shipped("initial");
        let mut answers = PersonAnswers::new();
        let mother = answers.entry(id(1)).or_default();
        mother.insert("safety_violence".into(), AnswerValue::YesNo(false));
        mother.insert("consent_assessment".into(), AnswerValue::YesNo(true));
        assert_eq!(proposed_priority(&initial, &answers), None);
        answers
            .get_mut(&id(1))
            .unwrap()
            .insert("safety_violence".into(), AnswerValue::YesNo(true));
        assert_eq!(
            proposed_priority(&initial, &answers),
            Some(Priority::Critical)
        );
        let reasons: Vec<_> = critical_reasons(&initial, &answers)
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(reasons, ["safety_violence"]);
        // A holistic instrument proposes no priority.
        assert_eq!(
            proposed_priority(&shipped("holistic_adult"), &answers),
            None
        );
    }

    #[test]
    fn the_highest_need_of_each_domain_comes_first() {
        let adult = shipped("holistic_adult");
        let mut answers = PersonAnswers::new();
        let her = answers.entry(id(1)).or_default();
        for (item, need) in [
            ("nutrition_food", NeedLevel::Low),
            ("nutrition_meals", NeedLevel::Moderate),
            ("safety_abuse_risk", NeedLevel::High),
        ] {
            assert!(adult.item(item).is_some(), "{item}");
            her.insert(item.into(), AnswerValue::Need(need));
        }
        let needs: Vec<_> = domain_needs(&adult, &answers)
            .iter()
            .map(|d| (d.domain.code.as_str(), d.need))
            .collect();
        assert_eq!(
            needs,
            [
                ("safety_abuse", NeedLevel::High),
                ("nutrition", NeedLevel::Moderate)
            ]
        );
    }
}
