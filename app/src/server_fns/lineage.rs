//! The lineage views' server functions: the same engine operations as
//! `/api/v1/namespaces/{ns}/jobs/{job}/versions/{n}/lineage` and `/api/v1/lineage`, as the request's caller.

use leptos::prelude::*;
use weir_model::lineage::{LineageGraph, VersionLineage};

#[cfg(feature = "ssr")]
use super::door::{door, fail};
#[cfg(feature = "ssr")]
use super::{given, number};

/// What a version reads and writes, column by column (viewers). A version without lineage (a JAR version
/// that declares none, a script the planner could not map) answers 409 with the reason.
#[server(endpoint = "version_lineage")]
pub async fn get_version_lineage(ns: String, job: String, version: i32) -> Result<VersionLineage, ServerFnError> {
    let (engine, caller) = door()?;
    engine.version_lineage(&caller, &ns, &job, version).await.map_err(fail)
}

/// The cross-job graph around a dataset (`namespace|name`) or a job (`namespace/job`), or everything the
/// caller may see when neither is given; `direction` upstream, downstream or both, `depth` in job hops,
/// `environment`: only what it runs. Empty fields: the defaults (the page's GET form sends every field).
#[server(endpoint = "lineage_graph")]
pub async fn get_lineage_graph(
    #[server(default)] dataset: String,
    #[server(default)] job: String,
    #[server(default)] direction: String,
    #[server(default)] depth: String,
    #[server(default)] environment: String,
) -> Result<LineageGraph, ServerFnError> {
    let depth = number::<u32>("depth", &depth)?;
    let (engine, caller) = door()?;
    let query = weir_engine::lineage::GraphQuery {
        dataset: given(&dataset),
        job: given(&job),
        direction: given(&direction),
        depth,
        environment: given(&environment),
    };
    engine.lineage_graph(&caller, query).await.map_err(fail)
}
