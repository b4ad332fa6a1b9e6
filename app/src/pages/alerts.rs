//! `/alerts?ns=NS`: the alerts firing now in every namespace you read (each with a one-click "Silence 1 h"), those
//! resolved lately, and one namespace's silences, rules, channels and notification history, with the forms that
//! change them (owners). Without `ns`: `default` when you have a role there, else your first namespace.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use weir_model::alerts::{Alert, AlertChannel, AlertConditionKind, AlertNotification, AlertRule, AlertState, ChannelKind, DeliveryStatus, Silence, SmtpTls};

use crate::components::{when, ErrorBox, NamespacePicker};
use crate::server_fns::{
    get_alert_settings, list_alerts, list_namespaces, CreateAlertChannel, CreateAlertRule, CreateSilence, DeleteAlertChannel,
    DeleteAlertRule, DeleteSilence, TestAlertChannel,
};

/// The namespace shown: the one asked for, else `default` when visible, else the first visible one.
fn pick(asked: Option<String>, visible: &[weir_model::Namespace]) -> String {
    asked.filter(|a| !a.is_empty()).unwrap_or_else(|| {
        visible
            .iter()
            .find(|n| n.name == "default")
            .or_else(|| visible.first())
            .map(|n| n.name.clone())
            .unwrap_or_else(|| "default".into())
    })
}

/// The first failure among some actions' last answers, shown in place.
fn first_error(errors: impl IntoIterator<Item = Option<ServerFnError>>) -> Option<impl IntoView> {
    errors.into_iter().flatten().next().map(|e| view! { <ErrorBox message=e.to_string()/> })
}

#[component]
pub fn Alerts() -> impl IntoView {
    let query = use_query_map();
    let namespaces = Resource::new(|| (), |_| list_namespaces());
    let namespace = Memo::new(move |_| {
        let visible = namespaces.get().and_then(|r| r.ok()).unwrap_or_default();
        pick(query.read().get("ns"), &visible)
    });
    let silence = ServerAction::<CreateSilence>::new();
    let unsilence = ServerAction::<DeleteSilence>::new();
    let alerts = Resource::new(move || (silence.version().get(), unsilence.version().get()), |_| list_alerts());

    view! {
        <header class="page-head">
            <h1>"Alerts"</h1>
            <Transition fallback=|| ()>
                {move || namespaces.get().and_then(|r| r.ok()).map(|list| {
                    let names = list.into_iter().map(|n| n.name).collect();
                    view! { <NamespacePicker action="/alerts" names=names current=namespace.get() label="Namespace "/> }
                })}
            </Transition>
        </header>
        <Transition fallback=|| view! { <p class="muted">"Loading alerts…"</p> }>
            {move || alerts.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(list) => {
                    let (open, resolved): (Vec<Alert>, Vec<Alert>) =
                        list.into_iter().partition(|a| a.state != AlertState::Resolved);
                    view! {
                        <FiringNow alerts=open silence=silence/>
                        <Recent alerts=resolved/>
                    }.into_any()
                }
            })}
        </Transition>
        <NamespaceAlerts namespace=namespace silence=silence unsilence=unsilence/>
    }
}

#[component]
fn FiringNow(alerts: Vec<Alert>, silence: ServerAction<CreateSilence>) -> impl IntoView {
    let body = if alerts.is_empty() {
        view! { <p class="muted" data-test="nothing-firing">"Nothing is firing."</p> }.into_any()
    } else {
        let rows = alerts
            .into_iter()
            .map(|a| {
                let (class, word) = match a.state {
                    AlertState::Firing => ("badge bad", "firing"),
                    _ => ("badge warn", "pending"),
                };
                let href = format!("/jobs/{}/{}", a.namespace, a.job);
                let since = when(a.fired_at.unwrap_or(a.started_at));
                let key = format!("{}/{}/{}/{}", a.namespace, a.job, a.environment, a.rule);
                let (ns, job, env) = (a.namespace.clone(), a.job.clone(), a.environment.clone());
                view! {
                    <tr data-alert=key>
                        <td><span class=class>{word}</span>
                            {a.silenced.then(|| view! { " " <span class="badge" data-test="silenced">"silenced"</span> })}
                        </td>
                        <td>{a.namespace.clone()}</td>
                        <td><a href=href>{a.job.clone()}</a></td>
                        <td>{a.environment.clone()}</td>
                        <td>{a.rule.clone()} <div class="muted small">{a.summary.clone()}</div></td>
                        <td>{since}</td>
                        <td>{a.value.clone()}</td>
                        <td>
                            <ActionForm action=silence attr:data-test="silence-1h">
                                <input type="hidden" name="ns" value=ns/>
                                <input type="hidden" name="job" value=job/>
                                <input type="hidden" name="environment" value=env/>
                                <input type="hidden" name="hours" value="1"/>
                                <input type="hidden" name="comment" value="silenced from the Alerts page"/>
                                <button class="button small" type="submit">"Silence 1 h"</button>
                            </ActionForm>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table" data-test="firing">
                <thead><tr><th>"State"</th><th>"Namespace"</th><th>"Job"</th><th>"Environment"</th><th>"Rule"</th><th>"Since"</th><th>"Value"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="card" data-test="firing-now">
            <h2>"Firing now"</h2>
            {body}
        </section>
    }
}

#[component]
fn Recent(alerts: Vec<Alert>) -> impl IntoView {
    let body = if alerts.is_empty() {
        view! { <p class="muted">"Nothing resolved in the last day."</p> }.into_any()
    } else {
        let rows = alerts
            .into_iter()
            .map(|a| {
                let href = format!("/jobs/{}/{}", a.namespace, a.job);
                view! {
                    <tr>
                        <td>{a.namespace.clone()}</td>
                        <td><a href=href>{a.job.clone()}</a></td>
                        <td>{a.environment.clone()}</td>
                        <td>{a.rule.clone()}</td>
                        <td>{when(a.fired_at.unwrap_or(a.started_at))}</td>
                        <td>{a.resolved_at.map(when)}</td>
                        <td>{a.value.clone()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table" data-test="recent">
                <thead><tr><th>"Namespace"</th><th>"Job"</th><th>"Environment"</th><th>"Rule"</th><th>"Fired"</th><th>"Resolved"</th><th>"Value"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="card" data-test="recent-alerts">
            <h2>"Recent"</h2>
            {body}
        </section>
    }
}

#[component]
fn NamespaceAlerts(
    namespace: Memo<String>,
    silence: ServerAction<CreateSilence>,
    unsilence: ServerAction<DeleteSilence>,
) -> impl IntoView {
    let new_rule = ServerAction::<CreateAlertRule>::new();
    let drop_rule = ServerAction::<DeleteAlertRule>::new();
    let new_channel = ServerAction::<CreateAlertChannel>::new();
    let drop_channel = ServerAction::<DeleteAlertChannel>::new();
    let test = ServerAction::<TestAlertChannel>::new();
    let settings = Resource::new(
        move || {
            (
                namespace.get(),
                silence.version().get(),
                unsilence.version().get(),
                new_rule.version().get(),
                drop_rule.version().get(),
                new_channel.version().get(),
                drop_channel.version().get(),
                test.version().get(),
            )
        },
        |(ns, ..)| get_alert_settings(ns),
    );
    view! {
        <h2 class="section-title">"Namespace " {move || namespace.get()}</h2>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || settings.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(s) => {
                    let ns = namespace.get();
                    view! {
                        <Silences ns=ns.clone() silences=s.silences unsilence=unsilence silence=silence/>
                        <Rules ns=ns.clone() rules=s.rules create=new_rule delete=drop_rule/>
                        <Channels ns=ns channels=s.channels create=new_channel delete=drop_channel test=test/>
                        <History history=s.history/>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn Silences(
    ns: String,
    silences: Vec<Silence>,
    silence: ServerAction<CreateSilence>,
    unsilence: ServerAction<DeleteSilence>,
) -> impl IntoView {
    let rows = silences
        .into_iter()
        .filter(|s| s.active)
        .map(|s| {
            let m = &s.matchers;
            let matches = [("job", &m.job), ("environment", &m.environment), ("rule", &m.rule)]
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
                .collect::<Vec<_>>()
                .join(", ");
            let matches = if matches.is_empty() { "everything in the namespace".to_owned() } else { matches };
            let ns = ns.clone();
            view! {
                <tr data-silence=s.id.to_string()>
                    <td>{matches}</td>
                    <td>{when(s.until)}</td>
                    <td>{s.comment.clone()}</td>
                    <td>{s.created_by.clone()}</td>
                    <td>
                        <ActionForm action=unsilence attr:data-test="delete-silence">
                            <input type="hidden" name="ns" value=ns/>
                            <input type="hidden" name="id" value=s.id.to_string()/>
                            <button class="button small danger" type="submit">"End"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-test="silences">
            <h2>"Silences"</h2>
            <p class="muted small">"Silenced alerts still show here, but send nothing until the silence ends."</p>
            <table class="table" data-test="silence-list">
                <thead><tr><th>"Matches"</th><th>"Until"</th><th>"Comment"</th><th>"By"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <ActionForm action=silence attr:class="inline-form" attr:data-test="create-silence">
                <input type="hidden" name="ns" value=ns.clone()/>
                <label>"Job" <input name="job" placeholder="any"/></label>
                <label>"Environment" <input name="environment" placeholder="any"/></label>
                <label>"Rule" <input name="rule" placeholder="any"/></label>
                <label>"Hours" <input name="hours" value="1" size="4"/></label>
                <label class="grow">"Comment" <input name="comment" placeholder="Why"/></label>
                <button class="button primary" type="submit">"Silence"</button>
            </ActionForm>
            {move || first_error([unsilence.value().get().and_then(|r| r.err()), silence.value().get().and_then(|r| r.err())])}
        </section>
    }
}

#[component]
fn Rules(
    ns: String,
    rules: Vec<AlertRule>,
    create: ServerAction<CreateAlertRule>,
    delete: ServerAction<DeleteAlertRule>,
) -> impl IntoView {
    let rows = rules
        .into_iter()
        .map(|r| {
            let scope = match (&r.job, &r.environment) {
                (None, None) => "every deployment".to_owned(),
                (j, e) => format!("{} in {}", j.as_deref().unwrap_or("every job"), e.as_deref().unwrap_or("every environment")),
            };
            let channels = if r.channels.is_empty() { "(shown in Weir only)".to_owned() } else { r.channels.join(", ") };
            let (ns, name) = (ns.clone(), r.name.clone());
            view! {
                <tr data-rule=r.name.clone()>
                    <td>{r.name.clone()} {(!r.enabled).then(|| view! { " " <span class="badge">"disabled"</span> })}</td>
                    <td>{r.condition.kind.as_str()}</td>
                    <td>{r.summary.clone()}</td>
                    <td>{scope}</td>
                    <td>{channels}</td>
                    <td>
                        <ActionForm action=delete attr:data-test="delete-rule">
                            <input type="hidden" name="ns" value=ns/>
                            <input type="hidden" name="name" value=name/>
                            <button class="button small danger" type="submit">"Delete"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let kinds = AlertConditionKind::ALL
        .iter()
        .map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> })
        .collect_view();
    view! {
        <section class="card" data-test="rules">
            <h2>"Rules"</h2>
            <table class="table" data-test="rule-list">
                <thead><tr><th>"Rule"</th><th>"Condition"</th><th>"Meaning"</th><th>"Scope"</th><th>"Channels"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {move || first_error([delete.value().get().and_then(|r| r.err())])}
            <h3>"New rule"</h3>
            <ActionForm action=create attr:class="inline-form" attr:data-test="create-rule">
                <input type="hidden" name="ns" value=ns.clone()/>
                <label>"Name" <input name="name" required placeholder="too-many-restarts"/></label>
                <label>"Condition" <select name="kind">{kinds}</select></label>
                <label>"For (s)" <input name="for_s" size="5" placeholder="default"/></label>
                <label>"Threshold" <input name="threshold" size="6" placeholder="default"/></label>
                <label>"Window (s)" <input name="window_s" size="6" placeholder="default"/></label>
                <label>"Job" <input name="job" placeholder="every job"/></label>
                <label>"Environment" <input name="environment" placeholder="every environment"/></label>
                <label class="grow">"Channels" <input name="channels" placeholder="comma separated"/></label>
                <button class="button primary" type="submit">"Create rule"</button>
            </ActionForm>
            {move || first_error([create.value().get().and_then(|r| r.err())])}
        </section>
    }
    .into_any()
}

/// A channel's settings in words (`key: value`, secrets are never among them).
fn settings_text(config: &serde_json::Value) -> String {
    match config {
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                serde_json::Value::Array(a) => {
                    format!("{k}: {}", a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect::<Vec<_>>().join(", "))
                }
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        _ => String::new(),
    }
}

#[component]
fn Channels(
    ns: String,
    channels: Vec<AlertChannel>,
    create: ServerAction<CreateAlertChannel>,
    delete: ServerAction<DeleteAlertChannel>,
    test: ServerAction<TestAlertChannel>,
) -> impl IntoView {
    let rows = channels
        .into_iter()
        .map(|c| {
            let (ns1, ns2, name1, name2) = (ns.clone(), ns.clone(), c.name.clone(), c.name.clone());
            view! {
                <tr data-channel=c.name.clone()>
                    <td>{c.name.clone()}</td>
                    <td>{c.kind.as_str()}</td>
                    <td class="small">{settings_text(&c.config)}</td>
                    <td data-test="secret">{if c.secret_set { "set (hidden)" } else { "none" }}</td>
                    <td class="actions">
                        <ActionForm action=test attr:data-test="test-channel">
                            <input type="hidden" name="ns" value=ns1/>
                            <input type="hidden" name="name" value=name1/>
                            <button class="button small" type="submit">"Send test"</button>
                        </ActionForm>
                        <ActionForm action=delete attr:data-test="delete-channel">
                            <input type="hidden" name="ns" value=ns2/>
                            <input type="hidden" name="name" value=name2/>
                            <button class="button small danger" type="submit">"Delete"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let tested = move || {
        test.value().get().map(|r| match r {
            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
            Ok(t) if t.delivered => {
                view! { <p class="muted" data-test="test-result">"Test delivered (" {t.attempts} " attempts)."</p> }.into_any()
            }
            Ok(t) => view! {
                <ErrorBox message=format!("The test was not delivered ({} attempts): {}", t.attempts, t.error.unwrap_or_default())/>
            }
            .into_any(),
        })
    };
    let kinds = ChannelKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> }).collect_view();
    let tls = SmtpTls::ALL.iter().map(|t| view! { <option value=t.as_str()>{t.as_str()}</option> }).collect_view();
    view! {
        <section class="card" data-test="channels">
            <h2>"Channels"</h2>
            <table class="table" data-test="channel-list">
                <thead><tr><th>"Channel"</th><th>"Kind"</th><th>"Settings"</th><th>"Secret"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {tested}
            {move || first_error([delete.value().get().and_then(|r| r.err())])}
            <h3>"New channel"</h3>
            <ActionForm action=create attr:class="channel-form" attr:data-test="create-channel">
                <input type="hidden" name="ns" value=ns.clone()/>
                <div class="inline-form">
                    <label>"Name" <input name="name" required placeholder="ops-hook"/></label>
                    <label>"Kind" <select name="kind">{kinds}</select></label>
                    <label class="grow">"URL (webhook, Slack, Alertmanager)" <input name="url" placeholder="https://…"/></label>
                    <label>"Secret or SMTP password" <input name="secret" type="password" autocomplete="new-password" placeholder="write-only"/></label>
                </div>
                <fieldset class="inline-form">
                    <legend class="muted small">"Email only"</legend>
                    <label>"SMTP host" <input name="host"/></label>
                    <label>"Port" <input name="port" size="5" placeholder="587"/></label>
                    <label>"Security" <select name="tls"><option value="">"default"</option>{tls}</select></label>
                    <label>"Username" <input name="username"/></label>
                    <label>"From" <input name="from" placeholder="weir@example.com"/></label>
                    <label class="grow">"To" <input name="to" placeholder="comma separated"/></label>
                </fieldset>
                <button class="button primary" type="submit">"Create channel"</button>
            </ActionForm>
            {move || first_error([create.value().get().and_then(|r| r.err())])}
        </section>
    }
    .into_any()
}

#[component]
fn History(history: Vec<AlertNotification>) -> impl IntoView {
    let empty = history.is_empty();
    let rows = history
        .into_iter()
        .map(|n| {
            let status = match n.status {
                DeliveryStatus::Sent => "badge ok",
                DeliveryStatus::Failed => "badge bad",
                DeliveryStatus::Sending => "badge warn",
            };
            let deployment = match (&n.job, &n.environment) {
                (Some(j), Some(e)) => format!("{j} in {e}"),
                _ => String::new(),
            };
            view! {
                <tr>
                    <td>{when(n.created_at)}</td>
                    <td>{n.channel.clone()} <span class="muted small">" (" {n.channel_kind.as_str()} ")"</span></td>
                    <td>{n.event.as_str()}</td>
                    <td>{deployment}</td>
                    <td><span class=status>{n.status.as_str()}</span></td>
                    <td>{n.attempts}</td>
                    <td class="small">{n.error.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = empty.then(|| view! { <p class="muted">"No notification was sent yet."</p> });
    view! {
        <section class="card" data-test="history">
            <h2>"Notification history"</h2>
            <table class="table" data-test="history-list">
                <thead><tr><th>"When"</th><th>"Channel"</th><th>"Event"</th><th>"Deployment"</th><th>"Delivery"</th><th>"Attempts"</th><th>"Error"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {empty}
        </section>
    }
    .into_any()
}
