//! Emails as the merchant sees them in the admin.

use serde::{Deserialize, Serialize};

/// Where an email in the outbox stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "snake_case"))]
pub enum EmailStatus {
    /// Waiting to be sent (or kept, when no SMTP server is configured).
    Pending,
    Sent,
    /// Given up on: refused for good by the mail server, or too many attempts.
    Failed,
}

impl EmailStatus {
    pub fn label(self) -> &'static str {
        match self {
            EmailStatus::Pending => "Pending",
            EmailStatus::Sent => "Sent",
            EmailStatus::Failed => "Failed",
        }
    }
}

/// A line of the admin's Emails page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRow {
    pub id: i64,
    pub order_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub status: EmailStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailsPage {
    pub emails: Vec<EmailRow>,
    /// Whether an SMTP server is configured; if not, emails stay here and are not sent.
    pub smtp_configured: bool,
}

/// One email, rendered exactly as it is (or would be) sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailDetail {
    pub row: EmailRow,
    pub from: String,
    pub text: String,
    pub html: String,
    /// The links in the message, in order.
    pub links: Vec<String>,
    pub smtp_configured: bool,
}
