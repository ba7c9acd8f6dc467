//! The catalog pages, rendered on the server.

use crate::helpers::{spawn_app, Visitor};
use axum::http::StatusCode;
use checkout::domain::money::{Currency, Money};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_page_lists_every_product_with_its_database_price() {
    let app = spawn_app().await;
    let products: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT name, price_minor, currency FROM products ORDER BY id")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert!(
        products.len() >= 8,
        "the catalog is seeded with at least 8 products"
    );

    let page = Visitor::new().get_page(&app, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    // With SsrMode::Async the products are in the HTML itself, not streamed in by script.
    for (name, price, currency) in products {
        assert!(
            page.body.contains(&name),
            "{name} missing from the shop page"
        );
        let price = Money::new(price, Currency::parse(&currency).unwrap()).to_string();
        assert!(
            page.body.contains(&price),
            "{price} missing from the shop page"
        );
    }
    assert!(
        page.body.contains("<title>Shop · Hearth & Kettle</title>"),
        "page title"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_page_shows_its_product_and_an_unknown_one_is_404() {
    let app = spawn_app().await;
    let visitor = Visitor::new();
    let page = visitor.get_page(&app, "/products/copper-kettle").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Copper Kettle"));
    assert!(page.body.contains("$98.00"));
    assert!(page.body.contains("hammered copper"));

    let missing = visitor.get_page(&app, "/products/no-such-thing").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("couldn’t find that page"));

    let nowhere = visitor.get_page(&app, "/no/such/page").await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_page_view_starts_a_lax_http_only_session() {
    let app = spawn_app().await;
    let page = Visitor::new().get_page(&app, "/").await;
    let cookie = page
        .headers
        .get(axum::http::header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("hk_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_asset_is_404_and_starts_no_session() {
    let app = spawn_app().await;
    let request = axum::http::Request::get("/pkg/missing.css")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.headers.get(axum::http::header::SET_COOKIE).is_none());
}

/// Pages travel compressed when the browser accepts it, and are never cached (stock and
/// prices change); the static images are cached for an hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_compressed_and_never_cached() {
    let app = crate::helpers::spawn_app().await;
    let request = axum::http::Request::get("/")
        .header(axum::http::header::ACCEPT_ENCODING, "br, gzip")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), axum::http::StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers[axum::http::header::CONTENT_ENCODING], "br");
    assert_eq!(
        headers[axum::http::header::CACHE_CONTROL],
        "no-cache, private"
    );
    let plain = app
        .send(
            axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        plain.body.contains("Stoneware"),
        "without Accept-Encoding the page is plain"
    );
}
