//! The web UI: Leptos pages rendered on the server, server functions, and the static assets built by
//! cargo-leptos. The engine is provided to every page and server function as Leptos context; the caller is
//! the one authentication put into the request (`weir_app::server_fns` reads both), so every call is checked
//! by the engine as that caller. Pages ask anonymous visitors to log in first.

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use weir_app::{shell, App};
use weir_engine::{Caller, Engine};

/// Sends anonymous page visits to the login page (server functions answer 401 themselves: the engine checks
/// every call).
async fn require_login(req: Request, next: Next) -> Response {
    let anonymous = req.extensions().get::<Caller>().is_none_or(Caller::is_anonymous);
    let path = req.uri().path();
    // A page (not a static file, not a server function, not the login page itself).
    let page = req.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && path != "/login"
        && !path.rsplit('/').next().unwrap_or_default().contains('.');
    if anonymous && page {
        let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let to = format!("/login?next={}", serde_urlencoded::to_string([("n", next)]).unwrap_or_default().trim_start_matches("n="));
        return Redirect::to(&to).into_response();
    }
    next.run(req).await
}

/// The Leptos routes (pages and server functions) and the static files under the site root.
pub fn router(engine: Engine, options: LeptosOptions) -> Router {
    // Server functions take JAR uploads: allow the artifact limit (axum's default is 2 MiB).
    let body_limit = engine.settings().max_artifact_bytes + 1024 * 1024;
    let routes = generate_route_list(App);
    let shell_options = options.clone();
    Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(engine.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(require_login))
        .with_state(options)
}
