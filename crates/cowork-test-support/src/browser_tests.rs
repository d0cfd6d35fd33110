use super::*;

#[test]
fn the_port_is_read_from_chromedrivers_start_line() {
    assert_eq!(
        port_in("ChromeDriver was started successfully on port 39383."),
        Some(39383)
    );
    assert_eq!(
        port_in("Starting ChromeDriver 156.0.8078.114 (ea19f97) on port 0"),
        None
    );
    assert_eq!(port_in("Only local connections are allowed."), None);
}

#[test]
fn a_program_missing_from_path_is_not_found() {
    assert_eq!(find_on_path(&["cowork-no-such-program-anywhere"]), None);
    // `sh` is on every PATH this runs on.
    assert!(find_on_path(&["cowork-no-such-program", "sh"]).is_some());
}
