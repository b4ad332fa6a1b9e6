//! The audit log: one record per state-changing request (who, what, when, from where, result), written by the
//! front doors after the engine answered; read by administrators (everything) and owners (their namespaces).

use chrono::Utc;
use sea_orm::Set;
use weir_model::AuditEntry;

use super::{Caller, Role};
use crate::{Engine, EngineError};
use crate::store::audit::AuditFilter;
use crate::store::entities::audit_event;

/// The most rows one read returns.
pub const MAX_AUDIT_ROWS: u64 = 500;

impl Engine {
    /// Records a finished request: `request` is its method and path, `status` its HTTP status.
    pub async fn record_audit(&self, caller: &Caller, request: &str, status: u16, message: Option<String>) {
        let note = caller.audit_note();
        let outcome = match status {
            200..=399 => "ok",
            401 | 403 | 429 => "denied",
            _ => "failed",
        };
        let clip = |s: String, n: usize| s.chars().take(n).collect::<String>();
        let (user_id, token_id) = (caller.user().map(|u| u.id), caller.token.as_ref().map(|t| t.id));
        let row = audit_event::ActiveModel {
            at: Set(Utc::now()),
            actor: Set(clip(note.actor.clone().unwrap_or_else(|| caller.audit_name()), 140)),
            user_id: Set(user_id),
            token_id: Set(token_id),
            action: Set(clip(note.action.unwrap_or_else(|| request.to_owned()), 63)),
            request: Set(clip(request.to_owned(), 512)),
            namespace: Set(note.namespace.map(|n| clip(n, 63))),
            target: Set(note.target.map(|t| clip(t, 255))),
            address: Set(caller.address.clone().map(|a| clip(a, 64))),
            status: Set(i32::from(status)),
            outcome: Set(outcome.into()),
            message: Set(message.map(|m| clip(m, 2000))),
            ..Default::default()
        };
        if let Err(e) = self.store.insert_audit(row).await {
            tracing::error!(error = %e, request, "cannot write the audit record");
        }
    }

    /// Audit records, newest first: an administrator reads all (or one namespace's); an owner reads those of
    /// the namespaces they own.
    pub async fn list_audit(
        &self,
        caller: &Caller,
        namespace: Option<&str>,
        before: Option<i64>,
        limit: Option<u64>,
    ) -> Result<Vec<AuditEntry>, EngineError> {
        self.require_signed_in(caller)?;
        let namespaces = match namespace {
            Some(ns) => {
                self.namespace_for(caller, ns, Role::Owner).await?;
                Some(vec![ns.to_owned()])
            }
            None if caller.is_admin() => None,
            None => {
                let owned: Vec<String> = self
                    .namespace_roles(caller)
                    .await?
                    .into_iter()
                    .filter(|(_, role)| *role == Role::Owner)
                    .map(|(n, _)| n.name)
                    .collect();
                if owned.is_empty() {
                    return Err(EngineError::Forbidden("only owners and administrators may read the audit log".into()));
                }
                Some(owned)
            }
        };
        let filter = AuditFilter { namespaces, before, limit: limit.unwrap_or(100).min(MAX_AUDIT_ROWS) };
        Ok(self
            .store
            .list_audit(&filter)
            .await?
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                action: r.action,
                request: r.request,
                namespace: r.namespace,
                target: r.target,
                address: r.address,
                status: r.status,
                outcome: r.outcome,
            })
            .collect())
    }
}
