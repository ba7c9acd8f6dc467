//! Junk in, PayPal-shaped 4xx out: no input makes the simulator panic or answer 5xx.

use crate::common::start;
use serde_json::{json, Value};

#[tokio::test]
async fn junk_bodies_get_client_errors() {
    let s = start().await;
    let order = s.order("10.00").await;
    s.approve(&order, "balance").await;
    let capture = {
        let other = s.order("10.00").await;
        s.approve(&other, "balance").await;
        s.capture(&other).await.body["purchase_units"][0]["payments"]["captures"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let bodies: Vec<String> = vec![
        "".into(),
        "null".into(),
        "[]".into(),
        "\"text\"".into(),
        "{".into(),
        deep,
        json!({"intent": 5}).to_string(),
        json!({"intent": "CAPTURE", "purchase_units": "x"}).to_string(),
        json!({"intent": "CAPTURE", "purchase_units": [{}]}).to_string(),
        json!({"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": 1, "value": 2}}]}).to_string(),
        json!({"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "99999999999999999999999"}}]}).to_string(),
        json!({"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "1.00"}, "items": [{"quantity": "x"}]}]}).to_string(),
        json!({"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "1.00", "breakdown": {"item_total": 3}}}]}).to_string(),
        json!({"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "1.00"}, "custom_id": "x".repeat(500)}]}).to_string(),
        json!([{"op": "replace"}]).to_string(),
        json!([{"op": "replace", "path": "/purchase_units/@reference_id=='default'/amount", "value": null}]).to_string(),
        json!({"amount": {"currency_code": "USD", "value": "-0"}}).to_string(),
        json!({"amount": "x", "note_to_payer": 3}).to_string(),
        json!({"url": 5, "event_types": "x"}).to_string(),
        json!({"webhook_id": 1, "event_type": []}).to_string(),
        "\u{0}\u{1}".into(),
    ];
    let routes = [
        ("POST", "/v2/checkout/orders".to_string()),
        ("PATCH", format!("/v2/checkout/orders/{order}")),
        ("POST", format!("/v2/checkout/orders/{order}/capture")),
        ("POST", format!("/v2/payments/captures/{capture}/refund")),
        ("POST", "/v1/notifications/webhooks".to_string()),
        (
            "POST",
            "/v1/notifications/verify-webhook-signature".to_string(),
        ),
        ("POST", "/v1/notifications/simulate-event".to_string()),
        ("POST", "/_sim/faults".to_string()),
    ];
    for (method, path) in &routes {
        for body in &bodies {
            let r = s
                .http
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    format!("{}{path}", s.base),
                )
                .bearer_auth(&s.token)
                .header("content-type", "application/json")
                .header("PayPal-Mock-Response", "{not json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert!(
                status < 500,
                "{method} {path} with {body:.60}: {status} {text}"
            );
            if status >= 400 && !text.is_empty() {
                let v: Value =
                    serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON error: {text}"));
                assert!(
                    v.get("name").is_some() || v.get("error").is_some(),
                    "{text}"
                );
            }
        }
    }
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(crate::common::order_body("USD", "1.00")),
            &[("PayPal-Request-Id", &"x".repeat(109))],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["details"][0]["issue"], "INVALID_STRING_LENGTH");
    // The order survived all that: captured once, by a body that was no body at all.
    let r = s
        .call("GET", &format!("/v2/checkout/orders/{order}"), None, &[])
        .await;
    assert_eq!(r.body["status"], "COMPLETED");
    assert_eq!(
        r.body["purchase_units"][0]["payments"]["captures"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
