//! `/jobs/{ns}/{job}`: one job. A header with the state in each environment and the actions (Deploy, Stop with
//! savepoint, Savepoint now, Cancel), the running operation's progress, and tabs: Editor (SQL jobs), Versions
//! (with Rollback), Snapshots, History. Every action is a form that works before WASM has loaded; once
//! hydrated, the page refreshes itself from the engine's event stream.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::live::live_ticks;
use crate::components::{when, ErrorBox, StateBadge};
use weir_model::{config_lines, Deployment, JobDetail, JobKind, ObservedState, Operation, Role};
use crate::server_fns::{
    get_job_detail, get_version_diff, validate_sql, Deploy, Rollback, SaveJarVersion, SaveSettings, SaveVersion,
    Savepoint, Stop,
};

/// The page's actions, shared by its parts.
#[derive(Clone, Copy)]
struct Actions {
    deploy: ServerAction<Deploy>,
    stop: ServerAction<Stop>,
    savepoint: ServerAction<Savepoint>,
    rollback: ServerAction<Rollback>,
    save: ServerAction<SaveVersion>,
    settings: ServerAction<SaveSettings>,
    /// The editor's unsaved text: kept across tab switches and live refreshes; `None` when nothing is unsaved.
    draft: RwSignal<Option<String>>,
}

#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let ns = Signal::derive(move || params.read().get("ns").unwrap_or_default());
    let job = Signal::derive(move || params.read().get("job").unwrap_or_default());
    let actions = Actions {
        deploy: ServerAction::new(),
        stop: ServerAction::new(),
        savepoint: ServerAction::new(),
        rollback: ServerAction::new(),
        save: ServerAction::new(),
        settings: ServerAction::new(),
        draft: RwSignal::new(None),
    };
    // A saved version is no longer a draft.
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.save.value().get() {
            actions.draft.set(None);
        }
    });
    // Leaving the page (reload, close, another site) with unsaved SQL asks first.
    let _unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if actions.draft.get_untracked().is_some() {
            ev.prevent_default();
            ev.set_return_value("There is unsaved SQL in the editor.");
        }
    });
    let ticks = live_ticks(Some(job));
    let detail = Resource::new(
        move || {
            let versions = (
                actions.deploy.version().get(),
                actions.stop.version().get(),
                actions.savepoint.version().get(),
                actions.rollback.version().get(),
                actions.save.version().get(),
                actions.settings.version().get(),
            );
            (ns.get(), job.get(), ticks.get(), versions)
        },
        |(ns, job, _, _)| get_job_detail(ns, job),
    );

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the job…"</p> }>
            {move || {
                detail
                    .get()
                    .map(|result| match result {
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                        Ok(d) => view! { <JobView detail=d actions=actions/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn JobView(detail: JobDetail, actions: Actions) -> impl IntoView {
    let query = use_query_map();
    let tab = move || query.read().get("tab").unwrap_or_else(|| "versions".into());
    let job = detail.job.clone();
    let is_sql = job.kind == JobKind::Sql;
    let running_op = detail.operations.first().cloned().filter(|o| !o.status.is_finished());
    let last_op = detail.operations.first().cloned();
    let envs = detail
        .environments
        .iter()
        .map(|env| {
            let dep = detail.deployments.iter().find(|d| &d.environment == env).cloned();
            view! { <EnvironmentCard detail=detail.clone() env=env.clone() deployment=dep actions=actions/> }
        })
        .collect_view();
    let errors = move || {
        let msg = [
            actions.deploy.value().get().and_then(|r| r.err()),
            actions.stop.value().get().and_then(|r| r.err()),
            actions.savepoint.value().get().and_then(|r| r.err()),
            actions.rollback.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next();
        msg.map(|e| view! { <ErrorBox message=e.to_string()/> })
    };
    let tab_link = move |name: &'static str, label: &'static str| {
        view! {
            <a href=format!("?tab={name}") class=move || if tab() == name { "tab active" } else { "tab" } data-test=format!("tab-{name}")>
                {label}
            </a>
        }
    };
    let detail_for_tabs = detail.clone();
    view! {
        <header class="page-head">
            <div>
                <h1 data-test="job-title">{job.name.clone()}</h1>
                <p class="muted small">
                    {job.kind.as_str().to_uppercase()} " job in " {job.namespace.clone()} " · " {job.latest_version} " version(s)"
                    {(!job.description.is_empty()).then(|| format!(" · {}", job.description))}
                    " · you are " <span data-test="role">{detail.role.as_str()}</span>
                    {(detail.role == Role::Viewer).then_some(" (read only)")}
                </p>
            </div>
        </header>
        {errors}
        <section class="env-grid">{envs}</section>
        {running_op.or(last_op).map(|op| view! { <OperationCard op=op/> })}
        <nav class="tabs">
            {is_sql.then(|| tab_link("editor", "Editor"))}
            {(!is_sql).then(|| tab_link("program", "Program"))}
            {tab_link("versions", "Versions")}
            {tab_link("snapshots", "Snapshots")}
            {tab_link("history", "History")}
            {tab_link("metrics", "Metrics")}
            {tab_link("logs", "Logs")}
            {tab_link("lineage", "Lineage")}
            {tab_link("resources", "Resources")}
            {tab_link("settings", "Settings")}
        </nav>
        {move || {
            let d = detail_for_tabs.clone();
            match tab().as_str() {
                "editor" if is_sql => view! { <EditorTab detail=d actions=actions/> }.into_any(),
                "program" if !is_sql => view! { <ProgramTab detail=d/> }.into_any(),
                "snapshots" => view! { <SnapshotsTab detail=d actions=actions/> }.into_any(),
                "history" => view! { <HistoryTab detail=d/> }.into_any(),
                "metrics" => view! { <super::job_metrics::MetricsTab detail=d/> }.into_any(),
                "resources" => view! { <super::job_resources::ResourcesTab detail=d/> }.into_any(),
                "logs" => view! { <super::job_logs::LogsTab detail=d/> }.into_any(),
                "lineage" => view! { <super::job_lineage::LineageTab detail=d/> }.into_any(),
                "settings" => view! { <SettingsTab detail=d actions=actions/> }.into_any(),
                _ => view! { <VersionsTab detail=d actions=actions/> }.into_any(),
            }
        }}
    }
}

/// Hidden fields naming the deployment an action is for.
#[component]
fn Target(ns: String, job: String, env: String) -> impl IntoView {
    view! {
        <input type="hidden" name="ns" value=ns/>
        <input type="hidden" name="job" value=job/>
        <input type="hidden" name="env" value=env/>
    }
}

#[component]
fn EnvironmentCard(detail: JobDetail, env: String, deployment: Option<Deployment>, actions: Actions) -> impl IntoView {
    let ns = detail.job.namespace.clone();
    let job = detail.job.name.clone();
    let state = deployment.as_ref().map_or(ObservedState::None, |d| d.observed_state);
    let alive = state.is_alive();
    let version = deployment.as_ref().and_then(|d| d.version);
    let busy = deployment.as_ref().and_then(|d| d.active_operation).is_some();
    let versions = detail.versions.iter().map(|v| v.number).collect::<Vec<_>>();
    let env_name = env.clone();
    let target = StoredValue::new((ns, job, env));
    let t = move || target.with_value(|(n, j, e)| view! { <Target ns=n.clone() job=j.clone() env=e.clone()/> });
    // A viewer is offered no actions (the engine would refuse them anyway).
    let can_act = detail.role > Role::Viewer;
    view! {
        <article class="card env-card" data-env=env_name.clone()>
            <header class="card-head">
                <h2>{env_name.clone()}</h2>
                <StateBadge state=state/>
            </header>
            <p class="muted small">
                {match version {
                    Some(v) => format!("version {v}"),
                    None => "never deployed".to_string(),
                }}
                {deployment.as_ref().and_then(|d| d.flink_job_id.clone()).map(|id| format!(" · Flink job {id}"))}
                {deployment.as_ref().map(|d| format!(" · desired {}", d.desired_state))}
                // What the reconciler saw, and since when (a page never asks the cluster itself).
                {deployment.as_ref().and_then(|d| d.observed_at).map(|at| view! {
                    <span data-test="observed-since">{format!(" · {state} since {}", when(at))}</span>
                })}
            </p>
            // What the deployment uses (from its version and hotfix) and the pool it draws from.
            {deployment.as_ref().and_then(|d| d.resources.clone()).map(|r| {
                let d = r.demand;
                let mut uses = vec![format!("{} slot{}", d.slots, if d.slots == 1 { "" } else { "s" })];
                if let Some(c) = d.cpu_cores {
                    uses.push(format!("{c} CPU cores"));
                }
                if let Some(m) = d.memory_mb {
                    uses.push(format!("{m} MB"));
                }
                let from = match r.pool {
                    Some(p) => view! { " from pool " <a href="/pools">{p}</a> }.into_any(),
                    None => view! { " (no pool: no limit)" }.into_any(),
                };
                view! { <p class="muted small" data-test="deployment-resources">"Uses " {uses.join(", ")} {from}</p> }
            })}
            <div class="actions" class:hidden=!can_act>
                {alive.then(|| view! {
                    <ActionForm action=actions.stop attr:class="one-click">
                        {t()}
                        <input type="hidden" name="savepoint" value="true"/>
                        <button class="button primary" type="submit" disabled=busy data-test="stop-savepoint">"Stop with savepoint"</button>
                    </ActionForm>
                    <ActionForm action=actions.savepoint attr:class="one-click">
                        {t()}
                        <button class="button" type="submit" disabled=busy data-test="savepoint-now">"Savepoint now"</button>
                    </ActionForm>
                })}
                <details class="dialog">
                    <summary class="button" data-test="deploy-open">"Deploy…"</summary>
                    <ActionForm action=actions.deploy attr:class="stack-form" attr:data-test="deploy-form">
                        {t()}
                        <label>
                            "Version"
                            <select name="version">
                                <option value="">"latest"</option>
                                {versions.iter().map(|n| view! { <option value=n.to_string()>{format!("v{n}")}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>
                            "Restore"
                            <select name="restore" data-test="deploy-restore">
                                <option value="latest-savepoint">"latest savepoint (keep state)"</option>
                                <option value="latest-checkpoint">"latest checkpoint"</option>
                                <option value="none">"none (fresh state)"</option>
                                <option value="path">"from a path…"</option>
                            </select>
                        </label>
                        <label>"Savepoint or checkpoint path" <input name="restore_path" placeholder="file:/…/savepoint-…"/></label>
                        <label>
                            "Config hotfix (key = value per line; empty keeps, - clears)"
                            <textarea name="overrides" rows="3" placeholder="taskmanager.memory.process.size = 2g"></textarea>
                        </label>
                        <button class="button primary" type="submit" disabled=busy data-test="deploy-submit">"Deploy"</button>
                    </ActionForm>
                </details>
                {alive.then(|| view! {
                    <details class="dialog">
                        <summary class="button danger">"Cancel…"</summary>
                        <ActionForm action=actions.stop attr:class="stack-form">
                            {t()}
                            <input type="hidden" name="savepoint" value="false"/>
                            <p class="error-text">"Cancelling stops the job without a savepoint: state since its last checkpoint is lost."</p>
                            <label><input type="checkbox" required/> " I understand"</label>
                            <button class="button danger" type="submit" disabled=busy>"Cancel the job"</button>
                        </ActionForm>
                    </details>
                })}
            </div>
        </article>
    }
}

/// The latest operation with its steps; live while it runs.
#[component]
fn OperationCard(op: Operation) -> impl IntoView {
    let steps = op
        .steps
        .iter()
        .map(|s| {
            let detail = ["location", "path", "flink_job_id", "error", "reason"]
                .iter()
                .filter_map(|k| s.data.get(*k).and_then(|v| v.as_str()).map(|v| format!("{k}: {v}")))
                .collect::<Vec<_>>()
                .join(" · ");
            view! {
                <li data-step=s.name.as_str()>
                    <StateBadge state=s.status/> " " <strong>{s.name.as_str()}</strong>
                    <span class="muted small step-detail">{detail}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card operation" data-test="operation" data-status=op.status.as_str() data-kind=op.kind.as_str()>
            <header class="card-head">
                <h2>{format!("{} in {} (operation {})", op.kind, op.environment, op.id)}</h2>
                <StateBadge state=op.status/>
            </header>
            <ol class="steps">{steps}</ol>
            {op.error.clone().map(|e| view! { <p class="error-text" data-test="operation-error">{e}</p> })}
        </section>
    }
}

#[component]
fn EditorTab(detail: JobDetail, actions: Actions) -> impl IntoView {
    let saved_sql = detail.versions.first().and_then(|v| v.sql.clone()).unwrap_or_default();
    let latest_sql = actions.draft.get_untracked().unwrap_or_else(|| saved_sql.clone());
    let ns = detail.job.namespace.clone();
    let job = detail.job.name.clone();
    let sql_ref = NodeRef::<leptos::html::Textarea>::new();
    let validate = Action::new(|sql: &String| validate_sql(sql.clone()));
    let on_validate = move |_| {
        if let Some(el) = sql_ref.get() {
            validate.dispatch(el.value());
        }
    };
    let check = move || {
        validate.value().get().map(|r| match r {
            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
            Ok(c) => {
                let errors = c
                    .errors
                    .iter()
                    .map(|e| view! { <li class="error-text" data-test="sql-error" data-line=e.line.to_string() data-column=e.column.to_string()>{format!("line {}, column {}: {}", e.line, e.column, e.message)}</li> })
                    .collect_view();
                let warnings = c
                    .warnings
                    .iter()
                    .map(|e| view! { <li class="muted">{format!("line {}: {}", e.line, e.message)}</li> })
                    .collect_view();
                let plans = c.plans.iter().map(|p| view! { <details><summary>{format!("Plan of line {}: {}", p.line, p.statement)}</summary><pre>{p.plan.clone()}</pre></details> }).collect_view();
                let lineage = c.lineage.clone().map(|l| view! { <LineagePreview lineage=l/> });
                let no_lineage = c.lineage_error.clone().map(|e| view! { <p class="muted small" data-test="check-lineage-error">{format!("No column lineage: {e}")}</p> });
                view! {
                    <div class="check" data-test="check" data-valid=c.valid.to_string()>
                        <p>{if c.valid { "Valid" } else { "Invalid" }} {format!(" · checked by the Flink planner in {} ms", c.elapsed_ms)}</p>
                        <ul>{errors}{warnings}</ul>
                        {lineage}
                        {no_lineage}
                        {plans}
                    </div>
                }
                    .into_any()
            }
        })
    };
    let saved = move || {
        actions.save.value().get().map(|r| match r {
            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
            Ok(v) => view! { <p class="ok-text" data-test="saved">{format!("Saved version {}", v.number)}</p> }.into_any(),
        })
    };
    view! {
        <section class="card">
            <ActionForm action=actions.save attr:class="stack-form" attr:data-test="editor-form">
                <input type="hidden" name="ns" value=ns/>
                <input type="hidden" name="job" value=job/>
                // CodeMirror mounts here once the page is hydrated; the textarea below stays the form's field.
                <div class="editor-host"></div>
                <textarea
                    name="sql"
                    rows="16"
                    class="sql"
                    spellcheck="false"
                    node_ref=sql_ref
                    data-test="sql"
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        actions.draft.set((text != saved_sql).then_some(text));
                    }
                >
                    {latest_sql}
                </textarea>
                {move || actions.draft.get().is_some().then(|| view! { <p class="muted small" data-test="unsaved">"Unsaved changes"</p> })}
                <div class="inline-form">
                    <label class="grow">"Message" <input name="message" placeholder="What changed" data-test="message"/></label>
                    <button class="button" type="button" on:click=on_validate data-test="validate">"Validate"</button>
                    <button class="button primary" type="submit" data-test="save">"Save version"</button>
                </div>
            </ActionForm>
            {saved}
            {check}
        </section>
    }
}

/// JAR jobs: upload a JAR with its entry class, arguments and parallelism as the next version. A plain
/// multipart form (it works without WASM); the server sends the browser back here.
#[component]
fn ProgramTab(detail: JobDetail) -> impl IntoView {
    use leptos::server_fn::error::ServerFnUrlError;
    use leptos::server_fn::ServerFn;
    // Without WASM, a refused upload comes back as `?__path=…&__err=…` on this page's address.
    let query = use_query_map();
    let upload_error = move || {
        let q = query.read();
        (q.get("__path").as_deref() == Some(<SaveJarVersion as ServerFn>::PATH))
            .then(|| q.get("__err"))
            .flatten()
            .map(|e| ServerFnUrlError::<ServerFnError>::decode_err(&e).to_string())
    };
    let upload_url = <SaveJarVersion as ServerFn>::url();
    let latest = detail.versions.first().cloned();
    let entry = latest.as_ref().and_then(|v| v.entry_class.clone()).unwrap_or_default();
    let args = latest.as_ref().map(|v| v.args.join("\n")).unwrap_or_default();
    let parallelism = latest.as_ref().and_then(|v| v.parallelism).map(|p| p.to_string()).unwrap_or_default();
    let current = latest.as_ref().and_then(|v| v.artifact.clone()).map(|sha| format!("Current JAR: sha256 {sha}"));
    view! {
        <section class="card">
            <form
                method="post"
                action=upload_url
                enctype="multipart/form-data"
                class="stack-form"
                data-test="jar-form"
            >
                <input type="hidden" name="ns" value=detail.job.namespace.clone()/>
                <input type="hidden" name="job" value=detail.job.name.clone()/>
                <p class="muted small">{current.unwrap_or_else(|| "No JAR yet.".into())}</p>
                <label>"JAR file" <input type="file" name="jar" accept=".jar" required data-test="jar-file"/></label>
                <label>"Entry class (empty: the JAR's Main-Class)" <input name="entry_class" value=entry data-test="entry-class"/></label>
                <label>"Arguments (one per line)" <textarea name="args" rows="3">{args}</textarea></label>
                <label>"Parallelism (empty: the cluster's default)" <input name="parallelism" value=parallelism/></label>
                <label>"Message" <input name="message" placeholder="What changed"/></label>
                <button class="button primary" type="submit" data-test="jar-save">"Upload and save version"</button>
            </form>
            {move || upload_error().map(|e| view! { <ErrorBox message=e/> })}
        </section>
    }
}

#[component]
fn VersionsTab(detail: JobDetail, actions: Actions) -> impl IntoView {
    let ns = detail.job.namespace.clone();
    let job = detail.job.name.clone();
    let deployed: Vec<String> = detail.deployments.iter().filter(|d| d.version.is_some()).map(|d| d.environment.clone()).collect();
    let mut rows = Vec::new();
    for v in detail.versions.iter().cloned() {
        let (ns, job) = (ns.clone(), job.clone());
        let number = v.number;
        let running_here = detail.deployments.iter().any(|d| d.version == Some(number));
        let rollback = (!deployed.is_empty() && !running_here).then(|| {
            let envs = deployed.iter().map(|e| view! { <option value=e.clone()>{e.clone()}</option> }).collect_view();
            view! {
                <details class="dialog">
                    <summary class="button" data-test="rollback-open">"Rollback…"</summary>
                    <ActionForm action=actions.rollback attr:class="stack-form" attr:data-test="rollback-form">
                        <input type="hidden" name="ns" value=ns.clone()/>
                        <input type="hidden" name="job" value=job.clone()/>
                        <input type="hidden" name="version" value=number.to_string()/>
                        <label>"Environment" <select name="env">{envs}</select></label>
                        <label>
                            "State"
                            <select name="restore" data-test="rollback-restore">
                                <option value="latest-savepoint">"keep current state"</option>
                                <option value="version-snapshot">{format!("v{number}'s own snapshot")}</option>
                            </select>
                        </label>
                        <button class="button primary" type="submit" data-test="rollback-submit">{format!("Roll back to v{number}")}</button>
                    </ActionForm>
                </details>
            }
        });
        rows.push(view! {
            <tr data-version=number.to_string()>
                <td>{format!("v{number}")}</td>
                <td>{v.author}</td>
                <td>{when(v.created_at)}</td>
                <td>{v.message}</td>
                <td>{v.mode.as_str()}</td>
                <td>{rollback}</td>
            </tr>
        });
    }
    let numbers: Vec<i32> = detail.versions.iter().map(|v| v.number).collect();
    view! {
        <table class="table" data-test="versions">
            <thead><tr><th>"Version"</th><th>"Author"</th><th>"Saved"</th><th>"Message"</th><th>"Mode"</th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {(numbers.len() > 1).then(|| view! { <DiffView ns=detail.job.namespace.clone() job=detail.job.name.clone() numbers=numbers.clone()/> })}
    }
}

/// A side-by-side comparison of two versions, chosen with a plain GET form (`?tab=versions&a=1&b=2`).
#[component]
fn DiffView(ns: String, job: String, numbers: Vec<i32>) -> impl IntoView {
    let query = use_query_map();
    let pick = move |key: &str, default: i32| {
        query.read().get(key).and_then(|v| v.parse::<i32>().ok()).unwrap_or(default)
    };
    let newest = numbers.first().copied().unwrap_or(1);
    let older = numbers.get(1).copied().unwrap_or(newest);
    let a = Signal::derive(move || pick("a", older));
    let b = Signal::derive(move || pick("b", newest));
    let diff = Resource::new(
        move || (ns.clone(), job.clone(), a.get(), b.get()),
        |(ns, job, a, b)| get_version_diff(ns, job, a, b),
    );
    let options = move |selected: i32| {
        numbers
            .iter()
            .map(|n| view! { <option value=n.to_string() selected=*n == selected>{format!("v{n}")}</option> })
            .collect_view()
    };
    let (opts_a, opts_b) = (options(a.get_untracked()), options(b.get_untracked()));
    view! {
        <section class="card diff" data-test="diff">
            <form method="get" class="inline-form">
                <input type="hidden" name="tab" value="versions"/>
                <label>"Compare" <select name="a">{opts_a}</select></label>
                <label>"with" <select name="b">{opts_b}</select></label>
                <button class="button" type="submit" data-test="compare">"Compare"</button>
            </form>
            <Transition fallback=|| ()>
                {move || diff.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    Ok(d) => {
                        let changed = if d.changed.is_empty() { "nothing".to_string() } else { d.changed.join(", ") };
                        let rows = d
                            .sql_diff
                            .iter()
                            .map(|line| {
                                let (mark, text) = line.split_at(line.len().min(1));
                                let text = text.to_string();
                                let (left, right, class) = match mark {
                                    "-" => (text, String::new(), "del"),
                                    "+" => (String::new(), text, "add"),
                                    _ => (text.clone(), text, "same"),
                                };
                                view! { <tr class=class><td><pre>{left}</pre></td><td><pre>{right}</pre></td></tr> }
                            })
                            .collect_view();
                        view! {
                            <p class="muted small">{format!("v{} → v{}: changed {changed}", d.from, d.to)}</p>
                            <table class="side-by-side">
                                <thead><tr><th>{format!("v{}", d.from)}</th><th>{format!("v{}", d.to)}</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }
                            .into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SnapshotsTab(detail: JobDetail, actions: Actions) -> impl IntoView {
    let ns = detail.job.namespace.clone();
    let job = detail.job.name.clone();
    let rows = detail
        .snapshots
        .into_iter()
        .map(|s| {
            let (ns, job) = (ns.clone(), job.clone());
            view! {
                <tr data-snapshot=s.id.to_string()>
                    <td>{s.kind.as_str()}</td>
                    <td>{s.origin.as_str()}</td>
                    <td>{s.environment.clone()}</td>
                    <td>{format!("v{}", s.version)}</td>
                    <td>{when(s.created_at)}</td>
                    <td><code class="path">{s.path.clone()}</code></td>
                    <td>
                        <ActionForm action=actions.deploy attr:class="one-click">
                            <Target ns=ns job=job env=s.environment.clone()/>
                            <input type="hidden" name="version" value=s.version.to_string()/>
                            <input type="hidden" name="restore" value="path"/>
                            <input type="hidden" name="restore_path" value=s.path.clone()/>
                            <input type="hidden" name="overrides" value=""/>
                            <button class="button" type="submit" data-test="restore-snapshot">"Restore from this"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-test="snapshots">
            <thead><tr><th>"Kind"</th><th>"Origin"</th><th>"Environment"</th><th>"Version"</th><th>"Taken"</th><th>"Path"</th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// Settings: the latest version's parallelism and Flink configuration, saved as a new version (the program
/// is kept); and each environment's deploy-time overrides (config hotfix), applied by a deploy.
#[component]
fn SettingsTab(detail: JobDetail, actions: Actions) -> impl IntoView {
    let latest = detail.versions.first().cloned();
    let parallelism = latest.as_ref().and_then(|v| v.parallelism).map(|p| p.to_string()).unwrap_or_default();
    let config = latest.as_ref().map(|v| config_lines(&v.flink_config)).unwrap_or_default();
    let ns = detail.job.namespace.clone();
    let job = detail.job.name.clone();
    let overrides = detail
        .deployments
        .clone()
        .into_iter()
        .filter(|d| d.version.is_some())
        .map(|d| {
            let (ns, job) = (ns.clone(), job.clone());
            let env = d.environment.clone();
            let (label, button) = (
                format!("Overrides in {env} (key = value per line; - clears)"),
                format!("Apply in {env} (redeploys, keeping state)"),
            );
            let version = d.version.map(|v| v.to_string()).unwrap_or_default();
            let marker = env.clone();
            let text = config_lines(&d.config_overrides);
            view! {
                <ActionForm action=actions.deploy attr:class="stack-form" attr:data-overrides=marker>
                    <Target ns=ns job=job env=env/>
                    <input type="hidden" name="version" value=version/>
                    <input type="hidden" name="restore" value="latest-savepoint"/>
                    <input type="hidden" name="restore_path" value=""/>
                    <label>
                        {label}
                        <textarea name="overrides" rows="3">{text}</textarea>
                    </label>
                    <button class="button" type="submit">{button}</button>
                </ActionForm>
            }
        })
        .collect_view();
    let saved = move || {
        actions.settings.value().get().map(|r| match r {
            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
            Ok(v) => view! { <p class="ok-text" data-test="settings-saved">{format!("Saved version {}", v.number)}</p> }.into_any(),
        })
    };
    view! {
        <section class="card">
            <h2>"Defaults of the next version"</h2>
            <ActionForm action=actions.settings attr:class="stack-form" attr:data-test="settings-form">
                <input type="hidden" name="ns" value=detail.job.namespace.clone()/>
                <input type="hidden" name="job" value=detail.job.name.clone()/>
                <label>"Parallelism (empty: the cluster's default)" <input name="parallelism" value=parallelism data-test="parallelism"/></label>
                <label>"Flink configuration (key = value per line)" <textarea name="flink_config" rows="4" data-test="flink-config">{config}</textarea></label>
                <label>"Message" <input name="message" placeholder="What changed"/></label>
                <button class="button primary" type="submit" data-test="settings-save">"Save as new version"</button>
            </ActionForm>
            {saved}
        </section>
        <section class="card">
            <h2>"Config hotfix per environment"</h2>
            <p class="muted small">"Deploy-time Flink configuration on top of the version's, without a new version; recorded on the operation."</p>
            {overrides}
        </section>
    }
}

#[component]
fn HistoryTab(detail: JobDetail) -> impl IntoView {
    let rows = detail
        .operations
        .iter()
        .map(|o| {
            let steps = o
                .steps
                .iter()
                .map(|s| {
                    let took = s.finished_at.map(|f| format!(", {} ms", (f - s.started_at).num_milliseconds())).unwrap_or_default();
                    format!("{} ({} at {}{took})", s.name, s.status, s.started_at.format("%H:%M:%S"))
                })
                .collect::<Vec<_>>()
                .join(" → ");
            view! {
                <tr>
                    <td>{o.id}</td>
                    <td>{o.kind.as_str()}</td>
                    <td>{o.environment.clone()}</td>
                    <td>{o.requested_by.clone()}</td>
                    <td>{when(o.created_at)}</td>
                    <td><StateBadge state=o.status/></td>
                    <td class="small"><code>{o.params.to_string()}</code><br/>{steps}{o.error.clone().map(|e| format!(" — {e}"))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-test="history">
            <thead><tr><th>"#"</th><th>"Operation"</th><th>"Environment"</th><th>"By"</th><th>"When"</th><th>"Status"</th><th>"Parameters and steps"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The check's column lineage, as a preview before saving: what the script reads, and for each column it writes
/// where the value comes from.
#[component]
fn LineagePreview(lineage: weir_model::lineage::VersionLineage) -> impl IntoView {
    let reads = lineage.inputs.iter().map(|i| format!("{} ({})", i.name, i.namespace)).collect::<Vec<_>>().join(", ");
    let outputs = lineage
        .outputs
        .iter()
        .map(|o| {
            let columns = o
                .columns
                .iter()
                .map(|(column, sources)| {
                    let from = if sources.is_empty() {
                        "no source column".to_owned()
                    } else {
                        sources.iter().map(|s| format!("{} ({} {})", s.field, s.subtype, s.description)).collect::<Vec<_>>().join(", ")
                    };
                    view! { <li><code>{column.clone()}</code>" ← "{from}</li> }
                })
                .collect_view();
            view! {
                <li>
                    <strong>{o.name.clone()}</strong>
                    <span class="muted">{format!(" ({})", o.namespace)}</span>
                    <ul>{columns}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="check-lineage" data-test="check-lineage" open>
            <summary>{format!("Column lineage: reads {}", if reads.is_empty() { "nothing".to_owned() } else { reads })}</summary>
            <ul>{outputs}</ul>
        </details>
    }
}
