//! The one Stripe client: form-encoded requests, a pinned `Stripe-Version`, timeouts, and the
//! retry policy of Stripe's own libraries (https://docs.stripe.com/error-low-level#idempotency): network errors, 409, 5xx and
//! `Stripe-Should-Retry: true` are retried with backoff and jitter, always with the same
//! Idempotency-Key. Errors are mapped once into what the shopper may read and what only the
//! log sees. Neither the secret key nor a client secret is ever logged.

use super::super::config::Secret;
use rand::Rng;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

pub const API_VERSION: &str = "2026-07-29.dahlia";
const MAX_RETRIES: u32 = 2;

/// One per process (it holds the connection pool), built at start-up and kept in the state.
#[derive(Clone, Debug)]
pub struct StripeClient {
    http: reqwest::Client,
    api_base: String,
    secret_key: Secret,
    max_retries: u32,
}

/// `POST /v1/payment_intents`.
#[derive(Clone, Debug, Default)]
pub struct CreatePaymentIntent {
    /// Minor units of `currency`.
    pub amount: i64,
    /// Lower-case ISO code, as Stripe wants it.
    pub currency: String,
    pub automatic_payment_methods: bool,
    pub metadata: BTreeMap<String, String>,
    pub receipt_email: Option<String>,
    pub description: Option<String>,
    /// Confirm at once with this payment method (server-side confirmation).
    pub confirm_with: Option<String>,
    pub return_url: Option<String>,
}

/// `POST /v1/refunds`.
#[derive(Clone, Debug, Default)]
pub struct CreateRefund {
    pub payment_intent: String,
    /// Written to the refund's metadata, so a refund whose answer was lost can be matched back.
    pub attempt: Option<String>,
    /// Everything that remains when `None`.
    pub amount: Option<i64>,
    /// `duplicate`, `fraudulent` or `requested_by_customer`.
    pub reason: Option<String>,
}

type Form = Vec<(String, String)>;

fn push(form: &mut Form, key: &str, value: Option<impl ToString>) {
    if let Some(value) = value {
        form.push((key.to_string(), value.to_string()));
    }
}

impl CreatePaymentIntent {
    fn form(&self) -> Form {
        let mut form = vec![
            ("amount".to_string(), self.amount.to_string()),
            ("currency".to_string(), self.currency.clone()),
        ];
        if self.automatic_payment_methods {
            form.push(("automatic_payment_methods[enabled]".into(), "true".into()));
        }
        for (k, v) in &self.metadata {
            form.push((format!("metadata[{k}]"), v.clone()));
        }
        push(&mut form, "receipt_email", self.receipt_email.as_ref());
        push(&mut form, "description", self.description.as_ref());
        if let Some(pm) = &self.confirm_with {
            form.push(("payment_method".into(), pm.clone()));
            form.push(("confirm".into(), "true".into()));
        }
        push(&mut form, "return_url", self.return_url.as_ref());
        form
    }
}

impl CreateRefund {
    fn form(&self) -> Form {
        let mut form = vec![("payment_intent".to_string(), self.payment_intent.clone())];
        push(&mut form, "metadata[attempt]", self.attempt.as_ref());
        push(&mut form, "amount", self.amount);
        push(&mut form, "reason", self.reason.as_ref());
        form
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub client_secret: Option<String>,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub latest_charge: Option<String>,
}

/// A page of a Stripe list. https://docs.stripe.com/api/pagination
#[derive(Clone, Debug, Deserialize)]
pub struct List {
    pub data: Vec<Value>,
    pub has_more: bool,
}

fn parse<T: for<'de> Deserialize<'de>>(value: Value) -> Result<T, StripeError> {
    serde_json::from_value(value)
        .map_err(|e| StripeError::Network(format!("unexpected response: {e}")))
}

#[derive(Clone, Debug, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub status: String,
}

/// What went wrong talking to Stripe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// A card was declined or failed: the message is written for the shopper.
    #[error("card error {code}: {message}")]
    Card {
        code: String,
        message: String,
        /// The PaymentIntent the declined confirmation was for (Stripe sends it in the error).
        payment_intent: Option<String>,
    },
    /// Stripe refused the request itself (a bug on our side, or a state conflict).
    #[error("invalid request ({code}): {message}")]
    InvalidRequest {
        code: String,
        message: String,
        param: Option<String>,
    },
    #[error("idempotency error: {0}")]
    Idempotency(String),
    #[error("authentication failed (status {0})")]
    Auth(u16),
    #[error("rate limited")]
    RateLimited,
    #[error("Stripe error (status {0})")]
    Api(u16),
    #[error("network error: {0}")]
    Network(String),
}

impl StripeError {
    /// Stripe answered and refused: the request did nothing. Any other failure may have
    /// happened after Stripe did the work (a timeout, a 5xx, a dropped connection).
    pub fn refused(&self) -> bool {
        matches!(
            self,
            StripeError::Card { .. } | StripeError::InvalidRequest { .. } | StripeError::Auth(_)
        )
    }

    /// The sentence a shopper may see.
    pub fn shopper_message(&self) -> String {
        match self {
            StripeError::Card { message, .. } => message.clone(),
            _ => "Payments are unavailable right now. Please try again in a moment.".into(),
        }
    }
}

impl StripeClient {
    pub fn new(api_base: &str, secret_key: Secret) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        StripeClient {
            http,
            api_base: api_base.trim_end_matches('/').to_string(),
            secret_key,
            max_retries: MAX_RETRIES,
        }
    }

    pub async fn create_payment_intent(
        &self,
        request: &CreatePaymentIntent,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        self.post("/v1/payment_intents", &request.form(), idempotency_key)
            .await
    }

    /// `POST /v1/payment_intents` with a form as built by the caller (kept, so that a request
    /// whose answer was lost can be sent again exactly, with the same key). The PaymentIntent as
    /// Stripe sends it.
    pub async fn create_payment_intent_form(
        &self,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        self.post("/v1/payment_intents", form, idempotency_key)
            .await
    }

    /// `POST /v1/checkout/sessions` (https://docs.stripe.com/api/checkout/sessions/create).
    pub async fn create_checkout_session(
        &self,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        self.post("/v1/checkout/sessions", form, idempotency_key)
            .await
    }

    /// `GET /v1/checkout/sessions/{id}`.
    pub async fn checkout_session(&self, id: &str) -> Result<Value, StripeError> {
        self.get(&format!("/v1/checkout/sessions/{id}"), &[]).await
    }

    /// `POST /v1/checkout/sessions/{id}/expire`: refused once the session is complete.
    pub async fn expire_checkout_session(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        self.post(
            &format!("/v1/checkout/sessions/{id}/expire"),
            &[],
            idempotency_key,
        )
        .await
    }

    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        parse(self.payment_intent_object(id).await?)
    }

    /// The PaymentIntent as Stripe sends it, for [`crate::server::sync`].
    pub async fn payment_intent_object(&self, id: &str) -> Result<Value, StripeError> {
        self.get(&format!("/v1/payment_intents/{id}"), &[]).await
    }

    /// `POST /v1/payment_intents/{id}/cancel`. Refused (400 `payment_intent_unexpected_state`)
    /// once the PaymentIntent is processing or succeeded.
    pub async fn cancel_payment_intent(
        &self,
        id: &str,
        reason: &str,
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        self.post(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[("cancellation_reason".to_string(), reason.to_string())],
            idempotency_key,
        )
        .await
    }

    /// One page of a list endpoint (`/v1/events`, `/v1/refunds`, `/v1/disputes`).
    pub async fn list(&self, path: &str, params: &[(String, String)]) -> Result<List, StripeError> {
        parse(self.get(path, params).await?)
    }

    async fn get(&self, path: &str, params: &[(String, String)]) -> Result<Value, StripeError> {
        self.send(reqwest::Method::GET, path, params, None).await
    }

    pub async fn create_refund(
        &self,
        request: &CreateRefund,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        self.post("/v1/refunds", &request.form(), idempotency_key)
            .await
    }

    async fn post<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        params: &[(String, String)],
        key: &str,
    ) -> Result<T, StripeError> {
        parse(
            self.send(reqwest::Method::POST, path, params, Some(key))
                .await?,
        )
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let url = format!("{}{path}", self.api_base);
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(self.secret_key.expose())
                .header("Stripe-Version", API_VERSION);
            request = if method == reqwest::Method::GET {
                request.query(params)
            } else {
                request.form(params)
            };
            if let Some(key) = idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            let outcome = request.send().await;
            let (retry, result) = match outcome {
                Err(e) => (true, Err(StripeError::Network(e.without_url().to_string()))),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let should_retry = response
                        .headers()
                        .get("stripe-should-retry")
                        .and_then(|v| v.to_str().ok())
                        .map(|v| v == "true");
                    let request_id = response
                        .headers()
                        .get("request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    match response.text().await {
                        // The response was cut off: like a network error, retry with the same key.
                        Err(e) => (true, Err(StripeError::Network(e.without_url().to_string()))),
                        Ok(text) => {
                            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                            if (200..300).contains(&status) {
                                return Ok(body);
                            }
                            let error = map_error(status, &body);
                            tracing::warn!(%path, status, %request_id, error = %error, "Stripe request failed");
                            let retry = should_retry.unwrap_or(status == 409 || status >= 500);
                            (retry, Err(error))
                        }
                    }
                }
            };
            if !retry || attempt >= self.max_retries {
                return result;
            }
            attempt += 1;
            tokio::time::sleep(backoff(attempt)).await;
        }
    }
}

/// stripe-node's backoff: min(0.5 s × 2^(n−1), 5 s) × jitter in [0.5, 1], at least 0.5 s.
pub fn backoff(retry: u32) -> Duration {
    let base = (0.5 * 2f64.powi(retry.saturating_sub(1) as i32)).min(5.0);
    let jitter = rand::thread_rng().gen_range(0.5..=1.0);
    Duration::from_secs_f64((base * jitter).max(0.5))
}

fn map_error(status: u16, body: &Value) -> StripeError {
    let error = &body["error"];
    let text = |k: &str| error[k].as_str().unwrap_or_default().to_string();
    match (status, error["type"].as_str().unwrap_or_default()) {
        (401 | 403, _) => StripeError::Auth(status),
        (429, _) => StripeError::RateLimited,
        (_, "card_error") => StripeError::Card {
            code: text("code"),
            message: text("message"),
            payment_intent: error["payment_intent"]["id"].as_str().map(String::from),
        },
        (_, "idempotency_error") => StripeError::Idempotency(text("message")),
        (400 | 404 | 409, _) => StripeError::InvalidRequest {
            code: text("code"),
            message: text("message"),
            param: error["param"].as_str().map(String::from),
        },
        _ => StripeError::Api(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backoff_follows_stripe_node() {
        for _ in 0..50 {
            let first = backoff(1).as_secs_f64();
            assert!((0.5..=0.5001).contains(&first), "{first}");
            let second = backoff(2).as_secs_f64();
            assert!((0.5..=1.0).contains(&second), "{second}");
            let third = backoff(3).as_secs_f64();
            assert!((1.0..=2.0).contains(&third), "{third}");
            assert!(backoff(10).as_secs_f64() <= 5.0);
        }
    }

    #[test]
    fn errors_are_mapped_once_and_only_cards_speak_to_shoppers() {
        let card = map_error(
            402,
            &json!({"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}}),
        );
        assert_eq!(card.shopper_message(), "Your card was declined.");
        let invalid = map_error(
            400,
            &json!({"error": {"type": "invalid_request_error", "code": "amount_too_small", "message": "Amount must be at least $0.50 usd", "param": "amount"}}),
        );
        assert!(
            matches!(invalid, StripeError::InvalidRequest { ref param, .. } if param.as_deref() == Some("amount"))
        );
        assert_eq!(
            invalid.shopper_message(),
            "Payments are unavailable right now. Please try again in a moment."
        );
        assert_eq!(map_error(401, &json!({})), StripeError::Auth(401));
        assert_eq!(map_error(503, &json!({})), StripeError::Api(503));
        assert!(matches!(
            map_error(
                400,
                &json!({"error": {"type": "idempotency_error", "message": "m"}})
            ),
            StripeError::Idempotency(_)
        ));
    }
}
