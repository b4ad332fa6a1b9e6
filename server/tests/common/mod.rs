//! Shared test helpers: the databases every store test runs on, and the shared local Flink.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database};
use weir::config::DatabaseConfig;
use weir_engine::store::Store;

/// PostgreSQL used by the tests (trust auth); override with WEIR_TEST_POSTGRES_URL.
pub fn postgres_url() -> String {
    std::env::var("WEIR_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database for one test: a fresh SQLite file, or a fresh schema in PostgreSQL.
pub struct TestDb {
    pub label: &'static str,
    pub config: DatabaseConfig,
    pg_schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn store(&self) -> Store {
        Store::connect_with(&self.config, self.pg_schema.as_deref())
            .await
            .unwrap_or_else(|e| panic!("[{}] cannot open the store: {e}", self.label))
    }

    /// Drops the PostgreSQL schema (SQLite files go with their temporary folder).
    pub async fn cleanup(self) {
        if let Some(schema) = &self.pg_schema {
            if let Ok(db) = Database::connect(postgres_url()).await {
                let _ = db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
            }
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("weir.db").display());
    TestDb { label: "sqlite", config: DatabaseConfig { url, max_connections: 4 }, pg_schema: None, _dir: Some(dir) }
}

/// A fresh schema in the test PostgreSQL, or None when it is unreachable and not required.
/// With WEIR_REQUIRE_POSTGRES=1 (as in CI) an unreachable PostgreSQL fails the test.
pub async fn postgres() -> Option<TestDb> {
    let url = postgres_url();
    let db = match Database::connect(url.clone()).await {
        Ok(db) => db,
        Err(e) => {
            if std::env::var("WEIR_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("PostgreSQL at {url} is required (WEIR_REQUIRE_POSTGRES=1) but unreachable: {e}");
            }
            println!("SKIPPED the PostgreSQL run: {url} is unreachable ({e}); set WEIR_REQUIRE_POSTGRES=1 to fail instead");
            return None;
        }
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // Drop schemas left by killed test runs more than an hour ago.
    if let Ok(rows) = db
        .query_all(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'weir_test_%'",
        ))
        .await
    {
        for row in rows {
            let Ok(name) = row.try_get::<String>("", "nspname") else { continue };
            let stamp = name.split('_').nth(2).and_then(|s| s.parse::<u64>().ok()).unwrap_or(now);
            if stamp + 3600 < now {
                let _ = db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await;
            }
        }
    }
    let schema = format!("weir_test_{now}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    db.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("create a test schema");
    Some(TestDb {
        label: "postgres",
        config: DatabaseConfig { url, max_connections: 4 },
        pg_schema: Some(schema),
        _dir: None,
    })
}

/// SQLite always, PostgreSQL when reachable (or required).
pub async fn databases() -> Vec<TestDb> {
    let mut dbs = vec![sqlite()];
    if let Some(pg) = postgres().await {
        dbs.push(pg);
    }
    dbs
}

/// The shared local Flink started for this test run by `make test` (scripts/test).
pub fn flink_url() -> String {
    std::env::var("WEIR_TEST_FLINK_URL").unwrap_or_else(|_| {
        panic!(
            "WEIR_TEST_FLINK_URL is not set: run the tests with `make test`, or start a cluster with \
             scripts/flink-local start and export WEIR_TEST_FLINK_URL=http://localhost:8081"
        )
    })
}

/// The administrator every test server starts with.
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// A `weir` served in-process (with its reconciler running) on a fresh SQLite database.
pub struct TestServer {
    pub base: String,
    pub engine: weir_engine::Engine,
    pub dir: tempfile::TempDir,
    /// An API token of the administrator.
    pub admin_token: String,
}

impl TestServer {
    /// An API client acting as the administrator (through an API token).
    pub fn api(&self) -> Api {
        Api::new(&self.base).with_token(&self.admin_token)
    }

    /// Creates a user (and, when `ns` is given, gives them `role` there); returns a token with their own rights.
    pub async fn user_with_role(&self, name: &str, ns: Option<(&str, &str)>) -> String {
        use weir_engine::access::{tokens::NewToken, users::NewUser};
        use weir_engine::Caller;
        let sys = Caller::system();
        let new = NewUser { name: name.into(), password: format!("{name}-password-123"), admin: false };
        self.engine.create_user(&sys, new).await.expect("create user");
        if let Some((ns, role)) = ns {
            self.engine.set_member(&sys, ns, name, role).await.expect("set member");
        }
        let token = NewToken { name: "test".into(), user: Some(name.into()), ..Default::default() };
        self.engine.create_token(&sys, token).await.expect("token").token
    }
}

/// The administrator's API token on an engine (creating the administrator when there is none).
pub async fn admin_token(engine: &weir_engine::Engine) -> String {
    use weir_engine::access::tokens::NewToken;
    use weir_engine::Caller;
    engine.bootstrap_admin(ADMIN, ADMIN_PASSWORD).await.expect("bootstrap the administrator");
    let token = NewToken { name: "tests".into(), user: Some(ADMIN.into()), ..Default::default() };
    engine.create_token(&Caller::system(), token).await.expect("admin token").token
}

/// Starts a server with the shared Flink registered as cluster `local` and environment `dev`; `tune` may change
/// the configuration first.
pub async fn server(tune: impl FnOnce(&mut weir::config::Config)) -> TestServer {
    use weir::config::{ClusterDecl, Config, EnvironmentDecl};
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut config = Config::default();
    config.server.data_dir = dir.path().to_owned();
    config.server.site_root = dir.path().join("site");
    config.engine.tick_ms = 300;
    config.engine.savepoint_timeout_s = 120;
    config.engine.start_timeout_s = 120;
    config.engine.runner_jar = runner_jar();
    config.clusters = vec![ClusterDecl { name: "local".into(), kind: "flink-session".into(), rest_url: Some(flink_url()), settings: None }];
    config.environments =
        vec![EnvironmentDecl { name: "dev".into(), cluster: "local".into(), flink_config: Default::default(), prometheus_url: None }];
    tune(&mut config);
    config.finish();
    let weir = weir::server::build(&config).await.expect("build the application");
    weir.engine.start_background().await.expect("start the engine");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let admin_token = admin_token(&weir.engine).await;
    let app = weir.router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    TestServer { base: format!("http://{addr}"), engine: weir.engine, dir, admin_token }
}

/// The SQL runner jar built by scripts/setup.
pub fn runner_jar() -> std::path::PathBuf {
    let jar = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runner/build/weir-sql-runner.jar");
    assert!(jar.exists(), "{} is missing: run scripts/setup (make test does)", jar.display());
    jar
}

/// A small JSON client for the API: anonymous, with an API token, or with a logged-in session.
pub struct Api {
    pub base: String,
    http: reqwest::Client,
    /// Headers sent with every request (Authorization, or Cookie and X-CSRF-Token).
    headers: Vec<(String, String)>,
}

impl Api {
    pub fn new(base: &str) -> Self {
        // Redirects are answers to check, not to follow.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { base: base.to_owned(), http, headers: Vec::new() }
    }

    /// A copy sending one more header.
    pub fn clone_with_header(&self, name: &str, value: &str) -> Self {
        let mut copy = Self { base: self.base.clone(), http: self.http.clone(), headers: self.headers.clone() };
        copy.headers.push((name.into(), value.into()));
        copy
    }

    /// A request to a full URL with this client's headers.
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, url);
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req
    }

    pub fn with_token(mut self, token: &str) -> Self {
        self.headers.push(("authorization".into(), format!("Bearer {token}")));
        self
    }

    /// Logs in with a password; the client then sends the session cookie (and the CSRF token when `csrf`).
    pub async fn login(base: &str, name: &str, password: &str, csrf: bool) -> (Self, String) {
        let resp = reqwest::Client::new()
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"name": name, "password": password}))
            .send()
            .await
            .expect("login");
        assert_eq!(resp.status().as_u16(), 200, "login as {name}");
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("weir_session="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let me: serde_json::Value = resp.json().await.expect("me");
        let token = me["csrf_token"].as_str().expect("a CSRF token").to_owned();
        let mut api = Self::new(base);
        api.headers.push(("cookie".into(), cookie.clone()));
        if csrf {
            api.headers.push(("x-csrf-token".into(), token));
        }
        (api, cookie)
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// POSTs and expects `want`.
    pub async fn post_ok(&self, path: &str, body: serde_json::Value, want: u16) -> serde_json::Value {
        let (status, answer) = self.post(path, body).await;
        assert_eq!(status, want, "POST {path}: {answer}");
        answer
    }

    /// Waits for an operation to end; returns it. Panics when it takes longer than `secs`.
    pub async fn wait_operation(&self, id: i64, secs: u64) -> serde_json::Value {
        let start = std::time::Instant::now();
        loop {
            let op = self.get(&format!("/api/v1/operations/{id}")).await;
            if op["status"] == "succeeded" || op["status"] == "failed" {
                return op;
            }
            assert!(start.elapsed().as_secs() < secs, "operation {id} did not end within {secs}s: {op}");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Starts an action and waits for its operation to succeed.
    pub async fn act(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let accepted = self.post_ok(path, body, 202).await;
        let id = accepted["operation"].as_i64().expect("operation id");
        let op = self.wait_operation(id, 240).await;
        assert_eq!(op["status"], "succeeded", "operation failed: {op}");
        op
    }
}

/// Flink's own summary of a job, from `/jobs/overview` (`/jobs/{id}` is cached by Flink for seconds).
pub async fn flink_job(job_id: &str) -> serde_json::Value {
    let all: serde_json::Value =
        reqwest::get(format!("{}/jobs/overview", flink_url())).await.expect("Flink").json().await.expect("JSON");
    all["jobs"].as_array().into_iter().flatten().find(|j| j["jid"] == job_id).cloned().unwrap_or_default()
}

/// Flink's `/checkpoints` of a job.
pub async fn flink_checkpoints(job_id: &str) -> serde_json::Value {
    reqwest::get(format!("{}/jobs/{job_id}/checkpoints", flink_url())).await.expect("Flink").json().await.expect("JSON")
}

/// A stateful streaming SQL job (keyed aggregation) whose output carries `tag`.
pub fn stateful_sql(tag: &str) -> String {
    format!(
        "CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20', \
         'fields.k.min' = '1', 'fields.k.max' = '10');\n\
         CREATE TABLE snk (k INT, c BIGINT, tag STRING) WITH ('connector' = 'blackhole');\n\
         INSERT INTO snk SELECT k, COUNT(*), '{tag}' FROM src GROUP BY k;\n"
    )
}

/// Renders a page as a signed-in user (their session `cookie`): its status, its HTML and how long it took.
pub async fn render(base: &str, cookie: &str, path: &str) -> (u16, String, std::time::Duration) {
    let started = std::time::Instant::now();
    let resp = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .header("accept", "text/html")
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = resp.status().as_u16();
    let html = resp.text().await.expect("html");
    (status, html, started.elapsed())
}

/// A `flink-session` cluster's settings, for the store's tests.
#[allow(dead_code)]
pub fn session_settings(rest_url: &str) -> weir_model::ClusterSettings {
    weir_model::ClusterSettings::FlinkSession(weir_model::clusters::FlinkSessionSettings {
        rest_url: rest_url.into(),
        flink_version: None,
    })
}

/// The PIDs of running processes whose command line names a folder under `dir` (how a local-application
/// cluster's JVMs are marked: `-Dweir.cluster.dir=<job folder>`).
#[allow(dead_code)]
pub fn processes_under(dir: &std::path::Path) -> Vec<u32> {
    let marker = format!("-Dweir.cluster.dir={}", dir.display());
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z'));
            !zombie
                && std::fs::read(format!("/proc/{pid}/cmdline"))
                    .map(|c| c.split(|b| *b == 0).any(|a| a.starts_with(marker.as_bytes())))
                    .unwrap_or(false)
        })
        .collect()
}

/// Ends (SIGKILL) whatever a failed test left running under its folder, when dropped.
#[allow(dead_code)]
pub struct Reaper(pub std::path::PathBuf);

impl Drop for Reaper {
    fn drop(&mut self) {
        for pid in processes_under(&self.0) {
            let _ = std::process::Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

/// Polls `probe` every 100 ms until it answers `Some`, for at most `limit`; the test fails naming `what` when the
/// deadline passes.
#[allow(dead_code)]
pub async fn wait_for<T, F, Fut>(what: &str, limit: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
