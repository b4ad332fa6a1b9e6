//! tower-sessions' `SessionStore` over Weir's database (table `sessions`), so a login survives a restart and
//! works the same on SQLite and PostgreSQL. Expired rows are swept periodically.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

use weir_engine::store::Store;

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    store: Store,
}

impl DbSessionStore {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Deletes expired sessions every `period`, for as long as the runtime lives.
    pub fn spawn_sweeper(&self, period: Duration) {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                if let Err(e) = store.delete_expired_sessions().await {
                    tracing::warn!(error = %e, "cannot delete expired sessions");
                }
            }
        });
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn expiry(record: &Record) -> Result<DateTime<Utc>> {
    let millis = i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).map_err(|e| Error::Encode(e.to_string()))?;
    DateTime::from_timestamp_millis(millis).ok_or_else(|| Error::Encode("expiry out of range".into()))
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        // A fresh random id until one is free (a collision of 128-bit ids is not expected, but is handled).
        loop {
            if self.store.insert_session(&record.id.to_string(), &data, expiry(record)?).await.map_err(backend)? {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        self.store.upsert_session(&record.id.to_string(), &data, expiry(record)?).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(row) = self.store.load_session(&id.to_string()).await.map_err(backend)? else { return Ok(None) };
        let data = serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.expires_at.timestamp_millis()) * 1_000_000)
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.delete_session(&id.to_string()).await.map_err(backend)
    }
}
