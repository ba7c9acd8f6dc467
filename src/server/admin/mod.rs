//! The merchant's side: sign-in, the guard every admin function and route calls itself,
//! protection against cross-site requests, orders, refunds, analytics and the CSV export.

mod analytics;
pub mod auth;
mod catalog;
mod emails;
mod export;
mod fulfilment;
mod guard;
mod orders;
mod refunds;
mod same_origin;
pub mod settings;
mod uploads;

pub use analytics::analytics;
pub use catalog::{adjust_stock, create_product, product, products, update_product};
pub use emails::{email, emails, resend};
pub use export::export_csv;
pub use fulfilment::{
    cancel as cancel_unshipped, deliver, document, mark_returned, order_fulfilment,
    queue as fulfilment_queue, ship, shopper_shipments,
};
pub use guard::{client_address, is_admin, require_admin, sign_in, sign_out};
pub use orders::{order, orders_page, parse_filter, PAGE_SIZE};
pub use refunds::refund;
pub use same_origin::same_origin_only;
pub use uploads::{serve_image, upload_image, UPLOAD_BODY_LIMIT};
