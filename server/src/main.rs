//! The `weir` command line: `weir serve` (the default), `weir migrate`, `weir config`, and the set-up commands
//! `weir user create` and `weir token create`, which act on the database directly as Weir itself.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use weir::config::{Config, LogFormat};
use weir_engine::access::tokens::NewToken;
use weir_engine::access::users::NewUser;
use weir_engine::{Caller, Engine};
use weir::server::ServeError;

/// The engine on the configured database, without serving or background work.
async fn setup_engine(config: &Config) -> Result<Engine, ServeError> {
    let store = weir_engine::store::Store::connect(&config.database).await?;
    Ok(Engine::new(store, config.engine_settings())?)
}

/// The new user's password: asked twice on a terminal, else the first line of standard input.
fn read_password(name: &str) -> Result<String, ServeError> {
    use std::io::IsTerminal;
    let io = |e: std::io::Error| ServeError::Io(e);
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: ")).map_err(io)?;
        let again = rpassword::prompt_password("Again: ").map_err(io)?;
        if first != again {
            return Err(ServeError::Io(std::io::Error::other("the two passwords differ")));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(io)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

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
    /// Local user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for automation.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is asked for on a terminal, or read from the first line of standard input.
    Create {
        name: String,
        /// A global administrator (clusters, environments, users, every namespace).
        #[arg(long)]
        admin: bool,
        /// Do nothing (and succeed) when the user exists already.
        #[arg(long)]
        if_missing: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token and print it (it is shown this once). Without --namespace it carries the user's own
    /// rights; with --namespace and --role, at most that role in that namespace.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        namespace: Option<String>,
        #[arg(long)]
        role: Option<String>,
        /// `api` (default) or `metrics`: a Prometheus scraper's token that may only read GET /metrics.
        #[arg(long)]
        scope: Option<String>,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
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
            Command::Migrate => weir_engine::store::Store::connect(&config.database).await.map(|_| ()).map_err(Into::into),
            Command::Config => {
                println!("{}", config.to_toml());
                Ok(())
            }
            Command::User(UserCommand::Create { name, admin, if_missing }) => {
                let engine = setup_engine(&config).await?;
                if if_missing && engine.store().find_user(&name).await.map_err(weir_engine::EngineError::from)?.is_some() {
                    println!("user '{name}' exists already");
                    return Ok(());
                }
                let password = read_password(&name)?;
                let new = NewUser { name: name.clone(), password, admin };
                engine.create_user(&Caller::system(), new).await?;
                println!("created {}user '{name}'", if admin { "administrator " } else { "" });
                Ok(())
            }
            Command::Token(TokenCommand::Create { user, namespace, role, scope, name }) => {
                let engine = setup_engine(&config).await?;
                let new = NewToken { name, user: Some(user), namespace, role, scope };
                let created = engine.create_token(&Caller::system(), new).await?;
                println!("{}", created.token);
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
