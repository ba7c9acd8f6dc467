//! Cart server functions through the real router, session cookie and database.

use crate::helpers::{
    form, lines, product, spawn_app, spawn_app_on, text_after, Visitor, BOARD, KETTLE, MUG,
    TEA_TIN, TRIVET,
};
use axum::http::{header, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_update_and_remove_with_totals_from_database_prices() {
    let app = spawn_app().await;
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    let tin = product(&app, TEA_TIN).await;

    let added = shopper.add_to_cart(&app, &mug, 2).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(added.json(), "Added 2 × Stoneware Mug to your cart.");
    shopper.add_to_cart(&app, &tin, 1).await;
    shopper.add_to_cart(&app, &mug, 1).await;
    assert_eq!(
        lines(&shopper.cart(&app).await),
        vec![(mug.id, 3), (tin.id, 1)]
    );

    let updated = shopper.update_cart(&app, &tin, 4).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(
        lines(&shopper.cart(&app).await),
        vec![(mug.id, 3), (tin.id, 4)]
    );

    // The cart page shows the total of database price × quantity.
    let page = shopper.get_page(&app, "/cart").await;
    let expected = checkout::domain::money::Money::new(
        3 * mug.price_minor + 4 * tin.price_minor,
        checkout::domain::money::Currency::parse("USD").unwrap(),
    );
    assert_eq!(
        text_after(&page.body, "data-testid=\"cart-total\""),
        expected.to_string()
    );

    let removed = shopper.remove_from_cart(&app, &mug).await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(lines(&shopper.cart(&app).await), vec![(tin.id, 4)]);
    // Removing again is harmless.
    assert_eq!(
        shopper.remove_from_cart(&app, &mug).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_quantities_and_unknown_products_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let shopper = Visitor::new();
    let kettle = product(&app, KETTLE).await;
    shopper.add_to_cart(&app, &kettle, 1).await;
    let before = shopper.cart(&app).await;
    // Raw form bodies: what a tampered or broken page could send.
    let (id, stock) = (kettle.id, kettle.stock);

    let cases = [
        (
            "cart/add",
            format!("product_id={id}&quantity=0"),
            400,
            "Quantity must be at least 1.",
        ),
        (
            "cart/add",
            format!("product_id={id}&quantity=-2"),
            400,
            "Quantity must be at least 1.",
        ),
        (
            "cart/add",
            format!("product_id={id}&quantity={stock}"),
            400,
            "AboveStock",
        ),
        (
            "cart/add",
            "product_id=999999&quantity=1".to_string(),
            404,
            "ProductNotFound",
        ),
        (
            "cart/add",
            format!("product_id={id}&quantity=lots"),
            400,
            "not filled in correctly",
        ),
        (
            "cart/update",
            format!("product_id={id}&quantity=0"),
            400,
            "TooSmall",
        ),
        (
            "cart/update",
            format!("product_id={id}&quantity=-1"),
            400,
            "TooSmall",
        ),
        (
            "cart/update",
            format!("product_id={id}&quantity={}", stock + 1),
            400,
            "AboveStock",
        ),
        (
            "cart/update",
            "product_id=999999&quantity=1".to_string(),
            404,
            "ProductNotFound",
        ),
        (
            "cart/remove",
            "product_id=999999".to_string(),
            404,
            "ProductNotFound",
        ),
    ];
    for (endpoint, form, status, says) in cases {
        let reply = shopper.call(&app, endpoint, &form).await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{endpoint} {form}: {}",
            reply.body
        );
        let error: checkout::error::AppError =
            serde_json::from_str(&reply.body).expect("a typed error");
        let shown = format!("{error} {}", reply.body);
        assert!(shown.contains(says), "{endpoint} {form}: {shown}");
    }
    assert_eq!(
        shopper.cart(&app).await,
        before,
        "refused requests changed the cart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stock_message_says_how_many_are_left() {
    let app = spawn_app().await;
    let shopper = Visitor::new();
    let trivet = product(&app, TRIVET).await;
    shopper.add_to_cart(&app, &trivet, trivet.stock).await;
    let reply = shopper.add_to_cart(&app, &trivet, 1).await;
    let error: checkout::error::AppError = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        error.to_string(),
        format!("Only {} left in stock.", trivet.stock)
    );
    let update = shopper.update_cart(&app, &trivet, trivet.stock).await;
    assert_eq!(update.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updating_a_product_not_in_the_cart_is_refused() {
    let app = spawn_app().await;
    let mug = product(&app, MUG).await;
    let reply = Visitor::new().update_cart(&app, &mug, 2).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("NotInCart"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adds_from_two_tabs_all_land() {
    let app = spawn_app().await;
    let shopper = Visitor::new();
    shopper.get_page(&app, "/").await; // the first page view sets the session cookie
    let tin = product(&app, TEA_TIN).await;
    let mug = product(&app, MUG).await;
    assert!(tin.stock >= 20);

    let tabs: Vec<_> = (0..20)
        .map(|i| {
            let (tab, app_router) = (shopper.clone(), &app);
            let product = if i % 2 == 0 { &tin } else { &mug };
            async move { tab.add_to_cart(app_router, product, 1).await }
        })
        .collect();
    for reply in futures::future::join_all(tabs).await {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let mut landed = lines(&shopper.cart(&app).await);
    landed.sort();
    let mut expected = vec![(tin.id, 10), (mug.id, 10)];
    expected.sort();
    assert_eq!(landed, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adds_never_exceed_the_stock() {
    let app = spawn_app().await;
    let shopper = Visitor::new();
    shopper.get_page(&app, "/").await;
    let trivet = product(&app, TRIVET).await;
    let tabs: Vec<_> = (0..trivet.stock + 5)
        .map(|_| {
            let (tab, app, trivet) = (shopper.clone(), &app, &trivet);
            async move { tab.add_to_cart(app, trivet, 1).await.status }
        })
        .collect();
    let statuses = futures::future::join_all(tabs).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count() as i64,
        trivet.stock
    );
    assert_eq!(
        lines(&shopper.cart(&app).await),
        vec![(trivet.id, trivet.stock)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cart_survives_a_server_restart() {
    let app = spawn_app().await;
    let shopper = Visitor::new();
    let board = product(&app, BOARD).await;
    shopper.add_to_cart(&app, &board, 2).await;
    let cookie = shopper.cookie().expect("session cookie");
    let db = app.db_path.clone();
    app.state.pool.close().await;
    drop(app);

    let restarted = spawn_app_on(db).await;
    let same_browser = Visitor::with_cookie(cookie);
    assert_eq!(
        lines(&same_browser.cart(&restarted).await),
        vec![(board.id, 2)]
    );
    // A different visitor does not see it.
    assert!(lines(&Visitor::new().cart(&restarted).await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_posted_without_javascript_redirect_back_with_the_outcome() {
    let app = spawn_app().await;
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    let mug_id = mug.id.to_string();
    let referer = "http://127.0.0.1:3000/products/stoneware-mug";

    let ok = shopper
        .post_form(
            &app,
            "cart/add",
            &form(&[("product_id", &mug_id), ("quantity", "1")]),
            referer,
        )
        .await;
    assert_eq!(ok.status, StatusCode::FOUND);
    // leptos strips stale error info from the Referer, leaving an empty query.
    assert_eq!(
        ok.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .trim_end_matches('?'),
        referer
    );
    assert_eq!(lines(&shopper.cart(&app).await), vec![(mug.id, 1)]);

    let refused = shopper
        .post_form(
            &app,
            "cart/add",
            &form(&[("product_id", &mug_id), ("quantity", "0")]),
            referer,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FOUND);
    let location = refused.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        location.starts_with(referer) && location.contains("__err="),
        "{location}"
    );

    // The page the browser lands on shows the reason.
    let path = location.trim_start_matches("http://127.0.0.1:3000");
    let page = shopper.get_page(&app, path).await;
    assert!(
        page.body.contains("Quantity must be at least 1."),
        "{}",
        page.body
    );
    assert_eq!(lines(&shopper.cart(&app).await), vec![(mug.id, 1)]);
}
