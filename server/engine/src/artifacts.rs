//! JAR artifacts: uploaded files checked to be real JARs, stored once by content hash under
//! `<data_dir>/artifacts/<sha256>.jar`.

use std::io::Cursor;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use weir_model::Artifact;

use crate::{Caller, Engine, EngineError};
use crate::store::{entities::artifact, Insert};

impl Engine {
    /// Where an artifact's file lives.
    pub fn artifact_path(&self, sha256: &str) -> PathBuf {
        self.settings.data_dir.join("artifacts").join(format!("{sha256}.jar"))
    }

    /// Stores an uploaded JAR. Uploading the same bytes again returns the existing artifact.
    pub async fn store_artifact(&self, caller: &Caller, file_name: &str, bytes: Vec<u8>) -> Result<Artifact, EngineError> {
        caller.act("upload-artifact", file_name.chars().take(255).collect::<String>());
        self.require_editor_somewhere(caller).await?;
        if bytes.is_empty() {
            return Err(EngineError::Invalid("the uploaded file is empty".into()));
        }
        if bytes.len() > self.settings.max_artifact_bytes {
            return Err(EngineError::Invalid(format!(
                "the JAR is larger than the limit of {} bytes",
                self.settings.max_artifact_bytes
            )));
        }
        check_jar(&bytes)?;
        let sha = hex::encode(Sha256::digest(&bytes));
        if let Some(existing) = self.store.find_artifact(&sha).await? {
            if self.artifact_path(&sha).exists() {
                return Ok(to_artifact(existing));
            }
        }
        // Write the file first (atomically), then the row: a row never points at a missing file.
        let path = self.artifact_path(&sha);
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        tokio::fs::create_dir_all(&dir).await.map_err(|e| EngineError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", crate::new_flink_id()));
        tokio::fs::write(&tmp, &bytes).await.map_err(|e| EngineError::Internal(format!("cannot write the JAR: {e}")))?;
        tokio::fs::rename(&tmp, &path).await.map_err(|e| EngineError::Internal(format!("cannot store the JAR: {e}")))?;
        let name = sanitize_file_name(file_name);
        let model = match self.store.insert_artifact(&sha, bytes.len() as i64, &name).await? {
            Insert::Inserted(m) => m,
            // The same content was stored concurrently: one artifact.
            Insert::Duplicate => self
                .store
                .find_artifact(&sha)
                .await?
                .ok_or_else(|| EngineError::Internal("artifact vanished".into()))?,
        };
        tracing::info!(sha256 = %sha, size = bytes.len(), "artifact stored");
        Ok(to_artifact(model))
    }

    pub async fn get_artifact(&self, caller: &Caller, sha256: &str) -> Result<Artifact, EngineError> {
        self.require_signed_in(caller)?;
        self.store
            .find_artifact(sha256)
            .await?
            .map(to_artifact)
            .ok_or_else(|| EngineError::NotFound { kind: "artifact", name: sha256.to_owned() })
    }
}

/// A JAR is a zip archive with at least one `.class` file or a manifest.
fn check_jar(bytes: &[u8]) -> Result<(), EngineError> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| EngineError::Invalid(format!("the file is not a JAR (not a zip archive: {e})")))?;
    let has_code = archive.file_names().any(|n| n.ends_with(".class") || n == "META-INF/MANIFEST.MF");
    if !has_code {
        return Err(EngineError::Invalid("the file is a zip archive but not a JAR: it has no classes and no manifest".into()));
    }
    Ok(())
}

fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("job.jar");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    if clean.is_empty() { "job.jar".into() } else { clean }
}

fn to_artifact(m: artifact::Model) -> Artifact {
    Artifact { id: m.sha256.clone(), sha256: m.sha256, size: m.size, file_name: m.file_name, created_at: m.created_at }
}
