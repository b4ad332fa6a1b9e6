//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the REST API. Every route registered in
//! [`super::router`] is listed here; a test checks that both lists agree.

use axum::Json;
use serde_json::{json, Map, Value};
use weir_model::alerts::{AlertConditionKind, ChannelKind};
use weir_model::{ExecutionMode, JobKind, RestoreChoice, Role, TokenScopeKind};

/// (method, path, summary, request body schema, success status)
pub const ENDPOINTS: &[(&str, &str, &str, Option<&str>, u16)] = &[
    ("get", "/health", "Weir's health: database and each cluster's reachability", None, 200),
    ("get", "/clusters", "Every cluster with its live status", None, 200),
    ("post", "/clusters", "Register a cluster", Some("NewCluster"), 201),
    ("get", "/clusters/{name}", "One cluster with its live status", None, 200),
    ("get", "/clusters/{name}/overview", "The cluster's own overview (Flink /overview)", None, 200),
    ("get", "/clusters/{name}/metrics", "Slots, CPU load and heap of each TaskManager", None, 200),
    ("get", "/clusters/{name}/history", "Cluster history: slots, CPU and heap over time; ?names=slots_total,slots_used,cpu_load,heap_used_bytes,heap_max_bytes&from=&to= (unix ms)", None, 200),
    ("get", "/environments", "Every environment", None, 200),
    ("post", "/environments", "Create an environment", Some("NewEnvironment"), 201),
    ("patch", "/environments/{env}", "Change an environment's Flink configuration or Prometheus URL", Some("EnvironmentChange"), 200),
    ("get", "/pools", "Every resource pool: capacity, what is enforced (slots; CPU and memory only on per-job clusters), use, each namespace's quota and use, the deployments in it", None, 200),
    ("post", "/pools", "Create a resource pool on a cluster (administrators)", Some("NewPool"), 201),
    ("patch", "/pools/{pool}", "Change a pool's capacity (administrators)", Some("PoolChange"), 200),
    ("delete", "/pools/{pool}", "Delete a pool with its quotas; refused (409) while an environment draws from it (administrators)", None, 204),
    ("put", "/pools/{pool}/quotas/{ns}", "Set a namespace's quota in a pool (administrators)", Some("Resources"), 200),
    ("get", "/session", "Who is calling: name, admin flag, namespaces with roles, the session's CSRF token", None, 200),
    ("post", "/session", "Log in (sets the session cookie)", Some("Login"), 200),
    ("delete", "/session", "Log out", None, 204),
    ("post", "/session/logout", "Log out from the page's form (redirects to /login)", None, 303),
    ("get", "/users", "Every user (administrators)", None, 200),
    ("post", "/users", "Create a user (administrators)", Some("NewUser"), 201),
    ("patch", "/users/{name}", "Change a password (self or administrators) or the admin flag (administrators)", Some("UserChange"), 200),
    ("delete", "/users/{name}", "Delete a user with their memberships and tokens (administrators)", None, 204),
    ("get", "/tokens", "The caller's API tokens (administrators: everybody's, or ?user=)", None, 200),
    ("post", "/tokens", "Create an API token; the secret is only in this answer", Some("NewToken"), 201),
    ("delete", "/tokens/{id}", "Revoke an API token (from the next request on)", None, 200),
    ("get", "/audit", "The audit log, newest first (?namespace=, ?before=, ?limit=); owners and administrators", None, 200),
    ("get", "/namespaces", "The namespaces the caller has a role in, with the role", None, 200),
    ("post", "/namespaces", "Create a namespace (administrators)", Some("NewNamespace"), 201),
    ("get", "/namespaces/{ns}/members", "The namespace's members and roles", None, 200),
    ("put", "/namespaces/{ns}/members/{user}", "Give a user a role in the namespace (owners)", Some("RoleBody"), 200),
    ("delete", "/namespaces/{ns}/members/{user}", "Remove a member (owners)", None, 204),
    ("get", "/namespaces/{ns}/environments", "The environments the namespace may deploy to", None, 200),
    ("put", "/namespaces/{ns}/environments", "Limit the namespace to these environments; empty: all (owners)", Some("EnvironmentsBody"), 200),
    ("get", "/namespaces/{ns}/jobs", "The jobs of a namespace", None, 200),
    ("get", "/namespaces/{ns}/alert-channels", "The namespace's alert channels (secrets are never shown: secret_set)", None, 200),
    ("post", "/namespaces/{ns}/alert-channels", "Create an alert channel: webhook, slack, email or alertmanager (owners)", Some("NewAlertChannel"), 201),
    ("get", "/namespaces/{ns}/alert-channels/{name}", "One alert channel", None, 200),
    ("patch", "/namespaces/{ns}/alert-channels/{name}", "Change a channel's config; a secret left out is kept (owners)", Some("AlertChannelChange"), 200),
    ("delete", "/namespaces/{ns}/alert-channels/{name}", "Delete an alert channel; its rules stop sending to it (owners)", None, 204),
    ("post", "/namespaces/{ns}/alert-channels/{name}/test", "Send a test message; answers whether it was delivered (owners)", None, 200),
    ("get", "/namespaces/{ns}/alert-rules", "The namespace's alert rules", None, 200),
    ("post", "/namespaces/{ns}/alert-rules", "Create an alert rule (owners)", Some("NewAlertRule"), 201),
    ("get", "/namespaces/{ns}/alert-rules/{name}", "One alert rule", None, 200),
    ("patch", "/namespaces/{ns}/alert-rules/{name}", "Change an alert rule; fields left out stay (owners)", Some("AlertRuleChange"), 200),
    ("delete", "/namespaces/{ns}/alert-rules/{name}", "Delete an alert rule with its alerts (owners)", None, 204),
    ("get", "/namespaces/{ns}/silences", "The namespace's silences", None, 200),
    ("post", "/namespaces/{ns}/silences", "Silence matching alerts until a time (owners)", Some("NewSilence"), 201),
    ("delete", "/namespaces/{ns}/silences/{id}", "End a silence (owners)", None, 204),
    ("get", "/namespaces/{ns}/alert-history", "The namespace's notifications and their delivery, newest first (?limit=)", None, 200),
    ("get", "/alerts", "Alerts pending or firing now and resolved in the last day, in the namespaces the caller may read", None, 200),
    ("post", "/namespaces/{ns}/jobs", "Create a job", Some("NewJob"), 201),
    ("get", "/namespaces/{ns}/jobs/{job}", "One job", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/versions", "The job's versions, newest first", None, 200),
    ("post", "/namespaces/{ns}/jobs/{job}/versions", "Save the next version (SQL is checked by the planner)", Some("NewVersion"), 201),
    ("get", "/namespaces/{ns}/jobs/{job}/versions/{n}", "One version", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/versions/{a}/diff/{b}", "Compare two versions", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/versions/{n}/lineage", "What the version reads and writes, column by column: inputs and outputs as OpenLineage datasets (namespace, name, the Flink table as alias, fields), each output column's sources (type DIRECT/INDIRECT, subtype, description); 409 with the reason when it has none (a JAR version without declared lineage)", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/deployments", "The job's deployments", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/deployments/{env}", "The job's deployment in one environment", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/deployments/{env}/logs", "The log files of the deployment's job (kinds with a cluster per job); ?tail_bytes= (default 65536) of each file's end", None, 200),
    ("post", "/namespaces/{ns}/jobs/{job}/deployments/{env}/deploy", "Deploy a version (savepoint-and-stop the running job first)", Some("DeployRequest"), 202),
    ("post", "/namespaces/{ns}/jobs/{job}/deployments/{env}/rollback", "Roll back to an earlier version", Some("RollbackRequest"), 202),
    ("post", "/namespaces/{ns}/jobs/{job}/deployments/{env}/restart", "Restart the deployed version, keeping state", None, 202),
    ("post", "/namespaces/{ns}/jobs/{job}/deployments/{env}/stop", "Stop with a savepoint (or cancel)", Some("StopRequest"), 202),
    ("post", "/namespaces/{ns}/jobs/{job}/deployments/{env}/savepoint", "Take a savepoint while running", None, 202),
    ("get", "/namespaces/{ns}/jobs/{job}/deployments/{env}/metrics", "Metrics history: ?names=a,b&from=&to= (unix ms), at the resolution the range calls for", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/deployments/{env}/recommendation", "The resource recommendation (status ready, collecting or no_change; parallelism per vertex and for the job, memory, explanation, pool cost, based_on)", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/deployments/{env}/recommendation/history", "Every recommendation shown, applied or dismissed for the deployment, newest first", None, 200),
    ("post", "/namespaces/{ns}/jobs/{job}/deployments/{env}/recommendation/apply", "Apply the recommendation: a new version with the recommended parallelism, redeployed keeping state (stop with savepoint, restore) as one deploy operation, within the pool's quota (editors)", None, 202),
    ("post", "/namespaces/{ns}/jobs/{job}/deployments/{env}/recommendation/dismiss", "Dismiss the recommendation (optional reason): not shown again until its numbers change (editors)", Some("DismissRequest"), 200),
    ("get", "/namespaces/{ns}/jobs/{job}/operations", "The job's operations, newest first", None, 200),
    ("get", "/namespaces/{ns}/jobs/{job}/snapshots", "The job's savepoints and retained checkpoints", None, 200),
    ("get", "/operations/{id}", "One operation with its steps", None, 200),
    ("post", "/artifacts", "Upload a JAR (multipart file field)", Some("JarUpload"), 201),
    ("get", "/artifacts/{sha256}", "One artifact", None, 200),
    ("post", "/sql/validate", "Check Flink SQL with the real planner (with the script's column lineage when it has no errors)", Some("ValidateRequest"), 200),
    ("get", "/lineage", "The cross-job lineage graph around ?dataset=<namespace>|<name> or ?job=<namespace>/<job> (or everything visible): &direction=upstream|downstream|both &depth=N (job hops, default 3, at most 20) &environment=E; nodes (datasets, jobs with the versions environments run, other namespaces' jobs as 'hidden') laid out left to right, edges with column mappings", None, 200),
    ("get", "/lineage/openlineage", "The current graph as OpenLineage RunEvents (RUNNING, one per deployment wanted running that the caller may read), with schema, symlinks and columnLineage dataset facets, jobType and processing_engine", None, 200),
    ("get", "/lineage/openlineage/status", "OpenLineage delivery: whether [lineage] openlineage_url is set, events pending, delivered and given up, the newest error", None, 200),
    ("get", "/events", "Server-sent events: deployment, operation and cluster changes", None, 200),
    ("get", "/openapi.json", "This document", None, 200),
];

fn schemas() -> Value {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
    let config = json!({"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}});
    json!({
        "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "operation": {"type": "integer", "description": "the operation in flight (409)"},
            "limit": {"enum": ["quota", "pool"], "description": "quota_exceeded (409): which limit refused it"},
            "resource": {"enum": ["slots", "cpu_cores", "memory_mb"]}, "pool": {"type": "string"}, "namespace": {"type": "string"},
            "needed": {"type": "number"}, "used": {"type": "number"},
            "quota": {"type": "number", "description": "limit quota"}, "capacity": {"type": "number", "description": "limit pool"},
            "line": {"type": "integer"}, "column": {"type": "integer"}}, "required": ["code", "message"]}}},
        "NewCluster": s(json!({"name": {"type": "string"}, "kind": {"enum": weir_model::ClusterKind::WORDS},
            "rest_url": {"type": "string", "format": "uri", "description": "flink-session only: its REST API (or settings.rest_url)"},
            "settings": {"type": "object", "description": "the kind's settings. flink-session: rest_url (required), flink_version. local-application: flink_version (required, an installed distribution), taskmanagers (1-16, default 1), zookeeper_quorum (host:port, JobManager HA). kubernetes-operator: namespace, flink_version (e.g. 1.20, 2.3), image (required), service_account (default flink), kubeconfig, runner_jar_uri, rest_url_template, session_deployment (an operator-managed session FlinkDeployment: jobs run on it as FlinkSessionJobs; runner_jar_uri must then be fetchable by the operator, e.g. https://)"}}), &["name", "kind"]),
        "NewEnvironment": s(json!({"name": {"type": "string"}, "cluster": {"type": "string"}, "flink_config": config,
            "prometheus_url": {"type": "string", "description": "a Prometheus scraping this environment's Flink: history is read from it"},
            "pool": {"type": "string", "description": "the resource pool it draws from (on its cluster); none: no limit"},
            "recommendations": {"$ref": "#/components/schemas/RecommendationSettings"}}), &["name", "cluster"]),
        "EnvironmentChange": s(json!({"flink_config": config,
            "prometheus_url": {"type": ["string", "null"], "description": "null or empty: Weir samples the history itself"},
            "pool": {"type": ["string", "null"], "description": "the resource pool it draws from (on its cluster); null: none, no limit"},
            "recommendations": {"oneOf": [{"$ref": "#/components/schemas/RecommendationSettings"}, {"type": "null"}],
                "description": "null: the defaults"}}), &[]),
        "RecommendationSettings": s(json!({"stabilization_s": {"type": "integer", "minimum": 0, "default": 300},
            "window_s": {"type": "integer", "minimum": 1, "default": 900},
            "scale_down_after_s": {"type": "integer", "minimum": 0, "default": 3600},
            "target_utilization": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.7},
            "utilization_tolerance": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.2},
            "catch_up_s": {"type": "integer", "minimum": 1, "default": 1800},
            "headroom": {"type": "number", "minimum": 1, "maximum": 10, "default": 1.2}}), &[]),
        "DismissRequest": s(json!({"reason": {"type": "string", "maxLength": 1000}}), &[]),
        "Resources": s(json!({"slots": {"type": "integer", "minimum": 0},
            "cpu_cores": {"type": "number", "minimum": 0, "description": "enforced only on clusters that run one cluster per job"},
            "memory_mb": {"type": "integer", "minimum": 0, "description": "enforced only on clusters that run one cluster per job"}}), &["slots"]),
        "NewPool": s(json!({"name": {"type": "string"}, "cluster": {"type": "string"},
            "capacity": {"$ref": "#/components/schemas/Resources"}}), &["name", "cluster", "capacity"]),
        "PoolChange": s(json!({"capacity": {"$ref": "#/components/schemas/Resources"}}), &[]),
        "NewJob": s(json!({"name": {"type": "string"}, "kind": {"enum": JobKind::WORDS}, "description": {"type": "string"}}), &["name", "kind"]),
        "NewVersion": s(json!({"sql": {"type": "string"}, "artifact": {"type": "string", "description": "sha256 of an uploaded JAR"},
            "entry_class": {"type": "string"}, "args": {"type": "array", "items": {"type": "string"}},
            "parallelism": {"type": "integer", "minimum": 1}, "flink_config": config,
            "mode": {"enum": ExecutionMode::WORDS}, "message": {"type": "string"},
            "lineage": {"type": "object", "description": "JAR versions: the datasets the job reads and writes, {inputs: [{namespace, name, fields?: [{name, type}]}], outputs: [{namespace, name, fields?, columns?: {<column>: [{namespace, name, field, type?, subtype?, description?}]}}]}"}}), &[]),
        "DeployRequest": s(json!({"version": {"type": "integer"},
            "restore": {"enum": RestoreChoice::WORDS},
            "restore_path": {"type": "string"}, "allow_non_restored_state": {"type": "boolean"},
            "config_overrides": config}), &[]),
        "RollbackRequest": s(json!({"version": {"type": "integer"}, "restore": {"enum": [RestoreChoice::LatestSavepoint.as_str(), RestoreChoice::VersionSnapshot.as_str()]},
            "allow_non_restored_state": {"type": "boolean"}}), &["version"]),
        "StopRequest": s(json!({"savepoint": {"type": "boolean", "default": true}, "drain": {"type": "boolean", "default": false}}), &[]),
        "ValidateRequest": s(json!({"sql": {"type": "string"}, "mode": {"enum": ExecutionMode::WORDS},
            "plans": {"type": "boolean", "default": true, "description": "false: no optimized plans, only the parser's checks and the lineage (faster)"}}), &["sql"]),
        "Login": s(json!({"name": {"type": "string"}, "password": {"type": "string"}, "next": {"type": "string"}}), &["name", "password"]),
        "NewUser": s(json!({"name": {"type": "string"}, "password": {"type": "string", "minLength": 10}, "admin": {"type": "boolean"}}), &["name", "password"]),
        "UserChange": s(json!({"password": {"type": "string", "minLength": 10}, "admin": {"type": "boolean"}}), &[]),
        "NewToken": s(json!({"name": {"type": "string"}, "user": {"type": "string"}, "namespace": {"type": "string"},
            "role": {"enum": Role::WORDS}, "scope": {"enum": TokenScopeKind::WORDS,
            "description": "api (default) or metrics: a scraper's token that may only read GET /metrics"}}), &["name"]),
        "NewNamespace": s(json!({"name": {"type": "string"}, "owner": {"type": "string"}}), &["name"]),
        "RoleBody": s(json!({"role": {"enum": Role::WORDS}}), &["role"]),
        "EnvironmentsBody": s(json!({"environments": {"type": "array", "items": {"type": "string"}}}), &["environments"]),
        "JarUpload": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
        "NewAlertChannel": s(json!({"name": {"type": "string"}, "kind": {"enum": ChannelKind::WORDS},
            "config": {"type": "object", "description": "webhook {url, secret?}; slack {url} (write-only); email {host, port?, tls? (none|starttls|tls), username?, password? (write-only), from, to[], ca_pem? (a PEM root certificate to trust)}; alertmanager {url}"}}), &["name", "kind", "config"]),
        "AlertChannelChange": s(json!({"config": {"type": "object", "description": "the kind's config; a secret left out is kept"}}), &["config"]),
        "AlertCondition": s(json!({"kind": {"enum": AlertConditionKind::WORDS}, "for_s": {"type": "integer", "minimum": 0},
            "threshold": {"type": "number", "minimum": 0}, "window_s": {"type": "integer", "minimum": 1}}), &["kind"]),
        "NewAlertRule": s(json!({"name": {"type": "string"}, "condition": {"$ref": "#/components/schemas/AlertCondition"},
            "job": {"type": "string"}, "environment": {"type": "string"}, "channels": {"type": "array", "items": {"type": "string"}},
            "enabled": {"type": "boolean", "default": true}}), &["name", "condition"]),
        "AlertRuleChange": s(json!({"condition": {"$ref": "#/components/schemas/AlertCondition"},
            "job": {"type": ["string", "null"]}, "environment": {"type": ["string", "null"]},
            "channels": {"type": "array", "items": {"type": "string"}}, "enabled": {"type": "boolean"}}), &[]),
        "NewSilence": s(json!({"matchers": {"type": "object", "properties": {"job": {"type": "string"}, "environment": {"type": "string"}, "rule": {"type": "string"}}, "additionalProperties": false},
            "until": {"type": "string", "format": "date-time"}, "comment": {"type": "string"}}), &["until"]),
    })
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, body, status) in ENDPOINTS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": summary,
            "parameters": params,
            "responses": {
                status.to_string(): {"description": "success"},
                "401": {"description": "not signed in (no session, unknown or revoked token)"},
                "403": {"description": "signed in without the needed role, or a cross-site request refused (CSRF)"},
                "4XX": {"description": "bad request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        if let Some(schema) = body {
            let content_type = if *schema == "JarUpload" { "multipart/form-data" } else { "application/json" };
            op["requestBody"] = json!({"required": *schema != "StopRequest" && *schema != "DeployRequest" && *schema != "DismissRequest",
                "content": {content_type: {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        }
        let entry = paths.entry(format!("/api/v1{path}")).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "security": [{"bearer": []}, {"session": []}],
        "info": {"title": "Weir", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Run Apache Flink jobs: versions, deployments, savepoints, rollback."},
        "paths": paths,
        "components": {"schemas": schemas(), "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "an API token (weir token create, or POST /api/v1/tokens)"},
            "session": {"type": "apiKey", "in": "cookie", "name": "weir_session"}}},
    })
}

pub async fn get() -> Json<Value> {
    Json(document())
}
