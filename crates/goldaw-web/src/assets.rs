//! The pages' stylesheets and their one script, built into the binary and served under
//! `/static/`. The Content-Security-Policy (lib.rs) allows no inline `<style>`, `style=` or
//! script, so everything a page needs to look right or to act lives here.
//!
//! Unlike pages and API answers these hold no personal data and may be cached: the address carries
//! a version (`?v=`, a hash of all the files), so a browser keeps them for a year and fetches the
//! new ones the first time a page of a new release names them.
//!
//! A handful of files known at build time: a table and one handler are simpler than a static-file
//! service reading a folder at run time (and there is no folder to deploy next to the binary).

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const CSS: &str = "text/css; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        name: "base.css",
        content_type: CSS,
        body: include_str!("../static/base.css"),
    },
    Asset {
        name: "assessment.css",
        content_type: CSS,
        body: include_str!("../static/assessment.css"),
    },
    Asset {
        name: "planning.css",
        content_type: CSS,
        body: include_str!("../static/planning.css"),
    },
    Asset {
        name: "planning-plan.css",
        content_type: CSS,
        body: include_str!("../static/planning-plan.css"),
    },
    Asset {
        name: "planning-print.css",
        content_type: CSS,
        body: include_str!("../static/planning-print.css"),
    },
    Asset {
        name: "statistics.css",
        content_type: CSS,
        body: include_str!("../static/statistics.css"),
    },
    Asset {
        name: "dashboard.css",
        content_type: CSS,
        body: include_str!("../static/dashboard.css"),
    },
    Asset {
        name: "quick-exit.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../static/quick-exit.js"),
    },
    Asset {
        name: "back.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../static/back.js"),
    },
];

/// A hash of every file: one process serves one set, so the same hash names the same files.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = DefaultHasher::new();
    for a in ASSETS {
        a.name.hash(&mut h);
        a.body.hash(&mut h);
    }
    format!("{:016x}", h.finish())
});

/// The address of a file under `/static/`, with the version that lets browsers cache it.
/// Templates call it: `{{ crate::assets::href("base.css") }}`.
pub fn href(name: &str) -> String {
    format!("/static/{name}?v={}", *VERSION)
}

/// Cached for a year and never revalidated: a new version has a new address.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/static/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_FOREVER),
            ),
        ],
        a.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stylesheet and script a template names is served, and templates carry none inline
    /// (the Content-Security-Policy would block it).
    #[test]
    fn templates_name_only_served_files_and_inline_nothing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut named = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let file = path.display();
            for forbidden in ["<style", "style=", "javascript:"] {
                assert!(!text.contains(forbidden), "{file} has {forbidden}");
            }
            for tag in text.split("<script").skip(1) {
                let tag = tag.split('>').next().unwrap();
                assert!(tag.contains(" src="), "{file} has an inline script");
            }
            // Inline event handlers: onclick=, onchange=, ...
            let lower = text.to_lowercase();
            for (i, _) in lower.match_indices(" on") {
                let rest = &lower[i + 3..];
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase())
                    .collect();
                assert!(
                    !rest[word.len()..].starts_with('='),
                    "{file} has an inline handler on{word}="
                );
            }
            for part in text.split("crate::assets::href(\"").skip(1) {
                let name = part.split('"').next().unwrap();
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{file} names {name}, which is not served"
                );
                named += 1;
            }
        }
        assert!(named >= ASSETS.len(), "every file is used: {named}");
    }
}
