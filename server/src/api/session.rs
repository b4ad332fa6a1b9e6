//! `/api/v1/session`: who is calling (`GET`), logging in (`POST`, JSON or the login page's form) and out
//! (`DELETE`, or `POST /session/logout` from the page's form). Login itself is an engine operation
//! (throttled, no user enumeration); this module only starts and ends the cookie session.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;
use weir_model::Me;

use crate::error::{ApiError, ApiJson};
use crate::auth::Authenticated;
use crate::auth;
use weir_engine::access::Identity;
use weir_engine::{Caller, Engine};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
    /// Where the login page goes next (a path on this site).
    #[serde(default)]
    pub next: Option<String>,
}

pub async fn get(State(engine): State<Engine>, Authenticated(caller): Authenticated, session: Session) -> Result<ApiJson<Me>, ApiError> {
    let mut me = engine.me(&caller).await?;
    if caller.token.is_none() {
        me.csrf_token = auth::csrf_token(&session).await;
    }
    Ok(ApiJson(me))
}

/// JSON in, JSON out (`Me` with the CSRF token); a form post (the login page) is redirected instead: to `next`
/// on success, back to the login page with the error otherwise.
pub async fn login(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    session: Session,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let parsed: Result<LoginRequest, String> = if is_form {
        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    };
    let req = match parsed {
        Ok(r) => r,
        Err(e) => return ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("expected name and password: {e}")).into_response(),
    };
    let next = local_path(req.next.as_deref());
    let result = async {
        let user = engine.login(&caller, &req.name, &req.password).await?;
        auth::start_session(&session, &user).await?;
        let as_user = Caller::new(Identity::User(user), None, caller.address.clone());
        let mut me = engine.me(&as_user).await?;
        me.csrf_token = auth::csrf_token(&session).await;
        Ok::<Me, ApiError>(me)
    }
    .await;
    match (result, is_form) {
        (Ok(me), false) => ApiJson(me).into_response(),
        (Ok(_), true) => Redirect::to(&next).into_response(),
        (Err(e), false) => e.into_response(),
        (Err(e), true) => {
            let to = format!("/login?error={}&next={}", urlencode(&e.message), urlencode(&next));
            let mut response = Redirect::to(&to).into_response();
            // The audit record keeps the refusal's status, though the browser is redirected.
            response.extensions_mut().insert(crate::error::AuditMessage(e.message.clone()));
            response.extensions_mut().insert(auth::AuditStatus(e.status));
            response
        }
    }
}

pub async fn logout(Authenticated(caller): Authenticated, session: Session) -> StatusCode {
    caller.act("logout", caller.name());
    auth::end_session(&session).await;
    StatusCode::NO_CONTENT
}

/// The logout button's form: ends the session and goes to the login page.
pub async fn logout_form(Authenticated(caller): Authenticated, session: Session) -> Redirect {
    caller.act("logout", caller.name());
    auth::end_session(&session).await;
    Redirect::to("/login")
}

/// Only paths on this site: never an absolute or protocol-relative URL (no open redirect).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") && !p.starts_with("/login") => p.to_owned(),
        _ => "/".to_owned(),
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).map(|e| e.trim_start_matches("v=").to_owned()).unwrap_or_default()
}
