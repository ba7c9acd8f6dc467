//! PayPal's error envelope (https://developer.paypal.com/api/rest/responses/):
//! `{name, message, debug_id, details[{field?, value?, location?, issue, description}], links}`,
//! and the OAuth-shaped errors of the token endpoint
//! (https://developer.paypal.com/api/rest/authentication/).

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// An error response: HTTP status and body. `debug_id` is filled in when it is sent.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: u16,
    pub body: Value,
}

/// Issue texts of the per-operation 422 lists in PayPal's OpenAPI documents
/// (github.com/paypal/paypal-rest-api-specifications: `orders.capture-422`, `captures.refund-422`…).
pub fn issue_lists() -> &'static BTreeMap<String, BTreeMap<String, String>> {
    static LISTS: OnceLock<BTreeMap<String, BTreeMap<String, String>>> = OnceLock::new();
    LISTS.get_or_init(|| {
        serde_json::from_str(include_str!("../../assets/issues.json")).expect("issues.json parses")
    })
}

/// The description PayPal gives `issue` in the 422 list of `operation`.
pub fn issue_description(operation: &str, issue: &str) -> Option<&'static str> {
    issue_lists()
        .get(operation)
        .and_then(|l| l.get(issue))
        .map(String::as_str)
}

fn info_link(issue: &str, api: &str) -> Value {
    let href = match api {
        "payments" => format!("https://developer.paypal.com/docs/api/payments/v2/#error-{issue}"),
        _ => format!("https://developer.paypal.com/docs/api/orders/v2/#error-{issue}"),
    };
    json!({"href": href, "rel": "information_link", "method": "GET"})
}

/// One entry of `details`.
#[derive(Clone, Debug, Default)]
pub struct Detail {
    pub issue: String,
    pub description: String,
    pub field: Option<String>,
    pub value: Option<String>,
    pub location: Option<&'static str>,
}

impl Detail {
    pub fn new(issue: &str, description: &str) -> Self {
        Detail {
            issue: issue.into(),
            description: description.into(),
            ..Default::default()
        }
    }
    pub fn field(mut self, field: &str, location: &'static str) -> Self {
        self.field = Some(field.into());
        self.location = Some(location);
        self
    }
    pub fn value(mut self, value: &str) -> Self {
        self.value = Some(value.into());
        self
    }
    fn to_json(&self) -> Value {
        let mut d = json!({"issue": self.issue, "description": self.description});
        if let Some(f) = &self.field {
            d["field"] = json!(f);
        }
        if let Some(v) = &self.value {
            d["value"] = json!(v);
        }
        if let Some(l) = self.location {
            d["location"] = json!(l);
        }
        d
    }
}

impl ApiError {
    fn envelope(status: u16, name: &str, message: &str, details: &[Detail], api: &str) -> Self {
        let mut body = json!({"name": name, "message": message, "debug_id": ""});
        if !details.is_empty() {
            body["details"] = details.iter().map(Detail::to_json).collect();
            body["links"] = json!([info_link(&details[0].issue, api)]);
        } else {
            body["links"] = json!([{
                "href": "https://developer.paypal.com/docs/api/overview/#error",
                "rel": "information_link", "method": "GET"
            }]);
        }
        ApiError { status, body }
    }

    /// 400 INVALID_REQUEST.
    pub fn invalid_request(detail: Detail) -> Self {
        Self::envelope(
            400,
            "INVALID_REQUEST",
            "Request is not well-formed, syntactically incorrect, or violates schema.",
            &[detail],
            "orders",
        )
    }

    /// 400 INVALID_REQUEST, MALFORMED_REQUEST_JSON.
    pub fn malformed_json() -> Self {
        Self::invalid_request(
            Detail::new(
                "MALFORMED_REQUEST_JSON",
                "The request JSON is not well formed.",
            )
            .field("", "body"),
        )
    }

    /// 400 INVALID_REQUEST, MISSING_REQUIRED_PARAMETER for `field`.
    pub fn missing(field: &str) -> Self {
        Self::invalid_request(
            Detail::new(
                "MISSING_REQUIRED_PARAMETER",
                "A required field / parameter is missing.",
            )
            .field(field, "body"),
        )
    }

    /// 400 INVALID_REQUEST, INVALID_PARAMETER_VALUE for `field`.
    pub fn invalid_value(field: &str, value: &str) -> Self {
        Self::invalid_request(
            Detail::new(
                "INVALID_PARAMETER_VALUE",
                "The value of a field is invalid.",
            )
            .field(field, "body")
            .value(value),
        )
    }

    /// 401 AUTHENTICATION_FAILURE (missing `Authorization`).
    pub fn authentication_failure() -> Self {
        let mut e = Self::envelope(
            401,
            "AUTHENTICATION_FAILURE",
            "Authentication failed due to missing authorization header, or invalid authentication credentials.",
            &[],
            "orders",
        );
        if let Some(o) = e.body.as_object_mut() {
            o.remove("debug_id");
        }
        e
    }

    /// 401 for an unknown or expired bearer token.
    pub fn invalid_token() -> Self {
        ApiError {
            status: 401,
            body: json!({"error": "invalid_token", "error_description": "Token signature verification failed"}),
        }
    }

    /// 401 from the token endpoint for bad client credentials.
    pub fn invalid_client() -> Self {
        ApiError {
            status: 401,
            body: json!({"error": "invalid_client", "error_description": "Client Authentication failed"}),
        }
    }

    /// An OAuth error with status 400.
    pub fn oauth(error: &str, description: &str) -> Self {
        ApiError {
            status: 400,
            body: json!({"error": error, "error_description": description}),
        }
    }

    /// 404 RESOURCE_NOT_FOUND / INVALID_RESOURCE_ID for the path parameter `field`.
    pub fn not_found(field: &str, value: &str, api: &str) -> Self {
        let mut e = Self::envelope(
            404,
            "RESOURCE_NOT_FOUND",
            "The specified resource does not exist.",
            &[Detail::new(
                "INVALID_RESOURCE_ID",
                "Specified resource ID does not exist. Please check the resource ID and try again.",
            )
            .field(field, "path")
            .value(value)],
            api,
        );
        e.body["links"] = json!([{
            "href": format!("https://developer.paypal.com/api/rest/reference/{api}/v2/errors/#INVALID_RESOURCE_ID"),
            "rel": "information_link", "method": "GET"
        }]);
        e
    }

    /// 403 NOT_AUTHORIZED / PERMISSION_DENIED.
    pub fn permission_denied() -> Self {
        Self::envelope(
            403,
            "NOT_AUTHORIZED",
            "Authorization failed due to insufficient permissions.",
            &[Detail::new(
                "PERMISSION_DENIED",
                "You do not have permission to access or perform operations on this resource.",
            )],
            "orders",
        )
    }

    /// 422 UNPROCESSABLE_ENTITY with one issue; the description is PayPal's text for `issue` in
    /// `operation`'s list when it has one.
    pub fn unprocessable(operation: &str, issue: &str) -> Self {
        let description = issue_description(operation, issue)
            .or_else(|| {
                issue_lists()
                    .values()
                    .find_map(|l| l.get(issue).map(String::as_str))
            })
            .unwrap_or("The requested action could not be performed.");
        Self::unprocessable_with(operation, Detail::new(issue, description))
    }

    /// 422 UNPROCESSABLE_ENTITY with the given detail.
    pub fn unprocessable_with(operation: &str, detail: Detail) -> Self {
        let api = if operation.starts_with("captures") || operation.starts_with("refunds") {
            "payments"
        } else {
            "orders"
        };
        Self::envelope(
            422,
            "UNPROCESSABLE_ENTITY",
            "The requested action could not be performed, semantically incorrect, or failed business validation.",
            &[detail],
            api,
        )
    }

    /// 409 RESOURCE_CONFLICT.
    pub fn conflict(issue: &str, description: &str) -> Self {
        Self::envelope(
            409,
            "RESOURCE_CONFLICT",
            "The server has detected a conflict while processing this request.",
            &[Detail::new(issue, description)],
            "orders",
        )
    }

    /// 429 RATE_LIMIT_REACHED.
    pub fn rate_limited() -> Self {
        Self::envelope(
            429,
            "RATE_LIMIT_REACHED",
            "Too many requests. Blocked due to rate limiting.",
            &[Detail::new(
                "RATE_LIMIT_REACHED",
                "Too many requests. Blocked due to rate limiting.",
            )],
            "orders",
        )
    }

    /// 500 INTERNAL_SERVER_ERROR.
    pub fn internal() -> Self {
        ApiError {
            status: 500,
            body: json!({
                "name": "INTERNAL_SERVER_ERROR",
                "message": "An internal server error occurred.",
                "debug_id": "",
                "links": [{
                    "href": "https://developer.paypal.com/api/rest/reference/orders/v2/errors/#INTERNAL_SERVER_ERROR",
                    "rel": "information_link", "method": "GET"
                }]
            }),
        }
    }

    /// Adds a HATEOAS link (e.g. `rel: redirect` back to the approval page).
    pub fn with_link(mut self, href: &str, rel: &str) -> Self {
        if let Some(links) = self.body["links"].as_array_mut() {
            links.push(json!({"href": href, "rel": rel, "method": "GET"}));
        }
        self
    }

    /// The error a `PayPal-Mock-Response` code names for `operation`
    /// (https://developer.paypal.com/tools/sandbox/negative-testing/request-headers/).
    pub fn mocked(operation: &str, code: &str) -> Option<Self> {
        Some(match code {
            "INTERNAL_SERVER_ERROR" => Self::internal(),
            "PERMISSION_DENIED" => Self::permission_denied(),
            "RATE_LIMIT_REACHED" => Self::rate_limited(),
            "MISSING_REQUIRED_PARAMETER" => Self::missing("/"),
            "INVALID_PARAMETER_VALUE" => Self::invalid_value("/", ""),
            "MALFORMED_REQUEST_JSON" => Self::malformed_json(),
            "INVALID_RESOURCE_ID" => Self::not_found("id", "", "orders"),
            _ if issue_description(operation, code).is_some() => {
                Self::unprocessable(operation, code)
            }
            // Reads accept any issue of the Orders and Payments lists.
            _ if operation.ends_with(".get")
                && issue_lists().values().any(|l| l.contains_key(code)) =>
            {
                Self::unprocessable(operation, code)
            }
            _ => return None,
        })
    }
}
