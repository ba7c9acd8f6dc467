//! Webhook registration, events, signed deliveries, retries, verification.

use crate::common::{receiver, start, Delivery};
use base64::Engine;
use paypal_sim::signing;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde_json::{json, Value};
use sha2::Sha256;

fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

/// Verifies a delivery the way an app does (https://developer.paypal.com/api/rest/webhooks/rest/):
/// the certificate from PAYPAL-CERT-URL, SHA256withRSA over
/// `transmission_id|transmission_time|webhook_id|crc32(body)`.
async fn verify(d: &Delivery, webhook_id: &str) -> bool {
    let cert = reqwest::get(d.header("paypal-cert-url"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(cert, signing::CERT_PEM);
    // The certificate carries the simulator's public key (its SubjectPublicKeyInfo, verbatim).
    let spki = pem_der(signing::PUBLIC_KEY_PEM);
    let cert_der = pem_der(&cert);
    assert!(cert_der.windows(spki.len()).any(|w| w == spki.as_slice()));
    let key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
    let crc = crc32fast::hash(&d.body);
    let message = format!(
        "{}|{}|{}|{}",
        d.header("paypal-transmission-id"),
        d.header("paypal-transmission-time"),
        webhook_id,
        crc
    );
    let sig = base64::engine::general_purpose::STANDARD
        .decode(d.header("paypal-transmission-sig"))
        .unwrap();
    let sig = Signature::try_from(sig.as_slice()).unwrap();
    VerifyingKey::<Sha256>::new(key)
        .verify(message.as_bytes(), &sig)
        .is_ok()
}

#[tokio::test]
async fn webhooks_api() {
    let s = start().await;
    let body = json!({"url": "https://example.com/hook", "event_types": [{"name": "PAYMENT.CAPTURE.COMPLETED"}, {"name": "PAYMENT.CAPTURE.REFUNDED"}]});
    let r = s
        .call(
            "POST",
            "/v1/notifications/webhooks",
            Some(body.clone()),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 17);
    assert_eq!(
        r.body["event_types"][0]["name"],
        "PAYMENT.CAPTURE.COMPLETED"
    );
    let r = s
        .call("POST", "/v1/notifications/webhooks", Some(body), &[])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["name"], "WEBHOOK_URL_ALREADY_EXISTS");
    let r = s.call("GET", "/v1/notifications/webhooks", None, &[]).await;
    assert_eq!(r.body["webhooks"].as_array().unwrap().len(), 1);
    let r = s
        .call(
            "GET",
            &format!("/v1/notifications/webhooks/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.body["url"], "https://example.com/hook");
    let patch = json!([
        {"op": "replace", "path": "/url", "value": "https://example.com/hook2"},
        {"op": "replace", "path": "/event_types", "value": [{"name": "*"}]}
    ]);
    let r = s
        .call(
            "PATCH",
            &format!("/v1/notifications/webhooks/{id}"),
            Some(patch),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["url"], "https://example.com/hook2");
    assert_eq!(r.body["event_types"][0]["name"], "*");
    let r = s
        .call(
            "DELETE",
            &format!("/v1/notifications/webhooks/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    let r = s
        .call(
            "GET",
            &format!("/v1/notifications/webhooks/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    let r = s
        .call("GET", "/v1/notifications/certs/CERT-unknown", None, &[])
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn events_are_delivered_signed_and_verifiable() {
    let s = start().await;
    let rx = receiver(0).await;
    let webhook = s.sim.ensure_webhook(&rx.url).await.unwrap();
    let id = s.order("10.00").await;
    s.approve(&id, "balance").await;
    let approved = rx.wait_for("CHECKOUT.ORDER.APPROVED").await;
    let capture = s.capture(&id).await.body["purchase_units"][0]["payments"]["captures"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let completed = rx.wait_for("PAYMENT.CAPTURE.COMPLETED").await;
    s.call(
        "POST",
        &format!("/v2/payments/captures/{capture}/refund"),
        None,
        &[],
    )
    .await;
    let refunded = rx.wait_for("PAYMENT.CAPTURE.REFUNDED").await;

    let e = approved.json();
    assert!(e["id"].as_str().unwrap().starts_with("WH-"));
    assert_eq!(e["id"].as_str().unwrap().len(), 3 + 17 + 1 + 17);
    assert_eq!(e["event_version"], "1.0");
    assert_eq!(e["resource_version"], "2.0");
    assert_eq!(e["resource_type"], "checkout-order");
    assert_eq!(e["resource"]["id"], id.as_str());
    assert_eq!(e["resource"]["status"], "APPROVED");
    let ct = e["create_time"].as_str().unwrap();
    assert_eq!(ct.len(), 24, "millis: {ct}");
    assert_eq!(e["links"][0]["rel"], "self");

    let e = completed.json();
    assert_eq!(e["resource_type"], "capture");
    assert_eq!(e["resource"]["id"], capture.as_str());
    assert_eq!(
        e["resource"]["supplementary_data"]["related_ids"]["order_id"],
        id.as_str()
    );
    assert_eq!(e["resource"]["custom_id"], "cart-42");
    assert_eq!(e["summary"], "Payment completed for 10.00 USD");
    let e = refunded.json();
    assert_eq!(e["resource_type"], "refund");
    assert_eq!(e["resource"]["amount"]["value"], "10.00");

    for d in [&approved, &completed, &refunded] {
        assert_eq!(d.header("paypal-auth-algo"), "SHA256withRSA");
        assert_eq!(d.header("paypal-auth-version"), "v2");
        assert_eq!(d.header("content-type"), "application/json");
        assert_eq!(d.header("paypal-transmission-id").len(), 36);
        assert_eq!(d.header("paypal-transmission-time").len(), 20);
        assert!(d
            .header("paypal-cert-url")
            .starts_with(&format!("{}/v1/notifications/certs/CERT-", s.base)));
        assert!(verify(d, &webhook).await, "signature verifies");
        assert!(
            !verify(d, "SOMEOTHERWEBHOOK1").await,
            "bound to the webhook id"
        );
    }

    // The postback check answers SUCCESS for what was sent, FAILURE for anything else.
    let check = |d: &Delivery, event: Value, webhook_id: &str| {
        json!({
            "auth_algo": d.header("paypal-auth-algo"),
            "cert_url": d.header("paypal-cert-url"),
            "transmission_id": d.header("paypal-transmission-id"),
            "transmission_sig": d.header("paypal-transmission-sig"),
            "transmission_time": d.header("paypal-transmission-time"),
            "webhook_id": webhook_id,
            "webhook_event": event,
        })
    };
    let r = s
        .call(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            Some(check(&completed, completed.json(), &webhook)),
            &[],
        )
        .await;
    assert_eq!(r.body, json!({"verification_status": "SUCCESS"}));
    let mut tampered = completed.json();
    tampered["resource"]["amount"]["value"] = json!("1.00");
    let r = s
        .call(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            Some(check(&completed, tampered, &webhook)),
            &[],
        )
        .await;
    assert_eq!(r.body, json!({"verification_status": "FAILURE"}));
    let r = s
        .call(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            Some(check(&completed, completed.json(), "OTHER")),
            &[],
        )
        .await;
    assert_eq!(r.body, json!({"verification_status": "FAILURE"}));
}

#[tokio::test]
async fn pending_denied_and_retried_deliveries() {
    let s = start().await;
    let rx = receiver(2).await;
    let webhook = s.sim.ensure_webhook(&rx.url).await.unwrap();
    let id = s.order("5.00").await;
    s.approve(&id, "pending").await;
    let r = s.capture(&id).await;
    let capture = r.body["purchase_units"][0]["payments"]["captures"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pending = rx.wait_for("PAYMENT.CAPTURE.PENDING").await;
    assert_eq!(
        pending.json()["resource"]["status_details"]["reason"],
        "ECHECK"
    );
    s.call("POST", &format!("/_sim/captures/{capture}/deny"), None, &[])
        .await;
    let denied = rx.wait_for("PAYMENT.CAPTURE.DENIED").await;
    assert_eq!(denied.json()["resource"]["status"], "DECLINED");
    assert!(verify(&denied, &webhook).await);

    // The first two attempts were answered 500 and retried: the event came again, re-signed.
    // (The retry waits its backoff, so it may come after the later events.)
    let approved = rx.wait_for_count("CHECKOUT.ORDER.APPROVED", 2).await;
    assert_eq!(approved[0].json()["id"], approved[1].json()["id"]);
    assert_ne!(
        approved[0].header("paypal-transmission-id"),
        approved[1].header("paypal-transmission-id")
    );
    let attempts = s.sim.attempts();
    assert!(attempts.iter().any(|a| a.status == 500));
    assert!(attempts.iter().any(|a| a.status == 200));
}

#[tokio::test]
async fn events_can_be_read_and_resent() {
    let s = start().await;
    let rx = receiver(0).await;
    let webhook = s.sim.ensure_webhook(&rx.url).await.unwrap();
    let id = s.order("2.00").await;
    s.approve(&id, "balance").await;
    let first = rx.wait_for("CHECKOUT.ORDER.APPROVED").await;
    let event_id = first.json()["id"].as_str().unwrap().to_string();
    let r = s
        .call(
            "GET",
            &format!("/v1/notifications/webhooks-events/{event_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, first.json());
    let r = s
        .call(
            "POST",
            &format!("/v1/notifications/webhooks-events/{event_id}/resend"),
            Some(json!({"webhook_ids": [webhook]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    for _ in 0..100 {
        if rx.all().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let all = rx.all();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].json()["id"], event_id.as_str());
    assert!(verify(&all[1], &webhook).await);
    let r = s
        .call(
            "GET",
            "/v1/notifications/webhooks-events/WH-NOPE",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn simulate_event_sends_a_mock_signed_for_webhook_id() {
    let s = start().await;
    let rx = receiver(0).await;
    let webhook = s.sim.ensure_webhook(&rx.url).await.unwrap();
    for event_type in [
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.PENDING",
        "PAYMENT.CAPTURE.DENIED",
        "PAYMENT.CAPTURE.REFUNDED",
    ] {
        let r = s
            .call(
                "POST",
                "/v1/notifications/simulate-event",
                Some(json!({"webhook_id": webhook, "event_type": event_type, "resource_version": "2.0"})),
                &[],
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.body);
        assert_eq!(r.body["event_type"], event_type);
        let d = rx.wait_for(event_type).await;
        assert_eq!(d.json()["id"], r.body["id"]);
        assert!(
            verify(&d, "WEBHOOK_ID").await,
            "mock events are signed for WEBHOOK_ID"
        );
    }
    // Nothing real was made.
    let r = s.call("GET", "/_sim/events", None, &[]).await;
    assert_eq!(r.body["events"].as_array().unwrap().len(), 5);
    let r = s
        .call(
            "POST",
            "/v1/notifications/simulate-event",
            Some(json!({"webhook_id": webhook, "event_type": "NOT.AN.EVENT"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 400);
}
