//! `/users` (administrators): every local account, and the form to create one.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::{when, ErrorBox};
use crate::server_fns::{list_users, CreateUser};

#[component]
pub fn Users() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let users = Resource::new(move || create.version().get(), |_| list_users());
    view! {
        <header class="page-head"><h1>"Users"</h1></header>
        <section class="card">
            <h2>"New user"</h2>
            <ActionForm action=create attr:class="inline-form" attr:data-test="create-user">
                <label>"Name" <input name="name" required placeholder="ada"/></label>
                <label>"Password (10+ characters)" <input name="password" type="password" required minlength="10" autocomplete="new-password"/></label>
                <label class="check"><input type="checkbox" name="admin" value="on"/> "Administrator"</label>
                <button class="button primary" type="submit">"Create"</button>
            </ActionForm>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox message=e.to_string()/> })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(list) => {
                    let rows = list.into_iter().map(|u| view! {
                        <tr data-user=u.name.clone()>
                            <td>{u.name.clone()}</td>
                            <td>{if u.admin { "administrator" } else { "" }}</td>
                            <td>{when(u.created_at)}</td>
                        </tr>
                    }).collect_view();
                    view! {
                        <table class="table" data-test="users">
                            <thead><tr><th>"Name"</th><th></th><th>"Created"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                        <p class="muted">"Give users roles on a namespace's page."</p>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
