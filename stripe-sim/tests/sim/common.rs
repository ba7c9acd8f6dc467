use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stripe_sim::{SimConfig, Simulator};

pub const SK: &str = "sk_test_sim_tests_0123456789";
pub const PK: &str = "pk_test_sim_tests_0123456789";

pub fn config() -> SimConfig {
    let mut c = SimConfig::new(SK, PK).unwrap().with_control_api(true);
    c.webhook_retry_schedule = vec![Duration::from_millis(50), Duration::from_millis(100)];
    c.processing_delay = Duration::from_millis(100);
    c.dispute_delay = Duration::from_millis(50);
    c.refund_failure_delay = Duration::from_millis(50);
    c
}

/// A simulator served on a random loopback port.
pub struct Sim {
    pub base: String,
    pub sim: Simulator,
    pub http: reqwest::Client,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

pub async fn start() -> Sim {
    start_with(Simulator::in_memory(config())).await
}

pub async fn start_with(sim: Simulator) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Sim {
        base,
        sim,
        http: reqwest::Client::new(),
    }
}

impl Sim {
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: &str,
        form: &[(&str, &str)],
        idempotency: Option<&str>,
    ) -> Resp {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(&url).query(form),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url).form(form),
        };
        req = req.bearer_auth(key);
        if let Some(k) = idempotency {
            req = req.header("Idempotency-Key", k);
        }
        let r = req.send().await.expect("simulator answers");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.call("POST", path, SK, form, None).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call("GET", path, SK, &[], None).await
    }

    pub async fn create_pi(&self, amount: &str) -> Value {
        let r = self
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", amount),
                    ("currency", "usd"),
                    ("automatic_payment_methods[enabled]", "true"),
                    ("metadata[order_id]", "ord_1"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    /// Confirms PaymentIntent `pi` server-side with payment method `pm` (a `pm_card_*` test id
    /// or a `pm_…`), as a shop's server does.
    pub async fn confirm(&self, pi: &str, pm: &str) -> Resp {
        self.confirm_with(
            pi,
            &[
                ("payment_method", pm),
                ("return_url", "https://shop.example/return"),
            ],
        )
        .await
    }

    /// Confirms PaymentIntent `pi` server-side with the given parameters.
    pub async fn confirm_with(&self, pi: &str, form: &[(&str, &str)]) -> Resp {
        self.post(&format!("/v1/payment_intents/{pi}/confirm"), form)
            .await
    }

    /// The PaymentIntent `id` as the secret key sees it.
    pub async fn retrieve_pi(&self, id: &str) -> Value {
        self.get(&format!("/v1/payment_intents/{id}")).await.body
    }

    /// Answers the 3-D Secure challenge of `pi` (`complete` or `fail`) as the shopper would,
    /// through the simulator's challenge endpoint.
    pub async fn authenticate(&self, pi: &Value, outcome: &str) -> Resp {
        let id = pi["id"].as_str().unwrap();
        self.post(
            &format!("/_sim/3ds/{id}"),
            &[
                ("outcome", outcome),
                ("client_secret", pi["client_secret"].as_str().unwrap()),
            ],
        )
        .await
    }

    /// Statuses of the simulator's webhook attempts for events of `event_type`, once at least
    /// `n` are recorded (at most 5 s): a receiver has an attempt in hand before the simulator
    /// has recorded the answer.
    pub async fn attempt_statuses(&self, event_type: &str, n: usize) -> Vec<u16> {
        let mut statuses = Vec::new();
        for _ in 0..250 {
            statuses = self
                .sim
                .attempts()
                .iter()
                .filter(|a| a.event_type == event_type)
                .map(|a| a.status)
                .collect();
            if statuses.len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        statuses
    }

    /// Types of the events about `id` (a PaymentIntent, or anything naming it), oldest first.
    pub async fn event_types_for(&self, id: &str) -> Vec<String> {
        let r = self
            .call("GET", "/v1/events", SK, &[("limit", "100")], None)
            .await;
        let mut types: Vec<String> = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                let o = &e["data"]["object"];
                o["id"] == id || o["payment_intent"] == id
            })
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect();
        types.reverse();
        types
    }
}

/// Verifies a `Stripe-Signature` the way Stripe's libraries do (https://docs.stripe.com/webhooks,
/// "Verify signatures manually"), written here independently of the simulator's signer.
pub fn verify(
    header: &str,
    payload: &[u8],
    secrets: &[&str],
    now: i64,
    tolerance: i64,
) -> Result<(), &'static str> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or("Unable to extract timestamp and signatures from header")?;
        match k {
            "t" => timestamp = v.parse::<i64>().ok(),
            "v1" => signatures.push(v.to_string()),
            _ => {}
        }
    }
    let t = timestamp.ok_or("Unable to extract timestamp and signatures from header")?;
    if signatures.is_empty() {
        return Err("No signatures found with expected scheme");
    }
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(payload);
    let matched = secrets.iter().any(|secret| {
        signatures.iter().any(|sig| {
            let Ok(bytes) = hex::decode(sig) else {
                return false;
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(&signed);
            mac.verify_slice(&bytes).is_ok()
        })
    });
    if !matched {
        return Err("No signatures found matching the expected signature for payload");
    }
    if tolerance > 0 && now - t > tolerance {
        return Err("Timestamp outside the tolerance zone");
    }
    Ok(())
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[derive(Clone, Debug)]
pub struct Delivery {
    pub event: Value,
    pub signature: String,
    pub verified: Result<(), &'static str>,
    pub pretty: bool,
}

/// A webhook receiver that checks every signature and can fail its first N deliveries.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub deliveries: Arc<Mutex<Vec<Delivery>>>,
    pub fail_first: Arc<AtomicUsize>,
    secrets: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
        let receiver = Receiver {
            url,
            deliveries: Arc::default(),
            fail_first: Arc::new(AtomicUsize::new(0)),
            secrets: Arc::default(),
        };
        let r = receiver.clone();
        let app = axum::Router::new().route(
            "/webhooks",
            post(move |headers: HeaderMap, body: Bytes| {
                let r = r.clone();
                async move {
                    let signature = headers
                        .get("stripe-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let secrets = r.secrets.lock().unwrap().clone();
                    let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
                    let verified = verify(&signature, &body, &secret_refs, unix_now(), 300);
                    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let pretty = body.starts_with(b"{\n  \"");
                    r.deliveries.lock().unwrap().push(Delivery {
                        event,
                        signature,
                        verified,
                        pretty,
                    });
                    let failing = r.fail_first.load(Ordering::SeqCst);
                    if failing > 0 {
                        r.fail_first.fetch_sub(1, Ordering::SeqCst);
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    if verified.is_ok() {
                        StatusCode::OK
                    } else {
                        StatusCode::BAD_REQUEST
                    }
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    pub fn trust(&self, secret: &str) {
        self.secrets.lock().unwrap().push(secret.to_string());
    }

    pub fn received(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Waits until `pred` holds for the deliveries so far (at most 5 s).
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
        for _ in 0..250 {
            let d = self.received();
            if pred(&d) {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "timed out waiting for {what}; got {:?}",
            self.received()
                .iter()
                .map(|d| d.event["type"].clone())
                .collect::<Vec<_>>()
        );
    }
}

/// Registers `receiver` on `sim` for every event and trusts the returned secret.
pub async fn subscribe(sim: &Sim, receiver: &Receiver) -> String {
    let r = sim
        .post(
            "/v1/webhook_endpoints",
            &[("url", &receiver.url), ("enabled_events[]", "*")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    receiver.trust(&secret);
    secret
}
