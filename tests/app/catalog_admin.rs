//! The merchant's catalog: products added and edited in the admin appear in the shop as they
//! are; bad input is refused and changes nothing; images are PNG, JPEG or WebP by their bytes,
//! at most 2 MiB, served back as they were sent; stock adjustments keep a history and never take
//! the stock below zero, even racing checkouts; inactive products cannot be seen or bought.

use crate::admin::{admin_app, signed_in};
use crate::helpers::{form, TestApp, Visitor};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The smallest valid PNG (1×1, one transparent pixel).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0xF8, 0x5F,
    0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
const SVG: &[u8] =
    b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>";

fn product_fields<'a>(
    name: &'a str,
    slug: &'a str,
    price: &'a str,
    stock: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("slug", slug),
        ("description", "Made by hand.\r\nOne of a kind."),
        ("price", price),
        ("weight_grams", "450"),
        ("stock", stock),
        ("active", "on"),
    ]
}

impl Visitor {
    async fn create_product(
        &self,
        app: &TestApp,
        fields: &[(&str, &str)],
    ) -> crate::helpers::Reply {
        self.call(app, "admin/product/create", &form(fields)).await
    }
}

/// Adds a product as the merchant; its id.
async fn add_product(
    app: &TestApp,
    merchant: &Visitor,
    slug: &str,
    price: &str,
    stock: &str,
) -> i64 {
    let reply = merchant
        .create_product(app, &product_fields("Enamel Jug", slug, price, stock))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json().as_i64().expect("the new product's id")
}

/// Everything in the catalog, as one string: to show a refusal changed nothing.
async fn catalog_snapshot(app: &TestApp) -> String {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id || '|' || slug || '|' || name || '|' || description || '|' || price_minor || '|' || stock || '|' || weight_grams || '|' || active || '|' || image FROM products ORDER BY id",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    let images: i64 = sqlx::query_scalar("SELECT count(*) FROM product_images")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let adjustments: i64 = sqlx::query_scalar("SELECT count(*) FROM stock_adjustments")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    format!(
        "{}\nimages={images} adjustments={adjustments}",
        rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n")
    )
}

async fn stock_of(app: &TestApp, id: i64) -> i64 {
    sqlx::query_scalar("SELECT stock FROM products WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// A `multipart/form-data` body with one file field.
fn multipart(field: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----hk-test-boundary-5f1c2a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

struct Upload<'a> {
    cookie: Option<String>,
    file_name: &'a str,
    content_type: &'a str,
    bytes: &'a [u8],
    /// Extra headers (the same-origin ones by default).
    headers: Vec<(&'static str, &'static str)>,
    accept: &'static str,
}

impl<'a> Upload<'a> {
    fn new(merchant: &Visitor, file_name: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Self {
        Upload {
            cookie: merchant.cookie(),
            file_name,
            content_type,
            bytes,
            headers: vec![("sec-fetch-site", "same-origin")],
            accept: "application/json",
        }
    }

    async fn send(&self, app: &TestApp, product_id: i64) -> crate::helpers::Reply {
        let (content_type, body) =
            multipart("image", self.file_name, self.content_type, self.bytes);
        let mut request = Request::post(format!("/admin/products/{product_id}/image"))
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, self.accept);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        for (k, v) in &self.headers {
            request = request.header(*k, *v);
        }
        app.send(request.body(Body::from(body)).unwrap()).await
    }
}

/// A GET answered with its raw bytes.
async fn get_bytes(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = app
        .router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_added_in_the_admin_is_listed_in_the_shop_and_can_be_bought() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "6").await;

    let listed = merchant.call(&app, "admin/products", "").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let listed = listed.json();
    let jug = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"].as_i64() == Some(id))
        .expect("listed in the admin");
    assert_eq!(jug["price"]["minor"], 2450);
    assert_eq!(jug["weight_grams"], 450);
    assert_eq!(jug["stock"], 6);
    assert_eq!(jug["active"], true);
    assert_eq!(jug["description"], "Made by hand.\nOne of a kind.");

    let shopper = Visitor::new();
    let shop = shopper.get_page(&app, "/").await;
    assert_eq!(shop.status, StatusCode::OK);
    assert!(shop.body.contains("Enamel Jug"), "not in the shop");
    assert!(shop.body.contains("$24.50"));
    let page = shopper.get_page(&app, "/products/enamel-jug").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("One of a kind."));
    let added = shopper
        .call(
            &app,
            "cart/add",
            &form(&[("product_id", &id.to_string()), ("quantity", "2")]),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);

    // Its first stock is the first line of its history.
    let detail = merchant
        .call(&app, "admin/product", &form(&[("id", &id.to_string())]))
        .await
        .json();
    assert_eq!(detail["history"][0]["reason"], "Initial stock");
    assert_eq!(detail["history"][0]["delta"], 6);
    assert_eq!(detail["currency"], "USD");

    // The admin's pages render for the merchant.
    let list_page = merchant.get_page(&app, "/admin/products").await;
    assert_eq!(list_page.status, StatusCode::OK);
    assert!(list_page.body.contains("enamel-jug"));
    let product_page = merchant
        .get_page(&app, &format!("/admin/products/{id}"))
        .await;
    assert_eq!(product_page.status, StatusCode::OK);
    assert!(product_page.body.contains("Initial stock"));
    let new_page = merchant.get_page(&app, "/admin/products/new").await;
    assert!(new_page.body.contains("Add a product"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_price_shows_in_the_shop() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "6").await;
    let reply = merchant
        .call(
            &app,
            "admin/product/update",
            &form(&[
                ("id", &id.to_string()),
                ("name", "Enamel Jug, large"),
                ("slug", "enamel-jug-large"),
                ("description", "Bigger."),
                ("price", "1,031.05"),
                ("weight_grams", "900"),
                ("active", "on"),
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let page = Visitor::new()
        .get_page(&app, "/products/enamel-jug-large")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("$1,031.05"), "new price not shown");
    assert!(page.body.contains("Enamel Jug, large"));
    // The old address is gone; the stock was not touched by the edit.
    let old = Visitor::new().get_page(&app, "/products/enamel-jug").await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    assert_eq!(stock_of(&app, id).await, 6);
    let product = Visitor::new()
        .call(
            &app,
            "catalog/product",
            &form(&[("slug", "enamel-jug-large")]),
        )
        .await
        .json();
    assert_eq!(product["price"]["minor"], 103105);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_product_input_is_refused_and_changes_nothing() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "6").await;
    let before = catalog_snapshot(&app).await;
    let long_description = "x".repeat(2001);
    let long_name = "n".repeat(121);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("price", "-5.00", "more than zero"),
        ("price", "0", "more than zero"),
        ("price", "0.00", "more than zero"),
        ("price", "12.345", "not an amount"),
        ("price", "1000000.01", "at most $1,000,000.00"),
        ("price", "ten", "not an amount"),
        ("stock", "-1", "stock cannot be negative"),
        ("stock", "100001", "whole number from 0 to 100000"),
        ("weight_grams", "-10", "weight in grams cannot be negative"),
        ("weight_grams", "100001", "whole number from 0 to 100000"),
        ("slug", "Bad Slug", "slug"),
        ("slug", "../admin", "slug"),
        ("slug", "", "slug"),
        (
            "slug",
            "stoneware-mug",
            "Another product already has the slug “stoneware-mug”",
        ),
        (
            "slug",
            "enamel-jug",
            "Another product already has the slug “enamel-jug”",
        ),
        ("description", &long_description, "at most 2000 characters"),
        (
            "description",
            "bell\u{0007}",
            "description contains control characters",
        ),
        ("name", "Jug\u{0000}", "name contains control characters"),
        ("name", "  ", "Give the product a name"),
        ("name", &long_name, "at most 120 characters"),
    ];
    for (field, value, message) in &cases {
        let mut fields = product_fields("Another Jug", "another-jug", "9.99", "3");
        for f in fields.iter_mut() {
            if f.0 == *field {
                f.1 = value;
            }
        }
        let reply = merchant.create_product(&app, &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{field}={value:?}: {}",
            reply.body
        );
        assert!(
            reply.body.contains(message),
            "{field}={value:?}: {}",
            reply.body
        );
        // The same on an edit (but the stock, which an edit does not take, and the product's own slug).
        if *field == "stock" || *value == "enamel-jug" {
            continue;
        }
        let mut fields: Vec<(&str, &str)> = fields.into_iter().filter(|f| f.0 != "stock").collect();
        let id_text = id.to_string();
        fields.push(("id", &id_text));
        let reply = merchant
            .call(&app, "admin/product/update", &form(&fields))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "edit {field}={value:?}: {}",
            reply.body
        );
        assert!(
            reply.body.contains(message),
            "edit {field}={value:?}: {}",
            reply.body
        );
    }
    assert_eq!(
        catalog_snapshot(&app).await,
        before,
        "a refusal changed the catalog"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_functions_and_uploads_need_a_signed_in_merchant() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "6").await;
    let before = catalog_snapshot(&app).await;
    let stranger = Visitor::new();
    stranger.get_page(&app, "/").await;
    let id_text = id.to_string();
    let calls: Vec<(&str, String)> = vec![
        ("admin/products", String::new()),
        ("admin/product", form(&[("id", &id_text)])),
        (
            "admin/product/create",
            form(&product_fields("Stolen", "stolen", "1.00", "1")),
        ),
        (
            "admin/product/update",
            form(&[
                ("id", &id_text),
                ("name", "Stolen"),
                ("slug", "stolen"),
                ("price", "0.50"),
                ("weight_grams", "1"),
            ]),
        ),
        (
            "admin/product/stock",
            form(&[("id", &id_text), ("delta", "-6"), ("reason", "theft")]),
        ),
    ];
    for (endpoint, body) in &calls {
        let reply = stranger.call(&app, endpoint, body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{endpoint}: {}",
            reply.body
        );
    }
    // Another site's page posting with the merchant's own cookie is refused too.
    for (endpoint, body) in &calls {
        let mut request = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .header(header::ORIGIN, "https://evil.example");
        request = request.header(header::COOKIE, merchant.cookie().unwrap());
        let reply = app
            .send(request.body(Body::from(body.clone())).unwrap())
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{endpoint}: {}",
            reply.body
        );
    }
    assert_eq!(catalog_snapshot(&app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_uploads_change_nothing() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "6").await;
    let before = catalog_snapshot(&app).await;

    // Over 2 MiB (a real PNG header, so only the size is wrong): 413 with a clear message.
    let mut big = PNG.to_vec();
    big.resize(2 * 1024 * 1024 + 1, 0);
    let reply = Upload::new(&merchant, "big.png", "image/png", &big)
        .send(&app, id)
        .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("larger than 2 MiB"), "{}", reply.body);
    // Far over (past the route's body limit): the same answer.
    let huge = vec![0x89u8; 5 * 1024 * 1024];
    let reply = Upload::new(&merchant, "huge.png", "image/png", &huge)
        .send(&app, id)
        .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("larger than 2 MiB"), "{}", reply.body);
    // From the browser's form: the same status, as a page with a way back.
    let mut from_form = Upload::new(&merchant, "big.png", "image/png", &big);
    from_form.accept = "text/html,application/xhtml+xml";
    let reply = from_form.send(&app, id).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply
        .body
        .contains(&format!("href=\"/admin/products/{id}\"")));

    // Not PNG, JPEG or WebP, whatever the name and the claimed type say.
    for (name, claimed, bytes) in [
        ("evil.svg", "image/svg+xml", SVG),
        ("evil.png", "image/png", SVG),
        ("notes.txt", "text/plain", &b"just some text"[..]),
        ("photo.png", "image/png", GIF),
        ("empty.png", "image/png", &b""[..]),
    ] {
        let reply = Upload::new(&merchant, name, claimed, bytes)
            .send(&app, id)
            .await;
        let expected = if bytes.is_empty() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        };
        assert_eq!(reply.status, expected, "{name}: {}", reply.body);
        if !bytes.is_empty() {
            assert!(
                reply.body.contains("Only PNG, JPEG or WebP"),
                "{name}: {}",
                reply.body
            );
        }
    }

    // Not signed in; a forged cookie; another site's form with the merchant's cookie.
    let stranger = Visitor::new();
    stranger.get_page(&app, "/").await;
    let reply = Upload::new(&stranger, "a.png", "image/png", PNG)
        .send(&app, id)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    let forged = Visitor::with_cookie("hk_session=forgedforgedforgedforged".into());
    let reply = Upload::new(&forged, "a.png", "image/png", PNG)
        .send(&app, id)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    let mut cross = Upload::new(&merchant, "a.png", "image/png", PNG);
    cross.headers = vec![
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ];
    let reply = cross.send(&app, id).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let mut bare = Upload::new(&merchant, "a.png", "image/png", PNG);
    bare.headers = vec![];
    let reply = bare.send(&app, id).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    // No such product.
    let reply = Upload::new(&merchant, "a.png", "image/png", PNG)
        .send(&app, 999_999)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);

    assert_eq!(
        catalog_snapshot(&app).await,
        before,
        "a refused upload changed something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_png_is_served_back_byte_for_byte_and_shown_in_the_shop() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "6").await;
    // The browser's claimed type does not matter: the bytes do.
    let reply = Upload::new(&merchant, "jug.bin", "application/octet-stream", PNG)
        .send(&app, id)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let url = reply.json()["image"].as_str().unwrap().to_string();
    assert!(url.starts_with("/images/uploads/"), "{url}");

    let (status, headers, bytes) = get_bytes(&app, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG, "not the bytes uploaded");
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let cache = headers[header::CACHE_CONTROL].to_str().unwrap();
    assert!(cache.contains("max-age=31536000"), "{cache}");
    assert!(headers.get(header::CONTENT_ENCODING).is_none());

    // The shop shows it.
    let shop = Visitor::new().get_page(&app, "/").await;
    assert!(
        shop.body.contains(&format!("src=\"{url}\"")),
        "not in the shop"
    );

    // A browser's form is sent back to the product's page; the new image replaces the old one.
    let mut from_form = Upload::new(&merchant, "jug.png", "image/png", PNG);
    from_form.accept = "text/html,application/xhtml+xml";
    let reply = from_form.send(&app, id).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.headers[header::LOCATION],
        format!("/admin/products/{id}?image=uploaded").as_str()
    );
    let images: i64 = sqlx::query_scalar("SELECT count(*) FROM product_images")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(images, 1);
    let (status, _, _) = get_bytes(&app, &url).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the replaced image is still served"
    );
    for missing in ["/images/uploads/999999", "/images/uploads/abc"] {
        let (status, _, _) = get_bytes(&app, missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_adjustments_keep_a_history_and_never_go_negative() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "6").await;
    let id_text = id.to_string();
    let adjust = |delta: &'static str, reason: &'static str| {
        let merchant = merchant.clone();
        let app = &app;
        let id_text = id_text.clone();
        async move {
            merchant
                .call(
                    app,
                    "admin/product/stock",
                    &form(&[("id", &id_text), ("delta", delta), ("reason", reason)]),
                )
                .await
        }
    };
    let reply = adjust("+4", "Delivery from the potter").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("10 now on sale"), "{}", reply.body);
    let reply = adjust("-3", "Two chipped, one lost").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(stock_of(&app, id).await, 7);

    let before = catalog_snapshot(&app).await;
    let reply = adjust("-8", "Too many").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("Only 7 in stock"), "{}", reply.body);
    for (delta, reason, message) in [
        ("0", "nothing", "other than 0"),
        ("5", "", "Say why"),
        ("5", "   ", "Say why"),
        ("1.5", "half", "whole number"),
        ("100001", "lots", "at most 100000"),
        ("99999999999999999999", "lots", "at most 100000"),
    ] {
        let reply = adjust(delta, reason).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{delta}: {}",
            reply.body
        );
        assert!(reply.body.contains(message), "{delta}: {}", reply.body);
    }
    let long_reason = "r".repeat(201);
    let reply = merchant
        .call(
            &app,
            "admin/product/stock",
            &form(&[("id", &id_text), ("delta", "1"), ("reason", &long_reason)]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("at most 200 characters"));
    let reply = merchant
        .call(
            &app,
            "admin/product/stock",
            &form(&[("id", "999999"), ("delta", "1"), ("reason", "ghost")]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        catalog_snapshot(&app).await,
        before,
        "a refused adjustment changed something"
    );

    // Down to exactly zero is fine.
    let reply = adjust("-7", "Stocktake: none left").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let detail = merchant
        .call(&app, "admin/product", &form(&[("id", &id_text)]))
        .await
        .json();
    let history: Vec<(i64, i64, String)> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert!(a["actor"].as_str().unwrap().starts_with("merchant"));
            (
                a["delta"].as_i64().unwrap(),
                a["stock_after"].as_i64().unwrap(),
                a["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            (-7, 0, "Stocktake: none left".to_string()),
            (-3, 7, "Two chipped, one lost".to_string()),
            (4, 10, "Delivery from the potter".to_string()),
            (6, 6, "Initial stock".to_string()),
        ]
    );
    let page = merchant
        .get_page(&app, &format!("/admin/products/{id}"))
        .await;
    assert!(
        page.body.contains("Two chipped, one lost"),
        "history not on the page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adjustments_racing_checkouts_never_take_the_stock_below_zero() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "10").await;
    let id_text = id.to_string();
    // Ten shoppers with one jug each in their cart, then ten checkouts and ten adjustments of
    // -1 at once: twenty takers for ten jugs.
    let mut shoppers = Vec::new();
    for _ in 0..10 {
        let shopper = Visitor::new();
        let reply = shopper
            .call(
                &app,
                "cart/add",
                &form(&[("product_id", &id_text), ("quantity", "1")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        shoppers.push(shopper);
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for (n, shopper) in shoppers.into_iter().enumerate() {
        let shop = app.clone();
        tasks.push(tokio::spawn(async move {
            let reply = shopper
                .start_checkout(&shop, &format!("racer{n}@example.com"))
                .await;
            ("checkout", reply.status, reply.body)
        }));
        let shop = app.clone();
        let merchant = merchant.clone();
        let id_text = id_text.clone();
        tasks.push(tokio::spawn(async move {
            // Spread over the checkouts' time, so some come before them and some after.
            tokio::time::sleep(std::time::Duration::from_millis(n as u64 * 4)).await;
            let reply = merchant
                .call(
                    &shop,
                    "admin/product/stock",
                    &form(&[("id", &id_text), ("delta", "-1"), ("reason", "Breakage")]),
                )
                .await;
            ("adjust", reply.status, reply.body)
        }));
    }
    let (mut checkouts, mut adjustments) = (0i64, 0i64);
    for task in tasks {
        let (kind, status, body) = task.await.unwrap();
        match (kind, status) {
            ("checkout", StatusCode::OK) => checkouts += 1,
            ("adjust", StatusCode::OK) => adjustments += 1,
            (_, StatusCode::BAD_REQUEST) => {
                // Refused for want of stock: the checkout's own words, or the adjustment's.
                assert!(
                    body.contains("StockChanged")
                        || body.contains("InvalidQuantity")
                        || body.contains("Only 0 in stock"),
                    "{kind}: {body}"
                )
            }
            other => panic!("{other:?}: {body}"),
        }
    }
    let stock = stock_of(&app, id).await;
    assert!(stock >= 0, "stock went negative: {stock}");
    assert_eq!(
        stock + checkouts + adjustments,
        10,
        "jugs appeared or vanished"
    );
    assert_eq!(
        checkouts + adjustments,
        10,
        "a jug was left although takers were refused"
    );
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM stock_adjustments WHERE product_id = $1 AND reason = 'Breakage'",
    )
    .bind(id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(recorded, adjustments, "history and stock disagree");
    let lowest: i64 =
        sqlx::query_scalar("SELECT min(stock_after) FROM stock_adjustments WHERE product_id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert!(lowest >= 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_product_is_hidden_not_found_and_cannot_be_added_to_a_cart() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let id = add_product(&app, &merchant, "enamel-jug", "24.50", "6").await;
    let id_text = id.to_string();
    // A shopper who put it in their cart while it was on sale.
    let early = Visitor::new();
    let reply = early
        .call(
            &app,
            "cart/add",
            &form(&[("product_id", &id_text), ("quantity", "1")]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = merchant
        .call(
            &app,
            "admin/product/update",
            &form(&[
                ("id", &id_text),
                ("name", "Enamel Jug"),
                ("slug", "enamel-jug"),
                ("description", "Resting."),
                ("price", "24.50"),
                ("weight_grams", "450"),
                // no `active`: the checkbox is not ticked
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let shopper = Visitor::new();
    let shop = shopper.get_page(&app, "/").await;
    assert!(
        !shop.body.contains("Enamel Jug"),
        "an inactive product is in the shop"
    );
    let list = shopper.call(&app, "catalog/list", "").await.json();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["id"].as_i64() != Some(id)));
    let page = shopper.get_page(&app, "/products/enamel-jug").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let added = shopper
        .call(
            &app,
            "cart/add",
            &form(&[("product_id", &id_text), ("quantity", "1")]),
        )
        .await;
    assert_eq!(added.status, StatusCode::NOT_FOUND, "{}", added.body);
    let cart = shopper.cart(&app).await;
    assert!(cart["lines"].as_array().unwrap().is_empty());
    // The early shopper's line is left out of their cart, so it cannot be checked out.
    let cart = early.cart(&app).await;
    assert!(cart["lines"].as_array().unwrap().is_empty(), "{cart}");
    let reply = early.start_checkout(&app, "early@example.com").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("EmptyCart"), "{}", reply.body);
    assert_eq!(stock_of(&app, id).await, 6);
    // Still in the admin, marked inactive.
    let listed = merchant.call(&app, "admin/products", "").await.json();
    let jug = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"].as_i64() == Some(id))
        .unwrap()
        .clone();
    assert_eq!(jug["active"], false);
    // Active again: back in the shop.
    let reply = merchant
        .call(
            &app,
            "admin/product/update",
            &form(&[
                ("id", &id_text),
                ("name", "Enamel Jug"),
                ("slug", "enamel-jug"),
                ("price", "24.50"),
                ("weight_grams", "450"),
                ("active", "on"),
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        shopper.get_page(&app, "/products/enamel-jug").await.status,
        StatusCode::OK
    );
    let cart = early.cart(&app).await;
    assert_eq!(cart["lines"][0]["product_id"].as_i64(), Some(id), "{cart}");
}
