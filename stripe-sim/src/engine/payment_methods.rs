//! PaymentMethods: the `pm_card_*` test ids and raw card details
//! (https://docs.stripe.com/api/payment_methods, https://docs.stripe.com/testing).

use super::{Account, ApiResult, ObjectKind, Params};
use crate::cards;
use crate::model::{ApiError, PaymentMethod};
use serde_json::Value;

impl Account {
    /// A `pm_…` id of a stored method, or a `pm_card_*` test id (which creates a new method).
    pub(super) fn resolve_payment_method(&mut self, id: &str) -> Result<String, ApiError> {
        if self.payment_methods.contains_key(id) {
            return Ok(id.to_string());
        }
        let card = cards::by_pm_id(id)
            .ok_or_else(|| ApiError::not_found("PaymentMethod", id).param("payment_method"))?;
        let pm = PaymentMethod {
            id: self.new_id("pm"),
            created: self.now(),
            brand: card.brand.to_string(),
            last4: card.last4().to_string(),
            funding: card.funding.to_string(),
            exp_month: 12,
            exp_year: 2034,
            postal_code: None,
            number: card.number.to_string(),
        };
        let pm_id = pm.id.clone();
        self.payment_methods.insert(pm_id.clone(), pm);
        self.touch(ObjectKind::PaymentMethod, &pm_id);
        Ok(pm_id)
    }

    /// `POST /v1/payment_methods` with raw card details (the Stripe.js stand-in's iframe does this).
    pub fn create_payment_method(&mut self, p: &Params) -> ApiResult {
        p.only(&[
            "type",
            "card",
            "billing_details",
            "metadata",
            "allow_redisplay",
        ])?;
        if p.str("type") != Some("card") {
            return Err(ApiError::invalid("Only type=card is simulated.").param("type"));
        }
        let card =
            p.0.get("card")
                .map(Params)
                .ok_or_else(|| ApiError::missing("card"))?;
        let number: String = card
            .str("number")
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let card_error = |code: &str, param: &str, message: &str| {
            ApiError::new(402, "card_error", message)
                .code(code)
                .param(param)
        };
        if !cards::luhn_valid(&number) {
            return Err(card_error(
                "incorrect_number",
                "number",
                "Your card number is incorrect.",
            ));
        }
        let exp_month = card
            .int("exp_month")?
            .ok_or_else(|| ApiError::missing("card[exp_month]"))?;
        let mut exp_year = card
            .int("exp_year")?
            .ok_or_else(|| ApiError::missing("card[exp_year]"))?;
        if exp_year < 100 {
            exp_year += 2000;
        }
        if !(1..=12).contains(&exp_month) {
            return Err(card_error(
                "invalid_expiry_month",
                "exp_month",
                "Your card's expiration month is invalid.",
            ));
        }
        let this_year = 1970 + self.now() / 31_556_952;
        if exp_year < this_year {
            return Err(card_error(
                "invalid_expiry_year",
                "exp_year",
                "Your card's expiration year is invalid.",
            ));
        }
        let cvc = card.str("cvc").unwrap_or_default();
        if !cvc.is_empty() && !(3..=4).contains(&cvc.len()) {
            return Err(card_error(
                "invalid_cvc",
                "cvc",
                "Your card's security code is invalid.",
            ));
        }
        let known = cards::by_number(&number);
        let postal_code =
            p.0.get("billing_details")
                .and_then(|b| b.get("address"))
                .and_then(|a| a.get("postal_code"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from);
        let pm = PaymentMethod {
            id: self.new_id("pm"),
            created: self.now(),
            brand: known
                .map(|c| c.brand)
                .unwrap_or_else(|| cards::brand_of(&number))
                .to_string(),
            last4: number[number.len() - 4..].to_string(),
            funding: known.map(|c| c.funding).unwrap_or("credit").to_string(),
            exp_month,
            exp_year,
            postal_code,
            number,
        };
        let json = pm.to_json();
        let id = pm.id.clone();
        self.payment_methods.insert(id.clone(), pm);
        self.touch(ObjectKind::PaymentMethod, &id);
        Ok(json)
    }
}
