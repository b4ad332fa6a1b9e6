//! Weir's configuration: defaults, then `weir.toml`, then `WEIR_*` environment variables.
//!
//! Every key is documented in the README. Unknown keys in the file are an error, so a typo never passes
//! silently.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Declarations and database settings are the engine's own types; the file only carries them.
pub use weir_engine::bootstrap::{ClusterDecl, EnvironmentDecl};
pub use weir_engine::store::DatabaseConfig;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid configuration file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value {value:?} in environment variable {var}: {message}")]
    Env { var: &'static str, value: String, message: String },
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub engine: EngineConfig,
    pub auth: AuthConfig,
    pub lineage: LineageConfig,
    /// Clusters registered at start-up (created, or updated to match, when the server starts).
    #[serde(rename = "clusters")]
    pub clusters: Vec<ClusterDecl>,
    /// Environments registered at start-up.
    #[serde(rename = "environments")]
    pub environments: Vec<EnvironmentDecl>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address the web UI and REST API listen on.
    pub listen: SocketAddr,
    /// Folder with the built UI assets (`pkg/weir.js`, `pkg/weir_bg.wasm`, `pkg/weir.css`).
    pub site_root: PathBuf,
    /// Where Weir keeps its files (the SQLite database by default, later JAR artifacts).
    pub data_dir: PathBuf,
    /// The address users reach Weir at, e.g. `https://weir.example.com` behind a TLS proxy. When it is https
    /// the session cookie is Secure; its origin passes the CSRF check. Empty: `http://<listen>`.
    pub public_url: String,
}

/// `[lineage]`: where OpenLineage RunEvents go.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineageConfig {
    /// A receiver's HTTP endpoint (e.g. Marquez's `http://marquez:5000/api/v1/lineage`); empty: no events.
    pub openlineage_url: String,
    /// Sent as `Authorization: Bearer <key>` when set.
    pub openlineage_api_key: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A web session unused this many seconds ends.
    pub session_idle_s: u64,
    /// A web session ends this many seconds after its login, however active.
    pub session_absolute_s: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { session_idle_s: 2 * 3600, session_absolute_s: 24 * 3600 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `weir=debug,info`.
    pub level: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// How long a request to a cluster's REST API may take, in milliseconds.
    pub cluster_timeout_ms: u64,
    /// The reconciler's period, in milliseconds.
    pub tick_ms: u64,
    /// Concurrent submissions per cluster; more wait in a queue.
    pub submit_concurrency: usize,
    /// How long a savepoint may take, in seconds, before its operation fails (the job keeps running).
    pub savepoint_timeout_s: u64,
    /// How long a new job may take to reach RUNNING, in seconds.
    pub start_timeout_s: u64,
    /// The SQL runner jar (built by scripts/build-runner).
    pub runner_jar: PathBuf,
    /// A Flink distribution whose `lib/` the SQL validator uses. Empty: `$FLINK_HOME`, else the copy
    /// scripts/flink-local installs (`~/.cache/weir/flink-2.3.0`).
    pub flink_home: PathBuf,
    /// The `java` program for the SQL validator.
    pub java: PathBuf,
    /// More Flink distributions (`[[engine.flink]]`, e.g. 1.20 beside 2.3), each with the SQL runner built
    /// against it. Empty: every `flink-<version>` that scripts/flink-local installed in the cache, with
    /// `runner/build/<version>/weir-sql-runner.jar`.
    pub flink: Vec<FlinkDistribution>,
    /// Largest JAR upload, in MiB.
    pub max_artifact_mb: usize,
    /// How often each running deployment's metrics are sampled, in seconds.
    pub metrics_interval_s: u64,
    /// How long raw metric samples are kept, in hours.
    pub metrics_raw_retention_h: u64,
    /// How long one-minute metric averages are kept, in days.
    pub metrics_minute_retention_d: u64,
    /// How long one-hour metric averages are kept, in days.
    pub metrics_hour_retention_d: u64,
    /// How often a deployment's alerts that keep firing are notified again, in seconds (default 4 h).
    pub alerts_repeat_interval_s: u64,
    /// The least time between two evaluations of a cluster's alert rules, in milliseconds (they follow the
    /// reconciler's looks).
    pub alerts_eval_interval_ms: u64,
    /// Delivery attempts per notification.
    pub alerts_delivery_attempts: u32,
    /// The pause after a failed delivery attempt, in milliseconds (doubled after each one).
    pub alerts_retry_backoff_ms: u64,
    /// The longest a SQL check (with its column lineage) may take; beyond, the checker JVM is stopped and the
    /// caller told (Weir carries on and starts a new one for the next check).
    pub sql_check_timeout_s: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            data_dir: PathBuf::from("data"),
            public_url: String::new(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into() }
    }
}

/// An installed Flink distribution (`[[engine.flink]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlinkDistribution {
    /// Its folder (with `lib/flink-dist-<version>.jar`).
    pub home: PathBuf,
    /// The SQL runner built against it.
    #[serde(default)]
    pub runner_jar: Option<PathBuf>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            cluster_timeout_ms: 3000,
            tick_ms: 1000,
            submit_concurrency: 4,
            savepoint_timeout_s: 300,
            start_timeout_s: 180,
            runner_jar: PathBuf::from("runner/build/weir-sql-runner.jar"),
            flink_home: PathBuf::new(),
            java: PathBuf::from("java"),
            flink: Vec::new(),
            max_artifact_mb: 256,
            metrics_interval_s: 15,
            metrics_raw_retention_h: 24,
            metrics_minute_retention_d: 7,
            metrics_hour_retention_d: 90,
            alerts_repeat_interval_s: 4 * 3600,
            alerts_eval_interval_ms: 1000,
            alerts_delivery_attempts: 4,
            alerts_retry_backoff_ms: 2000,
            sql_check_timeout_s: 60,
        }
    }
}

impl Config {
    /// Loads `path`, or `./weir.toml` when no path is given and that file exists, then applies the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let default_path = Path::new("weir.toml");
        let file = match path {
            Some(p) => Some(p),
            None if default_path.exists() => Some(default_path),
            None => None,
        };
        let mut config = match file {
            Some(p) => Self::from_file(p)?,
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.finish();
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse { path: path.to_owned(), message })
    }

    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Applies `WEIR_*` variables (and `DATABASE_URL`, `LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`) read by `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        // Set by cargo-leptos when it runs the server; explicit WEIR_* variables win.
        if let Some(v) = var("LEPTOS_SITE_ADDR") {
            self.server.listen = parse_env("LEPTOS_SITE_ADDR", v)?;
        }
        if let Some(v) = var("LEPTOS_SITE_ROOT") {
            self.server.site_root = PathBuf::from(v);
        }
        if let Some(v) = var("WEIR_LISTEN") {
            self.server.listen = parse_env("WEIR_LISTEN", v)?;
        }
        if let Some(v) = var("WEIR_SITE_ROOT") {
            self.server.site_root = PathBuf::from(v);
        }
        if let Some(v) = var("WEIR_PUBLIC_URL") {
            self.server.public_url = v;
        }
        if let Some(v) = var("WEIR_SESSION_IDLE_S") {
            self.auth.session_idle_s = parse_env("WEIR_SESSION_IDLE_S", v)?;
        }
        if let Some(v) = var("WEIR_SESSION_ABSOLUTE_S") {
            self.auth.session_absolute_s = parse_env("WEIR_SESSION_ABSOLUTE_S", v)?;
        }
        if let Some(v) = var("WEIR_OPENLINEAGE_URL") {
            self.lineage.openlineage_url = v;
        }
        if let Some(v) = var("WEIR_OPENLINEAGE_API_KEY") {
            self.lineage.openlineage_api_key = v;
        }
        if let Some(v) = var("WEIR_DATA_DIR") {
            self.server.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("DATABASE_URL") {
            self.database.url = v;
        }
        if let Some(v) = var("WEIR_DATABASE_URL") {
            self.database.url = v;
        }
        if let Some(v) = var("WEIR_DATABASE_MAX_CONNECTIONS") {
            self.database.max_connections = parse_env("WEIR_DATABASE_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = var("WEIR_LOG_FORMAT") {
            self.log.format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::Env {
                        var: "WEIR_LOG_FORMAT",
                        value: v,
                        message: "expected 'text' or 'json'".into(),
                    })
                }
            };
        }
        if let Some(v) = var("WEIR_LOG_LEVEL") {
            self.log.level = v;
        }
        if let Some(v) = var("WEIR_CLUSTER_TIMEOUT_MS") {
            self.engine.cluster_timeout_ms = parse_env("WEIR_CLUSTER_TIMEOUT_MS", v)?;
        }
        if let Some(v) = var("WEIR_TICK_MS") {
            self.engine.tick_ms = parse_env("WEIR_TICK_MS", v)?;
        }
        if let Some(v) = var("WEIR_SUBMIT_CONCURRENCY") {
            self.engine.submit_concurrency = parse_env("WEIR_SUBMIT_CONCURRENCY", v)?;
        }
        if let Some(v) = var("WEIR_SAVEPOINT_TIMEOUT_S") {
            self.engine.savepoint_timeout_s = parse_env("WEIR_SAVEPOINT_TIMEOUT_S", v)?;
        }
        if let Some(v) = var("WEIR_START_TIMEOUT_S") {
            self.engine.start_timeout_s = parse_env("WEIR_START_TIMEOUT_S", v)?;
        }
        if let Some(v) = var("WEIR_RUNNER_JAR") {
            self.engine.runner_jar = PathBuf::from(v);
        }
        if let Some(v) = var("WEIR_FLINK_HOME").or_else(|| var("FLINK_HOME")) {
            if self.engine.flink_home.as_os_str().is_empty() || var("WEIR_FLINK_HOME").is_some() {
                self.engine.flink_home = PathBuf::from(v);
            }
        }
        if let Some(v) = var("WEIR_JAVA") {
            self.engine.java = PathBuf::from(v);
        }
        if let Some(v) = var("WEIR_MAX_ARTIFACT_MB") {
            self.engine.max_artifact_mb = parse_env("WEIR_MAX_ARTIFACT_MB", v)?;
        }
        Ok(())
    }

    /// Fills values derived from others (the default SQLite file lives in the data directory; the default
    /// Flink for the SQL validator is the one scripts/flink-local installs).
    pub fn finish(&mut self) {
        if self.database.url.trim().is_empty() {
            self.database.url = format!("sqlite://{}?mode=rwc", self.server.data_dir.join("weir.db").display());
        }
        if self.engine.flink_home.as_os_str().is_empty() {
            let cache = std::env::var_os("WEIR_CACHE_DIR").map(PathBuf::from).or_else(|| {
                std::env::var_os("XDG_CACHE_HOME")
                    .map(|x| PathBuf::from(x).join("weir"))
                    .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/weir")))
            });
            if let Some(cache) = &cache {
                self.engine.flink_home = cache.join("flink-2.3.0");
            }
            if self.engine.flink.is_empty() {
                let runners = self.engine.runner_jar.parent().map(PathBuf::from).unwrap_or_default();
                self.engine.flink = cache.map(|c| installed_distributions(&c, &runners)).unwrap_or_default();
            }
        }
    }

    /// The Flink distributions Weir knows, each with its version.
    fn flink_runtimes(&self) -> Vec<weir_engine::backends::FlinkRuntime> {
        self.engine
            .flink
            .iter()
            .filter_map(|d| {
                let version = weir_engine::backends::FlinkRuntime::version_of(&d.home)?;
                Some(weir_engine::backends::FlinkRuntime { version, home: d.home.clone(), runner_jar: d.runner_jar.clone() })
            })
            .collect()
    }

    /// Session and cookie settings from this configuration.
    pub fn auth_settings(&self) -> crate::auth::AuthSettings {
        let public_url = match self.server.public_url.trim() {
            "" => format!("http://{}", self.server.listen),
            url => url.trim_end_matches('/').to_owned(),
        };
        crate::auth::AuthSettings {
            idle: std::time::Duration::from_secs(self.auth.session_idle_s.max(1)),
            absolute: std::time::Duration::from_secs(self.auth.session_absolute_s.max(1)),
            public_url: Some(public_url),
        }
    }

    /// The engine's settings from this configuration.
    pub fn engine_settings(&self) -> weir_engine::EngineSettings {
        let e = &self.engine;
        let flink_lib = self.engine.flink_home.join("lib");
        weir_engine::EngineSettings {
            data_dir: self.server.data_dir.clone(),
            cluster_timeout: std::time::Duration::from_millis(e.cluster_timeout_ms),
            runner_jar: Some(e.runner_jar.clone()),
            flink_lib: Some(flink_lib),
            java: e.java.clone(),
            flink_runtimes: self.flink_runtimes(),
            savepoint_timeout: std::time::Duration::from_secs(e.savepoint_timeout_s),
            start_timeout: std::time::Duration::from_secs(e.start_timeout_s),
            tick: std::time::Duration::from_millis(e.tick_ms.max(50)),
            submit_concurrency: e.submit_concurrency.max(1),
            max_artifact_bytes: e.max_artifact_mb.saturating_mul(1024 * 1024),
            metrics_interval: std::time::Duration::from_secs(e.metrics_interval_s.max(1)),
            metrics_retention: weir_engine::metrics::rules::Retention {
                raw_ms: hours_ms(e.metrics_raw_retention_h.max(1)),
                minute_ms: hours_ms(e.metrics_minute_retention_d.max(1) * 24),
                hour_ms: hours_ms(e.metrics_hour_retention_d.max(1) * 24),
            },
            public_url: self.auth_settings().public_url,
            alerts_repeat_interval: chrono::Duration::seconds(i64::try_from(e.alerts_repeat_interval_s.max(60)).unwrap_or(i64::MAX / 1000)),
            alerts_eval_interval: std::time::Duration::from_millis(e.alerts_eval_interval_ms),
            alerts_delivery_attempts: e.alerts_delivery_attempts.clamp(1, 20),
            alerts_retry_backoff: std::time::Duration::from_millis(e.alerts_retry_backoff_ms),
            sql_check_timeout: std::time::Duration::from_secs(e.sql_check_timeout_s.max(1)),
            openlineage: match self.lineage.openlineage_url.trim() {
                "" => None,
                url => Some(weir_engine::lineage::delivery::OpenLineageTarget {
                    url: url.to_owned(),
                    api_key: Some(self.lineage.openlineage_api_key.trim().to_owned()).filter(|k| !k.is_empty()),
                }),
            },
        }
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot print the configuration: {e}"))
    }
}

/// The distributions scripts/flink-local installed in the cache (`flink-<version>/` with `.complete`), each with
/// the runner scripts/build-runner built for it (`<runners>/<version>/`, beside the default runner jar), newest
/// first.
fn installed_distributions(cache: &std::path::Path, runners: &std::path::Path) -> Vec<FlinkDistribution> {
    let Ok(entries) = std::fs::read_dir(cache) else { return Vec::new() };
    let mut found: Vec<(String, FlinkDistribution)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version = name.strip_prefix("flink-")?.to_owned();
            let home = e.path();
            if !home.join(".complete").exists() {
                return None;
            }
            let jar = runners.join(&version).join("weir-sql-runner.jar");
            Some((version, FlinkDistribution { home, runner_jar: jar.exists().then_some(jar) }))
        })
        .collect();
    found.sort_by_key(|(version, _)| std::cmp::Reverse(weir_engine::backends::version_key(version)));
    found.into_iter().map(|(_, d)| d).collect()
}

fn hours_ms(hours: u64) -> i64 {
    i64::try_from(hours).unwrap_or(i64::MAX / 3_600_000).saturating_mul(3_600_000)
}

fn parse_env<T: std::str::FromStr>(var: &'static str, value: String) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::Env { var, message: e.to_string(), value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn file_values_and_env_overrides() {
        let mut c = Config::from_toml(
            r#"
            [server]
            listen = "0.0.0.0:4000"
            data_dir = "/var/lib/weir"
            [log]
            format = "json"
            [[clusters]]
            name = "local"
            rest_url = "http://localhost:8081"
            [[environments]]
            name = "dev"
            cluster = "local"
            flink_config = { "taskmanager.memory.process.size" = "2g" }
            "#,
        )
        .expect("valid file");
        assert_eq!(c.server.listen.port(), 4000);
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.clusters[0].kind, "flink-session");
        assert_eq!(c.environments[0].flink_config["taskmanager.memory.process.size"], "2g");

        let env: HashMap<&str, &str> =
            [("WEIR_LISTEN", "127.0.0.1:5000"), ("WEIR_LOG_FORMAT", "text"), ("WEIR_DATA_DIR", "/tmp/w")].into();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).expect("valid env");
        c.finish();
        assert_eq!(c.server.listen.port(), 5000);
        assert_eq!(c.log.format, LogFormat::Text);
        assert_eq!(c.database.url, "sqlite:///tmp/w/weir.db?mode=rwc");
    }

    #[test]
    fn auth_settings_from_file_and_env() {
        let mut c = Config::from_toml("[auth]\nsession_idle_s = 60\n").expect("valid file");
        assert_eq!(c.auth.session_idle_s, 60);
        assert_eq!(c.auth.session_absolute_s, 24 * 3600);
        assert!(Config::from_toml("[auth]\nsession_idel_s = 60\n").is_err(), "a typo is an error");
        let env: HashMap<&str, &str> = [("WEIR_SESSION_ABSOLUTE_S", "120"), ("WEIR_PUBLIC_URL", "https://weir.example/")].into();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).expect("valid env");
        let settings = c.auth_settings();
        assert_eq!(settings.absolute.as_secs(), 120);
        assert_eq!(settings.public_url.as_deref(), Some("https://weir.example"));
        let plain = Config::default().auth_settings();
        assert_eq!(plain.public_url.as_deref(), Some("http://127.0.0.1:3000"), "the listen address by default");
    }

    #[test]
    fn database_url_precedence() {
        let mut c = Config::default();
        let env: HashMap<&str, &str> =
            [("DATABASE_URL", "postgres://a@h/db1"), ("WEIR_DATABASE_URL", "postgres://b@h/db2")].into();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).expect("valid env");
        c.finish();
        assert_eq!(c.database.url, "postgres://b@h/db2");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let err = Config::from_toml("[server]\nlisen = \"x\"").expect_err("typo must be rejected");
        assert!(err.contains("lisen"), "{err}");
        let err = Config::from_toml("[log]\nformat = \"xml\"").expect_err("bad format must be rejected");
        assert!(err.contains("xml") || err.contains("variant"), "{err}");
        let mut c = Config::default();
        let err = c
            .apply_env(|k| (k == "WEIR_LISTEN").then(|| "not-an-address".to_string()))
            .expect_err("bad address must be rejected");
        assert!(err.to_string().contains("WEIR_LISTEN"), "{err}");
    }

    #[test]
    fn the_shipped_weir_toml_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../weir.toml");
        let c = Config::from_file(&path).expect("weir.toml at the repository root parses");
        assert!(c.clusters.iter().any(|cl| cl.name == "local"));
        assert!(c.environments.iter().any(|e| e.name == "dev" && e.cluster == "local"));
    }
}
