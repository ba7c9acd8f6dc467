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
mod text_types;
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
pub use text_types::{Flag, Json};
pub use writer::{OwnedFact, Writer};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Transaction};
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::Duration;

/// The two databases the shop runs on, told apart by the URL's scheme (`sqlite:` or
/// `postgres://`). Every query is one SQL text for both (sqlx's `Any` driver); what differs
/// between them is decided here, from this value, and nowhere outside `db/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, or `None` for a scheme the shop does not run on.
    pub fn of_url(url: &str) -> Option<Backend> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    /// The backend of an open pool.
    pub fn of(pool: &AnyPool) -> Backend {
        match pool.connect_options().database_url.scheme() {
            "sqlite" => Backend::Sqlite,
            _ => Backend::Postgres,
        }
    }
}

/// The smaller of two values: SQLite's scalar `min(a, b)`, PostgreSQL's `LEAST(a, b)`.
pub(crate) fn least(pool: &AnyPool) -> &'static str {
    match Backend::of(pool) {
        Backend::Sqlite => "min",
        Backend::Postgres => "LEAST",
    }
}

/// The migrations of each backend (`migrations/sqlite`, `migrations/postgres`): the same schema,
/// written in each one's SQL, with the same version numbers.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Opens the database the URL names and applies its migrations: a SQLite file (created if
/// needed) or a PostgreSQL database (which must exist). PostgreSQL's migration run holds a
/// database-wide lock, so several instances starting at once apply each migration once.
pub async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url).ok_or_else(|| {
        sqlx::Error::Configuration("DATABASE_URL must start with sqlite: or postgres://".into())
    })?;
    let pool = match backend {
        Backend::Sqlite => {
            // Created if missing; the file's pragmas are set on every connection (below).
            let url = with_sqlite_create(url);
            AnyPoolOptions::new()
                .max_connections(8)
                // sqlx's default pings every idle connection before handing it out: a round
                // trip to the connection's thread before each query. A SQLite connection is a
                // file in this process; it does not go stale like a network one (and a
                // connection whose thread failed is still caught: sqlx pings each one when it
                // is given back).
                .test_before_acquire(false)
                .after_connect(|conn, _| Box::pin(async move { sqlite_pragmas(conn).await }))
                .connect_with(AnyConnectOptions::from_str(&url)?)
                .await?
        }
        Backend::Postgres => {
            AnyPoolOptions::new()
                .max_connections(16)
                // A database that is down answers within seconds (503), not after 30.
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(AnyConnectOptions::from_str(url)?)
                .await?
        }
    };
    match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
        Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
    }
    Ok(pool)
}

/// A pool of the SQLite file `url` names for what needs sqlx's own SQLite driver (the session
/// store on a SQLite shop, the embedded simulators), with the shop's pragmas; created if missing.
pub async fn connect_sqlite(url: &str) -> Result<sqlx::SqlitePool, sqlx::Error> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(4)
        .test_before_acquire(false)
        .connect_with(options)
        .await
}

/// `mode=rwc` (create the file if missing) unless the URL already says a mode.
fn with_sqlite_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// What every SQLite connection of the shop is set to: write-ahead log (readers never wait for
/// the writer), `synchronous=NORMAL` (durable across a crash of the process; a power cut may
/// lose the last commits, never corrupt), foreign keys enforced, a 5 s busy wait.
async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
    )
    .await?;
    Ok(())
}

/// The key of the one PostgreSQL advisory lock every write transaction takes first (see
/// [`begin_write`]); any constant works, as long as nothing else uses it.
const WRITE_LOCK: i64 = 0x636b_6f75_7477_7200; // "ckoutwr"

/// A write transaction: the turn among this database's writers and the transaction itself.
/// Derefs to the connection, so `&mut *tx` runs queries in it.
pub struct WriteTx {
    tx: Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// Begins a write transaction, serialized with every other one of this database:
///
/// - on SQLite, after its turn in this process's queue ([`write_turn`]), `BEGIN IMMEDIATE`
///   takes SQLite's one write lock at once;
/// - on PostgreSQL, the transaction first takes one transaction-level advisory lock, held until
///   it commits or rolls back. So write transactions run one at a time across every connection
///   and every instance, in the same serial order SQLite gives, and what the code proves on one
///   (one open order per cart, stock never below zero, a code's last redemption given once, a
///   webhook applied once) holds on the other without a second design. Reads never take it.
///
/// Serialized, no transaction can fail with a serialization error (40001) or a deadlock
/// (40P01) against another; [`is_transient`] maps those (and a lost connection) to "try again".
pub async fn begin_write(pool: &AnyPool) -> Result<WriteTx, sqlx::Error> {
    let turn = write_turn(pool).await;
    begin_serialized(pool, turn).await
}

/// [`begin_write`] for a caller that already holds its turn (the group-commit writer).
pub(crate) async fn begin_serialized(
    pool: &AnyPool,
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
) -> Result<WriteTx, sqlx::Error> {
    let tx = match Backend::of(pool) {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            tx
        }
    };
    Ok(WriteTx { tx, _turn: turn })
}

/// Whether an error means "the database could not do it now" rather than "it refused": the
/// connection is gone or the pool has none free (PostgreSQL restarting, a network blip), or
/// PostgreSQL gave up a transaction for a serialization failure or a deadlock. Nothing was
/// committed; the same request later can succeed. Answered 503 (and 500 to a gateway's
/// webhook, so it is delivered again).
pub fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            // serialization_failure, deadlock_detected, admin/crash shutdown, cannot connect now
            Some("40001" | "40P01" | "57P01" | "57P02" | "57P03" | "08006" | "08003" | "08001")
        ),
        sqlx::Error::Protocol(text) => text.contains("connection"),
        _ => false,
    }
}

/// Write transactions to one SQLite file take turns here, in arrival order, before they ask
/// SQLite for its write lock. SQLite has one writer at a time anyway; waiting in this queue
/// instead of in SQLite's busy handler (which sleeps and retries, 1 ms, 2 ms, … 100 ms) keeps the
/// wait as short as the transactions ahead. Nothing else changes: each transaction is still
/// `BEGIN IMMEDIATE` … `COMMIT` on its own, so what it guarantees is what it guaranteed.
/// PostgreSQL needs no queue (its writers wait on the lock of [`begin_write`]): `None`.
pub(crate) async fn write_turn(pool: &AnyPool) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    if Backend::of(pool) != Backend::Sqlite {
        return None;
    }
    Some(write_turn_of_file(pool.connect_options().database_url.path()).await)
}

/// The turn of the SQLite file at `path` (as the database URL spells it; the session store's
/// own pool of the same file queues here too).
pub(crate) async fn write_turn_of_file(path: &str) -> tokio::sync::OwnedMutexGuard<()> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Gates = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;
    static GATES: OnceLock<Gates> = OnceLock::new();
    let file = path.to_string();
    let gate = GATES
        .get_or_init(Gates::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(file)
        .or_default()
        .clone();
    gate.lock_owned().await
}

/// A statement built in pieces (the admin's filters), its values bound as `$1`, `$2`, … —
/// the placeholders both backends read (sqlx's `QueryBuilder` for `Any` writes `?`, which
/// PostgreSQL refuses).
pub(crate) struct Sql {
    text: String,
    args: sqlx::any::AnyArguments<'static>,
    count: usize,
}

impl Sql {
    pub(crate) fn new(text: String) -> Self {
        Sql {
            text,
            args: Default::default(),
            count: 0,
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Send + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        use sqlx::Arguments;
        self.count += 1;
        self.text.push_str(&format!("${}", self.count));
        if let Err(e) = self.args.add(value) {
            // Only an encoding failure of the value itself; surfaces as the query's error.
            tracing::error!(error = %e, "a value could not be bound");
        }
        self
    }

    pub(crate) async fn fetch_all_as<T>(self, pool: &AnyPool) -> Result<Vec<T>, sqlx::Error>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(&self.text, self.args)
            .fetch_all(pool)
            .await
    }
}

/// The one line a start-up that cannot open its database prints: which database (for
/// PostgreSQL its host, port and name, never the user's password) and why.
pub fn describe_failure(url: &str, e: &sqlx::Error) -> String {
    match Backend::of_url(url) {
        Some(Backend::Postgres) => {
            let rest = url.split_once("://").map(|(_, r)| r).unwrap_or_default();
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host_port = if host_port.is_empty() {
                "localhost"
            } else {
                host_port
            };
            let database = path.split('?').next().unwrap_or_default();
            let with_port = if host_port.contains(':') {
                host_port.to_string()
            } else {
                format!("{host_port}:5432")
            };
            format!("cannot use the PostgreSQL database “{database}” at {with_port}: {e}")
        }
        _ => {
            let file = url.trim_start_matches("sqlite:").trim_start_matches("//");
            format!("cannot use the SQLite database {file}: {e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_cannot_answer_now_is_told_from_one_that_refused() {
        assert!(is_transient(&sqlx::Error::PoolTimedOut));
        assert!(is_transient(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!is_transient(&sqlx::Error::RowNotFound));
        assert_eq!(
            crate::error::AppError::from(sqlx::Error::PoolTimedOut).status(),
            503
        );
        assert_eq!(
            crate::error::AppError::from(sqlx::Error::RowNotFound).status(),
            500
        );
    }

    #[test]
    fn the_start_up_line_names_the_database_but_never_the_password() {
        let line = describe_failure(
            "postgres://shop:hunter2@db.example:6432/shop?sslmode=require",
            &sqlx::Error::PoolTimedOut,
        );
        assert!(line.contains("“shop” at db.example:6432"), "{line}");
        assert!(!line.contains("hunter2"), "{line}");
        let line = describe_failure("postgres://localhost/shop", &sqlx::Error::PoolTimedOut);
        assert!(line.contains("at localhost:5432"), "{line}");
        assert_eq!(Backend::of_url("postgresql://x/y"), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("sqlite:shop.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("mysql://x/y"), None);
    }
}
