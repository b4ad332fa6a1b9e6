//! The processes of a per-job Flink cluster: free ports, the JVM flags Flink computes for its own memory
//! settings (BashJavaUtils, as Flink's scripts do), starting a JobManager or TaskManager detached from Weir (so
//! they outlive a Weir restart), and telling whether a process still runs and ending it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::backends::{BackendError, FlinkRuntime};

/// Flink's `--add-opens`/`--add-exports` for Java 17 (as its scripts pass them).
const JAVA_OPENS: &[&str] = &[
    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
];

pub const JOBMANAGER_CLASS: &str = "org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint";
pub const TASKMANAGER_CLASS: &str = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

/// Which of a cluster's processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    JobManager,
    TaskManager(u32),
}

impl Role {
    pub fn log_name(self) -> String {
        match self {
            Role::JobManager => "jobmanager".into(),
            Role::TaskManager(i) => format!("taskmanager-{i}"),
        }
    }
}

/// A free TCP port on 127.0.0.1 (free when asked: the JVM binds it a moment later).
pub fn free_port() -> Result<u16, BackendError> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BackendError::Unreachable(format!("no free port: {e}")))
}

/// The JVM flags and dynamic properties Flink computes from the configuration for a JobManager or TaskManager.
pub async fn resource_params(runtime: &FlinkRuntime, conf_dir: &Path, role: Role) -> Result<(Vec<String>, Vec<String>), BackendError> {
    let command = match role {
        Role::JobManager => "GET_JM_RESOURCE_PARAMS",
        Role::TaskManager(_) => "GET_TM_RESOURCE_PARAMS",
    };
    let classpath = format!("{}:{}/*", runtime.home.join("bin/bash-java-utils.jar").display(), runtime.home.join("lib").display());
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("java")
            .arg("-cp")
            .arg(classpath)
            .arg("org.apache.flink.runtime.util.bash.BashJavaUtils")
            .arg(command)
            .arg("--configDir")
            .arg(conf_dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| BackendError::Unreachable(format!("Flink's BashJavaUtils {command} took over 60 s")))?
    .map_err(|e| BackendError::Unreachable(format!("cannot run java: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    let results: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("BASH_JAVA_UTILS_EXEC_RESULT:")).collect();
    if !output.status.success() || results.len() < 2 {
        let last: Vec<&str> = text.lines().rev().take(5).collect();
        return Err(BackendError::Http {
            status: 400,
            message: format!("Flink refused the memory configuration ({command}): {}", last.join(" | ")),
        });
    }
    let split = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    Ok((split(results[0]), split(results[1])))
}

/// Starts one JVM of the cluster in its own process group, its output in `log/<role>.out`, its log in
/// `log/<role>.log`. Returns its PID. A task reaps it when it exits (while this Weir runs).
pub fn spawn_jvm(
    runtime: &FlinkRuntime,
    dir: &Path,
    role: Role,
    jvm_flags: &[String],
    main_class: &str,
    args: &[String],
) -> Result<u32, BackendError> {
    let log_dir = dir.join("log");
    std::fs::create_dir_all(&log_dir).map_err(|e| io_error(&log_dir, e))?;
    let out_path = log_dir.join(format!("{}.out", role.log_name()));
    let out = std::fs::OpenOptions::new().create(true).append(true).open(&out_path).map_err(|e| io_error(&out_path, e))?;
    let err = out.try_clone().map_err(|e| io_error(&out_path, e))?;
    let mut command = tokio::process::Command::new("java");
    command
        .args(jvm_flags)
        .args(JAVA_OPENS)
        .arg(format!("-Dlog.file={}", log_dir.join(format!("{}.log", role.log_name())).display()))
        .arg(format!("-Dlog4j.configurationFile=file:{}", dir.join("conf/log4j.properties").display()))
        // Names the folder on the command line, so a PID is known to be this cluster's (see `runs`).
        .arg(format!("-Dweir.cluster.dir={}", dir.display()))
        .arg("-cp")
        .arg(format!("{}/*", runtime.home.join("lib").display()))
        .arg(main_class)
        .args(args)
        .env("FLINK_PLUGINS_DIR", runtime.home.join("plugins"))
        .env("FLINK_CONF_DIR", dir.join("conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        // Its own process group: a Ctrl-C to Weir's terminal does not end the job's cluster.
        .process_group(0)
        .kill_on_drop(false);
    let mut child = command.spawn().map_err(|e| BackendError::Unreachable(format!("cannot start java: {e}")))?;
    let pid = child.id().ok_or_else(|| BackendError::Unreachable("the JVM exited at once".into()))?;
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(pid)
}

/// Whether the process runs and is this cluster's (a reused PID is not).
pub fn runs(pid: u32, dir: &Path) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // A zombie (exited, not yet reaped) does not run.
    let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next().unwrap_or('?')).unwrap_or('?');
    if state == 'Z' || state == 'X' {
        return false;
    }
    let marker = format!("-Dweir.cluster.dir={}", dir.display());
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| c.split(|b| *b == 0).any(|arg| arg == marker.as_bytes()))
        .unwrap_or(false)
}

/// Every running process of this folder (its JVMs name it on their command line): also those a Weir stopped
/// between starting them and recording their PIDs.
pub fn find(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| runs(*pid, dir))
        .collect()
}

/// Sends a signal to the process if it is still this cluster's.
pub fn signal(pid: u32, dir: &Path, signal: i32) {
    if runs(pid, dir) {
        // SAFETY: kill(2) with a PID we checked is ours and a valid signal number has no memory effects.
        unsafe {
            libc::kill(pid as libc::pid_t, signal);
        }
    }
}

/// Ends the processes: SIGTERM, then SIGKILL after `grace`; returns once none runs (or after the SIGKILL).
pub async fn end(pids: &[u32], dir: &Path, grace: Duration) {
    for pid in pids {
        signal(*pid, dir, libc::SIGTERM);
    }
    let deadline = tokio::time::Instant::now() + grace;
    while pids.iter().any(|p| runs(*p, dir)) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for pid in pids {
        signal(*pid, dir, libc::SIGKILL);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|p| runs(*p, dir)) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn io_error(path: &Path, e: std::io::Error) -> BackendError {
    BackendError::Unreachable(format!("{}: {e}", path.display()))
}

/// The last `bytes` of a file, from a line start when it was cut.
pub fn tail(path: &PathBuf, bytes: u64) -> std::io::Result<(u64, String)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let size = f.metadata()?.len();
    let from = size.saturating_sub(bytes);
    f.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let text = match (from > 0, text.find('\n')) {
        (true, Some(i)) => text[i + 1..].to_owned(),
        _ => text,
    };
    Ok((size, text))
}
