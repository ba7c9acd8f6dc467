//! Input that used to panic a handler (or overflow arithmetic): multibyte keys, clock offsets
//! and secret lifetimes past `i64`, fault settings out of range, a `return_url` that cannot be
//! a `Location` header. Each gets a clean 4xx and the simulator keeps answering.

use crate::common::{start, Sim, SK};
use crate::hostile::{post_raw, still_answers};
use base64::Engine;

async fn post(sim: &Sim, path: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    post_raw(sim, path, Some(SK), body).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_multibyte_key_in_basic_auth_is_a_clean_401() {
    let sim = start().await;
    for user in [
        "ééééééééééééé",
        "€€€€€€€€€€€€€€€€€€€€",
        "sk_test_ü",
        "日本語のキーです日本語のキーです",
    ] {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:"));
        let r = sim
            .http
            .get(format!("{}/v1/payment_intents", sim.base))
            .header("Authorization", format!("Basic {basic}"))
            .send()
            .await
            .expect("the simulator answers");
        assert_eq!(r.status().as_u16(), 401);
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("Invalid API Key provided"), "{message}");
    }
    // Bytes that are not visible ASCII in the header itself.
    let r = sim
        .http
        .get(format!("{}/v1/payment_intents", sim.base))
        .header(
            "Authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer sk_test_\xc3\xa9\xc3\xa9\xc3\xa9")
                .unwrap(),
        )
        .send()
        .await
        .expect("the simulator answers");
    assert_eq!(r.status().as_u16(), 401);
    still_answers(&sim).await;
}

#[tokio::test]
async fn clock_offsets_past_a_hundred_years_are_refused() {
    let sim = start().await;
    for offset in [
        "9223372036854775807",
        "-9223372036854775808",
        "3155760001",
        "-3155760001",
    ] {
        let (status, body) = post(&sim, "/_sim/clock", &[("offset", offset)]).await;
        assert_eq!(status, 400, "{offset}: {body}");
        assert_eq!(body["error"]["param"], "offset");
    }
    let (status, body) = post(&sim, "/_sim/clock", &[("offset", "99999999999999999999")]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&sim, "/_sim/clock", &[("offset", "3155760000")]).await;
    assert_eq!(status, 200, "{body}");
    // The clock still works far ahead: objects and their events can be made.
    sim.create_pi("2000").await;
    let (status, _) = post(&sim, "/_sim/clock", &[("offset", "0")]).await;
    assert_eq!(status, 200);
    still_answers(&sim).await;
}

#[tokio::test]
async fn a_rolled_secret_cannot_expire_past_the_end_of_time() {
    let sim = start().await;
    let endpoint = sim
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("enabled_events[]", "*"),
            ],
        )
        .await
        .body;
    let id = endpoint["id"].as_str().unwrap();
    let path = format!("/_sim/webhook_endpoints/{id}/roll");
    for expires_in in ["9223372036854775807", "-1", "3155760001"] {
        let (status, body) = post(&sim, &path, &[("expires_in", expires_in)]).await;
        assert_eq!(status, 400, "{expires_in}: {body}");
        assert_eq!(body["error"]["param"], "expires_in");
    }
    let (status, body) = post(&sim, &path, &[("expires_in", "3600")]).await;
    assert_eq!(status, 200, "{body}");
    still_answers(&sim).await;
}

#[tokio::test]
async fn fault_settings_out_of_range_are_refused() {
    let sim = start().await;
    for (name, value) in [
        ("webhook_delay_ms", "1e30"),
        ("webhook_delay_ms", "-5"),
        ("webhook_shuffle_ms", "18446744073709551615"),
        ("latency_ms", "inf"),
        ("failure_rate", "NaN"),
        ("failure_rate", "1.5"),
        ("webhook_loss_rate", "-0.1"),
        ("webhook_drop_rate", "lots"),
        ("failure_kind", "boom"),
        ("seed", "-1"),
        ("latency", "10"),
    ] {
        let (status, body) = post(&sim, "/_sim/faults", &[(name, value)]).await;
        assert_eq!(status, 400, "{name}={value}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    assert_eq!(sim.get("/_sim/faults").await.body["webhook_delay_ms"], 0);
    let (status, body) = post(
        &sim,
        "/_sim/faults",
        &[
            ("webhook_delay_ms", "600000"),
            ("failure_rate", "0.25"),
            ("seed", "7"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["webhook_delay_ms"], 600000);
    let (status, _) = post(&sim, "/_sim/faults", &[]).await;
    assert_eq!(status, 200);
    still_answers(&sim).await;
}

#[tokio::test]
async fn a_return_url_that_cannot_be_a_location_header_is_refused() {
    let sim = start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    let r = sim
        .confirm_with(
            id,
            &[
                ("payment_method", "pm_card_threeDSecure2Required"),
                (
                    "return_url",
                    "https://shop.example/return\r\nSet-Cookie: x=1",
                ),
            ],
        )
        .await;
    assert_eq!(
        r.body["next_action"]["type"], "redirect_to_url",
        "{}",
        r.body
    );
    let client_secret = pi["client_secret"].as_str().unwrap();
    let (status, _) = post_raw(
        &sim,
        &format!("/_sim/3ds/{id}/redirect"),
        None,
        format!(
            "client_secret={client_secret}&outcome=complete&return_url=https%3A%2F%2Fok.example"
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(sim.retrieve_pi(id).await["status"], "requires_action");
    still_answers(&sim).await;
}

#[tokio::test]
async fn the_3ds_redirect_goes_back_to_the_return_url_given_at_confirmation() {
    let sim = start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    sim.confirm(id, "pm_card_threeDSecure2Required").await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = no_redirects
        .post(format!("{}/_sim/3ds/{id}/redirect", sim.base))
        .form(&[
            ("client_secret", pi["client_secret"].as_str().unwrap()),
            ("return_url", "https://elsewhere.example/"),
            ("outcome", "complete"),
        ])
        .send()
        .await
        .unwrap();
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://shop.example/return?"),
        "{location}"
    );
}
