//! Disputes: test card 0259 opens one after paying; `GET /v1/disputes` finds it by
//! PaymentIntent or charge; `POST /_sim/disputes/{id}/close` decides it as the card network
//! would (https://docs.stripe.com/disputes/how-disputes-work).

use crate::common::{start, subscribe, Receiver, Sim, PK, SK};
use serde_json::Value;
use std::time::Duration;

/// Pays with test card 0259 and waits for its dispute; returns (PaymentIntent, charge, dispute).
async fn disputed_payment(sim: &Sim, amount: &str) -> (String, String, Value) {
    let pi = sim.create_pi(amount).await;
    let id = pi["id"].as_str().unwrap().to_string();
    let paid = sim.confirm(&id, "pm_card_createDispute").await;
    assert_eq!(paid.body["status"], "succeeded");
    let charge = sim.retrieve_pi(&id).await["latest_charge"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..100 {
        let listed = sim
            .call("GET", "/v1/disputes", SK, &[("payment_intent", &id)], None)
            .await
            .body;
        if let Some(dispute) = listed["data"].as_array().and_then(|d| d.first()) {
            return (id, charge, dispute.clone());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no dispute opened for {id}");
}

/// Types of the events whose object is dispute `id`, oldest first.
async fn dispute_events(sim: &Sim, id: &str) -> Vec<(String, Value)> {
    let events = sim
        .call(
            "GET",
            "/v1/events",
            SK,
            &[("type", "charge.dispute.*")],
            None,
        )
        .await
        .body;
    let mut found: Vec<(String, Value)> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["object"]["id"] == id)
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["data"]["object"].clone(),
            )
        })
        .collect();
    found.reverse();
    found
}

async fn close(sim: &Sim, id: &str, form: &[(&str, &str)]) -> crate::common::Resp {
    sim.post(&format!("/_sim/disputes/{id}/close"), form).await
}

#[tokio::test]
async fn the_dispute_card_opens_a_dispute_that_needs_a_response() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let (pi, charge, dispute) = disputed_payment(&sim, "2000").await;
    let id = dispute["id"].as_str().unwrap();
    assert!(id.starts_with("dp_"));
    assert_eq!(dispute["object"], "dispute");
    assert_eq!(dispute["status"], "needs_response");
    assert_eq!(dispute["reason"], "fraudulent");
    assert_eq!(dispute["amount"], 2000);
    assert_eq!(dispute["currency"], "usd");
    assert_eq!(dispute["charge"], charge.as_str());
    assert_eq!(dispute["payment_intent"], pi.as_str());
    assert_eq!(dispute["livemode"], false);
    assert_eq!(dispute["is_charge_refundable"], false);
    assert!(
        dispute["evidence_details"]["due_by"].as_i64().unwrap()
            > dispute["created"].as_i64().unwrap()
    );
    assert_eq!(dispute["payment_method_details"]["card"]["brand"], "visa");
    // Every property of https://docs.stripe.com/api/disputes/object that is always present.
    for property in [
        "id",
        "object",
        "amount",
        "balance_transactions",
        "charge",
        "created",
        "currency",
        "enhanced_eligibility_types",
        "evidence",
        "evidence_details",
        "is_charge_refundable",
        "livemode",
        "metadata",
        "payment_intent",
        "payment_method_details",
        "reason",
        "status",
    ] {
        assert!(dispute.get(property).is_some(), "dispute lacks {property}");
    }
    // The disputed amount and the dispute fee have left the balance.
    let withdrawal = &dispute["balance_transactions"][0];
    assert_eq!(dispute["balance_transactions"].as_array().unwrap().len(), 1);
    assert_eq!(withdrawal["object"], "balance_transaction");
    assert_eq!(withdrawal["amount"], -2000);
    assert_eq!(withdrawal["fee"], 1500);
    assert_eq!(withdrawal["net"], -3500);
    assert_eq!(withdrawal["reporting_category"], "dispute");
    assert_eq!(withdrawal["source"], id);

    // Found by charge, by PaymentIntent and by id; not under another payment.
    let by_charge = sim
        .call("GET", "/v1/disputes", SK, &[("charge", &charge)], None)
        .await
        .body;
    assert_eq!(by_charge["object"], "list");
    assert_eq!(by_charge["url"], "/v1/disputes");
    assert_eq!(by_charge["data"].as_array().unwrap().len(), 1);
    assert_eq!(by_charge["data"][0], dispute);
    assert_eq!(sim.get(&format!("/v1/disputes/{id}")).await.body, dispute);
    let expanded = sim
        .call(
            "GET",
            &format!("/v1/disputes/{id}"),
            SK,
            &[("expand[]", "charge"), ("expand[]", "payment_intent")],
            None,
        )
        .await
        .body;
    assert_eq!(expanded["charge"]["id"], charge.as_str());
    assert_eq!(expanded["charge"]["disputed"], true);
    assert_eq!(expanded["payment_intent"]["id"], pi.as_str());
    let other = sim.create_pi("2000").await;
    let other = other["id"].as_str().unwrap();
    sim.confirm(other, "pm_card_visa").await;
    let none = sim
        .call(
            "GET",
            "/v1/disputes",
            SK,
            &[("payment_intent", other)],
            None,
        )
        .await
        .body;
    assert!(none["data"].as_array().unwrap().is_empty());
    let missing = sim.get("/v1/disputes/dp_missing").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"]["code"], "resource_missing");
    assert_eq!(
        sim.call("GET", "/v1/disputes", PK, &[], None).await.status,
        401
    );

    // Opened, then funds withdrawn, both carrying the Dispute; delivered as webhooks too.
    let events = dispute_events(&sim, id).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["charge.dispute.created", "charge.dispute.funds_withdrawn"]
    );
    for (_, object) in &events {
        assert_eq!(object["status"], "needs_response");
        assert_eq!(object["balance_transactions"][0]["amount"], -2000);
    }
    receiver
        .wait_for("the dispute's events", |d| {
            d.iter()
                .filter(|x| x.event["data"]["object"]["id"] == id)
                .count()
                >= 2
        })
        .await;
}

#[tokio::test]
async fn a_dispute_closes_won_or_lost_with_stripes_events() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let (_, won_charge, won) = disputed_payment(&sim, "2000").await;
    let (_, _, lost) = disputed_payment(&sim, "3000").await;
    let (won, lost) = (won["id"].as_str().unwrap(), lost["id"].as_str().unwrap());

    // Listed newest first.
    let listed = sim.get("/v1/disputes").await.body;
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [lost, won]);
    let first = sim
        .call("GET", "/v1/disputes", SK, &[("limit", "1")], None)
        .await
        .body;
    assert_eq!(first["has_more"], true);

    // Won: the money comes back, then the dispute closes.
    let r = close(&sim, won, &[("outcome", "won")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "won");
    let funds = r.body["balance_transactions"].as_array().unwrap();
    assert_eq!(funds.len(), 2);
    assert_eq!(funds[1]["amount"], 2000);
    assert_eq!(funds[1]["reporting_category"], "dispute_reversal");
    let events = dispute_events(&sim, won).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.funds_reinstated",
            "charge.dispute.closed"
        ]
    );
    assert_eq!(events[2].1["status"], "won");
    assert_eq!(events[3].1["status"], "won");
    assert_eq!(
        sim.get(&format!("/v1/disputes/{won}")).await.body["status"],
        "won"
    );
    let charge = sim.get(&format!("/v1/charges/{won_charge}")).await.body;
    assert_eq!(
        charge["disputed"], true,
        "a charge stays marked as disputed"
    );

    // Lost: it just closes.
    let r = close(&sim, lost, &[("outcome", "lost")]).await;
    assert_eq!(r.body["status"], "lost");
    assert_eq!(r.body["balance_transactions"].as_array().unwrap().len(), 1);
    let events = dispute_events(&sim, lost).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.closed"
        ]
    );
    assert_eq!(events[2].1["status"], "lost");
    let delivered = receiver
        .wait_for("both closed events", |d| {
            d.iter()
                .filter(|x| x.event["type"] == "charge.dispute.closed")
                .count()
                >= 2
        })
        .await;
    assert!(delivered.iter().all(|d| d.verified.is_ok()));

    // A decided dispute stays decided; the route checks its input and its caller.
    let again = close(&sim, won, &[("outcome", "lost")]).await;
    assert_eq!(again.status, 400);
    assert_eq!(
        sim.get(&format!("/v1/disputes/{won}")).await.body["status"],
        "won"
    );
    let (_, _, open) = disputed_payment(&sim, "2000").await;
    let open = open["id"].as_str().unwrap();
    let bad = close(&sim, open, &[("outcome", "maybe")]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["param"], "outcome");
    let missing = close(&sim, open, &[]).await;
    assert_eq!(missing.body["error"]["code"], "parameter_missing");
    let publishable = sim
        .call(
            "POST",
            &format!("/_sim/disputes/{open}/close"),
            PK,
            &[("outcome", "won")],
            None,
        )
        .await;
    assert_eq!(publishable.status, 401);
    assert_eq!(
        close(&sim, "dp_missing", &[("outcome", "won")])
            .await
            .status,
        404
    );
    assert_eq!(
        sim.get(&format!("/v1/disputes/{open}")).await.body["status"],
        "needs_response"
    );
}
