//! SQL validation with the real Flink planner, through a long-lived JVM helper (`dev.weir.runner.Validator`
//! from `runner/`), so a check does not pay JVM start-up. One helper process, one script at a time; a helper
//! that dies or hangs is replaced on the next request.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;
pub use weir_model::{SqlCheck, SqlPlan, SqlProblem};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

use weir_model::ExecutionMode;

use crate::{Caller, Engine, EngineError};

/// How long one check may take by default before the helper is considered stuck (and replaced).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the helper comes from.
#[derive(Clone, Debug)]
pub struct ValidatorSetup {
    pub java: PathBuf,
    pub runner_jar: PathBuf,
    pub flink_lib: PathBuf,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    errors: Vec<SqlProblem>,
    #[serde(default)]
    warnings: Vec<SqlProblem>,
    #[serde(default)]
    plans: Vec<SqlPlan>,
    #[serde(default)]
    inserts: u32,
    /// The column lineage (only when the script has no errors).
    #[serde(default)]
    lineage: Option<crate::lineage::planner::PlannerAnswer>,
    fatal: Option<String>,
}

struct Helper {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

pub struct SqlValidator {
    setup: Option<ValidatorSetup>,
    helper: Mutex<Option<Helper>>,
    /// A check (or the lineage) that takes longer is cut off: the helper JVM is killed, the caller told.
    timeout: Duration,
}

impl SqlValidator {
    pub fn new(setup: Option<ValidatorSetup>, timeout: Duration) -> Self {
        Self { setup, helper: Mutex::new(None), timeout }
    }

    pub fn available(&self) -> bool {
        self.setup.is_some()
    }

    /// The helper's classpath: the runner jar, Flink's planner itself (extracted beside the runner jar by
    /// `scripts/build-runner`, so the lineage code reaches Calcite's tree) and `lib/` without the planner
    /// loader that hides it. Without the extracted planner: `lib/` as it is (checks work, lineage does not).
    fn classpath(setup: &ValidatorSetup) -> String {
        let planner = setup.runner_jar.with_file_name("flink-table-planner.jar");
        let jars = std::fs::read_dir(&setup.flink_lib).ok().map(|dir| {
            let mut jars: Vec<PathBuf> = dir
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jar"))
                .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("flink-table-planner-loader")))
                .collect();
            jars.sort();
            jars
        });
        match jars {
            Some(jars) if planner.exists() => std::iter::once(setup.runner_jar.clone())
                .chain(std::iter::once(planner))
                .chain(jars)
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":"),
            _ => format!("{}:{}/*", setup.runner_jar.display(), setup.flink_lib.display()),
        }
    }

    fn spawn(setup: &ValidatorSetup) -> Result<Helper, EngineError> {
        let classpath = Self::classpath(setup);
        let mut child = Command::new(&setup.java)
            .args(["-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"])
            .args(["--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED"])
            .arg("-cp")
            .arg(classpath)
            .arg("dev.weir.runner.Validator")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| EngineError::Unavailable(format!("cannot start the SQL validator ({}): {e}", setup.java.display())))?;
        let stdin = child.stdin.take().ok_or_else(|| EngineError::Internal("validator stdin".into()))?;
        let stdout = child.stdout.take().ok_or_else(|| EngineError::Internal("validator stdout".into()))?;
        Ok(Helper { child, stdin, stdout: BufReader::new(stdout) })
    }

    /// Checks a script. Errors of the script are in the answer; `Err` means the check itself could not run.
    pub async fn check(&self, mode: &str, script: &str) -> Result<SqlCheck, EngineError> {
        Ok(self.check_with_lineage(mode, script).await?.0)
    }

    /// Checks a script and gives the planner's column lineage with it (none when the script has errors).
    pub async fn check_with_lineage(
        &self,
        mode: &str,
        script: &str,
    ) -> Result<(SqlCheck, Option<crate::lineage::planner::PlannerAnswer>), EngineError> {
        self.ask(mode, script, true).await
    }

    /// The lineage without the optimizer's plans: only the parser's checks (much faster; a script that passed
    /// the full check before, or a preview).
    pub async fn lineage_only(
        &self,
        mode: &str,
        script: &str,
    ) -> Result<(SqlCheck, Option<crate::lineage::planner::PlannerAnswer>), EngineError> {
        self.ask(mode, script, false).await
    }

    async fn ask(
        &self,
        mode: &str,
        script: &str,
        plans: bool,
    ) -> Result<(SqlCheck, Option<crate::lineage::planner::PlannerAnswer>), EngineError> {
        let setup = self.setup.as_ref().ok_or_else(|| {
            EngineError::Unavailable("SQL validation is not available: the SQL runner jar or Flink is missing".into())
        })?;
        let started = Instant::now();
        let mut guard = self.helper.lock().await;
        if guard.as_mut().map(|h| h.child.try_wait().ok().flatten().is_some()).unwrap_or(true) {
            *guard = Some(Self::spawn(setup)?);
        }
        let helper = guard.as_mut().ok_or_else(|| EngineError::Internal("validator missing".into()))?;
        let request = format!(
            "{mode} {}{}\n",
            base64::engine::general_purpose::STANDARD.encode(script),
            if plans { "" } else { " noplan" }
        );
        let exchange = async {
            helper.stdin.write_all(request.as_bytes()).await?;
            helper.stdin.flush().await?;
            let mut line = String::new();
            helper.stdout.read_line(&mut line).await?;
            Ok::<_, std::io::Error>(line)
        };
        let line = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(line)) if !line.is_empty() => line,
            other => {
                // Dead or stuck: replace it on the next request.
                *guard = None;
                let why = match other {
                    Ok(Err(e)) => e.to_string(),
                    Ok(Ok(_)) => "the validator exited".into(),
                    Err(_) => format!(
                        "no answer within {:?}: the planner was stopped (a script this costly cannot be checked; \
                         simplify it or raise engine.sql_check_timeout_s)",
                        self.timeout
                    ),
                };
                return Err(EngineError::Unavailable(format!("the SQL validator failed: {why}")));
            }
        };
        let answer: Answer = serde_json::from_str(&line)
            .map_err(|e| EngineError::Internal(format!("unreadable validator answer: {e}")))?;
        if let Some(fatal) = answer.fatal {
            return Err(EngineError::Invalid(format!("the script could not be checked: {fatal}")));
        }
        let check = SqlCheck {
            valid: answer.errors.is_empty(),
            errors: answer.errors,
            warnings: answer.warnings,
            plans: answer.plans,
            inserts: answer.inserts,
            elapsed_ms: started.elapsed().as_millis() as u64,
            lineage: None,
            lineage_error: None,
        };
        Ok((check, answer.lineage))
    }
}

impl Engine {
    /// `POST /api/v1/sql/validate`: checks a script with the real Flink planner.
    /// Without `plans`, the optimizer is skipped: the parser's checks and the lineage only.
    pub async fn validate_sql(&self, caller: &Caller, script: &str, mode: Option<&str>, plans: bool) -> Result<SqlCheck, EngineError> {
        self.require_signed_in(caller)?;
        let mode = match mode {
            None => ExecutionMode::Streaming,
            Some(m) => m.trim().parse::<ExecutionMode>()?,
        };
        if script.trim().is_empty() {
            return Err(EngineError::Invalid("the script is empty".into()));
        }
        if script.len() > crate::versions::MAX_SQL_BYTES {
            return Err(EngineError::Invalid("the script is larger than 1 MiB".into()));
        }
        let (mut check, answer) = if plans {
            self.validator.check_with_lineage(mode.as_str(), script).await?
        } else {
            self.validator.lineage_only(mode.as_str(), script).await?
        };
        // Tables that write nowhere others read are named after the script here, as it belongs to no job yet.
        let scope = crate::lineage::identity::Scope { namespace: "preview", job: "script" };
        match answer {
            Some(crate::lineage::planner::PlannerAnswer::Lineage(raw)) => {
                check.lineage = Some(crate::lineage::planner::to_version_lineage(&raw, &scope));
            }
            Some(crate::lineage::planner::PlannerAnswer::Failed { error }) => check.lineage_error = Some(error),
            None => {}
        }
        Ok(check)
    }

    /// A version's SQL must pass the planner and contain an INSERT. Without a validator (no runner jar), the
    /// check is skipped with a warning: the job will then fail at deploy time with the planner's message.
    /// Gives the planner's lineage of the script, to keep with the version.
    pub(super) async fn check_sql_for_version(
        &self,
        sql: &str,
        mode: weir_model::ExecutionMode,
    ) -> Result<Option<crate::lineage::planner::PlannerAnswer>, EngineError> {
        if !self.validator.available() {
            tracing::warn!("SQL validator unavailable: saving a version without checking its SQL");
            return Ok(None);
        }
        let (check, lineage) = self.validator.check_with_lineage(mode.as_str(), sql).await?;
        if let Some(e) = check.errors.first() {
            return Err(EngineError::InvalidSql { line: e.line, column: e.column, message: e.message.clone() });
        }
        if check.inserts == 0 {
            return Err(EngineError::Invalid(
                "the script has no INSERT statement: a job needs at least one INSERT INTO <sink>".into(),
            ));
        }
        Ok(lineage)
    }

    /// Checks SQL with the planner of the Flink version a cluster runs, when that is not the default
    /// distribution's version (which checked it when the version was saved). Nothing to check with: passes.
    pub(crate) async fn check_sql_on_cluster(
        &self,
        cluster: &crate::store::entities::cluster::Model,
        sql: &str,
        mode: weir_model::ExecutionMode,
    ) -> Result<(), EngineError> {
        let Some(runtime) = self.runtime_for_cluster(cluster) else { return Ok(()) };
        if self.runtimes.first().is_some_and(|d| d.version == runtime.version) {
            return Ok(());
        }
        let Some(validator) = self.validators.get(&runtime.version) else { return Ok(()) };
        let check = validator.check(mode.as_str(), sql).await?;
        match check.errors.first() {
            Some(e) => Err(EngineError::Invalid(format!(
                "the SQL does not pass the planner of Flink {} (cluster '{}'), line {} column {}: {}",
                runtime.version, cluster.name, e.line, e.column, e.message
            ))),
            None => Ok(()),
        }
    }

    /// Starts the helper JVM in the background so the first check is fast.
    pub fn warm_up_validator(&self) {
        if !self.validator.available() {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            let script = "CREATE TABLE t (a INT) WITH ('connector' = 'datagen'); SELECT a FROM t";
            match engine.validator.check(ExecutionMode::Streaming.as_str(), script).await {
                Ok(c) => tracing::info!(elapsed_ms = c.elapsed_ms, "SQL validator ready"),
                Err(e) => tracing::warn!("SQL validator warm-up failed: {e}"),
            }
        });
    }
}
