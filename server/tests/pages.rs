//! Pages read the reconciler's observations and never ask a cluster: a cluster that never answers costs a page
//! nothing, and shows as unreachable with the age of what Weir last saw. Pages also render concurrently on a
//! multi-threaded runtime (each request has its own reactive arena).

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use weir::config::{ClusterDecl, EnvironmentDecl};

/// A TCP server that accepts connections and never answers: a cluster behind a dropped network.
async fn blackhole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}")
}

async fn silent_server() -> common::TestServer {
    let hole = blackhole().await;
    common::server(move |c| {
        // A long timeout: a page that waited on the silent cluster would take ten seconds, far from a page that
        // did not even on a loaded machine (the first render also competes with the SQL checker's JVM start).
        c.engine.cluster_timeout_ms = 10_000;
        c.clusters.push(ClusterDecl { name: "silent".into(), kind: "flink-session".into(), rest_url: Some(hole), settings: None });
        c.environments.push(EnvironmentDecl { name: "quiet".into(), cluster: "silent".into(), flink_config: Default::default(), prometheus_url: None });
    })
    .await
}

use common::render;

/// Far less than the silent cluster's timeout: a page this fast did not wait on it.
const WAITED: Duration = Duration::from_secs(5);

#[tokio::test]
async fn pages_never_wait_on_a_cluster_that_does_not_answer() {
    let s = silent_server().await;
    let api = s.api();
    api.post_ok("/api/v1/namespaces/default/jobs", json!({"name": "quiet-job", "kind": "sql"}), 201).await;
    // The deployment of the job in the silent cluster's environment (created on first use).
    let d = api.get("/api/v1/namespaces/default/jobs/quiet-job/deployments/quiet").await;
    assert_eq!(d["observed_state"], "NONE", "{d}");

    // Wait for the reconciler's first (failed) look at the silent cluster: its look times out.
    let started = Instant::now();
    let status = loop {
        let c = api.get("/api/v1/clusters/silent").await;
        if c["age_s"].is_u64() {
            break c;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the silent cluster was never looked at: {c}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status["reachable"], false, "{status}");
    assert!(status["error"].as_str().unwrap_or_default().contains("timed out"), "{status}");
    assert!(status["last_answer_at"].is_null(), "it never answered: {status}");

    let (_, cookie) = common::Api::login(&s.base, common::ADMIN, common::ADMIN_PASSWORD, false).await;
    // A page that asked the cluster would wait for its timeout (10 s); pages read observations instead.
    let (code, html, took) = render(&s.base, &cookie, "/").await;
    assert_eq!(code, 200);
    assert!(took < WAITED, "the dashboard took {took:?}");
    assert!(html.contains("data-cluster=\"silent\""), "the silent cluster has its card");
    let card = &html[html.find("data-cluster=\"silent\"").expect("card")..];
    assert!(card.contains(">unreachable<"), "shown unreachable");
    assert!(card.contains("Observed ") && card.contains(" s ago"), "with the age of the last look");
    assert!(card.contains("it has not answered since Weir started"), "and when it last answered");
    let local = &html[html.find("data-cluster=\"local\"").expect("local card")..];
    assert!(local.contains(">reachable<"), "the real cluster is still shown reachable");

    let (code, html, took) = render(&s.base, &cookie, "/jobs/default/quiet-job").await;
    assert_eq!(code, 200);
    assert!(took < WAITED, "the job page took {took:?}");
    assert!(html.contains("data-env=\"quiet\""), "the job page shows the deployment in the silent environment");

    let (code, html, took) = render(&s.base, &cookie, "/clusters").await;
    assert_eq!(code, 200);
    assert!(took < WAITED, "the clusters page took {took:?}");
    assert!(html.contains("data-cluster-row=\"silent\""), "listed");

    let started = Instant::now();
    let health = api.get("/api/v1/health").await;
    assert!(started.elapsed() < Duration::from_secs(1), "the health endpoint waited on a cluster");
    let silent = health["clusters"].as_array().into_iter().flatten().find(|c| c["name"] == "silent").cloned();
    assert_eq!(silent.map(|c| c["reachable"].clone()), Some(json!(false)), "{health}");
}

/// Many pages rendered at once on several threads: none deadlocks (the reactive arena is per request).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_concurrently() {
    let s = common::server(|_| {}).await;
    s.api().post_ok("/api/v1/namespaces/default/jobs", json!({"name": "busy-job", "kind": "sql"}), 201).await;
    let (_, cookie) = common::Api::login(&s.base, common::ADMIN, common::ADMIN_PASSWORD, false).await;
    let pages = ["/", "/jobs", "/clusters", "/environments", "/jobs/default/busy-job", "/jobs/default/busy-job?tab=lineage", "/lineage", "/account", "/audit"];
    for round in 0..4 {
        let renders = (0..48).map(|i| {
            let (base, cookie, path) = (s.base.clone(), cookie.clone(), pages[i % pages.len()]);
            tokio::spawn(async move { (path, render(&base, &cookie, path).await.0) })
        });
        for r in futures::future::join_all(renders).await {
            let (path, code) = r.expect("render task");
            assert_eq!(code, 200, "round {round}: {path}");
        }
    }
}
