//! The store: Weir's database through sea-orm. SQLite by default, PostgreSQL when the URL says so.
//!
//! [`Store::connect`] opens the pool and applies pending migrations (from the `weir-migrations` crate).
//! Each table has an entity in [`entities`] and its queries in a module named after it.

pub mod alerts;
pub mod artifacts;
pub mod audit;
pub mod cluster_jars;
pub mod cluster_points;
pub mod clusters;
pub mod deployments;
pub mod entities;
pub mod environments;
pub mod jobs;
pub mod lineage;
pub mod members;
pub mod metrics;
pub mod namespaces;
pub mod operations;
pub mod pools;
pub mod recommendations;
pub mod sessions;
pub mod snapshots;
pub mod tokens;
pub mod users;
pub mod versions;

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use weir_migrations::{Migrator, MigratorTrait};

use serde::{Deserialize, Serialize};

/// Where the database is (`[database]` in `weir.toml`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH?mode=rwc` or `postgres://USER@HOST:PORT/DB`. Empty means `<data_dir>/weir.db`.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: String::new(), max_connections: 8 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot prepare the SQLite folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("cannot connect to the database: {0}")]
    Connect(DbErr),
    #[error("cannot apply database migrations: {0}")]
    Migrate(DbErr),
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects (creating the SQLite file and its folder if needed) and applies pending migrations.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, StoreError> {
        Self::connect_with(config, None).await
    }

    /// Like [`Store::connect`], with a PostgreSQL schema to use instead of `public` (tests isolate themselves so).
    pub async fn connect_with(config: &DatabaseConfig, pg_schema: Option<&str>) -> Result<Self, StoreError> {
        if let Some(path) = sqlite_path(&config.url) {
            if let Some(parent) = std::path::Path::new(&path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .map_err(|source| StoreError::Folder { path: parent.display().to_string(), source })?;
                }
            }
        }
        let mut options = ConnectOptions::new(config.url.clone());
        options
            .max_connections(config.max_connections.max(1))
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if let Some(schema) = pg_schema {
            options.set_schema_search_path(schema.to_owned());
        }
        // On every SQLite connection of the pool: WAL lets readers work while the engine writes; the busy timeout
        // waits for a writer instead of failing; synchronous=NORMAL (with WAL) keeps every commit through a crash
        // of `weir` — what the operation log needs — and only an OS crash may lose the last commits.
        options.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
        let db = Database::connect(options).await.map_err(StoreError::Connect)?;
        Migrator::up(&db, None).await.map_err(StoreError::Migrate)?;
        Ok(Self { db })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => "sqlite",
            DbBackend::Postgres => "postgres",
            DbBackend::MySql => "mysql",
        }
    }

    /// The connection pool: (open connections, idle ones).
    pub fn pool_stats(&self) -> (u32, u32) {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle() as u32)
            }
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle() as u32)
            }
            DbBackend::MySql => (0, 0),
        }
    }

    /// Runs a trivial query: is the database answering?
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }
}

/// The file path inside a `sqlite:` URL, if it is one (and not in-memory).
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_owned())
    }
}

/// The outcome of an insert that a uniqueness rule may refuse. The store reads the database's constraint
/// errors here and nowhere else; the engine gets a domain answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Insert<T> {
    Inserted(T),
    /// A row with the same unique key exists.
    Duplicate,
}

impl<T> Insert<T> {
    /// The new row, or `what` when it is a duplicate.
    pub fn or_duplicate<E>(self, what: impl FnOnce() -> E) -> Result<T, E> {
        match self {
            Insert::Inserted(row) => Ok(row),
            Insert::Duplicate => Err(what()),
        }
    }
}

/// An insert's result, with a unique-constraint violation as [`Insert::Duplicate`].
pub(crate) async fn unique<T>(insert: impl std::future::Future<Output = Result<T, DbErr>>) -> Result<Insert<T>, DbErr> {
    match insert.await {
        Ok(row) => Ok(Insert::Inserted(row)),
        Err(e) if is_unique_violation(&e) => Ok(Insert::Duplicate),
        Err(e) => Err(e),
    }
}

/// True when the error is a unique-constraint violation (a duplicate key).
fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
