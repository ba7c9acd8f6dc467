//! Every test card through create → confirm (server side, with `pm_card_*`), ending in the
//! status, error and events https://docs.stripe.com/testing gives.

use crate::common::{self, start};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn cards_that_succeed() {
    let sim = start().await;
    for pm in [
        "pm_card_visa",
        "pm_card_mastercard",
        "pm_card_amex",
        "pm_card_visa_debit",
        "pm_card_bypassPending",
        "pm_card_threeDSecureOptional",
    ] {
        let pi = sim.create_pi("2000").await;
        let id = pi["id"].as_str().unwrap();
        let r = sim.confirm(id, pm).await;
        assert_eq!(r.status, 200, "{pm}: {}", r.body);
        assert_eq!(r.body["status"], "succeeded", "{pm}");
        assert_eq!(r.body["amount_received"], 2000, "{pm}");
        assert!(r.body["latest_charge"].as_str().unwrap().starts_with("ch_"));
        assert_eq!(r.body["last_payment_error"], Value::Null);
        assert_eq!(
            sim.event_types_for(id).await,
            [
                "payment_intent.created",
                "charge.succeeded",
                "payment_intent.succeeded"
            ],
            "{pm}"
        );
    }
}

#[tokio::test]
async fn cards_that_decline() {
    let sim = start().await;
    let cases = [
        (
            "pm_card_visa_chargeDeclined",
            "card_declined",
            "generic_decline",
            "Your card was declined.",
        ),
        (
            "pm_card_chargeDeclined",
            "card_declined",
            "generic_decline",
            "Your card was declined.",
        ),
        (
            "pm_card_visa_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        (
            "pm_card_visa_chargeDeclinedLostCard",
            "card_declined",
            "lost_card",
            "Your card was declined.",
        ),
        (
            "pm_card_visa_chargeDeclinedStolenCard",
            "card_declined",
            "stolen_card",
            "Your card was declined.",
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            "expired_card",
            "expired_card",
            "Your card has expired.",
        ),
        (
            "pm_card_chargeDeclinedIncorrectCvc",
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
        ),
        (
            "pm_card_chargeDeclinedProcessingError",
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
        (
            "pm_card_visa_chargeDeclinedVelocityLimitExceeded",
            "card_declined",
            "card_velocity_exceeded",
            "Your card was declined.",
        ),
    ];
    for (pm, code, decline_code, message) in cases {
        let pi = sim.create_pi("2000").await;
        let id = pi["id"].as_str().unwrap();
        let r = sim.confirm(id, pm).await;
        assert_eq!(r.status, 402, "{pm}");
        let error = &r.body["error"];
        assert_eq!(error["type"], "card_error", "{pm}");
        assert_eq!(error["code"], code, "{pm}");
        assert_eq!(error["decline_code"], decline_code, "{pm}");
        assert_eq!(error["message"], message, "{pm}");
        assert_eq!(
            error["payment_intent"]["status"], "requires_payment_method",
            "{pm}"
        );
        assert_eq!(
            error["payment_intent"]["last_payment_error"]["code"], code,
            "{pm}"
        );
        let after = sim.retrieve_pi(id).await;
        assert_eq!(after["status"], "requires_payment_method");
        assert_eq!(after["last_payment_error"]["decline_code"], decline_code);
        assert_eq!(
            sim.event_types_for(id).await,
            [
                "payment_intent.created",
                "charge.failed",
                "payment_intent.payment_failed"
            ],
            "{pm}"
        );
    }
    // Like Stripe, the expired card names exp_month, the incorrect CVC names cvc
    // (https://docs.stripe.com/testing#declined-payments).
    let pi = sim.create_pi("2000").await;
    let r = sim
        .confirm(
            pi["id"].as_str().unwrap(),
            "pm_card_chargeDeclinedIncorrectCvc",
        )
        .await;
    assert_eq!(r.body["error"]["param"], "cvc");
}

#[tokio::test]
async fn a_declined_payment_can_be_retried_with_another_card() {
    let sim = start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    assert_eq!(sim.confirm(id, "pm_card_chargeDeclined").await.status, 402);
    let r = sim.confirm(id, "pm_card_visa").await;
    assert_eq!(r.body["status"], "succeeded");
    assert_eq!(r.body["last_payment_error"], Value::Null);
    let again = sim.confirm(id, "pm_card_visa").await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.body["error"]["code"],
        "payment_intent_unexpected_state"
    );
    assert_eq!(
        again.body["error"]["message"],
        "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed."
    );
}

#[tokio::test]
async fn three_d_secure_cards_challenge_then_succeed_or_fail() {
    let sim = start().await;
    for pm in [
        "pm_card_authenticationRequiredOnSetup",
        "pm_card_authenticationRequired",
        "pm_card_threeDSecure2Required",
        "pm_card_threeDSecureRequired",
    ] {
        // Completed: succeeds.
        let pi = sim.create_pi("2000").await;
        let id = pi["id"].as_str().unwrap();
        let r = sim
            .confirm_with(
                id,
                &[
                    ("payment_method", pm),
                    ("use_stripe_sdk", "true"),
                    ("return_url", "https://shop.example/r"),
                ],
            )
            .await;
        assert_eq!(r.body["status"], "requires_action", "{pm}");
        assert_eq!(r.body["next_action"]["type"], "use_stripe_sdk", "{pm}");
        let done = sim.authenticate(&pi, "complete").await;
        assert_eq!(done.body["status"], "succeeded", "{pm}");
        assert_eq!(
            sim.event_types_for(id).await,
            [
                "payment_intent.created",
                "payment_intent.requires_action",
                "charge.succeeded",
                "payment_intent.succeeded"
            ],
            "{pm}"
        );

        // Failed: back to requires_payment_method with the authentication failure.
        let pi = sim.create_pi("2000").await;
        let id = pi["id"].as_str().unwrap();
        sim.confirm_with(
            id,
            &[
                ("payment_method", pm),
                ("use_stripe_sdk", "true"),
                ("return_url", "https://shop.example/r"),
            ],
        )
        .await;
        let failed = sim.authenticate(&pi, "fail").await;
        assert_eq!(failed.body["status"], "requires_payment_method", "{pm}");
        assert_eq!(
            failed.body["last_payment_error"]["code"],
            "payment_intent_authentication_failure"
        );
        assert_eq!(
            failed.body["last_payment_error"]["message"],
            "We are unable to authenticate your payment method. Please choose a different payment method and try again."
        );
        assert_eq!(
            sim.event_types_for(id).await,
            [
                "payment_intent.created",
                "payment_intent.requires_action",
                "payment_intent.payment_failed"
            ]
        );
    }
}

#[tokio::test]
async fn three_d_secure_cards_that_decline_after_the_challenge() {
    let sim = start().await;
    for (pm, decline_code) in [
        (
            "pm_card_threeDSecureRequiredChargeDeclined",
            "generic_decline",
        ),
        (
            "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
            "insufficient_funds",
        ),
    ] {
        let pi = sim.create_pi("2000").await;
        let id = pi["id"].as_str().unwrap();
        let r = sim
            .confirm_with(
                id,
                &[
                    ("payment_method", pm),
                    ("use_stripe_sdk", "true"),
                    ("return_url", "https://x.example/r"),
                ],
            )
            .await;
        assert_eq!(r.body["status"], "requires_action");
        let done = sim.authenticate(&pi, "complete").await;
        assert_eq!(done.body["status"], "requires_payment_method", "{pm}");
        assert_eq!(
            done.body["last_payment_error"]["decline_code"], decline_code,
            "{pm}"
        );
        assert_eq!(
            sim.event_types_for(id).await,
            [
                "payment_intent.created",
                "payment_intent.requires_action",
                "charge.failed",
                "payment_intent.payment_failed"
            ]
        );
    }
}

#[tokio::test]
async fn three_d_secure_with_a_return_url_redirects_to_a_hosted_page() {
    let sim = start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    let r = sim.confirm(id, "pm_card_threeDSecure2Required").await;
    assert_eq!(r.body["next_action"]["type"], "redirect_to_url");
    let url = r.body["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with(&sim.base), "{url}");
    let page = sim
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Complete authentication") && page.contains("Fail authentication"));

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = no_redirects
        .post(url.split('?').next().unwrap())
        .form(&[
            ("client_secret", pi["client_secret"].as_str().unwrap()),
            ("return_url", "https://shop.example/return"),
            ("outcome", "complete"),
        ])
        .send()
        .await
        .unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!(
            "https://shop.example/return?payment_intent={id}&payment_intent_client_secret="
        )),
        "{location}"
    );
    assert!(location.ends_with("redirect_status=succeeded"));
    assert_eq!(sim.retrieve_pi(id).await["status"], "succeeded");
}

#[tokio::test]
async fn error_on_requires_action_declines_instead_of_challenging() {
    let sim = start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    let r = sim
        .confirm_with(
            id,
            &[
                ("payment_method", "pm_card_authenticationRequired"),
                ("error_on_requires_action", "true"),
                ("return_url", "https://x.example/"),
            ],
        )
        .await;
    assert_eq!(r.status, 402);
    assert_eq!(r.body["error"]["code"], "authentication_required");
    assert_eq!(
        r.body["error"]["decline_code"],
        "authentication_not_handled"
    );
}

#[tokio::test]
async fn the_dispute_card_opens_a_dispute_after_paying() {
    let sim = start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    assert_eq!(
        sim.confirm(id, "pm_card_createDispute").await.body["status"],
        "succeeded"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let types = sim.event_types_for(id).await;
    assert_eq!(
        types[types.len().saturating_sub(2)..],
        ["charge.dispute.created", "charge.dispute.funds_withdrawn"],
        "{types:?}"
    );
    let charge = sim
        .get(&format!(
            "/v1/charges/{}",
            sim.retrieve_pi(id).await["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(charge.body["disputed"], true);
}

#[tokio::test]
async fn the_refund_fail_card_pays_then_its_refund_fails() {
    let sim = start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    assert_eq!(
        sim.confirm(id, "pm_card_refundFail").await.body["status"],
        "succeeded"
    );
    let refund = sim.post("/v1/refunds", &[("payment_intent", id)]).await;
    assert_eq!(refund.body["status"], "succeeded");
    let refund_id = refund.body["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = sim.get(&format!("/v1/refunds/{refund_id}")).await.body;
    assert_eq!(after["status"], "failed");
    assert_eq!(after["failure_reason"], "expired_or_canceled_card");
    let types = sim.event_types_for(&refund_id).await;
    assert_eq!(
        types,
        [
            "refund.created",
            "charge.refund.updated",
            "refund.updated",
            "refund.failed"
        ]
    );
}

#[tokio::test]
async fn simulator_only_cards_pass_through_processing() {
    let sim = start().await;
    for (pm, end, last_event) in [
        (
            "pm_card_simProcessingSucceeds",
            "succeeded",
            "payment_intent.succeeded",
        ),
        (
            "pm_card_simProcessingFails",
            "requires_payment_method",
            "payment_intent.payment_failed",
        ),
    ] {
        let pi = sim.create_pi("2000").await;
        let id = pi["id"].as_str().unwrap();
        assert_eq!(
            sim.confirm(id, pm).await.body["status"],
            "processing",
            "{pm}"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(sim.retrieve_pi(id).await["status"], end, "{pm}");
        let types = sim.event_types_for(id).await;
        assert!(
            types.contains(&"payment_intent.processing".to_string()),
            "{types:?}"
        );
        assert_eq!(types.last().unwrap(), last_event);
    }
}

#[tokio::test]
async fn raw_card_numbers_become_payment_methods_with_the_same_behaviour() {
    let sim = start().await;
    let pm = sim
        .call(
            "POST",
            "/v1/payment_methods",
            common::PK,
            &[
                ("type", "card"),
                ("card[number]", "4000000000009995"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
            ],
            None,
        )
        .await;
    assert_eq!(pm.status, 200, "{}", pm.body);
    assert_eq!(pm.body["card"]["last4"], "9995");
    let pi = sim.create_pi("2000").await;
    let r = sim
        .confirm(pi["id"].as_str().unwrap(), pm.body["id"].as_str().unwrap())
        .await;
    assert_eq!(r.body["error"]["decline_code"], "insufficient_funds");

    let bad = sim
        .call(
            "POST",
            "/v1/payment_methods",
            common::PK,
            &[
                ("type", "card"),
                ("card[number]", "4242424242424241"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
            ],
            None,
        )
        .await;
    assert_eq!(bad.status, 402);
    assert_eq!(bad.body["error"]["code"], "incorrect_number");
}

#[tokio::test]
async fn manual_confirmation_returns_to_the_server_after_the_challenge() {
    let sim = start().await;
    let pi = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirmation_method", "manual"),
                ("payment_method", "pm_card_threeDSecure2Required"),
            ],
        )
        .await
        .body;
    let id = pi["id"].as_str().unwrap();
    assert_eq!(pi["status"], "requires_confirmation");
    let r = sim.confirm_with(id, &[("use_stripe_sdk", "true")]).await;
    assert_eq!(r.body["status"], "requires_action");
    assert_eq!(
        sim.authenticate(&pi, "complete").await.body["status"],
        "requires_confirmation"
    );
    let done = sim.confirm_with(id, &[]).await;
    assert_eq!(done.body["status"], "succeeded", "{}", done.body);
}
