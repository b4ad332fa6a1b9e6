//! Alerts end to end: on the real Flink, a job cancelled behind Weir's back fires exactly one grouped, signed
//! webhook within the rule's duration plus a tick, and one resolved message after a redeploy; a silenced rule
//! sends nothing; a receiver that is down gets retries and the failure is in the history. Mail reaches a real
//! local SMTP server (aiosmtpd), also over STARTTLS with a login and a private certificate; alerts reach a real
//! Alertmanager (Debian's prometheus-alertmanager). The API refuses bad input and never shows a secret; the
//! store's alert queries on SQLite and PostgreSQL.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use weir_engine::Caller;

/// What a receiver got: the signature header and the body.
type Inbox = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A webhook receiver on a free port, answering `status`; returns its URL and what it received.
async fn receiver(status: StatusCode) -> (String, Inbox) {
    let inbox: Inbox = Default::default();
    let kept = inbox.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let signature = headers.get("x-weir-signature").and_then(|v| v.to_str().ok()).map(str::to_owned);
                let value = serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
                if let Ok(mut v) = kept.lock() {
                    v.push((signature.map(|s| format!("{s}\n{}", String::from_utf8_lossy(&body))), value));
                }
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), inbox)
}

fn received(inbox: &Inbox) -> Vec<(Option<String>, Value)> {
    inbox.lock().map(|v| v.clone()).unwrap_or_default()
}

/// Waits until the inbox holds `n` messages; panics after `secs`.
async fn wait_for(inbox: &Inbox, n: usize, secs: f64, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        if received(inbox).len() >= n {
            return start.elapsed();
        }
        assert!(start.elapsed().as_secs_f64() < secs, "{what}: no message within {secs} s; got {:?}", received(inbox));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks `X-Weir-Signature: sha256=<hex>` against the body (kept as "signature\nbody").
fn verify(signed: &str, secret: &str) {
    let (signature, body) = signed.split_once('\n').expect("signature and body");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(signature, want, "the HMAC of the body");
}

/// A free local port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A child process killed when the test ends (whatever way it ends).
struct Child(tokio::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

async fn wait_port(port: u16, secs: u64, what: &str) {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(start.elapsed() < Duration::from_secs(secs), "{what} did not listen on {port} within {secs} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn fast_alerts(c: &mut weir::config::Config) {
    c.engine.alerts_eval_interval_ms = 0;
    c.engine.alerts_delivery_attempts = 3;
    c.engine.alerts_retry_backoff_ms = 100;
    c.server.public_url = "https://weir.example".into();
}

#[tokio::test]
async fn a_job_cancelled_behind_weirs_back_fires_one_grouped_webhook_and_resolves_once() {
    let s = common::server(fast_alerts).await;
    let api = s.api();
    let ns = "/api/v1/namespaces/default";
    api.post_ok(&format!("{ns}/jobs"), json!({"name": "watched", "kind": "sql"}), 201).await;
    api.post_ok(&format!("{ns}/jobs/watched/versions"), json!({"sql": common::stateful_sql("a"), "message": "v1"}), 201).await;
    let dep = format!("{ns}/jobs/watched/deployments/dev");
    api.act(&format!("{dep}/deploy"), json!({})).await;

    let (hook, inbox) = receiver(StatusCode::OK).await;
    let (quiet_hook, quiet_inbox) = receiver(StatusCode::OK).await;
    let (down_hook, down_inbox) = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let secret = "a-shared-secret";
    let ch = |name: &str, url: &str, secret: Option<&str>| {
        let mut config = json!({"url": url});
        if let Some(s) = secret {
            config["secret"] = json!(s);
        }
        json!({"name": name, "kind": "webhook", "config": config})
    };
    let created = api.post_ok(&format!("{ns}/alert-channels"), ch("oncall", &hook, Some(secret)), 201).await;
    assert_eq!(created["secret_set"], true);
    assert!(!created.to_string().contains(secret), "the secret is never shown: {created}");
    api.post_ok(&format!("{ns}/alert-channels"), ch("quiet", &quiet_hook, None), 201).await;
    api.post_ok(&format!("{ns}/alert-channels"), ch("broken", &down_hook, None), 201).await;

    let for_s = 2;
    let rule = |name: &str, env: Option<&str>, channels: &[&str]| {
        json!({"name": name, "condition": {"kind": "not_desired_state", "for_s": for_s}, "job": "watched", "environment": env, "channels": channels})
    };
    api.post_ok(&format!("{ns}/alert-rules"), rule("down", None, &["oncall"]), 201).await;
    api.post_ok(&format!("{ns}/alert-rules"), rule("down-in-dev", Some("dev"), &["oncall"]), 201).await;
    api.post_ok(&format!("{ns}/alert-rules"), rule("muted", None, &["quiet"]), 201).await;
    api.post_ok(&format!("{ns}/alert-rules"), rule("unlucky", None, &["broken"]), 201).await;
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    let silence = api
        .post_ok(&format!("{ns}/silences"), json!({"matchers": {"rule": "muted"}, "until": until, "comment": "known"}), 201)
        .await;
    assert_eq!(silence["active"], true);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(received(&inbox).is_empty(), "a running job fires nothing: {:?}", received(&inbox));

    // Cancel the job behind Weir's back.
    let deployment = api.get(&dep).await;
    let job_id = deployment["flink_job_id"].as_str().expect("a Flink job").to_owned();
    let resp = reqwest::Client::new()
        .patch(format!("{}/jobs/{job_id}?mode=cancel", common::flink_url()))
        .send()
        .await
        .expect("Flink cancel");
    assert!(resp.status().is_success(), "Flink cancel: {}", resp.status());
    let cancelled_at = Instant::now();
    // Flink takes a moment to cancel; then the rule's duration plus one tick (300 ms), with a margin.
    let start = Instant::now();
    loop {
        if common::flink_job(&job_id).await["state"] == "CANCELED" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "Flink did not cancel the job");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen_cancelled = cancelled_at.elapsed().as_secs_f64();
    wait_for(&inbox, 1, seen_cancelled + for_s as f64 + 0.3 + 3.0, "the firing webhook").await;
    // Nothing more arrives: one grouped message.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = received(&inbox);
    assert_eq!(got.len(), 1, "exactly one firing message: {got:?}");
    let (signed, body) = &got[0];
    verify(signed.as_deref().expect("a signature header"), secret);
    assert_eq!(body["status"], "firing");
    assert_eq!((body["namespace"].as_str(), body["job"].as_str(), body["environment"].as_str()), (Some("default"), Some("watched"), Some("dev")));
    let mut names: Vec<&str> = body["rules"].as_array().expect("rules").iter().filter_map(|r| r["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["down", "down-in-dev"], "both rules in one message: {body}");
    assert_eq!(body["rules"][0]["value"], "CANCELED");
    assert!(body["rules"][0]["summary"].as_str().is_some_and(|s| s.contains("desired state")));
    assert_eq!(body["url"], "https://weir.example/jobs/default/watched");
    assert_eq!(body["ended_at"], Value::Null);
    assert!(body["started_at"].is_string());
    let keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 8, "exactly the documented fields: {keys:?}");

    // The silenced rule sent nothing; the broken receiver was tried three times and the failure is kept.
    assert!(received(&quiet_inbox).is_empty(), "silenced: {:?}", received(&quiet_inbox));
    let start = Instant::now();
    let failed = loop {
        let history = api.get(&format!("{ns}/alert-history")).await;
        let failed = history.as_array().into_iter().flatten().find(|n| n["channel"] == "broken" && n["status"] == "failed").cloned();
        if let Some(f) = failed {
            break f;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no failed delivery in the history: {history}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed["attempts"], 3, "{failed}");
    assert!(failed["error"].as_str().is_some_and(|e| e.contains("503")), "{failed}");
    assert_eq!(received(&down_inbox).len(), 3, "every attempt reached the receiver");
    let alerts = api.get("/api/v1/alerts").await;
    let muted = alerts.as_array().into_iter().flatten().find(|a| a["rule"] == "muted").expect("the muted alert shows in Weir");
    assert_eq!((muted["state"].as_str(), muted["silenced"].as_bool()), (Some("firing"), Some(true)), "{muted}");

    // Redeploy: one resolved message.
    api.act(&format!("{dep}/deploy"), json!({"restore": "none"})).await;
    wait_for(&inbox, 2, 10.0, "the resolved webhook").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = received(&inbox);
    assert_eq!(got.len(), 2, "exactly one resolved message: {got:?}");
    let (signed, resolved) = &got[1];
    verify(signed.as_deref().expect("signed"), secret);
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["ended_at"].is_string(), "{resolved}");
    assert_eq!(resolved["started_at"], body["started_at"]);
    assert!(received(&quiet_inbox).is_empty(), "a silenced rule sends nothing, not even resolved");
    let history = api.get(&format!("{ns}/alert-history")).await;
    let oncall: Vec<&Value> = history.as_array().into_iter().flatten().filter(|n| n["channel"] == "oncall").collect();
    assert_eq!(oncall.len(), 2, "{history}");
    assert!(oncall.iter().all(|n| n["status"] == "sent" && n["attempts"] == 1 && n["job"] == "watched"), "{history}");
    let alerts = api.get("/api/v1/alerts").await;
    let down = alerts.as_array().into_iter().flatten().find(|a| a["rule"] == "down").expect("the resolved alert is listed");
    assert_eq!(down["state"], "resolved", "{down}");

    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}

#[tokio::test]
async fn mail_arrives_at_a_real_smtp_server() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mailbox = dir.path().join("mail.txt");
    let port = free_port();
    let script = "import sys, time\n\
        from aiosmtpd.controller import Controller\n\
        class Keep:\n    async def handle_DATA(self, server, session, envelope):\n        \
        open(sys.argv[2], 'ab').write(envelope.content + b'\\n--end--\\n')\n        return '250 OK'\n\
        c = Controller(Keep(), hostname='127.0.0.1', port=int(sys.argv[1]))\nc.start()\n\
        while True:\n    time.sleep(1)\n";
    let child = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(port.to_string())
        .arg(&mailbox)
        .kill_on_drop(true)
        .spawn()
        .expect("start aiosmtpd");
    let _smtp = Child(child);
    wait_port(port, 20, "aiosmtpd").await;

    let s = common::server(fast_alerts).await;
    let api = s.api();
    let ns = "/api/v1/namespaces/default";
    let config = json!({"host": "127.0.0.1", "port": port, "tls": "none", "from": "weir@example.com", "to": ["oncall@example.com"]});
    let created = api.post_ok(&format!("{ns}/alert-channels"), json!({"name": "mail", "kind": "email", "config": config}), 201).await;
    assert_eq!(created["config"]["tls"], "none");
    let test = api.post_ok(&format!("{ns}/alert-channels/mail/test"), json!({}), 200).await;
    assert_eq!(test["delivered"], true, "{test}");
    let start = Instant::now();
    let mail = loop {
        let text = std::fs::read_to_string(&mailbox).unwrap_or_default();
        if text.contains("--end--") {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no mail arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(mail.contains("Subject: [Weir] [TEST] default/weir-test"), "{mail}");
    assert!(mail.contains("To: oncall@example.com"), "{mail}");
    assert!(mail.contains("a test message from Weir"), "{mail}");
    let history = api.get(&format!("{ns}/alert-history")).await;
    assert_eq!(history[0]["event"], "test");
    assert_eq!(history[0]["status"], "sent");
    assert_eq!(history[0]["payload"]["to"], json!(["oncall@example.com"]));

    // A server that is gone: not delivered, and said so.
    drop(_smtp);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let test = api.post_ok(&format!("{ns}/alert-channels/mail/test"), json!({}), 200).await;
    assert_eq!(test["delivered"], false, "{test}");
    assert!(test["error"].as_str().is_some_and(|e| e.contains("SMTP 127.0.0.1")), "{test}");
}

/// aiosmtpd as a submission server: STARTTLS required (with the certificate and key given), then a login
/// required, and only `weir` / `s3cret` accepted. Every login attempt and every mail is a JSON line in the log.
/// Arguments: port, certificate, key, log.
const SMTP_STARTTLS_AUTH: &str = r#"
import json, logging, ssl, sys, time, warnings
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# Quiet: the handshake Weir refuses on purpose (a traceback) and aiosmtpd's own deprecation warning.
logging.getLogger('mail.log').setLevel(logging.CRITICAL)
warnings.simplefilter('ignore', DeprecationWarning)

port, cert, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def note(**fields):
    with open(log, 'a') as f:
        f.write(json.dumps(fields) + '\n')

def tls_version(session):
    ssl_object = (session.ssl or {}).get('ssl_object')
    return ssl_object.version() if ssl_object else None

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b'weir' and auth_data.password == b's3cret'
    login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None
    note(event='auth', mechanism=mechanism, login=login, ok=ok, tls=tls_version(session))
    # handled=False: aiosmtpd answers a refused login itself (535).
    return AuthResult(success=ok, handled=False, auth_data=auth_data)

class Keep:
    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        note(event='mail', authenticated=bool(session.authenticated), login=login,
             tls=tls_version(session), rcpt=envelope.rcpt_tos, content=envelope.content.decode('utf-8', 'replace'))
        return '250 OK'

context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
c = Controller(Keep(), hostname='127.0.0.1', port=port, tls_context=context, require_starttls=True,
               auth_required=True, authenticator=authenticator)
c.start()
while True:
    time.sleep(1)
"#;

/// The JSON lines the SMTP server above logged.
fn smtp_log(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

#[tokio::test]
async fn mail_goes_over_starttls_with_a_login_to_a_private_server() {
    // A self-signed certificate for the address Weir connects to; the channel trusts it with `ca_pem`.
    let dir = tempfile::tempdir().expect("temporary folder");
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("a certificate");
    let (cert_file, key_file, log) = (dir.path().join("cert.pem"), dir.path().join("key.pem"), dir.path().join("smtp.log"));
    std::fs::write(&cert_file, cert.pem()).expect("write the certificate");
    std::fs::write(&key_file, signing_key.serialize_pem()).expect("write the key");
    let port = free_port();
    let child = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(SMTP_STARTTLS_AUTH)
        .arg(port.to_string())
        .arg(&cert_file)
        .arg(&key_file)
        .arg(&log)
        .kill_on_drop(true)
        .spawn()
        .expect("start aiosmtpd");
    let _smtp = Child(child);
    wait_port(port, 20, "aiosmtpd").await;

    let s = common::server(fast_alerts).await;
    let api = s.api();
    let ns = "/api/v1/namespaces/default";
    let config = |password: &str, ca_pem: Option<&str>| {
        let mut c = json!({"host": "127.0.0.1", "port": port, "tls": "starttls", "username": "weir", "password": password,
                           "from": "weir@example.com", "to": ["oncall@example.com"]});
        if let Some(pem) = ca_pem {
            c["ca_pem"] = json!(pem);
        }
        c
    };
    let ca_pem = cert.pem();

    // A ca_pem that is not a certificate is refused with the reason.
    let (st, answer) = api.post(&format!("{ns}/alert-channels"), json!({"name": "mail", "kind": "email", "config": config("s3cret", Some("not a certificate"))})).await;
    assert_eq!(st, 400, "{answer}");
    assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains("'ca_pem' is not a PEM certificate")), "{answer}");

    let created = api
        .post_ok(&format!("{ns}/alert-channels"), json!({"name": "mail", "kind": "email", "config": config("s3cret", Some(&ca_pem))}), 201)
        .await;
    assert_eq!((created["config"]["tls"].as_str(), created["secret_set"].as_bool()), (Some("starttls"), Some(true)), "{created}");
    assert_eq!(created["config"]["ca_pem"], json!(ca_pem), "the root is shown, it is no secret");
    assert!(!created.to_string().contains("s3cret"), "the password is never shown: {created}");
    let test = api.post_ok(&format!("{ns}/alert-channels/mail/test"), json!({}), 200).await;
    assert_eq!(test["delivered"], true, "{test}");
    let start = Instant::now();
    let mail = loop {
        if let Some(m) = smtp_log(&log).into_iter().find(|e| e["event"] == "mail") {
            break m;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no mail arrived: {:?}", smtp_log(&log));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let content = mail["content"].as_str().unwrap_or_default();
    assert!(content.contains("Subject: [Weir] [TEST] default/weir-test"), "{mail}");
    assert!(content.contains("To: oncall@example.com"), "{mail}");
    assert_eq!(mail["rcpt"], json!(["oncall@example.com"]), "{mail}");
    assert_eq!((mail["authenticated"].as_bool(), mail["login"].as_str()), (Some(true), Some("weir")), "the server saw the login: {mail}");
    assert!(mail["tls"].as_str().is_some_and(|v| v.starts_with("TLSv1.")), "the mail came over TLS: {mail}");
    let logins: Vec<Value> = smtp_log(&log).into_iter().filter(|e| e["event"] == "auth").collect();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert_eq!((logins[0]["ok"].as_bool(), logins[0]["tls"].as_str().is_some()), (Some(true), true), "logged in inside TLS: {logins:?}");

    // Without `ca_pem` the private certificate is not trusted: nothing is sent, and the error says why.
    let (st, changed) = api.call(reqwest::Method::PATCH, &format!("{ns}/alert-channels/mail"), Some(json!({"config": config("s3cret", None)}))).await;
    assert_eq!(st, 200, "{changed}");
    let test = api.post_ok(&format!("{ns}/alert-channels/mail/test"), json!({}), 200).await;
    assert_eq!(test["delivered"], false, "{test}");
    assert!(test["error"].as_str().is_some_and(|e| e.contains("SMTP 127.0.0.1") && e.contains("certificate")), "{test}");

    // A wrong password: the server refuses the login, the test says so, and no mail arrives.
    let (st, changed) = api.call(reqwest::Method::PATCH, &format!("{ns}/alert-channels/mail"), Some(json!({"config": config("wrong", Some(&ca_pem))}))).await;
    assert_eq!(st, 200, "{changed}");
    let test = api.post_ok(&format!("{ns}/alert-channels/mail/test"), json!({}), 200).await;
    assert_eq!(test["delivered"], false, "{test}");
    assert!(test["error"].as_str().is_some_and(|e| e.contains("SMTP 127.0.0.1") && e.contains("535")), "{test}");
    let logged = smtp_log(&log);
    let refused = logged.iter().filter(|e| e["event"] == "auth" && e["ok"] == false).count();
    assert_eq!(refused, 1, "the server refused one login: {logged:?}");
    assert_eq!(logged.iter().filter(|e| e["event"] == "mail").count(), 1, "no second mail: {logged:?}");
    let history = api.get(&format!("{ns}/alert-history")).await;
    assert_eq!((history[0]["event"].as_str(), history[0]["status"].as_str()), (Some("test"), Some("failed")), "{history}");
}

#[tokio::test]
async fn alerts_reach_a_real_alertmanager() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(&config, "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n").expect("config");
    let port = free_port();
    let child = tokio::process::Command::new("/usr/bin/prometheus-alertmanager")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start prometheus-alertmanager");
    let _am = Child(child);
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while !reqwest::get(format!("{base}/-/ready")).await.is_ok_and(|r| r.status().is_success()) {
        assert!(start.elapsed() < Duration::from_secs(30), "Alertmanager did not get ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let s = common::server(fast_alerts).await;
    let api = s.api();
    let ns = "/api/v1/namespaces/default";
    api.post_ok(&format!("{ns}/alert-channels"), json!({"name": "am", "kind": "alertmanager", "config": {"url": base}}), 201).await;
    let test = api.post_ok(&format!("{ns}/alert-channels/am/test"), json!({}), 200).await;
    assert_eq!(test["delivered"], true, "{test}");
    let start = Instant::now();
    let alert = loop {
        let alerts: Value = reqwest::get(format!("{base}/api/v2/alerts")).await.expect("Alertmanager").json().await.expect("JSON");
        if let Some(a) = alerts.as_array().into_iter().flatten().find(|a| a["labels"]["source"] == "weir") {
            break a.clone();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "Alertmanager has no alert from Weir: {alerts}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(alert["labels"]["alertname"], "test");
    assert_eq!(alert["labels"]["namespace"], "default");
    assert_eq!(alert["labels"]["job"], "weir-test");
    assert_eq!(alert["status"]["state"], "active", "{alert}");
    assert!(alert["annotations"]["summary"].as_str().is_some_and(|s| s.contains("test message")), "{alert}");
}

#[tokio::test]
async fn the_alerts_api_checks_its_input_and_keeps_secrets() {
    let s = common::server(fast_alerts).await;
    let api = s.api();
    let ns = "/api/v1/namespaces/default";

    // Every namespace starts with the on-call basics, without channels.
    api.post_ok("/api/v1/namespaces", json!({"name": "fresh"}), 201).await;
    let rules = api.get("/api/v1/namespaces/fresh/alert-rules").await;
    let mut names: Vec<&str> = rules.as_array().expect("rules").iter().filter_map(|r| r["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["checkpoints-failing", "not-in-desired-state", "operation-failed", "restarting"], "{rules}");
    assert!(rules.as_array().into_iter().flatten().all(|r| r["channels"] == json!([]) && r["enabled"] == true));
    let defaults = api.get(&format!("{ns}/alert-rules")).await;
    assert_eq!(defaults.as_array().map(Vec::len), Some(4), "the migration gave `default` the same: {defaults}");

    // Channels: bad input is a 400 naming the problem; nothing is written.
    let bad: Vec<(Value, &str)> = vec![
        (json!({"name": "x", "kind": "pager", "config": {}}), "unknown channel kind 'pager'"),
        (json!({"name": "x", "kind": "webhook", "config": {"url": "not a url"}}), "http:// or https://"),
        (json!({"name": "x", "kind": "webhook", "config": {"url": "http://h", "extra": 1}}), "unknown field"),
        (json!({"name": "Bad Name", "kind": "webhook", "config": {"url": "http://h"}}), "invalid alert channel name"),
        (json!({"name": "x", "kind": "slack", "config": {}}), "needs the incoming webhook's url"),
        (json!({"name": "x", "kind": "email", "config": {"host": "h", "from": "nobody", "to": ["a@b.c"]}}), "not a mail address"),
    ];
    for (body, message) in bad {
        let (st, answer) = api.post(&format!("{ns}/alert-channels"), body.clone()).await;
        assert_eq!(st, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_request", "{answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains(message)), "{body}: {answer}");
    }
    assert_eq!(api.get(&format!("{ns}/alert-channels")).await, json!([]));

    let slack_url = "https://hooks.slack.com/services/T000/B000/XXXX";
    let slack = api.post_ok(&format!("{ns}/alert-channels"), json!({"name": "team-slack", "kind": "slack", "config": {"url": slack_url}}), 201).await;
    assert_eq!((slack["config"].clone(), slack["secret_set"].clone()), (json!({}), json!(true)));
    let (st, _) = api.post(&format!("{ns}/alert-channels"), json!({"name": "team-slack", "kind": "slack", "config": {"url": slack_url}})).await;
    assert_eq!(st, 409);
    let hook = api.post_ok(&format!("{ns}/alert-channels"), json!({"name": "hook", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/a", "secret": "s1"}}), 201).await;
    assert_eq!(hook["config"], json!({"url": "http://127.0.0.1:9/a"}));
    let (st, changed) = api.call(reqwest::Method::PATCH, &format!("{ns}/alert-channels/hook"), Some(json!({"config": {"url": "http://127.0.0.1:9/b"}}))).await;
    assert_eq!(st, 200, "{changed}");
    assert_eq!((changed["config"]["url"].as_str(), changed["secret_set"].as_bool()), (Some("http://127.0.0.1:9/b"), Some(true)), "the secret is kept");
    let listed = api.get(&format!("{ns}/alert-channels")).await.to_string();
    assert!(!listed.contains(slack_url) && !listed.contains("s1"), "no secret in any answer: {listed}");
    let (st, test) = api.post(&format!("{ns}/alert-channels/hook/test"), json!({})).await;
    assert_eq!((st, test["delivered"].as_bool()), (200, Some(false)), "nobody listens on port 9: {test}");
    let (st, _) = api.call(reqwest::Method::GET, &format!("{ns}/alert-channels/nope"), None).await;
    assert_eq!(st, 404);

    // Rules.
    let rule_bad: Vec<(Value, &str)> = vec![
        (json!({"name": "r", "condition": {"kind": "weather"}}), "unknown alert condition 'weather'"),
        (json!({"name": "r", "condition": {"kind": "lag"}}), "needs a threshold"),
        (json!({"name": "r", "condition": {"kind": "busy", "threshold": 3}}), "ratio"),
        (json!({"name": "r", "condition": {"kind": "not_desired_state", "threshold": 3}}), "takes no threshold"),
        (json!({"name": "r", "condition": {"kind": "restarts"}, "channels": ["nope"]}), "no alert channel 'nope'"),
        (json!({"name": "r", "condition": {"kind": "restarts"}, "job": "nope"}), "no job 'nope'"),
        (json!({"name": "r", "condition": {"kind": "restarts"}, "environment": "nope"}), "no environment named 'nope'"),
        (json!({"name": "r", "condition": {"kind": "restarts", "sometimes": true}}), "unknown field `sometimes`"),
    ];
    for (body, message) in rule_bad {
        let (st, answer) = api.post(&format!("{ns}/alert-rules"), body.clone()).await;
        // A body of the wrong shape is the JSON extractor's 422; a wrong value, the engine's 400.
        let want = if message.contains('`') { 422 } else { 400 };
        assert_eq!(st, want, "{body}: {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains(message)), "{body}: {answer}");
    }
    assert_eq!(api.get(&format!("{ns}/alert-rules")).await.as_array().map(Vec::len), Some(4), "nothing half-written");
    let lag = api
        .post_ok(&format!("{ns}/alert-rules"), json!({"name": "lagging", "condition": {"kind": "lag", "threshold": 1000, "for_s": 120}, "environment": "dev", "channels": ["hook", "team-slack"]}), 201)
        .await;
    assert_eq!(lag["summary"], "source lag above 1000 records for 120 s");
    assert_eq!(lag["channels"], json!(["hook", "team-slack"]));
    let (st, changed) = api.call(reqwest::Method::PATCH, &format!("{ns}/alert-rules/lagging"), Some(json!({"environment": null, "channels": ["hook"], "enabled": false}))).await;
    assert_eq!(st, 200, "{changed}");
    assert_eq!((changed["environment"].clone(), changed["channels"].clone(), changed["enabled"].clone()), (Value::Null, json!(["hook"]), json!(false)));
    assert_eq!(changed["condition"]["threshold"], 1000.0, "the condition stays: {changed}");
    let (st, _) = api.call(reqwest::Method::PATCH, &format!("{ns}/alert-rules/lagging"), Some(json!({"channels": ["gone"]}))).await;
    assert_eq!(st, 400);
    assert_eq!(api.get(&format!("{ns}/alert-rules/lagging")).await["channels"], json!(["hook"]), "a refused change writes nothing");
    let (st, _) = api.call(reqwest::Method::DELETE, &format!("{ns}/alert-channels/hook"), None).await;
    assert_eq!(st, 204);
    assert_eq!(api.get(&format!("{ns}/alert-rules/lagging")).await["channels"], json!([]), "a deleted channel leaves its rules");
    let (st, _) = api.call(reqwest::Method::DELETE, &format!("{ns}/alert-rules/lagging"), None).await;
    assert_eq!(st, 204);
    let (st, _) = api.call(reqwest::Method::DELETE, &format!("{ns}/alert-rules/lagging"), None).await;
    assert_eq!(st, 404);

    // Silences.
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let (st, answer) = api.post(&format!("{ns}/silences"), json!({"matchers": {"job": "j"}, "until": past})).await;
    assert_eq!(st, 400, "{answer}");
    let (st, _) = api.post(&format!("{ns}/silences"), json!({"matchers": {"host": "j"}, "until": chrono::Utc::now() + chrono::Duration::hours(1)})).await;
    assert_eq!(st, 422, "an unknown matcher");
    let (st, _) = api.post(&format!("{ns}/silences"), json!({"matchers": {"job": "Not A Name"}, "until": chrono::Utc::now() + chrono::Duration::hours(1)})).await;
    assert_eq!(st, 400);
    let silence = api
        .post_ok(&format!("{ns}/silences"), json!({"matchers": {"job": "j"}, "until": chrono::Utc::now() + chrono::Duration::hours(1), "comment": "deploying"}), 201)
        .await;
    assert_eq!(silence["created_by"], common::ADMIN);
    let id = silence["id"].as_i64().expect("id");
    assert_eq!(api.get(&format!("{ns}/silences")).await.as_array().map(Vec::len), Some(1));
    let (st, _) = api.call(reqwest::Method::DELETE, &format!("{ns}/silences/{id}"), None).await;
    assert_eq!(st, 204);
    let (st, _) = api.call(reqwest::Method::DELETE, &format!("{ns}/silences/{id}"), None).await;
    assert_eq!(st, 404);
    let (st, _) = api.call(reqwest::Method::DELETE, &format!("{ns}/silences/abc"), None).await;
    assert_eq!(st, 400);

    // A viewer reads but does not change; a stranger sees no alerts of others.
    let viewer = common::Api::new(&s.base).with_token(&s.user_with_role("watcher", Some(("default", "viewer"))).await);
    assert_eq!(viewer.get(&format!("{ns}/alert-rules")).await.as_array().map(Vec::len), Some(4));
    let (st, _) = viewer.post(&format!("{ns}/alert-rules"), json!({"name": "mine", "condition": {"kind": "restarts"}})).await;
    assert_eq!(st, 403);
    let (st, _) = viewer.post(&format!("{ns}/alert-channels/team-slack/test"), json!({})).await;
    assert_eq!(st, 403);
    assert_eq!(viewer.get("/api/v1/alerts").await, json!([]));
    let audit = api.get("/api/v1/audit?namespace=default").await;
    assert!(audit.as_array().into_iter().flatten().any(|a| a["action"] == "create-alert-rule"), "{audit}");
}

#[tokio::test]
async fn the_alert_store_on_sqlite_and_postgres() {
    use weir_engine::alerts::manage::{NewChannel, NewRule};
    use weir_engine::store::Insert;
    for db in common::databases().await {
        let store = db.store().await;
        let engine = weir_engine::Engine::new(store.clone(), Default::default()).expect("engine");
        let sys = Caller::system();
        let label = db.label;
        // The migration's default rules for `default`, and a new namespace's from the engine.
        assert_eq!(engine.list_alert_rules(&sys, "default").await.expect("rules").len(), 4, "[{label}]");
        let ns = engine
            .create_namespace(&sys, weir_engine::access::members::NewNamespace { name: "team".into(), owner: None })
            .await
            .expect("namespace");
        assert_eq!(engine.list_alert_rules(&sys, &ns.name).await.expect("rules").len(), 4, "[{label}]");
        let channel = NewChannel { name: "hook".into(), kind: "webhook".into(), config: json!({"url": "http://h/x", "secret": "k"}) };
        engine.create_alert_channel(&sys, "team", channel.clone()).await.expect("channel");
        assert!(matches!(engine.create_alert_channel(&sys, "team", channel).await, Err(weir_engine::EngineError::Conflict(_))), "[{label}]");
        let rule: NewRule = serde_json::from_value(json!({"name": "r", "condition": {"kind": "busy", "threshold": 0.9}, "channels": ["hook"]})).expect("rule");
        let created = engine.create_alert_rule(&sys, "team", rule.clone()).await.expect("rule");
        assert_eq!(created.channels, ["hook"], "[{label}]");
        assert!(matches!(engine.create_alert_rule(&sys, "team", rule).await, Err(weir_engine::EngineError::Conflict(_))), "[{label}]");
        let team = store.find_namespace("team").await.expect("query").expect("team");
        let raw = store.find_rule(team.id, "r").await.expect("query").expect("rule");
        let dup = weir_engine::store::alerts::RuleRow {
            name: "r".into(),
            condition: created.condition.clone(),
            job_id: None,
            environment_id: None,
            enabled: true,
            channel_ids: vec![],
        };
        assert_eq!(store.insert_rule(team.id, &dup).await.expect("insert"), Insert::Duplicate, "[{label}]");
        assert_eq!(store.rule_channels(vec![raw.id]).await.expect("links").len(), 1, "the refused insert left the links: [{label}]");
        // The evaluator's reads over many deployments work on both databases.
        assert!(store.latest_finished_operations(vec![1, 2, 3]).await.expect("latest operations").is_empty(), "[{label}]");
        assert!(store.recent_job_points(vec![1], vec![weir_model::metrics::MetricName::Restarts], 0).await.expect("points").is_empty());
        assert!(store.open_alerts(vec![1]).await.expect("alerts").is_empty());
        store.record_group(1, 1, weir_model::alerts::NotificationEvent::Firing, &[], chrono::Utc::now(), chrono::Utc::now()).await.expect_err(
            "a group needs a deployment (foreign key)",
        );
        assert!(engine.list_alerts(&sys).await.expect("alerts").is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn slack_gets_a_text_message_at_its_secret_url() {
    let (url, inbox) = receiver(StatusCode::OK).await;
    let s = common::server(fast_alerts).await;
    let api = s.api();
    let ns = "/api/v1/namespaces/default";
    let created = api.post_ok(&format!("{ns}/alert-channels"), json!({"name": "chat", "kind": "slack", "config": {"url": url}}), 201).await;
    assert!(!created.to_string().contains(&url), "the URL is the secret: {created}");
    let test = api.post_ok(&format!("{ns}/alert-channels/chat/test"), json!({}), 200).await;
    assert_eq!(test["delivered"], true, "{test}");
    let got = received(&inbox);
    assert_eq!(got.len(), 1, "{got:?}");
    let text = got[0].1["text"].as_str().expect("a text message");
    assert!(text.starts_with("[TEST] default/weir-test in -: test"), "{text}");
    assert!(text.contains("https://weir.example"), "{text}");
    assert!(got[0].0.is_none(), "Slack messages are not signed");
}
