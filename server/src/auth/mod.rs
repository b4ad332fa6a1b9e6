//! How an HTTP request proves who it is — the front doors' side of access control (the engine's side, who may
//! do what, is `engine::access`):
//!
//! - `Authorization: Bearer <API token>`, looked up on every request (a revoked token fails at once);
//! - else the session cookie (tower-sessions, stored in the database by [`session_store`]): HttpOnly,
//!   SameSite=Lax, Secure when `server.public_url` is https, a new id at login, idle and absolute expiry;
//! - else anonymous.
//!
//! [`authenticate`] puts the resulting [`Caller`] into the request, refuses cookie-authenticated state changes
//! that fail the [`csrf`] check, and writes an audit record for every state-changing request once it is
//! answered (REST calls with POST/PUT/PATCH/DELETE, and server functions that reached a changing operation).

pub mod csrf;
pub mod session_store;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use rand::RngCore;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use crate::error::{ApiError, AuditMessage};
use weir_engine::access::{Identity, UserRef};
use weir_engine::{Caller, Engine};

/// The session cookie's name.
pub const COOKIE: &str = "weir_session";
const USER_ID: &str = "user_id";
/// The login time, in milliseconds since the epoch.
const LOGIN_AT: &str = "login_at_ms";
const CSRF_TOKEN: &str = "csrf";

/// Session and cookie settings, from the configuration.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after its login, however active.
    pub absolute: Duration,
    /// The address users reach Weir at (its scheme decides the cookie's Secure flag; its origin passes the
    /// CSRF check behind a proxy).
    pub public_url: Option<String>,
}

impl AuthSettings {
    fn secure(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

#[derive(Clone)]
struct AuthState {
    engine: Engine,
    settings: AuthSettings,
}

/// The status to record when the answer's own status hides it (a refused login form is redirected).
#[derive(Clone, Copy, Debug)]
pub struct AuditStatus(pub StatusCode);

/// Wraps the whole application: sessions outside, then [`authenticate`].
pub fn layer(router: Router, engine: Engine, settings: AuthSettings) -> Router {
    let store = session_store::DbSessionStore::new(engine.store().clone());
    store.spawn_sweeper(Duration::from_secs(300));
    let idle = time::Duration::seconds(i64::try_from(settings.idle.as_secs()).unwrap_or(i64::MAX).max(1));
    let sessions = SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
        // Each request pushes the idle expiry forward.
        .with_always_save(true);
    let state = AuthState { engine, settings };
    router.layer(middleware::from_fn_with_state(state, authenticate)).layer(sessions)
}

async fn authenticate(State(state): State<AuthState>, req: Request, next: Next) -> Response {
    let address = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let session = req.extensions().get::<Session>().cloned();
    let (parts, body) = req.into_parts();
    let unsafe_method = csrf::is_unsafe(&parts.method);
    let request_line = format!("{} {}", parts.method, parts.uri.path());
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned());
    let engine = &state.engine;
    let (caller, csrf_token) = match (&bearer, &session) {
        (Some(secret), _) => match engine.authenticate_token(secret, address.clone()).await {
            Ok(c) => (c, None),
            Err(e) => {
                let caller = Caller::anonymous(address);
                return refuse(engine, &caller, unsafe_method, &request_line, ApiError::from(e)).await;
            }
        },
        (None, Some(session)) => session_caller(engine, session, &state.settings, address).await,
        (None, None) => (Caller::anonymous(address), None),
    };
    if unsafe_method && bearer.is_none() {
        let has_cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains(&format!("{COOKIE}=")));
        if let Err(why) = csrf::check(&parts, csrf_token.as_deref(), has_cookie, state.settings.public_url.as_deref()) {
            let err = ApiError::new(StatusCode::FORBIDDEN, "csrf_rejected", why);
            return refuse(engine, &caller, true, &request_line, err).await;
        }
    }
    let mut req = Request::from_parts(parts, body);
    req.extensions_mut().insert(caller.clone());
    let response = next.run(req).await;
    // Every state-changing REST call is recorded; a server function only when it reached an engine operation
    // that changes something (the UI reads through POSTed server functions too).
    let rest = request_line.split(' ').nth(1).is_some_and(|p| p.starts_with("/api/v1/"));
    if unsafe_method && (rest || caller.audit_note().action.is_some()) {
        let message = response.extensions().get::<AuditMessage>().map(|m| m.0.clone());
        let status = response.extensions().get::<AuditStatus>().map_or(response.status(), |s| s.0);
        engine.record_audit(&caller, &request_line, status.as_u16(), message).await;
    }
    response
}

async fn refuse(engine: &Engine, caller: &Caller, audit: bool, request_line: &str, err: ApiError) -> Response {
    if audit {
        engine.record_audit(caller, request_line, err.status.as_u16(), Some(err.message.clone())).await;
    }
    err.into_response()
}

/// The caller a session stands for, and the session's CSRF token. An expired or orphaned session is ended.
async fn session_caller(
    engine: &Engine,
    session: &Session,
    settings: &AuthSettings,
    address: Option<String>,
) -> (Caller, Option<String>) {
    let anonymous = |address| (Caller::anonymous(address), None);
    let Ok(Some(user_id)) = session.get::<i64>(USER_ID).await else { return anonymous(address) };
    let login_at = session.get::<i64>(LOGIN_AT).await.ok().flatten().unwrap_or(0);
    let age_ms = chrono::Utc::now().timestamp_millis().saturating_sub(login_at);
    if u64::try_from(age_ms).map_or(true, |a| a > settings.absolute.as_millis().try_into().unwrap_or(u64::MAX)) {
        let _ = session.flush().await;
        return anonymous(address);
    }
    match engine.session_user(user_id, login_at).await {
        Ok(Some(user)) => {
            let csrf = session.get::<String>(CSRF_TOKEN).await.ok().flatten();
            (Caller::new(Identity::User(user), None, address), csrf)
        }
        Ok(None) => {
            let _ = session.flush().await;
            anonymous(address)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read the session's user");
            anonymous(address)
        }
    }
}

/// Starts a session for a user who just logged in: a new session id (no fixation), the login time for the
/// absolute expiry, and a fresh CSRF token.
pub async fn start_session(session: &Session, user: &UserRef) -> Result<(), ApiError> {
    let failed = |e: tower_sessions::session::Error| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "session_error", format!("cannot start the session: {e}"))
    };
    session.cycle_id().await.map_err(failed)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    session.insert(USER_ID, user.id).await.map_err(failed)?;
    session.insert(LOGIN_AT, chrono::Utc::now().timestamp_millis()).await.map_err(failed)?;
    session.insert(CSRF_TOKEN, hex::encode(bytes)).await.map_err(failed)?;
    Ok(())
}

/// The session's CSRF token, if it has one.
pub async fn csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF_TOKEN).await.ok().flatten()
}

/// Ends the session (the record is deleted and the cookie cleared).
pub async fn end_session(session: &Session) {
    let _ = session.flush().await;
}

/// The caller the middleware found (anonymous when there is none), as a handler's extractor:
/// `Authenticated(caller): Authenticated`.
pub struct Authenticated(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Authenticated(parts.extensions.get::<Caller>().cloned().unwrap_or_else(|| Caller::anonymous(None))))
    }
}
