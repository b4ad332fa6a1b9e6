//! Shared test helpers: the databases every store test runs on, and the shared local Flink.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database};
use weir::config::DatabaseConfig;
use weir::store::Store;

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
