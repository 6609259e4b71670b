//! The configuration the binary reads once and passes in (`ServeOptions`): the dashboard cache
//! from its setting, and the DHIS2 mapping from its file or the shipped one.

use goldaw_web::statistics_export::configured_mapping;
use goldaw_web::ServeOptions;
use std::time::Duration;

#[test]
fn the_dashboard_cache_takes_whole_seconds_and_falls_back_to_ten_minutes() {
    assert_eq!(
        ServeOptions::default().dashboard_cache,
        Duration::from_secs(600)
    );
    assert_eq!(
        ServeOptions::dashboard_cache_from(None),
        Duration::from_secs(600)
    );
    assert_eq!(
        ServeOptions::dashboard_cache_from(Some(" 30 ")),
        Duration::from_secs(30)
    );
    assert_eq!(
        ServeOptions::dashboard_cache_from(Some("0")),
        Duration::ZERO
    );
    assert_eq!(
        ServeOptions::dashboard_cache_from(Some("ten")),
        Duration::from_secs(600)
    );
    assert_eq!(
        ServeOptions::dashboard_cache_from(Some("-5")),
        Duration::from_secs(600)
    );
}

#[test]
fn the_dhis2_mapping_is_the_shipped_one_unless_a_file_is_named() {
    assert!(ServeOptions::default().dhis2_mapping.is_none());
    assert!(configured_mapping(None).is_ok());
    let missing = std::path::Path::new("/nonexistent/goldaw-dhis2-mapping.toml");
    let err = configured_mapping(Some(missing)).unwrap_err();
    assert!(err.contains("cannot be read"), "{err}");
}
