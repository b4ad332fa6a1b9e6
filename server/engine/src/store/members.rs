//! Queries on `namespace_members` (roles) and `namespace_environments` (the environments a namespace may use).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set, TransactionTrait,
};

use super::entities::{namespace_environment, namespace_member};
use weir_model::Role;

use super::Store;

impl Store {
    pub async fn member_role(&self, namespace_id: i64, user_id: i64) -> Result<Option<Role>, DbErr> {
        Ok(namespace_member::Entity::find()
            .filter(namespace_member::Column::NamespaceId.eq(namespace_id))
            .filter(namespace_member::Column::UserId.eq(user_id))
            .one(self.db())
            .await?
            .map(|m| m.role))
    }

    /// Every membership of a user.
    pub async fn memberships_of(&self, user_id: i64) -> Result<Vec<namespace_member::Model>, DbErr> {
        namespace_member::Entity::find().filter(namespace_member::Column::UserId.eq(user_id)).all(self.db()).await
    }

    pub async fn members_of(&self, namespace_id: i64) -> Result<Vec<namespace_member::Model>, DbErr> {
        namespace_member::Entity::find()
            .filter(namespace_member::Column::NamespaceId.eq(namespace_id))
            .all(self.db())
            .await
    }

    /// Gives a user a role in a namespace, replacing the one they had.
    pub async fn set_member(&self, namespace_id: i64, user_id: i64, role: Role) -> Result<(), DbErr> {
        let existing = namespace_member::Entity::find()
            .filter(namespace_member::Column::NamespaceId.eq(namespace_id))
            .filter(namespace_member::Column::UserId.eq(user_id))
            .one(self.db())
            .await?;
        match existing {
            Some(m) => {
                let mut active: namespace_member::ActiveModel = m.into();
                active.role = Set(role);
                active.update(self.db()).await?;
            }
            None => {
                namespace_member::ActiveModel {
                    namespace_id: Set(namespace_id),
                    user_id: Set(user_id),
                    role: Set(role),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(self.db())
                .await?;
            }
        }
        Ok(())
    }

    /// Removes a membership; false when there was none.
    pub async fn remove_member(&self, namespace_id: i64, user_id: i64) -> Result<bool, DbErr> {
        let res = namespace_member::Entity::delete_many()
            .filter(namespace_member::Column::NamespaceId.eq(namespace_id))
            .filter(namespace_member::Column::UserId.eq(user_id))
            .exec(self.db())
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// The ids of the environments a namespace may use; empty means every environment.
    pub async fn namespace_environment_ids(&self, namespace_id: i64) -> Result<Vec<i64>, DbErr> {
        Ok(namespace_environment::Entity::find()
            .filter(namespace_environment::Column::NamespaceId.eq(namespace_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|r| r.environment_id)
            .collect())
    }

    /// Replaces the environments a namespace may use, in one transaction.
    pub async fn set_namespace_environments(&self, namespace_id: i64, environment_ids: &[i64]) -> Result<(), DbErr> {
        let txn = self.db().begin().await?;
        namespace_environment::Entity::delete_many()
            .filter(namespace_environment::Column::NamespaceId.eq(namespace_id))
            .exec(&txn)
            .await?;
        for id in environment_ids {
            namespace_environment::ActiveModel {
                namespace_id: Set(namespace_id),
                environment_id: Set(*id),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await
    }
}
