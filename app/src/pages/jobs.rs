//! `/jobs?ns=NS`: every job of a namespace with its state per environment, filters, and the form to create one.
//! Without `ns`: `default` when you have a role there, else your first namespace.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::{ErrorBox, NamespacePicker, StateBadge};
use leptos_router::hooks::use_query_map;

use weir_model::{JobKind, ObservedState};

use crate::server_fns::{list_job_rows, list_namespaces, CreateJob};

/// The states the jobs list filters by.
const FILTER_STATES: [ObservedState; 8] = [
    ObservedState::Running,
    ObservedState::Failed,
    ObservedState::Restarting,
    ObservedState::Finished,
    ObservedState::Canceled,
    ObservedState::Unreachable,
    ObservedState::Lost,
    ObservedState::None,
];

/// The namespace shown: the one asked for, else `default` when visible, else the first visible one.
fn pick(asked: Option<String>, visible: &[weir_model::Namespace]) -> String {
    asked.filter(|a| !a.is_empty()).unwrap_or_else(|| {
        visible
            .iter()
            .find(|n| n.name == "default")
            .or_else(|| visible.first())
            .map(|n| n.name.clone())
            .unwrap_or_else(|| "default".into())
    })
}

#[component]
pub fn Jobs() -> impl IntoView {
    let create = ServerAction::<CreateJob>::new();
    let query = use_query_map();
    let asked = move || query.read().get("ns");
    let namespaces = Resource::new(|| (), |_| list_namespaces());
    let namespace = Memo::new(move |_| {
        let visible = namespaces.get().and_then(|r| r.ok()).unwrap_or_default();
        pick(asked(), &visible)
    });
    let rows = Resource::new(move || (create.version().get(), namespace.get()), |(_, ns)| list_job_rows(ns));
    let (search, set_search) = signal(String::new());
    let (kind, set_kind) = signal(String::new());
    let (state, set_state) = signal(String::new());
    let (env, set_env) = signal(String::new());

    view! {
        <header class="page-head">
            <h1>"Jobs"</h1>
            <Transition fallback=|| ()>
                {move || namespaces.get().and_then(|r| r.ok()).map(|list| {
                    let names = list.into_iter().map(|n| n.name).collect();
                    view! { <NamespacePicker action="/jobs" names=names current=namespace.get()/> }
                })}
            </Transition>
            <div class="filters">
                <input
                    type="search"
                    placeholder="Search by name"
                    data-test="search"
                    on:input=move |ev| set_search.set(event_target_value(&ev))
                />
                <select data-test="kind-filter" on:change=move |ev| set_kind.set(event_target_value(&ev))>
                    <option value="">"All kinds"</option>
                    {JobKind::ALL
                        .iter()
                        .map(|k| view! { <option value=k.as_str()>{k.as_str().to_uppercase()}</option> })
                        .collect_view()}
                </select>
                <select data-test="state-filter" on:change=move |ev| set_state.set(event_target_value(&ev))>
                    <option value="">"Any state"</option>
                    {FILTER_STATES
                        .iter()
                        .map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> })
                        .collect_view()}
                </select>
                <input placeholder="Environment" data-test="env-filter" on:input=move |ev| set_env.set(event_target_value(&ev))/>
            </div>
        </header>
        <section class="card">
            <h2>"New job"</h2>
            <ActionForm action=create attr:class="inline-form" attr:data-test="create-job">
                <input type="hidden" name="ns" value=move || namespace.get()/>
                <label>"Name" <input name="name" required placeholder="orders-enrichment" data-test="job-name"/></label>
                <label>
                    "Kind"
                    <select name="kind" data-test="job-kind">
                        <option value=JobKind::Sql.as_str()>"Flink SQL"</option>
                        <option value=JobKind::Jar.as_str()>"JAR"</option>
                    </select>
                </label>
                <label class="grow">"Description" <input name="description" placeholder="What it does"/></label>
                <button class="button primary" type="submit">"Create"</button>
            </ActionForm>
            {move || {
                create
                    .value()
                    .get()
                    .and_then(|r| r.err())
                    .map(|e| view! { <ErrorBox message=e.to_string()/> })
            }}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading jobs…"</p> }>
            {move || {
                rows.get()
                    .map(|result| match result {
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                        Ok(list) => {
                            let list = list.clone();
                            view! {
                                <table class="table" data-test="jobs">
                                    <thead>
                                        <tr><th>"Job"</th><th>"Kind"</th><th>"Versions"</th><th>"Environments"</th></tr>
                                    </thead>
                                    <tbody>
                                        {move || {
                                            let q = search.get().to_lowercase();
                                            let k = kind.get();
                                            list.iter()
                                                .filter(|r| q.is_empty() || r.job.name.contains(&q))
                                                .filter(|r| k.is_empty() || r.job.kind.as_str() == k)
                                                .filter(|r| {
                                                    let (st, en) = (state.get(), env.get());
                                                    (st.is_empty() && en.is_empty())
                                                        || (st == ObservedState::None.as_str() && en.is_empty() && r.deployments.is_empty())
                                                        || r.deployments.iter().any(|d| {
                                                            (st.is_empty() || d.observed_state.as_str() == st)
                                                                && (en.is_empty() || d.environment.contains(en.as_str()))
                                                        })
                                                })
                                                .map(|r| {
                                                    let href = format!("/jobs/{}/{}", r.job.namespace, r.job.name);
                                                    let envs = r
                                                        .deployments
                                                        .iter()
                                                        .map(|d| view! {
                                                            <span class="env-state">
                                                                {d.environment.clone()} " " <StateBadge state=d.observed_state/>
                                                            </span>
                                                        })
                                                        .collect_view();
                                                    view! {
                                                        <tr data-job=r.job.name.clone()>
                                                            <td><a href=href>{r.job.name.clone()}</a></td>
                                                            <td>{r.job.kind.as_str().to_uppercase()}</td>
                                                            <td>{r.job.latest_version}</td>
                                                            <td>{envs}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()
                                        }}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}
