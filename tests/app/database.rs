//! The database underneath: what holds whichever backend the suite runs on, and what a
//! PostgreSQL server going away does to a running shop.

use crate::helpers::{lines, on_postgres, product, spawn_app, Visitor, MUG, TEA_TIN};
use axum::http::StatusCode;

/// Every connection the shop holds to PostgreSQL is cut (what a server restart or a network
/// blip does): the next requests are served on new connections, the cart and the session are
/// still there, and nothing is lost. On SQLite a connection is a file in the process and cannot
/// be cut from outside, so there the test only checks the shop serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_connections_are_replaced_and_nothing_is_lost() {
    let app = spawn_app().await;
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    let tin = product(&app, TEA_TIN).await;
    assert_eq!(
        shopper.add_to_cart(&app, &mug, 2).await.status,
        StatusCode::OK
    );

    if on_postgres() {
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
        assert!(!cut.is_empty(), "the shop held connections to cut");
        // The connection that asked is cut as well, afterwards.
        let _ = sqlx::query("SELECT pg_terminate_backend(pg_backend_pid())")
            .execute(&app.state.pool)
            .await;
    }

    let added = shopper.add_to_cart(&app, &tin, 1).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(
        lines(&shopper.cart(&app).await),
        vec![(mug.id, 2), (tin.id, 1)],
        "the session and the cart outlived the connections"
    );
    let page = shopper.get_page(&app, "/cart").await;
    assert_eq!(page.status, StatusCode::OK);
}

/// Which backend the shop picked from its URL, and that it is the one the suite meant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_url_picks_the_backend() {
    use checkout::server::db::Backend;
    let app = spawn_app().await;
    let expected = if on_postgres() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    assert_eq!(Backend::of(&app.state.pool), expected);
}
