//! Fulfilment: getting the goods to the shopper, an axis of its own beside the payment status
//! (like Shopify's financial and fulfilment statuses). Pure: the database hands in the order's
//! lines and its shipments, this module says where the order stands, whether a move is allowed,
//! and whether a new shipment is acceptable.
//!
//! - Only orders whose payment [`OrderStatus::fulfils`] ship, and only what is still unshipped.
//! - An order is `unfulfilled` until its first shipment, `partially_shipped` while some of it
//!   is still to go, `shipped` once everything went, `delivered` once every shipment that did
//!   not come back arrived, `returned` once every shipment came back.
//! - A paid order nothing was shipped of can be `canceled` by the merchant (refunded, restocked).

use super::order::OrderStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where the goods of an order are. Stored as its snake_case name (`orders.fulfilment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "snake_case"))]
pub enum FulfilmentStatus {
    Unfulfilled,
    PartiallyShipped,
    Shipped,
    Delivered,
    Returned,
    /// The merchant canceled the paid order before anything shipped (refunded, restocked).
    Canceled,
}

impl FulfilmentStatus {
    pub const ALL: [FulfilmentStatus; 6] = [
        FulfilmentStatus::Unfulfilled,
        FulfilmentStatus::PartiallyShipped,
        FulfilmentStatus::Shipped,
        FulfilmentStatus::Delivered,
        FulfilmentStatus::Returned,
        FulfilmentStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FulfilmentStatus::Unfulfilled => "unfulfilled",
            FulfilmentStatus::PartiallyShipped => "partially_shipped",
            FulfilmentStatus::Shipped => "shipped",
            FulfilmentStatus::Delivered => "delivered",
            FulfilmentStatus::Returned => "returned",
            FulfilmentStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// In words, for the shopper and the merchant.
    pub fn label(self) -> &'static str {
        match self {
            FulfilmentStatus::Unfulfilled => "Not shipped yet",
            FulfilmentStatus::PartiallyShipped => "Partially shipped",
            FulfilmentStatus::Shipped => "Shipped",
            FulfilmentStatus::Delivered => "Delivered",
            FulfilmentStatus::Returned => "Returned",
            FulfilmentStatus::Canceled => "Canceled",
        }
    }

    /// Still waiting in the merchant's fulfilment queue (something left to ship).
    pub fn awaits_shipping(self) -> bool {
        matches!(
            self,
            FulfilmentStatus::Unfulfilled | FulfilmentStatus::PartiallyShipped
        )
    }
}

/// One line of the order: a product and how many were bought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderedLine {
    pub product_id: i64,
    pub quantity: i64,
}

/// A shipment as far as the status is concerned.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ShipmentFacts {
    /// (product id, quantity) it carries.
    pub lines: Vec<(i64, i64)>,
    pub delivered: bool,
    pub returned: bool,
}

/// What is still to ship, per product of the order (0 once it all went). A shipment that came
/// back still counts as shipped: a return does not put the goods back in the queue.
pub fn remaining(ordered: &[OrderedLine], shipments: &[ShipmentFacts]) -> BTreeMap<i64, i64> {
    let mut left: BTreeMap<i64, i64> = BTreeMap::new();
    for line in ordered {
        *left.entry(line.product_id).or_default() += line.quantity.max(0);
    }
    for shipment in shipments {
        for (product, quantity) in &shipment.lines {
            if let Some(l) = left.get_mut(product) {
                *l = (*l - quantity.max(&0)).max(0);
            }
        }
    }
    left
}

/// Where the order's goods are, from its lines and its shipments. `canceled`: the merchant
/// canceled it before anything shipped.
pub fn status(
    ordered: &[OrderedLine],
    shipments: &[ShipmentFacts],
    canceled: bool,
) -> FulfilmentStatus {
    if shipments.is_empty() {
        return if canceled {
            FulfilmentStatus::Canceled
        } else {
            FulfilmentStatus::Unfulfilled
        };
    }
    if remaining(ordered, shipments).values().any(|&l| l > 0) {
        return FulfilmentStatus::PartiallyShipped;
    }
    if shipments.iter().all(|s| s.returned) {
        FulfilmentStatus::Returned
    } else if shipments
        .iter()
        .filter(|s| !s.returned)
        .all(|s| s.delivered)
    {
        FulfilmentStatus::Delivered
    } else {
        FulfilmentStatus::Shipped
    }
}

/// What the merchant can do about an order's goods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Send (some of) what is left.
    Ship,
    /// A shipment arrived.
    Deliver,
    /// A shipment came back: its items go back in stock.
    Return,
    /// Refund a paid order nothing was shipped of, and put its items back in stock.
    Cancel,
}

/// Why a move is refused, in words the merchant reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum FulfilmentError {
    #[error("Only a paid order can be shipped; this one is “{0}”.")]
    NotPaid(String),
    #[error("Nothing is left to ship on this order (it is “{0}”).")]
    NothingToShip(String),
    #[error("Only an order nothing was shipped of can be canceled; this one is “{0}”.")]
    NotCancelable(String),
    #[error("That shipment is not part of this order.")]
    NoSuchShipment,
    #[error("That shipment was already marked delivered.")]
    AlreadyDelivered,
    #[error("That shipment was already marked returned.")]
    AlreadyReturned,
    #[error("Choose at least one item to ship.")]
    NoLines,
    #[error("That item is not in this order.")]
    UnknownLine,
    #[error("Each item appears once in a shipment.")]
    DuplicateLine,
    #[error("Only {left} of {name} left to ship.")]
    TooMany { name: String, left: i64 },
    #[error("Please enter the {0}.")]
    Missing(String),
    #[error("The {0} is too long (at most {1} characters).")]
    TooLong(String, usize),
    #[error("The {0} contains characters that cannot be printed.")]
    ControlCharacters(String),
    #[error("The tracking link must be an https:// address.")]
    BadUrl,
    #[error("This form was already used for another order; reload the page.")]
    KeyOfAnotherOrder,
    #[error("This form has expired; reload the page.")]
    BadRequestKey,
}

impl FulfilmentError {
    /// Refused because of where the order is (409), not because of what the form says (400).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            FulfilmentError::NotPaid(_)
                | FulfilmentError::NothingToShip(_)
                | FulfilmentError::NotCancelable(_)
                | FulfilmentError::AlreadyDelivered
                | FulfilmentError::AlreadyReturned
                | FulfilmentError::KeyOfAnotherOrder
        )
    }
}

/// Whether `movement` is allowed for an order paid as `payment` whose goods are `fulfilment`.
/// Per-shipment checks (already delivered, returned) are [`check_shipment_move`]'s.
pub fn allows(
    payment: OrderStatus,
    fulfilment: FulfilmentStatus,
    movement: Move,
) -> Result<(), FulfilmentError> {
    match movement {
        Move::Ship if !payment.fulfils() => {
            Err(FulfilmentError::NotPaid(payment.label().to_string()))
        }
        Move::Ship if !fulfilment.awaits_shipping() => Err(FulfilmentError::NothingToShip(
            fulfilment.label().to_string(),
        )),
        Move::Cancel if !payment.fulfils() || fulfilment != FulfilmentStatus::Unfulfilled => {
            Err(FulfilmentError::NotCancelable(if payment.fulfils() {
                fulfilment.label().to_string()
            } else {
                payment.label().to_string()
            }))
        }
        // A shipment exists only on a paid order; what became of the payment since (a refund,
        // a dispute) does not change where the parcel is.
        Move::Ship | Move::Cancel | Move::Deliver | Move::Return => Ok(()),
    }
}

/// Whether one shipment can be marked delivered or returned.
pub fn check_shipment_move(
    shipment: &ShipmentFacts,
    movement: Move,
) -> Result<(), FulfilmentError> {
    match movement {
        Move::Deliver if shipment.returned => Err(FulfilmentError::AlreadyReturned),
        Move::Deliver if shipment.delivered => Err(FulfilmentError::AlreadyDelivered),
        Move::Return if shipment.returned => Err(FulfilmentError::AlreadyReturned),
        _ => Ok(()),
    }
}

/// The longest carrier name and tracking number.
pub const MAX_TEXT: usize = 80;
/// The longest tracking link.
pub const MAX_URL: usize = 500;

/// A shipment as the merchant's form sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShipmentInput {
    pub carrier: String,
    pub tracking_number: String,
    /// Empty for none.
    pub tracking_url: String,
    /// (product id, quantity); lines of 0 are left out.
    pub lines: Vec<(i64, i64)>,
}

/// A checked shipment, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewShipment {
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    /// (product id, quantity), each quantity ≥ 1 and within what is left.
    pub lines: Vec<(i64, i64)>,
}

fn clean(value: &str, field: &'static str) -> Result<String, FulfilmentError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(FulfilmentError::ControlCharacters(field.into()));
    }
    if value.is_empty() {
        return Err(FulfilmentError::Missing(field.into()));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(FulfilmentError::TooLong(field.into(), MAX_TEXT));
    }
    Ok(value.to_string())
}

/// An https link with a host, at most [`MAX_URL`] characters, no spaces or control characters.
pub fn check_tracking_url(url: &str) -> Result<Option<String>, FulfilmentError> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    if url.chars().count() > MAX_URL {
        return Err(FulfilmentError::TooLong("tracking link".into(), MAX_URL));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(FulfilmentError::BadUrl);
    }
    let Some(rest) = url
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])
    else {
        return Err(FulfilmentError::BadUrl);
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_ok = !host.is_empty()
        && !host.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok || url.contains(['"', '<', '>', '\\']) {
        return Err(FulfilmentError::BadUrl);
    }
    Ok(Some(url.to_string()))
}

/// Checks a new shipment against what is left to ship (`remaining`, per product; `name` gives
/// a product's name for the message).
pub fn validate(
    input: &ShipmentInput,
    remaining: &BTreeMap<i64, i64>,
    name: impl Fn(i64) -> String,
) -> Result<NewShipment, FulfilmentError> {
    let carrier = clean(&input.carrier, "carrier")?;
    let tracking_number = clean(&input.tracking_number, "tracking number")?;
    let tracking_url = check_tracking_url(&input.tracking_url)?;
    let mut lines: Vec<(i64, i64)> = Vec::new();
    for &(product, quantity) in &input.lines {
        if lines.iter().any(|(p, _)| *p == product) {
            return Err(FulfilmentError::DuplicateLine);
        }
        let Some(&left) = remaining.get(&product) else {
            return Err(FulfilmentError::UnknownLine);
        };
        if quantity < 0 || quantity > left {
            return Err(FulfilmentError::TooMany {
                name: name(product),
                left,
            });
        }
        if quantity > 0 {
            lines.push((product, quantity));
        }
    }
    if lines.is_empty() {
        return Err(FulfilmentError::NoLines);
    }
    Ok(NewShipment {
        carrier,
        tracking_number,
        tracking_url,
        lines,
    })
}

/// The form's lines as typed: `product:quantity` pairs separated by commas (`12:1,14:2`).
pub fn parse_lines(text: &str) -> Result<Vec<(i64, i64)>, FulfilmentError> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (product, quantity) = pair.split_once(':').ok_or(FulfilmentError::UnknownLine)?;
            let product = product
                .trim()
                .parse()
                .map_err(|_| FulfilmentError::UnknownLine)?;
            let quantity: i64 = quantity
                .trim()
                .parse()
                .map_err(|_| FulfilmentError::NoLines)?;
            Ok((product, quantity))
        })
        .collect()
}

/// A form's one-use key (a double submit sends the same one): 8 to 64 letters and digits.
pub fn check_request_key(key: &str) -> Result<(), FulfilmentError> {
    if (8..=64).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(FulfilmentError::BadRequestKey)
    }
}

/// What the "Your order has shipped" email says about the parcel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentNotice {
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    /// What this parcel carries: (name, quantity).
    pub items: Vec<(String, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ordered(lines: &[(i64, i64)]) -> Vec<OrderedLine> {
        lines
            .iter()
            .map(|&(product_id, quantity)| OrderedLine {
                product_id,
                quantity,
            })
            .collect()
    }

    fn shipment(lines: &[(i64, i64)]) -> ShipmentFacts {
        ShipmentFacts {
            lines: lines.to_vec(),
            ..Default::default()
        }
    }

    fn input(lines: &[(i64, i64)]) -> ShipmentInput {
        ShipmentInput {
            carrier: "UPS".into(),
            tracking_number: "1Z999AA10123456784".into(),
            tracking_url: "https://www.ups.com/track?tracknum=1Z999AA10123456784".into(),
            lines: lines.to_vec(),
        }
    }

    #[test]
    fn the_status_follows_the_shipments() {
        let order = ordered(&[(1, 2), (2, 1)]);
        use FulfilmentStatus::*;
        assert_eq!(status(&order, &[], false), Unfulfilled);
        assert_eq!(status(&order, &[], true), Canceled);
        let first = shipment(&[(1, 1)]);
        assert_eq!(
            status(&order, std::slice::from_ref(&first), false),
            PartiallyShipped
        );
        let second = shipment(&[(1, 1), (2, 1)]);
        let both = vec![first.clone(), second.clone()];
        assert_eq!(status(&order, &both, false), Shipped);
        let mut delivered = both.clone();
        delivered[0].delivered = true;
        assert_eq!(status(&order, &delivered, false), Shipped);
        delivered[1].delivered = true;
        assert_eq!(status(&order, &delivered, false), Delivered);
        // One came back, the other arrived: delivered (what is kept arrived).
        delivered[0].returned = true;
        assert_eq!(status(&order, &delivered, false), Delivered);
        delivered[1].returned = true;
        assert_eq!(status(&order, &delivered, false), Returned);
        // A return does not put the goods back in the queue.
        assert_eq!(
            remaining(&order, &delivered),
            BTreeMap::from([(1, 0), (2, 0)])
        );
    }

    #[test]
    fn only_paid_orders_ship_and_only_untouched_ones_cancel() {
        use FulfilmentStatus::*;
        for payment in OrderStatus::ALL {
            for fulfilment in FulfilmentStatus::ALL {
                let ship = allows(payment, fulfilment, Move::Ship).is_ok();
                assert_eq!(
                    ship,
                    payment.fulfils() && matches!(fulfilment, Unfulfilled | PartiallyShipped),
                    "{payment:?} {fulfilment:?}"
                );
                let cancel = allows(payment, fulfilment, Move::Cancel).is_ok();
                assert_eq!(cancel, payment.fulfils() && fulfilment == Unfulfilled);
            }
        }
        assert_eq!(
            allows(OrderStatus::Pending, Unfulfilled, Move::Ship)
                .unwrap_err()
                .to_string(),
            "Only a paid order can be shipped; this one is “Awaiting payment”."
        );
    }

    #[test]
    fn a_shipment_is_delivered_once_and_returned_once() {
        let mut s = shipment(&[(1, 1)]);
        assert!(check_shipment_move(&s, Move::Deliver).is_ok());
        s.delivered = true;
        assert_eq!(
            check_shipment_move(&s, Move::Deliver),
            Err(FulfilmentError::AlreadyDelivered)
        );
        assert!(check_shipment_move(&s, Move::Return).is_ok());
        s.returned = true;
        assert_eq!(
            check_shipment_move(&s, Move::Return),
            Err(FulfilmentError::AlreadyReturned)
        );
    }

    #[test]
    fn a_shipment_carries_what_is_left_and_nothing_else() {
        let left = BTreeMap::from([(1, 2), (2, 1)]);
        let name = |p: i64| format!("product {p}");
        let ok = validate(&input(&[(1, 2), (2, 0)]), &left, name).unwrap();
        assert_eq!(ok.lines, vec![(1, 2)]);
        assert_eq!(ok.carrier, "UPS");
        assert_eq!(
            validate(&input(&[(1, 3)]), &left, name),
            Err(FulfilmentError::TooMany {
                name: "product 1".into(),
                left: 2
            })
        );
        assert_eq!(
            validate(&input(&[(1, -1)]), &left, name),
            Err(FulfilmentError::TooMany {
                name: "product 1".into(),
                left: 2
            })
        );
        assert_eq!(
            validate(&input(&[(9, 1)]), &left, name),
            Err(FulfilmentError::UnknownLine)
        );
        assert_eq!(
            validate(&input(&[(1, 1), (1, 1)]), &left, name),
            Err(FulfilmentError::DuplicateLine)
        );
        assert_eq!(
            validate(&input(&[(1, 0)]), &left, name),
            Err(FulfilmentError::NoLines)
        );
        assert_eq!(
            validate(&input(&[]), &left, name),
            Err(FulfilmentError::NoLines)
        );
    }

    #[test]
    fn carrier_tracking_number_and_link_are_checked() {
        let left = BTreeMap::from([(1, 1)]);
        let name = |_| String::new();
        let with = |f: &dyn Fn(&mut ShipmentInput)| {
            let mut i = input(&[(1, 1)]);
            f(&mut i);
            validate(&i, &left, name)
        };
        assert_eq!(
            with(&|i| i.carrier = "  ".into()),
            Err(FulfilmentError::Missing("carrier".into()))
        );
        assert_eq!(
            with(&|i| i.tracking_number = "x".repeat(81)),
            Err(FulfilmentError::TooLong("tracking number".into(), 80))
        );
        assert!(with(&|i| i.tracking_number = "é".repeat(80)).is_ok());
        assert_eq!(
            with(&|i| i.carrier = "UPS\u{7}".into()),
            Err(FulfilmentError::ControlCharacters("carrier".into()))
        );
        assert_eq!(
            with(&|i| i.tracking_url = String::new())
                .unwrap()
                .tracking_url,
            None
        );
        for bad in [
            "http://ups.com/t",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://user@evil.example/",
            "https://ups.com/a b",
            "ftp://ups.com",
            "https://ups.com/\"><script>",
        ] {
            assert_eq!(
                with(&|i| i.tracking_url = bad.into()),
                Err(FulfilmentError::BadUrl),
                "{bad}"
            );
        }
        let long = format!("https://ups.com/{}", "a".repeat(490));
        assert_eq!(
            with(&|i| i.tracking_url = long.clone()),
            Err(FulfilmentError::TooLong("tracking link".into(), 500))
        );
        assert!(with(&|i| i.tracking_url = "HTTPS://ups.com:443/t?x=1#y".into()).is_ok());
    }

    #[test]
    fn form_lines_and_keys_are_read() {
        assert_eq!(parse_lines("12:1, 14:2,"), Ok(vec![(12, 1), (14, 2)]));
        assert_eq!(parse_lines(""), Ok(vec![]));
        assert!(parse_lines("12").is_err());
        assert!(parse_lines("a:1").is_err());
        assert!(check_request_key("abcdefgh").is_ok());
        assert!(check_request_key("short").is_err());
        assert!(check_request_key("has space 123").is_err());
        assert!(check_request_key(&"a".repeat(65)).is_err());
    }

    #[test]
    fn the_shipped_email_names_the_carrier_the_tracking_number_and_its_link() {
        use crate::domain::money::{Currency, Money};
        use crate::domain::receipts::{render, Message, OrderSummary, Shop};
        let usd = Currency::parse("USD").unwrap();
        let message = Message::Shipped {
            // Built as the outbox stores it, whatever else a summary carries.
            order: serde_json::from_value::<OrderSummary>(serde_json::json!({
                "order_id": "ord_1",
                "lines": [],
                "total": Money::new(1850, usd),
            }))
            .unwrap(),
            shipment: ShipmentNotice {
                carrier: "UPS <Ground>".into(),
                tracking_number: "1Z999".into(),
                tracking_url: Some("https://ups.example/t?n=1Z999&x=1".into()),
                items: vec![("Stoneware Mug".into(), 2)],
            },
        };
        let shop = Shop {
            name: "Hearth & Kettle",
            base_url: "https://shop.example",
        };
        let r = render(&message, &shop);
        assert_eq!(r.subject, "Your order has shipped: order ord_1");
        assert!(r
            .text
            .contains("on its way with UPS <Ground>. Tracking number: 1Z999."));
        assert!(r.text.contains("https://ups.example/t?n=1Z999&x=1"));
        assert!(r.text.contains("2 × Stoneware Mug"));
        assert!(r.text.contains("https://shop.example/orders/ord_1"));
        assert!(r.html.contains("UPS &lt;Ground&gt;"));
        assert!(r
            .html
            .contains("href=\"https://ups.example/t?n=1Z999&amp;x=1\""));
        // Stored as JSON in the outbox and read back the same.
        let json = serde_json::to_string(&message).unwrap();
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), message);
    }

    fn order_strategy() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop::collection::btree_map(1i64..8, 1i64..6, 1..5)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
    }

    proptest! {
        /// Any lines typed into the form: an answer, never a panic; what is accepted fits what
        /// is left, line by line, and carries something.
        #[test]
        fn accepted_shipments_fit_what_is_left(
            order in order_strategy(),
            lines in prop::collection::vec((0i64..10, -3i64..10), 0..6),
            carrier in ".{0,90}",
            url in ".{0,40}",
        ) {
            let left = remaining(&ordered(&order), &[]);
            let i = ShipmentInput { carrier, tracking_number: "T1".into(), tracking_url: url, lines };
            if let Ok(s) = validate(&i, &left, |p| p.to_string()) {
                prop_assert!(!s.lines.is_empty());
                for (p, q) in &s.lines {
                    prop_assert!(*q >= 1 && *q <= left[p]);
                }
                prop_assert!(s.carrier.chars().count() <= MAX_TEXT && !s.carrier.is_empty());
                if let Some(u) = s.tracking_url {
                    prop_assert!(u.to_ascii_lowercase().starts_with("https://"));
                }
            }
        }

        /// Shipping what is left, in any number of parcels, ends `shipped`; before the last one
        /// the order is partially shipped; delivering every parcel makes it delivered.
        #[test]
        fn shipping_everything_in_parts_ends_shipped(order in order_strategy(), split in 1usize..4) {
            let lines = ordered(&order);
            let mut shipments: Vec<ShipmentFacts> = Vec::new();
            for part in 0..split {
                let left = remaining(&lines, &shipments);
                let take: Vec<(i64, i64)> = left
                    .iter()
                    .filter(|(_, l)| **l > 0)
                    .map(|(p, l)| (*p, if part + 1 == split { *l } else { (*l / 2).max(1) }))
                    .collect();
                if take.is_empty() {
                    break;
                }
                let input = ShipmentInput { carrier: "DHL".into(), tracking_number: "1".into(), tracking_url: String::new(), lines: take.clone() };
                prop_assert!(validate(&input, &left, |p| p.to_string()).is_ok());
                shipments.push(shipment(&take));
                let now = status(&lines, &shipments, false);
                let done = remaining(&lines, &shipments).values().all(|l| *l == 0);
                prop_assert_eq!(now, if done { FulfilmentStatus::Shipped } else { FulfilmentStatus::PartiallyShipped });
            }
            prop_assert_eq!(status(&lines, &shipments, false), FulfilmentStatus::Shipped);
            for s in &mut shipments { s.delivered = true; }
            prop_assert_eq!(status(&lines, &shipments, false), FulfilmentStatus::Delivered);
            // Nothing more can be shipped.
            let left = remaining(&lines, &shipments);
            let more = ShipmentInput { carrier: "DHL".into(), tracking_number: "2".into(), tracking_url: String::new(), lines: vec![(order[0].0, 1)] };
            prop_assert!(validate(&more, &left, |p| p.to_string()).is_err());
        }

        /// Remaining never goes below zero nor above what was ordered, whatever the shipments say.
        #[test]
        fn remaining_stays_within_the_order(
            order in order_strategy(),
            shipped in prop::collection::vec(prop::collection::vec((0i64..10, -5i64..10), 0..4), 0..4),
        ) {
            let lines = ordered(&order);
            let shipments: Vec<ShipmentFacts> = shipped.iter().map(|l| shipment(l)).collect();
            let left = remaining(&lines, &shipments);
            for (p, q) in &order {
                prop_assert!(left[p] >= 0 && left[p] <= *q);
            }
        }
    }
}
