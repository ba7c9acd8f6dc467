//! The one PayPal client: OAuth2 client credentials with the token cached until shortly before it
//! expires (https://developer.paypal.com/api/rest/authentication/), JSON requests, a
//! `PayPal-Request-Id` on every POST so a retry never pays twice
//! (https://developer.paypal.com/reference/guidelines/idempotency/), retries with backoff on
//! network errors, 429 and 5xx, and errors mapped once. Neither the secret nor a token is ever
//! logged.

use super::super::config::Secret;
use rand::Rng;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const MAX_RETRIES: u32 = 2;
/// A token is renewed this long before PayPal says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

pub struct PayPalClient {
    http: reqwest::Client,
    api_base: String,
    client_id: String,
    secret: Secret,
    /// The cached access token. Held while one is fetched, so concurrent requests that need a
    /// new token wait for the one fetch instead of each asking.
    token: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

impl std::fmt::Debug for PayPalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayPalClient")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// What went wrong, mapped once.
#[derive(Debug, thiserror::Error)]
pub enum PayPalError {
    #[error("PayPal could not be reached: {0}")]
    Network(String),
    #[error("PayPal refused the credentials: {0}")]
    Auth(String),
    /// PayPal's error envelope: `name`, the first `details[].issue`, `debug_id`.
    #[error("PayPal {status} {name} {}: {} (debug id {})", .issue.as_deref().unwrap_or("-"), .description.as_deref().unwrap_or(""), .debug_id.as_deref().unwrap_or("-"))]
    Api {
        status: u16,
        name: String,
        issue: Option<String>,
        description: Option<String>,
        debug_id: Option<String>,
    },
    #[error("PayPal answered something unexpected: {0}")]
    Unexpected(String),
}

impl PayPalError {
    /// The first `details[].issue`, e.g. `INSTRUMENT_DECLINED`.
    pub fn issue(&self) -> Option<&str> {
        match self {
            PayPalError::Api { issue, .. } => issue.as_deref(),
            _ => None,
        }
    }

    /// Worth trying again with the same request id.
    fn retryable(&self) -> bool {
        match self {
            PayPalError::Network(_) => true,
            PayPalError::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// What the shopper reads.
    pub fn shopper_message(&self) -> String {
        match self.issue() {
            Some("INSTRUMENT_DECLINED") => {
                "PayPal declined that payment method. Please choose another one.".into()
            }
            Some("PAYER_ACTION_REQUIRED") => {
                "PayPal needs you to finish in its window before the payment can complete.".into()
            }
            Some("ORDER_NOT_APPROVED") => "The payment was not approved in PayPal yet.".into(),
            Some("TRANSACTION_REFUSED") | Some("PAYER_CANNOT_PAY") => {
                "PayPal refused this payment. Please pay another way.".into()
            }
            _ => match self {
                PayPalError::Api {
                    status: 422,
                    description: Some(d),
                    debug_id,
                    ..
                } => format!(
                    "PayPal could not take the payment: {d} (reference {})",
                    debug_id.as_deref().unwrap_or("-")
                ),
                _ => "PayPal is not answering right now. Nothing was charged; please try again."
                    .into(),
            },
        }
    }
}

impl PayPalClient {
    pub fn new(api_base: &str, client_id: &str, secret: Secret) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        PayPalClient {
            http,
            api_base: api_base.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            secret,
            token: tokio::sync::Mutex::new(None),
        }
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// A valid access token: the cached one, or one fetched now (once, however many wait).
    async fn token(&self) -> Result<String, PayPalError> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if Instant::now() + TOKEN_MARGIN < *expires {
                return Ok(token.expose().to_string());
            }
        }
        let response = self
            .http
            .post(format!("{}/v1/oauth2/token", self.api_base))
            .basic_auth(&self.client_id, Some(self.secret.expose()))
            .header("accept", "application/json")
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| PayPalError::Network(e.without_url().to_string()))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| PayPalError::Unexpected(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(if status.as_u16() >= 500 {
                PayPalError::Network(format!("token endpoint answered {status}"))
            } else {
                PayPalError::Auth(body["error"].as_str().unwrap_or("refused").to_string())
            });
        }
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| PayPalError::Unexpected("no access_token".into()))?
            .to_string();
        let lifetime = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(0));
        *cached = Some((Secret::new(token.clone()), Instant::now() + lifetime));
        Ok(token)
    }

    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// One call, retried on network errors, 429 and 5xx with the same request id; a token PayPal
    /// no longer accepts is renewed once.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        request_id: Option<&str>,
    ) -> Result<Value, PayPalError> {
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            match self.call_once(method.clone(), path, body, request_id).await {
                Err(PayPalError::Api { status: 401, .. }) if !renewed => {
                    renewed = true;
                    self.forget_token().await;
                }
                Err(e) if e.retryable() && attempt < MAX_RETRIES => {
                    attempt += 1;
                    let base = 250u64 * 2u64.pow(attempt - 1);
                    let jitter = rand::thread_rng().gen_range(0..=base / 2);
                    tracing::warn!(%path, attempt, error = %e, "PayPal request failed; retrying");
                    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
                }
                other => return other,
            }
        }
    }

    async fn call_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        request_id: Option<&str>,
    ) -> Result<Value, PayPalError> {
        let token = self.token().await?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api_base))
            .bearer_auth(token)
            .header("accept", "application/json")
            .header("prefer", "return=representation");
        if let Some(id) = request_id {
            request = request.header("paypal-request-id", id);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| PayPalError::Network(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| PayPalError::Network(e.without_url().to_string()))?;
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|_| {
                PayPalError::Unexpected(format!("{status}: not JSON ({} bytes)", text.len()))
            })?
        };
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let detail = &value["details"][0];
        Err(PayPalError::Api {
            status,
            name: value["name"]
                .as_str()
                .or(value["error"].as_str())
                .unwrap_or("UNKNOWN")
                .to_string(),
            issue: detail["issue"].as_str().map(str::to_string),
            description: detail["description"]
                .as_str()
                .or(value["message"].as_str())
                .map(str::to_string),
            debug_id: value["debug_id"].as_str().map(str::to_string),
        })
    }

    /// `POST /v2/checkout/orders` with intent CAPTURE. `amount` is the purchase unit's amount
    /// (value and breakdown), `shipping` its shipping (name and address), if any.
    pub async fn create_order(
        &self,
        order_id: &str,
        invoice_id: &str,
        amount: Value,
        shipping: Option<Value>,
        request_id: &str,
    ) -> Result<Value, PayPalError> {
        let mut unit = json!({
            "reference_id": "default",
            "custom_id": order_id,
            "invoice_id": invoice_id,
            "description": format!("Order {order_id}"),
            "amount": amount,
        });
        if let Some(shipping) = shipping {
            unit["shipping"] = shipping;
        }
        let body = json!({
            "intent": "CAPTURE",
            "purchase_units": [unit],
        });
        self.call(
            Method::POST,
            "/v2/checkout/orders",
            Some(&body),
            Some(request_id),
        )
        .await
    }

    /// `POST /v2/checkout/orders/{id}/capture`.
    pub async fn capture_order(
        &self,
        paypal_order_id: &str,
        request_id: &str,
    ) -> Result<Value, PayPalError> {
        self.call(
            Method::POST,
            &format!("/v2/checkout/orders/{}/capture", path_id(paypal_order_id)?),
            Some(&json!({})),
            Some(request_id),
        )
        .await
    }

    /// `GET /v2/checkout/orders/{id}`.
    pub async fn get_order(&self, paypal_order_id: &str) -> Result<Value, PayPalError> {
        self.call(
            Method::GET,
            &format!("/v2/checkout/orders/{}", path_id(paypal_order_id)?),
            None,
            None,
        )
        .await
    }

    /// `POST /v2/payments/captures/{id}/refund`; everything left when `amount` is `None`.
    pub async fn refund_capture(
        &self,
        capture_id: &str,
        amount: Option<(&str, &str)>,
        custom_id: &str,
        request_id: &str,
    ) -> Result<Value, PayPalError> {
        let mut body = json!({ "custom_id": custom_id });
        if let Some((currency, value)) = amount {
            body["amount"] = json!({"currency_code": currency, "value": value});
        }
        self.call(
            Method::POST,
            &format!("/v2/payments/captures/{}/refund", path_id(capture_id)?),
            Some(&body),
            Some(request_id),
        )
        .await
    }
}

/// PayPal ids are upper-case letters and digits; anything else never reaches a URL path.
fn path_id(id: &str) -> Result<&str, PayPalError> {
    if !id.is_empty() && id.len() <= 36 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(PayPalError::Unexpected("not a PayPal id".into()))
    }
}
