//! `/admin/emails`: the outbox. `/admin/emails/{id}`: one message as the shopper gets it, and
//! "Send again".

use super::SignInForm;
use crate::api::admin::{admin_email, admin_emails, admin_signed_in, ResendEmail, SignIn};
use crate::components::hydrated::use_hydrated;
use crate::components::notice::ErrorAlert;
use crate::domain::calendar::day;
use crate::model::emails::{EmailDetail, EmailRow, EmailStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn status_class(status: EmailStatus) -> &'static str {
    match status {
        EmailStatus::Pending => "badge badge-pending",
        EmailStatus::Sent => "badge badge-paid",
        EmailStatus::Failed => "badge badge-failed",
    }
}

/// Said wherever emails are shown while no SMTP server is configured.
#[component]
fn NotSentNotice(smtp_configured: bool) -> impl IntoView {
    (!smtp_configured).then(|| view! {
        <p class="alert alert-info" data-testid="smtp-off">
            "No SMTP server is configured (SMTP_URL, MAIL_FROM), so emails are kept here instead of sent. "
            "Each one shows exactly what the shopper would receive."
        </p>
    })
}

#[component]
fn EmailTable(emails: Vec<EmailRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table data-testid="emails">
                <thead><tr>
                    <th scope="col">"Queued"</th><th scope="col">"To"</th><th scope="col">"Subject"</th>
                    <th scope="col">"Status"</th><th scope="col">"Attempts"</th><th scope="col">"Last error"</th>
                </tr></thead>
                <tbody>
                    {emails.into_iter().map(|e| view! {
                        <tr data-testid="email-row">
                            <td>{day(e.created_at)}</td>
                            <td>{e.recipient}</td>
                            <td><a href=format!("/admin/emails/{}", e.id)>{e.subject}</a></td>
                            <td><span class=status_class(e.status) data-testid="email-status">{e.status.label()}</span></td>
                            <td>{e.attempts}</td>
                            <td class="muted">{e.last_error.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn AdminEmailsPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let signed_in = Resource::new(move || sign_in.version().get(), |_| admin_signed_in());
    let emails = Resource::new(move || sign_in.version().get(), |_| admin_emails(None));
    view! {
        <Title text="Emails · Admin"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (signed_in.await, emails.await) {
                    (Ok(true), Ok(page)) => view! {
                        <div class="admin-head">
                            <h1>"Emails"</h1>
                            <nav class="admin-nav" aria-label="Admin"><a href="/admin">"Orders"</a></nav>
                        </div>
                        <NotSentNotice smtp_configured=page.smtp_configured/>
                        {if page.emails.is_empty() {
                            view! { <p class="muted">"No emails yet: receipts are queued when orders are paid."</p> }.into_any()
                        } else {
                            view! { <EmailTable emails=page.emails/> }.into_any()
                        }}
                    }.into_any(),
                    (Ok(false), _) => view! { <SignInForm action=sign_in/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminEmailPage() -> impl IntoView {
    let params = use_params_map();
    let sign_in = ServerAction::<SignIn>::new();
    let resend = ServerAction::<ResendEmail>::new();
    let signed_in = Resource::new(move || sign_in.version().get(), |_| admin_signed_in());
    let email = Resource::new(
        move || {
            (
                params
                    .read()
                    .get("id")
                    .and_then(|id| id.parse::<i64>().ok()),
                sign_in.version().get(),
            )
        },
        |(id, _)| async move {
            match id {
                Some(id) => admin_email(id).await,
                None => Ok(None),
            }
        },
    );
    view! {
        <Title text="Email · Admin"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (signed_in.await, email.await) {
                    (Ok(true), Ok(Some(detail))) => view! { <EmailView detail resend/> }.into_any(),
                    (Ok(true), Ok(None)) => view! { <ErrorAlert message="That email is not in the outbox.".to_string()/> }.into_any(),
                    (Ok(false), _) => view! { <SignInForm action=sign_in/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EmailView(detail: EmailDetail, resend: ServerAction<ResendEmail>) -> impl IntoView {
    let hydrated = use_hydrated();
    let row = detail.row;
    let id = row.id;
    view! {
        <div class="admin-head">
            <h1>{row.subject.clone()}</h1>
            <nav class="admin-nav" aria-label="Admin">
                <a href="/admin/emails">"All emails"</a>
                {row.order_id.clone().map(|o| view! { <a href=format!("/admin/orders/{o}")>"The order"</a> })}
            </nav>
        </div>
        <NotSentNotice smtp_configured=detail.smtp_configured/>
        <dl class="admin-facts">
            <div><dt>"From"</dt><dd>{detail.from}</dd></div>
            <div><dt>"To"</dt><dd data-testid="email-to">{row.recipient}</dd></div>
            <div><dt>"Status"</dt><dd><span class=status_class(row.status) data-testid="email-status">{row.status.label()}</span></dd></div>
            <div><dt>"Attempts"</dt><dd>{row.attempts}</dd></div>
            {row.last_error.map(|e| view! { <div><dt>"Last error"</dt><dd>{e}</dd></div> })}
        </dl>
        <h2>"Message"</h2>
        <pre class="email-text" data-testid="email-text">{detail.text}</pre>
        <h2>"Links in this message"</h2>
        <ul data-testid="email-links">
            {detail.links.into_iter().map(|l| view! { <li><a href=l.clone()>{l.clone()}</a></li> }).collect_view()}
        </ul>
        <details>
            <summary>"HTML version (source)"</summary>
            <pre class="email-text">{detail.html}</pre>
        </details>
        <button class="btn btn-secondary" data-testid="resend"
            disabled=move || !hydrated.get() || resend.pending().get()
            on:click=move |_| { resend.dispatch(ResendEmail { id }); }>
            "Send again"
        </button>
        {move || resend.value().get().map(|r| match r {
            Ok(new_id) => view! { <p class="alert alert-success" role="status">"Queued again: " <a href=format!("/admin/emails/{new_id}")>"the new email"</a></p> }.into_any(),
            Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
        })}
    }
}

/// The emails of one order, on the admin's order page.
#[component]
pub fn OrderEmails(order_id: String) -> impl IntoView {
    let emails = Resource::new(move || order_id.clone(), |id| admin_emails(Some(id)));
    view! {
        <h2>"Emails"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match emails.await {
                    Ok(page) if page.emails.is_empty() => view! { <p class="muted">"None yet."</p> }.into_any(),
                    Ok(page) => view! { <NotSentNotice smtp_configured=page.smtp_configured/><EmailTable emails=page.emails/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
