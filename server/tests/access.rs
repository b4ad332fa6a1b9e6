//! Access control over HTTP: every REST endpoint and every server function tried as anonymous, viewer, editor,
//! owner of another namespace, owner and administrator (answers checked, denied calls change nothing); token
//! revocation and scopes; session expiry; CSRF; login throttling; the audit log; the filtered event stream.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use reqwest::Method;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};

use serde_json::{json, Value};
use weir_engine::Caller;
use weir_app::server_fns as sf;

use common::{server, stateful_sql, Api, TestServer, ADMIN, ADMIN_PASSWORD};

/// The callers, in the order each row is tried (the administrator last: its calls may change what others see).
const CALLERS: [&str; 6] = ["anonymous", "viewer", "editor", "stranger", "owner", "admin"];

/// What a row needs.
#[derive(Clone, Copy, Debug)]
enum Need {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in.
    Signed,
    /// This role in namespace `team`.
    Viewer,
    Editor,
    Owner,
    /// Editor in some namespace (JAR uploads).
    EditorSomewhere,
    /// Owner of some namespace (the whole audit log they may read).
    OwnerSomewhere,
    Admin,
}

/// Whether a caller passes: `None` for anonymous, which is always asked to sign in.
fn allowed(caller: &str, need: Need) -> bool {
    let rank = |c: &str| match c {
        "viewer" => 1,
        "editor" => 2,
        "owner" | "admin" => 3,
        _ => 0,
    };
    match need {
        Need::Public => true,
        _ if caller == "anonymous" => false,
        Need::Signed => true,
        Need::Viewer => rank(caller) >= 1,
        Need::Editor => rank(caller) >= 2,
        Need::Owner => rank(caller) >= 3,
        Need::EditorSomewhere => caller != "viewer",
        Need::OwnerSomewhere => matches!(caller, "stranger" | "owner" | "admin"),
        Need::Admin => caller == "admin",
    }
}

enum Body {
    None,
    Json(String),
    Form(Vec<(&'static str, String)>),
    Multipart(Vec<(&'static str, String)>),
}

struct Row {
    method: Method,
    /// `{me}` is replaced by the caller's name, `{token}`/`{token2}` by the id of one of its spare tokens.
    path: String,
    body: Body,
    need: Need,
    /// Statuses that count as success for an allowed caller.
    ok: &'static [u16],
}

fn rest(method: Method, path: &str, body: Option<Value>, need: Need, ok: &'static [u16]) -> Row {
    let body = body.map_or(Body::None, |b| Body::Json(b.to_string()));
    Row { method, path: format!("/api/v1{path}"), body, need, ok }
}

fn server_fn<F: ServerFn>(fields: &[(&'static str, &str)], need: Need, ok: &'static [u16]) -> Row {
    let form = fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    Row { method: Method::POST, path: F::PATH.to_owned(), body: Body::Form(form), need, ok }
}

/// Every REST endpoint and every server function.
fn rows(sql: &str, jar_b64: &str) -> Vec<Row> {
    use Need::*;
    let sql = sql.to_owned();
    let team = "/namespaces/team";
    let job = "/namespaces/team/jobs/j";
    let dep = "/namespaces/team/jobs/j/deployments/dev";
    let g = Method::GET;
    let p = Method::POST;
    let acted: &[u16] = &[202, 409];
    let mut rows = vec![
        rest(g.clone(), "/health", None, Public, &[200]),
        rest(g.clone(), "/openapi.json", None, Public, &[200]),
        rest(g.clone(), "/session", None, Signed, &[200]),
        rest(p.clone(), "/session", Some(json!({"name": "login", "password": "login-password-123"})), Public, &[200]),
        rest(Method::DELETE, "/session", None, Public, &[204]),
        rest(p.clone(), "/session/logout", None, Public, &[303]),
        rest(g.clone(), "/users", None, Admin, &[200]),
        rest(p.clone(), "/users", Some(json!({"name": "u-{me}", "password": "a-long-password"})), Admin, &[201]),
        rest(Method::PATCH, "/users/spare", Some(json!({"password": "another-long-one"})), Admin, &[200]),
        rest(Method::DELETE, "/users/gone-{me}", None, Admin, &[204]),
        rest(g.clone(), "/tokens", None, Signed, &[200]),
        rest(p.clone(), "/tokens", Some(json!({"name": "t-{me}"})), Signed, &[201]),
        rest(Method::DELETE, "/tokens/{token}", None, Signed, &[200]),
        rest(g.clone(), "/audit", None, OwnerSomewhere, &[200]),
        rest(g.clone(), "/audit?namespace=team", None, Owner, &[200]),
        rest(g.clone(), "/namespaces", None, Signed, &[200]),
        rest(p.clone(), "/namespaces", Some(json!({"name": "ns-{me}"})), Admin, &[201]),
        rest(g.clone(), &format!("{team}/members"), None, Viewer, &[200]),
        rest(Method::PUT, &format!("{team}/members/spare"), Some(json!({"role": "viewer"})), Owner, &[200]),
        rest(Method::DELETE, &format!("{team}/members/m-{{me}}"), None, Owner, &[204]),
        rest(g.clone(), &format!("{team}/environments"), None, Viewer, &[200]),
        rest(Method::PUT, &format!("{team}/environments"), Some(json!({"environments": []})), Owner, &[200]),
        rest(g.clone(), "/clusters", None, Signed, &[200]),
        rest(p.clone(), "/clusters", Some(json!({"name": "c-{me}", "kind": "flink-session", "rest_url": "http://localhost:1"})), Admin, &[201]),
        rest(g.clone(), "/clusters/local", None, Signed, &[200]),
        rest(g.clone(), "/clusters/local/overview", None, Signed, &[200]),
        rest(g.clone(), "/clusters/local/metrics", None, Signed, &[200]),
        rest(g.clone(), "/clusters/local/history?names=slots_used", None, Signed, &[200]),
        rest(g.clone(), "/environments", None, Signed, &[200]),
        rest(p.clone(), "/environments", Some(json!({"name": "e-{me}", "cluster": "local"})), Admin, &[201]),
        rest(Method::PATCH, "/environments/spare-env", Some(json!({"pool": "spare-pool"})), Admin, &[200]),
        rest(g.clone(), "/pools", None, Signed, &[200]),
        rest(p.clone(), "/pools", Some(json!({"name": "p-{me}", "cluster": "local", "capacity": {"slots": 4}})), Admin, &[201]),
        rest(Method::PATCH, "/pools/spare-pool", Some(json!({"capacity": {"slots": 6}})), Admin, &[200]),
        rest(Method::DELETE, "/pools/gone-{me}", None, Admin, &[204]),
        rest(Method::PUT, "/pools/spare-pool/quotas/team", Some(json!({"slots": 4})), Admin, &[200]),
        rest(g.clone(), &format!("{team}/jobs"), None, Viewer, &[200]),
        rest(p.clone(), &format!("{team}/jobs"), Some(json!({"name": "j-{me}", "kind": "sql"})), Editor, &[201]),
        rest(g.clone(), job, None, Viewer, &[200]),
        rest(g.clone(), &format!("{job}/versions"), None, Viewer, &[200]),
        rest(p.clone(), &format!("{job}/versions"), Some(json!({"sql": sql, "message": "by {me}"})), Editor, &[201]),
        rest(g.clone(), &format!("{job}/versions/1"), None, Viewer, &[200]),
        rest(g.clone(), &format!("{job}/versions/1/diff/2"), None, Viewer, &[200]),
        rest(g.clone(), &format!("{job}/versions/1/lineage"), None, Viewer, &[200]),
        rest(g.clone(), &format!("{job}/deployments"), None, Viewer, &[200]),
        rest(g.clone(), dep, None, Viewer, &[200]),
        rest(g.clone(), &format!("{dep}/metrics?names=restarts"), None, Viewer, &[200]),
        rest(g.clone(), &format!("{dep}/logs"), None, Viewer, &[200]),
        // Recommendations: viewers read them and their history; editors apply or dismiss (here the job has run for
        // seconds only: nothing to apply or dismiss yet, 409 — the refusal comes after the role check).
        rest(g.clone(), &format!("{dep}/recommendation"), None, Viewer, &[200]),
        rest(g.clone(), &format!("{dep}/recommendation/history"), None, Viewer, &[200]),
        rest(p.clone(), &format!("{dep}/recommendation/apply"), None, Editor, &[202, 409]),
        rest(p.clone(), &format!("{dep}/recommendation/dismiss"), Some(json!({"reason": "by {me}"})), Editor, &[200, 409]),
        rest(p.clone(), &format!("{dep}/deploy"), Some(json!({})), Editor, acted),
        rest(p.clone(), &format!("{dep}/deploy"), Some(json!({"config_overrides": {"pipeline.name": "hotfix"}})), Owner, acted),
        rest(p.clone(), &format!("{dep}/rollback"), Some(json!({"version": 1})), Editor, acted),
        rest(p.clone(), &format!("{dep}/restart"), None, Editor, acted),
        rest(p.clone(), &format!("{dep}/savepoint"), None, Editor, acted),
        rest(p.clone(), &format!("{dep}/stop"), Some(json!({"savepoint": true})), Editor, acted),
        rest(g.clone(), &format!("{job}/operations"), None, Viewer, &[200]),
        rest(g.clone(), &format!("{job}/snapshots"), None, Viewer, &[200]),
        rest(g.clone(), "/operations/{operation}", None, Viewer, &[200]),
        Row { method: p.clone(), path: "/api/v1/artifacts".into(), body: Body::Multipart(vec![("file", jar_b64.to_owned())]), need: EditorSomewhere, ok: &[201] },
        rest(g.clone(), "/artifacts/{artifact}", None, Signed, &[200]),
        rest(p.clone(), "/sql/validate", Some(json!({"sql": sql})), Signed, &[200]),
        rest(g.clone(), "/lineage", None, Signed, &[200]),
        rest(g.clone(), "/lineage?job=team/j", None, Viewer, &[200]),
        rest(g.clone(), "/lineage/openlineage", None, Signed, &[200]),
        rest(g.clone(), "/lineage/openlineage/status", None, Signed, &[200]),
        rest(g.clone(), "/events", None, Signed, &[200]),
        rest(g.clone(), &format!("{team}/alert-channels"), None, Viewer, &[200]),
        rest(p.clone(), &format!("{team}/alert-channels"), Some(json!({"name": "c-{me}", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/hook", "secret": "s"}})), Owner, &[201]),
        rest(g.clone(), &format!("{team}/alert-channels/spare-channel"), None, Viewer, &[200]),
        rest(Method::PATCH, &format!("{team}/alert-channels/spare-channel"), Some(json!({"config": {"url": "http://127.0.0.1:9/other"}})), Owner, &[200]),
        rest(Method::DELETE, &format!("{team}/alert-channels/gone-{{me}}"), None, Owner, &[204]),
        rest(p.clone(), &format!("{team}/alert-channels/spare-channel/test"), None, Owner, &[200]),
        rest(g.clone(), &format!("{team}/alert-rules"), None, Viewer, &[200]),
        rest(p.clone(), &format!("{team}/alert-rules"), Some(json!({"name": "r-{me}", "condition": {"kind": "restarts"}})), Owner, &[201]),
        rest(g.clone(), &format!("{team}/alert-rules/restarting"), None, Viewer, &[200]),
        rest(Method::PATCH, &format!("{team}/alert-rules/restarting"), Some(json!({"enabled": true})), Owner, &[200]),
        rest(Method::DELETE, &format!("{team}/alert-rules/gone-{{me}}"), None, Owner, &[204]),
        rest(g.clone(), &format!("{team}/silences"), None, Viewer, &[200]),
        rest(p.clone(), &format!("{team}/silences"), Some(json!({"matchers": {"job": "j"}, "until": chrono::Utc::now() + chrono::Duration::hours(2), "comment": "by {me}"})), Owner, &[201]),
        // The world's first silence: the first allowed caller ends it.
        rest(Method::DELETE, &format!("{team}/silences/1"), None, Owner, &[204, 404]),
        rest(g.clone(), &format!("{team}/alert-history"), None, Viewer, &[200]),
        rest(g.clone(), "/alerts", None, Signed, &[200]),
    ];
    let sql = sql.as_str();
    rows.extend([
        server_fn::<sf::ClusterStatuses>(&[], Signed, &[200]),
        server_fn::<sf::GetDashboard>(&[], Signed, &[200]),
        server_fn::<sf::ListEnvironments>(&[], Signed, &[200]),
        server_fn::<sf::RegisterCluster>(&[("name", "sc-{me}"), ("kind", "flink-session"), ("rest_url", "http://localhost:1")], Admin, &[200]),
        server_fn::<sf::CreateEnvironment>(&[("name", "se-{me}"), ("cluster", "local"), ("flink_config", "")], Admin, &[200]),
        server_fn::<sf::ListPools>(&[], Signed, &[200]),
        server_fn::<sf::CreatePool>(&[("name", "sp-{me}"), ("cluster", "local"), ("slots", "4"), ("cpu_cores", ""), ("memory_mb", "")], Admin, &[200]),
        server_fn::<sf::SetQuota>(&[("pool", "spare-pool"), ("ns", "team"), ("slots", "3"), ("cpu_cores", ""), ("memory_mb", "")], Admin, &[200]),
        server_fn::<sf::SetEnvironmentPool>(&[("env", "spare-env"), ("pool", "")], Admin, &[200]),
        server_fn::<sf::ListJobRows>(&[("ns", "team")], Viewer, &[200]),
        server_fn::<sf::GetJobDetail>(&[("ns", "team"), ("job", "j")], Viewer, &[200]),
        server_fn::<sf::GetVersionDiff>(&[("ns", "team"), ("job", "j"), ("a", "1"), ("b", "2")], Viewer, &[200]),
        server_fn::<sf::GetDeploymentMetrics>(&[("ns", "team"), ("job", "j"), ("env", "dev"), ("range", "1h")], Viewer, &[200]),
        server_fn::<sf::GetDeploymentLogs>(&[("ns", "team"), ("job", "j"), ("env", "dev")], Viewer, &[200]),
        server_fn::<sf::GetVersionLineage>(&[("ns", "team"), ("job", "j"), ("version", "1")], Viewer, &[200]),
        server_fn::<sf::GetLineageGraph>(&[], Signed, &[200]),
        server_fn::<sf::GetTrends>(&[], Signed, &[200]),
        server_fn::<sf::GetRecommendation>(&[("ns", "team"), ("job", "j"), ("env", "dev")], Viewer, &[200]),
        server_fn::<sf::ApplyRecommendation>(&[("ns", "team"), ("job", "j"), ("env", "dev")], Editor, &[200, 409]),
        server_fn::<sf::DismissRecommendation>(&[("ns", "team"), ("job", "j"), ("env", "dev"), ("reason", "by {me}")], Editor, &[200, 409]),
        server_fn::<sf::ListPendingRecommendations>(&[], Signed, &[200]),
        server_fn::<sf::CreateJob>(&[("ns", "team"), ("name", "sj-{me}"), ("kind", "sql"), ("description", "")], Editor, &[200, 302]),
        server_fn::<sf::SaveVersion>(&[("ns", "team"), ("job", "j"), ("sql", sql), ("message", "")], Editor, &[200]),
        server_fn::<sf::SaveSettings>(&[("ns", "team"), ("job", "j"), ("parallelism", "1"), ("flink_config", ""), ("message", "")], Owner, &[200]),
        server_fn::<sf::ValidateSql>(&[("sql", sql)], Signed, &[200]),
        server_fn::<sf::Deploy>(
            &[("ns", "team"), ("job", "j"), ("env", "dev"), ("version", ""), ("restore", "latest-savepoint"), ("restore_path", ""), ("overrides", "")],
            Editor,
            &[200, 409],
        ),
        server_fn::<sf::Stop>(&[("ns", "team"), ("job", "j"), ("env", "dev"), ("savepoint", "true")], Editor, &[200, 409]),
        server_fn::<sf::Savepoint>(&[("ns", "team"), ("job", "j"), ("env", "dev")], Editor, &[200, 409]),
        server_fn::<sf::Rollback>(&[("ns", "team"), ("job", "j"), ("env", "dev"), ("version", "1"), ("restore", "latest-savepoint")], Editor, &[200, 409]),
        server_fn::<sf::GetMe>(&[], Public, &[200]),
        server_fn::<sf::ListNamespaces>(&[], Signed, &[200]),
        server_fn::<sf::GetNamespaceDetail>(&[("ns", "team")], Viewer, &[200]),
        server_fn::<sf::SetMember>(&[("ns", "team"), ("user", "spare"), ("role", "viewer")], Owner, &[200]),
        server_fn::<sf::RemoveMember>(&[("ns", "team"), ("user", "n-{me}")], Owner, &[200]),
        server_fn::<sf::SetNamespaceEnvironments>(&[("ns", "team"), ("environments", "")], Owner, &[200]),
        server_fn::<sf::ListAudit>(&[("ns", "team")], Owner, &[200]),
        server_fn::<sf::ListAudit>(&[("ns", "")], OwnerSomewhere, &[200]),
        server_fn::<sf::ListTokens>(&[], Signed, &[200]),
        server_fn::<sf::CreateToken>(&[("name", "st-{me}"), ("namespace", ""), ("role", "")], Signed, &[200]),
        server_fn::<sf::RevokeToken>(&[("id", "{token2}")], Signed, &[200]),
        server_fn::<sf::ListUsers>(&[], Admin, &[200]),
        server_fn::<sf::CreateUser>(&[("name", "su-{me}"), ("password", "a-long-password")], Admin, &[200]),
        server_fn::<sf::CreateNamespace>(&[("name", "sn-{me}"), ("owner", "")], Admin, &[200]),
        server_fn::<sf::ChangeUser>(&[("name", "spare"), ("password", "yet-another-one"), ("admin", "")], Admin, &[200]),
        server_fn::<sf::DeleteUser>(&[("name", "sgone-{me}")], Admin, &[200]),
        server_fn::<sf::ListAlerts>(&[], Signed, &[200]),
        server_fn::<sf::GetAlertSettings>(&[("ns", "team")], Viewer, &[200]),
        server_fn::<sf::CreateAlertChannel>(
            &[("ns", "team"), ("name", "sch-{me}"), ("kind", "webhook"), ("url", "http://127.0.0.1:9/hook"), ("secret", "s")],
            Owner,
            &[200],
        ),
        server_fn::<sf::TestAlertChannel>(&[("ns", "team"), ("name", "spare-channel")], Owner, &[200]),
        server_fn::<sf::UpdateAlertChannel>(
            &[("ns", "team"), ("name", "spare-channel"), ("kind", "webhook"), ("url", "http://127.0.0.1:9/hook")],
            Owner,
            &[200],
        ),
        server_fn::<sf::DeleteAlertChannel>(&[("ns", "team"), ("name", "sgone-{me}")], Owner, &[200]),
        server_fn::<sf::CreateAlertRule>(&[("ns", "team"), ("name", "sr-{me}"), ("kind", "restarts"), ("threshold", "3")], Owner, &[200]),
        server_fn::<sf::UpdateAlertRule>(
            &[("ns", "team"), ("name", "restarting"), ("kind", "restarts"), ("threshold", "3"), ("window_s", "600")],
            Owner,
            &[200],
        ),
        server_fn::<sf::SetAlertRuleEnabled>(&[("ns", "team"), ("name", "restarting"), ("enabled", "true")], Owner, &[200]),
        server_fn::<sf::DeleteAlertRule>(&[("ns", "team"), ("name", "sgone-{me}")], Owner, &[200]),
        server_fn::<sf::CreateSilence>(&[("ns", "team"), ("job", "j"), ("hours", "2"), ("comment", "by {me}")], Owner, &[200]),
        // The world's first silence may be gone already (the REST row ends it first).
        server_fn::<sf::DeleteSilence>(&[("ns", "team"), ("id", "1")], Owner, &[200, 404]),
    ]);
    let mut upload = server_fn::<sf::SaveJarVersion>(&[], Editor, &[200]);
    upload.body = Body::Multipart(vec![("ns", "team".into()), ("job", "jarjob".into()), ("jar", jar_b64.to_owned())]);
    rows.push(upload);
    rows
}

/// Every server function registered by the app, by path (to check the table misses none).
fn all_server_fn_paths() -> Vec<&'static str> {
    vec![
        sf::ClusterStatuses::PATH,
        sf::GetDashboard::PATH,
        sf::ListEnvironments::PATH,
        sf::RegisterCluster::PATH,
        sf::CreateEnvironment::PATH,
        sf::ListPools::PATH,
        sf::CreatePool::PATH,
        sf::SetQuota::PATH,
        sf::SetEnvironmentPool::PATH,
        sf::ListJobRows::PATH,
        sf::GetJobDetail::PATH,
        sf::GetVersionDiff::PATH,
        sf::GetDeploymentMetrics::PATH,
        sf::GetDeploymentLogs::PATH,
        sf::GetVersionLineage::PATH,
        sf::GetLineageGraph::PATH,
        sf::GetTrends::PATH,
        sf::GetRecommendation::PATH,
        sf::ApplyRecommendation::PATH,
        sf::DismissRecommendation::PATH,
        sf::ListPendingRecommendations::PATH,
        sf::CreateJob::PATH,
        sf::SaveVersion::PATH,
        sf::SaveJarVersion::PATH,
        sf::SaveSettings::PATH,
        sf::ValidateSql::PATH,
        sf::Deploy::PATH,
        sf::Stop::PATH,
        sf::Savepoint::PATH,
        sf::Rollback::PATH,
        sf::GetMe::PATH,
        sf::ListNamespaces::PATH,
        sf::GetNamespaceDetail::PATH,
        sf::SetMember::PATH,
        sf::RemoveMember::PATH,
        sf::SetNamespaceEnvironments::PATH,
        sf::ListAudit::PATH,
        sf::ListTokens::PATH,
        sf::CreateToken::PATH,
        sf::RevokeToken::PATH,
        sf::ListUsers::PATH,
        sf::CreateUser::PATH,
        sf::CreateNamespace::PATH,
        sf::ChangeUser::PATH,
        sf::DeleteUser::PATH,
        sf::ListAlerts::PATH,
        sf::GetAlertSettings::PATH,
        sf::CreateAlertChannel::PATH,
        sf::TestAlertChannel::PATH,
        sf::DeleteAlertChannel::PATH,
        sf::CreateAlertRule::PATH,
        sf::UpdateAlertRule::PATH,
        sf::SetAlertRuleEnabled::PATH,
        sf::UpdateAlertChannel::PATH,
        sf::DeleteAlertRule::PATH,
        sf::CreateSilence::PATH,
        sf::DeleteSilence::PATH,
    ]
}

/// A tiny JAR (a zip with a manifest), base64 (the multipart helper decodes it).
fn tiny_jar() -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    zip.start_file("META-INF/MANIFEST.MF", zip::write::SimpleFileOptions::default()).expect("zip");
    zip.write_all(b"Manifest-Version: 1.0\n").expect("zip");
    zip.finish().expect("zip");
    buf.into_inner()
}

/// The rows of the tables access control protects, minus what legitimately moves on its own (observed
/// states, timestamps of use). Two equal fingerprints: nothing was written.
async fn fingerprint(s: &TestServer) -> Value {
    let db = s.engine.store().db();
    let mut out = serde_json::Map::new();
    for (name, sql) in [
        ("users", "SELECT id, name, admin, password_hash FROM users ORDER BY id"),
        ("namespaces", "SELECT id, name FROM namespaces ORDER BY id"),
        ("members", "SELECT namespace_id, user_id, role FROM namespace_members ORDER BY id"),
        ("namespace_environments", "SELECT namespace_id, environment_id FROM namespace_environments ORDER BY id"),
        ("tokens", "SELECT id, revoked_at FROM api_tokens ORDER BY id"),
        ("jobs", "SELECT id, name FROM jobs ORDER BY id"),
        ("versions", "SELECT id FROM versions ORDER BY id"),
        ("artifacts", "SELECT id FROM artifacts ORDER BY id"),
        ("clusters", "SELECT id, name, rest_url FROM clusters ORDER BY id"),
        ("environments", "SELECT id, name, pool_id FROM environments ORDER BY id"),
        ("pools", "SELECT id, name, slots FROM pools ORDER BY id"),
        ("pool_quotas", "SELECT id, slots FROM pool_quotas ORDER BY id"),
        ("operations", "SELECT id FROM operations ORDER BY id"),
        ("alert_channels", "SELECT id, name, config, secret FROM alert_channels ORDER BY id"),
        ("alert_rules", "SELECT id, name, enabled, for_s FROM alert_rules ORDER BY id"),
        ("silences", "SELECT id FROM silences ORDER BY id"),
        ("recommendation_history", "SELECT id FROM recommendation_history ORDER BY id"),
        ("recommendation_settings", "SELECT id, recommendation_settings FROM environments ORDER BY id"),
    ] {
        let rows = serde_json::Value::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await
            .expect("fingerprint query");
        out.insert(name.into(), Value::Array(rows));
    }
    Value::Object(out)
}

struct World {
    s: TestServer,
    /// Each caller's client (anonymous has none of the headers).
    clients: HashMap<&'static str, Api>,
    /// Each caller's two spare token ids.
    spare_tokens: HashMap<&'static str, (i64, i64)>,
    operation: i64,
    artifact: String,
}

/// Namespace `team` (viewer, editor, owner as members), namespace `other` owned by `stranger`, job `team/j`
/// with two versions deployed to dev, a JAR job, users for the rows to change, two spare tokens per caller.
async fn world() -> World {
    use weir_engine::access::{members::NewNamespace, tokens::NewToken, users::NewUser};
    let s = server(|_| {}).await;
    let sys = Caller::system();
    let e = &s.engine;
    for ns in ["team", "other"] {
        e.create_namespace(&sys, NewNamespace { name: ns.into(), owner: None }).await.expect("namespace");
    }
    {
        use weir_engine::alerts::manage::{NewChannel, NewRule, NewSilence};
        let until = chrono::Utc::now() + chrono::Duration::hours(1);
        e.create_silence(&sys, "team", NewSilence { matchers: Default::default(), until, comment: "first".into() }).await.expect("silence");
        let hook = json!({"url": "http://127.0.0.1:9/hook"});
        e.create_alert_channel(&sys, "team", NewChannel { name: "spare-channel".into(), kind: "webhook".into(), config: hook.clone() })
            .await
            .expect("channel");
        for who in CALLERS {
            let name = format!("gone-{who}");
            e.create_alert_channel(&sys, "team", NewChannel { name: name.clone(), kind: "webhook".into(), config: hook.clone() })
                .await
                .expect("channel");
            let rule: NewRule = serde_json::from_value(json!({"name": name, "condition": {"kind": "operation_failed"}})).expect("rule");
            e.create_alert_rule(&sys, "team", rule).await.expect("rule");
            // The same for the server functions.
            let name = format!("sgone-{who}");
            e.create_alert_channel(&sys, "team", NewChannel { name: name.clone(), kind: "webhook".into(), config: hook.clone() })
                .await
                .expect("channel");
            let rule: NewRule = serde_json::from_value(json!({"name": name, "condition": {"kind": "operation_failed"}})).expect("rule");
            e.create_alert_rule(&sys, "team", rule).await.expect("rule");
        }
    }
    {
        // Pools for the rows to change and delete, and an environment (on the shared cluster, used by no job)
        // to attach to them.
        use weir_engine::environments::NewEnvironment;
        use weir_engine::pools::NewPool;
        let capacity = weir_model::pools::Resources { slots: 8, cpu_cores: None, memory_mb: None };
        let pool = |name: String| NewPool { name, cluster: "local".into(), capacity: capacity.clone() };
        e.create_pool(&sys, pool("spare-pool".into())).await.expect("pool");
        for who in CALLERS {
            e.create_pool(&sys, pool(format!("gone-{who}"))).await.expect("pool");
        }
        let env = NewEnvironment { name: "spare-env".into(), cluster: "local".into(), flink_config: Default::default(), prometheus_url: None, pool: None, recommendations: None };
        e.create_environment(&sys, env).await.expect("environment");
    }
    let mut clients = HashMap::new();
    clients.insert("anonymous", Api::new(&s.base));
    clients.insert("admin", s.api());
    for (who, ns, role) in [("viewer", "team", "viewer"), ("editor", "team", "editor"), ("stranger", "other", "owner"), ("owner", "team", "owner")] {
        let token = s.user_with_role(who, Some((ns, role))).await;
        clients.insert(who, Api::new(&s.base).with_token(&token));
    }
    let user = |name: &str| NewUser { name: name.into(), password: format!("{name}-password-123"), admin: false };
    for name in ["spare", "login"] {
        e.create_user(&sys, user(name)).await.expect("user");
    }
    let mut spare_tokens = HashMap::new();
    for who in CALLERS {
        e.create_user(&sys, user(&format!("gone-{who}"))).await.expect("user");
        e.create_user(&sys, user(&format!("sgone-{who}"))).await.expect("user");
        for prefix in ["m", "n"] {
            let name = format!("{prefix}-{who}");
            e.create_user(&sys, user(&name)).await.expect("user");
            e.set_member(&sys, "team", &name, "viewer").await.expect("member");
        }
        let owner = if who == "anonymous" { "spare".to_owned() } else { who.to_owned() };
        let mut ids = Vec::new();
        for _ in 0..2 {
            let t = NewToken { name: "spare".into(), user: Some(owner.clone()), ..Default::default() };
            ids.push(e.create_token(&sys, t).await.expect("token").info.id);
        }
        spare_tokens.insert(who, (ids[0], ids[1]));
    }
    let admin = s.api();
    admin.post_ok("/api/v1/namespaces/team/jobs", json!({"name": "j", "kind": "sql"}), 201).await;
    admin.post_ok("/api/v1/namespaces/team/jobs", json!({"name": "jarjob", "kind": "jar"}), 201).await;
    for tag in ["v1", "v2"] {
        admin.post_ok("/api/v1/namespaces/team/jobs/j/versions", json!({"sql": stateful_sql(tag)}), 201).await;
    }
    let op = admin.act("/api/v1/namespaces/team/jobs/j/deployments/dev/deploy", json!({})).await;
    let operation = op["id"].as_i64().expect("operation id");
    let artifact = s.engine.store_artifact(&sys, "tiny.jar", tiny_jar()).await.expect("artifact").sha256;
    World { s, clients, spare_tokens, operation, artifact }
}

async fn send(w: &World, who: &str, row: &Row) -> (u16, String) {
    let (t1, t2) = w.spare_tokens[who];
    let fill = |s: &str| {
        s.replace("{me}", who)
            .replace("{token}", &t1.to_string())
            .replace("{token2}", &t2.to_string())
            .replace("{operation}", &w.operation.to_string())
            .replace("{artifact}", &w.artifact)
    };
    let api = &w.clients[who];
    let url = format!("{}{}", w.s.base, fill(&row.path));
    let mut req = api.request(row.method.clone(), &url);
    req = match &row.body {
        Body::None => req,
        Body::Json(b) => req.header("content-type", "application/json").body(fill(b)),
        Body::Form(fields) => {
            let fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, fill(v))).collect();
            req.form(&fields)
        }
        Body::Multipart(fields) => {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in fields {
                form = if *k == "jar" || *k == "file" {
                    let part = reqwest::multipart::Part::bytes(tiny_jar()).file_name("job.jar");
                    form.part(*k, part)
                } else {
                    form.text(*k, v.clone())
                };
            }
            req.multipart(form)
        }
    };
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    if row.path.ends_with("/events") {
        // A stream: the status is the answer.
        return (status, String::new());
    }
    (status, resp.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_endpoint_and_server_function_checks_the_callers_role() {
    let w = world().await;
    let sql = stateful_sql("table");
    let rows = rows(&sql, "jar");

    // The table covers every REST endpoint and every server function.
    for (method, path, ..) in weir::api::openapi::ENDPOINTS {
        let route = format!("/api/v1{path}");
        let covered = rows.iter().any(|r| {
            r.method.as_str().eq_ignore_ascii_case(method) && same_route(r.path.split('?').next().unwrap_or_default(), &route)
        });
        assert!(covered, "{method} {path} is missing from the table");
    }
    for path in all_server_fn_paths() {
        assert!(rows.iter().any(|r| r.path == path), "server function {path} is missing from the table");
    }

    let mut failures = Vec::new();
    for row in &rows {
        for who in CALLERS {
            let before = fingerprint(&w.s).await;
            let (status, body) = send(&w, who, row).await;
            let label = format!("{who} {} {}", row.method, row.path);
            if allowed(who, row.need) {
                if !row.ok.contains(&status) {
                    failures.push(format!("{label}: want one of {:?}, got {status}: {body}", row.ok));
                }
            } else {
                let want = if who == "anonymous" { 401 } else { 403 };
                if status != want {
                    failures.push(format!("{label}: want {want}, got {status}: {body}"));
                }
                let after = fingerprint(&w.s).await;
                if before != after {
                    failures.push(format!("{label}: denied, yet the database changed"));
                }
            }
        }
    }
    // Leave the shared cluster as we found it.
    let admin = w.s.api();
    wait_idle(&admin, "team", "j").await;
    let (st, _) = admin.post("/api/v1/namespaces/team/jobs/j/deployments/dev/stop", json!({"savepoint": false})).await;
    if st == 202 {
        wait_idle(&admin, "team", "j").await;
    }
    assert!(failures.is_empty(), "{} wrong answers:\n{}", failures.len(), failures.join("\n"));
}

/// True when a concrete path matches a route with `{param}` segments.
fn same_route(concrete: &str, route: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (concrete.split('/').collect(), route.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || y.starts_with('{'))
}

async fn wait_idle(api: &Api, ns: &str, job: &str) {
    let start = Instant::now();
    loop {
        let d = api.get(&format!("/api/v1/namespaces/{ns}/jobs/{job}/deployments/dev")).await;
        if d["active_operation"].is_null() {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(240), "an operation did not end: {d}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn tokens_are_scoped_shown_once_and_revoked_at_once() {
    let s = server(|_| {}).await;
    let admin = s.api();
    admin.post_ok("/api/v1/namespaces", json!({"name": "team"}), 201).await;
    admin.post_ok("/api/v1/namespaces", json!({"name": "other"}), 201).await;
    let own = s.user_with_role("ed", Some(("team", "editor"))).await;
    let ed = Api::new(&s.base).with_token(&own);

    // A token scoped to team as viewer: reads there, writes nothing, sees nothing elsewhere.
    let created = ed.post_ok("/api/v1/tokens", json!({"name": "ci", "namespace": "team", "role": "viewer"}), 201).await;
    let secret = created["token"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("weir_"), "{created}");
    let listed = ed.get("/api/v1/tokens").await;
    assert!(!listed.to_string().contains(&secret), "the secret is never listed: {listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    let scoped = Api::new(&s.base).with_token(&secret);
    assert_eq!(scoped.call(Method::GET, "/api/v1/namespaces/team/jobs", None).await.0, 200);
    let (st, body) = scoped.post("/api/v1/namespaces/team/jobs", json!({"name": "x", "kind": "sql"})).await;
    assert_eq!(st, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(scoped.call(Method::GET, "/api/v1/namespaces/other/jobs", None).await.0, 403);
    let (st, _) = scoped.post("/api/v1/tokens", json!({"name": "more"})).await;
    assert_eq!(st, 403, "a scoped token cannot mint tokens");

    // No token above the user's own role, nor in a namespace they are not in.
    let (st, body) = ed.post("/api/v1/tokens", json!({"name": "up", "namespace": "team", "role": "owner"})).await;
    assert_eq!(st, 403, "{body}");
    let (st, _) = ed.post("/api/v1/tokens", json!({"name": "x", "namespace": "other", "role": "viewer"})).await;
    assert_eq!(st, 403);
    let (st, body) = ed.post("/api/v1/tokens", json!({"name": "x", "namespace": "team"})).await;
    assert_eq!(st, 400, "a scope needs a role: {body}");

    // Someone else's token cannot be revoked (it does not exist for them); its owner's revocation is immediate.
    let id = created["info"]["id"].as_i64().expect("id");
    let other = Api::new(&s.base).with_token(&s.user_with_role("nosy", None).await);
    assert_eq!(other.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await.0, 404);
    assert_eq!(scoped.call(Method::GET, "/api/v1/namespaces/team/jobs", None).await.0, 200, "still valid");
    let (st, revoked) = ed.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await;
    assert_eq!(st, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let (st, body) = scoped.call(Method::GET, "/api/v1/namespaces/team/jobs", None).await;
    assert_eq!(st, 401, "revoked: refused on the very next request: {body}");
    assert_eq!(body["error"]["code"], "unauthenticated");

    // Removing the user from the namespace takes the rights of their tokens with it.
    assert_eq!(ed.call(Method::GET, "/api/v1/namespaces/team/jobs", None).await.0, 200);
    assert_eq!(admin.call(Method::DELETE, "/api/v1/namespaces/team/members/ed", None).await.0, 204);
    assert_eq!(ed.call(Method::GET, "/api/v1/namespaces/team/jobs", None).await.0, 403);

    // The command line's token: `weir token create` (here, the same engine call) carries the user's rights.
    let new = weir_engine::access::tokens::NewToken { name: "cli".into(), user: Some(ADMIN.into()), ..Default::default() };
    let cli = s.engine.create_token(&Caller::system(), new).await.expect("token").token;
    assert_eq!(Api::new(&s.base).with_token(&cli).call(Method::GET, "/api/v1/users", None).await.0, 200);
    // An unknown token is refused, not treated as anonymous.
    assert_eq!(Api::new(&s.base).with_token("weir_nope").call(Method::GET, "/api/v1/health", None).await.0, 401);
}

#[tokio::test]
async fn sessions_end_after_idle_and_absolute_limits_and_survive_nothing_else() {
    let idle = server(|c| c.auth.session_idle_s = 2).await;
    let (api, cookie) = Api::login(&idle.base, ADMIN, ADMIN_PASSWORD, true).await;
    assert!(!cookie.is_empty());
    assert_eq!(api.call(Method::GET, "/api/v1/session", None).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(api.call(Method::GET, "/api/v1/session", None).await.0, 200, "activity keeps it alive");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(api.call(Method::GET, "/api/v1/session", None).await.0, 200, "activity keeps it alive");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(api.call(Method::GET, "/api/v1/session", None).await.0, 401, "idle too long");

    let absolute = server(|c| {
        c.auth.session_idle_s = 600;
        c.auth.session_absolute_s = 2;
    })
    .await;
    let (api, _) = Api::login(&absolute.base, ADMIN, ADMIN_PASSWORD, true).await;
    assert_eq!(api.call(Method::GET, "/api/v1/session", None).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(api.call(Method::GET, "/api/v1/session", None).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(api.call(Method::GET, "/api/v1/session", None).await.0, 401, "past the absolute limit");

    // A login gets a new session id; logout ends the session.
    let (a, first) = Api::login(&absolute.base, ADMIN, ADMIN_PASSWORD, true).await;
    let (_, second) = Api::login(&absolute.base, ADMIN, ADMIN_PASSWORD, true).await;
    assert_ne!(first, second, "each login has its own session id");
    assert_eq!(a.call(Method::DELETE, "/api/v1/session", None).await.0, 204);
    assert_eq!(a.call(Method::GET, "/api/v1/session", None).await.0, 401, "logged out");

    // The cookie is HttpOnly and SameSite.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/session", absolute.base))
        .json(&json!({"name": ADMIN, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    let set_cookie = resp.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http: not Secure ({set_cookie})");
    let https = server(|c| c.server.public_url = "https://weir.example.com".into()).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/session", https.base))
        .json(&json!({"name": ADMIN, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    let set_cookie = resp.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(set_cookie.contains("Secure"), "served over https: Secure ({set_cookie})");
}

#[tokio::test]
async fn cookie_authenticated_changes_need_same_origin_or_the_csrf_token() {
    let s = server(|_| {}).await;
    let (plain, _) = Api::login(&s.base, ADMIN, ADMIN_PASSWORD, false).await;
    let jobs = "/api/v1/namespaces/default/jobs";
    let count = |v: Value| v.as_array().map(Vec::len).unwrap_or(0);
    let before = count(s.api().get(jobs).await);

    let evil = plain.clone_with_header("origin", "http://evil.example");
    let (st, body) = evil.post(jobs, json!({"name": "forged", "kind": "sql"})).await;
    assert_eq!(st, 403, "{body}");
    assert_eq!(body["error"]["code"], "csrf_rejected");
    let (st, _) = plain.clone_with_header("sec-fetch-site", "cross-site").post(jobs, json!({"name": "forged", "kind": "sql"})).await;
    assert_eq!(st, 403);
    let (st, _) = plain.post(jobs, json!({"name": "forged", "kind": "sql"})).await;
    assert_eq!(st, 403, "a cookie and no proof of origin");
    let (st, _) = plain.clone_with_header("x-csrf-token", "wrong").post(jobs, json!({"name": "forged", "kind": "sql"})).await;
    assert_eq!(st, 403, "a wrong token");
    assert_eq!(count(s.api().get(jobs).await), before, "nothing was created");
    // Reads are not affected.
    assert_eq!(evil.call(Method::GET, jobs, None).await.0, 200);

    let host = s.base.trim_start_matches("http://").to_owned();
    let same = plain.clone_with_header("origin", &format!("http://{host}"));
    same.post_ok(jobs, json!({"name": "same-origin", "kind": "sql"}), 201).await;
    let (with_token, _) = Api::login(&s.base, ADMIN, ADMIN_PASSWORD, true).await;
    with_token.post_ok(jobs, json!({"name": "with-token", "kind": "sql"}), 201).await;
    // The refusal is in the audit log.
    let audit = s.api().get("/api/v1/audit").await;
    let refused = audit.as_array().into_iter().flatten().find(|e| e["status"] == 403 && e["request"] == format!("POST {jobs}"));
    assert!(refused.is_some_and(|e| e["outcome"] == "denied"), "{audit}");
}

#[tokio::test]
async fn logins_are_throttled_without_telling_who_exists() {
    let s = server(|_| {}).await;
    s.user_with_role("alice", None).await;
    let login = |name: &str, password: &str, _from: &str| {
        let (base, name, password) = (s.base.clone(), name.to_owned(), password.to_owned());
        async move {
            let started = Instant::now();
            let resp = reqwest::Client::new()
                .post(format!("{base}/api/v1/session"))
                .json(&json!({"name": name, "password": password}))
                .send()
                .await
                .expect("login");
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or_default();
            (status, body["error"]["message"].as_str().unwrap_or_default().to_owned(), started.elapsed())
        }
    };
    // Wrong password and unknown user: the same answer, after comparable work.
    let (mut known, mut unknown) = (Duration::ZERO, Duration::ZERO);
    let (st1, wrong, t) = login("alice", "not-her-password", "a").await;
    known += t;
    let (st2, nobody, t) = login("nobody-by-that-name", "whatever-password", "a").await;
    unknown += t;
    assert_eq!((st1, st2), (401, 401));
    assert_eq!(wrong, nobody, "no user enumeration through the message");
    for _ in 0..2 {
        known += login("alice", "not-her-password", "a").await.2;
        unknown += login("nobody-by-that-name", "whatever-password", "a").await.2;
    }
    assert!(
        unknown.as_secs_f64() > known.as_secs_f64() * 0.3,
        "an unknown name must cost a password check too (known {known:?}, unknown {unknown:?})"
    );
    // alice has 3 failures; 2 more lock her account, and then even the right password is refused.
    for _ in 0..2 {
        assert_eq!(login("alice", "not-her-password", "a").await.0, 401);
    }
    let (st, message, _) = login("alice", "alice-password-123", "a").await;
    assert_eq!(st, 429, "{message}");
    assert!(message.contains("try again"), "{message}");
    // Unknown names lock the same way (the answer does not reveal whether the name exists).
    for _ in 0..2 {
        assert_eq!(login("nobody-by-that-name", "whatever-password", "a").await.0, 401);
    }
    let (st, locked_too, _) = login("nobody-by-that-name", "whatever-password", "a").await;
    assert_eq!(st, 429);
    assert_eq!(locked_too.split(" in ").next(), message.split(" in ").next(), "the same answer");
    // Another account is not affected... until this address has failed too often.
    s.user_with_role("bob", None).await;
    assert_eq!(login("bob", "bob-password-123", "a").await.0, 200);
    let mut status = 0;
    for i in 0..30 {
        status = login(&format!("guess-{i}"), "x-password-guess", "a").await.0;
        if status == 429 {
            break;
        }
    }
    assert_eq!(status, 429, "the address is throttled");
    assert_eq!(login("bob", "bob-password-123", "a").await.0, 429, "every account, from this address");
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_and_only_owners_and_admins_read_it() {
    let s = server(|_| {}).await;
    let admin = s.api();
    admin.post_ok("/api/v1/namespaces", json!({"name": "team"}), 201).await;
    let owner = Api::new(&s.base).with_token(&s.user_with_role("olga", Some(("team", "owner"))).await);
    let viewer = Api::new(&s.base).with_token(&s.user_with_role("vic", Some(("team", "viewer"))).await);
    owner.post_ok("/api/v1/namespaces/team/jobs", json!({"name": "audited", "kind": "sql"}), 201).await;
    let (st, _) = viewer.post("/api/v1/namespaces/team/jobs", json!({"name": "nope", "kind": "sql"})).await;
    assert_eq!(st, 403);
    admin.post_ok("/api/v1/namespaces/default/jobs", json!({"name": "elsewhere", "kind": "sql"}), 201).await;

    let all = admin.get("/api/v1/audit").await;
    let entries = all.as_array().cloned().unwrap_or_default();
    let created = entries.iter().find(|e| e["target"] == "team/audited").expect("the creation is recorded");
    assert_eq!(created["actor"], "olga (token test)");
    assert_eq!(created["action"], "create-job");
    assert_eq!(created["namespace"], "team");
    assert_eq!(created["status"], 201);
    assert_eq!(created["outcome"], "ok");
    assert_eq!(created["address"], "127.0.0.1");
    assert!(created["at"].is_string());
    let denied = entries.iter().find(|e| e["target"] == "team/nope").expect("the refusal is recorded");
    assert_eq!(denied["actor"], "vic (token test)");
    assert_eq!(denied["outcome"], "denied");
    assert_eq!(denied["status"], 403);
    // Reads are not recorded, neither REST GETs nor the UI's reading server functions (POSTs).
    let read = admin.request(Method::POST, &format!("{}{}", s.base, <weir_app::server_fns::GetDashboard as ServerFn>::PATH));
    assert_eq!(read.send().await.expect("dashboard").status().as_u16(), 200);
    let all = admin.get("/api/v1/audit").await;
    let entries = all.as_array().cloned().unwrap_or_default();
    assert!(entries.iter().all(|e| !e["request"].as_str().unwrap_or_default().starts_with("GET")), "{all}");
    assert!(entries.iter().all(|e| !e["request"].as_str().unwrap_or_default().contains("/api/dashboard")), "{all}");

    // The owner reads their namespace's records only; a viewer reads none.
    let theirs = owner.get("/api/v1/audit").await;
    let theirs = theirs.as_array().cloned().unwrap_or_default();
    assert!(!theirs.is_empty() && theirs.iter().all(|e| e["namespace"] == "team"), "{theirs:?}");
    assert_eq!(owner.call(Method::GET, "/api/v1/audit?namespace=default", None).await.0, 403);
    assert_eq!(viewer.call(Method::GET, "/api/v1/audit", None).await.0, 403);

    // A successful login is recorded under the user who logged in.
    Api::login(&s.base, ADMIN, ADMIN_PASSWORD, true).await;
    let after = admin.get("/api/v1/audit?limit=1").await;
    assert_eq!(after[0]["action"], "login", "{after}");
    assert_eq!(after[0]["actor"], ADMIN, "{after}");
}

#[tokio::test]
async fn the_event_stream_only_carries_what_the_subscriber_may_see() {
    use futures::StreamExt;
    let s = server(|_| {}).await;
    let admin = s.api();
    admin.post_ok("/api/v1/namespaces", json!({"name": "team"}), 201).await;
    admin.post_ok("/api/v1/namespaces", json!({"name": "other"}), 201).await;
    let member = s.user_with_role("mia", Some(("team", "viewer"))).await;
    let outsider = s.user_with_role("oscar", Some(("other", "owner"))).await;
    let collect = |token: String| {
        let base = s.base.clone();
        tokio::spawn(async move {
            let resp = reqwest::Client::new().get(format!("{base}/api/v1/events")).bearer_auth(token).send().await.expect("events");
            assert_eq!(resp.status().as_u16(), 200);
            let mut body = resp.bytes_stream();
            let mut text = String::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, body.next()).await {
                text.push_str(&String::from_utf8_lossy(&chunk));
                if text.contains("\"namespace\":\"team\"") && text.contains("succeeded") {
                    break;
                }
            }
            text
        })
    };
    let seen_by_member = collect(member.clone());
    let seen_by_outsider = collect(outsider.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    admin.post_ok("/api/v1/namespaces/team/jobs", json!({"name": "watched", "kind": "sql"}), 201).await;
    admin.post_ok("/api/v1/namespaces/team/jobs/watched/versions", json!({"sql": stateful_sql("w")}), 201).await;
    admin.act("/api/v1/namespaces/team/jobs/watched/deployments/dev/deploy", json!({})).await;
    let member_text = seen_by_member.await.expect("member stream");
    let outsider_text = seen_by_outsider.await.expect("outsider stream");
    assert!(member_text.contains("\"namespace\":\"team\""), "the member sees team's events: {member_text}");
    assert!(!outsider_text.contains("\"namespace\":\"team\""), "the outsider does not: {outsider_text}");
    assert!(outsider_text.contains("event: heartbeat") || outsider_text.contains("event: cluster"), "{outsider_text}");
    assert_eq!(Api::new(&s.base).call(Method::GET, "/api/v1/events", None).await.0, 401);

    // The dashboard counts only the deployments of namespaces the caller may see.
    let running_in_dev = |token: String| {
        let url = format!("{}{}", s.base, <weir_app::server_fns::GetDashboard as ServerFn>::PATH);
        async move {
            let resp = reqwest::Client::new().post(url).bearer_auth(token).send().await.expect("dashboard");
            let d: Value = resp.json().await.expect("JSON");
            let dev = d["environments"].as_array().into_iter().flatten().find(|e| e["name"] == "dev").cloned().unwrap_or_default();
            dev["running"].as_u64().unwrap_or(0)
        }
    };
    let start = Instant::now();
    while running_in_dev(member.clone()).await == 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "the member's dashboard never counted the job");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(running_in_dev(outsider.clone()).await, 0, "the outsider's dashboard does not count team's job");
    admin.act("/api/v1/namespaces/team/jobs/watched/deployments/dev/stop", json!({"savepoint": false})).await;
}

/// `weir user create` and `weir token create` (the real binary) set up a database a server then accepts.
#[tokio::test]
async fn the_command_line_creates_an_administrator_and_a_token() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = dir.path().join("weir.toml");
    std::fs::write(&config, format!("[server]\ndata_dir = {:?}\n", dir.path().join("data").display().to_string())).expect("config");
    let weir = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run weir");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("password");
        let out = child.wait_with_output().expect("weir output");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (ok, _, err) = weir(&["user", "create", "--admin", "root"], "short\n");
    assert!(!ok && err.contains("at least 10 characters"), "a short password is refused: {err}");
    let (ok, out, err) = weir(&["user", "create", "--admin", "root"], "root-password-123\n");
    assert!(ok, "{out}{err}");
    let (ok, out, _) = weir(&["user", "create", "--admin", "--if-missing", "root"], "");
    assert!(ok && out.contains("exists already"), "{out}");
    let (ok, _, err) = weir(&["token", "create", "--user", "ghost"], "");
    assert!(!ok && err.contains("user 'ghost' does not exist"), "{err}");
    let (ok, token, err) = weir(&["token", "create", "--user", "root", "--namespace", "default", "--role", "viewer"], "");
    assert!(ok, "{err}");
    let token = token.trim().to_owned();
    assert!(token.starts_with("weir_"), "{token}");

    let mut cfg = weir::config::Config::from_file(&config).expect("config");
    cfg.finish();
    let app = weir::server::build(&cfg).await.expect("build");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app.router).await });
    let api = Api::new(&base).with_token(&token);
    assert_eq!(api.call(Method::GET, "/api/v1/namespaces/default/jobs", None).await.0, 200);
    assert_eq!(api.post("/api/v1/namespaces/default/jobs", json!({"name": "x", "kind": "sql"})).await.0, 403, "viewer only");
    let (_, _) = Api::login(&base, "root", "root-password-123", true).await;
}

/// A new password ends every session of the user (theirs or set by an administrator); only administrators
/// change the admin flag.
#[tokio::test]
async fn a_password_change_ends_the_users_sessions() {
    let s = server(|_| {}).await;
    s.user_with_role("ann", None).await;
    let (ann, _) = Api::login(&s.base, "ann", "ann-password-123", true).await;
    let (other_device, _) = Api::login(&s.base, "ann", "ann-password-123", true).await;
    let (st, body) = ann.call(Method::PATCH, "/api/v1/users/ann", Some(json!({"admin": true}))).await;
    assert_eq!(st, 403, "nobody makes themself an administrator: {body}");
    let (st, body) = ann.call(Method::PATCH, "/api/v1/users/ann", Some(json!({"password": "short"}))).await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(ann.call(Method::GET, "/api/v1/session", None).await.0, 200, "a refused change ends nothing");
    let (st, body) = ann.call(Method::PATCH, "/api/v1/users/ann", Some(json!({"password": "ann-new-password-1"}))).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(ann.call(Method::GET, "/api/v1/session", None).await.0, 401, "this session ended");
    assert_eq!(other_device.call(Method::GET, "/api/v1/session", None).await.0, 401, "and every other");
    let (again, _) = Api::login(&s.base, "ann", "ann-new-password-1", true).await;
    assert_eq!(again.call(Method::GET, "/api/v1/session", None).await.0, 200, "the new password works");
    let old = reqwest::Client::new()
        .post(format!("{}/api/v1/session", s.base))
        .json(&json!({"name": "ann", "password": "ann-password-123"}))
        .send()
        .await
        .expect("login");
    assert_eq!(old.status().as_u16(), 401, "the old one does not");
    // An administrator's reset ends her sessions too.
    s.api().call(Method::PATCH, "/api/v1/users/ann", Some(json!({"password": "reset-by-admin-1"}))).await;
    assert_eq!(again.call(Method::GET, "/api/v1/session", None).await.0, 401);
}
