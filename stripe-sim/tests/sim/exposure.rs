//! What an embedded simulator shows the public: no control API unless it is turned on, and
//! CORS only on the routes Stripe.js calls from a shop's pages.

use crate::common::{self, start_with, Sim, PK, SK};
use stripe_sim::{SimConfig, Simulator};

/// A simulator configured as an app embeds it: `SimConfig::new` and nothing else.
async fn embedded() -> Sim {
    let config = SimConfig::new(SK, PK).unwrap();
    assert!(!config.control_api, "the control API is off by default");
    start_with(Simulator::in_memory(config)).await
}

const CONTROL_ROUTES: &[(&str, &str)] = &[
    ("POST", "/_sim/reset"),
    ("POST", "/_sim/faults"),
    ("GET", "/_sim/faults"),
    ("POST", "/_sim/clock"),
    ("GET", "/_sim/deliveries"),
    ("POST", "/_sim/webhook_endpoints/we_x/roll"),
    ("POST", "/_sim/disputes/dp_x/close"),
    ("GET", "/_sim/demo.html"),
];

#[tokio::test]
async fn without_the_control_api_its_routes_are_unknown_even_to_the_secret_key() {
    let sim = embedded().await;
    let unknown = sim.call("POST", "/_sim/nothing_here", SK, &[], None).await;
    assert_eq!(unknown.status, 404);
    for (method, path) in CONTROL_ROUTES {
        let r = sim
            .call(
                method,
                path,
                SK,
                &[("failure_rate", "1"), ("offset", "60")],
                None,
            )
            .await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
        assert_eq!(r.body["error"]["type"], "invalid_request_error");
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("Unrecognized request URL"), "{message}");
    }
    // Nothing was changed: no faults, no clock offset.
    assert!(!sim.sim.config().control_api);
    sim.create_pi("2000").await;
}

#[tokio::test]
async fn the_control_api_is_served_when_turned_on() {
    let sim = start_with(Simulator::in_memory(
        SimConfig::new(SK, PK).unwrap().with_control_api(true),
    ))
    .await;
    assert_eq!(sim.get("/_sim/faults").await.status, 200);
    assert_eq!(sim.get("/_sim/deliveries").await.status, 200);
    assert_eq!(
        sim.post("/_sim/clock", &[("offset", "0")]).await.status,
        200
    );
    assert_eq!(sim.post("/_sim/reset", &[]).await.status, 200);
    let demo = sim
        .http
        .get(format!("{}/_sim/demo.html", sim.base))
        .send()
        .await
        .unwrap();
    assert_eq!(demo.status().as_u16(), 200);
}

#[tokio::test]
async fn three_d_secure_still_works_without_the_control_api() {
    let sim = embedded().await;
    // Stripe.js's flow: the shop creates the PaymentIntent, the browser confirms it with the
    // publishable key and answers the challenge through `/_sim/3ds/{id}`.
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    let secret = pi["client_secret"].as_str().unwrap();
    let r = sim
        .call(
            "POST",
            &format!("/v1/payment_intents/{id}/confirm"),
            PK,
            &[
                ("payment_method", "pm_card_threeDSecure2Required"),
                ("client_secret", secret),
                ("use_stripe_sdk", "true"),
                ("return_url", "https://shop.example/return"),
            ],
            None,
        )
        .await;
    assert_eq!(
        r.body["next_action"]["type"], "use_stripe_sdk",
        "{}",
        r.body
    );
    let r = sim
        .call(
            "POST",
            &format!("/_sim/3ds/{id}"),
            PK,
            &[("client_secret", secret), ("outcome", "complete")],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sim.retrieve_pi(id).await["status"], "succeeded");

    // The redirect flow's hosted page too.
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    let r = sim.confirm(id, "pm_card_threeDSecure2Required").await;
    let url = r.body["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let page = sim.http.get(url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let challenge = sim
        .http
        .get(format!("{}/v3/three-ds-challenge.html", sim.base))
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.status().as_u16(), 200);
}

#[test]
fn the_test_config_turns_the_control_api_on() {
    assert!(common::config().control_api);
}
