//! `checkout db copy` (src/server/db_copy.rs) against a real PostgreSQL.
//!
//! `TEST_POSTGRES_URL`: a superuser URL of a throwaway server (each test makes its own database
//! and drops it WITH (FORCE) when it passes; a failed test leaves it for a look). Unset: the
//! tests that need PostgreSQL print "skipped" and pass, unless `REQUIRE_POSTGRES=1`.
//! `COPY_SOURCE_DB`: the path of an existing SQLite database (e.g. one left by
//! `scripts/chaos.sh --keep`) to copy instead of the one built here.
//!
//!   source scripts/lib.sh; pg_start target/pg-x
//!   TEST_POSTGRES_URL=$PG_URL cargo test --no-default-features --features ssr --test db_copy
#![cfg(feature = "ssr")]

use checkout::server::db_copy::{copy, CopyError};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The server's URL, or `None` (skipped) when there is none.
fn postgres_url() -> Option<String> {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set (a superuser URL of a throwaway PostgreSQL)")
        }
        _ => {
            println!("skipped: TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// `url` with its database replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    format!("{base}/{db}{query}")
}

/// A new database on the test server.
struct PgDb {
    admin: PgPool,
    name: String,
    url: String,
    pool: PgPool,
}

impl PgDb {
    async fn new(server: &str) -> PgDb {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(server)
            .await
            .expect("connect to TEST_POSTGRES_URL");
        let name = unique("dbcopy");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&admin)
            .await
            .unwrap();
        let url = with_database(server, &name);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .unwrap();
        PgDb {
            admin,
            name,
            url,
            pool,
        }
    }

    async fn drop(self) {
        self.pool.close().await;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&self.admin)
        .await
        .unwrap();
        self.admin.close().await;
    }

    /// Every table's rows (as text, hashed) and every sequence's position: equal snapshots =
    /// an unchanged database.
    async fn snapshot(&self) -> BTreeMap<String, String> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
              WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
                AND table_name <> '_sqlx_migrations' ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap();
        let mut out = BTreeMap::new();
        for t in tables {
            let digest: String = sqlx::query_scalar(&format!(
                "SELECT count(*) || ' ' || md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) FROM \"{t}\" r"
            ))
            .fetch_one(&self.pool)
            .await
            .unwrap();
            out.insert(t, digest);
        }
        let seqs: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT sequencename::text, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap();
        for (s, v) in seqs {
            out.insert(format!("sequence {s}"), format!("{v:?}"));
        }
        out
    }

    async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\""))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// A migrated SQLite database under the target's temp folder, with `data` run on it.
async fn sqlite_db(data: &str) -> (String, SqlitePool) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.db", unique("dbcopy")));
    let url = format!("sqlite:{}", path.display());
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::from_str(&url)
                .unwrap()
                .create_if_missing(true),
        )
        .await
        .unwrap();
    SQLITE.run(&pool).await.unwrap();
    sqlx::raw_sql(data).execute(&pool).await.unwrap();
    (url, pool)
}

/// A small shop: the merchant's edits of the seed, carts, orders in several statuses (one moved
/// by an UPDATE, so a zero count stays behind), refunds, emails, images, shipments, invoices,
/// thousands of events (several INSERT batches) and a session.
const SHOP: &str = r#"
UPDATE products SET price_minor = 2900, stock = 20 WHERE slug = 'ceramic-pour-over';
INSERT INTO products (slug, name, description, price_minor, currency, stock, image, weight_grams)
VALUES ('enamel-jug', 'Enamel Jug', 'A jug.', 3300, 'USD', 5, '/images/jug.svg', 700);
DELETE FROM shipping_rates WHERE name = 'Express';
INSERT INTO shipping_zones (name) VALUES ('Canada');
INSERT INTO shipping_zone_countries (country, zone_id) VALUES ('CA', 4);
INSERT INTO shipping_rates (zone_id, name, kind, amount_minor) VALUES (4, 'Standard', 'flat', 1500);
INSERT INTO discount_codes (code, kind, percent_bp, amount_minor) VALUES
 ('WELCOME10', 'percent', 1000, NULL), ('FIVE', 'fixed', NULL, 500);

INSERT INTO carts (id) VALUES ('c1'), ('c2'), ('c3'), ('c4'), ('c5'), ('c6'), ('c7');
INSERT INTO cart_items (cart_id, product_id, quantity) VALUES ('c7', 2, 1), ('c7', 1, 2), ('c1', 3, 1);

INSERT INTO orders (id, cart_id, email, status, currency, total_minor, state, stock_hold, expires_at, payment_intent_id, gateway, pricing) VALUES
 ('ord_a', 'c1', 'a@example.com', 'pending', 'USD', 6995, '{}', 'held', 1900000000, NULL, 'stripe', NULL),
 ('ord_b', 'c2', 'b@example.com', 'paid', 'USD', 4700, '{}', 'taken', NULL, 'pi_b', 'stripe', '{"items":4700}'),
 ('ord_c', 'c3', 'c@example.com', 'refunded', 'USD', 12900, '{}', 'taken', NULL, 'pi_c', 'stripe', NULL),
 ('ord_d', 'c4', 'd@example.com', 'partially_refunded', 'USD', 7600, '{}', 'taken', NULL, NULL, 'paypal', NULL),
 ('ord_e', 'c5', 'e@example.com', 'canceled', 'USD', 1425, '{}', 'released', NULL, NULL, 'stripe', NULL),
 ('ord_f', 'c6', 'f@example.com', 'processing', 'USD', 9800, '{}', 'held', NULL, 'pi_f', 'stripe', NULL);
UPDATE orders SET status = 'paid', stock_hold = 'taken' WHERE id = 'ord_f';
UPDATE orders SET gateway_ref = 'PP-1', gateway_payment_ref = 'CAP-1' WHERE id = 'ord_d';

INSERT INTO order_items (order_id, product_id, name, unit_price_minor, quantity, discount_minor, tax_minor, tax_rate_bp) VALUES
 ('ord_a', 3, 'Cast Iron Skillet', 6400, 1, 0, 0, 0),
 ('ord_b', 2, 'Stoneware Mug', 1850, 2, 370, 0, 0),
 ('ord_b', 9, 'Wool Felt Trivet', 1200, 1, 0, 0, 0),
 ('ord_c', 5, 'Chef''s Knife, 8-inch', 12900, 1, 0, 2150, 2000),
 ('ord_d', 6, 'Walnut Cutting Board', 7600, 1, 0, 0, 0),
 ('ord_e', 7, 'Loose-Leaf Tea Tin', 1425, 1, 0, 0, 0),
 ('ord_f', 8, 'Copper Kettle', 9800, 1, 0, 0, 0);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
INSERT INTO order_events (order_id, kind, old_status, new_status, detail)
SELECT 'ord_b', 'note', NULL, NULL, 'event ' || i || ' ünïcødé' FROM n;
DELETE FROM order_events WHERE id > 2490;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
INSERT INTO webhook_events (id, type, order_id, gateway) SELECT 'evt_' || i, 'payment_intent.succeeded', 'ord_b', 'stripe' FROM n;

INSERT INTO refund_requests (attempt_key, order_id, amount_minor, reason, stripe_refund_id) VALUES
 ('rf_c1', 'ord_c', 12900, 'requested_by_customer', 're_c1'),
 ('rf_d1', 'ord_d', 2000, NULL, NULL);
INSERT INTO payment_attempts (order_id, attempt, revision, amount_minor, currency, idempotency_key, request, payment_intent_id, outcome) VALUES
 ('ord_b', 0, 0, 4700, 'USD', 'ik_b0', '[]', 'pi_b', 'succeeded'),
 ('ord_f', 0, 0, 9800, 'USD', 'ik_f0', '[]', NULL, 'in_doubt'),
 ('ord_f', 1, 1, 9800, 'USD', 'ik_f1', '[]', 'pi_f', 'succeeded');
INSERT INTO email_outbox (dedupe_key, order_id, kind, recipient, payload, status, attempts, sent_at) VALUES
 ('ord_b:receipt', 'ord_b', 'receipt', 'b@example.com', '{"total":4700}', 'sent', 1, 1700000000),
 ('find:b@example.com:1', NULL, 'find_order', 'b@example.com', '{}', 'pending', 0, NULL);
INSERT INTO email_attempts (email_id, ok, error) VALUES (1, 0, 'timeout'), (1, 1, NULL);
INSERT INTO order_links (token_hash, order_id, expires_at) VALUES ('abc123', 'ord_b', 1900000000);
INSERT INTO discount_redemptions (order_id, code_id, email, state) VALUES ('ord_b', 1, 'b@example.com', 'taken');
INSERT INTO product_images (product_id, content_type, bytes) VALUES
 (1, 'image/png', x'89504E470D0A1A0A0000000DFF00FE'), (10, 'image/webp', x'52494646000000005745425000');
DELETE FROM product_images WHERE id = 2;
INSERT INTO product_images (product_id, content_type, bytes) VALUES (10, 'image/jpeg', x'FFD8FFE000104A464946');
INSERT INTO stock_adjustments (product_id, delta, stock_after, reason, actor) VALUES (1, -5, 20, 'recount', 'admin');
INSERT INTO shipments (order_id, request_key, carrier, tracking_number, tracking_url) VALUES
 ('ord_b', 'req-00000001', 'UPS', '1Z999', 'https://ups.example/1Z999');
INSERT INTO shipment_lines (shipment_id, product_id, quantity) VALUES (1, 9, 1), (1, 2, 2);
UPDATE orders SET fulfilment = 'shipped' WHERE id = 'ord_b';
INSERT INTO invoices (number, order_id) VALUES (1, 'ord_b'), (2, 'ord_d'), (3, 'ord_c'), (4, 'ord_f');
INSERT INTO sync_state (name, value) VALUES ('stripe_events_cursor', 1700000000);

CREATE TABLE tower_sessions (id TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL, expiry_date INTEGER NOT NULL);
INSERT INTO tower_sessions VALUES ('s1', x'80', 1900000000);
"#;

/// Closes a database made by [`sqlite_db`] and deletes its files.
async fn discard(url: &str, pool: SqlitePool) {
    pool.close().await;
    let path = url.trim_start_matches("sqlite:");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

/// The source to copy: `COPY_SOURCE_DB`, else the shop above.
async fn source_db() -> (String, SqlitePool, bool) {
    match std::env::var("COPY_SOURCE_DB") {
        Ok(path) if !path.is_empty() => {
            let url = format!("sqlite:{path}");
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(
                    SqliteConnectOptions::from_str(&url)
                        .unwrap()
                        .read_only(true),
                )
                .await
                .expect("open COPY_SOURCE_DB");
            (url, pool, false)
        }
        _ => {
            let (url, pool) = sqlite_db(SHOP).await;
            (url, pool, true)
        }
    }
}

async fn source_tables(pool: &SqlitePool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
           AND name NOT IN ('_sqlx_migrations', 'tower_sessions') ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn copies_everything_and_verifies_it() {
    let Some(server) = postgres_url() else { return };
    let (from, src, built) = source_db().await;
    let db = PgDb::new(&server).await;

    let report = copy(&from, &db.url).await.unwrap_or_else(|e| panic!("{e}"));
    println!("{report}");
    let text = report.to_string();
    assert!(text.contains("not copied"), "{text}");

    // Counts and money sums, table by table, read independently of the copy's own checks.
    for table in source_tables(&src).await {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\""))
            .fetch_one(&src)
            .await
            .unwrap();
        assert_eq!(n, db.count(&table).await, "rows of {table}");
        let cols: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(&src)
            .await
            .unwrap();
        for col in cols.iter().filter(|c| c.ends_with("_minor")) {
            let a: i64 = sqlx::query_scalar(&format!(
                "SELECT coalesce(sum(\"{col}\"), 0) FROM \"{table}\""
            ))
            .fetch_one(&src)
            .await
            .unwrap();
            let b: i64 = sqlx::query_scalar(&format!(
                "SELECT coalesce(sum(\"{col}\"), 0)::int8 FROM \"{table}\""
            ))
            .fetch_one(&db.pool)
            .await
            .unwrap();
            assert_eq!(a, b, "sum of {table}.{col}");
        }
    }

    // Orders per status: the source's, the target's, and the target's trigger-kept counts.
    let src_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM orders GROUP BY status ORDER BY status")
            .fetch_all(&src)
            .await
            .unwrap();
    let tgt_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM orders GROUP BY status ORDER BY status")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let tgt_counted: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count FROM order_status_counts WHERE count <> 0 ORDER BY status",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(src_status, tgt_status);
    assert_eq!(src_status, tgt_counted);

    // Invoices keep their numbers; images their bytes.
    let inv = "SELECT number, order_id FROM invoices ORDER BY number";
    let a: Vec<(i64, String)> = sqlx::query_as(inv).fetch_all(&src).await.unwrap();
    let b: Vec<(i64, String)> = sqlx::query_as(inv).fetch_all(&db.pool).await.unwrap();
    assert_eq!(a, b);
    let img = "SELECT id, bytes FROM product_images ORDER BY id";
    let a: Vec<(i64, Vec<u8>)> = sqlx::query_as(img).fetch_all(&src).await.unwrap();
    let b: Vec<(i64, Vec<u8>)> = sqlx::query_as(img).fetch_all(&db.pool).await.unwrap();
    assert_eq!(a, b);

    // Every sequence is past the highest id (and past SQLite's AUTOINCREMENT high-water mark).
    let seqs: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, \
                pg_get_serial_sequence(format('%I', table_name), column_name) \
           FROM information_schema.columns \
          WHERE table_schema = 'public' \
            AND pg_get_serial_sequence(format('%I', table_name), column_name) IS NOT NULL",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(!seqs.is_empty());
    for (table, column, seq) in seqs {
        let max: i64 = sqlx::query_scalar(&format!(
            "SELECT coalesce(max(\"{column}\"), 0) FROM \"{table}\""
        ))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let hw: i64 = sqlx::query_scalar(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = $1), 0)",
        )
        .bind(&table)
        .fetch_one(&src)
        .await
        .unwrap();
        let next: i64 = sqlx::query_scalar("SELECT nextval($1::regclass)")
            .bind(&seq)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert!(
            next > max && (column == "rowid" || next > hw),
            "{table}.{column}: next {next}, max {max}, sqlite_sequence {hw}"
        );
    }
    // Inserts without an id work and get new ids.
    let max_product: i64 = sqlx::query_scalar("SELECT max(id) FROM products")
        .fetch_one(&src)
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO products (slug, name, description, price_minor, currency, stock, image) \
         VALUES ('after-copy', 'After', 'x', 100, 'USD', 1, '/x.svg') RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(id > max_product);
    sqlx::query("INSERT INTO shipping_zones (name) VALUES ('Added after the copy')")
        .execute(&db.pool)
        .await
        .unwrap();
    if let Some(order) = sqlx::query_scalar::<_, String>("SELECT id FROM orders LIMIT 1")
        .fetch_optional(&db.pool)
        .await
        .unwrap()
    {
        sqlx::query("INSERT INTO order_events (order_id, kind) VALUES ($1, 'after_copy')")
            .bind(order)
            .execute(&db.pool)
            .await
            .unwrap();
    }

    if built {
        // The merchant's edits of the seed won over the migrations' seed.
        let price: i64 =
            sqlx::query_scalar("SELECT price_minor FROM products WHERE slug = 'ceramic-pour-over'")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(price, 2900);
        let express: i64 =
            sqlx::query_scalar("SELECT count(*) FROM shipping_rates WHERE name = 'Express'")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(express, 0);
        // The source's zero count came along as it was.
        let processing: Option<i64> =
            sqlx::query_scalar("SELECT count FROM order_status_counts WHERE status = 'processing'")
                .fetch_optional(&db.pool)
                .await
                .unwrap();
        assert_eq!(processing, Some(0));
        // order_events: ids up to 2500 were used (AUTOINCREMENT), the next is past them.
        let next_event: i64 = sqlx::query_scalar("SELECT max(id) FROM order_events")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert!(next_event > 2500, "{next_event}");
        // Line order (SQLite's rowid) kept where PostgreSQL has the rowid column.
        let lines: Vec<i64> =
            sqlx::query_scalar("SELECT product_id FROM shipment_lines ORDER BY rowid")
                .fetch_all(&db.pool)
                .await
                .unwrap();
        assert_eq!(lines, vec![9, 2]);
    }
    if built {
        discard(&from, src).await;
    } else {
        src.close().await;
    }
    db.drop().await;
}

#[tokio::test]
async fn refuses_a_target_that_is_not_empty() {
    let Some(server) = postgres_url() else { return };
    let (from, src, built) = source_db().await;

    // Copied into once: a second copy is refused and changes nothing.
    let db = PgDb::new(&server).await;
    copy(&from, &db.url).await.unwrap_or_else(|e| panic!("{e}"));
    let before = db.snapshot().await;
    match copy(&from, &db.url).await {
        Err(CopyError::NotEmpty { reason, .. }) => println!("refused: {reason}"),
        other => panic!("expected NotEmpty, got {other:?}"),
    }
    assert_eq!(before, db.snapshot().await);
    db.drop().await;

    // A cart in an otherwise fresh database.
    let db = PgDb::new(&server).await;
    POSTGRES.run(&db.pool).await.unwrap();
    sqlx::query("INSERT INTO carts (id) VALUES ('cart_in_target')")
        .execute(&db.pool)
        .await
        .unwrap();
    let before = db.snapshot().await;
    let err = copy(&from, &db.url).await.unwrap_err();
    assert!(matches!(err, CopyError::NotEmpty { .. }), "{err}");
    assert!(err.to_string().contains("carts"), "{err}");
    assert_eq!(before, db.snapshot().await);
    assert_eq!(db.count("products").await, 9);
    db.drop().await;

    // A seeded row edited in the target.
    let db = PgDb::new(&server).await;
    POSTGRES.run(&db.pool).await.unwrap();
    sqlx::query("UPDATE products SET price_minor = price_minor + 1 WHERE id = 1")
        .execute(&db.pool)
        .await
        .unwrap();
    let before = db.snapshot().await;
    let err = copy(&from, &db.url).await.unwrap_err();
    assert!(err.to_string().contains("products differs"), "{err}");
    assert_eq!(before, db.snapshot().await);
    db.drop().await;
    if built {
        discard(&from, src).await;
    } else {
        src.close().await;
    }
}

#[tokio::test]
async fn a_failed_copy_leaves_the_target_as_the_migrations_left_it() {
    let Some(server) = postgres_url() else { return };
    // order_events is copied after products, carts, orders, …: the copy fails midway.
    // 1. A value PostgreSQL refuses (text with a NUL character) fails an INSERT;
    // 2. text in an INTEGER column (SQLite keeps it) fails the conversion before PostgreSQL.
    let broken = [
        (
            "INSERT INTO order_events (order_id, kind, detail) VALUES ('ord_b', 'note', 'nul ' || char(0) || ' inside');",
            "order_events",
        ),
        (
            "UPDATE order_events SET at = 'yesterday' WHERE id = 100;",
            "order_events.at",
        ),
    ];
    for (sql, named) in broken {
        let (from, src) = sqlite_db(&format!("{SHOP}\n{sql}")).await;
        let db = PgDb::new(&server).await;
        POSTGRES.run(&db.pool).await.unwrap();
        let before = db.snapshot().await;
        let err = copy(&from, &db.url).await.unwrap_err();
        println!("failed as expected: {err}");
        assert!(err.to_string().contains(named), "{err}");
        assert!(!err.to_string().contains('\n'));
        assert_eq!(
            before,
            db.snapshot().await,
            "the target changed after: {err}"
        );
        // Still empty by the copy's own rule: a good source goes in.
        let (good, good_pool) = sqlite_db(SHOP).await;
        copy(&good, &db.url).await.unwrap_or_else(|e| panic!("{e}"));
        discard(&good, good_pool).await;
        discard(&from, src).await;
        db.drop().await;
    }
}

/// Needs no PostgreSQL: the source is refused before the target is reached, and a target that
/// cannot be reached is named without its password.
#[tokio::test]
async fn refuses_an_old_source_and_hides_the_password() {
    let (from, src) = sqlite_db("").await;
    let err = copy(&from, "postgres://shop:sekrit-pw@127.0.0.1:1/shopdb")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CopyError::Target { .. }), "{msg}");
    assert!(msg.contains("127.0.0.1:1/shopdb"), "{msg}");
    assert!(!msg.contains("sekrit"), "{msg}");

    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&src)
    .await
    .unwrap();
    let err = copy(&from, "postgres://shop:sekrit-pw@127.0.0.1:1/shopdb")
        .await
        .unwrap_err();
    assert!(matches!(err, CopyError::Source { .. }), "{err}");
    assert!(err.to_string().contains("this build expects"), "{err}");

    let err = copy("shop.db", "postgres://127.0.0.1/x").await.unwrap_err();
    assert!(matches!(err, CopyError::Usage(_)), "{err}");
    discard(&from, src).await;
}

#[test]
fn database_names_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@localhost/postgres?host=/tmp/pg", "x"),
        "postgres://u@localhost/x?host=/tmp/pg"
    );
    assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
}
