//! Lineage against the real planner: every construct's exact column mappings (fixtures in
//! tests/fixtures/lineage/, each script beside the answer the checker must give, on Flink 2.3 and 1.20), a
//! version's lineage through the API (stored with it; JAR versions declare theirs), and the cross-job graph:
//! two jobs chained through one filesystem path, what environments run, and other namespaces hidden.

mod common;

use std::path::PathBuf;

use serde_json::{json, Value};
use weir_engine::sql::{SqlValidator, ValidatorSetup};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lineage")
}

fn flink_home(version: &str) -> PathBuf {
    let mut config = weir::config::Config::default();
    config.finish();
    config.engine.flink_home.parent().expect("the Flink cache folder").join(format!("flink-{version}"))
}

fn validator(version: &str) -> SqlValidator {
    let jar = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../runner/build/{version}/weir-sql-runner.jar"));
    assert!(jar.exists(), "{} is missing: run scripts/setup (make test does)", jar.display());
    let lib = flink_home(version).join("lib");
    assert!(lib.exists(), "{} is missing: FLINK_VERSION={version} scripts/flink-local install", lib.display());
    SqlValidator::new(Some(ValidatorSetup { java: "java".into(), runner_jar: jar, flink_lib: lib }), weir_engine::sql::CHECK_TIMEOUT)
}

/// Each fixture's script, checked by the planner of `version`, gives exactly the fixture's lineage.
async fn check_fixtures(version: &str, only: Option<&[&str]>) {
    let v = validator(version);
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".sql").map(str::to_owned))
        .filter(|n| only.is_none_or(|o| o.contains(&n.as_str())))
        .collect();
    names.sort();
    assert!(names.len() >= if only.is_some() { 1 } else { 18 }, "fixtures: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let sql = std::fs::read_to_string(fixtures().join(format!("{name}.sql"))).expect("script");
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join(format!("{name}.json"))).expect("answer")).expect("json");
        let (check, answer) = v.check_with_lineage("streaming", &sql).await.expect("the checker answers");
        assert!(check.errors.is_empty(), "{name}: the planner refused the script: {:?}", check.errors);
        let got = serde_json::to_value(answer.expect("a lineage answer")).expect("json");
        if got != want {
            failures.push(format!("{name} (Flink {version}):\n  want {want}\n  got  {got}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), names.len(), failures.join("\n"));
}

#[tokio::test]
async fn the_planner_maps_every_construct_to_exact_column_sources() {
    check_fixtures("2.3.0", None).await;
}

#[tokio::test]
async fn flink_1_20_gives_the_same_lineage() {
    check_fixtures("1.20.5", Some(&["window_tvf", "watermark_table", "temporal_join", "over_window", "ctas", "same_column_names"]))
        .await;
}

/// A script the planner accepts but the lineage cannot be mapped for gets a reason, never a partial answer;
/// a script with errors gets none; and the checker keeps answering afterwards.
#[tokio::test]
async fn unmappable_and_broken_scripts_say_so_and_the_checker_lives_on() {
    let v = validator("2.3.0");
    let sql = std::fs::read_to_string(fixtures().join("match_recognize_error.sql")).expect("script");
    let (check, answer) = v.check_with_lineage("streaming", &sql).await.expect("answer");
    assert!(check.errors.is_empty(), "{:?}", check.errors);
    match answer {
        Some(weir_engine::lineage::planner::PlannerAnswer::Failed { error }) => {
            assert!(error.contains("MATCH_RECOGNIZE"), "{error}")
        }
        other => panic!("expected a failure with its reason, got {other:?}"),
    }
    let (check, answer) = v
        .check_with_lineage("streaming", "CREATE TABLE t (a INT) WITH ('connector'='datagen'); INSERT INTO nowhere SELECT a FROM t")
        .await
        .expect("answer");
    assert!(!check.errors.is_empty());
    assert!(answer.is_none(), "no lineage for a script with errors: {answer:?}");
    let sql = std::fs::read_to_string(fixtures().join("same_column_names.sql")).expect("script");
    let (_, answer) = v.check_with_lineage("streaming", &sql).await.expect("answer");
    assert!(matches!(answer, Some(weir_engine::lineage::planner::PlannerAnswer::Lineage(_))));
}

/// The two chained scripts with a path of this test's own, and rows slow enough not to fill the disk.
fn chain_sql(dir: &std::path::Path) -> (String, String) {
    let path = dir.join("events");
    let a = format!(
        "CREATE TABLE clicks (user_id BIGINT, url STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1');\n\
         CREATE TABLE events_out (user_id BIGINT, url STRING) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');\n\
         INSERT INTO events_out SELECT user_id, url FROM clicks;",
        path.display()
    );
    let b = format!(
        "CREATE TABLE events_in (user_id BIGINT, url STRING) WITH ('connector' = 'filesystem', 'path' = 'file://{}/', 'format' = 'csv');\n\
         CREATE TABLE url_counts (url STRING, hits BIGINT) WITH ('connector' = 'print');\n\
         INSERT INTO url_counts SELECT url, COUNT(user_id) FROM events_in WHERE user_id > 0 GROUP BY url;",
        path.display()
    );
    (a, b)
}

#[tokio::test]
async fn versions_keep_their_lineage_and_jobs_meet_at_shared_datasets() {
    let s = common::server(|_| {}).await;
    let api = s.api();
    let (a, b) = chain_sql(s.dir.path());
    let path = s.dir.path().join("events").display().to_string();
    api.post_ok("/api/v1/namespaces", json!({"name": "team"}), 201).await;
    api.post_ok("/api/v1/namespaces", json!({"name": "other"}), 201).await;
    for (ns, job, sql) in [("team", "writer", &a), ("team", "reader", &b), ("other", "spy", &b)] {
        api.post_ok(&format!("/api/v1/namespaces/{ns}/jobs"), json!({"name": job, "kind": "sql"}), 201).await;
        api.post_ok(&format!("/api/v1/namespaces/{ns}/jobs/{job}/versions"), json!({"sql": sql}), 201).await;
    }

    // One version's lineage, in the API's flat OpenLineage form.
    let l = api.get("/api/v1/namespaces/team/jobs/reader/versions/1/lineage").await;
    assert_eq!(l["inputs"][0]["namespace"], "file");
    assert_eq!(l["inputs"][0]["name"], path.as_str(), "file:// and the trailing slash are the same path: {l}");
    assert_eq!(l["inputs"][0]["table"], "default_catalog.default_database.events_in");
    assert_eq!(l["inputs"][0]["fields"][0], json!({"name": "user_id", "type": "BIGINT"}));
    let out = &l["outputs"][0];
    assert_eq!(out["namespace"], "weir://team/reader", "print writes nowhere others read: {out}");
    assert_eq!(
        out["columns"]["url"],
        json!([{"namespace": "file", "name": path, "field": "url", "type": "DIRECT", "subtype": "IDENTITY", "description": "url"}])
    );
    assert_eq!(out["columns"]["hits"][0]["subtype"], "AGGREGATION");
    assert_eq!(out["columns"]["hits"][0]["field"], "user_id");
    let indirect: Vec<String> =
        out["dataset"].as_array().expect("dataset").iter().map(|s| format!("{} {}", s["field"], s["subtype"])).collect();
    assert!(indirect.contains(&"\"user_id\" \"FILTER\"".to_owned()) && indirect.contains(&"\"url\" \"GROUP_BY\"".to_owned()), "{indirect:?}");
    // Stored with the version: the same answer again, and unknown versions are 404.
    assert_eq!(api.get("/api/v1/namespaces/team/jobs/reader/versions/1/lineage").await, l);
    let (st, body) = api.call(reqwest::Method::GET, "/api/v1/namespaces/team/jobs/reader/versions/9/lineage", None).await;
    assert_eq!(st, 404, "{body}");

    // The editor's check previews it.
    let (st, check) = api.post("/api/v1/sql/validate", json!({"sql": a})).await;
    assert_eq!(st, 200, "{check}");
    assert_eq!(check["lineage"]["outputs"][0]["name"], path.as_str());

    // JAR jobs declare theirs; without a declaration: 409 with the reason.
    api.post_ok("/api/v1/namespaces/team/jobs", json!({"name": "loader", "kind": "jar"}), 201).await;
    let sha = s.engine.store_artifact(&weir_engine::Caller::system(), "tiny.jar", tiny_jar()).await.expect("artifact").sha256;
    api.post_ok("/api/v1/namespaces/team/jobs/loader/versions", json!({"artifact": sha}), 201).await;
    let (st, body) = api.call(reqwest::Method::GET, "/api/v1/namespaces/team/jobs/loader/versions/1/lineage", None).await;
    assert_eq!(st, 409, "{body}");
    assert!(body.to_string().contains("declares no lineage"), "{body}");
    let declared = json!({
        "inputs": [{"namespace": "file", "name": path}],
        "outputs": [{"namespace": "postgres://db:5432", "name": "shop.public.events",
                     "columns": {"url": [{"namespace": "file", "name": path, "field": "url"}]}}]
    });
    let (st, body) = api
        .post("/api/v1/namespaces/team/jobs/loader/versions", json!({"artifact": sha, "lineage": {"inputs": [], "outputs": [{"namespace": "x", "name": "y", "columns": {"c": [{"namespace": "nope", "name": "z", "field": "f"}]}}]}}))
        .await;
    assert_eq!(st, 400, "a source that is not a declared input: {body}");
    assert!(body.to_string().contains("not among the declared inputs"), "{body}");
    api.post_ok("/api/v1/namespaces/team/jobs/loader/versions", json!({"artifact": sha, "lineage": declared}), 201).await;
    let l = api.get("/api/v1/namespaces/team/jobs/loader/versions/2/lineage").await;
    assert_eq!(l["outputs"][0]["columns"]["url"][0]["subtype"], "TRANSFORMATION");
    let (st, body) = api.post("/api/v1/namespaces/team/jobs/reader/versions", json!({"sql": b, "lineage": {"inputs": []}})).await;
    assert_eq!(st, 400, "SQL versions do not declare: {body}");

    // Deploy the writer to dev; the reader is saved, deployed nowhere.
    api.act("/api/v1/namespaces/team/jobs/writer/deployments/dev/deploy", json!({})).await;

    let key = format!("file|{path}");
    let g = api.get(&format!("/api/v1/lineage?dataset={}&direction=both&depth=2", urlencode(&key))).await;
    let node = |id: &str| g["nodes"].as_array().expect("nodes").iter().find(|n| n["id"] == id).cloned();
    let shared = node(&format!("dataset:{key}")).expect("the shared path is one dataset");
    let mut tables: Vec<&str> = shared["tables"].as_array().expect("tables").iter().filter_map(Value::as_str).collect();
    tables.sort();
    assert_eq!(tables, ["default_catalog.default_database.events_in", "default_catalog.default_database.events_out"]);
    let writer = node("job:team/writer").expect("the writer");
    assert_eq!(writer["deployed"], true);
    assert_eq!(writer["versions"], json!([{"environment": "dev", "version": 1}]));
    let reader = node("job:team/reader").expect("the reader");
    assert_eq!(reader["deployed"], false, "saved, deployed nowhere");
    assert!(node("job:team/loader").is_some(), "the JAR job's declared input meets the same dataset");
    assert!(node("job:other/spy").is_some(), "an administrator sees every namespace");
    let edges = g["edges"].as_array().expect("edges");
    let write = edges.iter().find(|e| e["from"] == "job:team/writer" && e["to"] == format!("dataset:{key}")).expect("writer -> path");
    let url = &write["columns"]["url"][0];
    assert_eq!((url["namespace"].as_str(), url["name"].as_str()), (Some("weir://team/writer"), Some("default_catalog.default_database.clicks")));
    assert!(edges.iter().any(|e| e["from"] == format!("dataset:{key}") && e["to"] == "job:team/reader"));
    assert!(g["nodes"].as_array().unwrap().iter().all(|n| n["position"]["x"].is_number()), "laid out");

    // Only what dev runs.
    let g = api.get(&format!("/api/v1/lineage?dataset={}&environment=dev", urlencode(&key))).await;
    let ids: Vec<&str> = g["nodes"].as_array().unwrap().iter().filter_map(|n| n["id"].as_str()).collect();
    assert!(ids.contains(&"job:team/writer") && !ids.contains(&"job:team/reader"), "{ids:?}");

    // A member of team only: the other namespace's job is "another namespace", never named.
    let viewer = common::Api::new(&s.base).with_token(&s.user_with_role("vera", Some(("team", "viewer"))).await);
    let g = viewer.get(&format!("/api/v1/lineage?dataset={}&direction=downstream", urlencode(&key))).await;
    let text = g.to_string();
    assert!(!text.contains("spy") && !text.contains("other/"), "{text}");
    assert!(g["nodes"].as_array().unwrap().iter().any(|n| n["kind"] == "hidden" && n["label"] == "another namespace"), "{g}");
    let (st, body) = viewer.call(reqwest::Method::GET, "/api/v1/lineage?job=other/spy", None).await;
    assert_eq!(st, 403, "as for the job itself: {body}");

    // Bad questions are 400s that say what is wrong.
    for (q, says) in [
        ("dataset=nopipe", "namespace|name"),
        ("job=nojob", "namespace/job"),
        ("direction=sideways", "direction"),
        ("depth=99", "depth"),
        ("dataset=a|b&job=team/writer", "either"),
        ("colour=red", "colour"),
    ] {
        let (st, body) = api.call(reqwest::Method::GET, &format!("/api/v1/lineage?{q}"), None).await;
        assert_eq!(st, 400, "{q}: {body}");
        assert!(body.to_string().contains(says), "{q}: {body}");
    }
    let (st, _) = api.call(reqwest::Method::GET, "/api/v1/lineage?environment=nowhere", None).await;
    assert_eq!(st, 404);

    api.act("/api/v1/namespaces/team/jobs/writer/deployments/dev/stop", json!({"savepoint": false})).await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A minimal JAR (a zip with a manifest): enough to be stored as an artifact.
fn tiny_jar() -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let options: zip::write::SimpleFileOptions = Default::default();
        zip.start_file("META-INF/MANIFEST.MF", options).expect("zip");
        zip.write_all(b"Manifest-Version: 1.0\n").expect("zip");
        zip.finish().expect("zip");
    }
    buf.into_inner()
}

/// What an OpenLineage receiver got: each request's Authorization header and body. It answers 503 to its
/// first request (so a retry is needed) and 400 to events of jobs named `refused*` (never delivered).
#[derive(Clone, Default)]
struct Receiver(std::sync::Arc<std::sync::Mutex<Vec<Received>>>);

/// One request: its Authorization header and its body.
type Received = (Option<String>, Value);

impl Receiver {
    async fn start(&self) -> String {
        use axum::{extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
        async fn take(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
            let event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let mut got = r.0.lock().expect("lock");
            got.push((auth, event.clone()));
            if got.len() == 1 {
                StatusCode::SERVICE_UNAVAILABLE
            } else if event["job"]["name"].as_str().is_some_and(|n| n.starts_with("refused")) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::CREATED
            }
        }
        let app = Router::new().route("/api/v1/lineage", post(take)).with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/api/v1/lineage")
    }

    /// Accepted events (every request but the refused and the first), in order.
    fn events(&self) -> Vec<Value> {
        let got = self.0.lock().expect("lock");
        got.iter()
            .skip(1)
            .map(|(_, e)| e.clone())
            .filter(|e| !e["job"]["name"].as_str().is_some_and(|n| n.starts_with("refused")))
            .collect()
    }
}

/// Runs the OpenLineage client's schema-generated model over events (server/tests/support/openlineage_check.py).
fn check_with_openlineage_model(events: &[Value]) {
    use std::io::Write;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/openlineage_check.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (scripts/setup installs openlineage-python)");
    child.stdin.take().expect("stdin").write_all(serde_json::to_string(events).expect("json").as_bytes()).expect("write");
    let out = child.wait_with_output().expect("checker");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the OpenLineage model refuses an event: {said}");
    assert_eq!(said.trim(), format!("ok {}", events.len()));
}

#[tokio::test]
async fn deployments_post_openlineage_run_events_that_the_openlineage_model_accepts() {
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let s = common::server(|c| {
        c.lineage.openlineage_url = url.clone();
        c.lineage.openlineage_api_key = "ol-key".into();
    })
    .await;
    let api = s.api();
    let (a, _) = chain_sql(s.dir.path());
    api.post_ok("/api/v1/namespaces", json!({"name": "team"}), 201).await;
    for job in ["writer", "refused"] {
        api.post_ok("/api/v1/namespaces/team/jobs", json!({"name": job, "kind": "sql"}), 201).await;
        api.post_ok(&format!("/api/v1/namespaces/team/jobs/{job}/versions"), json!({"sql": a}), 201).await;
    }
    api.act("/api/v1/namespaces/team/jobs/writer/deployments/dev/deploy", json!({})).await;
    let types = |r: &Receiver| -> Vec<String> {
        r.events().iter().filter(|e| e["job"]["name"] == "writer.dev").filter_map(|e| e["eventType"].as_str().map(str::to_owned)).collect()
    };
    common::wait_for("START and RUNNING posted", std::time::Duration::from_secs(60), || {
        let t = types(&receiver);
        async move { (t.contains(&"START".to_owned()) && t.contains(&"RUNNING".to_owned())).then_some(()) }
    })
    .await;

    // The export: the graph as RunEvents, one per running deployment.
    let exported = api.get("/api/v1/lineage/openlineage").await;
    let exported = exported.as_array().expect("events").clone();
    assert_eq!(exported.len(), 1, "{exported:?}");
    assert_eq!(exported[0]["eventType"], "RUNNING");

    // A refused event is given up and shown; a stop is an ABORT.
    api.act("/api/v1/namespaces/team/jobs/refused/deployments/dev/deploy", json!({})).await;
    api.act("/api/v1/namespaces/team/jobs/writer/deployments/dev/stop", json!({"savepoint": false})).await;
    api.act("/api/v1/namespaces/team/jobs/refused/deployments/dev/stop", json!({"savepoint": false})).await;
    common::wait_for("ABORT posted", std::time::Duration::from_secs(60), || {
        let t = types(&receiver);
        async move { t.contains(&"ABORT".to_owned()).then_some(()) }
    })
    .await;
    let status = common::wait_for("the refusal counted", std::time::Duration::from_secs(30), || {
        let api = s.api();
        async move {
            let st = api.get("/api/v1/lineage/openlineage/status").await;
            (st["failed"].as_u64() >= Some(1)).then_some(st)
        }
    })
    .await;
    assert_eq!(status["configured"], true);
    assert!(status["last_error"].as_str().unwrap_or_default().contains("400"), "{status}");
    assert!(status["delivered"].as_u64() >= Some(3), "{status}");

    let events = receiver.events();
    let writer: Vec<&Value> = events.iter().filter(|e| e["job"]["name"] == "writer.dev").collect();
    let order: Vec<&str> = writer.iter().filter_map(|e| e["eventType"].as_str()).collect();
    assert_eq!(order, ["START", "RUNNING", "ABORT"], "each once, in order (the first START was retried after a 503)");
    let run_ids: std::collections::HashSet<&str> = writer.iter().filter_map(|e| e["run"]["runId"].as_str()).collect();
    assert_eq!(run_ids.len(), 1, "one run");
    let start = writer[0];
    assert_eq!(start["job"]["namespace"], "team");
    assert_eq!(start["job"]["facets"]["jobType"]["processingType"], "STREAMING");
    assert_eq!(start["job"]["facets"]["jobType"]["integration"], "FLINK");
    assert_eq!(start["run"]["facets"]["processing_engine"]["name"], "flink");
    assert_eq!(start["outputs"][0]["namespace"], "file");
    assert_eq!(start["outputs"][0]["facets"]["columnLineage"]["fields"]["url"]["inputFields"][0]["field"], "url");
    assert_eq!(start["inputs"][0]["facets"]["schema"]["fields"][0]["name"], "user_id");
    assert!(receiver.0.lock().expect("lock").iter().all(|(auth, _)| auth.as_deref() == Some("Bearer ol-key")));
    let mut all = events.clone();
    all.extend(exported);
    check_with_openlineage_model(&all);
}

/// A check the planner cannot finish in time is cut off with a clear error: the checker JVM is stopped and
/// replaced, Weir keeps serving, and the version it was for is not saved.
#[tokio::test]
async fn a_check_past_its_time_is_cut_off_and_weir_carries_on() {
    let s = common::server(|c| c.engine.sql_check_timeout_s = 1).await;
    let api = s.api();
    // A cold checker JVM alone takes several seconds to answer: past the one second allowed.
    let sql = std::fs::read_to_string(fixtures().join("window_tvf.sql")).expect("script");
    let (st, body) = api.post("/api/v1/sql/validate", json!({"sql": sql})).await;
    assert_eq!(st, 503, "{body}");
    assert!(body.to_string().contains("no answer within 1s") && body.to_string().contains("sql_check_timeout_s"), "{body}");
    api.post_ok("/api/v1/namespaces/default/jobs", json!({"name": "slow", "kind": "sql"}), 201).await;
    let (st, body) = api.post("/api/v1/namespaces/default/jobs/slow/versions", json!({"sql": sql})).await;
    assert_eq!(st, 503, "{body}");
    let versions = api.get("/api/v1/namespaces/default/jobs/slow/versions").await;
    assert_eq!(versions, json!([]), "nothing saved");
    let (st, health) = api.call(reqwest::Method::GET, "/api/v1/health", None).await;
    assert_eq!(st, 200, "Weir still serves: {health}");
}
