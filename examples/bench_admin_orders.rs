//! Benchmark (prints figures, asserts nothing): the admin's order list at 1,000,000 orders (or
//! as many as the first argument or `BENCH_ORDERS` says).
//! `cargo run --release --example bench_admin_orders --no-default-features --features ssr -- 1000000`

use checkout::domain::money::{Currency, Money};
use checkout::domain::order::{OrderState, OrderStatus};
use checkout::server::db::{self, OrderCursor, OrderFilter};
use std::time::Instant;

/// How many orders to generate: the first argument, else `BENCH_ORDERS`, else 1,000,000.
fn orders() -> i64 {
    std::env::args()
        .nth(1)
        .or_else(|| std::env::var("BENCH_ORDERS").ok())
        .map(|n| {
            n.replace([',', '_'], "")
                .parse()
                .expect("a number of orders")
        })
        .unwrap_or(1_000_000)
}

#[tokio::main]
async fn main() {
    let orders = orders();
    let path = std::env::temp_dir().join(format!("checkout-bench-{}.db", std::process::id()));
    let pool = db::connect(&format!("sqlite:{}", path.display()))
        .await
        .expect("database");
    // The payment facts of a new order (as checkout writes them), its total to be filled in.
    let usd = Currency::parse("USD").expect("USD");
    let state_template =
        serde_json::to_string(&OrderState::new(Money::new(987_654_321, usd))).expect("state");
    let started = Instant::now();
    let mut tx = pool.begin().await.expect("transaction");
    // Generated inside SQLite (one statement): the same rows the application would insert, the
    // status-count triggers firing for each.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
         INSERT INTO orders (id, cart_id, email, status, currency, total_minor, payment_intent_id, state, created_at)
         SELECT printf('ord_%024d', i), 'cart_' || i, 'shopper' || (i % 5000) || '@example.com',
                CASE i % 7 WHEN 0 THEN 'paid' WHEN 1 THEN 'paid' WHEN 2 THEN 'paid' WHEN 3 THEN 'pending'
                           WHEN 4 THEN 'payment_failed' WHEN 5 THEN 'refunded' ELSE 'canceled' END,
                'USD', 1000 + i % 9000, printf('pi_%024d', i),
                replace(?2, '987654321', 1000 + i % 9000), 1700000000 + i * 30
           FROM n",
    )
    .bind(orders)
    .bind(state_template)
    .execute(&mut *tx)
    .await
    .expect("insert");
    tx.commit().await.expect("commit");
    println!(
        "inserted {orders} orders in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    async fn time<T>(label: &str, runs: u32, mut f: impl AsyncFnMut() -> T) {
        let started = Instant::now();
        for _ in 0..runs {
            f().await;
        }
        println!(
            "{label}: {:.2} ms per query ({runs} runs)",
            started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
        );
    }
    let all = OrderFilter::default();
    let paid = OrderFilter {
        status: Some(OrderStatus::Paid),
        ..Default::default()
    };
    let by_email = OrderFilter {
        search: Some("shopper42@".into()),
        ..Default::default()
    };
    let range = OrderFilter {
        from: Some(1_701_000_000),
        to: Some(1_701_500_000),
        ..Default::default()
    };
    time("first page, no filter", 50, async || {
        db::admin_orders(&pool, &all, None, 26).await.unwrap()
    })
    .await;
    let deep_label = format!("page {} deep (keyset cursor)", orders / 2 / 25);
    time(&deep_label, 50, async || {
        db::admin_orders(
            &pool,
            &all,
            Some(&OrderCursor {
                created_at: 1_700_000_000 + orders / 2 * 30,
                id: "ord_".into(),
            }),
            26,
        )
        .await
        .unwrap()
    })
    .await;
    time("first page, status = paid", 50, async || {
        db::admin_orders(&pool, &paid, None, 26).await.unwrap()
    })
    .await;
    time("search by email prefix", 50, async || {
        db::admin_orders(&pool, &by_email, None, 26).await.unwrap()
    })
    .await;
    time("date range", 50, async || {
        db::admin_orders(&pool, &range, None, 26).await.unwrap()
    })
    .await;
    time("counts per status", 20, async || {
        db::status_counts(&pool, &all).await.unwrap()
    })
    .await;
    let all_time = OrderFilter {
        from: Some(0),
        ..Default::default()
    };
    time(
        "counts per status, counted from every order (what the old query did)",
        5,
        async || db::status_counts(&pool, &all_time).await.unwrap(),
    )
    .await;
    time("counts per status, date range", 20, async || {
        db::status_counts(&pool, &range).await.unwrap()
    })
    .await;
    time("counts per status, email search", 20, async || {
        db::status_counts(&pool, &by_email).await.unwrap()
    })
    .await;
    pool.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
