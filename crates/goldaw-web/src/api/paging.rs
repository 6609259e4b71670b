//! Paging in the API for the lists that answer a JSON array (issue #24): the next page is named
//! in a `Link` header (RFC 8288, `rel="next"`), so clients that read the array as before keep
//! working and those that page follow the link. The lists that answer an object say `next` in it
//! (`CasePage`, `TaskPage`).

use axum::http::{header, HeaderMap, HeaderValue};

/// The `Link` header naming the page after `next` (a cursor: hex digits and dots, so it goes
/// into the URL as it is) of the list at `path` (which may carry a query already).
pub(crate) fn next_page_link(path: &str, limit: Option<u32>, next: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some(next) = next else {
        return headers;
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    let limit = limit.map(|l| format!("&limit={l}")).unwrap_or_default();
    let cursor: String = next
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-' || *c == '_')
        .collect();
    if let Ok(v) =
        HeaderValue::from_str(&format!("<{path}{sep}after={cursor}{limit}>; rel=\"next\""))
    {
        headers.insert(header::LINK, v);
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_names_the_next_page_and_nothing_when_none() {
        assert!(next_page_link("/api/v1/x", None, None).is_empty());
        let h = next_page_link("/api/v1/x?status=sent", Some(10), Some("31.ab"));
        assert_eq!(
            h.get(header::LINK).unwrap(),
            "</api/v1/x?status=sent&after=31.ab&limit=10>; rel=\"next\""
        );
    }
}
