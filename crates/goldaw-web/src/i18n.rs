//! Every string a person reads comes from `i18n/{tk,ru,en}/main.ftl` (Project Fluent).
//! Turkmen is the default; the choice is kept in a cookie.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

static_loader! {
    static LOCALES = {
        locales: "./i18n",
        fallback_language: "tk",
        // No Unicode isolation marks around arguments: they show as boxes in some fonts.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages offered, with their own names (shown in the switcher as is).
pub const LANGUAGES: [(&str, &str); 3] =
    [("tk", "Türkmençe"), ("ru", "Русский"), ("en", "English")];

pub const DEFAULT_LANGUAGE: &str = "tk";

/// Messages without arguments, per language (in the order of [`LANGUAGES`]), once resolved: a case
/// page shows about a hundred, and each lookup negotiated the language and formatted the pattern
/// again (6% of the page's time under load). Bounded by the number of keys.
static RESOLVED: LazyLock<[RwLock<HashMap<String, String>>; 3]> = LazyLock::new(Default::default);

pub struct Translator {
    code: &'static str,
    id: LanguageIdentifier,
}

impl Translator {
    /// For a language code from a cookie; anything unknown gets the default.
    pub fn new(code: Option<&str>) -> Translator {
        let code = LANGUAGES
            .iter()
            .map(|(c, _)| *c)
            .find(|c| Some(*c) == code)
            .unwrap_or(DEFAULT_LANGUAGE);
        let id = code.parse().unwrap_or_default();
        Translator { code, id }
    }

    /// Another translator for the same language.
    pub fn clone_lang(&self) -> Translator {
        Translator::new(Some(self.code))
    }

    pub fn lang(&self) -> &'static str {
        self.code
    }

    pub fn languages(&self) -> Vec<(&'static str, &'static str)> {
        LANGUAGES.to_vec()
    }

    /// The message `key`; a missing key shows as the key itself, which the tests catch.
    pub fn t(&self, key: &str) -> String {
        let Some(resolved) = LANGUAGES
            .iter()
            .position(|(c, _)| *c == self.code)
            .map(|i| &RESOLVED[i])
        else {
            return self.lookup(key);
        };
        if let Some(text) = resolved.read().ok().and_then(|m| m.get(key).cloned()) {
            return text;
        }
        let text = self.lookup(key);
        if text != key {
            if let Ok(mut m) = resolved.write() {
                m.insert(key.to_owned(), text.clone());
            }
        }
        text
    }

    fn lookup(&self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id, key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// A store refusal's message ([`goldaw_store::error::Say`]) in this language.
    pub fn say(&self, say: &goldaw_store::error::Say) -> String {
        use goldaw_store::error::SayArg;
        let args: Vec<(&'static str, FluentValue<'static>)> = say
            .args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    SayArg::Text(text) => FluentValue::from(text.clone()),
                    SayArg::Number(n) => FluentValue::from(*n),
                    SayArg::Term(key) => FluentValue::from(self.t(key)),
                };
                (*name, value)
            })
            .collect();
        self.t_with(say.key, &args)
    }

    pub fn t_with(&self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let args: HashMap<std::borrow::Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (std::borrow::Cow::Borrowed(*k), v.clone()))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id, key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn t_user(&self, user: &str) -> String {
        self.t_with(
            "signed-in-as",
            &[("user", FluentValue::from(user.to_owned()))],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message keys of every `.ftl` file of one language, with the file each is in.
    /// A key defined twice (in one file or across files) fails: the second would be ignored.
    pub(crate) fn keys(lang: &str) -> std::collections::BTreeMap<String, String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("i18n")
            .join(lang);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
            .collect();
        files.sort();
        let mut keys = std::collections::BTreeMap::new();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            for line in std::fs::read_to_string(&file).unwrap().lines() {
                if line.starts_with([' ', '#', '*', '[', '}']) || !line.contains(" =") {
                    continue;
                }
                let key = line
                    .split(" =")
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                if let Some(first) = keys.insert(key.clone(), name.clone()) {
                    panic!("{lang}: '{key}' is defined twice ({first} and {name})");
                }
            }
        }
        keys
    }

    /// Every key the store gives its refusals (`StoreError::saying`) is in the translation files,
    /// so a page never shows a bare key.
    #[test]
    fn every_store_refusal_key_is_translated() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let store = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../goldaw-store/src");
        let mut files = Vec::new();
        sources(&store, &mut files);
        let en = keys("en");
        let mut used = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // Every refusal key of the store is a literal `"store-…"` (given to `refuse(` or
            // `.saying(`, on one line or several): each must resolve here.
            for (at, _) in text.match_indices("\"store-") {
                let rest = &text[at + 1..];
                let key = &rest[..rest.find('"').unwrap()];
                if !key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    continue;
                }
                assert!(
                    en.contains_key(key),
                    "{}: '{key}' is not in the translation files",
                    file.display()
                );
                used += 1;
            }
        }
        assert!(used >= 30, "the scan found only {used} keys");
    }

    /// The people pages (issue #19) and the support plan's form hold no dead keys: every key of
    /// `people.ftl` and every `plan-…` key of `cases.ftl` is used, as a literal (`"key"`) or
    /// through a prefix a page completes (`format!("person-field-{f}")`).
    #[test]
    fn the_people_and_plan_keys_are_all_used() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                    out.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut text = String::new();
        for dir in ["src", "templates", "../goldaw-store/src"] {
            sources(&root.join(dir), &mut text);
        }
        let mut checked = 0;
        for (key, file) in keys("en") {
            if !(file == "people.ftl" || (file == "cases.ftl" && key.starts_with("plan-"))) {
                continue;
            }
            checked += 1;
            let literal = text.contains(&format!("\"{key}\""));
            let prefixed = key
                .match_indices('-')
                .any(|(i, _)| text.contains(&format!("\"{}{{", &key[..=i])));
            assert!(literal || prefixed, "'{key}' ({file}) is used nowhere");
        }
        assert!(checked > 100, "the scan found only {checked} keys");
    }

    /// Resolved messages are kept per language: asking again, or in another language, gives what
    /// the files say.
    #[test]
    fn kept_messages_stay_in_their_language() {
        for _ in 0..2 {
            assert_eq!(Translator::new(Some("ru")).t("sign-in"), "Войти");
            assert_eq!(Translator::new(Some("tk")).t("sign-in"), "Ulgama girmek");
            assert_eq!(Translator::new(Some("en")).t("sign-in"), "Sign in");
            assert_eq!(Translator::new(Some("en")).t("no-such-key"), "no-such-key");
        }
    }

    /// Every key of the English files exists in Russian and Turkmen, in the same file, and the
    /// other way round; every message resolves.
    #[test]
    fn the_three_languages_have_the_same_messages() {
        let en = keys("en");
        assert!(en.len() > 50, "the key scan found too little");
        assert_eq!(en, keys("ru"), "ru differs from en");
        assert_eq!(en, keys("tk"), "tk differs from en");
        for (code, _) in LANGUAGES {
            let t = Translator::new(Some(code));
            let args = [
                ("count", FluentValue::from(2)),
                ("minutes", FluentValue::from(15)),
                ("user", FluentValue::from("aman")),
                ("seq", FluentValue::from(3)),
                ("detail", FluentValue::from("x")),
                ("name", FluentValue::from("x")),
                ("date", FluentValue::from("x")),
                ("number", FluentValue::from("x")),
                ("status", FluentValue::from("x")),
                ("reason", FluentValue::from("x")),
                ("unit", FluentValue::from("x")),
                ("service", FluentValue::from("x")),
                ("days", FluentValue::from(2)),
                ("norm", FluentValue::from(2)),
                ("limit", FluentValue::from(2)),
                ("size", FluentValue::from(2)),
                ("step", FluentValue::from("x")),
                ("action", FluentValue::from("x")),
                ("field", FluentValue::from("x")),
                ("intensive", FluentValue::from(2)),
                ("monitoring", FluentValue::from(2)),
                ("monitored", FluentValue::from(2)),
                ("year", FluentValue::from(2)),
                // planning.ftl
                ("value", FluentValue::from("x")),
                ("etrap", FluentValue::from("x")),
                ("stock", FluentValue::from("x")),
                ("gap", FluentValue::from("x")),
                ("currency", FluentValue::from("x")),
                ("assessed", FluentValue::from(2)),
                ("optimised", FluentValue::from("x")),
                ("baseline", FluentValue::from("x")),
                ("extra", FluentValue::from("x")),
                // providers.ftl
                ("places", FluentValue::from(2)),
                ("free", FluentValue::from(2)),
                // statistics.ftl
                ("indicator", FluentValue::from("x")),
                ("dimension", FluentValue::from("x")),
                ("period", FluentValue::from("x")),
                ("from", FluentValue::from("x")),
                ("to", FluentValue::from("x")),
                ("rate", FluentValue::from("x")),
                ("percent", FluentValue::from("x")),
                ("area", FluentValue::from("x")),
                // store.ftl
                ("sensitive", FluentValue::from(1)),
                ("rated", FluentValue::from(2)),
                ("expected", FluentValue::from("x")),
                // merges.ftl
                ("at", FluentValue::from("x")),
                ("who", FluentValue::from("x")),
                // consent.ftl
                ("provider", FluentValue::from("x")),
                // directory.ftl, partners.ftl
                ("partner", FluentValue::from("x")),
                ("place", FluentValue::from("x")),
                ("reference", FluentValue::from("x")),
                // workforce.ftl
                ("username", FluentValue::from("x")),
                ("problem", FluentValue::from("x")),
                ("language", FluentValue::from("x")),
                ("id", FluentValue::from("x")),
                ("code", FluentValue::from("x")),
                ("hours", FluentValue::from(2)),
                ("start", FluentValue::from(2)),
                ("leavers", FluentValue::from(2)),
                ("end", FluentValue::from(2)),
                // people.ftl: the search's paging bound, the duplicate check's name length
                ("max", FluentValue::from(2)),
                ("offset", FluentValue::from(2)),
            ];
            for key in en.keys() {
                assert_ne!(t.t_with(key, &args), *key, "{code}: {key} does not resolve");
            }
        }
        assert_eq!(Translator::new(Some("xx")).lang(), "tk");
        assert_eq!(Translator::new(Some("ru")).t("sign-in"), "Войти");
        assert_eq!(Translator::new(None).t("sign-in"), "Ulgama girmek");
        assert!(Translator::new(Some("en"))
            .t_with("people-count", &[("count", 1.into())])
            .contains("1 person"));
    }
}
