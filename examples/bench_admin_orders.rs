//! Benchmark (prints figures, asserts nothing): the admin's order list at 100,000 orders.
//! `cargo run --example bench_admin_orders --no-default-features --features ssr`

use checkout::domain::order::OrderStatus;
use checkout::server::db::{self, OrderCursor, OrderFilter};
use std::time::Instant;

const ORDERS: i64 = 100_000;

#[tokio::main]
async fn main() {
    let path = std::env::temp_dir().join(format!("checkout-bench-{}.db", std::process::id()));
    let pool = db::connect(&format!("sqlite:{}", path.display()))
        .await
        .expect("database");
    let started = Instant::now();
    let mut tx = pool.begin().await.expect("transaction");
    let statuses = [
        "paid",
        "paid",
        "paid",
        "pending",
        "payment_failed",
        "refunded",
        "canceled",
    ];
    for i in 0..ORDERS {
        sqlx::query(
            "INSERT INTO orders (id, cart_id, email, status, currency, total_minor, payment_intent_id, state, created_at)
             VALUES (?, ?, ?, ?, 'USD', ?, ?, '{}', ?)",
        )
        .bind(format!("ord_{i:024}"))
        .bind(format!("cart_{i}"))
        .bind(format!("shopper{}@example.com", i % 5000))
        .bind(statuses[(i % 7) as usize])
        .bind(1000 + i % 9000)
        .bind(format!("pi_{i:024}"))
        .bind(1_700_000_000 + i * 30)
        .execute(&mut *tx)
        .await
        .expect("insert");
    }
    tx.commit().await.expect("commit");
    println!(
        "inserted {ORDERS} orders in {:.1} s",
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
    time("page 2,000 deep (keyset cursor)", 50, async || {
        db::admin_orders(
            &pool,
            &all,
            Some(&OrderCursor {
                created_at: 1_700_000_000 + 50_000 * 30,
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
    pool.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
