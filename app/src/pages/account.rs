//! `/account`: who you are, your roles, and your API tokens — create one (its secret is shown once), see when
//! each was last used, revoke.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::{when, ErrorBox, RoleSelect};
use crate::server_fns::{get_me, list_tokens, ChangeUser, CreateToken, RevokeToken};

#[component]
pub fn Account() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let password = ServerAction::<ChangeUser>::new();
    let me = Resource::new(|| (), |_| get_me());
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_tokens());
    view! {
        <header class="page-head"><h1>"Your account"</h1></header>
        <Transition fallback=|| ()>
            {move || me.get().and_then(|r| r.ok()).flatten().map(|me| {
                let roles = me
                    .namespaces
                    .iter()
                    .map(|n| view! { <li><a href=format!("/namespaces/{}", n.name)>{n.name.clone()}</a> ": " {n.role.map(|r| r.as_str())}</li> })
                    .collect_view();
                view! {
                    <section class="card">
                        <p>"Signed in as " <strong data-test="account-name">{me.name.clone()}</strong>
                            {me.admin.then_some(" — administrator")}</p>
                        <ul class="plain">{roles}</ul>
                    </section>
                    <section class="card">
                        <h2>"Change your password"</h2>
                        <p class="muted">"Every session of yours ends, this one too: you log in again with the new password."</p>
                        <ActionForm action=password attr:class="inline-form" attr:data-test="change-password">
                            <input type="hidden" name="name" value=me.name.clone()/>
                            <input type="hidden" name="admin" value=""/>
                            <label>"New password (10+ characters)" <input name="password" type="password" required minlength="10" autocomplete="new-password"/></label>
                            <button class="button primary" type="submit">"Change"</button>
                        </ActionForm>
                        {move || password.value().get().map(|r| match r {
                            Ok(_) => view! { <p class="ok-text" data-test="password-changed">"Password changed. " <a href="/login">"Log in again"</a></p> }.into_any(),
                            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                        })}
                    </section>
                }
            })}
        </Transition>
        <section class="card">
            <h2>"New API token"</h2>
            <p class="muted">"For automation: send it as " <code>"Authorization: Bearer <token>"</code>
                ". Without a namespace it carries your own rights; with one, at most the role you choose there."</p>
            <ActionForm action=create attr:class="inline-form" attr:data-test="create-token">
                <label>"Name" <input name="name" required placeholder="ci-deploy"/></label>
                <label>"Namespace (optional)" <input name="namespace" placeholder="default"/></label>
                <RoleSelect/>
                <label>"Use"
                    <select name="scope">
                        <option value="api">"REST API"</option>
                        <option value="metrics">"Prometheus scraping (GET /metrics only)"</option>
                    </select>
                </label>
                <button class="button primary" type="submit">"Create"</button>
            </ActionForm>
            {move || create.value().get().map(|r| match r {
                Ok(t) => view! {
                    <div class="notice" data-test="new-token">
                        "Copy it now, it is not shown again: " <code>{t.token}</code>
                    </div>
                }.into_any(),
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
            })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || tokens.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(list) => {
                    let rows = list.into_iter().map(|t| {
                        let scope = match (&t.namespace, &t.role) {
                            _ if t.scope == weir_model::TokenScopeKind::Metrics => "GET /metrics only".into(),
                            (Some(ns), Some(role)) => format!("{role} in {ns}"),
                            _ => "your own rights".into(),
                        };
                        let revoked = t.revoked_at.is_some();
                        view! {
                            <tr data-token=t.name.clone()>
                                <td>{t.name.clone()}</td>
                                <td><code>{t.prefix.clone()} "…"</code></td>
                                <td>{scope}</td>
                                <td>{when(t.created_at)}</td>
                                <td>{t.last_used_at.map(when).unwrap_or_else(|| "never".into())}</td>
                                <td>
                                    {if revoked {
                                        view! { <span class="badge bad">"revoked"</span> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="id" value=t.id/>
                                                <button class="button danger" type="submit">"Revoke"</button>
                                            </ActionForm>
                                        }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <table class="table" data-test="tokens">
                            <thead><tr><th>"Name"</th><th>"Token"</th><th>"Scope"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
