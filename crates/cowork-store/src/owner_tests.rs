use super::*;

const SLEEP_STAT: &str = "4242 (sleep) S 1 4242 4242 0 -1 4194304 93 0 0 0 0 0 0 0 20 0 1 0 \
                          987654 8294400 198 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 \
                          0 0 0 0 0";

#[test]
fn start_time_is_field_twenty_two() {
    let stat = parse_stat(SLEEP_STAT).unwrap();
    assert_eq!(stat.start_time, 987_654);
    assert!(!stat.zombie);
}

#[test]
fn a_command_name_with_spaces_and_parentheses_does_not_shift_fields() {
    let tricky = SLEEP_STAT.replace("(sleep)", "(my (evil) name) S )");
    // The last `)` ends the name, so the fake state inside it is ignored.
    let stat = parse_stat(&tricky).unwrap();
    assert_eq!(stat.start_time, 987_654);
}

#[test]
fn a_zombie_is_recognised() {
    let zombie = SLEEP_STAT.replace(") S ", ") Z ");
    assert!(parse_stat(&zombie).unwrap().zombie);
}

#[test]
fn a_truncated_stat_line_is_an_error_not_a_panic() {
    assert!(parse_stat("4242 (sleep) S 1 2").is_err());
    assert!(parse_stat("garbage").is_err());
    assert!(parse_stat("").is_err());
}

#[test]
fn the_current_process_is_alive() {
    let me = Owner::current().unwrap();
    assert_eq!(me.pid, std::process::id());
    assert!(me.is_alive());
}

#[test]
fn the_current_pid_with_another_start_time_is_not_the_owner() {
    let me = Owner::current().unwrap();
    if me.start_time == 0 {
        // No procfs: only the pid can be checked.
        return;
    }
    let impostor = Owner {
        pid: me.pid,
        start_time: me.start_time + 1,
    };
    assert!(!impostor.is_alive());
}
