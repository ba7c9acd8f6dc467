//! The admin's Emails page: the outbox, each message rendered exactly as it is (or would be) sent.

use crate::error::AppError;
use crate::model::emails::{EmailDetail, EmailRow, EmailsPage};
use crate::server::db::{self, OutboxEmail};
use crate::server::AppState;

const PAGE: i64 = 200;

fn row(state: &AppState, email: &OutboxEmail) -> EmailRow {
    EmailRow {
        id: email.id,
        order_id: email.order_id.clone(),
        recipient: email.recipient.clone(),
        subject: state.mailer.render(email).subject,
        status: email.status,
        attempts: email.attempts,
        last_error: email.last_error.clone(),
        created_at: email.created_at,
        sent_at: email.sent_at,
    }
}

/// The newest emails, or those of one order.
pub async fn emails(state: &AppState, order_id: Option<&str>) -> Result<EmailsPage, AppError> {
    let emails = db::emails(&state.pool, order_id, PAGE).await?;
    Ok(EmailsPage {
        emails: emails.iter().map(|e| row(state, e)).collect(),
        smtp_configured: state.mailer.configured(),
    })
}

pub async fn email(state: &AppState, id: i64) -> Result<Option<EmailDetail>, AppError> {
    let Some(email) = db::email_by_id(&state.pool, id).await? else {
        return Ok(None);
    };
    let rendered = state.mailer.render(&email);
    let links = rendered
        .text
        .split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(str::to_string)
        .collect();
    Ok(Some(EmailDetail {
        row: row(state, &email),
        from: state.mailer.from(),
        text: rendered.text,
        html: rendered.html,
        links,
        smtp_configured: state.mailer.configured(),
    }))
}

/// Queues the message again; returns the new email's id.
pub async fn resend(state: &AppState, id: i64) -> Result<i64, AppError> {
    db::resend_email(&state.pool, id)
        .await?
        .ok_or(AppError::EmailNotFound)
}
