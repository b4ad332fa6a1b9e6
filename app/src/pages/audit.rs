//! `/audit`: the audit log — every state-changing request with who, what, when, from where and the result.
//! Administrators read everything; owners read their namespaces' records (`?ns=` for one namespace).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{when, ErrorBox};
use crate::server_fns::list_audit;

#[component]
pub fn Audit() -> impl IntoView {
    let query = use_query_map();
    let ns = move || query.read().get("ns").unwrap_or_default();
    let entries = Resource::new(ns, list_audit);
    view! {
        <header class="page-head">
            <h1>"Audit log"</h1>
            <form method="get" action="/audit" class="filters">
                <input name="ns" placeholder="Namespace (all you may read)" value=ns/>
                <button class="button" type="submit">"Show"</button>
            </form>
        </header>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || entries.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(list) => {
                    let rows = list.into_iter().map(|e| {
                        let class = match e.outcome.as_str() { "ok" => "badge ok", "denied" => "badge bad", _ => "badge warn" };
                        view! {
                            <tr data-audit=e.id>
                                <td>{when(e.at)}</td>
                                <td>{e.actor.clone()}</td>
                                <td>{e.action.clone()}</td>
                                <td>{e.namespace.clone().unwrap_or_default()}</td>
                                <td>{e.target.clone().unwrap_or_default()}</td>
                                <td>{e.address.clone().unwrap_or_default()}</td>
                                <td><span class=class>{e.outcome.clone()} " " {e.status}</span></td>
                                <td><code>{e.request.clone()}</code></td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <table class="table" data-test="audit">
                            <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Namespace"</th><th>"Target"</th><th>"From"</th><th>"Result"</th><th>"Request"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
