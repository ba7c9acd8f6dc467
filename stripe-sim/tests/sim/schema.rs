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

/// The ConfirmationToken schemas (fixtures/openapi-confirmation-token.json, from the same spec:
/// `confirmation_token` and what it references), as a document of components.
fn token_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let file: Value =
            serde_json::from_str(include_str!("../fixtures/openapi-confirmation-token.json"))
                .unwrap();
        json!({"components": {"schemas": file["schemas"]}})
    })
}

fn validate(spec: &Value, name: &str, object: &Value) {
    let mut root = json!({"components": convert(&spec["components"])});
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
}

/// Every property `schema` lists is present in `object`, but those in `except`.
fn has_every_property(spec: &Value, name: &str, object: &Value, except: &[&str]) {
    let missing: Vec<&String> = spec["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| object.get(k.as_str()).is_none() && !except.contains(&k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{name} lacks properties Stripe's schema lists: {missing:?}\n{object:#}"
    );
}

/// A ConfirmationToken: valid, with every property of the token, of its card preview and of
/// the card (the preview's other payment-method types are for other types).
pub fn check_token(token: &Value) {
    let spec = token_spec();
    validate(spec, "confirmation_token", token);
    has_every_property(spec, "confirmation_token", token, &[]);
    let preview = &token["payment_method_preview"];
    let other_types: Vec<&str> = spec["components"]["schemas"]
        ["confirmation_tokens_resource_payment_method_preview"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| {
            ![
                "allow_redisplay",
                "billing_details",
                "card",
                "customer",
                "customer_account",
                "type",
            ]
            .contains(k)
        })
        .collect();
    has_every_property(
        spec,
        "confirmation_tokens_resource_payment_method_preview",
        preview,
        &other_types,
    );
    has_every_property(spec, "payment_method_card", &preview["card"], &[]);
    has_every_property(spec, "billing_details", &preview["billing_details"], &[]);
    if !token["shipping"].is_null() {
        has_every_property(
            spec,
            "confirmation_tokens_resource_shipping",
            &token["shipping"],
            &[],
        );
        has_every_property(spec, "address", &token["shipping"]["address"], &[]);
    }
}

/// The billing schemas (fixtures/openapi-billing-subset.json: `checkout.session`, `item` and
/// what they reference, from the same spec).
fn billing_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let file: Value =
            serde_json::from_str(include_str!("../fixtures/openapi-billing-subset.json")).unwrap();
        json!({"components": {"schemas": file["schemas"]}})
    })
}

/// A Checkout Session: valid, with every property of the schema but `line_items` (only when
/// expanded) and `return_url` / `redirect_on_completion` (only for `ui_mode` `embedded_page` or
/// `elements`, https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-return_url).
pub fn check_session(session: &Value) {
    let spec = billing_spec();
    validate(spec, "checkout.session", session);
    let mut except = vec!["return_url", "redirect_on_completion"];
    if session.get("line_items").is_none() {
        except.push("line_items");
    } else {
        for item in session["line_items"]["data"].as_array().unwrap() {
            check_item(item);
        }
    }
    has_every_property(spec, "checkout.session", session, &except);
}

pub fn check_item(item: &Value) {
    let spec = billing_spec();
    validate(spec, "item", item);
    has_every_property(spec, "item", item, &[]);
    // A price made from `price_data`: its includable lists are absent.
    has_every_property(
        spec,
        "price",
        &item["price"],
        &["currency_options", "tiers"],
    );
}

#[tokio::test]
async fn checkout_sessions_match_stripes_schema() {
    use crate::checkout::{create_session, submit};
    let sim = start().await;
    let open = create_session(
        &sim,
        &[("shipping_address_collection[allowed_countries][]", "US")],
    )
    .await;
    check_session(&open);
    let sid = open["id"].as_str().unwrap();
    let expanded = sim
        .get(&format!("/v1/checkout/sessions/{sid}?expand[]=line_items"))
        .await
        .body;
    assert!(expanded["line_items"].is_object());
    check_session(&expanded);
    let items = sim
        .get(&format!("/v1/checkout/sessions/{sid}/line_items"))
        .await
        .body;
    for item in items["data"].as_array().unwrap() {
        check_item(item);
    }
    let r = submit(
        &open,
        "4242424242424242",
        &[
            ("shipping_name", "Jenny Rosen"),
            ("shipping_line1", "1 Main St"),
            ("shipping_country", "US"),
        ],
    )
    .await;
    assert_eq!(r.status, 303);
    let paid = sim
        .get(&format!(
            "/v1/checkout/sessions/{sid}?expand[]=payment_intent"
        ))
        .await
        .body;
    check_session(&paid);
    check("payment_intent", &paid["payment_intent"]);
    let plain = create_session(&sim, &[]).await;
    let expired = sim
        .post(
            &format!(
                "/v1/checkout/sessions/{}/expire",
                plain["id"].as_str().unwrap()
            ),
            &[],
        )
        .await
        .body;
    check_session(&expired);
    let list = sim.get("/v1/checkout/sessions").await.body;
    for s in list["data"].as_array().unwrap() {
        check_session(s);
    }
    let events = sim.get("/v1/events?limit=100").await.body;
    let mut seen = 0;
    for event in events["data"].as_array().unwrap() {
        check("event", event);
        let object = &event["data"]["object"];
        if object["object"] == "checkout.session" {
            check_session(object);
            seen += 1;
        }
    }
    assert_eq!(seen, 2, "completed and expired");
    check(
        "error",
        &sim.get("/v1/checkout/sessions/cs_test_nope").await.body,
    );
}

#[tokio::test]
async fn confirmation_tokens_match_stripes_schema() {
    use crate::confirmation_tokens::{elements_token, helper_token};
    let sim = start().await;
    let from_elements = elements_token(
        &sim,
        "4242424242424242",
        "usd",
        &[
            ("return_url", "https://shop.example/return"),
            ("shipping[name]", "Jenny Rosen"),
            ("shipping[address][line1]", "1 Main St"),
            (
                "payment_method_data[billing_details][email]",
                "jenny@example.com",
            ),
        ],
    )
    .await;
    check_token(&from_elements);
    let from_helper = helper_token(
        &sim,
        &[
            ("payment_method", "pm_card_visa"),
            ("setup_future_usage", "on_session"),
            (
                "payment_method_options[card][installments][plan][type]",
                "fixed_count",
            ),
            (
                "payment_method_options[card][installments][plan][count]",
                "3",
            ),
            (
                "payment_method_options[card][installments][plan][interval]",
                "month",
            ),
        ],
    )
    .await;
    check_token(&from_helper);
    let bare = helper_token(&sim, &[("payment_method", "pm_card_mastercard")]).await;
    check_token(&bare);
    // Used: `payment_intent` set, `expires_at` null; and the PaymentIntent it made.
    let r = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("confirmation_token", bare["id"].as_str().unwrap()),
                ("return_url", "https://shop.example/return"),
            ],
        )
        .await;
    check("payment_intent", &r.body);
    let used = sim
        .get(&format!(
            "/v1/confirmation_tokens/{}",
            bare["id"].as_str().unwrap()
        ))
        .await
        .body;
    assert!(used["expires_at"].is_null());
    check_token(&used);
    let missing = sim
        .get("/v1/confirmation_tokens/ctoken_000000000000000000000000")
        .await
        .body;
    check("error", &missing);
    let used_again = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("confirmation_token", bare["id"].as_str().unwrap()),
                ("return_url", "https://shop.example/return"),
            ],
        )
        .await
        .body;
    check("error", &used_again);
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
