//! The `weir` command line: `weir serve` (the default) and `weir migrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use weir::config::{Config, LogFormat};

#[derive(Parser)]
#[command(name = "weir", version, about = "Weir: run Apache Flink jobs in production")]
struct Cli {
    /// Configuration file (default: ./weir.toml when it exists). Also WEIR_CONFIG.
    #[arg(long, short, env = "WEIR_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Log as JSON lines instead of human-readable text (same as WEIR_LOG_FORMAT=json).
    #[arg(long, global = true)]
    json_logs: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve the web UI and the REST API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration (file + environment) as TOML and exit.
    Config,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("weir: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.json_logs {
        config.log.format = LogFormat::Json;
    }
    if let Err(e) = weir::telemetry::init(&config.log) {
        eprintln!("weir: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("weir: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => weir::server::serve(config).await,
            Command::Migrate => weir::store::Store::connect(&config.database).await.map(|_| ()).map_err(Into::into),
            Command::Config => {
                println!("{}", config.to_toml());
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("weir: {e}");
            ExitCode::FAILURE
        }
    }
}
