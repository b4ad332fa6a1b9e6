//! `/users` (administrators): every local account; create one, reset a password, grant or take the
//! administrator role, delete one.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::{when, ErrorBox};
use crate::server_fns::{list_users, ChangeUser, CreateUser, DeleteUser};

#[component]
pub fn Users() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let change = ServerAction::<ChangeUser>::new();
    let delete = ServerAction::<DeleteUser>::new();
    let users = Resource::new(
        move || (create.version().get(), change.version().get(), delete.version().get()),
        |_| list_users(),
    );
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
        {move || {
            [change.value().get().and_then(|r| r.err()), delete.value().get().and_then(|r| r.err())]
                .into_iter()
                .flatten()
                .next()
                .map(|e| view! { <ErrorBox message=e.to_string()/> })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(list) => {
                    let rows = list.into_iter().map(|u| {
                        let (n1, n2, n3) = (u.name.clone(), u.name.clone(), u.name.clone());
                        let (flip, flip_label) = if u.admin { ("no", "Remove administrator") } else { ("yes", "Make administrator") };
                        view! {
                        <tr data-user=u.name.clone()>
                            <td>{u.name.clone()}</td>
                            <td>{if u.admin { "administrator" } else { "" }}</td>
                            <td>{when(u.created_at)}</td>
                            <td>
                                <ActionForm action=change attr:class="inline-form" attr:data-test="reset-password">
                                    <input type="hidden" name="name" value=n1/>
                                    <input type="hidden" name="admin" value=""/>
                                    <input name="password" type="password" placeholder="New password" minlength="10" autocomplete="new-password" required/>
                                    <button class="button" type="submit">"Set password"</button>
                                </ActionForm>
                            </td>
                            <td>
                                <ActionForm action=change>
                                    <input type="hidden" name="name" value=n2/>
                                    <input type="hidden" name="password" value=""/>
                                    <input type="hidden" name="admin" value=flip/>
                                    <button class="button" type="submit">{flip_label}</button>
                                </ActionForm>
                            </td>
                            <td>
                                <ActionForm action=delete>
                                    <input type="hidden" name="name" value=n3/>
                                    <button class="button danger" type="submit" data-test="delete-user">"Delete"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }}).collect_view();
                    view! {
                        <table class="table" data-test="users">
                            <thead><tr><th>"Name"</th><th></th><th>"Created"</th><th></th><th></th><th></th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                        <p class="muted">"Give users roles on a namespace's page."</p>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
