//! The store's refusals of input have one text per language: every key the store gives a refusal
//! (`StoreError::refuse`) is in the en, ru and tk translation files with the same variables, the
//! English of a refusal is its en text, and no refusal is made without a key.

use goldaw_store::error::{english, SayArg};
use goldaw_store::StoreError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files (paths under `src/`, or their beginnings) whose keyless `StoreError::invalid` calls are
/// tolerated while they are converted to keys. None is left: keep it empty.
const PENDING: [&str; 0] = [];

const LANGUAGES: [&str; 3] = ["en", "ru", "tk"];

fn i18n(lang: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../goldaw-web/i18n")
        .join(lang)
}

/// Each message of one `.ftl` text with the variables (`$name`) it uses, selectors included.
fn messages(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let starts_entry = line.starts_with(|c: char| c.is_ascii_lowercase());
        if starts_entry {
            let (key, _) = line
                .split_once(" =")
                .expect("a message line is `key = text`");
            current = Some(key.trim().to_owned());
            out.entry(key.trim().to_owned()).or_default();
        } else if line.starts_with('#') || line.trim().is_empty() {
            current = None;
            continue;
        }
        let Some(key) = &current else { continue };
        let vars = out.get_mut(key).unwrap();
        for (at, _) in line.match_indices('$') {
            let name: String = line[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            vars.insert(name);
        }
    }
    out
}

/// Every message of every `.ftl` file of one language.
fn language(lang: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(i18n(lang)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ftl") {
            all.extend(messages(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    all
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The store's source files, as (path under src/, text).
fn store_sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The index just past the `)` closing the call whose `(` ends just before `from`.
fn call_end(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (1, from);
    while depth > 0 && i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// A refusal key: lower-case words joined by hyphens (a field name has none).
fn is_key(s: &str) -> bool {
    s.contains('-')
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Every key given to a refusal in the store's source (`refuse(`; `.saying(` was its older
/// form), with where.
fn used_keys() -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for (file, text) in store_sources() {
        if file == "error.rs" {
            continue; // where `refuse` and `saying` are made
        }
        for call in ["::refuse(", ".saying("] {
            for (at, _) in text.match_indices(call) {
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                if text[line_start..at].trim_start().starts_with("//") {
                    continue; // a comment's example
                }
                let start = at + call.len();
                let args = &text[start..call_end(&text, start)];
                let key = args
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .find(|s| is_key(s))
                    .unwrap_or_else(|| panic!("{file}: a refusal without a literal key: {args}"));
                keys.push((key.to_owned(), file.clone()));
            }
        }
    }
    keys
}

#[test]
fn every_refusal_key_is_in_the_three_languages_with_the_same_variables() {
    let langs: Vec<_> = LANGUAGES.iter().map(|l| (*l, language(l))).collect();
    let used = used_keys();
    assert!(used.len() >= 60, "the scan found only {} keys", used.len());
    for (key, file) in &used {
        let en = langs[0].1.get(key);
        assert!(en.is_some(), "{file}: '{key}' is not in the en files");
        for (lang, messages) in &langs[1..] {
            assert_eq!(
                messages.get(key),
                en,
                "{file}: '{key}' in {lang} differs from en (missing, or other variables)"
            );
        }
        // The English the store shows is the en text, so the key must be in the files the
        // store embeds: a missing one would show as the key.
        assert!(
            !english(key, &[]).starts_with(key.as_str()),
            "{file}: '{key}' is not in the en files the store embeds (error.rs)"
        );
    }
}

/// Every key of the store's own file exists in the three languages with the same variables,
/// and each file parses.
#[test]
fn the_store_files_agree_and_parse() {
    let mut files = Vec::new();
    for lang in LANGUAGES {
        let text = std::fs::read_to_string(i18n(lang).join("store.ftl")).unwrap();
        if let Err((_, errors)) = fluent_bundle::FluentResource::try_new(text.clone()) {
            panic!("{lang}/store.ftl does not parse: {errors:?}");
        }
        files.push((lang, messages(&text)));
    }
    assert!(files[0].1.len() > 100, "the key scan found too little");
    for (lang, messages) in &files[1..] {
        assert_eq!(messages, &files[0].1, "{lang}/store.ftl differs from en");
    }
}

/// The English of a refusal is the en text of its key, with its arguments (a number, a choice,
/// a term resolved in English).
#[test]
fn the_english_of_a_refusal_is_its_en_text() {
    let en = std::fs::read_to_string(i18n("en").join("store.ftl")).unwrap();
    let text = |key: &str| {
        en.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = ")))
            .unwrap()
            .to_owned()
    };

    let e = goldaw_store::users::check_password("password", "aman", "short").unwrap_err();
    let StoreError::Invalid {
        field,
        message,
        say: Some(say),
    } = e
    else {
        panic!("not a keyed refusal: {e:?}");
    };
    assert_eq!(field, "password");
    assert_eq!(say.key, "store-password-short");
    let limit = goldaw_store::users::MIN_PASSWORD_LEN.to_string();
    assert_eq!(message, text(say.key).replace("{ $limit }", &limit));
    assert_eq!(message, "The password must have at least 12 characters.");

    // A choice by a number.
    let worker = |sensitive| {
        StoreError::refuse(
            "worker",
            "store-worker-not-assignable",
            vec![
                ("user", SayArg::Text("aman".into())),
                ("unit", SayArg::Text("TM-A-05".into())),
                ("sensitive", SayArg::Number(sensitive)),
            ],
        )
        .to_string()
    };
    assert_eq!(
        worker(0),
        "worker: aman is not an active social worker of TM-A-05."
    );
    assert!(worker(1).ends_with("with the permission for sensitive cases."));

    // A term, itself resolved in English.
    let plan = StoreError::refuse(
        "plan",
        "store-plan-not-now",
        vec![("status", SayArg::Term("case-status-closed".into()))],
    );
    assert!(
        !plan.to_string().contains("case-status-closed"),
        "the term is resolved: {plan}"
    );

    // A refusal without arguments is its en text, after its field.
    let merge = StoreError::refuse("merge", "store-merge-already-undone", vec![]);
    assert_eq!(
        merge.to_string(),
        format!("merge: {}", text("store-merge-already-undone"))
    );
}

/// A refusal of input in the store's own code has a key: `StoreError::refuse`; the keyless
/// `StoreError::invalid` is gone, and no `StoreError::Invalid` is built by hand without a key
/// (`say: None`: its English would reach Russian and Turkmen pages as it is).
#[test]
fn the_store_makes_no_refusal_without_a_key() {
    let mut keyless = Vec::new();
    for (file, text) in store_sources() {
        if file == "error.rs" || PENDING.iter().any(|p| file.starts_with(p)) {
            continue;
        }
        let calls = text.match_indices("StoreError::invalid(");
        for (at, _) in calls.chain(text.match_indices("say: None")) {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            if text[line_start..at].trim_start().starts_with("//") {
                continue; // a comment's example
            }
            keyless.push(format!("{file}:{}", text[..at].lines().count()));
        }
    }
    assert!(
        keyless.is_empty(),
        "refusals without a key (use StoreError::refuse with a key in i18n/*/store.ftl): {keyless:?}"
    );
}
