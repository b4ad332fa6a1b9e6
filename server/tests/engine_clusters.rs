//! Engine operations on clusters and environments, on SQLite and PostgreSQL, against the real local Flink.

mod common;

use serde_json::json;
use weir::config::{ClusterDecl, EnvironmentDecl};
use weir_engine::clusters::NewCluster;
use weir_engine::environments::NewEnvironment;
use weir_engine::{Caller, Engine, EngineError, EngineSettings};

/// A port on which nothing listens: connections are refused at once.
const DEAD_URL: &str = "http://127.0.0.1:9";

fn cluster(name: &str, url: &str) -> NewCluster {
    NewCluster { name: name.into(), kind: "flink-session".into(), rest_url: Some(url.into()), settings: None }
}

#[tokio::test]
async fn registration_is_validated_and_writes_nothing_when_refused() {
    for db in common::databases().await {
        let engine = Engine::new(db.store().await, EngineSettings::default()).expect("engine");
        let sys = Caller::system();
        let bad = [
            cluster("Bad Name", "http://localhost:8081"),
            cluster("ok", "not a url"),
            cluster("ok", "ftp://host/x"),
            NewCluster { name: "ok".into(), kind: "yarn".into(), rest_url: Some("http://localhost:8081".into()), settings: None },
            // Each kind's settings are its own, checked.
            NewCluster { name: "ok".into(), kind: "flink-session".into(), settings: Some(json!({"rest_url": "http://x", "port": 1})), ..Default::default() },
            NewCluster { name: "ok".into(), kind: "flink-session".into(), settings: Some(json!({"rest_url": "http://x", "flink_version": "two"})), ..Default::default() },
            NewCluster { name: "ok".into(), kind: "local-application".into(), settings: Some(json!({})), ..Default::default() },
            NewCluster { name: "ok".into(), kind: "local-application".into(), rest_url: Some("http://localhost:8081".into()), settings: Some(json!({"flink_version": "2.3.0"})) },
            NewCluster { name: "ok".into(), kind: "local-application".into(), settings: Some(json!({"flink_version": "9.9.9"})), ..Default::default() },
        ];
        for new in bad {
            let err = engine.register_cluster(&sys, new.clone()).await.expect_err("must be refused");
            assert!(matches!(err, EngineError::Invalid(_)), "[{}] {new:?}: {err}", db.label);
        }
        assert!(engine.list_clusters(&sys).await.expect("list").is_empty(), "[{}] nothing written", db.label);

        let c = engine.register_cluster(&sys, cluster("local", "http://localhost:8081/")).await.expect("register");
        assert_eq!(c.rest_url, "http://localhost:8081", "trailing slash is dropped");
        assert_eq!(c.settings, json!({"rest_url": "http://localhost:8081"}), "kept as the kind's settings");
        let c = engine
            .register_cluster(&sys, NewCluster {
                name: "old".into(),
                kind: "flink-session".into(),
                settings: Some(json!({"rest_url": "http://localhost:8091", "flink_version": "1.20.5"})),
                ..Default::default()
            })
            .await
            .expect("register with settings");
        assert_eq!(c.settings["flink_version"], "1.20.5");
        let status = engine.cluster_status(&sys, "old").await.expect("status");
        assert_eq!(status.flink_version.as_deref(), Some("1.20.5"), "the declared version, before any look");
        let err = engine.register_cluster(&sys, cluster("local", "http://other:8081")).await.expect_err("duplicate");
        assert!(matches!(err, EngineError::Conflict(_)), "[{}] {err}", db.label);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn environments_need_a_known_cluster_and_scalar_config() {
    for db in common::databases().await {
        let engine = Engine::new(db.store().await, EngineSettings::default()).expect("engine");
        let sys = Caller::system();
        engine.register_cluster(&sys, cluster("local", DEAD_URL)).await.expect("register");

        let unknown = NewEnvironment { name: "dev".into(), cluster: "nope".into(), flink_config: Default::default(), prometheus_url: None, pool: None, recommendations: None };
        let err = engine.create_environment(&sys, unknown).await.expect_err("unknown cluster");
        assert!(matches!(err, EngineError::NotFound { kind: "cluster", .. }), "[{}] {err}", db.label);

        let nested = json!({"a": {"b": 1}}).as_object().cloned().expect("object");
        let bad = NewEnvironment { name: "dev".into(), cluster: "local".into(), flink_config: nested, prometheus_url: None, pool: None, recommendations: None };
        assert!(matches!(engine.create_environment(&sys, bad).await, Err(EngineError::Invalid(_))));
        assert!(engine.list_environments(&sys).await.expect("list").is_empty(), "[{}] nothing written", db.label);

        let config = json!({"parallelism.default": 2, "pipeline.object-reuse": true}).as_object().cloned();
        let env = engine
            .create_environment(&sys, NewEnvironment {
                name: "dev".into(),
                cluster: "local".into(),
                flink_config: config.expect("object"),
                prometheus_url: None,
                pool: None,
                recommendations: None,
            })
            .await
            .expect("create");
        assert_eq!(env.flink_config["parallelism.default"], "2", "numbers are stored as Flink strings");
        assert_eq!(env.flink_config["pipeline.object-reuse"], "true");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn declarations_create_then_update_and_are_idempotent() {
    for db in common::databases().await {
        let engine = Engine::new(db.store().await, EngineSettings::default()).expect("engine");
        let sys = Caller::system();
        let clusters = vec![ClusterDecl { name: "local".into(), kind: "flink-session".into(), rest_url: Some(DEAD_URL.into()), settings: None }];
        let envs = vec![EnvironmentDecl { name: "dev".into(), cluster: "local".into(), flink_config: Default::default(), prometheus_url: None }];
        engine.apply_declarations(&clusters, &envs).await.expect("first start");
        engine.apply_declarations(&clusters, &envs).await.expect("second start changes nothing");
        assert_eq!(engine.list_clusters(&sys).await.expect("list").len(), 1);

        let moved = vec![ClusterDecl { rest_url: Some("http://127.0.0.1:10".into()), ..clusters[0].clone() }];
        engine.apply_declarations(&moved, &envs).await.expect("update");
        let list = engine.list_clusters(&sys).await.expect("list");
        assert_eq!(list[0].rest_url, "http://127.0.0.1:10", "[{}]", db.label);
        let envs_now = engine.list_environments(&sys).await.expect("envs");
        assert_eq!(envs_now.len(), 1);
        assert_eq!(envs_now[0].cluster, "local");

        let orphan = vec![EnvironmentDecl { name: "prod".into(), cluster: "missing".into(), flink_config: Default::default(), prometheus_url: None }];
        assert!(engine.apply_declarations(&[], &orphan).await.is_err(), "an environment on an undeclared cluster fails");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn statuses_and_health_come_from_the_real_cluster() {
    let flink = common::flink_url();
    let raw: serde_json::Value = reqwest::get(format!("{flink}/overview"))
        .await
        .expect("Flink answers")
        .json()
        .await
        .expect("JSON overview");
    for db in common::databases().await {
        let engine = Engine::new(db.store().await, EngineSettings::default()).expect("engine");
        let sys = Caller::system();
        engine.register_cluster(&sys, cluster("local", &flink)).await.expect("register");
        engine.register_cluster(&sys, cluster("gone", DEAD_URL)).await.expect("register");
        // Statuses are the reconciler's observations: look once. Every look is also published on the bus.
        let mut bus = engine.subscribe_observations();
        engine.reconcile_once(true).await.expect("a look at the clusters");
        let mut looked = Vec::new();
        while let Ok(look) = bus.try_recv() {
            looked.push((look.cluster.clone(), look.reachable()));
        }
        looked.sort();
        assert_eq!(looked, vec![("gone".to_string(), false), ("local".to_string(), true)], "[{}]", db.label);

        let statuses = engine.cluster_statuses(&sys).await.expect("statuses");
        let local = statuses.iter().find(|c| c.name == "local").expect("local listed");
        let overview = local.overview.as_ref().expect("local answered");
        assert!(local.reachable);
        assert_eq!(overview.flink_version, raw["flink-version"].as_str().expect("version"));
        assert_eq!(u64::from(overview.slots_total), raw["slots-total"].as_u64().expect("slots"));
        assert!(overview.taskmanagers >= 1 && overview.slots_total >= 1, "a TaskManager with slots: {overview:?}");

        let gone = statuses.iter().find(|c| c.name == "gone").expect("gone listed");
        assert!(!gone.reachable && gone.overview.is_none());
        assert!(gone.error.as_deref().unwrap_or_default().contains("not reachable"), "{:?}", gone.error);

        let health = engine.health().await;
        assert_eq!(health.status, "ok");
        assert_eq!(health.database.backend, db.label);
        let by_name = |n: &str| health.clusters.iter().find(|c| c.name == n).expect("cluster in health").clone();
        assert!(by_name("local").reachable);
        assert_eq!(by_name("local").flink_version.as_deref(), raw["flink-version"].as_str());
        assert!(!by_name("gone").reachable);

        let err = engine.cluster_overview(&sys, "gone").await.expect_err("unreachable");
        assert!(matches!(err, EngineError::Cluster { .. }), "{err}");
        db.cleanup().await;
    }
}
