//! The Stripe client's retries, against the simulator's fault injection: the same
//! Idempotency-Key on every retry, so a lost response never makes a second PaymentIntent.

use checkout::server::config::Secret;
use checkout::server::stripe::client::{CreatePaymentIntent, StripeClient, StripeError};
use std::time::{Duration, Instant};
use stripe_sim::{Faults, SimConfig, Simulator};

const SK: &str = "sk_test_client_tests_000000";

async fn simulator() -> (Simulator, String) {
    let sim = Simulator::in_memory(SimConfig::new(SK, "pk_test_client_tests_000000").unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (sim, base)
}

fn params() -> CreatePaymentIntent {
    CreatePaymentIntent {
        amount: 2000,
        currency: "usd".into(),
        metadata: [("order_id".to_string(), "ord_1".to_string())].into(),
        ..Default::default()
    }
}

async fn count_payment_intents(base: &str) -> usize {
    let list: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/v1/payment_intents"))
        .bearer_auth(SK)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_response_is_retried_with_the_same_key_and_makes_one_payment_intent() {
    let (sim, base) = simulator().await;
    // Every response is lost until the faults are lifted, 200 ms in (the first retry waits 0.5 s).
    sim.set_faults(
        Faults {
            failure_rate: 1.0,
            failure_kind: "drop".into(),
            ..Default::default()
        },
        Some(1),
    );
    let lifter = sim.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        lifter.set_faults(Faults::default(), None);
    });
    let client = StripeClient::new(&base, Secret::new(SK.into()));
    let started = Instant::now();
    let pi = client
        .create_payment_intent(&params(), "order-ord_1-create")
        .await
        .expect("retried to success");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "backed off before retrying"
    );
    assert_eq!(pi.amount, 2000);
    assert_eq!(pi.metadata["order_id"], "ord_1");
    assert_eq!(
        count_payment_intents(&base).await,
        1,
        "the retry replayed the first request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_and_server_errors_are_retried_then_reported() {
    let (sim, base) = simulator().await;
    let client = StripeClient::new(&base, Secret::new(SK.into()));
    sim.set_faults(
        Faults {
            failure_rate: 1.0,
            failure_kind: "409".into(),
            ..Default::default()
        },
        None,
    );
    let started = Instant::now();
    let error = client
        .create_payment_intent(&params(), "k-409")
        .await
        .unwrap_err();
    assert!(
        matches!(error, StripeError::InvalidRequest { ref code, .. } if code == "lock_timeout"),
        "{error:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "two retries with backoff"
    );
    sim.set_faults(
        Faults {
            failure_rate: 1.0,
            failure_kind: "500".into(),
            ..Default::default()
        },
        None,
    );
    assert_eq!(
        client
            .create_payment_intent(&params(), "k-500")
            .await
            .unwrap_err(),
        StripeError::Api(500)
    );
    // 429 is not retried (Stripe's libraries don't by default).
    sim.set_faults(
        Faults {
            failure_rate: 1.0,
            failure_kind: "429".into(),
            ..Default::default()
        },
        None,
    );
    let started = Instant::now();
    assert_eq!(
        client
            .create_payment_intent(&params(), "k-429")
            .await
            .unwrap_err(),
        StripeError::RateLimited
    );
    assert!(started.elapsed() < Duration::from_millis(400));
    sim.set_faults(Faults::default(), None);
    assert_eq!(count_payment_intents(&base).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declines_and_bad_keys_map_to_what_the_shopper_may_read() {
    let (_sim, base) = simulator().await;
    let bad = StripeClient::new(&base, Secret::new("sk_test_wrong_key_0000".into()));
    let error = bad
        .create_payment_intent(&params(), "k-auth")
        .await
        .unwrap_err();
    assert_eq!(error, StripeError::Auth(401));
    assert_eq!(
        error.shopper_message(),
        "Payments are unavailable right now. Please try again in a moment."
    );
    let client = StripeClient::new(&base, Secret::new(SK.into()));
    let confirm = CreatePaymentIntent {
        confirm_with: Some("pm_card_chargeDeclined".into()),
        ..params()
    };
    let declined = client
        .create_payment_intent(&confirm, "k-declined")
        .await
        .unwrap_err();
    assert_eq!(declined.shopper_message(), "Your card was declined.");
}
