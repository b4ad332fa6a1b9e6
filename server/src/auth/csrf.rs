//! CSRF protection for state-changing requests authenticated by the session cookie. Such a request passes when
//! it carries the session's token in `X-CSRF-Token`, or when the browser says it comes from this site
//! (`Sec-Fetch-Site: same-origin`, or an `Origin` equal to this server's). A cookie-carrying request that proves
//! neither is refused. Requests with an API token carry no ambient credential and are not subject to it.

use axum::http::{header, request::Parts, Method};

pub const HEADER: &str = "x-csrf-token";

/// True for methods that change state.
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `Err(reason)` when the request must be refused.
pub fn check(parts: &Parts, session_token: Option<&str>, has_cookie: bool, public_origin: Option<&str>) -> Result<(), &'static str> {
    let header_str = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if let (Some(sent), Some(expected)) = (header_str(HEADER), session_token) {
        if constant_eq(sent.as_bytes(), expected.as_bytes()) {
            return Ok(());
        }
        return Err("the X-CSRF-Token header does not match this session");
    }
    if let Some(site) = header_str("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => Ok(()),
            _ => Err("a cross-site request may not change anything"),
        };
    }
    if let Some(origin) = header_str(header::ORIGIN.as_str()) {
        let host = header_str(header::HOST.as_str()).unwrap_or_default();
        let same = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
            || public_origin.is_some_and(|p| p.trim_end_matches('/') == origin);
        return if same && !host.is_empty() { Ok(()) } else { Err("a request from another origin may not change anything") };
    }
    if has_cookie {
        return Err("a state-changing request made with the session cookie needs the X-CSRF-Token header");
    }
    Ok(())
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = Request::builder().method("POST").uri("/api/v1/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).expect("request").into_parts().0
    }

    #[test]
    fn same_origin_passes_and_cross_origin_fails() {
        let host = ("host", "weir.example:3000");
        assert!(check(&parts(&[host, ("origin", "http://weir.example:3000")]), None, true, None).is_ok());
        assert!(check(&parts(&[host, ("origin", "http://evil.example")]), None, true, None).is_err());
        assert!(check(&parts(&[host, ("sec-fetch-site", "cross-site")]), None, true, None).is_err());
        assert!(check(&parts(&[host, ("sec-fetch-site", "same-origin")]), None, true, None).is_ok());
        assert!(check(&parts(&[host]), None, true, None).is_err(), "a cookie without any proof");
        assert!(check(&parts(&[host]), None, false, None).is_ok(), "no cookie: nothing to forge");
        assert!(check(&parts(&[host, ("x-csrf-token", "abc")]), Some("abc"), true, None).is_ok());
        assert!(check(&parts(&[host, ("x-csrf-token", "abd")]), Some("abc"), true, None).is_err());
        let behind_proxy = [("host", "10.0.0.5:3000"), ("origin", "https://weir.example")];
        assert!(check(&parts(&behind_proxy), None, true, Some("https://weir.example/")).is_ok());
    }
}
