use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;

fn auth(bind: IpAddr) -> Auth {
    Auth::new(Secret::generate().unwrap(), bind, 4680)
}

#[test]
fn loopback_server_answers_to_its_loopback_names_only() {
    let auth = auth(IpAddr::V4(Ipv4Addr::LOCALHOST));
    for host in [
        "127.0.0.1:4680",
        "localhost:4680",
        "LOCALHOST:4680",
        "[::1]:4680",
    ] {
        assert!(auth.host_allowed(host), "{host}");
    }
    for host in [
        "127.0.0.1:4681",
        "localhost",
        "evil.example:4680",
        "192.168.1.5:4680",
        "127.0.0.1.nip.io:4680",
    ] {
        assert!(!auth.host_allowed(host), "{host}");
    }
}

#[test]
fn server_on_every_interface_answers_to_ip_literals_but_never_to_a_name() {
    // DNS rebinding needs a name the attacker controls; a literal is safe.
    let auth = auth(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    assert!(auth.host_allowed("192.168.1.5:4680"));
    assert!(auth.host_allowed("[fe80::1]:4680"));
    assert!(!auth.host_allowed("192.168.1.5:80"));
    assert!(!auth.host_allowed("rebind.example:4680"));
}

#[test]
fn sessions_are_capped_and_the_oldest_goes_first() {
    let auth = auth(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let first = auth.start_session().unwrap();
    for _ in 0..MAX_SESSIONS {
        auth.start_session().unwrap();
    }
    let mut headers = HeaderMap::new();
    let pair = first.split(';').next().unwrap();
    headers.insert(header::COOKIE, HeaderValue::from_str(pair).unwrap());
    assert!(auth.session_for(&headers).is_none());
}

#[test]
fn cookie_of_another_port_is_not_this_servers_session() {
    let auth = auth(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let cookie = auth.start_session().unwrap();
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::COOKIE,
        HeaderValue::from_str(&format!("cowork_session_4681={value}")).unwrap(),
    );
    assert!(auth.session_for(&headers).is_none());
    headers.insert(
        header::COOKIE,
        HeaderValue::from_str(&format!("other=1; cowork_session_4680={value}")).unwrap(),
    );
    assert!(auth.session_for(&headers).is_some());
}
