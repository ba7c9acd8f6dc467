//! Errors in Stripe's envelope. https://docs.stripe.com/api/errors

use super::*;

/// An API error in Stripe's envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: u16, kind: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({"error": {"type": kind, "message": message.into()}}),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", message)
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.body["error"][key] = value.into();
        self
    }

    pub fn code(self, code: &str) -> Self {
        let doc = format!(
            "https://stripe.com/docs/error-codes/{}",
            code.replace('_', "-")
        );
        self.with("code", code).with("doc_url", doc)
    }

    pub fn param(self, param: &str) -> Self {
        self.with("param", param)
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(format!("Missing required param: {param}."))
            .code("parameter_missing")
            .param(param)
    }

    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            404,
            "invalid_request_error",
            format!("No such {kind}: '{id}'"),
        )
        .code("resource_missing")
        .param("id")
    }
}
