//! Queries on `audit_events`.

use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entities::audit_event::{ActiveModel, Column, Entity, Model};
use super::Store;

/// Which audit rows to read.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only these namespaces (`None`: every row, including those of no namespace).
    pub namespaces: Option<Vec<String>>,
    /// Rows older than this id (paging backwards).
    pub before: Option<i64>,
    pub limit: u64,
}

impl Store {
    pub async fn insert_audit(&self, row: ActiveModel) -> Result<Model, DbErr> {
        row.insert(self.db()).await
    }

    /// Newest first.
    pub async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<Model>, DbErr> {
        let mut q = Entity::find().order_by_desc(Column::Id).limit(filter.limit.max(1));
        if let Some(ns) = &filter.namespaces {
            q = q.filter(Column::Namespace.is_in(ns.clone()));
        }
        if let Some(before) = filter.before {
            q = q.filter(Column::Id.lt(before));
        }
        q.all(self.db()).await
    }
}
