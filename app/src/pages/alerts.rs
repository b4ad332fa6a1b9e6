//! `/alerts?ns=NS`: the alerts firing now in every namespace you read (each with a one-click "Silence 1 h"), those
//! resolved lately, and one namespace's silences, rules, channels and notification history, with the forms that
//! change them (owners): each rule and channel has an Edit form, filled with what it is now (a channel's secret
//! is never shown: left empty, the stored one is kept), and each rule a one-click Disable/Enable.
//! Without `ns`: `default` when you have a role there, else your first namespace.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use weir_model::alerts::{Alert, AlertChannel, AlertConditionKind, AlertNotification, AlertRule, AlertState, ChannelKind, DeliveryStatus, Silence, SmtpTls};

use crate::components::{when, ErrorBox, NamespacePicker};
use crate::server_fns::{
    get_alert_settings, list_alerts, list_namespaces, CreateAlertChannel, CreateAlertRule, CreateSilence, DeleteAlertChannel,
    DeleteAlertRule, DeleteSilence, SetAlertRuleEnabled, TestAlertChannel, UpdateAlertChannel, UpdateAlertRule,
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
    let edit_rule = ServerAction::<UpdateAlertRule>::new();
    let toggle_rule = ServerAction::<SetAlertRuleEnabled>::new();
    let drop_rule = ServerAction::<DeleteAlertRule>::new();
    let new_channel = ServerAction::<CreateAlertChannel>::new();
    let edit_channel = ServerAction::<UpdateAlertChannel>::new();
    let drop_channel = ServerAction::<DeleteAlertChannel>::new();
    let test = ServerAction::<TestAlertChannel>::new();
    let rule_actions = RuleActions { create: new_rule, edit: edit_rule, toggle: toggle_rule, delete: drop_rule };
    let channel_actions = ChannelActions { create: new_channel, edit: edit_channel, delete: drop_channel, test };
    let settings = Resource::new(
        move || {
            (
                namespace.get(),
                silence.version().get(),
                unsilence.version().get(),
                (new_rule.version().get(), edit_rule.version().get(), toggle_rule.version().get(), drop_rule.version().get()),
                (new_channel.version().get(), edit_channel.version().get(), drop_channel.version().get()),
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
                        <Rules ns=ns.clone() rules=s.rules actions=rule_actions/>
                        <Channels ns=ns channels=s.channels actions=channel_actions/>
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

/// What the rules' forms do.
#[derive(Clone, Copy)]
struct RuleActions {
    create: ServerAction<CreateAlertRule>,
    edit: ServerAction<UpdateAlertRule>,
    toggle: ServerAction<SetAlertRuleEnabled>,
    delete: ServerAction<DeleteAlertRule>,
}

/// The condition kinds as options, `current` selected.
fn condition_options(current: Option<AlertConditionKind>) -> impl IntoView {
    AlertConditionKind::ALL
        .iter()
        .map(|k| view! { <option value=k.as_str() selected={Some(*k) == current}>{k.as_str()}</option> })
        .collect_view()
}

/// Closes an Edit panel once its form's change is saved (a refused one stays open, its error below the table).
fn close_when_saved<T, E>(panel: NodeRef<leptos::html::Details>, saved: impl Fn() -> Option<Result<T, E>> + 'static) {
    Effect::new(move |_| {
        if matches!(saved(), Some(Ok(_))) {
            if let Some(details) = panel.get_untracked() {
                details.set_open(false);
            }
        }
    });
}

/// A rule's Edit form, filled with what it is now (every field is sent: what is emptied goes back to the
/// kind's default, or to every job or environment).
#[component]
fn EditRule(ns: String, rule: AlertRule, edit: ServerAction<UpdateAlertRule>) -> impl IntoView {
    let c = rule.condition.clone();
    let panel = NodeRef::<leptos::html::Details>::new();
    close_when_saved(panel, move || edit.value().get());
    let (for_s, threshold, window_s) =
        (c.for_s.to_string(), c.threshold.map(|t| t.to_string()).unwrap_or_default(), c.window_s.map(|w| w.to_string()).unwrap_or_default());
    view! {
        <details class="row-edit" node_ref=panel>
            <summary class="button small" data-test="edit-rule-open">"Edit"</summary>
            <ActionForm action=edit attr:class="inline-form" attr:data-test="edit-rule">
                <input type="hidden" name="ns" value=ns/>
                <input type="hidden" name="name" value=rule.name.clone()/>
                <label>"Condition" <select name="kind">{condition_options(Some(c.kind))}</select></label>
                <label>"For (s)" <input name="for_s" size="5" value=for_s placeholder="default"/></label>
                <label>"Threshold" <input name="threshold" size="6" value=threshold placeholder="default"/></label>
                <label>"Window (s)" <input name="window_s" size="6" value=window_s placeholder="default"/></label>
                <label>"Job" <input name="job" value=rule.job.clone().unwrap_or_default() placeholder="every job"/></label>
                <label>"Environment" <input name="environment" value=rule.environment.clone().unwrap_or_default() placeholder="every environment"/></label>
                <label class="grow">"Channels" <input name="channels" value=rule.channels.join(", ") placeholder="comma separated"/></label>
                <button class="button primary" type="submit">"Save rule"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn Rules(ns: String, rules: Vec<AlertRule>, actions: RuleActions) -> impl IntoView {
    let RuleActions { create, edit, toggle, delete } = actions;
    let rows = rules
        .into_iter()
        .map(|r| {
            let scope = match (&r.job, &r.environment) {
                (None, None) => "every deployment".to_owned(),
                (j, e) => format!("{} in {}", j.as_deref().unwrap_or("every job"), e.as_deref().unwrap_or("every environment")),
            };
            let channels = if r.channels.is_empty() { "(shown in Weir only)".to_owned() } else { r.channels.join(", ") };
            let (ns, name) = (ns.clone(), r.name.clone());
            let (edit_ns, toggle_ns, toggle_name) = (ns.clone(), ns.clone(), name.clone());
            let (toggle_to, toggle_word) = if r.enabled { ("false", "Disable") } else { ("true", "Enable") };
            view! {
                <tr data-rule=r.name.clone()>
                    <td>{r.name.clone()} {(!r.enabled).then(|| view! { " " <span class="badge" data-test="disabled">"disabled"</span> })}</td>
                    <td>{r.condition.kind.as_str()}</td>
                    <td data-test="meaning">{r.summary.clone()}</td>
                    <td>{scope}</td>
                    <td>{channels}</td>
                    <td class="actions">
                        <EditRule ns=edit_ns rule=r.clone() edit=edit/>
                        <ActionForm action=toggle attr:data-test="toggle-rule">
                            <input type="hidden" name="ns" value=toggle_ns/>
                            <input type="hidden" name="name" value=toggle_name/>
                            <input type="hidden" name="enabled" value=toggle_to/>
                            <button class="button small" type="submit">{toggle_word}</button>
                        </ActionForm>
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
    let kinds = condition_options(None);
    view! {
        <section class="card" data-test="rules">
            <h2>"Rules"</h2>
            <table class="table" data-test="rule-list">
                <thead><tr><th>"Rule"</th><th>"Condition"</th><th>"Meaning"</th><th>"Scope"</th><th>"Channels"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {move || first_error([
                edit.value().get().and_then(|r| r.err()),
                toggle.value().get().and_then(|r| r.err()),
                delete.value().get().and_then(|r| r.err()),
            ])}
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

/// What the channels' forms do.
#[derive(Clone, Copy)]
struct ChannelActions {
    create: ServerAction<CreateAlertChannel>,
    edit: ServerAction<UpdateAlertChannel>,
    delete: ServerAction<DeleteAlertChannel>,
    test: ServerAction<TestAlertChannel>,
}

/// The SMTP security choices as options, `current` selected (none: the default).
fn tls_options(current: Option<SmtpTls>) -> impl IntoView {
    SmtpTls::ALL.iter().map(|t| view! { <option value=t.as_str() selected={Some(*t) == current}>{t.as_str()}</option> }).collect_view()
}

/// A channel's Edit form, filled with its settings; its secret (a webhook's signing secret, a Slack URL, an
/// SMTP password) is write-only: left empty, the stored one is kept.
#[component]
fn EditChannel(ns: String, channel: AlertChannel, edit: ServerAction<UpdateAlertChannel>) -> impl IntoView {
    let field = |k: &str| channel.config.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).unwrap_or_default();
    let keep = if channel.secret_set { "unchanged when empty" } else { "none" };
    let panel = NodeRef::<leptos::html::Details>::new();
    close_when_saved(panel, move || edit.value().get());
    let fields = match channel.kind {
        ChannelKind::Webhook => view! {
            <label class="grow">"URL" <input name="url" required value=field("url")/></label>
            <label>"Signing secret" <input name="secret" type="password" autocomplete="new-password" placeholder=keep/></label>
        }
        .into_any(),
        ChannelKind::Slack => view! {
            <label class="grow">"Incoming webhook URL (write-only)" <input name="url" type="password" autocomplete="new-password" placeholder=keep/></label>
        }
        .into_any(),
        ChannelKind::Alertmanager => view! {
            <label class="grow">"URL" <input name="url" required value=field("url")/></label>
        }
        .into_any(),
        ChannelKind::Email => {
            let to = channel.config.get("to").and_then(|t| t.as_array()).map(|a| {
                a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
            });
            let tls = field("tls").parse::<SmtpTls>().ok();
            view! {
                <label>"SMTP host" <input name="host" required value=field("host")/></label>
                <label>"Port" <input name="port" size="5" value=field("port") placeholder="587"/></label>
                <label>"Security" <select name="tls"><option value="">"default"</option>{tls_options(tls)}</select></label>
                <label>"Username" <input name="username" value=field("username")/></label>
                <label>"Password" <input name="secret" type="password" autocomplete="new-password" placeholder=keep/></label>
                <label>"From" <input name="from" required value=field("from")/></label>
                <label class="grow">"To" <input name="to" required value=to.unwrap_or_default() placeholder="comma separated"/></label>
                <label class="wide">"CA certificate (PEM, for a private server)"
                    <textarea name="ca_pem" rows="3" placeholder="-----BEGIN CERTIFICATE-----">{field("ca_pem")}</textarea>
                </label>
            }
            .into_any()
        }
    };
    view! {
        <details class="row-edit" node_ref=panel>
            <summary class="button small" data-test="edit-channel-open">"Edit"</summary>
            <ActionForm action=edit attr:class="inline-form" attr:data-test="edit-channel">
                <input type="hidden" name="ns" value=ns/>
                <input type="hidden" name="name" value=channel.name.clone()/>
                <input type="hidden" name="kind" value=channel.kind.as_str()/>
                {fields}
                <button class="button primary" type="submit">"Save channel"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn Channels(ns: String, channels: Vec<AlertChannel>, actions: ChannelActions) -> impl IntoView {
    let ChannelActions { create, edit, delete, test } = actions;
    let rows = channels
        .into_iter()
        .map(|c| {
            let (ns1, ns2, name1, name2) = (ns.clone(), ns.clone(), c.name.clone(), c.name.clone());
            view! {
                <tr data-channel=c.name.clone()>
                    <td>{c.name.clone()}</td>
                    <td>{c.kind.as_str()}</td>
                    <td class="small" data-test="settings">{settings_text(&c.config)}</td>
                    <td data-test="secret">{if c.secret_set { "set (hidden)" } else { "none" }}</td>
                    <td class="actions">
                        <EditChannel ns=ns.clone() channel=c.clone() edit=edit/>
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
    let tls = tls_options(None);
    view! {
        <section class="card" data-test="channels">
            <h2>"Channels"</h2>
            <table class="table" data-test="channel-list">
                <thead><tr><th>"Channel"</th><th>"Kind"</th><th>"Settings"</th><th>"Secret"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {tested}
            {move || first_error([edit.value().get().and_then(|r| r.err()), delete.value().get().and_then(|r| r.err())])}
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
                    <label class="wide">"CA certificate (PEM, for a private server)"
                        <textarea name="ca_pem" rows="2" placeholder="-----BEGIN CERTIFICATE-----"></textarea>
                    </label>
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
