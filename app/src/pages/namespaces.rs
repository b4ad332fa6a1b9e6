//! `/namespaces` (the namespaces you have a role in; administrators create them) and `/namespaces/{ns}` (its
//! members and their roles, and the environments it may deploy to — owners change both).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::{when, ErrorBox, RoleSelect};
use crate::server_fns::{
    get_me, get_namespace_detail, list_namespaces, CreateNamespace, RemoveMember, SetMember, SetNamespaceEnvironments,
};

#[component]
pub fn Namespaces() -> impl IntoView {
    let create = ServerAction::<CreateNamespace>::new();
    let list = Resource::new(move || create.version().get(), |_| list_namespaces());
    let me = Resource::new(|| (), |_| get_me());
    view! {
        <header class="page-head"><h1>"Namespaces"</h1></header>
        <Transition fallback=|| ()>
            {move || me.get().and_then(|r| r.ok()).flatten().filter(|m| m.admin).map(|_| view! {
                <section class="card">
                    <h2>"New namespace"</h2>
                    <ActionForm action=create attr:class="inline-form" attr:data-test="create-namespace">
                        <label>"Name" <input name="name" required placeholder="payments"/></label>
                        <label>"First owner (optional)" <input name="owner" placeholder="a user name"/></label>
                        <button class="button primary" type="submit">"Create"</button>
                    </ActionForm>
                    {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox message=e.to_string()/> })}
                </section>
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(list) => {
                    let rows = list.into_iter().map(|n| view! {
                        <tr data-namespace=n.name.clone()>
                            <td><a href=format!("/namespaces/{}", n.name)>{n.name.clone()}</a></td>
                            <td>{n.role.map(|r| r.as_str())}</td>
                            <td><a href=format!("/jobs?ns={}", n.name)>"Jobs"</a></td>
                            <td>{when(n.created_at)}</td>
                        </tr>
                    }).collect_view();
                    view! {
                        <table class="table" data-test="namespaces">
                            <thead><tr><th>"Namespace"</th><th>"Your role"</th><th></th><th>"Created"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
pub fn NamespacePage() -> impl IntoView {
    let params = use_params_map();
    let ns = move || params.read().get("ns").unwrap_or_default();
    let set = ServerAction::<SetMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let envs = ServerAction::<SetNamespaceEnvironments>::new();
    let detail = Resource::new(
        move || (ns(), set.version().get(), remove.version().get(), envs.version().get()),
        |(ns, ..)| get_namespace_detail(ns),
    );
    let failure = move || {
        [set.value().get().and_then(|r| r.err()), remove.value().get().and_then(|r| r.err()), envs.value().get().and_then(|r| r.err())]
            .into_iter()
            .flatten()
            .next()
            .map(|e| view! { <ErrorBox message=e.to_string()/> })
    };
    view! {
        <header class="page-head">
            <h1>"Namespace " {ns}</h1>
            <a class="button" href=move || format!("/jobs?ns={}", ns())>"Jobs"</a>
            <a class="button" href=move || format!("/audit?ns={}", ns())>"Audit log"</a>
        </header>
        {failure}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || detail.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok((members, environments)) => {
                    let rows = members.into_iter().map(|m| {
                        let user = m.user.clone();
                        view! {
                        <tr data-member=m.user.clone()>
                            <td>{m.user.clone()}</td>
                            <td>{m.role.as_str()}</td>
                            <td>{when(m.since)}</td>
                            <td>
                                <ActionForm action=remove>
                                    <input type="hidden" name="ns" value=ns()/>
                                    <input type="hidden" name="user" value=user/>
                                    <button class="button danger" type="submit">"Remove"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }}).collect_view();
                    view! {
                        <section class="card">
                            <h2>"Members"</h2>
                            <p class="muted">"viewer: read · editor: versions, deploy, stop, savepoint, rollback · owner: members, environments, settings and hotfixes. Administrators are owners everywhere."</p>
                            <table class="table" data-test="members">
                                <thead><tr><th>"User"</th><th>"Role"</th><th>"Since"</th><th></th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                            <ActionForm action=set attr:class="inline-form" attr:data-test="set-member">
                                <input type="hidden" name="ns" value=ns()/>
                                <label>"User" <input name="user" required placeholder="a user name"/></label>
                                <RoleSelect/>
                                <button class="button primary" type="submit">"Add or change"</button>
                            </ActionForm>
                        </section>
                        <section class="card">
                            <h2>"Environments this namespace may use"</h2>
                            <ActionForm action=envs attr:class="inline-form" attr:data-test="set-environments">
                                <input type="hidden" name="ns" value=ns()/>
                                <label class="grow">
                                    "One per line (empty: every environment)"
                                    <textarea name="environments" rows="2">{environments.join("\n")}</textarea>
                                </label>
                                <button class="button primary" type="submit">"Save"</button>
                            </ActionForm>
                        </section>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
