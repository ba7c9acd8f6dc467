//! Requests meant to hurt: bodies that nest without end, huge bodies, too many parameters,
//! keys and numbers no client would send. Each gets a clean 4xx in Stripe's envelope, and the
//! simulator keeps answering.

use crate::common::{start, Sim, PK, SK};

/// `metadata[a][a]…=1` with `depth` brackets.
fn nested(depth: usize) -> String {
    format!("metadata{}=1", "[a]".repeat(depth))
}

/// A raw POST with an optional bearer key.
pub async fn post_raw(
    sim: &Sim,
    path: &str,
    key: Option<&str>,
    body: String,
) -> (u16, serde_json::Value) {
    let mut req = sim
        .http
        .post(format!("{}{path}", sim.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let r = req.send().await.expect("the simulator answers");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or_default())
}

/// The simulator still serves ordinary requests.
pub async fn still_answers(sim: &Sim) {
    let r = sim.get("/v1/payment_intents").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn assert_invalid(status: u16, body: &serde_json::Value, expected: u16) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
}

#[tokio::test]
async fn a_deeply_nested_body_without_a_key_is_refused_before_it_is_read() {
    let sim = start().await;
    // ~600 KB, one bracket pair per level: used to overflow the stack and kill the process.
    let body = nested(200_000);
    assert!(body.len() > 500_000);
    let (status, json) = post_raw(&sim, "/v1/payment_intents", None, body.clone()).await;
    assert_invalid(status, &json, 401);
    let (status, json) = post_raw(&sim, "/v1/payment_intents", Some("sk_test_wrong"), body).await;
    assert_invalid(status, &json, 401);
    still_answers(&sim).await;
}

#[tokio::test]
async fn bodies_over_64_kib_are_refused() {
    let sim = start().await;
    let big = format!(
        "amount=2000&currency=usd&description={}",
        "x".repeat(70 * 1024)
    );
    let (status, json) = post_raw(&sim, "/v1/payment_intents", Some(SK), big).await;
    assert_invalid(status, &json, 413);
    let deep = nested(200_000);
    let (status, json) = post_raw(&sim, "/v1/payment_methods", Some(PK), deep).await;
    assert_invalid(status, &json, 413);
    still_answers(&sim).await;
}

#[tokio::test]
async fn nesting_deeper_than_five_brackets_is_refused() {
    let sim = start().await;
    for (path, key) in [
        ("/v1/payment_intents", SK),
        ("/v1/payment_methods", PK),
        ("/_sim/faults", SK),
    ] {
        // Under the body limit, but far too deep.
        let (status, json) = post_raw(&sim, path, Some(key), nested(20_000)).await;
        assert_invalid(status, &json, 400);
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains("nested too deeply"), "{message}");
        assert!(message.len() < 300, "long names are cut in messages");
        let (status, json) = post_raw(&sim, path, Some(key), nested(6)).await;
        assert_invalid(status, &json, 400);
    }
    // Five levels are still fine (Stripe's own parameters nest three or four deep).
    let (status, json) = post_raw(
        &sim,
        "/v1/payment_intents",
        Some(SK),
        "amount=2000&currency=usd&shipping[name]=A&shipping[address][line1]=1+Main+St".into(),
    )
    .await;
    assert_eq!(status, 200, "{json}");
    let query = format!("{}/v1/events?{}", sim.base, nested(50));
    let r = sim.http.get(query).bearer_auth(SK).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    still_answers(&sim).await;
}

#[tokio::test]
async fn more_than_a_thousand_parameters_are_refused() {
    let sim = start().await;
    let body = (0..1001)
        .map(|i| format!("metadata[k{i}]=v"))
        .collect::<Vec<_>>()
        .join("&");
    let (status, json) = post_raw(&sim, "/v1/payment_intents", Some(SK), body).await;
    assert_invalid(status, &json, 400);
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Too many parameters"));
    still_answers(&sim).await;
}

#[tokio::test]
async fn the_3ds_redirect_answer_survives_hostile_bodies() {
    let sim = start().await;
    let (status, _) = post_raw(&sim, "/_sim/3ds/pi_x/redirect", None, nested(20_000)).await;
    assert_eq!(status, 400);
    let (status, _) = post_raw(&sim, "/_sim/3ds/pi_x/redirect", None, nested(200_000)).await;
    assert_eq!(status, 413);
    still_answers(&sim).await;
}

#[tokio::test]
async fn the_control_api_reads_no_body_without_the_secret_key() {
    let sim = start().await;
    for path in ["/_sim/faults", "/_sim/reset", "/_sim/clock"] {
        let (status, json) = post_raw(&sim, path, Some(PK), nested(200_000)).await;
        assert_invalid(status, &json, 401);
    }
    still_answers(&sim).await;
}
