//! Every object the simulator returns validates against Stripe's own schema
//! (fixtures/openapi-subset.json, a subset of https://github.com/stripe/openapi) and carries
//! every property the schema lists for it.

use crate::common::{self, start, Receiver, Sim, PK};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        serde_json::from_str(include_str!("../fixtures/openapi-subset.json")).unwrap()
    })
}

/// OpenAPI 3.0 → JSON Schema: `nullable: true` becomes `anyOf [node, null]`.
fn convert(node: &Value) -> Value {
    match node {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| *k != "nullable")
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
        "{name} does not match Stripe's schema: {errors:#?}\n{object:#}"
    );

    if name == "error" {
        return;
    }
    let schema = &spec()["components"]["schemas"][name];
    // A card PaymentMethod carries `card`, not the other payment-method types' sub-objects;
    // an endpoint's `secret` is only shown when it is created; a Charge's `refunds` list only
    // when expanded, since API version 2022-11-15
    // (https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand). All as
    // Stripe does.
    let other_types: Vec<&str> = match name {
        "payment_method" => schema["properties"]["type"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "card")
            .collect(),
        "webhook_endpoint" if object["secret"].is_null() => vec!["secret"],
        "charge" if object.get("refunds").is_none() => vec!["refunds"],
        _ => Vec::new(),
    };
    let missing: Vec<&String> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| object.get(k.as_str()).is_none() && !other_types.contains(&k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{name} lacks properties Stripe's schema lists: {missing:?}"
    );
}

fn object_schema(object: &Value) -> &'static str {
    match object["object"].as_str().unwrap_or_default() {
        "payment_intent" => "payment_intent",
        "charge" => "charge",
        "refund" => "refund",
        "payment_method" => "payment_method",
        "event" => "event",
        "webhook_endpoint" => "webhook_endpoint",
        other => panic!("no schema for {other}"),
    }
}

async fn pay(sim: &Sim, pm: &str) -> Value {
    let pi = sim.create_pi("2000").await;
    check("payment_intent", &pi);
    let id = pi["id"].as_str().unwrap();
    let r = sim
        .confirm_with(
            id,
            &[
                ("payment_method", pm),
                ("return_url", "https://x.example/r"),
                ("use_stripe_sdk", "true"),
            ],
        )
        .await;
    if r.status == 200 {
        check("payment_intent", &r.body);
    } else {
        check("error", &r.body);
    }
    sim.get(&format!(
        "/v1/payment_intents/{id}?expand[]=latest_charge&expand[]=payment_method"
    ))
    .await
    .body
}

#[tokio::test]
async fn every_object_matches_stripes_schema() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    let endpoint = sim
        .post(
            "/v1/webhook_endpoints",
            &[("url", &receiver.url), ("enabled_events[]", "*")],
        )
        .await
        .body;
    check("webhook_endpoint", &endpoint);
    check(
        "webhook_endpoint",
        &sim.get(&format!(
            "/v1/webhook_endpoints/{}",
            endpoint["id"].as_str().unwrap()
        ))
        .await
        .body,
    );

    // Succeeded, declined, awaiting 3-D Secure, canceled.
    let paid = pay(&sim, "pm_card_visa").await;
    let declined = pay(&sim, "pm_card_chargeDeclined").await;
    let pending = pay(&sim, "pm_card_threeDSecure2Required").await;
    assert!(
        pending["latest_charge"].is_null(),
        "no charge before authentication"
    );
    for pi in [&paid, &declined] {
        check("charge", &pi["latest_charge"]);
    }
    for pi in [&paid, &declined, &pending] {
        check("payment_method", &pi["payment_method"]);
    }
    let mut canceled = sim.create_pi("2000").await;
    canceled = sim
        .post(
            &format!(
                "/v1/payment_intents/{}/cancel",
                canceled["id"].as_str().unwrap()
            ),
            &[],
        )
        .await
        .body;
    check("payment_intent", &canceled);
    let pi_id = paid["id"].as_str().unwrap();
    check("payment_intent", &sim.retrieve_pi(pi_id).await);

    let refund = sim
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", pi_id),
                ("amount", "500"),
                ("reason", "duplicate"),
            ],
        )
        .await
        .body;
    check("refund", &refund);
    let charge_path = format!("/v1/charges/{}", refund["charge"].as_str().unwrap());
    check("charge", &sim.get(&charge_path).await.body);
    let expanded = sim
        .call(
            "GET",
            &charge_path,
            common::SK,
            &[("expand[]", "refunds")],
            None,
        )
        .await
        .body;
    assert_eq!(expanded["refunds"]["data"][0]["id"], refund["id"]);
    check("charge", &expanded);
    let pm = sim
        .call(
            "POST",
            "/v1/payment_methods",
            PK,
            &[
                ("type", "card"),
                ("card[number]", "4242424242424242"),
                ("card[exp_month]", "1"),
                ("card[exp_year]", "2031"),
                ("billing_details[address][postal_code]", "94103"),
            ],
            None,
        )
        .await;
    check("payment_method", &pm.body);

    // Events, and the object inside each.
    let events = sim
        .call("GET", "/v1/events", common::SK, &[("limit", "100")], None)
        .await
        .body;
    let events = events["data"].as_array().unwrap();
    assert!(events.len() >= 10);
    for event in events {
        check("event", event);
        let object = &event["data"]["object"];
        if object["object"] != "dispute" {
            check(object_schema(object), object);
        }
    }
    // Webhook payloads too.
    let delivered = receiver
        .wait_for("deliveries", |d| d.len() >= events.len())
        .await;
    for d in delivered {
        check("event", &d.event);
    }

    // Error envelopes.
    for body in [
        sim.get("/v1/payment_intents/pi_nope").await.body,
        sim.post(
            "/v1/payment_intents",
            &[("amount", "1"), ("currency", "usd")],
        )
        .await
        .body,
        sim.call("GET", "/v1/events", "sk_test_nope_00000000", &[], None)
            .await
            .body,
        sim.confirm_with(pi_id, &[("payment_method", "pm_card_visa")])
            .await
            .body,
    ] {
        check("error", &body);
        assert!(body["error"]["message"].is_string());
    }
}
