//! The job page's Resources tab (`?tab=resources`): for each environment the job was deployed to, its resource
//! recommendation — status and reason, the explanation in words and numbers, each vertex's figures and advice,
//! memory from the observed peaks, what it would cost or free in the pool — with Apply (a new version with the
//! recommended parallelism, redeployed keeping state) and Dismiss (with an optional reason). Both are plain
//! forms (they work without JavaScript); their errors show inline.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::ErrorBox;
use crate::server_fns::{get_recommendation, ApplyRecommendation, DismissRecommendation};
use weir_model::recommendations::{Recommendation, RecommendationStatus};
use weir_model::{Deployment, JobDetail};

#[component]
pub fn ResourcesTab(detail: JobDetail) -> impl IntoView {
    let deployed: Vec<Deployment> = detail.deployments.iter().filter(|d| d.version.is_some()).cloned().collect();
    if deployed.is_empty() {
        return view! {
            <p class="muted" data-test="resources-none">"Not deployed yet: recommendations start once a deployment has run for a while."</p>
        }
        .into_any();
    }
    let cards = deployed.into_iter().map(|d| view! { <EnvironmentResources deployment=d/> }).collect_view();
    view! { <section class="resources" data-test="resources">{cards}</section> }.into_any()
}

#[component]
fn EnvironmentResources(deployment: Deployment) -> impl IntoView {
    let (ns, job, env) = (deployment.namespace.clone(), deployment.job.clone(), deployment.environment.clone());
    let apply = ServerAction::<ApplyRecommendation>::new();
    let dismiss = ServerAction::<DismissRecommendation>::new();
    let (n2, j2, e2) = (ns.clone(), job.clone(), env.clone());
    let rec = Resource::new(
        move || (n2.clone(), j2.clone(), e2.clone(), apply.version().get(), dismiss.version().get()),
        |(ns, job, env, _, _)| get_recommendation(ns, job, env),
    );
    let target = StoredValue::new((ns, job, env.clone()));
    view! {
        <article class="card resources-env" data-env=env.clone()>
            <header class="card-head"><h2>{env.clone()}</h2></header>
            <Transition fallback=|| view! { <p class="muted">"Reading the recommendation…"</p> }>
                {move || {
                    rec.get().map(|result| match result {
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                        Ok(r) => view! { <RecommendationView rec=r target=target.get_value() apply=apply dismiss=dismiss/> }.into_any(),
                    })
                }}
            </Transition>
            {move || apply.value().get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(a) => view! {
                    <p class="notice" data-test="rec-applied">
                        {format!("Applied: version {} saved, redeploying with its state (operation {}).", a.version, a.operation)}
                    </p>
                }.into_any(),
            })}
            {move || dismiss.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox message=e.to_string()/> })}
        </article>
    }
}

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "–".into())
}

fn rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.1}/s")).unwrap_or_else(|| "–".into())
}

fn mib(b: Option<u64>) -> String {
    b.map(|b| format!("{:.0} MiB", b as f64 / 1024.0 / 1024.0)).unwrap_or_else(|| "–".into())
}

fn status_label(s: RecommendationStatus) -> &'static str {
    match s {
        RecommendationStatus::Ready => "Recommendation ready",
        RecommendationStatus::Collecting => "Collecting data",
        RecommendationStatus::NoChange => "No change needed",
    }
}

#[component]
fn RecommendationView(
    rec: Recommendation,
    target: (String, String, String),
    apply: ServerAction<ApplyRecommendation>,
    dismiss: ServerAction<DismissRecommendation>,
) -> impl IntoView {
    let (ns, job, env) = target;
    let ready = rec.status == RecommendationStatus::Ready;
    let vertices = rec
        .parallelism
        .vertices
        .iter()
        .map(|v| {
            view! {
                <tr data-vertex=v.name.clone()>
                    <td>{v.name.clone()}</td>
                    <td class="num">{v.current}</td>
                    <td class="num">{v.recommended}</td>
                    <td class="num">{pct(v.busy_ratio)}</td>
                    <td class="num">{rate(v.processing_rate)}</td>
                    <td class="num">{rate(v.input_rate)}</td>
                    <td class="small">{v.reason.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let memory = rec
        .memory
        .components
        .iter()
        .map(|c| {
            view! {
                <tr data-component=c.component.clone()>
                    <td>{c.component.replace('_', " ")}</td>
                    <td class="num">{mib(c.current_bytes)}</td>
                    <td class="num">{mib(c.observed_peak_bytes)}</td>
                    <td class="num">{mib(c.recommended_bytes)}</td>
                    <td class="small">{c.reason.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let cost = rec.cost.as_ref().map(|c| {
        let pool = c.pool.clone().map(|p| format!(" in pool {p}")).unwrap_or_default();
        let text = match c.slots_delta {
            d if d > 0 => format!("Needs {d} more slot(s){pool}: {} -> {}.", c.current.slots, c.recommended.slots),
            d if d < 0 => format!("Frees {} slot(s){pool}: {} -> {}.", -d, c.current.slots, c.recommended.slots),
            _ => format!("Same slots{pool}: {}.", c.current.slots),
        };
        view! { <p class="small" data-test="rec-cost">{text}</p> }
    });
    let based_on = (rec.based_on.samples > 0).then(|| {
        let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default();
        view! {
            <p class="muted small" data-test="rec-based-on">
                {format!("Based on {} samples from {} to {} UTC.", rec.based_on.samples, at(rec.based_on.from), at(rec.based_on.to))}
            </p>
        }
    });
    let actions = ready.then(|| {
        let (n1, j1, e1) = (ns.clone(), job.clone(), env.clone());
        view! {
            <div class="actions">
                <ActionForm action=apply attr:class="inline-form" attr:data-test="rec-apply">
                    <input type="hidden" name="ns" value=n1/>
                    <input type="hidden" name="job" value=j1/>
                    <input type="hidden" name="env" value=e1/>
                    <button class="button primary" type="submit">
                        {format!("Apply: parallelism {} -> {}", rec.parallelism.current, rec.parallelism.recommended)}
                    </button>
                </ActionForm>
                <ActionForm action=dismiss attr:class="inline-form" attr:data-test="rec-dismiss">
                    <input type="hidden" name="ns" value=ns.clone()/>
                    <input type="hidden" name="job" value=job.clone()/>
                    <input type="hidden" name="env" value=env.clone()/>
                    <label>"Reason (optional)" <input name="reason" size="24"/></label>
                    <button class="button" type="submit">"Dismiss"</button>
                </ActionForm>
            </div>
        }
    });
    view! {
        <div class="recommendation" data-test="recommendation" data-status=rec.status.as_str()>
            <p><strong data-test="rec-status">{status_label(rec.status)}</strong> " — " <span data-test="rec-reason">{rec.reason.clone()}</span></p>
            <p class="explanation" data-test="rec-explanation">{rec.explanation.clone()}</p>
            {cost}
            {actions}
            <h3>"Parallelism"</h3>
            <table class="table" data-test="rec-vertices">
                <thead><tr>
                    <th>"Vertex"</th><th>"Now"</th><th>"Advised"</th><th>"Busy"</th>
                    <th>"Could process"</th><th>"Input"</th><th>"Why"</th>
                </tr></thead>
                <tbody>{vertices}</tbody>
            </table>
            <h3>"Memory"</h3>
            <p class="muted small">{rec.memory.note.clone()}</p>
            <table class="table" data-test="rec-memory">
                <thead><tr><th>"Component"</th><th>"Now"</th><th>"Observed peak"</th><th>"Advised"</th><th>"Why"</th></tr></thead>
                <tbody>{memory}</tbody>
            </table>
            {based_on}
        </div>
    }
}
