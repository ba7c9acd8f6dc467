//! Checkout Sessions (https://docs.stripe.com/api/checkout/sessions) and the hosted page their
//! `url` opens: paying with test cards through the page's form, declines and retries, 3-D
//! Secure, processing cards, expiry by the API and by time, and the events of
//! https://docs.stripe.com/checkout/fulfillment.

use crate::common::{self, start, start_with, Sim, SK};
use serde_json::Value;
use std::time::Duration;
use stripe_sim::Simulator;

pub const SUCCESS: &str = "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}";
pub const CANCEL: &str = "https://shop.example/cart";

/// A payment-mode Session for two lines: 2 × $12.50 and 1 × $5.00 (total $30.00).
pub async fn create_session(sim: &Sim, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1250"),
        ("line_items[0][price_data][product_data][name]", "T-shirt"),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][price_data][currency]", "usd"),
        ("line_items[1][price_data][unit_amount]", "500"),
        (
            "line_items[1][price_data][product_data][name]",
            "Sticker <pack>",
        ),
        ("line_items[1][quantity]", "1"),
        ("customer_email", "jenny@example.com"),
        ("client_reference_id", "cart_42"),
        ("metadata[cart]", "42"),
        ("payment_intent_data[metadata][order_id]", "ord_42"),
        ("success_url", SUCCESS),
        ("cancel_url", CANCEL),
    ];
    form.extend_from_slice(extra);
    let r = sim.post("/v1/checkout/sessions", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

async fn page_of(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let location = headers
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    Page {
        status,
        location,
        headers,
        body: r.text().await.unwrap(),
    }
}

pub async fn open_page(url: &str) -> Page {
    page_of(browser().get(url).send().await.unwrap()).await
}

/// Submits the hosted page's form with `number` (and the other fields filled in).
pub async fn submit(session: &Value, number: &str, extra: &[(&str, &str)]) -> Page {
    let url = session["url"].as_str().unwrap();
    let mut form = vec![
        ("email", "jenny@example.com"),
        ("number", number),
        ("expiry", "12 / 34"),
        ("cvc", "123"),
        ("name", "Jenny Rosen"),
        ("country", "US"),
        ("postal_code", "94103"),
    ];
    form.extend_from_slice(extra);
    page_of(browser().post(url).form(&form).send().await.unwrap()).await
}

async fn session_events(sim: &Sim, session: &str) -> Vec<String> {
    let r = sim
        .call("GET", "/v1/events", SK, &[("limit", "100")], None)
        .await;
    let mut types: Vec<String> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["object"]["id"] == session)
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    types.reverse();
    types
}

async fn retrieve(sim: &Sim, session: &str) -> Value {
    sim.get(&format!("/v1/checkout/sessions/{session}"))
        .await
        .body
}

fn success_for(session: &str) -> String {
    SUCCESS.replace("{CHECKOUT_SESSION_ID}", session)
}

#[tokio::test]
async fn a_session_is_created_retrieved_and_listed() {
    let sim = start().await;
    let session = create_session(&sim, &[]).await;
    let sid = id(&session);
    assert!(sid.starts_with("cs_test_"), "{sid}");
    assert_eq!(sid.len(), "cs_test_".len() + 58);
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(session["mode"], "payment");
    assert_eq!(session["status"], "open");
    assert_eq!(session["payment_status"], "unpaid");
    assert_eq!(session["amount_subtotal"], 3000);
    assert_eq!(session["amount_total"], 3000);
    assert_eq!(session["currency"], "usd");
    assert_eq!(session["customer_email"], "jenny@example.com");
    assert_eq!(session["client_reference_id"], "cart_42");
    assert_eq!(session["metadata"]["cart"], "42");
    assert_eq!(session["success_url"], SUCCESS, "kept as given");
    assert_eq!(session["cancel_url"], CANCEL);
    assert!(
        session["payment_intent"].is_null(),
        "made when the shopper pays"
    );
    assert!(session.get("line_items").is_none(), "only when expanded");
    assert_eq!(
        session["url"].as_str().unwrap(),
        format!("{}/c/pay/{sid}", sim.base)
    );
    assert_eq!(
        session["expires_at"].as_i64().unwrap() - session["created"].as_i64().unwrap(),
        86_400,
        "24 hours by default"
    );

    assert_eq!(retrieve(&sim, sid).await, session);
    let expanded = sim
        .get(&format!(
            "/v1/checkout/sessions/{sid}?expand[]=line_items&expand[]=payment_intent"
        ))
        .await
        .body;
    let lines = expanded["line_items"]["data"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["description"], "T-shirt");
    assert_eq!(lines[0]["quantity"], 2);
    assert_eq!(lines[0]["amount_total"], 2500);
    assert_eq!(lines[0]["price"]["unit_amount"], 1250);
    let items = sim
        .get(&format!("/v1/checkout/sessions/{sid}/line_items"))
        .await
        .body;
    assert_eq!(items["data"], expanded["line_items"]["data"]);

    let second = create_session(&sim, &[]).await;
    let list = sim.get("/v1/checkout/sessions").await.body;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id(&second), sid], "newest first");
    assert_eq!(list["url"], "/v1/checkout/sessions");
    let one = sim.get("/v1/checkout/sessions?limit=1").await.body;
    assert_eq!(one["has_more"], true);
    let r = sim.get("/v1/checkout/sessions/cs_test_nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"]["code"], "resource_missing");
    // The publishable key cannot.
    let r = sim
        .call(
            "GET",
            &format!("/v1/checkout/sessions/{sid}"),
            common::PK,
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn bad_parameters_create_nothing() {
    let sim = start().await;
    let now = common::unix_now();
    let too_soon = (now + 600).to_string();
    let too_late = (now + 90_000).to_string();
    let line = [
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1000"),
        ("line_items[0][price_data][product_data][name]", "Mug"),
        ("line_items[0][quantity]", "1"),
    ];
    let with_line = |extra: &[(&'static str, &str)]| {
        let mut form: Vec<(&str, String)> = line.iter().map(|(k, v)| (*k, v.to_string())).collect();
        form.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        form
    };
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (with_line(&[]), "mode"),
        (with_line(&[("mode", "subscription")]), "mode"),
        (vec![("mode", "payment".into())], "line_items"),
        (
            with_line(&[("mode", "payment"), ("expires_at", &too_soon)]),
            "expires_at",
        ),
        (
            with_line(&[("mode", "payment"), ("expires_at", &too_late)]),
            "expires_at",
        ),
        (
            with_line(&[("mode", "payment"), ("success_url", "javascript:alert(1)")]),
            "success_url",
        ),
        (
            with_line(&[("mode", "payment"), ("cancel_url", "not a url")]),
            "cancel_url",
        ),
        (
            with_line(&[("mode", "payment"), ("customer_email", "nope")]),
            "customer_email",
        ),
        (
            with_line(&[("mode", "payment"), ("colour", "red")]),
            "colour",
        ),
        (
            with_line(&[("mode", "payment"), ("ui_mode", "hosted")]),
            "ui_mode",
        ),
        (
            vec![
                ("mode", "payment".into()),
                ("line_items[0][price_data][currency]", "usd".into()),
                ("line_items[0][price_data][unit_amount]", "10".into()),
                (
                    "line_items[0][price_data][product_data][name]",
                    "Gum".into(),
                ),
                ("line_items[0][quantity]", "1".into()),
            ],
            "line_items",
        ),
        (
            vec![
                ("mode", "payment".into()),
                ("line_items[0][price_data][currency]", "usd".into()),
                ("line_items[0][price_data][unit_amount]", "1000".into()),
                (
                    "line_items[0][price_data][product_data][name]",
                    "Mug".into(),
                ),
            ],
            "line_items[0][quantity]",
        ),
        (
            vec![
                ("mode", "payment".into()),
                ("line_items[0][price]", "price_123".into()),
                ("line_items[0][quantity]", "1".into()),
            ],
            "line_items[0][price]",
        ),
    ];
    for (form, param) in cases {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = sim.post("/v1/checkout/sessions", &pairs).await;
        assert_eq!(r.status, 400, "{pairs:?}: {}", r.body);
        assert_eq!(r.body["error"]["type"], "invalid_request_error");
        assert_eq!(r.body["error"]["param"], param, "{pairs:?}: {}", r.body);
    }
    let list = sim.get("/v1/checkout/sessions").await.body;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    let events = sim.get("/v1/events").await.body;
    assert_eq!(events["data"].as_array().unwrap().len(), 0);
    // Within the bounds is fine.
    let ok = (now + 3600).to_string();
    let s = create_session(&sim, &[("expires_at", &ok)]).await;
    assert_eq!(s["expires_at"].as_i64().unwrap(), now + 3600);
}

#[tokio::test]
async fn the_hosted_page_lists_the_order_under_a_strict_csp() {
    let sim = start().await;
    let session = create_session(&sim, &[]).await;
    let page = open_page(session["url"].as_str().unwrap()).await;
    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap();
    assert!(page.body.contains(&format!("<style nonce=\"{nonce}\">")));
    assert!(!page.body.contains("<script"), "no script at all");
    assert!(
        !page.body.contains("style=\""),
        "no inline style attributes"
    );
    assert!(page.body.contains("T-shirt"));
    assert!(page.body.contains("Qty 2 × $12.50"));
    assert!(page.body.contains("Sticker &lt;pack&gt;"), "escaped");
    assert!(page.body.contains("$30.00"));
    assert!(page.body.contains("value=\"jenny@example.com\""));
    assert!(page.body.contains(&format!("href=\"{CANCEL}\"")));
    // Each response has its own nonce.
    let again = open_page(session["url"].as_str().unwrap()).await;
    assert_ne!(
        again.headers["content-security-policy"],
        page.headers["content-security-policy"]
    );
    let missing = open_page(&format!("{}/c/pay/cs_test_nope", sim.base)).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn paying_with_4242_completes_the_session() {
    let sim = start().await;
    let receiver = common::Receiver::start().await;
    common::subscribe(&sim, &receiver).await;
    let session = create_session(&sim, &[]).await;
    let sid = id(&session).to_string();
    let page = submit(&session, "4242 4242 4242 4242", &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some(success_for(&sid).as_str()));

    let done = sim
        .get(&format!(
            "/v1/checkout/sessions/{sid}?expand[]=payment_intent"
        ))
        .await
        .body;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["payment_status"], "paid");
    assert!(done["url"].is_null());
    assert_eq!(done["customer_details"]["email"], "jenny@example.com");
    assert_eq!(done["customer_details"]["name"], "Jenny Rosen");
    assert_eq!(done["customer_details"]["address"]["postal_code"], "94103");
    let pi = &done["payment_intent"];
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount"], 3000);
    assert_eq!(pi["currency"], "usd");
    assert_eq!(pi["metadata"]["order_id"], "ord_42");
    assert!(
        pi["metadata"].get("cart").is_none(),
        "the Session's own metadata stays on it"
    );
    let pi_id = pi["id"].as_str().unwrap().to_string();

    // Found by its PaymentIntent.
    let list = sim
        .get(&format!("/v1/checkout/sessions?payment_intent={pi_id}"))
        .await
        .body;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], sid.as_str());
    let list = sim.get("/v1/checkout/sessions?status=open").await.body;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);

    // Events: the PaymentIntent's, then checkout.session.completed (which names it).
    assert_eq!(
        sim.event_types_for(&pi_id).await,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded",
            "checkout.session.completed"
        ]
    );
    assert_eq!(
        session_events(&sim, &sid).await,
        ["checkout.session.completed"]
    );
    let all = sim.get("/v1/events?limit=100").await.body;
    let order: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded",
            "checkout.session.completed"
        ]
    );
    let delivered = receiver
        .wait_for("checkout.session.completed", |d| {
            d.iter()
                .any(|d| d.event["type"] == "checkout.session.completed")
        })
        .await;
    let completed = delivered
        .iter()
        .find(|d| d.event["type"] == "checkout.session.completed")
        .unwrap();
    assert!(completed.verified.is_ok());
    assert_eq!(completed.event["data"]["object"]["payment_status"], "paid");
    assert_eq!(
        completed.event["data"]["object"]["payment_intent"],
        pi_id.as_str()
    );

    // Paying again goes straight to the success page; the page says it is paid.
    let again = submit(&session, "4242424242424242", &[]).await;
    assert_eq!(again.status, 303);
    assert_eq!(session_events(&sim, &sid).await.len(), 1);
    let page = open_page(session["url"].as_str().unwrap()).await;
    assert!(page.body.contains("Payment complete"));
    assert!(!page.body.contains("<form"));
}

#[tokio::test]
async fn a_decline_shows_on_the_page_and_the_shopper_retries() {
    let sim = start().await;
    let session = create_session(&sim, &[]).await;
    let sid = id(&session).to_string();
    let page = submit(&session, "4000000000000002", &[]).await;
    assert_eq!(page.status, 402);
    assert!(
        page.body.contains("Your card was declined."),
        "{}",
        page.body
    );
    assert!(page.body.contains("role=\"alert\""));
    assert!(page.body.contains("value=\"Jenny Rosen\""), "fields kept");
    assert!(
        !page.body.contains("4000000000000002"),
        "never the card number"
    );
    let open = retrieve(&sim, &sid).await;
    assert_eq!(open["status"], "open");
    let pi_id = open["payment_intent"].as_str().unwrap().to_string();
    assert_eq!(
        sim.retrieve_pi(&pi_id).await["status"],
        "requires_payment_method"
    );

    // Bad fields are refused before any charge.
    let page = submit(&session, "4242424242424241", &[]).await;
    assert_eq!(page.status, 402);
    assert!(page.body.contains("Your card number is incorrect."));
    let page = submit(&session, "4242424242424242", &[("expiry", "12")]).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("expiration date is incomplete"));

    let page = submit(&session, "4242424242424242", &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let done = retrieve(&sim, &sid).await;
    assert_eq!(done["status"], "complete");
    assert_eq!(
        done["payment_intent"],
        pi_id.as_str(),
        "the same PaymentIntent"
    );
    assert_eq!(
        sim.event_types_for(&pi_id).await,
        [
            "payment_intent.created",
            "charge.failed",
            "payment_intent.payment_failed",
            "charge.succeeded",
            "payment_intent.succeeded",
            "checkout.session.completed"
        ]
    );
    assert_eq!(
        session_events(&sim, &sid).await,
        ["checkout.session.completed"]
    );
}

#[tokio::test]
async fn three_d_secure_on_the_hosted_page() {
    let sim = start().await;
    let session = create_session(&sim, &[]).await;
    let sid = id(&session).to_string();
    let page = submit(&session, "4000002500003155", &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let challenge = page.location.unwrap();
    assert!(challenge.contains("/_sim/3ds/"), "{challenge}");
    assert_eq!(retrieve(&sim, &sid).await["status"], "open");

    // The bank's page, then back to Checkout.
    let bank = open_page(&challenge).await;
    assert_eq!(bank.status, 200);
    let answer = |outcome: &'static str, url: String| async move {
        let (path, query) = url.split_once('?').unwrap();
        let q: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).unwrap().1.clone();
        page_of(
            browser()
                .post(path)
                .form(&[
                    ("client_secret", get("client_secret")),
                    ("return_url", get("return_url")),
                    ("outcome", outcome.to_string()),
                ])
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    let back = answer("fail", challenge.clone()).await;
    assert_eq!(back.status, 303);
    let returned = back.location.unwrap();
    assert!(
        returned.contains(&format!("/c/pay/{sid}/return")),
        "{returned}"
    );
    let page = open_page(&returned).await;
    assert_eq!(page.status, 402);
    assert!(
        page.body.contains("unable to authenticate"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("action=\"../{sid}\"")));
    assert_eq!(retrieve(&sim, &sid).await["status"], "open");

    // Again, and this time complete it.
    let page = submit(&session, "4000002500003155", &[]).await;
    let back = answer("complete", page.location.unwrap()).await;
    let page = open_page(&back.location.unwrap()).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some(success_for(&sid).as_str()));
    let done = retrieve(&sim, &sid).await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["payment_status"], "paid");
}

#[tokio::test]
async fn processing_cards_complete_unpaid_then_settle() {
    let sim = start().await;
    for (number, then, paid) in [
        (
            "4000009900000004",
            "checkout.session.async_payment_succeeded",
            "paid",
        ),
        (
            "4000009900000012",
            "checkout.session.async_payment_failed",
            "unpaid",
        ),
    ] {
        let session = create_session(&sim, &[]).await;
        let sid = id(&session).to_string();
        let page = submit(&session, number, &[]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let done = retrieve(&sim, &sid).await;
        assert_eq!(done["status"], "complete");
        assert_eq!(done["payment_status"], "unpaid");
        let mut events = Vec::new();
        for _ in 0..100 {
            events = session_events(&sim, &sid).await;
            if events.len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(events, ["checkout.session.completed", then]);
        assert_eq!(retrieve(&sim, &sid).await["payment_status"], paid);
    }
}

#[tokio::test]
async fn a_session_expires_by_the_api() {
    let sim = start().await;
    let session = create_session(&sim, &[]).await;
    let sid = id(&session).to_string();
    let r = sim
        .post(&format!("/v1/checkout/sessions/{sid}/expire"), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "expired");
    assert_eq!(r.body["payment_status"], "unpaid");
    assert!(r.body["url"].is_null());
    assert_eq!(
        session_events(&sim, &sid).await,
        ["checkout.session.expired"]
    );
    let again = sim
        .post(&format!("/v1/checkout/sessions/{sid}/expire"), &[])
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(session_events(&sim, &sid).await.len(), 1);
    // The page says so and takes no payment.
    let page = submit(&session, "4242424242424242", &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("expired"));
    assert!(retrieve(&sim, &sid).await["payment_intent"].is_null());
    // A paid Session cannot be expired.
    let paid = create_session(&sim, &[]).await;
    submit(&paid, "4242424242424242", &[]).await;
    let r = sim
        .post(&format!("/v1/checkout/sessions/{}/expire", id(&paid)), &[])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn a_session_expires_when_its_time_comes() {
    let sim = start().await;
    let receiver = common::Receiver::start().await;
    common::subscribe(&sim, &receiver).await;
    let at = (common::unix_now() + 1800).to_string();
    let session = create_session(&sim, &[("expires_at", &at)]).await;
    let sid = id(&session).to_string();
    let untouched = create_session(&sim, &[]).await;
    // 29 minutes later: still open.
    sim.post("/_sim/clock", &[("offset", "1740")]).await;
    assert_eq!(retrieve(&sim, &sid).await["status"], "open");
    // Past it: expired, once.
    sim.post("/_sim/clock", &[("offset", "1900")]).await;
    let expired = retrieve(&sim, &sid).await;
    assert_eq!(expired["status"], "expired");
    assert!(expired["url"].is_null());
    assert_eq!(retrieve(&sim, id(&untouched)).await["status"], "open");
    sim.get("/v1/checkout/sessions").await;
    assert_eq!(
        session_events(&sim, &sid).await,
        ["checkout.session.expired"]
    );
    receiver
        .wait_for("checkout.session.expired", |d| {
            d.iter()
                .any(|d| d.event["type"] == "checkout.session.expired")
        })
        .await;
    let page = open_page(session["url"].as_str().unwrap()).await;
    assert!(page.body.contains("has expired"));

    // The expiry job: made 1799 s in the past, the Session expires 1 s from the real now,
    // and its timer (planned again when the clock moved) expires it without any look at it.
    let sim = start().await;
    let receiver = common::Receiver::start().await;
    common::subscribe(&sim, &receiver).await;
    sim.post("/_sim/clock", &[("offset", "-1799")]).await;
    let at = (common::unix_now() + 1).to_string();
    let session = create_session(&sim, &[("expires_at", &at)]).await;
    let sid = id(&session).to_string();
    let r = sim.post("/_sim/clock", &[("offset", "0")]).await;
    assert_eq!(r.status, 200);
    let delivered = receiver
        .wait_for("checkout.session.expired by the timer", |d| {
            d.iter()
                .any(|d| d.event["type"] == "checkout.session.expired")
        })
        .await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].event["data"]["object"]["id"], sid.as_str());
    assert_eq!(
        session_events(&sim, &sid).await,
        ["checkout.session.expired"]
    );
    let page = open_page(session["url"].as_str().unwrap()).await;
    assert!(page.body.contains("has expired"), "{}", page.body);

    // A look finds it expired too (the clock moved past it).
    let sim = start().await;
    let at = (common::unix_now() + 1800).to_string();
    let session = create_session(&sim, &[("expires_at", &at)]).await;
    sim.post("/_sim/clock", &[("offset", "1801")]).await;
    let page = open_page(session["url"].as_str().unwrap()).await;
    assert!(page.body.contains("has expired"));
}

#[tokio::test]
async fn shipping_addresses_are_collected_when_asked() {
    let sim = start().await;
    let session = create_session(
        &sim,
        &[
            ("shipping_address_collection[allowed_countries][]", "US"),
            ("shipping_address_collection[allowed_countries][]", "CA"),
        ],
    )
    .await;
    assert_eq!(
        session["shipping_address_collection"]["allowed_countries"],
        serde_json::json!(["US", "CA"])
    );
    let page = open_page(session["url"].as_str().unwrap()).await;
    assert!(page.body.contains("Shipping address"));
    let r = submit(&session, "4242424242424242", &[]).await;
    assert_eq!(r.status, 400, "the address is required");
    let shipping = [
        ("shipping_name", "Jenny Rosen"),
        ("shipping_line1", "1 Main St"),
        ("shipping_city", "Toronto"),
        ("shipping_postal_code", "M5V 2T6"),
        ("shipping_country", "FR"),
    ];
    let r = submit(&session, "4242424242424242", &shipping).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("cannot ship"));
    let mut shipping = shipping.to_vec();
    shipping[4] = ("shipping_country", "CA");
    let r = submit(&session, "4242424242424242", &shipping).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = sim
        .get(&format!(
            "/v1/checkout/sessions/{}?expand[]=payment_intent",
            id(&session)
        ))
        .await
        .body;
    let details = &done["collected_information"]["shipping_details"];
    assert_eq!(details["name"], "Jenny Rosen");
    assert_eq!(details["address"]["country"], "CA");
    assert_eq!(
        done["payment_intent"]["shipping"]["address"]["city"],
        "Toronto"
    );
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let path = std::env::temp_dir().join(format!(
        "stripe-sim-checkout-test-{}.db",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite:{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let sim = start_with(
        Simulator::persistent(common::config(), pool.clone())
            .await
            .unwrap(),
    )
    .await;
    let open = create_session(&sim, &[]).await;
    let paid = create_session(&sim, &[]).await;
    submit(&paid, "4242424242424242", &[]).await;
    let paid = retrieve(&sim, id(&paid)).await;
    drop(sim);
    let again = start_with(Simulator::persistent(common::config(), pool).await.unwrap()).await;
    let open_again = retrieve(&again, id(&open)).await;
    assert_eq!(open_again["status"], "open");
    assert_eq!(open_again, open);
    assert_eq!(retrieve(&again, id(&paid)).await, paid);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn odd_shapes_get_clean_errors() {
    use crate::hostile::{post_raw, still_answers};
    let sim = start().await;
    let session = create_session(&sim, &[]).await;
    let sid = id(&session).to_string();
    for (path, key, body) in [
        ("/v1/checkout/sessions", SK, "mode=payment&line_items=x"),
        ("/v1/checkout/sessions", SK, "mode=payment&line_items[0]=x"),
        ("/v1/checkout/sessions", SK, "mode=payment&line_items[0][price_data]=x&line_items[0][quantity]=1"),
        (
            "/v1/checkout/sessions",
            SK,
            "mode=payment&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=99999999&line_items[0][price_data][product_data][name]=x&line_items[0][quantity]=999999",
        ),
        (
            "/v1/checkout/sessions",
            SK,
            "mode=payment&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=100&line_items[0][price_data][product_data][name]=x&line_items[0][quantity]=1&expires_at=-9223372036854775808",
        ),
        (
            "/v1/checkout/sessions",
            SK,
            "mode=payment&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=100&line_items[0][price_data][product_data][name]=x&line_items[0][quantity]=1&shipping_address_collection=x",
        ),
        ("/v1/checkout/sessions", SK, "mode[]=payment"),
        ("/v1/confirmation_tokens", common::PK, "payment_method=pm_card_visa&elements=x"),
        ("/v1/confirmation_tokens", common::PK, "payment_method=pm_card_visa&shipping=x"),
        ("/v1/confirmation_tokens", common::PK, "payment_method=pm_card_visa&shipping[name]=a&shipping[address]=x"),
        (
            "/v1/confirmation_tokens",
            common::PK,
            "payment_method=pm_card_visa&payment_method_data[billing_details][address][line1][x]=y",
        ),
        ("/v1/confirmation_tokens", common::PK, "payment_method=pm_card_visa&elements[payment_method_types]=x"),
        ("/v1/test_helpers/confirmation_tokens", SK, "payment_method_data=x"),
        ("/v1/test_helpers/confirmation_tokens", SK, "payment_method_data[type]=card&payment_method_data[card]=x"),
        ("/v1/test_helpers/confirmation_tokens", SK, "payment_method=pm_card_visa&payment_method_options[card][installments][plan]=x"),
        ("/v1/payment_intents", SK, "amount=2000&currency=usd&confirm=true&confirmation_token[x]=y"),
    ] {
        let (status, body) = post_raw(&sim, path, Some(key), body.to_string()).await;
        assert!((400..500).contains(&status), "{path} {body}: {status}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{path}: {body}");
    }
    // The hosted page's form with odd fields: the page again, with a message.
    for body in ["email[]=x&number[x]=1", "expiry=99999999999999999999", ""] {
        let r = browser()
            .post(session["url"].as_str().unwrap())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!((400..500).contains(&r.status().as_u16()), "{body}");
    }
    assert_eq!(retrieve(&sim, &sid).await["status"], "open");
    still_answers(&sim).await;
}
