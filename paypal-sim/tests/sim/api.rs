//! REST flows, errors, idempotency, negative testing, tokens, persistence, the approval page.

use crate::common::{order_body, start, start_with, CLIENT_ID, SECRET};
use paypal_sim::{SimConfig, Simulator};
use serde_json::{json, Value};
use std::time::Duration;

fn is_paypal_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 17
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

fn issue(body: &Value) -> &str {
    body["details"][0]["issue"].as_str().unwrap_or("")
}

#[tokio::test]
async fn token_endpoint_is_oauth_shaped() {
    let s = start().await;
    let r = s
        .http
        .post(format!("{}/v1/oauth2/token", s.base))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("paypal-debug-id"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 32400);
    assert!(body["access_token"].as_str().unwrap().starts_with("A21AA"));
    for key in ["scope", "app_id", "nonce"] {
        assert!(body[key].is_string(), "{key}");
    }

    let r = s
        .http
        .post(format!("{}/v1/oauth2/token", s.base))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_client", "error_description": "Client Authentication failed"})
    );

    let r = s
        .http
        .post(format!("{}/v1/oauth2/token", s.base))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn rest_calls_need_a_valid_bearer_token_that_expires() {
    let s = start_with(|c| c.with_token_ttl(1)).await;
    let r = s
        .call_as("", "GET", "/v2/checkout/orders/X", None, &[])
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["name"], "AUTHENTICATION_FAILURE");

    let r = s
        .call_as("nope", "GET", "/v2/checkout/orders/X", None, &[])
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"error": "invalid_token", "error_description": "Token signature verification failed"})
    );

    let token = s.new_token().await;
    let r = s
        .call_as(&token, "GET", "/v2/checkout/orders/UNKNOWN", None, &[])
        .await;
    assert_eq!(r.status, 404, "a fresh token works");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let r = s
        .call_as(&token, "GET", "/v2/checkout/orders/UNKNOWN", None, &[])
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.body["error"], "invalid_token");
}

#[tokio::test]
async fn create_approve_capture_refund() {
    let s = start().await;
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(order_body("USD", "10.00")),
            &[],
        )
        .await;
    assert_eq!(r.status, 201);
    let debug_id = r.headers["paypal-debug-id"].to_str().unwrap();
    assert_eq!(debug_id.len(), 13);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert!(is_paypal_id(&r.body["id"]));
    // return=minimal is the default: id, status, links.
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{}", r.body);
    assert_eq!(r.body["status"], "CREATED");
    let rels: Vec<&str> = r.body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(rels, ["self", "approve", "update", "capture"]);
    assert_eq!(
        r.body["links"][1]["href"],
        format!("{}/checkoutnow?token={id}", s.base)
    );

    let r = s
        .call("GET", &format!("/v2/checkout/orders/{id}"), None, &[])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["intent"], "CAPTURE");
    assert_eq!(r.body["purchase_units"][0]["reference_id"], "default");
    assert_eq!(r.body["purchase_units"][0]["amount"]["value"], "10.00");
    assert_eq!(r.body["purchase_units"][0]["custom_id"], "cart-42");

    let r = s.capture(&id).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["name"], "UNPROCESSABLE_ENTITY");
    assert_eq!(issue(&r.body), "ORDER_NOT_APPROVED");

    let approved = s.approve(&id, "balance").await;
    assert_eq!(approved.body["status"], "APPROVED");
    assert_eq!(
        approved.body["payer"]["payer_id"].as_str().unwrap().len(),
        13
    );

    let r = s.capture(&id).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "COMPLETED");
    let capture = &r.body["purchase_units"][0]["payments"]["captures"][0];
    assert!(is_paypal_id(&capture["id"]));
    assert_eq!(capture["status"], "COMPLETED");
    assert_eq!(capture["final_capture"], true);
    assert_eq!(
        capture["amount"],
        json!({"currency_code": "USD", "value": "10.00"})
    );
    assert_eq!(
        capture["seller_receivable_breakdown"]["paypal_fee"]["value"],
        "0.84"
    );
    assert_eq!(
        capture["seller_receivable_breakdown"]["net_amount"]["value"],
        "9.16"
    );
    assert_eq!(capture["custom_id"], "cart-42");
    let capture_rels: Vec<&str> = capture["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(capture_rels, ["self", "refund", "up"]);
    let capture_id = capture["id"].as_str().unwrap().to_string();

    let r = s.capture(&id).await;
    assert_eq!(r.status, 422);
    assert_eq!(issue(&r.body), "ORDER_ALREADY_CAPTURED");

    let r = s
        .call(
            "GET",
            &format!("/v2/payments/captures/{capture_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["supplementary_data"]["related_ids"]["order_id"],
        id.as_str()
    );

    // A partial refund, then too much, then the rest.
    let r = s
        .call(
            "POST",
            &format!("/v2/payments/captures/{capture_id}/refund"),
            Some(json!({"amount": {"currency_code": "USD", "value": "4.00"}, "note_to_payer": "sorry"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "COMPLETED");
    assert_eq!(
        r.body.as_object().unwrap().len(),
        3,
        "minimal refund: {}",
        r.body
    );
    let first_refund = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .call(
            "GET",
            &format!("/v2/payments/captures/{capture_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.body["status"], "PARTIALLY_REFUNDED");

    let r = s
        .call(
            "POST",
            &format!("/v2/payments/captures/{capture_id}/refund"),
            Some(json!({"amount": {"currency_code": "USD", "value": "6.01"}})),
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(issue(&r.body), "REFUND_AMOUNT_EXCEEDED");

    let r = s
        .call(
            "POST",
            &format!("/v2/payments/captures/{capture_id}/refund"),
            Some(json!({})),
            &[("Prefer", "return=representation")],
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["amount"]["value"], "6.00");
    assert_eq!(
        r.body["seller_payable_breakdown"]["total_refunded_amount"]["value"],
        "10.00"
    );
    let r = s
        .call(
            "GET",
            &format!("/v2/payments/captures/{capture_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.body["status"], "REFUNDED");

    let r = s
        .call(
            "POST",
            &format!("/v2/payments/captures/{capture_id}/refund"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(issue(&r.body), "CAPTURE_FULLY_REFUNDED");

    let r = s
        .call(
            "GET",
            &format!("/v2/payments/refunds/{first_refund}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["amount"]["value"], "4.00");
    assert_eq!(r.body["note_to_payer"], "sorry");
    assert_eq!(r.body["links"][1]["rel"], "up");
}

#[tokio::test]
async fn prefer_representation_and_patch() {
    let s = start().await;
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(order_body("EUR", "20.00")),
            &[("Prefer", "return=representation")],
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["intent"], "CAPTURE");
    assert!(r.body["create_time"].is_string());
    let id = r.body["id"].as_str().unwrap().to_string();

    let patch = json!([
        {"op": "replace", "path": "/purchase_units/@reference_id=='default'/amount", "value": {"currency_code": "EUR", "value": "25.50"}},
        {"op": "replace", "path": "/purchase_units/@reference_id=='default'/custom_id", "value": "cart-43"}
    ]);
    let r = s
        .call(
            "PATCH",
            &format!("/v2/checkout/orders/{id}"),
            Some(patch.clone()),
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = s
        .call("GET", &format!("/v2/checkout/orders/{id}"), None, &[])
        .await;
    assert_eq!(r.body["purchase_units"][0]["amount"]["value"], "25.50");
    assert_eq!(r.body["purchase_units"][0]["custom_id"], "cart-43");

    let bad = json!([{"op": "replace", "path": "/purchase_units/@reference_id=='default'/amount", "value": {"currency_code": "EUR", "value": "1.234"}}]);
    let r = s
        .call(
            "PATCH",
            &format!("/v2/checkout/orders/{id}"),
            Some(bad),
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(issue(&r.body), "DECIMAL_PRECISION");

    s.approve(&id, "balance").await;
    assert_eq!(s.capture(&id).await.status, 201);
    let r = s
        .call(
            "PATCH",
            &format!("/v2/checkout/orders/{id}"),
            Some(patch),
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(issue(&r.body), "ORDER_ALREADY_COMPLETED");
}

#[tokio::test]
async fn amounts_follow_the_currency_rules() {
    let s = start().await;
    let create =
        |c: &str, v: &str| s.call("POST", "/v2/checkout/orders", Some(order_body(c, v)), &[]);
    assert_eq!(create("JPY", "1500").await.status, 201);
    let r = create("JPY", "1500.50").await;
    assert_eq!((r.status, issue(&r.body)), (422, "DECIMAL_PRECISION"));
    assert_eq!(
        r.body["details"][0]["field"],
        "/purchase_units/@reference_id=='default'/amount/value"
    );
    assert_eq!(r.body["details"][0]["location"], "body");
    let r = create("HUF", "10.00").await;
    assert_eq!((r.status, issue(&r.body)), (422, "DECIMAL_PRECISION"));
    let r = create("USD", "10.001").await;
    assert_eq!((r.status, issue(&r.body)), (422, "DECIMAL_PRECISION"));
    let r = create("USD", "0.00").await;
    assert_eq!(
        (r.status, issue(&r.body)),
        (422, "CANNOT_BE_ZERO_OR_NEGATIVE")
    );
    let r = create("USD", "-5.00").await;
    assert_eq!(
        (r.status, issue(&r.body)),
        (422, "CANNOT_BE_ZERO_OR_NEGATIVE")
    );
    let r = create("ABC", "5.00").await;
    assert_eq!((r.status, issue(&r.body)), (422, "INVALID_CURRENCY_CODE"));
    let r = create("USD", "five").await;
    assert_eq!(
        (r.status, issue(&r.body)),
        (400, "INVALID_PARAMETER_SYNTAX")
    );
    assert_eq!(r.body["name"], "INVALID_REQUEST");

    // Breakdown must add up.
    let mut body = order_body("USD", "10.00");
    body["purchase_units"][0]["amount"]["breakdown"] =
        json!({"item_total": {"currency_code": "USD", "value": "9.00"}});
    let r = s
        .call("POST", "/v2/checkout/orders", Some(body.clone()), &[])
        .await;
    assert_eq!((r.status, issue(&r.body)), (422, "AMOUNT_MISMATCH"));
    body["purchase_units"][0]["amount"]["breakdown"]["shipping"] =
        json!({"currency_code": "USD", "value": "1.00"});
    assert_eq!(
        s.call("POST", "/v2/checkout/orders", Some(body), &[])
            .await
            .status,
        201
    );

    // Refunds of a JPY capture: no decimals (Payments' own issue name).
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(order_body("JPY", "1500")),
            &[],
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    s.approve(&id, "balance").await;
    let r = s.capture(&id).await;
    let capture = r.body["purchase_units"][0]["payments"]["captures"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refund_path = format!("/v2/payments/captures/{capture}/refund");
    let refund = |v: &str| {
        s.call(
            "POST",
            &refund_path,
            Some(json!({"amount": {"currency_code": "JPY", "value": v}})),
            &[],
        )
    };
    let r = refund("100.5").await;
    assert_eq!((r.status, issue(&r.body)), (422, "DECIMALS_NOT_SUPPORTED"));
    let r = refund("0").await;
    assert_eq!(
        (r.status, issue(&r.body)),
        (422, "CANNOT_BE_ZERO_OR_NEGATIVE")
    );
    let r = s
        .call(
            "POST",
            &format!("/v2/payments/captures/{capture}/refund"),
            Some(json!({"amount": {"currency_code": "USD", "value": "1.00"}})),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, issue(&r.body)),
        (422, "REFUND_CAPTURE_CURRENCY_MISMATCH")
    );
    assert_eq!(refund("500").await.status, 201);
}

#[tokio::test]
async fn error_envelopes() {
    let s = start().await;
    let r = s
        .call("GET", "/v2/checkout/orders/0000000000000000X", None, &[])
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["name"], "RESOURCE_NOT_FOUND");
    assert_eq!(r.body["message"], "The specified resource does not exist.");
    assert_eq!(r.body["details"][0]["issue"], "INVALID_RESOURCE_ID");
    assert_eq!(r.body["details"][0]["location"], "path");
    assert_eq!(r.body["details"][0]["value"], "0000000000000000X");
    assert_eq!(r.body["links"][0]["rel"], "information_link");
    assert_eq!(
        r.body["debug_id"].as_str().unwrap(),
        r.headers["paypal-debug-id"].to_str().unwrap()
    );

    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(json!({"purchase_units": []})),
            &[],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(issue(&r.body), "MISSING_REQUIRED_PARAMETER");
    assert_eq!(r.body["details"][0]["field"], "/intent");

    let r = s
        .http
        .post(format!("{}/v2/checkout/orders", s.base))
        .bearer_auth(&s.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(issue(&body), "MALFORMED_REQUEST_JSON");

    for path in ["/v2/payments/captures/NOPE", "/v2/payments/refunds/NOPE"] {
        let r = s.call("GET", path, None, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(issue(&r.body), "INVALID_RESOURCE_ID");
    }
}

#[tokio::test]
async fn request_ids_replay_the_stored_response() {
    let s = start().await;
    let body = order_body("USD", "12.00");
    let first = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(body.clone()),
            &[("PayPal-Request-Id", "req-1")],
        )
        .await;
    let again = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(body.clone()),
            &[("PayPal-Request-Id", "req-1")],
        )
        .await;
    assert_eq!((first.status, again.status), (201, 200));
    assert_eq!(first.body, again.body);
    let other = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(body),
            &[("PayPal-Request-Id", "req-2")],
        )
        .await;
    assert_ne!(other.body["id"], first.body["id"]);

    let id = first.body["id"].as_str().unwrap().to_string();
    s.approve(&id, "balance").await;
    let path = format!("/v2/checkout/orders/{id}/capture");
    let c1 = s
        .call(
            "POST",
            &path,
            Some(json!({})),
            &[("PayPal-Request-Id", "cap-1")],
        )
        .await;
    let c2 = s
        .call(
            "POST",
            &path,
            Some(json!({})),
            &[("PayPal-Request-Id", "cap-1")],
        )
        .await;
    assert_eq!((c1.status, c2.status), (201, 200));
    assert_eq!(c1.body, c2.body);
    let c3 = s.call("POST", &path, Some(json!({})), &[]).await;
    assert_eq!(issue(&c3.body), "ORDER_ALREADY_CAPTURED");

    let capture = c1.body["purchase_units"][0]["payments"]["captures"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refund_path = format!("/v2/payments/captures/{capture}/refund");
    let amount = json!({"amount": {"currency_code": "USD", "value": "2.00"}});
    let r1 = s
        .call(
            "POST",
            &refund_path,
            Some(amount.clone()),
            &[("PayPal-Request-Id", "ref-1")],
        )
        .await;
    let r2 = s
        .call(
            "POST",
            &refund_path,
            Some(amount),
            &[("PayPal-Request-Id", "ref-1")],
        )
        .await;
    assert_eq!((r1.status, r2.status), (201, 201));
    assert_eq!(r1.body, r2.body);
    let c = s
        .call(
            "GET",
            &format!("/v2/payments/captures/{capture}"),
            None,
            &[],
        )
        .await;
    assert_eq!(c.body["status"], "PARTIALLY_REFUNDED");
    // Only one refund was made: 10.00 of 12.00 remain.
    let r = s
        .call(
            "POST",
            &refund_path,
            Some(json!({"amount": {"currency_code": "USD", "value": "10.00"}})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn mock_responses() {
    let s = start().await;
    // Refunds of a completed capture can be mocked too.
    let paid = s.paid("5.00").await;
    let mock_refund = s
        .call(
            "POST",
            &format!("/v2/payments/captures/{paid}/refund"),
            None,
            &[(
                "PayPal-Mock-Response",
                "{\"mock_application_codes\":\"REFUND_FAILED_INSUFFICIENT_FUNDS\"}",
            )],
        )
        .await;
    assert_eq!(mock_refund.status, 422);
    assert_eq!(issue(&mock_refund.body), "REFUND_FAILED_INSUFFICIENT_FUNDS");
    let id = s.order("10.00").await;
    s.approve(&id, "balance").await;
    let path = format!("/v2/checkout/orders/{id}/capture");
    let mock = |code: &str| format!("{{\"mock_application_codes\": \"{code}\"}}");
    let r = s
        .call(
            "POST",
            &path,
            Some(json!({})),
            &[("PayPal-Mock-Response", &mock("INSTRUMENT_DECLINED"))],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(issue(&r.body), "INSTRUMENT_DECLINED");
    assert_eq!(
        r.body["details"][0]["description"],
        "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment."
    );
    let r = s
        .call(
            "POST",
            &path,
            Some(json!({})),
            &[("PayPal-Mock-Response", &mock("TRANSACTION_REFUSED"))],
        )
        .await;
    assert_eq!((r.status, issue(&r.body)), (422, "TRANSACTION_REFUSED"));
    let r = s
        .call(
            "POST",
            &path,
            Some(json!({})),
            &[("PayPal-Mock-Response", &mock("INTERNAL_SERVER_ERROR"))],
        )
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.body["name"], "INTERNAL_SERVER_ERROR");
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(order_body("USD", "1.00")),
            &[("PayPal-Mock-Response", &mock("PERMISSION_DENIED"))],
        )
        .await;
    assert_eq!(r.status, 403);
    // Mocks change nothing: the real capture still works.
    let r = s.capture(&id).await;
    assert_eq!(r.status, 201);
    let capture = r.body["purchase_units"][0]["payments"]["captures"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s
        .call(
            "POST",
            &format!("/v2/payments/captures/{capture}/refund"),
            Some(json!({})),
            &[("PayPal-Mock-Response", &mock("TRANSACTION_DISPUTED"))],
        )
        .await;
    assert_eq!((r.status, issue(&r.body)), (422, "TRANSACTION_DISPUTED"));
}

#[tokio::test]
async fn declined_and_pending_funding() {
    let s = start().await;
    let id = s.order("30.00").await;
    s.approve(&id, "declined").await;
    let r = s.capture(&id).await;
    assert_eq!(r.status, 422);
    assert_eq!(issue(&r.body), "INSTRUMENT_DECLINED");
    let redirect = r.body["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "redirect")
        .unwrap();
    assert_eq!(
        redirect["href"],
        format!("{}/checkoutnow?token={id}", s.base)
    );
    // Declined again until the buyer picks something else (actions.restart()).
    assert_eq!(issue(&s.capture(&id).await.body), "INSTRUMENT_DECLINED");
    s.approve(&id, "balance").await;
    assert_eq!(s.capture(&id).await.status, 201);

    for (funding, settle, status) in [
        ("pending", "complete", "COMPLETED"),
        ("pending", "deny", "DECLINED"),
    ] {
        let id = s.order("40.00").await;
        s.approve(&id, funding).await;
        let r = s.capture(&id).await;
        assert_eq!(r.status, 201);
        assert_eq!(r.body["status"], "COMPLETED");
        let capture = &r.body["purchase_units"][0]["payments"]["captures"][0];
        assert_eq!(capture["status"], "PENDING");
        assert_eq!(capture["status_details"]["reason"], "ECHECK");
        assert!(capture.get("seller_receivable_breakdown").is_none());
        let capture_id = capture["id"].as_str().unwrap().to_string();
        let r = s
            .call(
                "POST",
                &format!("/v2/payments/captures/{capture_id}/refund"),
                None,
                &[],
            )
            .await;
        assert_eq!((r.status, issue(&r.body)), (422, "PENDING_CAPTURE"));
        let r = s
            .call(
                "POST",
                &format!("/_sim/captures/{capture_id}/{settle}"),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = s
            .call(
                "GET",
                &format!("/v2/payments/captures/{capture_id}"),
                None,
                &[],
            )
            .await;
        assert_eq!(r.body["status"], status);
    }

    let id = s.order("40.00").await;
    s.approve(&id, "pending_review").await;
    let r = s.capture(&id).await;
    assert_eq!(
        r.body["purchase_units"][0]["payments"]["captures"][0]["status_details"]["reason"],
        "PENDING_REVIEW"
    );
}

#[tokio::test]
async fn control_api_is_off_by_default() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sim = Simulator::in_memory(SimConfig::new(CLIENT_ID, SECRET, &base));
    let s = crate::common::serve(listener, sim, base).await;
    let id = s.order("1.00").await;
    let r = s
        .call("POST", &format!("/_sim/orders/{id}/approve"), None, &[])
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn persistent_simulator_keeps_its_objects_and_credentials() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    let (id, secret) = paypal_sim::embedded_credentials(&pool).await.unwrap();
    assert_eq!(
        paypal_sim::embedded_credentials(&pool).await.unwrap(),
        (id.clone(), secret.clone())
    );
    assert_ne!(id, secret);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = SimConfig::new(&id, &secret, &base).with_control_api(true);
    let sim = Simulator::persistent(config.clone(), pool.clone())
        .await
        .unwrap();
    let webhook = sim.ensure_webhook("http://127.0.0.1:9/hook").await.unwrap();
    assert_eq!(
        sim.ensure_webhook("http://127.0.0.1:9/hook").await.unwrap(),
        webhook
    );
    let token = {
        let r = reqwest::Client::new()
            .post(format!("{base}/v1/oauth2/token"))
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials")]);
        let router = sim.router();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let body: Value = r.send().await.unwrap().json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    };
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{base}/v2/checkout/orders"))
        .bearer_auth(&token)
        .json(&order_body("USD", "3.00"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order = created["id"].as_str().unwrap().to_string();
    drop(sim);

    // "Restart": a new simulator on the same tables knows the order, the token and the webhook.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base2 = format!("http://{}", listener.local_addr().unwrap());
    let sim = Simulator::persistent(SimConfig::new(&id, &secret, &base2), pool)
        .await
        .unwrap();
    assert_eq!(
        sim.ensure_webhook("http://127.0.0.1:9/hook").await.unwrap(),
        webhook
    );
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let r = http
        .get(format!("{base2}/v2/checkout/orders/{order}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["purchase_units"][0]["amount"]["value"], "3.00");
}

#[tokio::test]
async fn approval_page_and_sdk_work_under_a_strict_csp() {
    let s = start().await;
    let id = s.order("9.99").await;
    let page = s
        .http
        .get(format!("{}/checkoutnow?token={id}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("9.99 USD"));
    for needle in [
        "PayPal balance",
        "Card that will be declined",
        "eCheck (pays later)",
        "Pay now",
        "Cancel",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(!html.contains("style="), "no inline styles");
    assert!(!html.contains("<style"), "no style elements");
    for tag in html.split("<script").skip(1) {
        assert!(
            tag.trim_start().starts_with("src="),
            "only external scripts: {tag}"
        );
    }
    for asset in [
        "/checkoutnow/app.js",
        "/checkoutnow/app.css",
        "/sdk/buttons.css",
    ] {
        let r = s
            .http
            .get(format!("{}{asset}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{asset}");
    }

    // What "Pay now" does.
    let r = s
        .http
        .post(format!("{}/checkoutnow/approve?token={id}", s.base))
        .json(&json!({"funding": "balance"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["orderID"], id.as_str());
    assert_eq!(body["payerID"].as_str().unwrap().len(), 13);
    let r = s
        .call("GET", &format!("/v2/checkout/orders/{id}"), None, &[])
        .await;
    assert_eq!(r.body["status"], "APPROVED");

    let r = s
        .http
        .get(format!(
            "{}/sdk/js?client-id={CLIENT_ID}&currency=USD&intent=capture",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let js = r.text().await.unwrap();
    assert!(js.contains("data-funding-source"));
    let r = s
        .http
        .get(format!("{}/sdk/js?client-id=someone-else", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .http
        .get(format!("{}/checkoutnow/order?token={id}", s.base))
        .send()
        .await
        .unwrap();
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["currency_code"], "USD");
    assert_eq!(summary["intent"], "CAPTURE");
}

#[tokio::test]
async fn duplicate_invoice_ids_are_refused_at_capture() {
    let s = start().await;
    let mut body = order_body("USD", "5.00");
    body["purchase_units"][0]["invoice_id"] = json!("INV-SAME");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = s
            .call("POST", "/v2/checkout/orders", Some(body.clone()), &[])
            .await;
        let id = r.body["id"].as_str().unwrap().to_string();
        s.approve(&id, "balance").await;
        ids.push(id);
    }
    assert_eq!(s.capture(&ids[0]).await.status, 201);
    let r = s.capture(&ids[1]).await;
    assert_eq!((r.status, issue(&r.body)), (422, "DUPLICATE_INVOICE_ID"));

    let relaxed = start_with(|c| c.with_unique_invoice_ids(false)).await;
    for _ in 0..2 {
        let r = relaxed
            .call("POST", "/v2/checkout/orders", Some(body.clone()), &[])
            .await;
        let id = r.body["id"].as_str().unwrap().to_string();
        relaxed.approve(&id, "balance").await;
        assert_eq!(relaxed.capture(&id).await.status, 201);
    }
}

#[tokio::test]
async fn the_approval_endpoint_takes_only_json() {
    let s = start().await;
    let id = s.order("1.00").await;
    let r = s
        .http
        .post(format!("{}/checkoutnow/approve?token={id}", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("funding=balance")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = s
        .call("GET", &format!("/v2/checkout/orders/{id}"), None, &[])
        .await;
    assert_eq!(r.body["status"], "CREATED");
}

#[tokio::test]
async fn works_nested_inside_an_app() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let base = format!("{origin}/paypal-sim");
    let sim = Simulator::in_memory(crate::common::config(&base));
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "shop" }))
        .nest("/paypal-sim", sim.router());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/v1/oauth2/token"))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let s = crate::common::Sim {
        base: base.clone(),
        sim,
        http,
        token: token["access_token"].as_str().unwrap().to_string(),
    };
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(order_body("USD", "7.00")),
            &[],
        )
        .await;
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.body["links"][0]["href"],
        format!("{base}/v2/checkout/orders/{id}")
    );
    assert_eq!(
        r.body["links"][1]["href"],
        format!("{base}/checkoutnow?token={id}")
    );
    // The approval page's assets resolve under the mount point.
    let page = s
        .http
        .get(format!("{base}/checkoutnow?token={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let js = s
        .http
        .get(format!("{base}/checkoutnow/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    s.approve(&id, "balance").await;
    assert_eq!(s.capture(&id).await.status, 201);
    let r = s.http.get(format!("{origin}/")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "shop");
    let r = s.call("GET", "/v9/unknown", None, &[]).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_clock_can_be_advanced_past_token_expiry() {
    let s = start().await;
    assert_eq!(
        s.call("GET", "/v2/checkout/orders/NOPE", None, &[])
            .await
            .status,
        404
    );
    let r = s
        .call(
            "POST",
            "/_sim/clock",
            Some(json!({"advance_seconds": 32_400})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s.call("GET", "/v2/checkout/orders/NOPE", None, &[]).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (401, Some("invalid_token"))
    );
}

#[tokio::test]
async fn rust_api_approves_and_settles() {
    let s = start().await;
    let id = s.order("8.00").await;
    let payer = s
        .sim
        .approve_order(&id, paypal_sim::model::Funding::Pending)
        .await
        .unwrap();
    assert_eq!(payer.len(), 13);
    assert!(s
        .sim
        .approve_order("NOPE", paypal_sim::model::Funding::Balance)
        .await
        .is_err());
    let r = s.capture(&id).await;
    let capture = r.body["purchase_units"][0]["payments"]["captures"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.sim.settle_capture(&capture, true).await.unwrap();
    assert!(
        s.sim.settle_capture(&capture, true).await.is_err(),
        "no longer pending"
    );
    let r = s
        .call(
            "GET",
            &format!("/v2/payments/captures/{capture}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.body["status"], "COMPLETED");
}
