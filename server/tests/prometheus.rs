//! `GET /metrics` for a Prometheus scraper: the `metrics` token scope (and what it may not do), the exposition's
//! figures, and a real Prometheus (Debian's `prometheus`, installed by scripts/setup) scraping a running Weir and
//! answering a PromQL query with a deployment's sampled figure.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

async fn scrape(base: &str, token: Option<&str>) -> (u16, String, String) {
    let mut req = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("GET /metrics");
    let status = res.status().as_u16();
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_metrics_token_reads_metrics_and_nothing_else() {
    let s = common::server(|_| {}).await;
    let api = s.api();
    let created = api.post_ok("/api/v1/tokens", json!({"name": "scraper", "scope": "metrics"}), 201).await;
    assert_eq!(created["info"]["scope"], "metrics", "{created}");
    let token = created["token"].as_str().expect("secret").to_owned();

    // The first reconciler pass has looked at the cluster by the time the server answers requests.
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let (status, kind, text) = scrape(&s.base, Some(&token)).await;
        assert_eq!(status, 200, "{text}");
        assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
        if text.contains("weir_cluster_reachable{cluster=\"local\"} 1") {
            break text;
        }
        assert!(Instant::now() < deadline, "the local cluster is not reported reachable: {text}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // (A family with no series yet — no deployment, no finished operation — is left out.)
    for family in [
        "# TYPE weir_operations_in_flight gauge",
        "# TYPE weir_reconciler_pass_duration_seconds histogram",
        "weir_reconciler_pass_duration_seconds_count{cluster=\"local\"}",
        "weir_status_lag_seconds{cluster=\"local\"}",
        "weir_database_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(family), "missing {family:?} in:\n{text}");
    }

    // The scope keeps the token to /metrics.
    let scraper = common::Api::new(&s.base).with_token(&token);
    for path in ["/api/v1/clusters", "/api/v1/namespaces", "/api/v1/namespaces/default/jobs", "/api/v1/tokens"] {
        let (st, body) = scraper.call(Method::GET, path, None).await;
        assert_eq!(st, 403, "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("metrics"), "{path}: {body}");
    }
    let (st, _) = scraper.call(Method::POST, "/api/v1/namespaces/default/jobs", Some(json!({"name": "x", "kind": "sql"}))).await;
    assert_eq!(st, 403);

    // Nobody: 401; a user who is not an administrator: 403, whatever their token.
    assert_eq!(scrape(&s.base, None).await.0, 401);
    let viewer = s.user_with_role("vera", Some(("default", "viewer"))).await;
    assert_eq!(scrape(&s.base, Some(&viewer)).await.0, 403);
    let vera = common::Api::new(&s.base).with_token(&viewer);
    let (st, body) = vera.call(Method::POST, "/api/v1/tokens", Some(json!({"name": "mine", "scope": "metrics"}))).await;
    assert_eq!(st, 403, "only an administrator's token may read every namespace's figures: {body}");

    // Bad input: a scope that does not exist, a metrics token bound to a namespace; nothing is created.
    let before = api.get("/api/v1/tokens").await.as_array().map(Vec::len);
    let (st, body) = api.call(Method::POST, "/api/v1/tokens", Some(json!({"name": "x", "scope": "everything"}))).await;
    assert_eq!(st, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("metrics"), "names the valid scopes: {body}");
    let (st, body) = api
        .call(Method::POST, "/api/v1/tokens", Some(json!({"name": "x", "scope": "metrics", "namespace": "default", "role": "viewer"})))
        .await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(api.get("/api/v1/tokens").await.as_array().map(Vec::len), before);
}

/// A Prometheus server for one test, killed when dropped.
struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A Prometheus scraping Weir's `/metrics` with a token.
fn scraping_weir(target: &str, token: &str) -> Prometheus {
    start_prometheus(&format!(
        "  - job_name: weir\n    authorization:\n      type: Bearer\n      credentials: {token}\n    \
         static_configs:\n      - targets: ['{target}']\n"
    ))
}

/// `scrape_configs`: the YAML list's items.
fn start_prometheus(scrape_configs: &str) -> Prometheus {
    let binary = "/usr/bin/prometheus";
    assert!(
        std::path::Path::new(binary).exists(),
        "{binary} is missing: scripts/setup --browser installs Debian's prometheus (make test runs it)"
    );
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = format!("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n{scrape_configs}");
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).expect("write prometheus.yml");
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config_path.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    Prometheus { child, url: format!("http://127.0.0.1:{port}"), _dir: dir }
}

/// Asks Prometheus a PromQL query until it answers a non-empty vector, within `secs`.
async fn query_until(prom: &Prometheus, promql: &str, secs: u64) -> Vec<Value> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = String::new();
    loop {
        if let Ok(res) = client.get(format!("{}/api/v1/query", prom.url)).query(&[("query", promql)]).send().await {
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if let Some(found) = body["data"]["result"].as_array().filter(|r| !r.is_empty()) {
                return found.clone();
            }
            last = body.to_string();
        }
        assert!(Instant::now() < deadline, "Prometheus has no answer to {promql} after {secs} s; last: {last}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_real_prometheus_scrapes_weir() {
    let s = common::server(|c| c.engine.metrics_interval_s = 1).await;
    let api = s.api();
    let token = api.post_ok("/api/v1/tokens", json!({"name": "prometheus", "scope": "metrics"}), 201).await["token"]
        .as_str()
        .expect("secret")
        .to_owned();
    let jobs = "/api/v1/namespaces/default/jobs";
    api.post_ok(jobs, json!({"name": "scraped", "kind": "sql"}), 201).await;
    api.post_ok(&format!("{jobs}/scraped/versions"), json!({"sql": common::stateful_sql("p"), "message": "v1"}), 201).await;
    let dep = format!("{jobs}/scraped/deployments/dev");
    api.act(&format!("{dep}/deploy"), json!({})).await;

    let prom = scraping_weir(s.base.trim_start_matches("http://"), &token);
    // Weir's own health, read back through PromQL: the scrape is authorised and the format is accepted.
    let up = query_until(&prom, "up{job=\"weir\"} == 1", 60).await;
    assert_eq!(up[0]["value"][1], "1", "{up:?}");
    let reachable = query_until(&prom, "weir_cluster_reachable{cluster=\"local\"}", 30).await;
    assert_eq!(reachable[0]["value"][1], "1", "{reachable:?}");
    let running = query_until(&prom, "weir_deployments{observed_state=\"RUNNING\",desired_state=\"running\"}", 60).await;
    assert!(running[0]["value"][1].as_str().and_then(|v| v.parse::<f64>().ok()).is_some_and(|v| v >= 1.0), "{running:?}");

    let deploys = query_until(&prom, "weir_operations_finished_total{kind=\"deploy\",status=\"succeeded\"}", 30).await;
    assert_eq!(deploys[0]["value"][1], "1", "{deploys:?}");
    query_until(&prom, "weir_operation_duration_seconds_count{kind=\"deploy\"} == 1", 30).await;

    // A sampled figure of the deployment, labelled with where it runs (Prometheus keeps its own `job` label,
    // the scrape job's, and renames Weir's to `exported_job` unless the scrape config honours labels).
    let restarts = query_until(&prom, "weir_job_restarts{exported_job=\"scraped\",vertex=\"\"}", 90).await;
    let labels = &restarts[0]["metric"];
    assert_eq!(labels["namespace"], "default", "{labels}");
    assert_eq!(labels["environment"], "dev", "{labels}");
    assert_eq!(labels["version"], "1", "{labels}");
    assert_eq!(restarts[0]["value"][1], "0", "{restarts:?}");
    let busy = query_until(&prom, "max by (vertex) (weir_job_busy_ratio{exported_job=\"scraped\",vertex!=\"\"})", 60).await;
    assert!(!busy.is_empty(), "per-vertex figures are exported too");

    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}

/// The ports of the shared test Flink's Prometheus reporter (scripts/test starts it with them).
fn flink_reporter_targets() -> Vec<String> {
    let ports = std::env::var("WEIR_TEST_FLINK_PROMETHEUS_PORTS").unwrap_or_else(|_| {
        panic!("WEIR_TEST_FLINK_PROMETHEUS_PORTS is not set: run the tests with `make test` (scripts/test)")
    });
    let (a, b) = ports.split_once('-').unwrap_or((ports.as_str(), ports.as_str()));
    let (a, b): (u16, u16) = (a.trim().parse().expect("first port"), b.trim().parse().expect("last port"));
    (a..=b).map(|p| format!("localhost:{p}")).collect()
}

#[tokio::test]
async fn an_environment_reads_its_history_from_its_prometheus() {
    let targets = flink_reporter_targets().iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
    let prom = start_prometheus(&format!("  - job_name: flink\n    static_configs:\n      - targets: [{targets}]\n"));
    let prom_url = prom.url.clone();
    let s = common::server(move |c| {
        c.engine.metrics_interval_s = 1;
        c.environments.push(weir::config::EnvironmentDecl {
            name: "observed".into(),
            cluster: "local".into(),
            flink_config: Default::default(),
            prometheus_url: Some(prom_url),
        })
    })
    .await;
    let api = s.api();
    let envs = api.get("/api/v1/environments").await;
    let observed = envs.as_array().into_iter().flatten().find(|e| e["name"] == "observed").expect("environment");
    assert_eq!(observed["prometheus_url"], prom.url.as_str(), "{observed}");

    // Bad input: not an http(s) URL; nothing is created.
    let (st, body) = api
        .call(Method::POST, "/api/v1/environments", Some(json!({"name": "bad", "cluster": "local", "prometheus_url": "ftp://x"})))
        .await;
    assert_eq!(st, 400, "{body}");
    assert!(api.get("/api/v1/environments").await.as_array().is_some_and(|l| l.iter().all(|e| e["name"] != "bad")));

    // PATCH: a bad URL, an unknown field and an unknown environment are refused and change nothing; null
    // stops reading from Prometheus, a URL starts again.
    let env = "/api/v1/environments/observed";
    for (body, want) in [(json!({"prometheus_url": "ftp://x"}), 400), (json!({"colour": "red"}), 422)] {
        let (st, answer) = api.call(Method::PATCH, env, Some(body)).await;
        assert_eq!(st, want, "{answer}");
    }
    let (st, _) = api.call(Method::PATCH, "/api/v1/environments/nowhere", Some(json!({}))).await;
    assert_eq!(st, 404);
    let (st, answer) = api.call(Method::PATCH, env, Some(json!({"prometheus_url": null}))).await;
    assert_eq!((st, answer["prometheus_url"].clone()), (200, Value::Null), "{answer}");
    let (st, answer) = api.call(Method::PATCH, env, Some(json!({"prometheus_url": format!("{}/", prom.url)}))).await;
    assert_eq!((st, answer["prometheus_url"].as_str()), (200, Some(prom.url.as_str())), "{answer}");
    assert_eq!(answer["flink_config"], json!({}), "what was left out stays: {answer}");

    let jobs = "/api/v1/namespaces/default/jobs";
    api.post_ok(jobs, json!({"name": "reported", "kind": "sql"}), 201).await;
    api.post_ok(&format!("{jobs}/reported/versions"), json!({"sql": common::stateful_sql("r"), "message": "v1"}), 201).await;
    let (st, body) = api
        .call(Method::PUT, "/api/v1/namespaces/default/environments", Some(json!({"environments": ["dev", "observed"]})))
        .await;
    assert_eq!(st, 200, "{body}");
    let dep = format!("{jobs}/reported/deployments/observed");
    api.act(&format!("{dep}/deploy"), json!({})).await;

    // The metrics API answers from Prometheus: throughput, per-vertex busy ratio and restarts.
    let deadline = Instant::now() + Duration::from_secs(120);
    let answer = loop {
        let m = api.get(&format!("{dep}/metrics?names=records_in_per_s,busy_ratio,restarts,jm_heap_used_bytes,tm_metaspace_used_bytes")).await;
        let has = |name: &str, vertex: bool| {
            m["series"].as_array().into_iter().flatten().any(|s| {
                s["name"] == name && s["vertex"].is_string() == vertex && s["points"].as_array().is_some_and(|p| !p.is_empty())
            })
        };
        let memory = has("jm_heap_used_bytes", false) && has("tm_metaspace_used_bytes", false);
        if has("records_in_per_s", false) && has("busy_ratio", true) && has("restarts", false) && memory {
            break m;
        }
        assert!(Instant::now() < deadline, "no history from Prometheus after 120 s: {m}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let restarts = answer["series"].as_array().into_iter().flatten().find(|s| s["name"] == "restarts").expect("restarts");
    assert_eq!(restarts["points"][0][1], 0.0, "{restarts}");
    assert_eq!(restarts["unit"], "count");

    // Each TaskManager running the job has its own series (the reporter's tm_id) beside the busiest.
    let m = api.get(&format!("{dep}/metrics?names=tm_cpu_load")).await;
    let cpu: Vec<&Value> = m["series"].as_array().into_iter().flatten().collect();
    assert!(cpu.iter().any(|s| s["task_manager"].is_null()), "the busiest TaskManager's CPU: {m}");
    assert!(cpu.iter().any(|s| s["task_manager"].as_str().is_some_and(|t| !t.is_empty())), "each TaskManager's CPU: {m}");

    // Alert rules on measures read them from the same Prometheus: a checkpoint-age rule with threshold 0
    // holds as soon as Prometheus has the job's checkpoint figures, and fires.
    let (st, body) = api
        .call(
            Method::POST,
            "/api/v1/namespaces/default/alert-rules",
            Some(json!({"name": "prom-checkpoint-age", "job": "reported", "environment": "observed",
                        "condition": {"kind": "checkpoint_age", "threshold": 0, "for_s": 0}, "channels": []})),
        )
        .await;
    assert_eq!(st, 201, "{body}");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let alerts = api.get("/api/v1/alerts").await;
        let fired = alerts.as_array().into_iter().flatten().find(|a| a["rule"] == "prom-checkpoint-age").cloned();
        if let Some(a) = fired.filter(|a| a["state"] == "firing") {
            assert_eq!((a["job"].as_str(), a["environment"].as_str()), (Some("reported"), Some("observed")), "{a}");
            assert!(a["value"].as_str().is_some_and(|v| v.ends_with(" s")), "the age in seconds: {a}");
            break;
        }
        assert!(Instant::now() < deadline, "the rule on Prometheus' figures did not fire in 90 s: {alerts}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // Weir itself sampled nothing (this server's database holds only this deployment).
    let raw = s.engine.store().raw_points_since(0).await.expect("points");
    assert!(raw.is_empty(), "Weir sampled a deployment whose history is in Prometheus: {} points", raw.len());

    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}
