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

fn acao(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_string())
}

async fn preflight(sim: &Sim, method: &str, path: &str) -> reqwest::Response {
    sim.http
        .request(reqwest::Method::OPTIONS, format!("{}{path}", sim.base))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", method)
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

async fn from_origin(sim: &Sim, method: &str, path: &str, key: &str) -> reqwest::Response {
    let url = format!("{}{path}", sim.base);
    let req = match method {
        "GET" => sim.http.get(url),
        "DELETE" => sim.http.delete(url),
        _ => sim.http.post(url).form(&[("x", "1")]),
    };
    req.header("Origin", "https://evil.example")
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn secret_key_routes_and_the_control_api_send_no_cors_headers() {
    let sim = crate::common::start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    let secret_routes = [
        ("POST", "/v1/payment_intents".to_string()),
        ("GET", "/v1/payment_intents".to_string()),
        ("POST", format!("/v1/payment_intents/{id}")),
        ("POST", format!("/v1/payment_intents/{id}/capture")),
        ("POST", format!("/v1/payment_intents/{id}/cancel")),
        ("GET", "/v1/payment_methods/pm_x".to_string()),
        ("GET", "/v1/confirmation_tokens/ctoken_x".to_string()),
        ("POST", "/v1/checkout/sessions".to_string()),
        ("GET", "/v1/checkout/sessions".to_string()),
        ("GET", "/v1/checkout/sessions/cs_x".to_string()),
        ("POST", "/v1/checkout/sessions/cs_x/expire".to_string()),
        ("GET", "/c/pay/cs_x".to_string()),
        ("POST", "/c/pay/cs_x".to_string()),
        ("POST", "/v1/test_helpers/confirmation_tokens".to_string()),
        ("GET", "/v1/charges/ch_x".to_string()),
        ("POST", "/v1/refunds".to_string()),
        ("GET", "/v1/refunds".to_string()),
        ("GET", "/v1/disputes".to_string()),
        ("GET", "/v1/events".to_string()),
        ("GET", "/v1/webhook_endpoints".to_string()),
        ("POST", "/v1/webhook_endpoints".to_string()),
        ("DELETE", "/v1/webhook_endpoints/we_x".to_string()),
        ("GET", "/_sim/faults".to_string()),
        ("POST", "/_sim/faults".to_string()),
        ("POST", "/_sim/reset".to_string()),
        ("POST", "/_sim/clock".to_string()),
        ("GET", "/_sim/deliveries".to_string()),
        ("POST", "/_sim/disputes/dp_x/close".to_string()),
        ("GET", "/_sim/demo.html".to_string()),
        ("GET", format!("/_sim/3ds/{id}/redirect")),
        ("GET", "/v1/nothing".to_string()),
    ];
    for (method, path) in &secret_routes {
        let pre = preflight(&sim, method, path).await;
        assert_eq!(acao(&pre), None, "preflight {method} {path}");
        assert!(pre.headers().get("access-control-allow-methods").is_none());
        let r = from_origin(&sim, method, path, SK).await;
        assert_eq!(acao(&r), None, "{method} {path}: {}", r.status());
    }
    crate::hostile::still_answers(&sim).await;
}

#[tokio::test]
async fn the_routes_stripe_js_calls_answer_any_origin() {
    let sim = crate::common::start().await;
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    for (method, path) in [
        ("GET", format!("/v1/payment_intents/{id}")),
        ("POST", format!("/v1/payment_intents/{id}/confirm")),
        ("POST", "/v1/payment_methods".to_string()),
        ("POST", "/v1/confirmation_tokens".to_string()),
        ("POST", format!("/_sim/3ds/{id}")),
        ("GET", "/v3/".to_string()),
        ("GET", "/v3/stripe.js".to_string()),
        ("GET", "/v3/elements-inner.html".to_string()),
        ("GET", "/v3/three-ds-challenge.html".to_string()),
    ] {
        let pre = preflight(&sim, method, &path).await;
        assert!(pre.status().is_success(), "preflight {method} {path}");
        assert_eq!(
            acao(&pre).as_deref(),
            Some("*"),
            "preflight {method} {path}"
        );
        let methods = pre.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap();
        assert!(methods.contains(method), "{methods}");
        let r = from_origin(&sim, method, &path, PK).await;
        assert_eq!(acao(&r).as_deref(), Some("*"), "{method} {path}");
    }
    // A shared path offers browsers only its browser method: retrieve, not update.
    let pre = preflight(&sim, "GET", &format!("/v1/payment_intents/{id}")).await;
    assert_eq!(pre.headers()["access-control-allow-methods"], "GET");
    let pre = preflight(&sim, "POST", &format!("/v1/payment_intents/{id}")).await;
    assert_eq!(acao(&pre), None);
    // Creating a ConfirmationToken is for browsers; reading one is for the shop's server.
    let pre = preflight(&sim, "GET", "/v1/confirmation_tokens/ctoken_x").await;
    assert_eq!(acao(&pre), None);
    let pre = preflight(&sim, "POST", "/v1/confirmation_tokens").await;
    assert_eq!(pre.headers()["access-control-allow-methods"], "POST");
}

#[tokio::test]
async fn cors_follows_the_routes_when_the_simulator_is_nested() {
    let sim = SimConfig::new(SK, PK).unwrap();
    let app = axum::Router::new().nest("/stripe-sim", Simulator::in_memory(sim).router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/stripe-sim", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let nested = Sim {
        base,
        sim: Simulator::in_memory(SimConfig::new(SK, PK).unwrap()),
        http: reqwest::Client::new(),
    };
    let r = from_origin(&nested, "GET", "/v3/", PK).await;
    assert_eq!(acao(&r).as_deref(), Some("*"));
    let r = from_origin(&nested, "GET", "/v1/payment_intents", SK).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(acao(&r), None);
    let pre = preflight(&nested, "POST", "/v1/payment_methods").await;
    assert_eq!(acao(&pre).as_deref(), Some("*"));
}
