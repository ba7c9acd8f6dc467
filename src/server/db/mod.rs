//! Every SQL statement of the application lives in this module, one file per area. Columns are
//! read into typed values (`OrderStatus`, `Currency`, the order's state as JSON): a value the
//! code does not know is a decode error, never a silent default.

mod admin;
mod analytics;
mod attempts;
mod cart;
mod catalog;
mod catalog_admin;
mod fulfilment;
mod orders;
mod outbox;
mod payments;
mod pricing;
mod reader;
mod refunds;
mod shop_settings;
mod writer;

pub use admin::{admin_orders, status_counts, OrderCursor, OrderFilter};
pub use analytics::{
    gateway_figures, order_counts, payment_attempts, refunded_total, revenue_by_day,
    set_sync_value, sync_value, top_products,
};
pub use attempts::{
    attempts_in_doubt, attempts_of, orders_in_doubt, record_outcome, retire_payment_intent,
    start_attempt, AttemptOutcome, AttemptRow,
};
pub use cart::{add_item, load_cart, remove_item, set_quantity, Change};
pub use catalog::{list_products, product_by_slug};
pub use catalog_admin::{
    adjust_stock, admin_product, admin_products, image_by_id, insert_image, insert_product,
    stock_history, update_product, Adjusted, CatalogRefusal,
};
pub use fulfilment::{
    cancel_unshipped, fulfilment_of, fulfilment_queue, invoice_of, mark_delivered, mark_returned,
    ship, Fulfilment, Moved, ShipmentRow, Shipped,
};
pub use orders::{
    create_order, expired_orders, extend_hold, open_order_for_cart, order_by_id, order_items,
    order_timeline, revise_order, set_checkout_session, set_gateway_payment_ref, set_gateway_ref,
    set_payment_intent, switch_gateway, undo_switch_to, unsettled_orders, Created, OrderDraft,
    OrderItemRow, OrderRow, StockHold,
};
pub use outbox::{
    claim_due, describe as describe_email, email_by_id, emails, forget_expired_links,
    link_emails_since, order_of_link, queue_order_links, recent_orders_of, record_attempt,
    resend as resend_email, Attempt, NewLink, OutboxEmail, RecentOrder,
};
pub use payments::{apply_stripe_event, Origin, PaymentFact, WebhookOutcome};
pub use pricing::{
    discount_code, redemptions_counted, shipping_countries, shipping_rates_for, tax_rate_for,
    DiscountCode,
};
pub use reader::{ReadConnection, Reader};
pub use refunds::{
    forget_refund_request, match_refund, record_refund_request, refund_requests, set_refund_id,
    unresolved_refunds,
};
pub use shop_settings::{
    add_shipping_rate, create_zone, delete_shipping_rate, delete_tax_rate, delete_zone,
    discount_codes, rename_zone, save_discount_code, save_tax_rate, set_discount_active,
    set_zone_countries, shipping_zones, tax_rates, update_shipping_rate, SettingSaved,
};
pub use writer::{OwnedFact, Writer};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// Opens (creating it if needed) the database and applies the migrations in `migrations/`.
pub async fn connect(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // sqlx's default pings every idle connection before handing it out: a round trip to
        // the connection's thread before each query. A SQLite connection is a file in this
        // process; it does not go stale like a network one (and a connection whose thread
        // failed is still caught: sqlx pings each one when it is given back).
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

/// Write transactions to one database file take turns here, in arrival order, before they ask
/// SQLite for its write lock. SQLite has one writer at a time anyway; waiting in this queue
/// instead of in SQLite's busy handler (which sleeps and retries, 1 ms, 2 ms, … 100 ms) keeps the
/// wait as short as the transactions ahead. Nothing else changes: each transaction is still
/// `BEGIN IMMEDIATE` … `COMMIT` on its own, so what it guarantees is what it guaranteed.
pub(crate) async fn write_turn(pool: &SqlitePool) -> tokio::sync::OwnedMutexGuard<()> {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex, OnceLock};
    type Gates = Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>;
    static GATES: OnceLock<Gates> = OnceLock::new();
    let file = pool.connect_options().get_filename().to_path_buf();
    let gate = GATES
        .get_or_init(Gates::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(file)
        .or_default()
        .clone();
    gate.lock_owned().await
}
