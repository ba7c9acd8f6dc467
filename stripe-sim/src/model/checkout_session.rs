//! Checkout Sessions (hosted Checkout, `mode=payment`).
//! https://docs.stripe.com/api/checkout/sessions/object

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Open,
    Complete,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Complete => "complete",
            SessionStatus::Expired => "expired",
        }
    }
}

/// One line of a Session, made from `line_items[n][price_data]`: its Price and Product are
/// created with it (inactive, as Stripe does for `price_data`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LineItem {
    pub id: String,
    pub price: String,
    pub product: String,
    pub name: String,
    pub unit_amount: i64,
    pub quantity: i64,
    pub currency: String,
}

impl LineItem {
    pub fn amount(&self) -> i64 {
        self.unit_amount.saturating_mul(self.quantity)
    }

    pub fn to_json(&self, created: i64) -> Value {
        json!({
            "id": self.id,
            "object": "item",
            "adjustable_quantity": null,
            "amount_discount": 0,
            "amount_subtotal": self.amount(),
            "amount_tax": 0,
            "amount_total": self.amount(),
            "currency": self.currency,
            "description": self.name,
            "discounts": [],
            "metadata": {},
            "price": {
                "id": self.price,
                "object": "price",
                "active": false,
                "billing_scheme": "per_unit",
                "created": created,
                "currency": self.currency,
                "custom_unit_amount": null,
                "livemode": false,
                "lookup_key": null,
                "metadata": {},
                "nickname": null,
                "product": self.product,
                "recurring": null,
                "tax_behavior": "unspecified",
                "tiers_mode": null,
                "transform_quantity": null,
                "type": "one_time",
                "unit_amount": self.unit_amount,
                "unit_amount_decimal": self.unit_amount.to_string(),
            },
            "quantity": self.quantity,
            "taxes": [],
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub seq: u64,
    pub created: i64,
    pub expires_at: i64,
    pub status: SessionStatus,
    /// `unpaid`, `paid` or `no_payment_required`.
    pub payment_status: String,
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub customer_email: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// `payment_intent_data[metadata]`, for the PaymentIntent made when the shopper pays.
    pub payment_intent_metadata: BTreeMap<String, String>,
    pub payment_intent_description: Option<String>,
    /// `payment_intent_data[shipping]`: given to the PaymentIntent made when the shopper pays.
    pub payment_intent_shipping: Option<serde_json::Value>,
    /// As given: `{CHECKOUT_SESSION_ID}` is replaced when the shopper is sent there.
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    /// The hosted page, `{base}/c/pay/{id}`.
    pub url: String,
    pub payment_intent: Option<String>,
    pub allowed_countries: Option<Vec<String>>,
    /// What the shopper entered on the page (rendered `customer_details`).
    pub customer_details: Option<Value>,
    /// `collected_information.shipping_details`.
    pub shipping_details: Option<Value>,
}

impl CheckoutSession {
    pub fn amount_subtotal(&self) -> i64 {
        self.line_items
            .iter()
            .fold(0i64, |sum, item| sum.saturating_add(item.amount()))
    }

    /// The success URL with the Session's id put in for `{CHECKOUT_SESSION_ID}`.
    pub fn success_target(&self) -> Option<String> {
        self.success_url
            .as_ref()
            .map(|u| u.replace("{CHECKOUT_SESSION_ID}", &self.id))
    }

    pub fn to_json(&self) -> Value {
        let total = self.amount_subtotal();
        let collected = match (&self.status, &self.shipping_details) {
            (SessionStatus::Complete, details) => json!({
                "business_name": null,
                "individual_name": null,
                "shipping_details": opt(details),
            }),
            _ => Value::Null,
        };
        json!({
            "id": self.id,
            "object": "checkout.session",
            "adaptive_pricing": {"enabled": false},
            "after_expiration": null,
            "allow_promotion_codes": null,
            "amount_subtotal": total,
            "amount_total": total,
            "automatic_tax": {"enabled": false, "liability": null, "provider": null, "status": null},
            "billing_address_collection": null,
            "branding_settings": {
                "background_color": "#ffffff",
                "border_style": "rounded",
                "button_color": "#635bff",
                "display_name": "Stripe simulator",
                "font_family": "default",
                "icon": null,
                "logo": null
            },
            "cancel_url": opt(&self.cancel_url),
            "client_reference_id": opt(&self.client_reference_id),
            "client_secret": null,
            "collected_information": collected,
            "consent": null,
            "consent_collection": null,
            "created": self.created,
            "currency": self.currency,
            "currency_conversion": null,
            "custom_fields": [],
            "custom_text": {
                "after_submit": null,
                "shipping_address": null,
                "submit": null,
                "terms_of_service_acceptance": null
            },
            "customer": null,
            "customer_account": null,
            "customer_creation": "if_required",
            "customer_details": opt(&self.customer_details),
            "customer_email": opt(&self.customer_email),
            "discounts": [],
            "excluded_payment_method_types": [],
            "expires_at": self.expires_at,
            "integration_identifier": null,
            "invoice": null,
            "invoice_creation": {
                "enabled": false,
                "invoice_data": {
                    "account_tax_ids": null,
                    "custom_fields": null,
                    "description": null,
                    "footer": null,
                    "issuer": null,
                    "metadata": {},
                    "rendering_options": null
                }
            },
            "livemode": false,
            "locale": null,
            "managed_payments": null,
            "metadata": self.metadata,
            "mode": "payment",
            "name_collection": {
                "business": {"enabled": false, "optional": false},
                "individual": {"enabled": false, "optional": false}
            },
            "optional_items": null,
            "origin_context": null,
            "payment_intent": opt(&self.payment_intent),
            "payment_link": null,
            "payment_method_collection": "if_required",
            "payment_method_configuration_details": null,
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "payment_method_types": ["card"],
            "payment_status": self.payment_status,
            "permissions": null,
            "phone_number_collection": {"enabled": false},
            "presentment_details": {"presentment_amount": total, "presentment_currency": self.currency},
            "recovered_from": null,
            "saved_payment_method_options": null,
            "setup_intent": null,
            "shipping_address_collection": match &self.allowed_countries {
                Some(countries) => json!({"allowed_countries": countries}),
                None => Value::Null,
            },
            "shipping_cost": null,
            "shipping_options": [],
            "status": self.status.as_str(),
            "submit_type": null,
            "subscription": null,
            "success_url": opt(&self.success_url),
            "tax_id_collection": {"enabled": false, "required": "never"},
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted_page",
            "url": if self.status == SessionStatus::Open { json!(self.url) } else { Value::Null },
            "wallet_options": null,
        })
    }
}
