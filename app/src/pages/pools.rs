//! `/pools`: resource pools — each pool's capacity, each namespace's use against its quota, and the deployments
//! running in it, refreshed live by the event stream; administrators create pools, set quotas and attach
//! environments here (server functions calling the engine's pool operations; errors shown inline).

use leptos::form::ActionForm;
use leptos::prelude::*;

use weir_model::pools::{Demand, NamespaceUse, Pool, PoolDeployment, Resources};

use crate::components::live::live_ticks;
use crate::components::{ErrorBox, StateBadge};
use crate::server_fns::{
    cluster_statuses, get_me, list_environments, list_namespaces, list_pools, CreatePool, SetEnvironmentPool, SetQuota,
};

/// `used / limit` as a percentage for a bar (0 without a limit).
fn pct(used: f64, limit: Option<f64>) -> u32 {
    match limit {
        Some(l) if l > 0.0 => ((used / l) * 100.0).clamp(0.0, 100.0).round() as u32,
        _ => 0,
    }
}

fn cores(c: f64) -> String {
    if c.fract() == 0.0 { format!("{c:.0}") } else { format!("{c:.1}") }
}

/// One resource's use against its limit: a bar and `used of limit`.
#[component]
fn UseBar(label: &'static str, used: f64, limit: Option<f64>, text: String, #[prop(optional)] enforced: bool) -> impl IntoView {
    let over = limit.is_some_and(|l| used > l);
    let fill = if over { "bar-fill over" } else { "bar-fill" };
    let title = if enforced || limit.is_none() { format!("{label}: {text}") } else { format!("{label}: {text} (not enforced here)") };
    view! {
        <div class="meter use-meter" title=title>
            <span class="meter-label">{label}</span>
            <div class="bar"><div class=fill style=format!("width: {}%", pct(used, limit))></div></div>
            <span class="meter-text">{text}</span>
        </div>
    }
}

fn slots_text(used: u32, limit: Option<u32>) -> String {
    match limit {
        Some(l) => format!("{used} of {l} slots"),
        None => format!("{used} slots, no quota"),
    }
}

fn optional_text(used: Option<f64>, limit: Option<f64>, unit: &str, fmt: fn(f64) -> String) -> String {
    let used = used.map(fmt).unwrap_or_else(|| "—".into());
    match limit {
        Some(l) => format!("{used} of {} {unit}", fmt(l)),
        None => format!("{used} {unit}"),
    }
}

#[component]
fn NamespaceRow(u: NamespaceUse, per_job: bool) -> impl IntoView {
    let quota: Option<Resources> = u.quota.clone();
    let slots_limit = quota.as_ref().map(|q| q.slots);
    let cpu = per_job.then(|| optional_text(u.used.cpu_cores, quota.as_ref().and_then(|q| q.cpu_cores), "cores", cores));
    let mem = per_job.then(|| optional_text(u.used.memory_mb.map(|m| m as f64), quota.as_ref().and_then(|q| q.memory_mb.map(|m| m as f64)), "MB", |m| format!("{m:.0}")));
    let quota_words = match &quota {
        None => "no quota (no limit)".to_owned(),
        Some(q) => {
            let mut parts = vec![format!("{} slots", q.slots)];
            if let Some(c) = q.cpu_cores {
                parts.push(format!("{} cores{}", cores(c), if per_job { "" } else { " (not enforced)" }));
            }
            if let Some(m) = q.memory_mb {
                parts.push(format!("{m} MB{}", if per_job { "" } else { " (not enforced)" }));
            }
            parts.join(", ")
        }
    };
    view! {
        <tr data-pool-namespace=u.namespace.clone()>
            <td><a href=format!("/namespaces/{}", u.namespace)>{u.namespace.clone()}</a></td>
            <td class="use-cell">
                <UseBar label="Slots" used=u.used.slots as f64 limit=slots_limit.map(|s| s as f64) text=slots_text(u.used.slots, slots_limit) enforced=true/>
                {cpu.map(|t| view! { <UseBar label="CPU" used=u.used.cpu_cores.unwrap_or(0.0) limit=quota.as_ref().and_then(|q| q.cpu_cores) text=t enforced=true/> })}
                {mem.map(|t| view! { <UseBar label="Memory" used=u.used.memory_mb.unwrap_or(0) as f64 limit=quota.as_ref().and_then(|q| q.memory_mb.map(|m| m as f64)) text=t enforced=true/> })}
            </td>
            <td class="muted small" data-test="quota">{quota_words}</td>
        </tr>
    }
}

fn demand_text(d: &Demand) -> String {
    let mut parts = vec![format!("{} slot{}", d.slots, if d.slots == 1 { "" } else { "s" })];
    if let Some(c) = d.cpu_cores {
        parts.push(format!("{} cores", cores(c)));
    }
    if let Some(m) = d.memory_mb {
        parts.push(format!("{m} MB"));
    }
    parts.join(", ")
}

#[component]
fn DeploymentRow(d: PoolDeployment) -> impl IntoView {
    view! {
        <tr data-pool-deployment=format!("{}/{}", d.namespace, d.job)>
            <td><a href=format!("/jobs/{}/{}", d.namespace, d.job)>{format!("{}/{}", d.namespace, d.job)}</a></td>
            <td>{d.environment.clone()}</td>
            <td>{demand_text(&d.demand)}</td>
            <td><StateBadge state=d.observed_state/></td>
        </tr>
    }
}

#[component]
fn PoolCard(pool: Pool) -> impl IntoView {
    let per_job = pool.enforced.cpu_cores;
    let cap = pool.capacity.clone();
    let envs = if pool.environments.is_empty() { "none yet".to_owned() } else { pool.environments.join(", ") };
    let cpu = cap.cpu_cores.map(|c| {
        let text = optional_text(pool.used.cpu_cores.or(Some(0.0)), Some(c), "cores", cores);
        let text = if per_job { text } else { format!("{text} (not enforced)") };
        view! { <UseBar label="CPU" used=pool.used.cpu_cores.unwrap_or(0.0) limit=Some(c) text=text enforced=per_job/> }
    });
    let mem = cap.memory_mb.map(|m| {
        let used = pool.used.memory_mb.unwrap_or(0);
        let text = format!("{used} of {m} MB{}", if per_job { "" } else { " (not enforced)" });
        view! { <UseBar label="Memory" used=used as f64 limit=Some(m as f64) text=text enforced=per_job/> }
    });
    let namespaces = pool.namespaces.clone();
    let ns_rows = namespaces.into_iter().map(|u| view! { <NamespaceRow u=u per_job=per_job/> }).collect_view();
    let deployments = pool.deployments.clone();
    let running = if deployments.is_empty() {
        view! { <p class="muted small">"Nothing runs in this pool."</p> }.into_any()
    } else {
        let rows = deployments.into_iter().map(|d| view! { <DeploymentRow d=d/> }).collect_view();
        view! {
            <table class="table compact" data-test="pool-deployments">
                <thead><tr><th>"Job"</th><th>"Environment"</th><th>"Uses"</th><th>"State"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let enforcement = if per_job {
        "Slots, CPU and memory are enforced (one Flink cluster per job)."
    } else {
        "Session cluster: slots are enforced; CPU and memory are not (jobs share the cluster's processes)."
    };
    view! {
        <section class="card pool-card" data-pool=pool.name.clone()>
            <div class="card-head">
                <h2>{pool.name.clone()}</h2>
                <span class="muted small">{format!("on cluster {} ({})", pool.cluster, pool.cluster_kind)}</span>
            </div>
            <p class="muted small">{format!("Environments: {envs}. ")}{enforcement}</p>
            <div class="pool-capacity" data-test="pool-capacity">
                <UseBar label="Slots" used=pool.used.slots as f64 limit=Some(cap.slots as f64) text=format!("{} of {} slots", pool.used.slots, cap.slots) enforced=true/>
                {cpu}
                {mem}
            </div>
            <h3>"Use per namespace"</h3>
            {if pool.namespaces.is_empty() {
                view! { <p class="muted small">"No quota set and nothing running."</p> }.into_any()
            } else {
                view! {
                    <table class="table compact" data-test="pool-namespaces">
                        <thead><tr><th>"Namespace"</th><th>"Used"</th><th>"Quota"</th></tr></thead>
                        <tbody>{ns_rows}</tbody>
                    </table>
                }
                .into_any()
            }}
            <h3>"Running here"</h3>
            {running}
        </section>
    }
}

/// The administrators' forms: create a pool, set a quota, attach an environment. Rendered apart from the live
/// list, so a refresh never clears what is being typed.
#[component]
fn PoolForms(create: ServerAction<CreatePool>, quota: ServerAction<SetQuota>, attach: ServerAction<SetEnvironmentPool>) -> impl IntoView {
    let clusters = Resource::new(|| (), |_| cluster_statuses());
    let namespaces = Resource::new(|| (), |_| list_namespaces());
    let envs = Resource::new(move || attach.version().get(), |_| list_environments());
    let names = Resource::new(move || create.version().get(), |_| list_pools());
    let pool_select = move || {
        view! {
            <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                {move || names.get().and_then(|r| r.ok()).map(|list| {
                    let options = list.into_iter().map(|p| view! { <option value=p.name.clone()>{p.name.clone()}</option> }).collect_view();
                    view! { <label>"Pool" <select name="pool">{options}</select></label> }
                })}
            </Transition>
        }
    };
    let pool_choice = move || {
        view! {
            <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                {move || names.get().and_then(|r| r.ok()).map(|list| {
                    let options = list.into_iter().map(|p| view! { <option value=p.name.clone()>{p.name.clone()}</option> }).collect_view();
                    view! { <label>"Draws from" <select name="pool"><option value="">"no pool (no limit)"</option>{options}</select></label> }
                })}
            </Transition>
        }
    };
    view! {
        <section class="card">
            <h2>"New pool"</h2>
            <ActionForm action=create attr:class="inline-form" attr:data-test="create-pool">
                <label>"Name" <input name="name" required placeholder="analytics"/></label>
                <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                    {move || clusters.get().and_then(|r| r.ok()).map(|list| {
                        let options = list.into_iter().map(|c| view! { <option value=c.name.clone()>{c.name.clone()}</option> }).collect_view();
                        view! { <label>"Cluster" <select name="cluster">{options}</select></label> }
                    })}
                </Transition>
                <label>"Slots" <input name="slots" required inputmode="numeric" size="6" placeholder="8"/></label>
                <label>"CPU cores (optional)" <input name="cpu_cores" inputmode="decimal" size="8"/></label>
                <label>"Memory MB (optional)" <input name="memory_mb" inputmode="numeric" size="8"/></label>
                <button class="button primary" type="submit">"Create"</button>
            </ActionForm>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox message=e.to_string()/> })}
        </section>
        <section class="card">
            <h2>"Quota"</h2>
            <ActionForm action=quota attr:class="inline-form" attr:data-test="set-quota">
                {pool_select()}
                <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                    {move || namespaces.get().and_then(|r| r.ok()).map(|list| {
                        let options = list.into_iter().map(|n| view! { <option value=n.name.clone()>{n.name.clone()}</option> }).collect_view();
                        view! { <label>"Namespace" <select name="ns">{options}</select></label> }
                    })}
                </Transition>
                <label>"Slots" <input name="slots" required inputmode="numeric" size="6" placeholder="4"/></label>
                <label>"CPU cores (optional)" <input name="cpu_cores" inputmode="decimal" size="8"/></label>
                <label>"Memory MB (optional)" <input name="memory_mb" inputmode="numeric" size="8"/></label>
                <button class="button primary" type="submit">"Set quota"</button>
            </ActionForm>
            {move || quota.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox message=e.to_string()/> })}
        </section>
        <section class="card">
            <h2>"Environment's pool"</h2>
            <ActionForm action=attach attr:class="inline-form" attr:data-test="attach-environment">
                <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                    {move || envs.get().and_then(|r| r.ok()).map(|list| {
                        let options = list
                            .into_iter()
                            .map(|e| {
                                let label = match &e.pool {
                                    Some(p) => format!("{} (now {p})", e.name),
                                    None => format!("{} (no pool)", e.name),
                                };
                                view! { <option value=e.name.clone()>{label}</option> }
                            })
                            .collect_view();
                        view! { <label>"Environment" <select name="env">{options}</select></label> }
                    })}
                </Transition>
                {pool_choice()}
                <button class="button primary" type="submit">"Save"</button>
            </ActionForm>
            {move || attach.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox message=e.to_string()/> })}
        </section>
    }
}

#[component]
pub fn Pools() -> impl IntoView {
    let create = ServerAction::<CreatePool>::new();
    let quota = ServerAction::<SetQuota>::new();
    let attach = ServerAction::<SetEnvironmentPool>::new();
    let ticks = live_ticks(None);
    let pools = Resource::new(
        move || (ticks.get(), create.version().get(), quota.version().get(), attach.version().get()),
        |_| list_pools(),
    );
    let me = Resource::new(|| (), |_| get_me());
    view! {
        <header class="page-head"><h1>"Resource pools"</h1></header>
        <p class="muted small intro">
            "A pool is capacity on a cluster; environments draw from it and each namespace may get a quota in it. "
            "A deploy, rollback or restart that would go over the namespace's quota or the pool's free capacity is refused before anything changes."
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                pools.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    Ok(list) if list.is_empty() => {
                        view! { <p class="muted" data-test="no-pools">"No pools yet: every environment deploys without a limit."</p> }.into_any()
                    }
                    Ok(list) => {
                        let cards = list.into_iter().map(|p| view! { <PoolCard pool=p/> }).collect_view();
                        view! { <div class="pool-list" data-test="pools">{cards}</div> }.into_any()
                    }
                })
            }}
        </Transition>
        <Transition fallback=|| ()>
            {move || me.get().and_then(|r| r.ok()).flatten().filter(|m| m.admin).map(|_| view! {
                <h2 class="section-title">"Manage pools"</h2>
                <PoolForms create=create quota=quota attach=attach/>
            })}
        </Transition>
    }
}
