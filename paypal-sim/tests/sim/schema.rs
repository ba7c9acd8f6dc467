//! Every object the simulator returns validates against PayPal's own schemas
//! (fixtures/openapi-subset.json, cut from github.com/paypal/paypal-rest-api-specifications).

use crate::common::{order_body, receiver, start};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        serde_json::from_str(include_str!("../fixtures/openapi-subset.json")).unwrap()
    })
}

/// OpenAPI 3.0 → JSON Schema: `nullable: true` becomes `anyOf [node, null]`; `readOnly` and
/// `format` (PayPal's own format names) are dropped.
fn convert(node: &Value) -> Value {
    match node {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "nullable" | "readOnly" | "format"))
                .map(|(k, v)| (k.clone(), convert(v)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(&mut out));
                json!({"anyOf": [inner, {"type": "null"}]})
            } else {
                Value::Object(out)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        other => other.clone(),
    }
}

fn check(name: &str, object: &Value) {
    let mut root = json!({"components": convert(&spec()["components"])});
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    let validator = jsonschema::validator_for(&root).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(object)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name} does not match PayPal's schema: {errors:#?}\n{object:#}"
    );
}

/// An error body against its generic schema and the operation's issue list.
fn check_error(status: u16, issues: Option<&str>, body: &Value) {
    check(&format!("error_{status}"), body);
    if let Some(list) = issues {
        check(list, body);
    }
}

#[tokio::test]
async fn responses_match_paypal_schemas() {
    let s = start().await;
    let rx = receiver(0).await;
    s.sim.ensure_webhook(&rx.url).await.unwrap();

    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(order_body("USD", "10.00")),
            &[],
        )
        .await;
    check("order", &r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(order_body("USD", "10.00")),
            &[("Prefer", "return=representation")],
        )
        .await;
    check("order", &r.body);
    let r = s.capture(&id).await;
    check_error(422, Some("orders.capture-422"), &r.body);
    let approved = s.approve(&id, "balance").await;
    let mut approved = approved.body;
    approved.as_object_mut().unwrap().remove("payer_id");
    check("order", &approved);
    let r = s
        .call("GET", &format!("/v2/checkout/orders/{id}"), None, &[])
        .await;
    check("order", &r.body);

    let r = s.capture(&id).await;
    check("order", &r.body);
    let capture = r.body["purchase_units"][0]["payments"]["captures"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s
        .call("GET", &format!("/v2/checkout/orders/{id}"), None, &[])
        .await;
    check("order", &r.body);
    let r = s
        .call(
            "GET",
            &format!("/v2/payments/captures/{capture}"),
            None,
            &[],
        )
        .await;
    check("capture-2", &r.body);

    let path = format!("/v2/payments/captures/{capture}/refund");
    let r = s
        .call(
            "POST",
            &path,
            Some(json!({"amount": {"currency_code": "USD", "value": "1.00"}})),
            &[],
        )
        .await;
    check("refund", &r.body);
    let r = s
        .call(
            "POST",
            &path,
            Some(json!({"amount": {"currency_code": "USD", "value": "1.00"}})),
            &[("Prefer", "return=representation")],
        )
        .await;
    check("refund", &r.body);
    let refund = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .call("GET", &format!("/v2/payments/refunds/{refund}"), None, &[])
        .await;
    check("refund", &r.body);
    let r = s
        .call(
            "POST",
            &path,
            Some(json!({"amount": {"currency_code": "USD", "value": "100.00"}})),
            &[],
        )
        .await;
    check_error(422, Some("captures.refund-422"), &r.body);

    // Errors.
    let r = s.call("GET", "/v2/checkout/orders/NOPE", None, &[]).await;
    check_error(404, None, &r.body);
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(order_body("JPY", "1.5")),
            &[],
        )
        .await;
    check_error(422, Some("422"), &r.body);
    let r = s
        .call("POST", "/v2/checkout/orders", Some(json!({})), &[])
        .await;
    check_error(400, None, &r.body);
    let r = s
        .call_as("", "GET", "/v2/checkout/orders/NOPE", None, &[])
        .await;
    check("error_401", &r.body);
    let r = s.capture(&id).await;
    check_error(422, Some("orders.capture-422"), &r.body);
    let other = s.order("2.00").await;
    s.approve(&other, "declined").await;
    let r = s.capture(&other).await;
    check_error(422, Some("orders.capture-422"), &r.body);
    let r = s
        .call(
            "POST",
            &format!("/v2/checkout/orders/{other}/capture"),
            None,
            &[(
                "PayPal-Mock-Response",
                "{\"mock_application_codes\":\"INTERNAL_SERVER_ERROR\"}",
            )],
        )
        .await;
    check_error(500, None, &r.body);
    let patch = json!([{"op": "replace", "path": "/purchase_units/@reference_id=='default'/amount", "value": {"currency_code": "USD", "value": "0"}}]);
    let r = s
        .call(
            "PATCH",
            &format!("/v2/checkout/orders/{other}"),
            Some(patch),
            &[],
        )
        .await;
    check_error(422, Some("orders.patch-422"), &r.body);

    // A pending capture.
    let pending = s.order("3.00").await;
    s.approve(&pending, "pending").await;
    let r = s.capture(&pending).await;
    check("order", &r.body);

    // Webhooks API and events.
    let r = s
        .call(
            "POST",
            "/v1/notifications/webhooks",
            Some(json!({"url": "https://example.com/schema", "event_types": [{"name": "PAYMENT.CAPTURE.COMPLETED"}]})),
            &[],
        )
        .await;
    check("webhook", &r.body);
    let hook = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .call(
            "POST",
            "/v1/notifications/simulate-event",
            Some(json!({"webhook_id": hook, "event_type": "PAYMENT.CAPTURE.COMPLETED"})),
            &[],
        )
        .await;
    check("event", &r.body);
    check("capture-2", &r.body["resource"]);
    let r = s.call("GET", "/v1/notifications/webhooks", None, &[]).await;
    check("WebhookList", &r.body);
    for event_type in [
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.REFUNDED",
        "PAYMENT.CAPTURE.PENDING",
    ] {
        let d = rx.wait_for(event_type).await;
        check("event", &d.json());
        let resource = &d.json()["resource"];
        match d.json()["resource_type"].as_str().unwrap() {
            "checkout-order" => check("order", resource),
            "capture" => check("capture-2", resource),
            "refund" => check("refund", resource),
            other => panic!("unexpected resource_type {other}"),
        }
    }
    let r = s
        .call(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            Some(json!({"auth_algo": "x", "cert_url": "x", "transmission_id": "x", "transmission_sig": "x", "transmission_time": "x", "webhook_id": "x", "webhook_event": {}})),
            &[],
        )
        .await;
    check("verify_webhook_signature_response", &r.body);
}
