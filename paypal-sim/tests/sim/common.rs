use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use paypal_sim::{SimConfig, Simulator};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const CLIENT_ID: &str = "test-client-id";
pub const SECRET: &str = "test-client-secret";

pub fn config(base: &str) -> SimConfig {
    SimConfig::new(CLIENT_ID, SECRET, base)
        .with_control_api(true)
        .with_webhook_retries(
            vec![Duration::from_millis(50), Duration::from_millis(100)],
            5,
        )
}

/// A simulator served on a random loopback port.
pub struct Sim {
    pub base: String,
    pub sim: Simulator,
    pub http: reqwest::Client,
    pub token: String,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

pub async fn start() -> Sim {
    start_with(|c| c).await
}

pub async fn start_with(tweak: impl FnOnce(SimConfig) -> SimConfig) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sim = Simulator::in_memory(tweak(config(&base)));
    serve(listener, sim, base).await
}

pub async fn serve(listener: tokio::net::TcpListener, sim: Simulator, base: String) -> Sim {
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let http = reqwest::Client::new();
    let mut s = Sim {
        base,
        sim,
        http,
        token: String::new(),
    };
    s.token = s.new_token().await;
    s
}

impl Sim {
    pub async fn new_token(&self) -> String {
        let r = self
            .http
            .post(format!("{}/v1/oauth2/token", self.base))
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// A REST call with the simulator's token; `headers` adds e.g. `PayPal-Request-Id`.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let token = self.token.clone();
        self.call_as(&token, method, path, body, headers).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json");
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            body,
            headers,
        }
    }

    /// Creates a USD order for `value`; its id.
    pub async fn order(&self, value: &str) -> String {
        let r = self
            .call(
                "POST",
                "/v2/checkout/orders",
                Some(order_body("USD", value)),
                &[],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    pub async fn approve(&self, order: &str, funding: &str) -> Resp {
        let r = self
            .call(
                "POST",
                &format!("/_sim/orders/{order}/approve?funding={funding}"),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r
    }

    pub async fn capture(&self, order: &str) -> Resp {
        self.call(
            "POST",
            &format!("/v2/checkout/orders/{order}/capture"),
            Some(json!({})),
            &[],
        )
        .await
    }

    /// A completed capture of `value` USD: its id.
    pub async fn paid(&self, value: &str) -> String {
        let order = self.order(value).await;
        self.approve(&order, "balance").await;
        let r = self.capture(&order).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["purchase_units"][0]["payments"]["captures"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub fn order_body(currency: &str, value: &str) -> Value {
    json!({
        "intent": "CAPTURE",
        "purchase_units": [{
            "amount": {"currency_code": currency, "value": value},
            "custom_id": "cart-42",
            "invoice_id": format!("INV-{}", rand_suffix()),
        }]
    })
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// One received webhook delivery.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Delivery {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

/// A webhook listener; answers `fail_first` times with 500 before answering 200.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Delivery>>>,
}

pub async fn receiver(fail_first: usize) -> Receiver {
    let received: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let r = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let r = r.clone();
            let calls = calls.clone();
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                r.lock().unwrap().push(Delivery { headers, body });
                if n < fail_first {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url, received }
}

impl Receiver {
    pub fn all(&self) -> Vec<Delivery> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `count` deliveries of `event_type` have arrived (at most 5 s), and returns
    /// them in arrival order; retries come on their own schedule, after other events.
    pub async fn wait_for_count(&self, event_type: &str, count: usize) -> Vec<Delivery> {
        let of_type = || -> Vec<Delivery> {
            self.all()
                .into_iter()
                .filter(|d| d.json()["event_type"] == event_type)
                .collect()
        };
        for _ in 0..100 {
            let found = of_type();
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{} of {count} {event_type} deliveries came",
            of_type().len()
        );
    }

    /// Waits until a delivery of `event_type` has arrived (at most 5 s).
    pub async fn wait_for(&self, event_type: &str) -> Delivery {
        for _ in 0..100 {
            if let Some(d) = self
                .all()
                .into_iter()
                .find(|d| d.json()["event_type"] == event_type)
            {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no {event_type} delivery; got {:?}",
            self.all()
                .iter()
                .map(|d| d.json()["event_type"].clone())
                .collect::<Vec<_>>()
        );
    }
}
