//! Admin pages: `/clusters` (register and look at clusters) and `/environments` (create environments bound to a
//! cluster, with default Flink configuration).

use leptos::form::ActionForm;
use leptos::prelude::*;

use weir_model::clusters::form_fields;
use weir_model::{ClusterKind, ObservedState};

use crate::components::{ErrorBox, StateBadge};
use weir_model::config_lines;
use crate::server_fns::{cluster_statuses, list_environments, CreateEnvironment, RegisterCluster};

#[component]
pub fn Clusters() -> impl IntoView {
    let register = ServerAction::<RegisterCluster>::new();
    let clusters = Resource::new(move || register.version().get(), |_| cluster_statuses());
    // Which kind's fields to show (without JavaScript every field shows, each saying which kind it is for).
    let kind = RwSignal::new(ClusterKind::FlinkSession);
    // Set once hydrated (effects run only in the browser): only then are other kinds' fields hidden.
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(true));
    let options = ClusterKind::ALL
        .iter()
        .map(|k| view! { <option value=k.as_str()>{kind_label(*k)}</option> })
        .collect_view();
    let fields = form_fields()
        .into_iter()
        .map(|f| {
            let shown = f.kinds.clone();
            view! {
                <label
                    class="grow"
                    data-setting=f.name
                    class:hidden=move || scripted.get() && !shown.contains(&kind.get())
                >
                    {f.name.replace('_', " ")}
                    <span class="muted small">{f.note()}</span>
                    <input name=f.name placeholder=f.help title=f.help/>
                </label>
            }
        })
        .collect_view();
    view! {
        <header class="page-head"><h1>"Clusters"</h1></header>
        <section class="card">
            <h2>"Register a cluster"</h2>
            <ActionForm action=register attr:class="inline-form" attr:data-test="register-cluster">
                <label>"Name" <input name="name" required placeholder="prod-eu"/></label>
                <label>
                    "Kind"
                    <select
                        name="kind"
                        data-test="cluster-kind"
                        on:change=move |ev| {
                            if let Ok(k) = event_target_value(&ev).parse::<ClusterKind>() {
                                kind.set(k);
                            }
                        }
                    >
                        {options}
                    </select>
                </label>
                {fields}
                <button class="button primary" type="submit">"Register"</button>
            </ActionForm>
            {move || register.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox message=e.to_string()/> })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Reading what Weir last saw of the clusters…"</p> }>
            {move || {
                clusters.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    Ok(list) => {
                        let rows = list
                            .into_iter()
                            .map(|c| {
                                // A cluster that answers shows as RUNNING, one that does not as UNREACHABLE (as its jobs would).
                                let state = if c.reachable { ObservedState::Running } else { ObservedState::Unreachable };
                                view! {
                                    <tr data-cluster-row=c.name.clone()>
                                        <td>{c.name.clone()}</td>
                                        <td>{c.kind.to_string()}</td>
                                        <td><code>{c.rest_url.clone()}</code></td>
                                        <td><StateBadge state=state/></td>
                                        <td data-test="flink-version">{c.flink_version.clone().unwrap_or_else(|| c.error.clone().unwrap_or_default())}</td>
                                        <td>{c.environments.join(", ")}</td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        view! {
                            <table class="table" data-test="clusters">
                                <thead><tr><th>"Name"</th><th>"Kind"</th><th>"REST URL"</th><th>"Reachable"</th><th>"Flink"</th><th>"Environments"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }
                            .into_any()
                    }
                })
            }}
        </Transition>
    }
}

/// A kind as the registration form names it.
pub fn kind_label(kind: ClusterKind) -> &'static str {
    match kind {
        ClusterKind::FlinkSession => "flink-session: a session cluster reached over REST",
        ClusterKind::LocalApplication => "local-application: one Flink cluster per job on Weir's machine",
        ClusterKind::KubernetesOperator => "kubernetes-operator: one FlinkDeployment per job, run by the Flink Kubernetes Operator",
    }
}

#[component]
pub fn Environments() -> impl IntoView {
    let create = ServerAction::<CreateEnvironment>::new();
    let envs = Resource::new(move || create.version().get(), |_| list_environments());
    let clusters = Resource::new(|| (), |_| cluster_statuses());
    view! {
        <header class="page-head"><h1>"Environments"</h1></header>
        <section class="card">
            <h2>"New environment"</h2>
            <ActionForm action=create attr:class="inline-form" attr:data-test="create-environment">
                <label>"Name" <input name="name" required placeholder="prod"/></label>
                <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                    {move || clusters.get().and_then(|r| r.ok()).map(|list| {
                        let options = list
                            .into_iter()
                            .map(|c| view! { <option value=c.name.clone()>{c.name.clone()}</option> })
                            .collect_view();
                        view! { <label>"Cluster" <select name="cluster">{options}</select></label> }
                    })}
                </Transition>
                <label class="grow">
                    "Default Flink configuration (key = value per line)"
                    <textarea name="flink_config" rows="2" placeholder="state.savepoints.dir = s3://bucket/savepoints"></textarea>
                </label>
                <label>
                    "Metrics history from Prometheus (optional)"
                    <input name="prometheus_url" type="url" placeholder="http://prometheus:9090"/>
                </label>
                <button class="button primary" type="submit">"Create"</button>
            </ActionForm>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox message=e.to_string()/> })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                envs.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    Ok(list) => {
                        let rows = list
                            .into_iter()
                            .map(|e| {
                                let config = config_lines(&e.flink_config);
                                view! {
                                    <tr data-env-row=e.name.clone()>
                                        <td>{e.name.clone()}</td>
                                        <td>{e.cluster.clone()}</td>
                                        <td><pre class="config">{config}</pre></td>
                                        <td>{e.prometheus_url.clone().unwrap_or_else(|| "sampled by Weir".into())}</td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        view! {
                            <table class="table" data-test="environments">
                                <thead><tr><th>"Name"</th><th>"Cluster"</th><th>"Default Flink configuration"</th><th>"Metrics history"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }
                            .into_any()
                    }
                })
            }}
        </Transition>
    }
}
