//! Benchmark (not a test): Weir's deploy and stop-with-savepoint against the raw Flink REST calls, alternated
//! on the same real cluster in one run. Prints each sample, the medians and the ratios (target: Weir within
//! 1.10x of raw Flink).
//!
//! Run with `make bench` (starts a local Flink; or set WEIR_BENCH_FLINK_URL). Iterations: WEIR_BENCH_ROUNDS (6).
//! - raw deploy: POST /jars/{id}/run (jar already uploaded) -> poll /jobs/overview until RUNNING, all tasks up
//! - Weir deploy: POST .../deploy -> the operation's `succeeded` event on Weir's event stream (it ends when Weir
//!   has observed the job RUNNING with all tasks up)
//! - raw stop: POST /jobs/{id}/stop -> poll the savepoint until COMPLETED and the job until FINISHED
//! - Weir stop: POST .../stop -> the operation's `succeeded` event
//! Both sides restore from their previous stop's savepoint, so each deploy does the same work; which side goes
//! first alternates from round to round. Raw polling uses the same 20 ms period as Weir's own.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

const POLL: Duration = Duration::from_millis(20);
const SQL: &str = "CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20', \
    'fields.k.min' = '1', 'fields.k.max' = '10');\n\
    CREATE TABLE snk (k INT, c BIGINT) WITH ('connector' = 'blackhole');\n\
    INSERT INTO snk SELECT k, COUNT(*) FROM src GROUP BY k;";

/// A typical 50-line job: two sources, a dimension lookup by join, a windowless aggregation, one sink.
const VALIDATE_SQL: &str = "-- orders enriched with customers, counted per country and status
SET 'pipeline.name' = 'orders-by-country';
CREATE TABLE orders (
  order_id BIGINT,
  customer_id INT,
  status STRING,
  amount DECIMAL(10, 2),
  currency STRING,
  created_at TIMESTAMP(3),
  WATERMARK FOR created_at AS created_at - INTERVAL '5' SECOND
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '10',
  'fields.customer_id.min' = '1',
  'fields.customer_id.max' = '100'
);
CREATE TABLE customers (
  customer_id INT,
  name STRING,
  country STRING,
  segment STRING,
  signup_date DATE
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '1'
);
CREATE TABLE revenue_by_country (
  country STRING,
  status STRING,
  orders BIGINT,
  revenue DECIMAL(38, 2),
  biggest DECIMAL(10, 2),
  PRIMARY KEY (country, status) NOT ENFORCED
) WITH (
  'connector' = 'blackhole'
);
INSERT INTO revenue_by_country
SELECT
  c.country,
  o.status,
  COUNT(*) AS orders,
  SUM(o.amount) AS revenue,
  MAX(o.amount) AS biggest
FROM orders AS o
JOIN customers AS c
  ON o.customer_id = c.customer_id
WHERE o.amount > 0 AND o.currency IS NOT NULL
GROUP BY
  c.country,
  o.status;
";

struct Client {
    http: reqwest::Client,
}

impl Client {
    async fn json(&self, req: reqwest::RequestBuilder) -> Value {
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "HTTP {status}: {body}");
        body
    }
    async fn get(&self, url: &str) -> Value {
        self.json(self.http.get(url)).await
    }
    async fn post(&self, url: &str, body: Value) -> Value {
        self.json(self.http.post(url).json(&body)).await
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

async fn raw_wait_up(c: &Client, flink: &str, jid: &str) {
    loop {
        let all = c.get(&format!("{flink}/jobs/overview")).await;
        let up = all["jobs"].as_array().into_iter().flatten().any(|j| {
            j["jid"] == jid && j["state"] == weir_model::FlinkJobState::Running.as_str() && j["tasks"]["running"] == j["tasks"]["total"] && j["tasks"]["total"] != 0
        });
        if up {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn raw_wait_state(c: &Client, flink: &str, jid: &str, state: &str) {
    loop {
        let all = c.get(&format!("{flink}/jobs/overview")).await;
        if all["jobs"].as_array().into_iter().flatten().any(|j| j["jid"] == jid && j["state"] == state) {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Ended operations (id -> status), fed by Weir's event stream.
#[derive(Clone, Default)]
struct Ended {
    map: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, String>>>,
    notify: std::sync::Arc<tokio::sync::Notify>,
}

impl Ended {
    async fn follow(self, base: String, token: String) {
        use futures::StreamExt;
        let resp = reqwest::Client::new().get(format!("{base}/api/v1/events")).bearer_auth(token).send().await.expect("event stream");
        let mut body = resp.bytes_stream();
        let mut text = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let message: String = text.drain(..end + 2).collect();
                let Some(data) = message.lines().find_map(|l| l.strip_prefix("data:")) else { continue };
                let Ok(event) = serde_json::from_str::<Value>(data.trim()) else { continue };
                let op = &event["operation"];
                if let (Some(id), Some(status)) = (op["id"].as_i64(), op["status"].as_str()) {
                    if status == "succeeded" || status == "failed" {
                        self.map.lock().expect("lock").insert(id, status.to_owned());
                        self.notify.notify_waiters();
                    }
                }
            }
        }
    }

    async fn wait(&self, accepted: Value) {
        let id = accepted["operation"].as_i64().expect("operation id");
        loop {
            let notified = self.notify.notified();
            if let Some(status) = self.map.lock().expect("lock").get(&id).cloned() {
                assert_eq!(status, "succeeded", "operation {id} failed");
                return;
            }
            notified.await;
        }
    }
}

#[tokio::main]
async fn main() {
    let flink = std::env::var("WEIR_BENCH_FLINK_URL").expect("WEIR_BENCH_FLINK_URL (make bench sets it)");
    let rounds: usize = std::env::var("WEIR_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let runner = root.join("runner/build/weir-sql-runner.jar");
    let sp_dir = format!("file://{}", dir.path().join("raw-savepoints").display());

    // Weir, in-process, on SQLite, with the same cluster.
    let mut config = weir::config::Config::default();
    config.server.data_dir = dir.path().join("weir");
    config.engine.runner_jar = runner.clone();
    config.clusters = vec![weir::config::ClusterDecl { name: "bench".into(), kind: "flink-session".into(), rest_url: Some(flink.clone()), settings: None }];
    config.environments = vec![weir::config::EnvironmentDecl { name: "dev".into(), cluster: "bench".into(), flink_config: Default::default(), prometheus_url: None }];
    config.finish();
    let app = weir::server::build(&config).await.expect("build weir");
    app.engine.start_background().await.expect("start weir");
    // Weir's calls carry an administrator's API token (Flink ignores the header).
    app.engine.bootstrap_admin("bench", "bench-password-123").await.expect("administrator");
    let new = weir_engine::access::tokens::NewToken { name: "bench".into(), user: Some("bench".into()), ..Default::default() };
    let token = app.engine.create_token(&weir_engine::Caller::system(), new).await.expect("token").token;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().expect("header"));
    let c = Client { http: reqwest::Client::builder().default_headers(headers).build().expect("client") };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app.router).await });
    c.post(&format!("{base}/api/v1/namespaces/default/jobs"), json!({"name": "bench", "kind": "sql"})).await;
    c.post(&format!("{base}/api/v1/namespaces/default/jobs/bench/versions"), json!({"sql": SQL})).await;
    let dep = format!("{base}/api/v1/namespaces/default/jobs/bench/deployments/dev");
    let ended = Ended::default();
    tokio::spawn(ended.clone().follow(base.clone(), token.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await; // subscribed before the first operation

    // Raw: the same runner jar, uploaded once.
    let bytes = std::fs::read(&runner).expect("runner jar (run scripts/setup)");
    let part = reqwest::multipart::Part::bytes(bytes).file_name("weir-sql-runner.jar");
    let up = c.json(c.http.post(format!("{flink}/jars/upload")).multipart(reqwest::multipart::Form::new().part("jarfile", part))).await;
    let jar = up["filename"].as_str().and_then(|f| f.rsplit('/').next()).expect("jar id").to_owned();
    let args = vec![
        "--mode".to_string(),
        "streaming".into(),
        "--script".into(),
        base64::engine::general_purpose::STANDARD.encode(SQL),
    ];

    let (mut raw_deploy, mut weir_deploy, mut raw_stop, mut weir_stop) = (vec![], vec![], vec![], vec![]);
    let mut raw_savepoint: Option<String> = None;
    println!("round  raw-deploy  weir-deploy  raw-stop  weir-stop   (seconds; odd rounds raw first)");
    for round in 1..=rounds {
        let raw_first = round % 2 == 1;
        let (mut rd, mut wd, mut rs, mut ws) = (0.0, 0.0, 0.0, 0.0);
        let mut jid = String::new();
        for side in [raw_first, !raw_first] {
            if side {
                // Raw deploy.
                let t = Instant::now();
                let mut body = json!({"programArgsList": args, "flinkConfiguration": {"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION"}});
                if let Some(sp) = &raw_savepoint {
                    body["savepointPath"] = json!(sp);
                }
                let run = c.post(&format!("{flink}/jars/{jar}/run"), body).await;
                jid = run["jobid"].as_str().expect("jobid").to_owned();
                raw_wait_up(&c, &flink, &jid).await;
                rd = t.elapsed().as_secs_f64();
            } else {
                // Weir deploy.
                let t = Instant::now();
                let accepted = c.post(&format!("{dep}/deploy"), json!({})).await;
                ended.wait(accepted).await;
                wd = t.elapsed().as_secs_f64();
            }
        }

        // Both jobs settle before they are stopped.
        tokio::time::sleep(Duration::from_secs(6)).await;

        for side in [raw_first, !raw_first] {
            if side {
                // Raw stop with savepoint.
                let t = Instant::now();
                let trig = c.post(&format!("{flink}/jobs/{jid}/stop"), json!({"targetDirectory": sp_dir, "drain": false})).await;
                let trigger = trig["request-id"].as_str().expect("trigger").to_owned();
                let location = loop {
                    let s = c.get(&format!("{flink}/jobs/{jid}/savepoints/{trigger}")).await;
                    if s["status"]["id"] == "COMPLETED" {
                        break s["operation"]["location"].as_str().expect("savepoint location").to_owned();
                    }
                    tokio::time::sleep(POLL).await;
                };
                raw_wait_state(&c, &flink, &jid, "FINISHED").await;
                rs = t.elapsed().as_secs_f64();
                raw_savepoint = Some(location);
            } else {
                // Weir stop with savepoint.
                let t = Instant::now();
                let accepted = c.post(&format!("{dep}/stop"), json!({})).await;
                ended.wait(accepted).await;
                ws = t.elapsed().as_secs_f64();
            }
        }

        println!("{round:>5}  {rd:>10.3}  {wd:>11.3}  {rs:>8.3}  {ws:>9.3}");
        raw_deploy.push(rd);
        weir_deploy.push(wd);
        raw_stop.push(rs);
        weir_stop.push(ws);
    }
    let (rd, wd, rs, ws) = (median(&mut raw_deploy), median(&mut weir_deploy), median(&mut raw_stop), median(&mut weir_stop));

    // SQL validation by the long-lived planner JVM, once warm: a 50-line script.
    let script = VALIDATE_SQL.to_string();
    assert_eq!(script.lines().count(), 50);
    let mut validate = vec![];
    for i in 0..12 {
        let t = Instant::now();
        let check = c.post(&format!("{base}/api/v1/sql/validate"), json!({"sql": script})).await;
        assert_eq!(check["valid"], true, "{check}");
        if i >= 2 {
            validate.push(t.elapsed().as_secs_f64() * 1000.0); // the first calls warm the JVM up
        }
    }
    let vm = median(&mut validate);
    // Its column lineage alone (the parser and Weir's walker over the planner's tree, no optimizer), as the
    // editor's preview and a version saved without a planner at hand get it.
    let mut lineage = vec![];
    for i in 0..12 {
        let t = Instant::now();
        let check = c.post(&format!("{base}/api/v1/sql/validate"), json!({"sql": script, "plans": false})).await;
        assert!(check["lineage"]["outputs"].as_array().is_some_and(|o| !o.is_empty()), "{check}");
        if i >= 2 {
            lineage.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let lm = median(&mut lineage);
    println!();
    println!("median SQL validation of a 50-line script (warm, with lineage): {vm:.0} ms (aim: under 300 ms)");
    println!("median column lineage of the same script (warm, no plans): {lm:.0} ms (goal: under 500 ms); {:.2}x of the full check", lm / vm);
    println!("median deploy:              raw {rd:.3}s   weir {wd:.3}s   ratio {:.3}x (target <= 1.10x)", wd / rd);
    println!("median stop-with-savepoint: raw {rs:.3}s   weir {ws:.3}s   ratio {:.3}x (target <= 1.10x)", ws / rs);
}
