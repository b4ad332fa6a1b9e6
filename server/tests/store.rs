//! The store on SQLite and PostgreSQL: migrations, constraints and queries behave the same on both.

mod common;

use weir::store::is_unique_violation;

#[tokio::test]
async fn migrations_apply_once_and_again_on_every_database() {
    for db in common::databases().await {
        let first = db.store().await;
        let backend = first.backend_name();
        assert_eq!(backend, db.label);
        first.insert_cluster("keep", "flink-session", "http://a:8081").await.expect("insert");
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
        store.insert_cluster("a", "flink-session", "http://a:8081").await.expect("first insert");
        let err = store.insert_cluster("a", "flink-session", "http://b:8081").await.expect_err("duplicate");
        assert!(is_unique_violation(&err), "[{}] expected a unique violation, got {err}", db.label);
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
        let b = store.insert_cluster("b", "flink-session", "http://b:8081").await.expect("insert b");
        let a = store.insert_cluster("a", "flink-session", "http://a:8081").await.expect("insert a");
        store.insert_environment("prod", b.id, r#"{"k":"v"}"#).await.expect("prod");
        store.insert_environment("dev", a.id, "{}").await.expect("dev");
        // A dangling cluster id is refused by the foreign key.
        let err = store.insert_environment("ghost", 99_999, "{}").await;
        assert!(err.is_err(), "[{}] an environment must not point at a missing cluster", db.label);

        let envs = store.list_environments().await.expect("list");
        let pairs: Vec<(String, String)> = envs.into_iter().map(|(e, c)| (e.name, c.name)).collect();
        assert_eq!(pairs, vec![("dev".into(), "a".into()), ("prod".into(), "b".into())], "[{}]", db.label);

        let prod = store.find_environment("prod").await.expect("find").expect("prod exists");
        assert_eq!(prod.flink_config, r#"{"k":"v"}"#);
        let moved = store.update_environment(prod, a.id, "{}").await.expect("update");
        assert_eq!(moved.cluster_id, a.id);
        db.cleanup().await;
    }
}
