//! The job page's Logs tab (`?tab=logs`): for each environment the job was deployed to, the end of each log
//! file of its job's own processes (JobManager, TaskManagers) on kinds that run a cluster per job; a session
//! cluster's logs belong to the cluster, not the job, and the tab says so. Server-rendered; read when opened.

use leptos::prelude::*;

use crate::components::ErrorBox;
use crate::server_fns::get_deployment_logs;
use weir_model::JobDetail;

#[component]
pub fn LogsTab(detail: JobDetail) -> impl IntoView {
    let deployed: Vec<String> =
        detail.deployments.iter().filter(|d| d.version.is_some()).map(|d| d.environment.clone()).collect();
    if deployed.is_empty() {
        return view! { <p class="muted" data-test="logs-none">"Not deployed yet: logs start with the first deploy."</p> }
            .into_any();
    }
    let ns = detail.job.namespace.clone();
    let job = detail.job.name.clone();
    deployed
        .into_iter()
        .map(|env| {
            let (ns, job, env_for_fetch) = (ns.clone(), job.clone(), env.clone());
            let logs = Resource::new(|| (), move |_| get_deployment_logs(ns.clone(), job.clone(), env_for_fetch.clone()));
            view! {
                <section class="card logs" data-test="logs" data-env=env.clone()>
                    <h2>{format!("Logs in {env}")}</h2>
                    <Suspense fallback=|| view! { <p class="muted">"Reading the logs…"</p> }>
                        {move || logs.get().map(|r| match r {
                            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                            Ok(l) if !l.per_job => view! {
                                <p class="muted" data-test="logs-session">
                                    "This job runs on a session cluster: its logs are the cluster's own (see the Flink UI)."
                                </p>
                            }.into_any(),
                            Ok(l) if l.files.is_empty() => view! { <p class="muted">"No log files yet."</p> }.into_any(),
                            Ok(l) => {
                                let job_id = l.flink_job_id.clone().unwrap_or_default();
                                let files = l
                                    .files
                                    .into_iter()
                                    .map(|f| view! {
                                        <details class="log-file" data-log=f.name.clone() open=f.name == "jobmanager.log">
                                            <summary>{format!("{} ({} KiB)", f.name, f.size_bytes.div_ceil(1024))}</summary>
                                            <pre class="log">{f.tail}</pre>
                                        </details>
                                    })
                                    .collect_view();
                                view! {
                                    <p class="muted small">"Flink job " <code>{job_id}</code> " · the end of each file"</p>
                                    {files}
                                }.into_any()
                            }
                        })}
                    </Suspense>
                </section>
            }
        })
        .collect_view()
        .into_any()
}
