//! Sending the outbox: a task that takes the emails that are due, sends each through SMTP
//! (lettre), and records how it went. Without `SMTP_URL` nothing is sent: emails stay in the
//! outbox, where the admin's Emails page shows them.
//!
//! Delivery is at least once: an email's attempt is counted and its next try scheduled before
//! it goes out, so a crash between the mail server's "250 OK" and our record sends that email
//! again at its next try (one duplicate per crash, with the same `Message-ID`, which mail
//! clients use to fold duplicates). Nothing queued is lost.

use super::config::Config;
use super::db::{self, Attempt, OutboxEmail};
use crate::app::SHOP_NAME;
use crate::domain::receipts::{render, Rendered, Shop};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::AnyPool;
use std::time::Duration;

/// After this many attempts an email is given up on (with the default 30 s first retry, the
/// last is about a day after the first).
pub const MAX_ATTEMPTS: i64 = 12;
/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(4 * 3600);
/// How often the sender looks for due emails.
const POLL: Duration = Duration::from_secs(1);

pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    base_url: String,
    retry_base: Duration,
}

impl Mailer {
    pub fn new(config: &Config) -> Result<Self, String> {
        let transport = match &config.email.smtp_url {
            None => None,
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| format!("SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
        };
        let from = if config.email.from.is_empty() {
            let host = config
                .public_url
                .split("://")
                .nth(1)
                .unwrap_or("localhost")
                .split([':', '/'])
                .next()
                .unwrap_or("localhost");
            format!("{SHOP_NAME} <orders@{host}>")
        } else {
            config.email.from.clone()
        };
        let from = from
            .parse()
            .map_err(|e| format!("MAIL_FROM: “{from}”: {e}"))?;
        Ok(Mailer {
            transport,
            from,
            base_url: config.public_url.clone(),
            retry_base: config.email.retry_base,
        })
    }

    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    pub fn from(&self) -> String {
        self.from.to_string()
    }

    pub fn render(&self, email: &OutboxEmail) -> Rendered {
        render(
            &email.message,
            &Shop {
                name: SHOP_NAME,
                base_url: &self.base_url,
            },
        )
    }

    /// When attempt number `attempts` (1-based) is retried if it fails or never reports back.
    fn retry_delay(&self, attempts: i64) -> Duration {
        let doublings = attempts.clamp(1, 20) as u32 - 1;
        self.retry_base
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(MAX_DELAY)
    }

    /// `<outbox-7.1732500000@shop.example>`: the same for every attempt of one email.
    fn message_id(&self, email: &OutboxEmail) -> String {
        let host = self.from.email.domain();
        format!("<outbox-{}.{}@{host}>", email.id, email.created_at)
    }

    async fn send(&self, email: &OutboxEmail) -> Result<(), Failure> {
        let Some(transport) = &self.transport else {
            return Err(Failure::Retry("no SMTP server configured".into()));
        };
        let to: Mailbox = email
            .recipient
            .parse()
            .map_err(|e| Failure::Permanent(format!("not a deliverable address: {e}")))?;
        let Rendered {
            subject,
            text,
            html,
        } = self.render(email);
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(self.message_id(email)))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(Failure::Permanent(smtp_error(&e))),
            Err(e) => Err(Failure::Retry(smtp_error(&e))),
        }
    }
}

enum Failure {
    Retry(String),
    Permanent(String),
}

/// The mail server's answer in a line, never with the credentials of the URL.
fn smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(300).collect()
}

/// What one pass of the sender did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Sends every email due now, once each. The task below runs this every second; tests call it.
pub async fn send_due(pool: &AnyPool, mailer: &Mailer) -> Result<Pass, sqlx::Error> {
    let mut pass = Pass::default();
    if !mailer.configured() {
        return Ok(pass);
    }
    // Only what was due when the pass began: a retry scheduled during it waits for a later one.
    let start = super::sync::now();
    loop {
        let batch = db::claim_due(pool, start, 20, |attempts| {
            super::sync::now() + mailer.retry_delay(attempts).as_secs() as i64
        })
        .await?;
        if batch.is_empty() {
            return Ok(pass);
        }
        for email in &batch {
            let attempt = match mailer.send(email).await {
                Ok(()) => {
                    pass.sent += 1;
                    Attempt::Sent
                }
                Err(Failure::Permanent(e)) => {
                    pass.failed += 1;
                    tracing::warn!(email = email.id, error = %e, "email refused for good");
                    db::record_attempt(pool, email, Attempt::Failed(&e)).await?;
                    continue;
                }
                Err(Failure::Retry(e)) if email.attempts >= MAX_ATTEMPTS => {
                    pass.failed += 1;
                    let e = format!("gave up after {} attempts: {e}", email.attempts);
                    tracing::warn!(email = email.id, error = %e, "email given up on");
                    db::record_attempt(pool, email, Attempt::Failed(&e)).await?;
                    continue;
                }
                Err(Failure::Retry(e)) => {
                    pass.retrying += 1;
                    tracing::info!(email = email.id, attempts = email.attempts, error = %e, "email not sent; will retry");
                    db::record_attempt(pool, email, Attempt::Retry(&e)).await?;
                    continue;
                }
            };
            db::record_attempt(pool, email, attempt).await?;
        }
    }
}

/// The sender task: runs for the life of the process when an SMTP server is configured.
pub fn spawn(pool: AnyPool, mailer: std::sync::Arc<Mailer>) -> Option<tokio::task::JoinHandle<()>> {
    if !mailer.configured() {
        tracing::info!("no SMTP_URL: emails stay in the outbox (admin → Emails)");
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            if let Err(e) = send_due(&pool, &mailer).await {
                tracing::error!(error = %e, "email outbox");
            }
            tokio::time::sleep(POLL).await;
        }
    }))
}
