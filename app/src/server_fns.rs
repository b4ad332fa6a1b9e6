//! Leptos server functions: thin doors onto the engine, as the REST API is. No logic here: each one reads its
//! arguments, calls one engine operation as the request's caller, and returns its answer or its error.
//! The engine and the caller come from the request's context ([`door`]): the server provides the engine, and
//! its authentication puts the caller into the request.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use weir_model::DeployForm;
use weir_model::{
    ApiToken, AuditEntry, Cluster, ClusterStatus, CreatedToken, Dashboard, Environment, Job, JobDetail, JobRow, Me,
    Member, Namespace, SqlCheck, User, Version, VersionDiff,
};
use weir_model::alerts::{Alert, AlertChannel, AlertNotification, AlertRule, ChannelTest, Silence};
#[cfg(feature = "ssr")]
use weir_model::alerts::SilenceMatchers;

#[cfg(feature = "ssr")]
use door::{door, fail};

mod lineage;
pub use lineage::*;
mod pools;
pub use pools::*;
mod recommendations;
pub use recommendations::*;

#[cfg(feature = "ssr")]
mod door {
    use leptos::prelude::*;
    use weir_engine::{Caller, Engine, EngineError};

    /// The engine, and who is calling (anonymous when the request carries nobody).
    pub fn door() -> Result<(Engine, Caller), ServerFnError> {
        let engine =
            use_context::<Engine>().ok_or_else(|| ServerFnError::new("the engine is not available to this request"))?;
        let caller = use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<Caller>().cloned())
            .unwrap_or_else(|| Caller::anonymous(None));
        Ok((engine, caller))
    }

    /// Turns an engine error into the server function's error, answering with the status the REST API gives
    /// it (one mapping: [`weir_model::ErrorCode::http_status`]) — except for a plain HTML form post, which is
    /// sent back to its page with the error in the address (a redirect, whose status must stay a redirect).
    pub fn fail(e: EngineError) -> ServerFnError {
        let message = e.public_message();
        let html_form = use_context::<http::request::Parts>()
            .and_then(|p| p.headers.get(http::header::ACCEPT).and_then(|a| a.to_str().ok()).map(|a| a.contains("text/html")))
            .unwrap_or(false);
        if !html_form {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                if let Ok(status) = http::StatusCode::from_u16(e.code().http_status()) {
                    response.set_status(status);
                }
            }
        }
        ServerFnError::new(message)
    }
}

/// Every registered cluster with its live status.
#[server(endpoint = "cluster_statuses")]
pub async fn cluster_statuses() -> Result<Vec<ClusterStatus>, ServerFnError> {
    let (engine, caller) = door()?;
    engine.cluster_statuses(&caller).await.map_err(fail)
}

/// The dashboard's data.
#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, ServerFnError> {
    let (engine, caller) = door()?;
    engine.dashboard(&caller).await.map_err(fail)
}

/// Every environment.
#[server(endpoint = "environments")]
pub async fn list_environments() -> Result<Vec<Environment>, ServerFnError> {
    let (engine, caller) = door()?;
    engine.list_environments(&caller).await.map_err(fail)
}

/// Registers a cluster of a kind, with that kind's settings from the form's fields.
#[server(endpoint = "register_cluster")]
#[allow(clippy::too_many_arguments)]
pub async fn register_cluster(
    name: String,
    kind: String,
    #[server(default)] rest_url: Option<String>,
    #[server(default)] flink_version: Option<String>,
    #[server(default)] taskmanagers: Option<String>,
    #[server(default)] zookeeper_quorum: Option<String>,
    #[server(default)] namespace: Option<String>,
    #[server(default)] image: Option<String>,
    #[server(default)] service_account: Option<String>,
    #[server(default)] kubeconfig: Option<String>,
    #[server(default)] runner_jar_uri: Option<String>,
    #[server(default)] rest_url_template: Option<String>,
    #[server(default)] session_deployment: Option<String>,
) -> Result<Cluster, ServerFnError> {
    let (engine, caller) = door()?;
    let form = weir_model::clusters::ClusterForm {
        rest_url,
        flink_version,
        taskmanagers,
        zookeeper_quorum,
        namespace,
        image,
        service_account,
        kubeconfig,
        runner_jar_uri,
        rest_url_template,
        session_deployment,
    };
    let settings = kind.parse::<weir_model::ClusterKind>().ok().map(|k| form.settings(k));
    let new = weir_engine::clusters::NewCluster { name: name.trim().into(), kind, rest_url: None, settings };
    engine.register_cluster(&caller, new).await.map_err(fail)
}

/// Creates an environment; `flink_config` holds one `key = value` per line; `prometheus_url` (optional) names
/// the Prometheus its metrics history is read from.
#[server(endpoint = "create_environment")]
pub async fn create_environment(
    name: String,
    cluster: String,
    flink_config: String,
    #[server(default)] prometheus_url: Option<String>,
) -> Result<Environment, ServerFnError> {
    let config = weir_model::parse_config_lines(&flink_config).map_err(ServerFnError::new)?;
    let (engine, caller) = door()?;
    let new = weir_engine::environments::NewEnvironment {
        name: name.trim().into(),
        cluster,
        flink_config: config,
        prometheus_url,
        pool: None,
        recommendations: None,
    };
    engine.create_environment(&caller, new).await.map_err(fail)
}

/// The jobs of a namespace with their deployments.
#[server(endpoint = "job_rows")]
pub async fn list_job_rows(ns: String) -> Result<Vec<JobRow>, ServerFnError> {
    let (engine, caller) = door()?;
    engine.job_rows(&caller, &ns).await.map_err(fail)
}

/// Everything the job page shows.
#[server(endpoint = "job_detail")]
pub async fn get_job_detail(ns: String, job: String) -> Result<JobDetail, ServerFnError> {
    let (engine, caller) = door()?;
    engine.job_detail(&caller, &ns, &job).await.map_err(fail)
}

/// A deployment's metrics history over the last `range` (`15m`, `1h`, `6h`, `24h`, `7d`), every measure.
#[server(endpoint = "deployment_metrics")]
pub async fn get_deployment_metrics(
    ns: String,
    job: String,
    env: String,
    range: String,
) -> Result<weir_model::metrics::Metrics, ServerFnError> {
    let (engine, caller) = door()?;
    let to = chrono::Utc::now().timestamp_millis();
    let from = to - crate::components::charts::ChartRange::parse(Some(&range)).ms();
    engine.deployment_metrics(&caller, &ns, &job, &env, None, Some(from), Some(to)).await.map_err(fail)
}

/// The end of each log file of a deployment's job (kinds with a cluster per job).
#[server(endpoint = "deployment_logs")]
pub async fn get_deployment_logs(ns: String, job: String, env: String) -> Result<weir_model::clusters::DeploymentLogs, ServerFnError> {
    let (engine, caller) = door()?;
    engine.deployment_logs(&caller, &ns, &job, &env, 32 * 1024).await.map_err(fail)
}

/// The dashboard's trends over the last hour: deployments' throughput and lag, clusters' slots, CPU and heap.
#[server(endpoint = "trends")]
pub async fn get_trends() -> Result<weir_model::metrics::Trends, ServerFnError> {
    let (engine, caller) = door()?;
    engine.trends(&caller, 3_600_000).await.map_err(fail)
}

/// Compares two versions of a job.
#[server(endpoint = "version_diff")]
pub async fn get_version_diff(ns: String, job: String, a: i32, b: i32) -> Result<VersionDiff, ServerFnError> {
    let (engine, caller) = door()?;
    engine.diff_versions(&caller, &ns, &job, a, b).await.map_err(fail)
}

/// Creates a job; from a plain form post, goes on to the new job's page.
#[server(endpoint = "create_job")]
pub async fn create_job(ns: String, name: String, kind: String, description: String) -> Result<Job, ServerFnError> {
    let (engine, caller) = door()?;
    let new = weir_engine::jobs::NewJob { name: name.trim().into(), kind, description: description.trim().into() };
    let job = engine.create_job(&caller, &ns, new).await.map_err(fail)?;
    leptos_axum::redirect(&format!("/jobs/{}/{}", job.namespace, job.name));
    Ok(job)
}

/// Saves the next version of a SQL job.
#[server(endpoint = "save_version")]
pub async fn save_version(ns: String, job: String, sql: String, message: String) -> Result<Version, ServerFnError> {
    let (engine, caller) = door()?;
    let new = weir_engine::versions::NewVersion { sql: Some(sql), message: message.trim().into(), ..Default::default() };
    engine.create_version(&caller, &ns, &job, new).await.map_err(fail)
}

/// Uploads a JAR and saves it as the next version of a JAR job. A multipart form with the fields `ns`, `job`,
/// `jar` (the file), `entry_class`, `args` (one per line), `parallelism` and `message`; it works as a plain
/// HTML form (the browser is sent back to the page it came from).
#[server(input = leptos::server_fn::codec::MultipartFormData, endpoint = "save_jar_version")]
pub async fn save_jar_version(data: leptos::server_fn::codec::MultipartData) -> Result<Version, ServerFnError> {
    let mut form = data.into_inner().ok_or_else(|| ServerFnError::new("expected a multipart form"))?;
    let mut fields = std::collections::HashMap::new();
    let mut jar: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| ServerFnError::new(format!("unreadable upload: {e}")))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "jar" {
            let file_name = field.file_name().unwrap_or("job.jar").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| ServerFnError::new(format!("unreadable upload: {e}")))? {
                bytes.extend_from_slice(&chunk);
            }
            jar = Some((file_name, bytes));
        } else {
            let value = field.text().await.map_err(|e| ServerFnError::new(format!("unreadable field {name}: {e}")))?;
            fields.insert(name, value);
        }
    }
    let get = |k: &str| fields.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let (file_name, bytes) = jar.filter(|(_, b)| !b.is_empty()).ok_or_else(|| ServerFnError::new("choose a JAR file to upload"))?;
    let parallelism = match get("parallelism").as_str() {
        "" => None,
        p => Some(p.parse::<i32>().map_err(|_| ServerFnError::new(format!("parallelism '{p}' is not a number")))?),
    };
    let entry_class = Some(get("entry_class")).filter(|c| !c.is_empty());
    let args = get("args").lines().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
    let (engine, caller) = door()?;
    let new = weir_engine::versions::NewVersion { entry_class, args, parallelism, message: get("message"), ..Default::default() };
    engine.create_jar_version(&caller, &get("ns"), &get("job"), &file_name, bytes, new).await.map_err(fail)
}

/// Saves the next version with the latest program and new settings: `parallelism` (empty: the cluster's
/// default) and `flink_config` (one `key = value` per line).
#[server(endpoint = "save_settings")]
pub async fn save_settings(
    ns: String,
    job: String,
    parallelism: String,
    flink_config: String,
    message: String,
) -> Result<Version, ServerFnError> {
    let parallelism = match parallelism.trim() {
        "" => None,
        p => Some(p.parse::<i32>().map_err(|_| ServerFnError::new(format!("parallelism '{p}' is not a number")))?),
    };
    let config = weir_model::parse_config_lines(&flink_config).map_err(ServerFnError::new)?;
    let (engine, caller) = door()?;
    engine.create_settings_version(&caller, &ns, &job, parallelism, config, &message).await.map_err(fail)
}

/// Checks SQL with the real Flink planner.
#[server(endpoint = "validate_sql")]
pub async fn validate_sql(sql: String) -> Result<SqlCheck, ServerFnError> {
    let (engine, caller) = door()?;
    engine.validate_sql(&caller, &sql, None, true).await.map_err(fail)
}

/// Deploys a version (the latest when `version` is empty); see [`DeployForm::from_fields`] for the fields.
#[server(endpoint = "deploy")]
pub async fn deploy(
    ns: String,
    job: String,
    env: String,
    version: String,
    restore: String,
    restore_path: String,
    overrides: String,
) -> Result<i64, ServerFnError> {
    let form = DeployForm::from_fields(&version, &restore, &restore_path, &overrides).map_err(ServerFnError::new)?;
    let (engine, caller) = door()?;
    let req = weir_engine::operations::deploy::DeployRequest {
        version: form.version,
        restore: form.restore.map(|r| r.to_string()),
        restore_path: form.restore_path,
        allow_non_restored_state: Some(form.allow_non_restored_state),
        config_overrides: form.config_overrides,
    };
    engine.request_deploy(&caller, &ns, &job, &env, req).await.map_err(fail)
}

/// Stops with a savepoint (`savepoint` true) or cancels.
#[server(endpoint = "stop")]
pub async fn stop(ns: String, job: String, env: String, savepoint: bool) -> Result<i64, ServerFnError> {
    let (engine, caller) = door()?;
    let req = weir_engine::operations::stop::StopRequest { savepoint, drain: false };
    engine.request_stop(&caller, &ns, &job, &env, req).await.map_err(fail)
}

/// Takes a savepoint while the job runs.
#[server(endpoint = "savepoint")]
pub async fn savepoint(ns: String, job: String, env: String) -> Result<i64, ServerFnError> {
    let (engine, caller) = door()?;
    engine.request_savepoint(&caller, &ns, &job, &env).await.map_err(fail)
}

/// Rolls back to a version, keeping current state (`latest-savepoint`) or with that version's snapshot.
#[server(endpoint = "rollback")]
pub async fn rollback(ns: String, job: String, env: String, version: i32, restore: String) -> Result<i64, ServerFnError> {
    let (engine, caller) = door()?;
    let req = weir_engine::operations::deploy::RollbackRequest { version, restore: Some(restore), allow_non_restored_state: None };
    engine.request_rollback(&caller, &ns, &job, &env, req).await.map_err(fail)
}

/// Who is signed in; `None` for nobody (the login page).
#[server(endpoint = "me")]
pub async fn get_me() -> Result<Option<Me>, ServerFnError> {
    let (engine, caller) = door()?;
    match engine.me(&caller).await {
        Ok(me) => Ok(Some(me)),
        Err(weir_engine::EngineError::Unauthenticated(_)) => Ok(None),
        Err(e) => Err(fail(e)),
    }
}

/// The namespaces the caller has a role in.
#[server(endpoint = "namespaces")]
pub async fn list_namespaces() -> Result<Vec<Namespace>, ServerFnError> {
    let (engine, caller) = door()?;
    engine.list_namespaces(&caller).await.map_err(fail)
}

/// A namespace's members, and the environments it may use.
#[server(endpoint = "namespace_detail")]
pub async fn get_namespace_detail(ns: String) -> Result<(Vec<Member>, Vec<String>), ServerFnError> {
    let (engine, caller) = door()?;
    let members = engine.list_members(&caller, &ns).await.map_err(fail)?;
    let environments = engine.namespace_environments(&caller, &ns).await.map_err(fail)?;
    Ok((members, environments))
}

/// Gives a user a role in a namespace (owners).
#[server(endpoint = "set_member")]
pub async fn set_member(ns: String, user: String, role: String) -> Result<Member, ServerFnError> {
    let (engine, caller) = door()?;
    engine.set_member(&caller, &ns, user.trim(), &role).await.map_err(fail)
}

/// Removes a member (owners).
#[server(endpoint = "remove_member")]
pub async fn remove_member(ns: String, user: String) -> Result<(), ServerFnError> {
    let (engine, caller) = door()?;
    engine.remove_member(&caller, &ns, &user).await.map_err(fail)
}

/// Limits a namespace to some environments; `environments` holds one name per line (none: every one).
#[server(endpoint = "set_namespace_environments")]
pub async fn set_namespace_environments(ns: String, environments: String) -> Result<Vec<String>, ServerFnError> {
    let list: Vec<String> =
        environments.split([',', '\n']).map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect();
    let (engine, caller) = door()?;
    engine.set_namespace_environments(&caller, &ns, &list).await.map_err(fail)
}

/// The audit log: one namespace's (empty `ns`: everything the caller may read).
#[server(endpoint = "audit")]
pub async fn list_audit(ns: String) -> Result<Vec<AuditEntry>, ServerFnError> {
    let ns = Some(ns.trim().to_owned()).filter(|n| !n.is_empty());
    let (engine, caller) = door()?;
    engine.list_audit(&caller, ns.as_deref(), None, None).await.map_err(fail)
}

/// The caller's API tokens.
#[server(endpoint = "tokens")]
pub async fn list_tokens() -> Result<Vec<ApiToken>, ServerFnError> {
    let (engine, caller) = door()?;
    let me = caller.user().map(|u| u.name.clone());
    engine.list_tokens(&caller, me.as_deref()).await.map_err(fail)
}

/// Creates an API token; the answer holds the secret, shown once. Empty `namespace`: the user's own rights;
/// `scope` `metrics`: a Prometheus scraper's token (only `GET /metrics`).
#[server(endpoint = "create_token")]
pub async fn create_token(
    name: String,
    namespace: String,
    role: String,
    #[server(default)] scope: Option<String>,
) -> Result<CreatedToken, ServerFnError> {
    let namespace = Some(namespace.trim().to_owned()).filter(|n| !n.is_empty());
    let role = namespace.as_ref().map(|_| role.trim().to_owned()).filter(|r| !r.is_empty());
    let (engine, caller) = door()?;
    let new = weir_engine::access::tokens::NewToken { name: name.trim().into(), user: None, namespace, role, scope };
    engine.create_token(&caller, new).await.map_err(fail)
}

/// Revokes an API token.
#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<ApiToken, ServerFnError> {
    let (engine, caller) = door()?;
    engine.revoke_token(&caller, id).await.map_err(fail)
}

/// Every user (administrators).
#[server(endpoint = "users")]
pub async fn list_users() -> Result<Vec<User>, ServerFnError> {
    let (engine, caller) = door()?;
    engine.list_users(&caller).await.map_err(fail)
}

/// Creates a user (administrators); `admin` is "on" from a checkbox.
#[server(endpoint = "create_user")]
pub async fn create_user(name: String, password: String, admin: Option<String>) -> Result<User, ServerFnError> {
    let (engine, caller) = door()?;
    let new = weir_engine::access::users::NewUser { name: name.trim().into(), password, admin: admin.is_some() };
    engine.create_user(&caller, new).await.map_err(fail)
}

/// Creates a namespace (administrators), with an optional first owner.
#[server(endpoint = "create_namespace")]
pub async fn create_namespace(name: String, owner: String) -> Result<Namespace, ServerFnError> {
    let owner = Some(owner.trim().to_owned()).filter(|o| !o.is_empty());
    let (engine, caller) = door()?;
    let new = weir_engine::access::members::NewNamespace { name: name.trim().into(), owner };
    engine.create_namespace(&caller, new).await.map_err(fail)
}

/// Changes a user: `password` (empty: unchanged; the user themself or an administrator) and `admin` ("yes",
/// "no", or empty: unchanged; administrators). A new password ends the user's sessions.
#[server(endpoint = "change_user")]
pub async fn change_user(name: String, password: String, admin: String) -> Result<User, ServerFnError> {
    let password = Some(password).filter(|p| !p.is_empty());
    let admin = match admin.as_str() {
        "" => None,
        "yes" => Some(true),
        "no" => Some(false),
        other => return Err(ServerFnError::new(format!("admin is 'yes' or 'no', not '{other}'"))),
    };
    let (engine, caller) = door()?;
    engine.change_user(&caller, &name, weir_engine::access::users::UserChange { password, admin }).await.map_err(fail)
}

/// Deletes a user with their memberships and tokens (administrators).
#[server(endpoint = "delete_user")]
pub async fn delete_user(name: String) -> Result<(), ServerFnError> {
    let (engine, caller) = door()?;
    engine.delete_user(&caller, &name).await.map_err(fail)
}

/// Alerts pending or firing now, and those resolved in the last day, in every namespace the caller reads.
#[server(endpoint = "alerts")]
pub async fn list_alerts() -> Result<Vec<Alert>, ServerFnError> {
    let (engine, caller) = door()?;
    engine.list_alerts(&caller).await.map_err(fail)
}

/// A namespace's alerting: its rules, channels (secrets never shown), silences and notification history
/// (newest first).
#[server(endpoint = "alert_settings")]
pub async fn get_alert_settings(ns: String) -> Result<AlertSettings, ServerFnError> {
    let (engine, caller) = door()?;
    let rules = engine.list_alert_rules(&caller, &ns).await.map_err(fail)?;
    let channels = engine.list_alert_channels(&caller, &ns).await.map_err(fail)?;
    let silences = engine.list_silences(&caller, &ns).await.map_err(fail)?;
    let history = engine.alert_history(&caller, &ns, None).await.map_err(fail)?;
    Ok(AlertSettings { rules, channels, silences, history })
}

/// A namespace's rules, channels, silences and notification history, as the Alerts page shows them.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlertSettings {
    pub rules: Vec<AlertRule>,
    pub channels: Vec<AlertChannel>,
    pub silences: Vec<Silence>,
    pub history: Vec<AlertNotification>,
}

/// An optional form field: `None` when empty.
#[cfg(feature = "ssr")]
fn given(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A form field that does not read, refused as the engine refuses an invalid request (status 400).
#[cfg(feature = "ssr")]
fn invalid(message: String) -> ServerFnError {
    fail(weir_engine::EngineError::Invalid(message))
}

/// An optional number from a form field (empty: `None`).
#[cfg(feature = "ssr")]
fn number<T: std::str::FromStr>(what: &str, v: &str) -> Result<Option<T>, ServerFnError> {
    match v.trim() {
        "" => Ok(None),
        n => n.parse::<T>().map(Some).map_err(|_| invalid(format!("{what} '{n}' is not a number"))),
    }
}

/// Creates a channel (owners) from a form: `url` (webhook, Slack, Alertmanager), `secret` (write-only: the
/// webhook's signing secret, or the SMTP password), and for email `host`, `port`, `tls`, `username`, `from`,
/// `to` (addresses separated by commas) and `ca_pem` (a private server's root certificate).
#[server(endpoint = "create_alert_channel")]
#[allow(clippy::too_many_arguments)]
pub async fn create_alert_channel(
    ns: String,
    name: String,
    kind: String,
    #[server(default)] url: String,
    #[server(default)] secret: String,
    #[server(default)] host: String,
    #[server(default)] port: String,
    #[server(default)] tls: String,
    #[server(default)] username: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] ca_pem: String,
) -> Result<AlertChannel, ServerFnError> {
    let config = channel_config(&kind, [&url, &secret, &host, &port, &tls, &username, &from, &to, &ca_pem])?;
    let (engine, caller) = door()?;
    let new = weir_engine::alerts::manage::NewChannel { name: name.trim().into(), kind: kind.trim().into(), config };
    engine.create_alert_channel(&caller, &ns, new).await.map_err(fail)
}

/// A channel's settings as the engine takes them, from a channel form's fields (`url`, `secret`, `host`,
/// `port`, `tls`, `username`, `from`, `to`, `ca_pem`); empty fields are left out (an empty secret keeps the
/// stored one).
#[cfg(feature = "ssr")]
fn channel_config(kind: &str, fields: [&str; 9]) -> Result<serde_json::Value, ServerFnError> {
    let [url, secret, host, port, tls, username, from, to, ca_pem] = fields;
    let mut config = serde_json::Map::new();
    let mut put = |k: &str, v: Option<serde_json::Value>| {
        if let Some(v) = v {
            config.insert(k.to_owned(), v);
        }
    };
    let text = |v: &str| given(v).map(serde_json::Value::String);
    if kind.trim() == "email" {
        put("host", Some(serde_json::Value::String(host.trim().to_owned())));
        put("port", number::<u16>("port", port)?.map(serde_json::Value::from));
        put("tls", text(tls));
        put("username", text(username));
        put("password", text(secret));
        put("from", Some(serde_json::Value::String(from.trim().to_owned())));
        let to: Vec<serde_json::Value> =
            to.split([',', '\n']).map(str::trim).filter(|a| !a.is_empty()).map(|a| a.to_owned().into()).collect();
        put("to", Some(serde_json::Value::Array(to)));
        put("ca_pem", text(ca_pem));
    } else {
        put("url", text(url));
        put("secret", text(secret));
    }
    Ok(serde_json::Value::Object(config))
}

/// Changes a channel's settings (owners), from the same fields as [`create_alert_channel`] (`kind`: the
/// channel's kind, which does not change); an empty `secret` (or Slack `url`) keeps the stored one.
#[server(endpoint = "update_alert_channel")]
#[allow(clippy::too_many_arguments)]
pub async fn update_alert_channel(
    ns: String,
    name: String,
    kind: String,
    #[server(default)] url: String,
    #[server(default)] secret: String,
    #[server(default)] host: String,
    #[server(default)] port: String,
    #[server(default)] tls: String,
    #[server(default)] username: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] ca_pem: String,
) -> Result<AlertChannel, ServerFnError> {
    let config = channel_config(&kind, [&url, &secret, &host, &port, &tls, &username, &from, &to, &ca_pem])?;
    let (engine, caller) = door()?;
    let change = weir_engine::alerts::manage::ChannelChange { config };
    engine.update_alert_channel(&caller, &ns, &name, change).await.map_err(fail)
}

/// Sends a test message through a channel (owners); the answer says whether it was delivered.
#[server(endpoint = "test_alert_channel")]
pub async fn test_alert_channel(ns: String, name: String) -> Result<ChannelTest, ServerFnError> {
    let (engine, caller) = door()?;
    engine.test_alert_channel(&caller, &ns, &name).await.map_err(fail)
}

/// Deletes a channel (owners).
#[server(endpoint = "delete_alert_channel")]
pub async fn delete_alert_channel(ns: String, name: String) -> Result<(), ServerFnError> {
    let (engine, caller) = door()?;
    engine.delete_alert_channel(&caller, &ns, &name).await.map_err(fail)
}

/// A rule form's condition and channels (names separated by commas or lines).
#[cfg(feature = "ssr")]
fn rule_fields(
    kind: &str,
    for_s: &str,
    threshold: &str,
    window_s: &str,
    channels: &str,
) -> Result<(weir_engine::alerts::manage::ConditionInput, Vec<String>), ServerFnError> {
    let condition = weir_engine::alerts::manage::ConditionInput {
        kind: kind.trim().into(),
        for_s: number("for (seconds)", for_s)?,
        threshold: number("threshold", threshold)?,
        window_s: number("window (seconds)", window_s)?,
    };
    let channels = channels.split([',', '\n']).map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect();
    Ok((condition, channels))
}

/// Creates a rule (owners): a condition `kind` with its figures (`for_s`, `threshold`, `window_s`; empty:
/// the kind's default), scoped to a `job` and/or `environment` (empty: all), notifying `channels` (names
/// separated by commas).
#[server(endpoint = "create_alert_rule")]
#[allow(clippy::too_many_arguments)]
pub async fn create_alert_rule(
    ns: String,
    name: String,
    kind: String,
    #[server(default)] for_s: String,
    #[server(default)] threshold: String,
    #[server(default)] window_s: String,
    #[server(default)] job: String,
    #[server(default)] environment: String,
    #[server(default)] channels: String,
) -> Result<AlertRule, ServerFnError> {
    let (condition, channels) = rule_fields(&kind, &for_s, &threshold, &window_s, &channels)?;
    let (engine, caller) = door()?;
    let new = weir_engine::alerts::manage::NewRule {
        name: name.trim().into(),
        condition,
        job: given(&job),
        environment: given(&environment),
        channels,
        enabled: None,
    };
    engine.create_alert_rule(&caller, &ns, new).await.map_err(fail)
}

/// Deletes a rule (owners).
#[server(endpoint = "delete_alert_rule")]
pub async fn delete_alert_rule(ns: String, name: String) -> Result<(), ServerFnError> {
    let (engine, caller) = door()?;
    engine.delete_alert_rule(&caller, &ns, &name).await.map_err(fail)
}

/// Changes a rule (owners) from the same fields as [`create_alert_rule`], all of them given: its condition
/// and figures (empty: the kind's default), its scope (an empty `job` or `environment`: all) and `channels`.
#[server(endpoint = "update_alert_rule")]
#[allow(clippy::too_many_arguments)]
pub async fn update_alert_rule(
    ns: String,
    name: String,
    kind: String,
    #[server(default)] for_s: String,
    #[server(default)] threshold: String,
    #[server(default)] window_s: String,
    #[server(default)] job: String,
    #[server(default)] environment: String,
    #[server(default)] channels: String,
) -> Result<AlertRule, ServerFnError> {
    let (condition, channels) = rule_fields(&kind, &for_s, &threshold, &window_s, &channels)?;
    let (engine, caller) = door()?;
    let change = weir_engine::alerts::manage::RuleChange {
        condition: Some(condition),
        job: Some(given(&job)),
        environment: Some(given(&environment)),
        channels: Some(channels),
        enabled: None,
    };
    engine.update_alert_rule(&caller, &ns, &name, change).await.map_err(fail)
}

/// Enables or disables a rule (owners); a disabled rule fires nothing.
#[server(endpoint = "set_alert_rule_enabled")]
pub async fn set_alert_rule_enabled(ns: String, name: String, enabled: bool) -> Result<AlertRule, ServerFnError> {
    let (engine, caller) = door()?;
    let change = weir_engine::alerts::manage::RuleChange { enabled: Some(enabled), ..Default::default() };
    engine.update_alert_rule(&caller, &ns, &name, change).await.map_err(fail)
}

/// Silences alerts (owners) for `hours` from now: those matching `job`, `environment` and `rule` (each
/// empty: any).
#[server(endpoint = "create_silence")]
pub async fn create_silence(
    ns: String,
    #[server(default)] job: String,
    #[server(default)] environment: String,
    #[server(default)] rule: String,
    hours: String,
    #[server(default)] comment: String,
) -> Result<Silence, ServerFnError> {
    let hours: f64 = number("hours", &hours)?.ok_or_else(|| invalid("give the hours the silence lasts".into()))?;
    let seconds = hours * 3600.0;
    if !seconds.is_finite() || seconds.abs() > 1e11 {
        return Err(invalid(format!("hours '{hours}' is out of range")));
    }
    let until = chrono::Utc::now() + chrono::Duration::seconds(seconds as i64);
    let matchers = SilenceMatchers { job: given(&job), environment: given(&environment), rule: given(&rule) };
    let (engine, caller) = door()?;
    let new = weir_engine::alerts::manage::NewSilence { matchers, until, comment: comment.trim().into() };
    engine.create_silence(&caller, &ns, new).await.map_err(fail)
}

/// Ends a silence (owners).
#[server(endpoint = "delete_silence")]
pub async fn delete_silence(ns: String, id: i64) -> Result<(), ServerFnError> {
    let (engine, caller) = door()?;
    engine.delete_silence(&caller, &ns, id).await.map_err(fail)
}
