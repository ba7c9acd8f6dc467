//! Receipts through the outbox, delivered to a real SMTP server: one email per change, however
//! often the change is reported; retried while the server is down; a refused address fails
//! alone. And "find my order".

use crate::admin::signed_in;
use crate::helpers::{form, fresh_db_path, place_order, spawn_app_with, TestApp, Visitor, MUG};
use crate::smtp_sink::{SmtpSink, Stall};
use crate::webhooks::{now, order, pi_event, refund_event, send};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use checkout::server::email::{send_due, Pass};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

const FROM: &str = "Hearth & Kettle <orders@shop.test>";

async fn mail_app(db: PathBuf, smtp_url: &str) -> TestApp {
    spawn_app_with(
        db,
        &[
            ("SMTP_URL", smtp_url),
            ("MAIL_FROM", FROM),
            ("EMAIL_RETRY_SECONDS", "1"),
            ("PUBLIC_URL", "https://shop.test"),
            ("ADMIN_PASSWORD_HASH", crate::admin::password_hash()),
        ],
    )
    .await
}

async fn send_now(app: &TestApp) -> Pass {
    send_due(&app.state.pool, &app.state.mailer).await.unwrap()
}

async fn pay(app: &TestApp, pi: &str, event_id: &str) -> (String, i64) {
    let (order_id, amount) = order(app, pi).await;
    let event = pi_event(event_id, "payment_intent.succeeded", pi, amount, now());
    assert_eq!(send(app, &event).await, StatusCode::OK);
    (order_id, amount)
}

async fn outbox(app: &TestApp) -> Vec<(String, String, i64)> {
    sqlx::query_as("SELECT kind, status, attempts FROM email_outbox ORDER BY id")
        .fetch_all(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_sends_one_receipt_however_often_its_webhook_comes() {
    let sink = SmtpSink::start();
    let app = mail_app(fresh_db_path(), &sink.url()).await;
    let (order_id, amount) = pay(&app, "pi_mail_once", "evt_mail_once").await;
    let again = pi_event(
        "evt_mail_once",
        "payment_intent.succeeded",
        "pi_mail_once",
        amount,
        now(),
    );
    for _ in 0..4 {
        send(&app, &again).await;
    }
    // Another event saying the same thing (another id) changes nothing either.
    let other = pi_event(
        "evt_mail_other",
        "payment_intent.succeeded",
        "pi_mail_once",
        amount,
        now(),
    );
    send(&app, &other).await;

    assert_eq!(
        send_now(&app).await,
        Pass {
            sent: 1,
            retrying: 0,
            failed: 0
        }
    );
    assert_eq!(
        send_now(&app).await,
        Pass::default(),
        "nothing left to send"
    );
    let mail = sink.received();
    assert_eq!(mail.len(), 1, "{mail:?}");
    let receipt = &mail[0];
    assert_eq!(receipt.to, vec!["ada@example.com".to_string()]);
    assert!(receipt.header("subject").unwrap().contains(&order_id));
    let text = receipt.text();
    assert!(
        text.contains(&format!("https://shop.test/orders/{order_id}")),
        "{text}"
    );
    assert!(text.contains("2 × Stoneware Mug"), "{text}");
    assert!(
        !text.contains("client_secret") && !text.contains("sk_test") && !text.contains("whsec"),
        "no secrets: {text}"
    );
    // The merchant sees it in the order's timeline.
    let timeline: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM order_events WHERE order_id = $1 AND kind = 'email' ORDER BY id",
    )
    .bind(&order_id)
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(
        timeline,
        vec![
            "Receipt queued for ada@example.com".to_string(),
            "Receipt sent to ada@example.com".to_string()
        ]
    );
}

/// Plays a crash of the sender at `stall` on the first attempt, then a restarted process
/// sending what is due. Returns what the SMTP server kept.
async fn crash_mid_send(stall: Stall, pi: &str) -> (Vec<crate::smtp_sink::Received>, TestApp) {
    let sink = SmtpSink::start_with(TcpListener::bind("127.0.0.1:0").unwrap(), &[], stall);
    let db = fresh_db_path();
    let app = mail_app(db.clone(), &sink.url()).await;
    pay(&app, pi, &format!("evt_{pi}")).await;
    let (pool, mailer) = (app.state.pool.clone(), app.state.mailer.clone());
    let sending = tokio::spawn(async move { send_due(&pool, &mailer).await });
    for _ in 0..100 {
        if sink.stalled() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(sink.stalled(), "the send reached the server");
    sending.abort(); // the process dies here
    let _ = sending.await;
    drop(app);

    let restarted = mail_app(db, &sink.url()).await;
    // The first attempt was counted before it went out; its retry is due a second later.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let pass = send_now(&restarted).await;
    assert_eq!(pass.sent, 1, "{pass:?}");
    (sink.received(), restarted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_send_never_loses_the_receipt_and_sends_it_twice_at_most() {
    // Dying before the server took the message: sent exactly once, after the restart.
    let (mail, app) = crash_mid_send(Stall::BeforeData, "pi_crash_early").await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(
        outbox(&app).await,
        vec![("receipt".into(), "sent".into(), 2)]
    );

    // Dying after the server took it, before hearing "250": one duplicate, with the same
    // Message-ID (the README says so).
    let (mail, app) = crash_mid_send(Stall::BeforeOk, "pi_crash_late").await;
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert_eq!(mail[0].header("message-id"), mail[1].header("message-id"));
    assert!(mail[0]
        .header("message-id")
        .unwrap()
        .contains("@shop.test>"));
    assert_eq!(
        outbox(&app).await,
        vec![("receipt".into(), "sent".into(), 2)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_sends_one_notice_with_its_amount() {
    let sink = SmtpSink::start();
    let app = mail_app(fresh_db_path(), &sink.url()).await;
    let (order_id, _) = pay(&app, "pi_mail_refund", "evt_mail_refund_paid").await;
    let refunded = refund_event(
        "evt_mail_re",
        "refund.updated",
        "pi_mail_refund",
        "re_mail_1",
        500,
        "succeeded",
        now(),
    );
    for _ in 0..3 {
        assert_eq!(send(&app, &refunded).await, StatusCode::OK);
    }
    let also = refund_event(
        "evt_mail_re_2",
        "charge.refund.updated",
        "pi_mail_refund",
        "re_mail_1",
        500,
        "succeeded",
        now(),
    );
    send(&app, &also).await;
    assert_eq!(send_now(&app).await.sent, 2);
    let mail = sink.received();
    let subjects: Vec<String> = mail.iter().map(|m| m.header("subject").unwrap()).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[1].contains("Refund of $5.00"), "{subjects:?}");
    assert!(subjects[1].contains(&order_id));
    assert!(mail[1].text().contains("5 to 10 business days"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_smtp_is_down_emails_wait_and_go_out_once_it_is_back() {
    // A port with nothing listening yet.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let app = mail_app(fresh_db_path(), &format!("smtp://127.0.0.1:{port}")).await;
    pay(&app, "pi_mail_down", "evt_mail_down").await;

    assert_eq!(
        send_now(&app).await,
        Pass {
            sent: 0,
            retrying: 1,
            failed: 0
        }
    );
    let (status, attempts, error): (String, i64, Option<String>) =
        sqlx::query_as("SELECT status, attempts, last_error FROM email_outbox")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.is_some_and(|e| !e.is_empty()));
    // Not due again before its backoff.
    assert_eq!(send_now(&app).await, Pass::default());

    let sink = SmtpSink::start_with(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        &[],
        Stall::None,
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(send_now(&app).await.sent, 1);
    assert_eq!(sink.received().len(), 1);
    assert_eq!(
        outbox(&app).await,
        vec![("receipt".into(), "sent".into(), 2)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_address_is_marked_failed_in_the_admin_and_blocks_nothing() {
    let sink = SmtpSink::start_with(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        &["bounce@"],
        Stall::None,
    );
    let app = mail_app(fresh_db_path(), &sink.url()).await;
    let total = place_order(
        &app,
        "ord_bounce",
        "cart_bounce",
        "bounce@example.com",
        MUG,
        1,
        Some("pi_bounce"),
    )
    .await;
    let event = pi_event(
        "evt_bounce",
        "payment_intent.succeeded",
        "pi_bounce",
        total.minor,
        now(),
    );
    assert_eq!(send(&app, &event).await, StatusCode::OK);
    pay(&app, "pi_mail_good", "evt_mail_good").await;

    assert_eq!(
        send_now(&app).await,
        Pass {
            sent: 1,
            retrying: 0,
            failed: 1
        }
    );
    let mail = sink.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["ada@example.com".to_string()]);

    let merchant = signed_in(&app).await;
    let page = merchant.call(&app, "admin/emails", "").await.json();
    let bounce = page["emails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["recipient"] == "bounce@example.com")
        .unwrap()
        .clone();
    assert_eq!(bounce["status"], "failed");
    assert!(
        bounce["last_error"].as_str().unwrap().contains("550"),
        "{bounce}"
    );
    let timeline: Vec<String> = sqlx::query_scalar("SELECT detail FROM order_events WHERE order_id = 'ord_bounce' AND kind = 'email' ORDER BY id")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert!(
        timeline
            .last()
            .unwrap()
            .starts_with("Receipt to bounce@example.com could not be sent"),
        "{timeline:?}"
    );

    // The merchant resends it: a new email, tried again.
    let id = bounce["id"].as_i64().unwrap().to_string();
    let reply = merchant
        .call(&app, "admin/email/resend", &form(&[("id", &id)]))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(outbox(&app).await.len(), 3);
    // Not for a shopper.
    let reply = Visitor::new()
        .call(&app, "admin/email/resend", &form(&[("id", &id)]))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_emails_stay_in_the_outbox_readable_in_the_admin() {
    let app = spawn_app_with(
        fresh_db_path(),
        &[("ADMIN_PASSWORD_HASH", crate::admin::password_hash())],
    )
    .await;
    let (order_id, _) = pay(&app, "pi_no_smtp", "evt_no_smtp").await;
    assert_eq!(send_now(&app).await, Pass::default());
    let merchant = signed_in(&app).await;
    let page = merchant.call(&app, "admin/emails", "").await.json();
    assert_eq!(page["smtp_configured"], false);
    let email = &page["emails"][0];
    assert_eq!(email["status"], "pending");
    let id = email["id"].as_i64().unwrap().to_string();
    let detail = merchant
        .call(&app, "admin/email", &form(&[("id", &id)]))
        .await
        .json();
    let text = detail["text"].as_str().unwrap();
    assert!(text.contains("Thank you for your order"), "{text}");
    assert!(detail["links"].as_array().unwrap().iter().any(|l| l
        .as_str()
        .unwrap()
        .ends_with(&format!("/orders/{order_id}"))));
    let page = Visitor::new().call(&app, "admin/emails", "").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
}

async fn open(app: &TestApp, path: &str) -> (StatusCode, String) {
    let reply = app
        .send(
            Request::get(path)
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let location = reply
        .headers
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (reply.status, location)
}

fn link_tokens(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix("https://shop.test/orders/open/"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_my_order_emails_expiring_links_and_answers_alike_for_strangers() {
    let sink = SmtpSink::start();
    let app = mail_app(fresh_db_path(), &sink.url()).await;
    let (order_id, _) = pay(&app, "pi_find", "evt_find").await;
    send_now(&app).await; // the receipt
    let shopper = Visitor::new();

    let known = shopper
        .call(&app, "orders/find", &form(&[("email", "ADA@example.com ")]))
        .await;
    let stranger = shopper
        .call(
            &app,
            "orders/find",
            &form(&[("email", "nobody@example.com")]),
        )
        .await;
    assert_eq!(known.status, StatusCode::OK, "{}", known.body);
    assert_eq!(known.body, stranger.body, "the same answer either way");
    assert_eq!(
        send_now(&app).await.sent,
        1,
        "one email, to the address with orders"
    );
    let mail = sink.received();
    let links = mail.last().unwrap();
    assert_eq!(links.to, vec!["ada@example.com".to_string()]);
    let tokens = link_tokens(&links.text());
    assert_eq!(tokens.len(), 1, "{}", links.text());
    assert!(
        !links.text().contains(&format!("/orders/{order_id}")),
        "the link is the token, not the order"
    );

    assert_eq!(
        open(&app, &format!("/orders/open/{}", tokens[0])).await,
        (StatusCode::SEE_OTHER, format!("/orders/{order_id}"))
    );
    assert_eq!(
        open(&app, &format!("/orders/open/{}", "0".repeat(64)))
            .await
            .1,
        "/find-order?expired=1"
    );
    assert_eq!(
        open(&app, "/orders/open/not-a-token").await.1,
        "/find-order?expired=1"
    );
    sqlx::query("UPDATE order_links SET expires_at = unixepoch() - 1")
        .execute(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(
        open(&app, &format!("/orders/open/{}", tokens[0])).await.1,
        "/find-order?expired=1",
        "expired"
    );
    checkout::server::reconcile::run_once(&app.state, now()).await;
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM order_links")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0, "expired links are deleted by the background round");

    // Per address: three emails an hour, then the same answer and nothing sent.
    for _ in 0..3 {
        let reply = Visitor::new()
            .call(&app, "orders/find", &form(&[("email", "ada@example.com")]))
            .await;
        assert_eq!(reply.body, known.body);
    }
    assert_eq!(send_now(&app).await.sent, 2);
    // Per client: ten requests an hour.
    for _ in 0..6 {
        shopper
            .call(
                &app,
                "orders/find",
                &form(&[("email", "nobody@example.com")]),
            )
            .await;
    }
    let slowed = shopper
        .call(
            &app,
            "orders/find",
            &form(&[("email", "nobody@example.com")]),
        )
        .await;
    assert_eq!(
        slowed.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        slowed.body
    );
    // A malformed address is an error and sends nothing.
    let bad = Visitor::new()
        .call(&app, "orders/find", &form(&[("email", "not an email")]))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(send_now(&app).await, Pass::default());
}
