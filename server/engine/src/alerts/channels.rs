//! Channels: a channel's settings checked and split into what may be shown and its write-only secret
//! ([`parse_config`]); a notification rendered for each kind of channel ([`prepare`]); and ONE delivery
//! attempt ([`send`]) — `webhook` (a JSON POST, `X-Weir-Signature: sha256=<hex HMAC-SHA256 of the body>` when a
//! secret is set), `slack` (an incoming-webhook `{"text"}`), `email` (SMTP with `lettre`: plain, STARTTLS or
//! TLS, with or without a login, trusting the channel's `ca_pem` root besides the system's) and `alertmanager`
//! (`POST <url>/api/v2/alerts`). Retries and the history are the evaluator's (`super`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{json, Value};
use weir_model::alerts::{
    AlertmanagerConfig, ChannelKind, EmailConfig, NotificationEvent, SlackConfig, SmtpTls, WebhookConfig, WebhookPayload,
};

/// The header a signed webhook carries.
pub const SIGNATURE_HEADER: &str = "X-Weir-Signature";
/// How long one delivery attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// A channel's settings as given, split: what is stored and shown, and the secret.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedConfig {
    pub public: Value,
    /// The secret, when the settings carry one.
    pub secret: Option<String>,
}

fn http_url(what: &str, url: &str) -> Result<(), String> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && reqwest::Url::parse(url).is_ok();
    if ok {
        Ok(())
    } else {
        Err(format!("{what} must be an http:// or https:// URL, not '{url}'"))
    }
}

fn mailbox(address: &str) -> Result<Mailbox, String> {
    address.parse::<Mailbox>().map_err(|e| format!("'{address}' is not a mail address: {e}"))
}

/// Checks a channel's settings for its kind. `previous_secret`: the stored secret, kept when the new
/// settings do not give one (an update).
pub fn parse_config(kind: ChannelKind, config: Value, previous_secret: Option<&str>) -> Result<ParsedConfig, String> {
    let bad = |e: serde_json::Error| format!("invalid {kind} channel config: {e}");
    let keep = |given: Option<String>| given.filter(|s| !s.is_empty()).or_else(|| previous_secret.map(str::to_owned));
    let (public, secret) = match kind {
        ChannelKind::Webhook => {
            let c: WebhookConfig = serde_json::from_value(config).map_err(bad)?;
            http_url("url", &c.url)?;
            let secret = keep(c.secret.clone());
            (serde_json::to_value(&c), secret)
        }
        ChannelKind::Slack => {
            let c: SlackConfig = serde_json::from_value(config).map_err(bad)?;
            let Some(url) = keep(c.url.clone()) else { return Err("a slack channel needs the incoming webhook's url".into()) };
            http_url("url", &url)?;
            (serde_json::to_value(&c), Some(url))
        }
        ChannelKind::Email => {
            let c: EmailConfig = serde_json::from_value(config).map_err(bad)?;
            if c.host.trim().is_empty() {
                return Err("an email channel needs the SMTP host".into());
            }
            mailbox(&c.from)?;
            if c.to.is_empty() {
                return Err("an email channel needs at least one address in 'to'".into());
            }
            for to in &c.to {
                mailbox(to)?;
            }
            let secret = keep(c.password.clone());
            if secret.is_some() && c.username.is_none() {
                return Err("an SMTP password needs a username".into());
            }
            if c.ca_pem.is_some() && c.tls == SmtpTls::None {
                return Err("'ca_pem' needs tls \"starttls\" or \"tls\"".into());
            }
            tls_parameters(&c)?;
            (serde_json::to_value(&c), secret)
        }
        ChannelKind::Alertmanager => {
            let c: AlertmanagerConfig = serde_json::from_value(config).map_err(bad)?;
            http_url("url", &c.url)?;
            (serde_json::to_value(&c), None)
        }
    };
    Ok(ParsedConfig { public: public.map_err(|e| format!("cannot keep the config: {e}"))?, secret })
}

/// Where one delivery goes, with its secret.
#[derive(Clone, Debug)]
pub enum Target {
    Webhook { url: String, secret: Option<String> },
    Slack { url: String },
    Email { config: EmailConfig, password: Option<String> },
    Alertmanager { url: String },
}

/// The target of a stored channel.
pub fn target(kind: ChannelKind, config: &str, secret: Option<&str>) -> Result<Target, String> {
    let value: Value = serde_json::from_str(config).map_err(|e| format!("unreadable channel config: {e}"))?;
    let bad = |e: serde_json::Error| format!("unreadable channel config: {e}");
    Ok(match kind {
        ChannelKind::Webhook => {
            let c: WebhookConfig = serde_json::from_value(value).map_err(bad)?;
            Target::Webhook { url: c.url, secret: secret.map(str::to_owned) }
        }
        ChannelKind::Slack => Target::Slack { url: secret.ok_or("the slack channel has no url")?.to_owned() },
        ChannelKind::Email => {
            let config: EmailConfig = serde_json::from_value(value).map_err(bad)?;
            Target::Email { config, password: secret.map(str::to_owned) }
        }
        ChannelKind::Alertmanager => {
            let c: AlertmanagerConfig = serde_json::from_value(value).map_err(bad)?;
            Target::Alertmanager { url: c.url }
        }
    })
}

/// A notification rendered for its channel: what the history keeps, and what goes out.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The message as the history shows it (for a webhook, exactly its body).
    pub record: Value,
    body: Body,
}

#[derive(Clone, Debug)]
enum Body {
    Json(Vec<u8>),
    Mail { subject: String, text: String },
}

/// The first line of a message: `[FIRING] team/orders in prod: rule-a, rule-b`.
pub fn headline(p: &WebhookPayload) -> String {
    let rules: Vec<&str> = p.rules.iter().map(|r| r.name.as_str()).collect();
    format!("[{}] {}/{} in {}: {}", p.status.as_str().to_uppercase(), p.namespace, p.job, p.environment, rules.join(", "))
}

/// The message in words (Slack, mail).
pub fn text(p: &WebhookPayload) -> String {
    let mut out = headline(p);
    out.push('\n');
    for r in &p.rules {
        let value = if r.value.is_empty() { String::new() } else { format!(" — {}", r.value) };
        out.push_str(&format!("• {}: {}{value}\n", r.name, r.summary));
    }
    out.push_str(&format!("Started {}", p.started_at.to_rfc3339()));
    if let Some(end) = p.ended_at {
        out.push_str(&format!(", ended {}", end.to_rfc3339()));
    }
    out.push('\n');
    if let Some(url) = &p.url {
        out.push_str(url);
        out.push('\n');
    }
    out
}

/// Renders a notification for a target. `firing_until`: the `endsAt` an Alertmanager is given for a firing
/// alert (it resolves it by itself if Weir says nothing more by then).
pub fn prepare(target: &Target, p: &WebhookPayload, firing_until: DateTime<Utc>) -> Prepared {
    let json_body = |v: Value| Prepared { body: Body::Json(v.to_string().into_bytes()), record: v };
    match target {
        Target::Webhook { .. } => json_body(serde_json::to_value(p).unwrap_or(Value::Null)),
        Target::Slack { .. } => json_body(json!({ "text": text(p) })),
        Target::Email { config, .. } => {
            let subject = format!("[Weir] {}", headline(p));
            let text = text(p);
            Prepared { record: json!({"to": config.to, "subject": subject, "text": text}), body: Body::Mail { subject, text } }
        }
        Target::Alertmanager { .. } => {
            let ends_at = match (p.status, p.ended_at) {
                (NotificationEvent::Resolved, Some(end)) => end,
                _ => firing_until,
            };
            let alerts: Vec<Value> = p
                .rules
                .iter()
                .map(|r| {
                    let mut a = json!({
                        "labels": {"alertname": r.name, "namespace": p.namespace, "job": p.job,
                                   "environment": p.environment, "source": "weir"},
                        "annotations": {"summary": r.summary, "value": r.value},
                        "startsAt": p.started_at.to_rfc3339(),
                        "endsAt": ends_at.to_rfc3339(),
                    });
                    if let Some(url) = &p.url {
                        a["generatorURL"] = json!(url);
                        a["annotations"]["url"] = json!(url);
                    }
                    a
                })
                .collect();
            json_body(Value::Array(alerts))
        }
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of a body under a secret, as the signature header carries it.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One delivery attempt; the error in words.
pub async fn send(http: &reqwest::Client, target: &Target, prepared: &Prepared) -> Result<(), String> {
    match (target, &prepared.body) {
        (Target::Webhook { url, secret }, Body::Json(body)) => {
            let mut req = http.post(url).header("content-type", "application/json");
            if let Some(secret) = secret {
                req = req.header(SIGNATURE_HEADER, signature(secret, body));
            }
            post(req, body.clone()).await
        }
        (Target::Slack { url }, Body::Json(body)) => {
            post(http.post(url).header("content-type", "application/json"), body.clone()).await
        }
        (Target::Alertmanager { url }, Body::Json(body)) => {
            let url = format!("{}/api/v2/alerts", url.trim_end_matches('/'));
            post(http.post(url).header("content-type", "application/json"), body.clone()).await
        }
        (Target::Email { config, password }, Body::Mail { subject, text }) => mail(config, password.as_deref(), subject, text).await,
        _ => Err("the message does not fit the channel".into()),
    }
}

async fn post(req: reqwest::RequestBuilder, body: Vec<u8>) -> Result<(), String> {
    let resp = req.timeout(ATTEMPT_TIMEOUT).body(body).send().await.map_err(|e| {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(&format!(": {s}"));
            source = s.source();
        }
        msg
    })?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let text: String = resp.text().await.unwrap_or_default().chars().take(300).collect();
    Err(format!("answered {status}: {text}"))
}

/// The TLS settings for a channel's SMTP server: its host's name checked against the system's roots and the
/// channel's `ca_pem`, when it has one. Checked when the channel is saved, so a bad `ca_pem` is refused then.
fn tls_parameters(config: &EmailConfig) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(config.host.clone());
    if let Some(pem) = &config.ca_pem {
        let not_pem = |e: &dyn std::fmt::Display| format!("'ca_pem' is not a PEM certificate: {e}");
        // Without a certificate block lettre would read no certificate and trust nothing more: say so instead.
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(not_pem(&"no -----BEGIN CERTIFICATE----- block"));
        }
        let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| not_pem(&e))?;
        builder = builder.add_root_certificate(cert);
    }
    // Building parses every added certificate as a trust anchor: a block that is no certificate fails here.
    builder.build_rustls().map_err(|e| match config.ca_pem {
        Some(_) => format!("'ca_pem' is not a PEM certificate: {e}"),
        None => format!("cannot set up TLS for {}: {e}", config.host),
    })
}

async fn mail(config: &EmailConfig, password: Option<&str>, subject: &str, text: &str) -> Result<(), String> {
    let host = config.host.as_str();
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host);
    let builder = match config.tls {
        SmtpTls::None => builder,
        SmtpTls::Starttls => builder.tls(Tls::Required(tls_parameters(config)?)),
        SmtpTls::Tls => builder.tls(Tls::Wrapper(tls_parameters(config)?)),
    };
    let mut builder = builder.port(config.port).timeout(Some(ATTEMPT_TIMEOUT));
    if let Some(user) = &config.username {
        builder = builder.credentials(Credentials::new(user.clone(), password.unwrap_or_default().to_owned()));
    }
    let mailer = builder.build();
    let mut message = lettre::Message::builder().from(mailbox(&config.from)?).subject(subject);
    for to in &config.to {
        message = message.to(mailbox(to)?);
    }
    let message = message.header(ContentType::TEXT_PLAIN).body(text.to_owned()).map_err(|e| e.to_string())?;
    mailer.send(message).await.map(|_| ()).map_err(|e| format!("SMTP {host}:{}: {e}", config.port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::alerts::PayloadRule;

    fn payload(status: NotificationEvent) -> WebhookPayload {
        let at = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z").expect("time").with_timezone(&Utc);
        WebhookPayload {
            status,
            namespace: "team".into(),
            job: "orders".into(),
            environment: "prod".into(),
            rules: vec![PayloadRule { name: "down".into(), summary: "deployment not in its desired state".into(), value: "FAILED".into() }],
            started_at: at,
            ended_at: (status == NotificationEvent::Resolved).then_some(at + chrono::Duration::minutes(5)),
            url: Some("https://weir.example/jobs/team/orders".into()),
        }
    }

    /// A self-signed certificate for smtp.example (openssl, P-256), as a private mail server's root.
    const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBnjCCAUSgAwIBAgIURf8kuPC6wKhBXRQT/YLQFdnmVdUwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMc210cC5leGFtcGxlMCAXDTI2MTEyMjA1MjkzNVoYDzIxMjYx
MDI5MDUyOTM1WjAXMRUwEwYDVQQDDAxzbXRwLmV4YW1wbGUwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAAT18Dn+U2cjFeIyTV4mTZNd6+sbSZEwWZofrUv4PD3PMRNi
acsHoMdmkd5eiTLKZe2GQUQvLSHh6VLJwLOqIcGPo2wwajAdBgNVHQ4EFgQUrAee
XxTFLckKHqYAH1KwjiFkaAAwHwYDVR0jBBgwFoAUrAeeXxTFLckKHqYAH1KwjiFk
aAAwDwYDVR0TAQH/BAUwAwEB/zAXBgNVHREEEDAOggxzbXRwLmV4YW1wbGUwCgYI
KoZIzj0EAwIDSAAwRQIhAOpt03ET42cx0Q5UDdgwQugopb/iwqmkVH2rYsPZ/w/I
AiAKaF7OUlXtqgk/+kcOM2Z2ELkfugpAZKwj15IeB5VXow==
-----END CERTIFICATE-----\n";

    #[test]
    fn configs_are_checked_and_secrets_split_off() {
        // An email config: the least one, with `extra`'s fields.
        let email = |extra: Value| {
            let mut c = json!({"host": "smtp.example", "from": "w@b.c", "to": ["a@b.c"]});
            if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
                c.extend(extra.clone());
            }
            c
        };
        let not_der = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
        /// (case, kind, config, stored secret, the shown config and secret, or a piece of the error)
        type Row = (&'static str, ChannelKind, Value, Option<&'static str>, Result<(Value, Option<&'static str>), &'static str>);
        let table: Vec<Row> = vec![
            ("webhook with a secret", ChannelKind::Webhook, json!({"url": "http://h/x", "secret": "s3"}), None,
                Ok((json!({"url": "http://h/x"}), Some("s3")))),
            ("webhook without", ChannelKind::Webhook, json!({"url": "https://h/x"}), None, Ok((json!({"url": "https://h/x"}), None))),
            ("an update keeps the secret", ChannelKind::Webhook, json!({"url": "https://h/y"}), Some("old"), Ok((json!({"url": "https://h/y"}), Some("old")))),
            ("not a URL", ChannelKind::Webhook, json!({"url": "ftp://h"}), None, Err("http:// or https://")),
            ("unknown field", ChannelKind::Webhook, json!({"url": "http://h", "sekret": "x"}), None, Err("unknown field")),
            ("slack url is the secret", ChannelKind::Slack, json!({"url": "https://hooks.slack.com/services/T/B/X"}), None,
                Ok((json!({}), Some("https://hooks.slack.com/services/T/B/X")))),
            ("slack needs a url", ChannelKind::Slack, json!({}), None, Err("needs the incoming webhook's url")),
            ("email", ChannelKind::Email, json!({"host": "smtp.example", "username": "u", "password": "p", "from": "weir@example.com", "to": ["oncall@example.com"]}), None,
                Ok((json!({"host": "smtp.example", "port": 587, "tls": "starttls", "username": "u", "from": "weir@example.com", "to": ["oncall@example.com"]}), Some("p")))),
            ("email with a bad address", ChannelKind::Email, json!({"host": "h", "from": "weir", "to": ["a@b.c"]}), None, Err("not a mail address")),
            ("email with nobody to", ChannelKind::Email, json!({"host": "h", "from": "w@b.c", "to": []}), None, Err("at least one address")),
            ("email: bad tls word", ChannelKind::Email, json!({"host": "h", "from": "w@b.c", "to": ["a@b.c"], "tls": "ssl"}), None, Err("unknown SMTP security")),
            ("email trusting a private root", ChannelKind::Email, email(json!({"ca_pem": CA_PEM})), None,
                Ok((email(json!({"port": 587, "tls": "starttls", "ca_pem": CA_PEM})), None))),
            ("email: ca_pem over SMTPS", ChannelKind::Email, email(json!({"tls": "tls", "port": 465, "ca_pem": CA_PEM})), None,
                Ok((email(json!({"tls": "tls", "port": 465, "ca_pem": CA_PEM})), None))),
            ("email: ca_pem not PEM", ChannelKind::Email, email(json!({"ca_pem": "MIIBnjCCAUSgAwIBAgIU"})), None, Err("'ca_pem' is not a PEM certificate")),
            ("email: ca_pem empty", ChannelKind::Email, email(json!({"ca_pem": ""})), None, Err("'ca_pem' is not a PEM certificate")),
            ("email: ca_pem a block that is no certificate", ChannelKind::Email, email(json!({"ca_pem": not_der})), None, Err("'ca_pem' is not a PEM certificate")),
            ("email: ca_pem a private key", ChannelKind::Email, email(json!({"ca_pem": "-----BEGIN PRIVATE KEY-----\nbm8=\n-----END PRIVATE KEY-----\n"})), None,
                Err("'ca_pem' is not a PEM certificate")),
            ("email: ca_pem without TLS", ChannelKind::Email, email(json!({"tls": "none", "ca_pem": CA_PEM})), None, Err("'ca_pem' needs tls")),
            ("alertmanager", ChannelKind::Alertmanager, json!({"url": "http://127.0.0.1:9093"}), None, Ok((json!({"url": "http://127.0.0.1:9093"}), None))),
        ];
        for (name, kind, config, previous, want) in table {
            let got = parse_config(kind, config, previous);
            match want {
                Ok((public, secret)) => {
                    let got = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!((got.public, got.secret.as_deref()), (public, secret), "{name}");
                }
                Err(message) => {
                    let err = got.expect_err(name);
                    assert!(err.contains(message), "{name}: {err}");
                }
            }
        }
    }

    #[test]
    fn messages_for_each_kind() {
        let until = Utc::now();
        let webhook = Target::Webhook { url: "http://h".into(), secret: None };
        let p = payload(NotificationEvent::Firing);
        let body = prepare(&webhook, &p, until).record;
        assert_eq!(body["status"], "firing");
        assert_eq!(body["ended_at"], Value::Null);
        assert_eq!(body["rules"][0], json!({"name": "down", "summary": "deployment not in its desired state", "value": "FAILED"}));
        let keys: Vec<&str> = body.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        assert_eq!(keys.len(), 8, "{keys:?}");

        let slack = prepare(&Target::Slack { url: "http://h".into() }, &p, until).record;
        assert!(slack["text"].as_str().is_some_and(|t| t.starts_with("[FIRING] team/orders in prod: down")), "{slack}");

        let am = Target::Alertmanager { url: "http://h".into() };
        let fired = prepare(&am, &p, until).record;
        assert_eq!(fired[0]["labels"]["alertname"], "down");
        assert_eq!(fired[0]["endsAt"], until.to_rfc3339());
        let resolved = prepare(&am, &payload(NotificationEvent::Resolved), until).record;
        assert_eq!(resolved[0]["endsAt"], "2026-11-22T10:05:00+00:00");
        assert_eq!(resolved[0]["generatorURL"], "https://weir.example/jobs/team/orders");
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
