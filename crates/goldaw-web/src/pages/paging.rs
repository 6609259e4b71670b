//! The way to the next page of a list (issue #24), the same on every page: the store returns a
//! keyset cursor (`next`), the page links to itself with `after=` that cursor and the filters it
//! was drawn with. The link is built here, escaped once, so no page pastes a cursor into a URL.

/// A link to the next page of `path`, keeping `filters` (name, value; empty values dropped).
pub(crate) fn next_link(
    path: &str,
    filters: &[(&str, &str)],
    next: Option<&str>,
) -> Option<String> {
    let next = next?;
    let mut query: Vec<String> = filters
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    query.push(format!("after={}", encode(next)));
    Some(format!("{path}?{}", query.join("&")))
}

/// Percent-encodes everything but unreserved characters.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_keeps_filters_and_escapes() {
        assert_eq!(next_link("/tasks", &[], None), None);
        assert_eq!(
            next_link("/cases", &[("show", "mine"), ("q", "")], Some("ab.cd")).unwrap(),
            "/cases?show=mine&after=ab.cd"
        );
        assert_eq!(
            next_link("/audit", &[("actor", "a b&c")], Some("1")).unwrap(),
            "/audit?actor=a%20b%26c&after=1"
        );
    }
}
