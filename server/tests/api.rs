//! The REST API over HTTP, served in-process on SQLite, with the real local Flink registered as `local`.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};
use weir::config::{ClusterDecl, Config, EnvironmentDecl};

struct Server {
    base: String,
    /// The administrator's API token.
    token: String,
    _dir: tempfile::TempDir,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut config = Config::default();
    config.server.data_dir = dir.path().to_owned();
    config.server.site_root = dir.path().join("site");
    config.clusters =
        vec![ClusterDecl { name: "local".into(), kind: "flink-session".into(), rest_url: Some(common::flink_url()), settings: None }];
    config.environments =
        vec![EnvironmentDecl { name: "dev".into(), cluster: "local".into(), flink_config: Default::default(), prometheus_url: None }];
    config.finish();
    let weir = weir::server::build(&config).await.expect("build the application");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let token = common::admin_token(&weir.engine).await;
    tokio::spawn(async move { axum::serve(listener, weir.router).await });
    Server { base: format!("http://{addr}"), token, _dir: dir }
}

impl Server {
    /// A request as the administrator.
    async fn call(&self, method: reqwest::Method, url: String, body: Option<String>) -> (StatusCode, Value) {
        call_as(Some(&self.token), method, url, body).await
    }
}

async fn call_as(token: Option<&str>, method: reqwest::Method, url: String, body: Option<String>) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

fn assert_error(status: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(!body["error"]["message"].as_str().unwrap_or_default().is_empty(), "a message: {body}");
}

#[tokio::test]
async fn health_reports_database_and_cluster() {
    let s = start().await;
    let (status, body) = s.call(reqwest::Method::GET, format!("{}/api/v1/health", s.base), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["backend"], "sqlite");
    assert_eq!(body["database"]["reachable"], true);
    assert_eq!(body["clusters"][0]["name"], "local");
    assert_eq!(body["clusters"][0]["reachable"], true, "{body}");
    assert!(body["clusters"][0]["flink_version"].as_str().unwrap_or_default().starts_with('2'), "{body}");
}

#[tokio::test]
async fn clusters_register_list_and_reject_bad_input() {
    let s = start().await;
    let url = format!("{}/api/v1/clusters", s.base);
    let post = |b: Value| s.call(reqwest::Method::POST, url.clone(), Some(b.to_string()));

    let (st, body) = post(json!({"name": "Bad", "kind": "flink-session", "rest_url": "http://x"})).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "invalid_request");
    // A kind's settings are checked by the engine: the message names the missing setting.
    let (st, body) = post(json!({"name": "x", "kind": "flink-session"})).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("rest_url"), "{body}");
    let (st, body) = post(json!({"name": "x", "kind": "flink-session", "rest_url": "http://x", "extra": 1})).await;
    assert_error(st, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let (st, body) = s.call(reqwest::Method::POST, url.clone(), Some("{not json".into())).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let (st, body) = s.call(reqwest::Method::POST, url.clone(), Some(big)).await;
    assert_error(st, &body, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let (st, body) = post(json!({"name": "local", "kind": "flink-session", "rest_url": "http://elsewhere:8081"})).await;
    assert_error(st, &body, StatusCode::CONFLICT, "conflict");

    let (_, list) = s.call(reqwest::Method::GET, url.clone(), None).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "refused requests wrote nothing: {list}");
    assert_eq!(list[0]["rest_url"], common::flink_url().trim_end_matches('/'));

    let (st, body) = post(json!({"name": "down", "kind": "flink-session", "rest_url": "http://127.0.0.1:9"})).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let (st, body) = s.call(reqwest::Method::GET, format!("{url}/down"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["reachable"], false);
    let (st, body) = s.call(reqwest::Method::GET, format!("{url}/down/overview"), None).await;
    assert_error(st, &body, StatusCode::BAD_GATEWAY, "cluster_error");
    let (st, body) = s.call(reqwest::Method::GET, format!("{url}/local/overview"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body["slots_total"].as_u64().unwrap_or(0) >= 1, "{body}");
    let (st, body) = s.call(reqwest::Method::GET, format!("{url}/nope"), None).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not_found");

    // TaskManager metrics, read from Flink's metrics. Flink fetches metrics lazily (every 10 s by default), so
    // on a young cluster the first answers have slots but no figures yet.
    let started = std::time::Instant::now();
    let body = loop {
        let (st, body) = s.call(reqwest::Method::GET, format!("{url}/local/metrics"), None).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        if body[0]["heap_used_bytes"].is_u64() && body[0]["cpu_load"].is_f64() {
            break body;
        }
        assert!(body[0]["slots_total"].as_u64().unwrap_or(0) >= 1, "{body}");
        assert!(started.elapsed().as_secs() < 60, "no TaskManager metrics after 60 s: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let tm = &body[0];
    assert!(tm["slots_total"].as_u64().unwrap_or(0) >= 1, "{body}");
    assert!(tm["heap_used_bytes"].as_u64().unwrap_or(0) > 0, "{body}");
    assert!(tm["heap_max_bytes"].as_u64().unwrap_or(0) >= tm["heap_used_bytes"].as_u64().unwrap_or(0), "{body}");
    let cpu = tm["cpu_load"].as_f64().expect("CPU load");
    assert!((0.0..=1.0).contains(&cpu), "{body}");
    let (st, body) = s.call(reqwest::Method::GET, format!("{url}/down/metrics"), None).await;
    assert_error(st, &body, StatusCode::BAD_GATEWAY, "cluster_error");
}

#[tokio::test]
async fn environments_and_unknown_routes() {
    let s = start().await;
    let url = format!("{}/api/v1/environments", s.base);
    let (st, body) = s.call(reqwest::Method::POST, url.clone(), Some(json!({"name": "prod", "cluster": "nope"}).to_string())).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not_found");
    let (st, body) = s.call(reqwest::Method::POST, url.clone(), Some(json!({"name": "dev", "cluster": "local"}).to_string())).await;
    assert_error(st, &body, StatusCode::CONFLICT, "conflict");
    let (st, body) = s.call(
        reqwest::Method::POST,
        url.clone(),
        Some(json!({"name": "prod", "cluster": "local", "flink_config": {"parallelism.default": 4}}).to_string()),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["flink_config"]["parallelism.default"], "4");
    let (_, list) = s.call(reqwest::Method::GET, url, None).await;
    let names: Vec<&str> = list.as_array().into_iter().flatten().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, vec!["dev", "prod"]);

    let (st, body) = s.call(reqwest::Method::GET, format!("{}/api/v1/no-such-thing", s.base), None).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn dashboard_is_rendered_on_the_server() {
    let s = start().await;
    // Nobody signed in: the page asks to log in first.
    let anonymous = reqwest::get(format!("{}/", s.base)).await.expect("page");
    assert_eq!(anonymous.url().path(), "/login", "redirected to the login page");
    let (_, cookie) = common::Api::login(&s.base, common::ADMIN, common::ADMIN_PASSWORD, false).await;
    let client = reqwest::Client::new();
    let page = |path: &str| client.get(format!("{}{path}", s.base)).header("cookie", &cookie).header("accept", "text/html").send();
    let resp = page("/").await.expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("html");
    assert!(html.contains("data-cluster=\"local\""), "the cluster card is in the server-rendered HTML");
    assert!(html.contains(">reachable<"), "the local cluster is shown reachable");
    assert!(html.contains("/pkg/weir.js"), "the page loads the hydration script");
    let missing = page("/no/such/page").await.expect("page");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// Every endpoint the OpenAPI document lists is routed (not the API's fallback, not 405), and the document is
/// served.
#[tokio::test]
async fn openapi_lists_exactly_the_routed_endpoints() {
    let s = start().await;
    let (status, doc) = s.call(reqwest::Method::GET, format!("{}/api/v1/openapi.json", s.base), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let client = reqwest::Client::new();
    for (method, path, ..) in weir::api::openapi::ENDPOINTS {
        if *path == "/events" {
            continue; // a stream; covered by the events test
        }
        let concrete = path
            .replace("{ns}", "default")
            .replace("{job}", "nojob")
            .replace("{env}", "dev")
            .replace("{name}", "local")
            .replace("{sha256}", "abc")
            .replace("{n}", "1")
            .replace("{a}", "1")
            .replace("{b}", "2")
            .replace("{id}", "999")
            .replace("{user}", "nobody");
        let url = format!("{}/api/v1{concrete}", s.base);
        let verb = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let req = match *method {
            "get" => client.get(&url),
            _ => client.request(verb, &url).header("content-type", "application/json").body("{}"),
        }
        .bearer_auth(&s.token);
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is not routed");
        assert!(!text.contains("no such API endpoint"), "{method} {path} fell through to the fallback");
        assert!(doc["paths"][format!("/api/v1{path}")][method].is_object(), "{method} {path} missing from the document");
    }
}
