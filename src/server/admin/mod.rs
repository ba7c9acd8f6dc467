//! The merchant's side: sign-in, the guard every admin function and route calls itself,
//! protection against cross-site requests, orders, refunds, analytics and the CSV export.

mod analytics;
pub mod auth;
mod emails;
mod export;
mod guard;
mod orders;
mod refunds;
mod same_origin;

pub use analytics::analytics;
pub use emails::{email, emails, resend};
pub use export::export_csv;
pub use guard::{client_address, is_admin, require_admin, sign_in, sign_out};
pub use orders::{order, orders_page, parse_filter, PAGE_SIZE};
pub use refunds::refund;
pub use same_origin::same_origin_only;
