//! `goldaw demo`: a small, believable data set for trying goldaw out.
//!
//! Five etraps, about thirty households and a hundred and thirty people across the target groups,
//! with Washington Group answers, and cases with service episodes for those who need support.
//! It is written as interchange files and imported, so the demo goes through exactly the checks
//! real data does, and running it twice changes nothing (ids are the keys).
//! Deterministic: the same every time, so screenshots and tests can rely on it.

use anyhow::Context;
use goldaw_core::codes::Role;
use goldaw_store::interchange::NoProgress;
use goldaw_store::referrals::ProviderKind;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use std::fmt::Write as _;
use std::sync::Arc;

/// Etraps in the demo: (code, urban?).
const ETRAPS: [(&str, bool); 5] = [
    ("TM-S-02", true),
    ("TM-A-05", false),
    ("TM-D-10", true),
    ("TM-L-01", false),
    ("TM-M-03", false),
];

const FAMILY: [(&str, &str); 10] = [
    ("Orazow", "Orazowa"),
    ("Annaýew", "Annaýewa"),
    ("Berdiýew", "Berdiýewa"),
    ("Durdyýew", "Durdyýewa"),
    ("Gurbanow", "Gurbanowa"),
    ("Hojamuradow", "Hojamuradowa"),
    ("Çaryýew", "Çaryýewa"),
    ("Atajanow", "Atajanowa"),
    ("Rejepow", "Rejepowa"),
    ("Nuryýew", "Nuryýewa"),
];
const MEN: [&str; 10] = [
    "Merdan", "Döwlet", "Serdar", "Oraz", "Batyr", "Şatlyk", "Kerim", "Ýusup", "Arslan", "Myrat",
];
const WOMEN: [&str; 10] = [
    "Aýna",
    "Gülnara",
    "Maýsa",
    "Jeren",
    "Ogulgerek",
    "Bägül",
    "Enejan",
    "Selbi",
    "Aýgül",
    "Läle",
];
const STREETS: [&str; 6] = [
    "Magtymguly şaýoly",
    "Bitarap Türkmenistan köçesi",
    "Gorogly köçesi",
    "Atatürk köçesi",
    "Garaşsyzlyk köçesi",
    "Oguzhan köçesi",
];

/// A tiny deterministic generator (an LCG): enough to vary the demo, reproducible everywhere.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

struct Person {
    id: String,
    female: bool,
    birth_year: u32,
    groups: Vec<&'static str>,
}

/// Writes the demo's interchange files into `dir`.
fn write_files(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut rng = Lcg(2026);
    let mut households = String::from("household_id,admin_unit,settlement,address\n");
    let mut persons = String::from("person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups,relationship\n");
    let mut cases = String::from("case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id\n");
    let mut episodes = String::from(
        "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units\n",
    );
    let (mut n_person, mut n_case, mut n_episode) = (0, 0, 0);
    for (e, (unit, urban)) in ETRAPS.iter().enumerate() {
        let settlement = if *urban { "urban" } else { "rural" };
        for h in 0..6 {
            let hid = format!("DEMO-H{:02}{:02}", e + 1, h + 1);
            let street = STREETS[rng.next(STREETS.len() as u64) as usize];
            writeln!(
                households,
                "{hid},{unit},{settlement},\"{street}, jaý {}\"",
                1 + rng.next(90)
            )?;
            let family = FAMILY[rng.next(FAMILY.len() as u64) as usize];
            // The household's story decides who lives there and which groups apply.
            let story = (e * 6 + h) % 8;
            let mut members: Vec<Person> = Vec::new();
            let mut add = |female: bool, birth_year: u32, groups: Vec<&'static str>| {
                n_person += 1;
                members.push(Person {
                    id: format!("DEMO-P{n_person:04}"),
                    female,
                    birth_year,
                    groups,
                });
            };
            match story {
                // A woman who left a violent partner, with her son.
                0 => {
                    add(true, 1992, vec!["woman_gbv", "family_difficult"]);
                    add(false, 2015, vec![]);
                }
                // A large family with a child with a disability.
                1 => {
                    add(false, 1984, vec!["large_family"]);
                    add(true, 1987, vec!["large_family"]);
                    add(false, 2012, vec![]);
                    add(true, 2014, vec!["child_disability"]);
                    add(false, 2017, vec![]);
                    add(true, 2020, vec![]);
                }
                // An older woman alone with chronic illness.
                2 => {
                    add(true, 1944, vec!["older_alone", "chronic_illness"]);
                }
                // An adult with a disability living with parents.
                3 => {
                    add(false, 1958, vec![]);
                    add(true, 1961, vec![]);
                    add(false, 1990, vec!["adult_disability"]);
                }
                // A young man leaving residential care.
                4 => {
                    add(false, 2007, vec!["care_leaver"]);
                }
                // A family affected by substance use, with a teenager at risk.
                5 => {
                    add(false, 1979, vec!["family_substance_use"]);
                    add(true, 1982, vec!["family_substance_use"]);
                    add(false, 2009, vec!["youth_at_risk"]);
                }
                // A young woman facing an unintended pregnancy, with her mother.
                6 => {
                    add(true, 2005, vec!["woman_unintended_pregnancy"]);
                    add(true, 1976, vec![]);
                }
                // A family in a difficult situation, children at risk of separation.
                _ => {
                    add(true, 1990, vec!["family_difficult"]);
                    add(false, 2016, vec!["child_at_risk_separation"]);
                    add(true, 2019, vec!["child_at_risk_separation"]);
                }
            }
            for (m, p) in members.iter().enumerate() {
                let given = if p.female {
                    WOMEN[rng.next(10) as usize]
                } else {
                    MEN[rng.next(10) as usize]
                };
                let surname = if p.female { family.1 } else { family.0 };
                let relationship = match (m, p.birth_year) {
                    (0, _) => "head",
                    (_, y) if y >= 2000 => "child",
                    (1, _) if members[0].birth_year < 1970 && p.birth_year < 1970 => "spouse",
                    (1, _) if p.birth_year + 15 < members[0].birth_year => "parent",
                    _ => "spouse",
                };
                let disability = p.groups.iter().any(|g| g.contains("disability"));
                let wg: [&str; 6] = if 2026 - p.birth_year < 5 {
                    [""; 6]
                } else if disability {
                    ["1", "1", "3", "2", "3", "1"]
                } else if 2026 - p.birth_year >= 75 {
                    ["2", "2", "2", "1", "1", "1"]
                } else {
                    ["1"; 6]
                };
                let benefits = if disability
                    || p.groups.contains(&"large_family")
                    || p.groups.contains(&"older_alone")
                {
                    "true"
                } else {
                    "false"
                };
                writeln!(
                    persons,
                    "{},{hid},{given},{surname},{},{}-{:02}-{:02},{unit},{settlement},{benefits},{},{},{relationship}",
                    p.id,
                    if p.female { "F" } else { "M" },
                    p.birth_year,
                    1 + rng.next(12),
                    1 + rng.next(28),
                    wg.join(","),
                    p.groups.join(";"),
                )?;
                if p.groups.is_empty() || rng.next(4) == 0 {
                    continue;
                }
                n_case += 1;
                let cid = format!("DEMO-C{n_case:04}");
                let critical = p
                    .groups
                    .iter()
                    .any(|g| *g == "woman_gbv" || *g == "child_at_risk_separation");
                let (source, priority) = if critical {
                    ("hotline", "critical")
                } else if p.groups.contains(&"care_leaver") {
                    ("mlsp", "support")
                } else {
                    ("benefits_list", "support")
                };
                let opened = format!("2026-{:02}-{:02}", 1 + rng.next(8), 1 + rng.next(28));
                let status =
                    ["active", "monitoring", "support_plan", "closed"][rng.next(4) as usize];
                let closed = if status == "closed" { "2026-10-15" } else { "" };
                writeln!(
                    cases,
                    "{cid},{},{unit},{opened},{source},{priority},{status},{closed},DEMO-W{:02}",
                    p.id,
                    e + 1
                )?;
                let services: &[&str] = match p.groups[0] {
                    "woman_gbv" => &["ETRAP_SW", "S10", "U_EMPLOY", "U_HEALTH"],
                    "child_disability" => &["ETRAP_SW", "S05"],
                    "older_alone" => &["ETRAP_SW", "S02", "S03"],
                    "adult_disability" => &["ETRAP_SW", "S01"],
                    "care_leaver" => &["ETRAP_SW", "S07", "U_HOUSING"],
                    "family_substance_use" => &["ETRAP_SW", "S09"],
                    "youth_at_risk" => &["ETRAP_SW", "S08", "U_EDU"],
                    "woman_unintended_pregnancy" => &["ETRAP_SW", "S12", "U_HEALTH"],
                    _ => &["ETRAP_SW", "S04", "U_BENEFIT"],
                };
                for service in services {
                    n_episode += 1;
                    let ended = if status == "closed" { closed } else { "" };
                    writeln!(
                        episodes,
                        "DEMO-E{n_episode:04},{cid},{},{service},DEMO-PR{:02},{opened},{ended},{}",
                        p.id,
                        e + 1,
                        2 + rng.next(30)
                    )?;
                }
            }
        }
    }
    for (name, content) in [
        ("households.csv", households),
        ("persons.csv", persons),
        ("cases.csv", cases),
        ("service_episodes.csv", episodes),
    ] {
        std::fs::write(dir.join(name), content)
            .with_context(|| format!("writing the demo's {name}"))?;
    }
    Ok(())
}

/// The demo's accounts: (username, role, scope, sensitive). They share [`DEMO_PASSWORD`].
const DEMO_USERS: [(&str, Role, &str, bool); 6] = [
    ("demo-admin", Role::Admin, "TM", false),
    ("demo-supervisor", Role::Supervisor, "TM", true),
    ("demo-worker", Role::SocialWorker, "TM-S-02", false),
    ("demo-hotline", Role::Hotline, "TM", false),
    ("demo-planner", Role::Planner, "TM", false),
    // The ministry's own pages and routes (retention's years and dry run, the national figures):
    // national scope, so two-factor sign-in like the other wide accounts.
    ("demo-ministry", Role::Ministry, "TM", false),
];

/// The demo's providers: (id, name, kind, where registered, offers as (service, unit, places)). Most are in
/// Ahal (TM-A), so that its costed plan shows places against need: etraps with offers of their own, an offer for
/// the whole velayat (shared between its etraps by population), and Gökdepe (TM-A-05), where the demo's cases
/// give assessed need.
type DemoProvider = (
    &'static str,
    &'static str,
    ProviderKind,
    &'static str,
    &'static [(&'static str, &'static str, i32)],
);
const DEMO_PROVIDERS: [DemoProvider; 5] = [
    (
        "DEMO-PR01",
        "Ýeňme",
        ProviderKind::Ngo,
        "TM-A-05",
        &[
            ("S01", "TM-A-05", 3),
            ("S02", "TM-A-05", 2),
            ("S01", "TM-A-01", 4),
        ],
    ),
    (
        "DEMO-PR02",
        "Ahal welaýat durmuş hyzmatlary merkezi",
        ProviderKind::State,
        "TM-A",
        &[
            ("S04", "TM-A", 60),
            ("S05", "TM-A-05", 1),
            ("S05", "TM-A-03", 6),
            ("S06", "TM-A", 4),
        ],
    ),
    (
        "DEMO-PR03",
        "Keýik Okara",
        ProviderKind::Ngo,
        "TM-A-05",
        &[
            ("S10", "TM-A", 24),
            ("S11", "TM-A-05", 4),
            ("S12", "TM-A-05", 2),
        ],
    ),
    (
        "DEMO-PR04",
        "Türkmenistanyň Gyzyl Ýarymaý Jemgyýeti",
        ProviderKind::Ngo,
        "TM-A-03",
        &[
            ("S03", "TM-A-03", 8),
            ("S03", "TM-A-05", 1),
            ("S02", "TM-A-08", 5),
        ],
    ),
    (
        "DEMO-PR05",
        "Aşgabat şäher durmuş hyzmatlary merkezi",
        ProviderKind::State,
        "TM-S-02",
        &[
            ("S04", "TM-S-02", 15),
            ("S05", "TM-S-02", 8),
            ("S10", "TM-S", 10),
        ],
    ),
];

/// Registers the demo's providers and their offers; skipped for providers already registered.
async fn providers(store: &Store) -> anyhow::Result<usize> {
    use goldaw_store::referrals::{NewProvider, OfferRequest};
    let operator = crate::cli::operator_for_demo();
    let existing: Vec<String> = store
        .list_providers(&operator)
        .await?
        .into_iter()
        .map(|p| p.external_id)
        .collect();
    let mut n = 0;
    for (id, name, kind, unit, offers) in DEMO_PROVIDERS {
        if existing.iter().any(|e| e == id) {
            continue;
        }
        let provider = store
            .create_provider(
                &operator,
                NewProvider {
                    external_id: id.to_owned(),
                    name: name.to_owned(),
                    kind,
                    admin_unit: Some(unit.parse()?),
                },
            )
            .await
            .with_context(|| format!("registering the demo provider {id}"))?;
        for (service, unit, places) in offers {
            store
                .set_offer(
                    &operator,
                    provider.id,
                    OfferRequest {
                        service_code: service.parse()?,
                        admin_unit: unit.parse()?,
                        places: Some(*places),
                        service_point: None,
                        active: true,
                        version: None,
                    },
                )
                .await
                .with_context(|| format!("the demo offer {id} {service} {unit}"))?;
        }
        n += 1;
    }
    Ok(n)
}

/// Publicly known: the demo is for trying goldaw out, never for real data.
pub const DEMO_PASSWORD: &str = "goldaw-demo-2026";

/// The audit event the loader writes before anything else: a database with it was given to the
/// demo (see [`judge`]).
const MARKER: &str = "demo.load";

/// Whether the demo may be loaded into a database holding `h`. The demo creates accounts with a
/// published password (`demo-supervisor` sees every sensitive record in the nation), so it goes
/// only into a database that holds nothing, or nothing but the demo:
///
/// - **empty**: no accounts, people, households, cases or providers (the shipped reference data
///   and the audit log aside);
/// - **the demo's own**: the loader's marker is in the audit log, every account is a demo account,
///   and every event of the audit log was recorded by the loader or a demo account (failed
///   sign-ins aside). People registered by the demo accounts are the demo's; an account added, an
///   import or any command run by someone else (`goldaw import`, `goldaw user …`) makes it real.
///
/// Anything else is real data, and the answer says what was found.
pub fn judge(h: &goldaw_store::holdings::Holdings) -> Result<(), String> {
    if h.is_empty() {
        return Ok(());
    }
    if !h.marked {
        let mut found = Vec::new();
        for (what, n) in [
            ("people", h.people),
            ("households", h.households),
            ("cases", h.cases),
            ("accounts", h.accounts.len() as i64),
            ("providers", h.providers),
        ] {
            if n > 0 {
                found.push(format!("{what} {n}"));
            }
        }
        return Err(format!(
            "it holds data the demo did not load ({})",
            found.join(", ")
        ));
    }
    let others: Vec<&str> = h
        .accounts
        .iter()
        .map(String::as_str)
        .filter(|a| !DEMO_USERS.iter().any(|(u, ..)| u == a))
        .collect();
    if !others.is_empty() {
        return Err(format!(
            "it holds accounts that are not the demo's: {}",
            others.join(", ")
        ));
    }
    if let Some(e) = &h.first_other_event {
        return Err(format!(
            "its audit log records '{}' by {} (event {}), who is neither the demo nor a demo account",
            e.action, e.actor, e.seq
        ));
    }
    Ok(())
}

/// Refuses a database that holds anything but the demo (see [`judge`]), saying what it holds and
/// what to do instead. Writes nothing.
pub async fn refuse_real_data(store: &Store) -> anyhow::Result<()> {
    let mut actors = vec![crate::cli::operator_for_demo().actor];
    actors.extend(DEMO_USERS.iter().map(|(u, ..)| u.to_string()));
    let actors: Vec<&str> = actors.iter().map(String::as_str).collect();
    let holdings = store
        .holdings(&crate::cli::operator_for_demo(), &actors, MARKER)
        .await?;
    judge(&holdings).map_err(|why| {
        anyhow::anyhow!(
            "not loading the demo into {}: {why}. The demo adds accounts with a published password \
             that see every record, so it goes only into an empty database or one holding nothing \
             but the demo. Nothing was written. Give the demo a database of its own, e.g. \
             --database-url sqlite://goldaw-demo/goldaw.db",
            store.url()
        )
    })
}

/// Loads the demo into `store`; returns a summary to print. Refuses a database with real data
/// ([`judge`]) before writing anything.
pub async fn load(store: &Store) -> anyhow::Result<String> {
    refuse_real_data(store).await?;
    // The marker first, so that a load that stops half-way is still the demo's.
    store
        .audit(
            &crate::cli::operator_for_demo(),
            goldaw_store::audit::AuditEvent::plain(MARKER),
        )
        .await?;
    let dir = tempfile::tempdir().context("creating a folder for the demo files")?;
    write_files(dir.path())?;
    let summary = store
        .import_dir(
            &crate::cli::operator_for_demo(),
            dir.path(),
            Arc::new(NoProgress),
        )
        .await
        .context("loading the demo data")?;
    let mut line = String::from("demo data loaded:");
    for (file, rows) in summary.files {
        let _ = write!(line, " {file} {rows}");
    }
    let operator = crate::cli::operator_for_demo();
    let existing: Vec<String> = store
        .list_users(&operator)
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    for (username, role, scope, sensitive) in DEMO_USERS {
        if existing.iter().any(|u| u == username) {
            continue;
        }
        store
            .add_user(
                &operator,
                NewUser {
                    username: username.to_owned(),
                    role,
                    scope: scope.parse()?,
                    sensitive,
                    unsuppressed: false,
                    password: DEMO_PASSWORD.to_owned(),
                },
            )
            .await
            .with_context(|| format!("creating the demo account {username}"))?;
    }
    let n = providers(store).await?;
    if n > 0 {
        let _ = write!(line, "\ndemo providers with offers and places: {n}");
    }
    if store.has_secrets() {
        let n = workflow_cases(store).await?;
        let _ = write!(line, "\ndemo cases in the workflow for demo-worker: {n}");
    }
    let _ = write!(
        line,
        "\ndemo accounts (password {DEMO_PASSWORD}): {}",
        DEMO_USERS.map(|(u, ..)| u).join(", ")
    );
    Ok(line)
}

/// A few cases opened in goldaw itself (not imported) for the demo worker, at different steps of
/// the workflow, so that the task list, the deadlines and the caseload show something. Skipped
/// when the worker already has cases (the demo is loaded again).
async fn workflow_cases(store: &Store) -> anyhow::Result<usize> {
    use goldaw_core::codes::{Priority, ReferralSource};
    use goldaw_core::workflow::CaseAction;
    use goldaw_store::cases::{ActionRequest, CaseQuery, NewReferral, NoteKind};
    use goldaw_store::people::PersonQuery;
    let operator = crate::cli::operator_for_demo();
    let users = store.list_users(&operator).await?;
    let principal_of = |name: &str| -> anyhow::Result<Principal> {
        let u = users
            .iter()
            .find(|u| u.username == name)
            .with_context(|| format!("the demo account {name}"))?;
        Ok(Principal::user(
            u.id,
            &u.username,
            u.role,
            u.scope.parse()?,
            u.sensitive,
        ))
    };
    let supervisor = principal_of("demo-supervisor")?;
    let worker = principal_of("demo-worker")?;
    let mine = CaseQuery {
        mine: true,
        limit: 1,
        ..CaseQuery::default()
    };
    if !store.list_cases(&worker, &mine).await?.is_empty() {
        return Ok(0);
    }
    // Searched as the worker: people she may be given (no sensitive records).
    let people = store
        .search_persons(
            &worker,
            &PersonQuery {
                admin_unit: Some("TM-S-02".parse()?),
                limit: 4,
                ..PersonQuery::default()
            },
        )
        .await?;
    // (source, provisional priority, how many workflow steps to take)
    let plans = [
        (ReferralSource::Hotline, Some(Priority::Critical), 0),
        (ReferralSource::School, None, 1),
        (ReferralSource::BenefitsList, None, 2),
        (ReferralSource::SelfReferral, None, 3),
    ];
    let mut n = 0;
    for (person, (source, priority, steps)) in people.iter().zip(plans) {
        let case = store
            .register_referral(
                &supervisor,
                NewReferral {
                    person: person.id,
                    admin_unit: "TM-S-02".parse()?,
                    referral_source: source,
                    referrer: Some("demo".into()),
                    concern: Some("A demo referral: no real person.".into()),
                    provisional_priority: priority,
                    sensitive: false,
                    household_case: false,
                },
            )
            .await?;
        let mut case = store
            .allocate_case(&supervisor, case.id, case.version, "demo-worker")
            .await?;
        let actions = [
            CaseAction::StartInitial,
            CaseAction::CompleteInitial,
            CaseAction::CompleteHolistic,
        ];
        for action in actions.into_iter().take(steps) {
            // Screening and the holistic step conclude a completed assessment.
            match action {
                CaseAction::CompleteInitial => {
                    demo_assessment(store, &worker, case.id, "initial").await?
                }
                CaseAction::CompleteHolistic => {
                    demo_assessment(store, &worker, case.id, "holistic_adult").await?
                }
                _ => {}
            }
            case = store
                .act_on_case(
                    &worker,
                    case.id,
                    ActionRequest {
                        action,
                        version: case.version,
                        priority: Some(Priority::Support),
                        reason: None,
                        transfer_to: None,
                    },
                )
                .await?;
        }
        if steps > 0 {
            store
                .add_case_note(
                    &worker,
                    case.id,
                    NoteKind::HomeVisit,
                    chrono::Utc::now(),
                    "Demo home visit.",
                )
                .await?;
        }
        n += 1;
    }
    Ok(n)
}

/// Records a completed assessment of the case's person with the instrument `code`: nobody at risk,
/// no difficulty, consent given, low needs, and a line in the person's own words (demo text).
async fn demo_assessment(
    store: &Store,
    worker: &Principal,
    case_id: uuid::Uuid,
    code: &str,
) -> anyhow::Result<()> {
    use goldaw_core::instruments::AnswerKind;
    use goldaw_store::cases::{AnswerInput, AssessmentSave, NewAssessment, RawAnswer};
    let started = store
        .start_assessment(
            worker,
            case_id,
            NewAssessment {
                instrument: code.to_owned(),
                persons: Vec::new(),
            },
        )
        .await?;
    let instruments = store.instruments();
    let instrument = instruments
        .get(&started.instrument_code, started.instrument_version)
        .with_context(|| format!("the instrument {code}"))?;
    let mut answers = Vec::new();
    for m in &started.missing {
        let value = match instrument.item(&m.item).map(|i| i.answer) {
            Some(AnswerKind::YesNo) => RawAnswer::Flag(m.item.starts_with("consent")),
            Some(AnswerKind::Scale0To10) => RawAnswer::Number(5),
            _ => RawAnswer::Number(1),
        };
        answers.push(AnswerInput {
            person: m.person,
            item: m.item.clone(),
            value: Some(value),
            strengths: None,
            own_words: None,
        });
    }
    if let (Some(person), Some(item)) = (
        started.persons.first(),
        instrument
            .items()
            .find(|i| i.answer == AnswerKind::Text && i.code.ends_with("own_words")),
    ) {
        answers.push(AnswerInput {
            person: person.id,
            item: item.code.clone(),
            value: Some(RawAnswer::Text("A demo answer: no real person.".into())),
            strengths: None,
            own_words: None,
        });
    }
    let saved = store
        .save_assessment(
            worker,
            started.id,
            AssessmentSave {
                version: started.version,
                answers,
                persons: None,
            },
        )
        .await?;
    store
        .complete_assessment(worker, saved.id, saved.version)
        .await?;
    Ok(())
}
