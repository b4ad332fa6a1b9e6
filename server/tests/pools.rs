//! Resource pools and quotas over the REST API, on the real Flink: a namespace's quota and a pool's capacity
//! refuse a deployment before anything is written (409 `quota_exceeded` with the numbers); a redeploy counts
//! its old instance as released; a hotfix's parallelism is what is counted; two concurrent deploys never both
//! slip past a limit; bad input, unknown names, non-administrators and deleting a pool in use are refused.

mod common;

use reqwest::Method;
use serde_json::{json, Value};

use common::Api;

const JOBS: &str = "/api/v1/namespaces/default/jobs";

fn dep(job: &str) -> String {
    format!("{JOBS}/{job}/deployments/dev")
}

/// A job with one SQL version of the given parallelism.
async fn job(api: &Api, name: &str, parallelism: u32) {
    api.post_ok(JOBS, json!({"name": name, "kind": "sql"}), 201).await;
    let v = json!({"sql": common::stateful_sql(name), "parallelism": parallelism, "message": "v"});
    api.post_ok(&format!("{JOBS}/{name}/versions"), v, 201).await;
}

/// What must not move when a deploy is refused: the deployment's desired state, version and overrides, and the
/// job's operations.
async fn written(api: &Api, job: &str) -> (Value, Value, Value, usize) {
    let d = api.get(&dep(job)).await;
    let ops = api.get(&format!("{JOBS}/{job}/operations")).await;
    (d["desired_state"].clone(), d["version"].clone(), d["config_overrides"].clone(), ops.as_array().map_or(0, Vec::len))
}

/// Expects a quota refusal; returns its error object.
async fn refused(api: &Api, path: &str, body: Value) -> Value {
    let (status, answer) = api.post(path, body).await;
    assert_eq!(status, 409, "POST {path}: {answer}");
    assert_eq!(answer["error"]["code"], "quota_exceeded", "{answer}");
    answer["error"].clone()
}

async fn pool(api: &Api) -> Value {
    let pools = api.get("/api/v1/pools").await;
    pools.as_array().and_then(|a| a.iter().find(|p| p["name"] == "team-pool")).cloned().expect("the pool is listed")
}

#[tokio::test]
async fn quotas_and_pool_capacity_refuse_deployments_before_anything_is_written() {
    let s = common::server(|_| {}).await;
    let api = s.api();

    // Bad input and unknown names.
    let (st, body) = api.post("/api/v1/pools", json!({"name": "team-pool", "cluster": "local", "capacity": {"slots": 0}})).await;
    assert_eq!(st, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("at least 1 slot"), "{body}");
    let (st, body) =
        api.post("/api/v1/pools", json!({"name": "team-pool", "cluster": "local", "capacity": {"slots": 2, "cpu_cores": -1}})).await;
    assert_eq!(st, 400, "{body}");
    let (st, body) = api.post("/api/v1/pools", json!({"name": "Team Pool", "cluster": "local", "capacity": {"slots": 2}})).await;
    assert_eq!(st, 400, "{body}");
    let (st, body) = api.post("/api/v1/pools", json!({"name": "team-pool", "cluster": "nowhere", "capacity": {"slots": 2}})).await;
    assert_eq!((st, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    assert_eq!(api.get("/api/v1/pools").await, json!([]), "nothing was written");

    // A pool of the shared Flink's 8 slots; dev draws from it; namespace default gets 2 slots.
    let created = api
        .post_ok("/api/v1/pools", json!({"name": "team-pool", "cluster": "local", "capacity": {"slots": 8}}), 201)
        .await;
    assert_eq!(created["capacity"]["slots"], 8);
    assert_eq!(created["enforced"], json!({"slots": true, "cpu_cores": false, "memory_mb": false}), "a session cluster: slots only");
    let (st, body) = api.post("/api/v1/pools", json!({"name": "team-pool", "cluster": "local", "capacity": {"slots": 2}})).await;
    assert_eq!(st, 409, "a duplicate name: {body}");
    let (st, body) = api.call(Method::PATCH, "/api/v1/environments/dev", Some(json!({"pool": "nope"}))).await;
    assert_eq!(st, 404, "{body}");
    let (st, env) = api.call(Method::PATCH, "/api/v1/environments/dev", Some(json!({"pool": "team-pool"}))).await;
    assert_eq!((st, env["pool"].as_str()), (200, Some("team-pool")), "{env}");
    let (st, body) = api.call(Method::PUT, "/api/v1/pools/team-pool/quotas/nope", Some(json!({"slots": 2}))).await;
    assert_eq!(st, 404, "{body}");
    let (st, body) = api.call(Method::PUT, "/api/v1/pools/nope/quotas/default", Some(json!({"slots": 2}))).await;
    assert_eq!(st, 404, "{body}");
    let (st, q) = api.call(Method::PUT, "/api/v1/pools/team-pool/quotas/default", Some(json!({"slots": 2}))).await;
    assert_eq!((st, q["quota"]["slots"].as_u64()), (200, Some(2)), "{q}");

    // Only administrators change pools and quotas; everyone signed in reads them.
    let ann = Api::new(&s.base).with_token(&s.user_with_role("ann", Some(("default", "owner"))).await);
    for (method, path, body) in [
        (Method::POST, "/api/v1/pools", Some(json!({"name": "mine", "cluster": "local", "capacity": {"slots": 8}}))),
        (Method::PATCH, "/api/v1/pools/team-pool", Some(json!({"capacity": {"slots": 100}}))),
        (Method::PUT, "/api/v1/pools/team-pool/quotas/default", Some(json!({"slots": 100}))),
        (Method::DELETE, "/api/v1/pools/team-pool", None),
        (Method::PATCH, "/api/v1/environments/dev", Some(json!({"pool": null}))),
    ] {
        let (st, answer) = ann.call(method.clone(), path, body).await;
        assert_eq!(st, 403, "{method} {path}: {answer}");
    }
    let (st, seen) = ann.call(Method::GET, "/api/v1/pools", None).await;
    assert_eq!((st, seen[0]["namespaces"][0]["quota"]["slots"].as_u64()), (200, Some(2)), "{seen}");
    assert_eq!(Api::new(&s.base).call(Method::GET, "/api/v1/pools", None).await.0, 401);

    // Parallelism 2 fits the quota of 2.
    job(&api, "first", 2).await;
    job(&api, "second", 1).await;
    api.act(&format!("{}/deploy", dep("first")), json!({})).await;
    let first = api.get(&dep("first")).await;
    assert_eq!(first["resources"], json!({"pool": "team-pool", "demand": {"slots": 2, "cpu_cores": null, "memory_mb": null}}), "{first}");

    // One more slot is over the quota: refused with the numbers, nothing written.
    let before = written(&api, "second").await;
    let e = refused(&api, &format!("{}/deploy", dep("second")), json!({})).await;
    assert_eq!(
        (&e["limit"], &e["resource"], &e["needed"], &e["used"], &e["quota"], &e["pool"], &e["namespace"]),
        (&json!("quota"), &json!("slots"), &json!(1), &json!(2), &json!(2), &json!("team-pool"), &json!("default")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap_or_default().contains("quota"), "{e}");
    assert_eq!(written(&api, "second").await, before, "a refused deploy writes nothing");
    assert_eq!(before.3, 0, "no operation");

    // A redeploy of the first job (same demand) is admitted: its old instance is released.
    api.act(&format!("{}/deploy", dep("first")), json!({})).await;
    let p = pool(&api).await;
    assert_eq!(p["used"]["slots"], 2, "{p}");
    assert_eq!(p["namespaces"], json!([{"namespace": "default", "quota": {"slots": 2, "cpu_cores": null, "memory_mb": null},
        "used": {"slots": 2, "cpu_cores": null, "memory_mb": null}}]), "{p}");
    let running: Vec<&str> = p["deployments"].as_array().into_iter().flatten().filter_map(|d| d["job"].as_str()).collect();
    assert_eq!(running, vec!["first"], "{p}");

    // A raised quota lets the second job in.
    api.call(Method::PUT, "/api/v1/pools/team-pool/quotas/default", Some(json!({"slots": 3}))).await;
    api.act(&format!("{}/deploy", dep("second")), json!({})).await;

    // The pool's capacity, lowered to 3 (3 used): a hotfix's parallelism is what is counted.
    api.call(Method::PUT, "/api/v1/pools/team-pool/quotas/default", Some(json!({"slots": 10}))).await;
    let (st, body) = api.call(Method::PATCH, "/api/v1/pools/team-pool", Some(json!({"capacity": {"slots": 3}}))).await;
    assert_eq!((st, body["capacity"]["slots"].as_u64()), (200, Some(3)), "{body}");
    job(&api, "third", 1).await;
    let before = written(&api, "third").await;
    let e = refused(&api, &format!("{}/deploy", dep("third")), json!({"config_overrides": {"parallelism.default": "2"}})).await;
    assert_eq!(
        (&e["limit"], &e["needed"], &e["used"], &e["capacity"]),
        (&json!("pool"), &json!(2), &json!(3), &json!(3)),
        "{e}"
    );
    assert_eq!(written(&api, "third").await, before, "nothing written, not even the hotfix");

    // A new version of the first job needing 4 slots: deploy and rollback count its old 2 as released
    // (1 used by the others) and are refused; a restart (same 2) is admitted.
    let v2 = json!({"sql": common::stateful_sql("first"), "parallelism": 4, "message": "wider"});
    api.post_ok(&format!("{JOBS}/first/versions"), v2, 201).await;
    let before = written(&api, "first").await;
    let e = refused(&api, &format!("{}/deploy", dep("first")), json!({})).await;
    assert_eq!((&e["limit"], &e["needed"], &e["used"], &e["capacity"]), (&json!("pool"), &json!(4), &json!(1), &json!(3)), "{e}");
    let e = refused(&api, &format!("{}/rollback", dep("first")), json!({"version": 2})).await;
    assert_eq!((&e["needed"], &e["used"]), (&json!(4), &json!(1)), "{e}");
    assert_eq!(written(&api, "first").await, before, "refusals wrote nothing");
    api.act(&format!("{}/restart", dep("first")), json!({})).await;

    // Two concurrent deploys for the last free slot: exactly one is admitted.
    api.call(Method::PATCH, "/api/v1/pools/team-pool", Some(json!({"capacity": {"slots": 4}}))).await;
    job(&api, "left", 1).await;
    job(&api, "right", 1).await;
    let (left, right) = (format!("{}/deploy", dep("left")), format!("{}/deploy", dep("right")));
    let (l, r) = tokio::join!(api.post(&left, json!({})), api.post(&right, json!({})));
    let mut statuses = [l.0, r.0];
    statuses.sort();
    assert_eq!(statuses, [202, 409], "left {l:?} right {r:?}");
    let (winner, accepted) = if l.0 == 202 { ("left", l.1) } else { ("right", r.1) };
    let op = api.wait_operation(accepted["operation"].as_i64().expect("operation"), 240).await;
    assert_eq!(op["status"], "succeeded", "{op}");

    // A pool in use is not deleted; detached and empty, it is.
    let (st, body) = api.call(Method::DELETE, "/api/v1/pools/team-pool", None).await;
    assert_eq!((st, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("dev"), "{body}");

    // Leave the shared cluster as we found it.
    for j in ["first", "second", winner] {
        api.act(&format!("{}/stop", dep(j)), json!({"savepoint": false})).await;
    }
    assert_eq!(pool(&api).await["used"]["slots"], 0, "stopped deployments use nothing");
    let (st, env) = api.call(Method::PATCH, "/api/v1/environments/dev", Some(json!({"pool": null}))).await;
    assert_eq!((st, &env["pool"]), (200, &Value::Null), "{env}");
    let (st, body) = api.call(Method::DELETE, "/api/v1/pools/team-pool", None).await;
    assert_eq!(st, 204, "{body}");
    assert_eq!(api.get("/api/v1/pools").await, json!([]));
}
