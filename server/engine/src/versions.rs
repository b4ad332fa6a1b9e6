//! Versions: immutable, numbered snapshots of a job's program and default settings; and their diff.

use serde_json::{Map, Value};
pub use weir_model::VersionDiff;
use weir_model::{ExecutionMode, JobKind, Version};

use crate::environments::flink_config;
use crate::{Caller, Engine, EngineError, Role};
use crate::store::entities::{job, version};
use crate::store::Insert;

/// Largest SQL script accepted in a version.
pub const MAX_SQL_BYTES: usize = 1024 * 1024;

/// What a caller gives to save a version.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    pub sql: Option<String>,
    /// The sha256 of an uploaded artifact (JAR jobs).
    pub artifact: Option<String>,
    pub entry_class: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    pub parallelism: Option<i32>,
    #[serde(default)]
    pub flink_config: Map<String, Value>,
    pub mode: Option<String>,
    #[serde(default)]
    pub message: String,
    /// A JAR version's datasets (SQL versions get theirs from the planner).
    #[serde(default)]
    pub lineage: Option<weir_model::lineage::DeclaredLineage>,
}

impl Engine {
    /// Saves the next version of a job. SQL is checked by the real Flink planner when the validator is available.
    pub async fn create_version(
        &self,
        caller: &Caller,
        ns: &str,
        job_name: &str,
        new: NewVersion,
    ) -> Result<Version, EngineError> {
        caller.act("save-version", format!("{ns}/{job_name}"));
        let (_, job) = self.job_for(caller, ns, job_name, Role::Editor).await?;
        let author = caller.name();
        let author = author.as_str();
        let mode = match new.mode.as_deref() {
            None => ExecutionMode::Streaming,
            Some(m) => m.trim().parse::<ExecutionMode>()?,
        };
        if let Some(p) = new.parallelism {
            if !(1..=10_000).contains(&p) {
                return Err(EngineError::Invalid(format!("parallelism must be between 1 and 10000, not {p}")));
            }
        }
        let config = flink_config(&new.flink_config)?;
        let mut active = version::ActiveModel {
            args: sea_orm::Set(serde_json::to_string(&new.args).map_err(|e| EngineError::Internal(e.to_string()))?),
            parallelism: sea_orm::Set(new.parallelism),
            flink_config: sea_orm::Set(config),
            mode: sea_orm::Set(mode),
            message: sea_orm::Set(new.message.clone()),
            author: sea_orm::Set(author.to_owned()),
            created_at: sea_orm::Set(chrono::Utc::now()),
            ..Default::default()
        };
        let mut lineage = None;
        let mut declared_lineage = None;
        match job.kind {
            JobKind::Sql => {
                let sql = new.sql.as_deref().map(str::trim).unwrap_or_default();
                if sql.is_empty() {
                    return Err(EngineError::Invalid("a SQL job's version needs 'sql'".into()));
                }
                if new.artifact.is_some() || new.entry_class.is_some() || !new.args.is_empty() {
                    return Err(EngineError::Invalid(
                        "a SQL job's version takes 'sql', not 'artifact', 'entry_class' or 'args'".into(),
                    ));
                }
                if sql.len() > MAX_SQL_BYTES {
                    return Err(EngineError::Invalid(format!("the SQL script is larger than {MAX_SQL_BYTES} bytes")));
                }
                if new.lineage.is_some() {
                    return Err(EngineError::Invalid(
                        "a SQL job's lineage comes from its SQL: 'lineage' is only declared for JAR jobs".into(),
                    ));
                }
                lineage = self.check_sql_for_version(sql, mode).await?;
                active.sql = sea_orm::Set(Some(sql.to_owned()));
            }
            JobKind::Jar => {
                if new.sql.is_some() {
                    return Err(EngineError::Invalid("a JAR job's version takes 'artifact', not 'sql'".into()));
                }
                let sha = new
                    .artifact
                    .as_deref()
                    .ok_or_else(|| EngineError::Invalid("a JAR job's version needs 'artifact' (its sha256)".into()))?;
                let artifact = self.store.find_artifact(sha).await?.ok_or_else(|| EngineError::Invalid(format!(
                    "artifact '{sha}' does not exist: upload the JAR with POST /api/v1/artifacts first"
                )))?;
                if let Some(class) = &new.entry_class {
                    if class.trim().is_empty() || class.contains(char::is_whitespace) {
                        return Err(EngineError::Invalid(format!("invalid entry_class '{class}'")));
                    }
                }
                if let Some(declared) = &new.lineage {
                    crate::lineage::declared::check(declared).map_err(EngineError::Invalid)?;
                    declared_lineage = Some(
                        serde_json::to_string(declared).map_err(|e| EngineError::Internal(format!("lineage: {e}")))?,
                    );
                }
                active.artifact_id = sea_orm::Set(Some(artifact.id));
                active.entry_class = sea_orm::Set(new.entry_class.clone());
            }
        }
        // Two saves at once may pick the same number; the unique index refuses one, which tries again.
        let mut attempts = 0;
        let model = loop {
            match self.store.insert_version(active.clone(), job.id).await? {
                Insert::Inserted(m) => break m,
                Insert::Duplicate if attempts < 5 => attempts += 1,
                Insert::Duplicate => {
                    return Err(EngineError::Conflict(format!("job '{job_name}' is being saved by someone else; retry")))
                }
            }
        };
        // The lineage is kept with the version; a version whose lineage could not be written gets it on first
        // read (the SQL is checked again then), so a failure here does not undo the save.
        let kept = match (&lineage, declared_lineage) {
            (Some(answer), _) => self.store_lineage(model.id, answer).await,
            (None, Some(body)) => self
                .store
                .insert_version_lineage(model.id, weir_model::lineage::LineageOrigin::Declared, body)
                .await
                .map_err(EngineError::from),
            (None, None) => Ok(()),
        };
        if let Err(e) = kept {
            tracing::warn!(namespace = ns, job = job_name, version = model.number, "lineage not kept: {e}");
        }
        tracing::info!(namespace = ns, job = job_name, version = model.number, "version saved");
        self.to_version(model).await
    }

    /// Saves the next version with the latest version's program and new settings (parallelism, Flink
    /// configuration): how settings change without touching the SQL or the JAR.
    /// Stores an uploaded JAR and saves it as the next version of a JAR job (the upload is kept only when
    /// the caller may save versions of the job).
    pub async fn create_jar_version(
        &self,
        caller: &Caller,
        ns: &str,
        job_name: &str,
        file_name: &str,
        jar: Vec<u8>,
        new: NewVersion,
    ) -> Result<Version, EngineError> {
        self.require_role(caller, ns, Role::Editor).await?;
        let artifact = self.store_artifact(caller, file_name, jar).await?;
        self.create_version(caller, ns, job_name, NewVersion { artifact: Some(artifact.sha256), ..new }).await
    }

    pub async fn create_settings_version(
        &self,
        caller: &Caller,
        ns: &str,
        job_name: &str,
        parallelism: Option<i32>,
        flink_config: Map<String, Value>,
        message: &str,
    ) -> Result<Version, EngineError> {
        caller.act("save-settings", format!("{ns}/{job_name}"));
        self.namespace_for(caller, ns, Role::Owner).await?;
        let latest = self.list_versions(caller, ns, job_name).await?.into_iter().next().ok_or_else(|| {
            EngineError::Conflict(format!("job '{job_name}' has no version yet: save its program first"))
        })?;
        let new = NewVersion {
            sql: latest.sql,
            artifact: latest.artifact,
            entry_class: latest.entry_class,
            args: latest.args,
            parallelism,
            flink_config,
            mode: Some(latest.mode.to_string()),
            message: message.to_owned(),
            lineage: None,
        };
        let saved = self.create_version(caller, ns, job_name, new).await?;
        // Same program: a JAR version's declared lineage carries over (a SQL one was just computed again).
        let (_, job) = self.job_model(ns, job_name).await?;
        if let (Some(from), Some(to)) =
            (self.store.find_version(job.id, latest.number).await?, self.store.find_version(job.id, saved.number).await?)
        {
            self.store.copy_version_lineage(from.id, to.id).await?;
        }
        Ok(saved)
    }

    pub async fn list_versions(&self, caller: &Caller, ns: &str, job_name: &str) -> Result<Vec<Version>, EngineError> {
        let (_, job) = self.job_for(caller, ns, job_name, Role::Viewer).await?;
        self.versions_of(&job).await
    }

    /// A job's versions, newest first.
    pub(super) async fn versions_of(&self, job: &job::Model) -> Result<Vec<Version>, EngineError> {
        let mut out = Vec::new();
        for v in self.store.list_versions(job.id).await? {
            out.push(self.to_version(v).await?);
        }
        Ok(out)
    }

    pub async fn get_version(&self, caller: &Caller, ns: &str, job_name: &str, number: i32) -> Result<Version, EngineError> {
        let (_, job) = self.job_for(caller, ns, job_name, Role::Viewer).await?;
        let v = self.version_model(&job, number).await?;
        self.to_version(v).await
    }

    pub(super) async fn version_model(&self, job: &job::Model, number: i32) -> Result<version::Model, EngineError> {
        self.store.find_version(job.id, number).await?.ok_or_else(|| EngineError::NotFound {
            kind: "version",
            name: format!("{} v{number}", job.name),
        })
    }

    pub async fn diff_versions(
        &self,
        caller: &Caller,
        ns: &str,
        job_name: &str,
        a: i32,
        b: i32,
    ) -> Result<VersionDiff, EngineError> {
        let from = self.get_version(caller, ns, job_name, a).await?;
        let to = self.get_version(caller, ns, job_name, b).await?;
        let mut changed = Vec::new();
        let fields: [(&str, Value, Value); 8] = [
            ("sql", json(&from.sql), json(&to.sql)),
            ("artifact", json(&from.artifact), json(&to.artifact)),
            ("entry_class", json(&from.entry_class), json(&to.entry_class)),
            ("args", json(&from.args), json(&to.args)),
            ("parallelism", json(&from.parallelism), json(&to.parallelism)),
            ("flink_config", json(&from.flink_config), json(&to.flink_config)),
            ("mode", json(&from.mode), json(&to.mode)),
            ("message", json(&from.message), json(&to.message)),
        ];
        for (name, x, y) in fields {
            if x != y {
                changed.push(name.to_owned());
            }
        }
        let sql_diff = line_diff(from.sql.as_deref().unwrap_or_default(), to.sql.as_deref().unwrap_or_default());
        Ok(VersionDiff { from: a, to: b, changed, sql_diff, from_version: from, to_version: to })
    }

    pub(super) async fn to_version(&self, v: version::Model) -> Result<Version, EngineError> {
        let artifact = match v.artifact_id {
            Some(id) => self.store.artifact_by_id(id).await?.map(|a| a.sha256),
            None => None,
        };
        Ok(Version {
            number: v.number,
            sql: v.sql,
            artifact,
            entry_class: v.entry_class,
            args: serde_json::from_str(&v.args).map_err(|e| EngineError::Internal(format!("version args: {e}")))?,
            parallelism: v.parallelism,
            flink_config: serde_json::from_str(&v.flink_config)
                .map_err(|e| EngineError::Internal(format!("version flink_config: {e}")))?,
            mode: v.mode,
            message: v.message,
            author: v.author,
            created_at: v.created_at,
        })
    }
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A line diff by longest common subsequence (scripts are small: at most a few thousand lines).
pub fn line_diff(a: &str, b: &str) -> Vec<String> {
    let x: Vec<&str> = a.lines().collect();
    let y: Vec<&str> = b.lines().collect();
    let (n, m) = (x.len(), y.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if x[i] == y[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if x[i] == y[j] {
            out.push(format!(" {}", x[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(format!("-{}", x[i]));
            i += 1;
        } else {
            out.push(format!("+{}", y[j]));
            j += 1;
        }
    }
    out.extend(x[i..].iter().map(|l| format!("-{l}")));
    out.extend(y[j..].iter().map(|l| format!("+{l}")));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_diff_marks_changes() {
        let d = super::line_diff("a\nb\nc", "a\nx\nc\nd");
        assert_eq!(d, vec![" a", "-b", "+x", " c", "+d"]);
    }
}
