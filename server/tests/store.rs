//! The store on SQLite and PostgreSQL: migrations, constraints and queries behave the same on both.

mod common;

use weir_engine::store::Insert;

/// The row an insert wrote (a duplicate fails the test).
fn inserted<T: std::fmt::Debug>(result: Result<Insert<T>, sea_orm::DbErr>) -> T {
    match result.expect("insert") {
        Insert::Inserted(row) => row,
        Insert::Duplicate => panic!("unexpected duplicate"),
    }
}

#[tokio::test]
async fn migrations_apply_once_and_again_on_every_database() {
    for db in common::databases().await {
        let first = db.store().await;
        let backend = first.backend_name();
        assert_eq!(backend, db.label);
        first.insert_cluster("keep", &common::session_settings("http://a:8081")).await.expect("insert");
        // A second start finds the schema current and keeps the data.
        let second = db.store().await;
        let found = second.find_cluster("keep").await.expect("query");
        assert_eq!(found.map(|c| c.rest_url), Some("http://a:8081".to_string()), "[{}]", db.label);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn clusters_are_unique_by_name() {
    for db in common::databases().await {
        let store = db.store().await;
        store.insert_cluster("a", &common::session_settings("http://a:8081")).await.expect("first insert");
        let again = store.insert_cluster("a", &common::session_settings("http://b:8081")).await.expect("answered");
        assert_eq!(again, Insert::Duplicate, "[{}] the store answers a duplicate as such", db.label);
        let all = store.list_clusters().await.expect("list");
        assert_eq!(all.len(), 1, "[{}] the duplicate must not be written", db.label);
        assert_eq!(all[0].rest_url, "http://a:8081");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn environments_reference_existing_clusters() {
    for db in common::databases().await {
        let store = db.store().await;
        let b = inserted(store.insert_cluster("b", &common::session_settings("http://b:8081")).await);
        let a = inserted(store.insert_cluster("a", &common::session_settings("http://a:8081")).await);
        store.insert_environment("prod", b.id, r#"{"k":"v"}"#, None).await.expect("prod");
        store.insert_environment("dev", a.id, "{}", None).await.expect("dev");
        // A dangling cluster id is refused by the foreign key.
        let err = store.insert_environment("ghost", 99_999, "{}", None).await;
        assert!(err.is_err(), "[{}] an environment must not point at a missing cluster", db.label);

        let envs = store.list_environments().await.expect("list");
        let pairs: Vec<(String, String)> = envs.into_iter().map(|(e, c)| (e.name, c.name)).collect();
        assert_eq!(pairs, vec![("dev".into(), "a".into()), ("prod".into(), "b".into())], "[{}]", db.label);

        let prod = store.find_environment("prod").await.expect("find").expect("prod exists");
        assert_eq!(prod.flink_config, r#"{"k":"v"}"#);
        let moved = store.update_environment(prod, a.id, "{}", None).await.expect("update");
        assert_eq!(moved.cluster_id, a.id);
        db.cleanup().await;
    }
}

/// Accounts on both databases: users, roles, tokens (hash lookup, revocation), the audit log, web sessions, and
/// the cascade when a user is deleted.
#[tokio::test]
async fn accounts_tokens_audit_and_sessions_on_every_database() {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;
    use weir::auth::session_store::DbSessionStore;
    use weir_engine::access::{members::NewNamespace, tokens::NewToken, users::NewUser};
    use weir_engine::{Caller, Engine, EngineError, EngineSettings};

    for db in common::databases().await {
        let label = db.label;
        let store = db.store().await;
        let engine = Engine::new(store.clone(), EngineSettings::default()).expect("engine");
        let sys = Caller::system();
        assert!(engine.bootstrap_admin("root", "root-password-123").await.expect("bootstrap"));
        assert!(!engine.bootstrap_admin("other", "other-password-123").await.expect("bootstrap"), "[{label}] only once");
        let new = |n: &str| NewUser { name: n.into(), password: format!("{n}-password-123"), admin: false };
        engine.create_user(&sys, new("ann")).await.expect("ann");
        let dup = engine.create_user(&sys, new("ann")).await;
        assert!(matches!(dup, Err(EngineError::Conflict(_))), "[{label}] {dup:?}");
        engine.create_namespace(&sys, NewNamespace { name: "team".into(), owner: Some("ann".into()) }).await.expect("ns");
        assert_eq!(engine.list_members(&sys, "team").await.expect("members")[0].role, weir_model::Role::Owner, "[{label}]");

        let token = NewToken { name: "ci".into(), user: Some("ann".into()), namespace: Some("team".into()), role: Some("editor".into()), scope: None };
        let created = engine.create_token(&sys, token).await.expect("token");
        let caller = engine.authenticate_token(&created.token, Some("10.0.0.9".into())).await.expect("authenticates");
        assert_eq!(caller.name(), "ann");
        engine.create_job(&caller, "team", weir_engine::jobs::NewJob { name: "j".into(), kind: "sql".into(), description: String::new() })
            .await
            .expect("an editor token creates a job");
        engine.record_audit(&caller, "POST /api/v1/namespaces/team/jobs", 201, None).await;
        let audit = engine.list_audit(&sys, Some("team"), None, None).await.expect("audit");
        assert_eq!((audit[0].actor.as_str(), audit[0].action.as_str()), ("ann (token ci)", "create-job"), "[{label}]");
        assert_eq!(audit[0].address.as_deref(), Some("10.0.0.9"));
        engine.revoke_token(&sys, created.info.id).await.expect("revoke");
        let refused = engine.authenticate_token(&created.token, None).await;
        assert!(matches!(refused, Err(EngineError::Unauthenticated(_))), "[{label}] revoked");

        // Sessions: create, save, load, expire, delete.
        let sessions = DbSessionStore::new(store.clone());
        let mut record = Record {
            id: Id::default(),
            data: [("user_id".to_string(), serde_json::json!(1))].into_iter().collect(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
        };
        sessions.create(&mut record).await.expect("create");
        let loaded = sessions.load(&record.id).await.expect("load").expect("found");
        assert_eq!(loaded.data, record.data, "[{label}]");
        record.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
        sessions.save(&record).await.expect("save");
        assert!(sessions.load(&record.id).await.expect("load").is_none(), "[{label}] an expired session is gone");
        assert_eq!(store.delete_expired_sessions().await.expect("sweep"), 1, "[{label}]");

        // Deleting a user takes their memberships and tokens; the last administrator stays.
        engine.create_token(&sys, NewToken { name: "x".into(), user: Some("ann".into()), ..Default::default() }).await.expect("token");
        engine.delete_user(&sys, "ann").await.expect("delete");
        assert!(engine.list_members(&sys, "team").await.expect("members").is_empty(), "[{label}]");
        assert!(engine.list_tokens(&sys, None).await.expect("tokens").is_empty(), "[{label}]");
        assert!(matches!(engine.delete_user(&sys, "root").await, Err(EngineError::Conflict(_))), "[{label}]");
        db.cleanup().await;
    }
}

/// The metrics history's SQL on both databases: raw points written once, rolled up into whole minutes,
/// read by range, deleted by retention.
#[tokio::test]
async fn metric_points_roll_up_and_expire_on_every_database() {
    use weir_engine::store::metrics::Point;
    use weir_model::metrics::{MetricName, Resolution};
    for db in common::databases().await {
        let label = db.label;
        let store = db.store().await;
        let cluster = inserted(store.insert_cluster("m", &common::session_settings("http://m:8081")).await);
        let env = inserted(store.insert_environment("menv", cluster.id, "{}", None).await);
        let ns = store.find_namespace("default").await.expect("query").expect("default namespace");
        let job = inserted(store.insert_job(ns.id, "mjob", weir_model::JobKind::Sql, "").await);
        let d = store.deployment_for(job.id, env.id).await.expect("deployment");
        let point = |ts: i64, value: f64| Point { deployment_id: d.id, name: MetricName::BusyRatio, vertex: String::new(), ts, value };
        // Minute 0: 0.2 and 0.4; minute 1: 0.6. Written twice: kept once.
        let points = vec![point(1_000, 0.2), point(30_000, 0.4), point(61_000, 0.6)];
        store.insert_points(points.clone()).await.expect("insert");
        store.insert_points(points).await.expect("insert again");
        let raw = store.points(d.id, &[MetricName::BusyRatio], Resolution::Raw, 0, 120_000).await.expect("read");
        assert_eq!(raw.iter().map(|p| p.value).collect::<Vec<_>>(), vec![0.2, 0.4, 0.6], "[{label}]");
        // Only whole minutes before `until` are rolled up, and a bucket rolled up once is kept.
        store.roll_up(Resolution::Raw, Resolution::Minute, 0, 60_000).await.expect("roll up");
        store.roll_up(Resolution::Raw, Resolution::Minute, 0, 60_000).await.expect("roll up again");
        let minutes = store.points(d.id, &[MetricName::BusyRatio], Resolution::Minute, 0, 120_000).await.expect("read");
        assert_eq!(minutes.len(), 1, "[{label}] {minutes:?}");
        assert_eq!(minutes[0].ts, 0);
        assert!((minutes[0].value - 0.3).abs() < 1e-9, "[{label}] the average: {}", minutes[0].value);
        assert_eq!(store.newest_point(Resolution::Minute).await.expect("newest"), Some(0));
        assert_eq!(store.delete_points_before(Resolution::Raw, 60_000).await.expect("retention"), 2, "[{label}]");
        let left = store.points(d.id, &[MetricName::BusyRatio], Resolution::Raw, 0, 120_000).await.expect("read");
        assert_eq!(left.len(), 1, "[{label}]");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn pools_quotas_and_what_runs_in_them_on_every_database() {
    use sea_orm::Set;
    use weir_engine::store::entities::version;
    use weir_engine::store::operations::{Admission, Desired};
    use weir_model::pools::Resources;
    use weir_model::{DesiredState, OperationKind};
    for db in common::databases().await {
        let label = db.label;
        let store = db.store().await;
        let cluster = inserted(store.insert_cluster("pc", &common::session_settings("http://p:8081")).await);
        let capacity = Resources { slots: 8, cpu_cores: Some(4.5), memory_mb: Some(8192) };
        let pool = inserted(store.insert_pool("p", cluster.id, &capacity).await);
        assert_eq!((pool.slots, pool.cpu_cores, pool.memory_mb), (8, Some(4.5), Some(8192)), "[{label}]");
        assert!(matches!(store.insert_pool("p", cluster.id, &capacity).await.expect("answered"), Insert::Duplicate), "[{label}]");
        assert!(store.insert_pool("ghost", 99_999, &capacity).await.is_err(), "[{label}] a pool needs its cluster");
        let changed = store.update_pool(pool.clone(), &Resources { slots: 6, cpu_cores: None, memory_mb: None }).await.expect("update");
        assert_eq!((changed.slots, changed.cpu_cores, changed.memory_mb), (6, None, None), "[{label}]");

        // Environments draw from it; a missing pool is refused by the foreign key.
        let env = inserted(store.insert_environment("penv", cluster.id, "{}", None).await);
        assert_eq!(env.pool_id, None, "[{label}] no pool by default");
        assert!(store.set_environment_pool(env.id, Some(99_999)).await.is_err(), "[{label}] a dangling pool id");
        store.set_environment_pool(env.id, Some(pool.id)).await.expect("attach");
        let names: Vec<String> = store.environments_in_pool(pool.id).await.expect("envs").into_iter().map(|e| e.name).collect();
        assert_eq!(names, vec!["penv".to_string()], "[{label}]");

        // One quota per pool and namespace: set again, replaced.
        let ns = store.find_namespace("default").await.expect("query").expect("default namespace");
        store.set_quota(pool.id, ns.id, &Resources { slots: 2, cpu_cores: None, memory_mb: None }).await.expect("quota");
        let q = store.set_quota(pool.id, ns.id, &Resources { slots: 3, cpu_cores: Some(1.5), memory_mb: Some(512) }).await.expect("quota");
        assert_eq!((q.slots, q.cpu_cores, q.memory_mb), (3, Some(1.5), Some(512)), "[{label}]");
        assert_eq!(store.quotas_of(pool.id).await.expect("quotas").len(), 1, "[{label}] replaced, not added");

        // What runs in the pool: deployments whose desired state is running, with their versions.
        let job = inserted(store.insert_job(ns.id, "pjob", weir_model::JobKind::Sql, "").await);
        let v = version::ActiveModel {
            sql: Set(Some("SELECT 1".into())),
            args: Set("[]".into()),
            parallelism: Set(Some(2)),
            flink_config: Set("{}".into()),
            mode: Set(weir_model::ExecutionMode::Streaming),
            message: Set(String::new()),
            author: Set("t".into()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        };
        let v = inserted(store.insert_version(v, job.id).await);
        let d = store.deployment_for(job.id, env.id).await.expect("deployment");
        assert!(store.running_in_pool(pool.id).await.expect("running").is_empty(), "[{label}] never deployed");
        let desired = Desired { state: DesiredState::Running, version_id: Some(v.id), config_overrides: "{}".into() };
        let admitted = store.admit_operation(d.id, OperationKind::Deploy, "t", "{}", Some(desired)).await.expect("admit");
        assert!(matches!(admitted, Admission::Admitted(_)), "[{label}]");
        let running = store.running_in_pool(pool.id).await.expect("running");
        assert_eq!(running.len(), 1, "[{label}]");
        assert_eq!((running[0].job.name.as_str(), running[0].version.as_ref().map(|v| v.parallelism)), ("pjob", Some(Some(2))), "[{label}]");

        // A pool an environment draws from is not deleted; detached, it goes with its quotas.
        assert!(!store.delete_pool(pool.id).await.expect("delete"), "[{label}] refused while used");
        assert!(store.find_pool("p").await.expect("find").is_some(), "[{label}]");
        store.set_environment_pool(env.id, None).await.expect("detach");
        assert!(store.running_in_pool(pool.id).await.expect("running").is_empty(), "[{label}] detached");
        assert!(store.delete_pool(pool.id).await.expect("delete"), "[{label}]");
        assert!(store.find_pool("p").await.expect("find").is_none(), "[{label}]");
        assert!(store.quotas_of(pool.id).await.expect("quotas").is_empty(), "[{label}] its quotas went with it");
        db.cleanup().await;
    }
}

/// Recommendation history and settings on both databases: entries kept newest first, the latest of an action
/// found, the cascade when the deployment goes, settings set and cleared.
#[tokio::test]
async fn recommendation_history_and_settings_on_every_database() {
    use weir_engine::store::recommendations::NewRecord;
    use weir_model::recommendations::RecommendationAction;
    for db in common::databases().await {
        let label = db.label;
        let store = db.store().await;
        let cluster = inserted(store.insert_cluster("r", &common::session_settings("http://r:8081")).await);
        let env = inserted(store.insert_environment("renv", cluster.id, "{}", None).await);
        let ns = store.find_namespace("default").await.expect("query").expect("default namespace");
        let job = inserted(store.insert_job(ns.id, "rjob", weir_model::JobKind::Sql, "").await);
        let d = store.deployment_for(job.id, env.id).await.expect("deployment");
        let record = |action, fingerprint: &'static str, reason: Option<&'static str>, operation_id| NewRecord {
            deployment_id: d.id,
            action,
            fingerprint,
            body_json: "{}",
            reason,
            operation_id,
            by: "tester",
        };
        let shown = store.insert_recommendation_record(record(RecommendationAction::Shown, "aa", None, None)).await.expect("shown");
        store
            .insert_recommendation_record(record(RecommendationAction::Dismissed, "aa", Some("busy week"), None))
            .await
            .expect("dismissed");
        store.insert_recommendation_record(record(RecommendationAction::Shown, "bb", None, None)).await.expect("shown again");
        store.insert_recommendation_record(record(RecommendationAction::Applied, "bb", None, Some(42))).await.expect("applied");
        let all = store.recommendation_history(d.id, 10).await.expect("history");
        let actions: Vec<_> = all.iter().map(|r| (r.action, r.fingerprint.as_str())).collect();
        assert_eq!(
            actions,
            vec![
                (RecommendationAction::Applied, "bb"),
                (RecommendationAction::Shown, "bb"),
                (RecommendationAction::Dismissed, "aa"),
                (RecommendationAction::Shown, "aa")
            ],
            "[{label}] newest first"
        );
        assert_eq!(all[0].operation_id, Some(42), "[{label}]");
        assert_eq!(all[2].reason.as_deref(), Some("busy week"), "[{label}]");
        assert_eq!(all[3].id, shown.id);
        let latest = store.latest_recommendation_record(d.id, RecommendationAction::Shown).await.expect("latest").expect("one");
        assert_eq!(latest.fingerprint, "bb", "[{label}]");
        assert_eq!(store.recommendation_history(d.id, 2).await.expect("limit").len(), 2, "[{label}]");
        assert_eq!(store.running_deployments().await.expect("running").len(), 0, "[{label}] never deployed: not running");

        store.set_recommendation_settings(env.id, Some(r#"{"window_s":60}"#)).await.expect("set");
        let e = store.find_environment("renv").await.expect("find").expect("env");
        assert_eq!(e.recommendation_settings.as_deref(), Some(r#"{"window_s":60}"#), "[{label}]");
        store.set_recommendation_settings(env.id, None).await.expect("clear");
        let e = store.find_environment("renv").await.expect("find").expect("env");
        assert_eq!(e.recommendation_settings, None, "[{label}]");

        // The history goes with its deployment.
        use sea_orm::EntityTrait;
        weir_engine::store::entities::deployment::Entity::delete_by_id(d.id).exec(store.db()).await.expect("delete deployment");
        assert!(store.recommendation_history(d.id, 10).await.expect("history").is_empty(), "[{label}] cascaded");
        db.cleanup().await;
    }
}
