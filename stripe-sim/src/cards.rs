//! Stripe's test cards (https://docs.stripe.com/testing) and what confirming with each one does.

/// What happens when a PaymentIntent is confirmed with a card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Succeed,
    /// Succeeds; a dispute opens shortly after (`charge.dispute.created`).
    SucceedThenDispute,
    /// Succeeds; a refund looks successful, then fails (`expired_or_canceled_card`).
    SucceedRefundFails,
    Decline(Decline),
    /// A 3-D Secure challenge first; completing it leads to the inner behaviour.
    ThreeDSecure(Box<Behaviour>),
    /// Simulator-only: `processing` first, then succeeded (`true`) or failed (`false`).
    Processing {
        succeeds: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decline {
    pub code: String,
    pub decline_code: String,
    pub message: String,
    pub param: Option<String>,
}

impl Decline {
    pub fn new(code: &str, decline_code: &str, message: &str, param: Option<&str>) -> Self {
        Decline {
            code: code.into(),
            decline_code: decline_code.into(),
            message: message.into(),
            param: param.map(String::from),
        }
    }
}

pub const GENERIC_DECLINE: &str = "Your card was declined.";

fn declined(decline_code: &str, message: &str) -> Decline {
    Decline::new("card_declined", decline_code, message, None)
}

#[derive(Clone, Debug)]
pub struct TestCard {
    pub number: &'static str,
    pub pm_ids: &'static [&'static str],
    pub brand: &'static str,
    pub funding: &'static str,
    behaviour: fn() -> Behaviour,
}

impl TestCard {
    pub fn behaviour(&self) -> Behaviour {
        (self.behaviour)()
    }
    pub fn last4(&self) -> &'static str {
        &self.number[self.number.len() - 4..]
    }
}

fn succeed() -> Behaviour {
    Behaviour::Succeed
}

macro_rules! card {
    ($number:expr, [$($pm:expr),*], $brand:expr, $behaviour:expr) => {
        TestCard { number: $number, pm_ids: &[$($pm),*], brand: $brand, funding: "credit", behaviour: $behaviour }
    };
}

/// Every test card the simulator knows. Any other Luhn-valid number succeeds like 4242.
pub const CARDS: &[TestCard] = &[
    card!("4242424242424242", ["pm_card_visa"], "visa", succeed),
    card!(
        "5555555555554444",
        ["pm_card_mastercard"],
        "mastercard",
        succeed
    ),
    card!("378282246310005", ["pm_card_amex"], "amex", succeed),
    TestCard {
        number: "4000056655665556",
        pm_ids: &["pm_card_visa_debit"],
        brand: "visa",
        funding: "debit",
        behaviour: succeed,
    },
    card!(
        "4000000000000077",
        ["pm_card_bypassPending"],
        "visa",
        succeed
    ),
    card!(
        "4000000000003055",
        ["pm_card_threeDSecureOptional"],
        "visa",
        succeed
    ),
    card!(
        "4000000000000002",
        ["pm_card_visa_chargeDeclined", "pm_card_chargeDeclined"],
        "visa",
        || Behaviour::Decline(declined("generic_decline", GENERIC_DECLINE))
    ),
    card!(
        "4000000000009995",
        ["pm_card_visa_chargeDeclinedInsufficientFunds"],
        "visa",
        || Behaviour::Decline(declined(
            "insufficient_funds",
            "Your card has insufficient funds."
        ))
    ),
    card!(
        "4000000000009987",
        ["pm_card_visa_chargeDeclinedLostCard"],
        "visa",
        || Behaviour::Decline(declined("lost_card", GENERIC_DECLINE))
    ),
    card!(
        "4000000000009979",
        ["pm_card_visa_chargeDeclinedStolenCard"],
        "visa",
        || Behaviour::Decline(declined("stolen_card", GENERIC_DECLINE))
    ),
    card!(
        "4000000000006975",
        ["pm_card_visa_chargeDeclinedVelocityLimitExceeded"],
        "visa",
        || Behaviour::Decline(declined("card_velocity_exceeded", GENERIC_DECLINE))
    ),
    card!(
        "4000000000000341",
        ["pm_card_chargeCustomerFail"],
        "visa",
        || Behaviour::Decline(declined("generic_decline", GENERIC_DECLINE))
    ),
    card!(
        "4000000000000069",
        ["pm_card_chargeDeclinedExpiredCard"],
        "visa",
        || Behaviour::Decline(Decline::new(
            "expired_card",
            "expired_card",
            "Your card has expired.",
            Some("exp_month")
        ))
    ),
    card!(
        "4000000000000127",
        ["pm_card_chargeDeclinedIncorrectCvc"],
        "visa",
        || Behaviour::Decline(Decline::new(
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
            Some("cvc")
        ))
    ),
    card!(
        "4000000000000119",
        ["pm_card_chargeDeclinedProcessingError"],
        "visa",
        || Behaviour::Decline(Decline::new(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
            None
        ))
    ),
    card!(
        "4000002500003155",
        ["pm_card_authenticationRequiredOnSetup"],
        "visa",
        || Behaviour::ThreeDSecure(Box::new(Behaviour::Succeed))
    ),
    card!(
        "4000002760003184",
        ["pm_card_authenticationRequired"],
        "visa",
        || Behaviour::ThreeDSecure(Box::new(Behaviour::Succeed))
    ),
    card!(
        "4000000000003220",
        ["pm_card_threeDSecure2Required"],
        "visa",
        || Behaviour::ThreeDSecure(Box::new(Behaviour::Succeed))
    ),
    card!(
        "4000000000003063",
        ["pm_card_threeDSecureRequired"],
        "visa",
        || Behaviour::ThreeDSecure(Box::new(Behaviour::Succeed))
    ),
    card!(
        "4000008400001629",
        ["pm_card_threeDSecureRequiredChargeDeclined"],
        "visa",
        || Behaviour::ThreeDSecure(Box::new(Behaviour::Decline(declined(
            "generic_decline",
            GENERIC_DECLINE
        ))))
    ),
    card!(
        "4000008260003178",
        ["pm_card_authenticationRequiredChargeDeclinedInsufficientFunds"],
        "visa",
        || Behaviour::ThreeDSecure(Box::new(Behaviour::Decline(declined(
            "insufficient_funds",
            "Your card has insufficient funds."
        ))))
    ),
    card!(
        "4000000000000259",
        ["pm_card_createDispute"],
        "visa",
        || Behaviour::SucceedThenDispute
    ),
    card!("4000000000005126", ["pm_card_refundFail"], "visa", || {
        Behaviour::SucceedRefundFails
    }),
    // Simulator-only numbers (not Stripe's): a card payment that passes through `processing`.
    card!(
        "4000009900000004",
        ["pm_card_simProcessingSucceeds"],
        "visa",
        || Behaviour::Processing { succeeds: true }
    ),
    card!(
        "4000009900000012",
        ["pm_card_simProcessingFails"],
        "visa",
        || Behaviour::Processing { succeeds: false }
    ),
];

pub fn by_number(number: &str) -> Option<&'static TestCard> {
    CARDS.iter().find(|c| c.number == number)
}

pub fn by_pm_id(id: &str) -> Option<&'static TestCard> {
    CARDS.iter().find(|c| c.pm_ids.contains(&id))
}

pub fn luhn_valid(number: &str) -> bool {
    if number.len() < 12 || number.len() > 19 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

pub fn brand_of(number: &str) -> &'static str {
    match number.as_bytes().first() {
        Some(b'4') => "visa",
        Some(b'5') | Some(b'2') => "mastercard",
        Some(b'3') if number.starts_with("34") || number.starts_with("37") => "amex",
        Some(b'6') => "discover",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_card_passes_luhn_and_has_a_unique_number() {
        for card in CARDS {
            assert!(luhn_valid(card.number), "{}", card.number);
            assert_eq!(CARDS.iter().filter(|c| c.number == card.number).count(), 1);
        }
        assert!(!luhn_valid("4242424242424241"));
    }

    #[test]
    fn cards_are_found_by_number_and_pm_id() {
        assert_eq!(
            by_pm_id("pm_card_chargeDeclined").unwrap().number,
            "4000000000000002"
        );
        assert_eq!(
            by_number("4000002500003155").unwrap().behaviour(),
            Behaviour::ThreeDSecure(Box::new(Behaviour::Succeed))
        );
        assert_eq!(by_number("378282246310005").unwrap().last4(), "0005");
        assert_eq!(brand_of("5555555555554444"), "mastercard");
    }
}
