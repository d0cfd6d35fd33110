//! Who may talk to the daemon: token, cookie, CSRF, Origin, Host.

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN};

use super::harness::{TestServer, error_message, header, set_cookie};

#[tokio::test]
async fn api_request_without_a_token_is_401_with_a_json_error() {
    let t = TestServer::start().await;
    let response = t.anonymous(Method::GET, "/api/tasks").send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(header(response.headers(), "www-authenticate"), "Bearer");
    let message = error_message(response).await;
    assert!(message.contains("Authorization: Bearer"), "{message}");
}

#[tokio::test]
async fn page_without_a_session_is_401_with_the_login_page() {
    let t = TestServer::start().await;
    let response = t.anonymous(Method::GET, "/").send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(header(response.headers(), "content-type").starts_with("text/html"));
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Open the link <code>cowork serve</code> printed"),
        "{body}"
    );
}

#[tokio::test]
async fn every_route_but_health_and_login_needs_the_token() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    let closed = [
        (Method::GET, "/api/tasks".to_owned()),
        (Method::POST, "/api/tasks".to_owned()),
        (Method::GET, format!("/api/tasks/{id}")),
        (Method::GET, format!("/api/tasks/{id}/events")),
        (Method::POST, format!("/api/tasks/{id}/approvals/a1")),
        (Method::POST, format!("/api/tasks/{id}/cancel")),
        (Method::POST, format!("/api/tasks/{id}/messages")),
        (Method::POST, format!("/api/tasks/{id}/undo")),
        (Method::GET, format!("/api/tasks/{id}/files")),
        (Method::GET, format!("/api/files/preview?task={id}&path=/x")),
        (
            Method::GET,
            format!("/api/files/download?task={id}&path=/x"),
        ),
        (Method::GET, "/api/openapi.json".to_owned()),
        (Method::GET, "/api/session".to_owned()),
        (Method::GET, "/api/no-such-route".to_owned()),
        (Method::GET, "/".to_owned()),
        (Method::GET, "/some/page".to_owned()),
        (Method::POST, "/logout".to_owned()),
    ];
    for (method, path) in closed {
        let response = t.anonymous(method.clone(), &path).send().await.unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
    }
    let health = t
        .anonymous(Method::GET, "/api/health")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let probe = t
        .anonymous(Method::HEAD, "/api/health")
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    let login = t.anonymous(Method::GET, "/login").send().await.unwrap();
    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn bearer_token_works_and_a_wrong_one_is_401() {
    let t = TestServer::start().await;
    let response = t.api(Method::GET, "/api/tasks").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let wrong = t
        .anonymous(Method::GET, "/api/tasks")
        .bearer_auth("0".repeat(64))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let not_bearer = t
        .anonymous(Method::GET, "/api/tasks")
        .header(AUTHORIZATION, format!("Basic {}", t.server.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(not_bearer.status(), 401);
}

#[tokio::test]
async fn wrong_bearer_token_is_refused_even_with_a_valid_cookie() {
    let t = TestServer::start().await;
    let session = t.sign_in().await;
    let response = t
        .browser(&session, Method::GET, "/api/tasks")
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn token_link_sets_a_strict_http_only_cookie_and_redirects_the_token_away() {
    let t = TestServer::start().await;
    let response = t
        .anonymous(Method::GET, &format!("/?token={}", t.server.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(header(response.headers(), "location"), "/");
    assert_eq!(header(response.headers(), "cache-control"), "no-store");
    let cookie = set_cookie(&response);
    let port = t.server.port();
    assert!(
        cookie.starts_with(&format!("cowork_session_{port}=")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        !cookie.contains(t.server.token()),
        "the cookie is not the token"
    );
    let pair = cookie.split(';').next().unwrap();
    let home = t
        .anonymous(Method::GET, "/api/tasks")
        .header(COOKIE, pair)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
}

#[tokio::test]
async fn token_link_keeps_the_page_and_its_other_parameters() {
    let t = TestServer::start().await;
    let response = t
        .anonymous(
            Method::GET,
            &format!("/tasks/abc?tab=files&token={}&x=a%20b", t.server.token()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        header(response.headers(), LOCATION.as_str()),
        "/tasks/abc?tab=files&x=a+b"
    );
}

#[tokio::test]
async fn token_link_never_redirects_to_another_site() {
    // Regression: `//evil.example/` as a path would make `Location`
    // protocol-relative, an open redirect carrying a fresh session.
    let t = TestServer::start().await;
    let response = t
        .anonymous(
            Method::GET,
            &format!("//evil.example/?token={}", t.server.token()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = header(response.headers(), "location");
    assert!(
        location.starts_with('/') && !location.starts_with("//"),
        "{location}"
    );
}

#[tokio::test]
async fn token_link_never_redirects_to_another_site_by_backslash_either() {
    // Browsers read `/\\host` in a Location as `//host`. A URL parser
    // would turn the backslash into a slash first: send the bytes as is.
    let t = TestServer::start().await;
    let port = t.server.port();
    let token = t.server.token();
    for path in ["/\\evil.example/", "/\\/evil.example/", "//\\evil.example/"] {
        let head = t
            .raw(&format!(
                "GET {path}?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}"
            ))
            .await;
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .unwrap_or_default();
        let status = head.lines().next().unwrap_or_default();
        assert!(
            !status.contains("303") || location == "/evil.example/",
            "{path}: {head}"
        );
    }
}

#[tokio::test]
async fn bearer_scheme_name_is_case_insensitive() {
    let t = TestServer::start().await;
    let response = t
        .anonymous(Method::GET, "/api/tasks")
        .header(AUTHORIZATION, format!("bearer {}", t.server.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn token_link_with_a_wrong_token_shows_the_login_page_and_no_cookie() {
    let t = TestServer::start().await;
    let response = t
        .anonymous(Method::GET, "/?token=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("set-cookie").is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains("not this server"), "{body}");
}

#[tokio::test]
async fn posting_the_token_to_the_login_form_signs_in() {
    let t = TestServer::start().await;
    let response = t
        .anonymous(Method::POST, "/login")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("token={}", t.server.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let pair = set_cookie(&response).split(';').next().unwrap().to_owned();
    let listed = t
        .anonymous(Method::GET, "/api/tasks")
        .header(COOKIE, pair)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let wrong = t
        .anonymous(Method::POST, "/login")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("token=guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn cookie_post_without_csrf_is_refused_and_with_it_accepted() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    let session = t.sign_in().await;
    let path = format!("/api/tasks/{id}/messages");
    let body = serde_json::json!({"text": "also this"});

    let bare = t
        .browser(&session, Method::POST, &path)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
    assert!(error_message(bare).await.contains("X-CSRF-Token"));

    let wrong = t
        .browser(&session, Method::POST, &path)
        .header("x-csrf-token", "0".repeat(64))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);

    let right = t
        .browser(&session, Method::POST, &path)
        .header("x-csrf-token", &session.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 202);
    t.backend.with_task(&id, |task| {
        assert_eq!(task.messages, ["also this"]);
    });
}

#[tokio::test]
async fn every_state_changing_method_signed_in_by_cookie_needs_csrf() {
    let t = TestServer::start().await;
    let session = t.sign_in().await;
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let response = t
            .browser(&session, method.clone(), "/api/tasks")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method}");
    }
}

#[tokio::test]
async fn csrf_token_in_a_form_field_is_accepted_and_the_form_reaches_the_handler() {
    let t = TestServer::start().await;
    let session = t.sign_in().await;
    let without = t
        .browser(&session, Method::POST, "/logout")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("other=1")
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403);
    let with = t
        .browser(&session, Method::POST, "/logout")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("other=1&csrf={}", session.csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 303);
    assert!(set_cookie(&with).contains("Max-Age=0"));
    // Logged out: the old cookie no longer works.
    let after = t
        .browser(&session, Method::GET, "/api/tasks")
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn csrf_token_of_another_session_is_refused() {
    let t = TestServer::start().await;
    let ours = t.sign_in().await;
    let theirs = t.sign_in().await;
    let response = t
        .browser(&ours, Method::POST, "/logout")
        .header("x-csrf-token", &theirs.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn cross_site_form_post_is_refused_whatever_it_carries() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    let session = t.sign_in().await;
    let path = format!("/api/tasks/{id}/cancel");
    let with_cookie = t
        .browser(&session, Method::POST, &path)
        .header(ORIGIN, "http://evil.example")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("csrf={}", session.csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), 403);
    assert!(error_message(with_cookie).await.contains("cross-site"));
    let with_bearer = t
        .api(Method::POST, &path)
        .header(ORIGIN, "null")
        .send()
        .await
        .unwrap();
    assert_eq!(with_bearer.status(), 403);
    let other_port = t
        .api(Method::POST, &path)
        .header(ORIGIN, format!("http://127.0.0.1:{}", t.server.port() + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(other_port.status(), 403);
    t.backend.with_task(&id, |task| {
        assert_eq!(task.status, cowork_protocol::TaskStatus::Running);
    });
    // A page of ours says where it comes from, and passes.
    let same = t
        .browser(&session, Method::POST, &path)
        .header(ORIGIN, format!("http://127.0.0.1:{}", t.server.port()))
        .header("x-csrf-token", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 204);
}

#[tokio::test]
async fn token_from_another_data_dirs_server_json_is_refused() {
    let ours = TestServer::start().await;
    let other = TestServer::start().await;
    let other_info = cowork_server::ServerInfo::read(other.dir.path())
        .unwrap()
        .unwrap();
    assert_ne!(other_info.token, ours.server.token());
    let response = ours
        .anonymous(Method::GET, "/api/tasks")
        .bearer_auth(&other_info.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let link = ours
        .anonymous(Method::GET, &format!("/?token={}", other_info.token))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 401);
    // Nor does the other daemon's session cookie.
    let session = other.sign_in().await;
    let cookie = ours
        .anonymous(Method::GET, "/api/tasks")
        .header(
            COOKIE,
            session.cookie.replace(
                &format!("_{}=", other.server.port()),
                &format!("_{}=", ours.server.port()),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(cookie.status(), 401);
}

#[tokio::test]
async fn request_for_another_host_name_is_refused_even_with_the_token() {
    // DNS rebinding: a page on evil.example re-pointed at 127.0.0.1.
    let t = TestServer::start().await;
    let port = t.server.port();
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1:{}", port + 1),
        "localhost".to_owned(),
    ] {
        let response = t
            .api(Method::GET, "/api/tasks")
            .header(HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 421, "{host}");
        assert!(error_message(response).await.contains("answers only to"));
    }
    let health = t
        .anonymous(Method::GET, "/api/health")
        .header(HOST, format!("evil.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 421);
    let by_name = t
        .api(Method::GET, "/api/tasks")
        .header(HOST, format!("localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.status(), 200);
}

#[tokio::test]
async fn responses_carry_the_security_headers_refusals_included() {
    let t = TestServer::start().await;
    for response in [
        t.api(Method::GET, "/api/tasks").send().await.unwrap(),
        t.anonymous(Method::GET, "/").send().await.unwrap(),
        t.anonymous(Method::GET, "/login").send().await.unwrap(),
    ] {
        let headers = response.headers();
        let policy = header(headers, "content-security-policy");
        assert!(policy.starts_with("default-src 'self'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(header(headers, "x-content-type-options"), "nosniff");
        assert_eq!(header(headers, "referrer-policy"), "same-origin");
        assert_eq!(header(headers, "x-frame-options"), "DENY");
        assert!(headers.get("access-control-allow-origin").is_none());
    }
}

#[tokio::test]
async fn preflight_gets_no_cors_permission() {
    let t = TestServer::start().await;
    let response = t
        .anonymous(Method::OPTIONS, "/api/tasks")
        .header(ORIGIN, "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(!response.status().is_success());
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
