//! `/login`: the login form. A plain HTML form posted to `POST /api/v1/session`, which starts the session and
//! sends the browser on to the page it came from (or back here with the error).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::ErrorBox;

#[component]
pub fn Login() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let error = move || query.read().get("error").filter(|e| !e.is_empty());
    view! {
        <section class="card login-card">
            <h1>"Log in to Weir"</h1>
            <form method="post" action="/api/v1/session" class="stacked-form" data-test="login-form">
                <input type="hidden" name="next" value=next/>
                <label>"Name" <input name="name" required autocomplete="username" data-test="login-name"/></label>
                <label>
                    "Password"
                    <input name="password" type="password" required autocomplete="current-password" data-test="login-password"/>
                </label>
                <button class="button primary" type="submit" data-test="login-submit">"Log in"</button>
            </form>
            {move || error().map(|e| view! { <ErrorBox message=e/> })}
            <p class="muted">"No account yet? An administrator creates one (" <code>"weir user create NAME"</code> ")."</p>
        </section>
    }
}
