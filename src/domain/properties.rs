//! Property tests of the domain's parsers and money arithmetic: arbitrary input gets an answer,
//! never a panic, and what is accepted means what it says.

use super::cart::{check_quantity, check_requested, MAX_LINE_QUANTITY};
use super::email::Email;
use super::money::{Currency, Money};
use proptest::prelude::*;

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["USD", "EUR", "JPY", "KWD", "GBP"])
        .prop_map(|c| Currency::parse(c).unwrap())
}

proptest! {
    /// Any amount printed in major units reads back as the same minor units.
    #[test]
    fn major_units_round_trip(minor in 0i64..1_000_000_000_000, currency in currency()) {
        let money = Money::new(minor, currency.clone());
        let text = money.to_major_string();
        prop_assert_eq!(Money::parse_major(&text, &currency), Ok(money));
    }

    /// Any text typed as an amount: an amount or an error, never a panic or a negative.
    #[test]
    fn typed_amounts_never_panic(text in ".{0,40}", currency in currency()) {
        if let Ok(money) = Money::parse_major(&text, &currency) {
            prop_assert!(money.minor >= 0);
        }
    }

    /// Adding and multiplying fail on overflow instead of wrapping.
    #[test]
    fn arithmetic_never_wraps(a in any::<i64>(), b in any::<i64>(), q in any::<i64>()) {
        let usd = Currency::parse("USD").unwrap();
        let (x, y) = (Money::new(a, usd.clone()), Money::new(b, usd));
        match x.checked_add(&y) {
            Ok(sum) => prop_assert_eq!(Some(sum.minor), a.checked_add(b)),
            Err(_) => prop_assert!(a.checked_add(b).is_none()),
        }
        match x.checked_mul(q) {
            Ok(product) => prop_assert_eq!(Some(product.minor), a.checked_mul(q)),
            Err(_) => prop_assert!(a.checked_mul(q).is_none() || q < 0),
        }
    }

    #[test]
    fn currency_codes_are_three_letters(text in ".{0,8}") {
        if let Ok(c) = Currency::parse(&text) {
            prop_assert_eq!(c.code().len(), 3);
            prop_assert!(c.code().chars().all(|ch| ch.is_ascii_uppercase()));
        }
    }

    /// Accepted quantities are within the line's limits; nothing else is.
    #[test]
    fn quantities_within_limits(quantity in any::<i64>(), stock in any::<i64>()) {
        prop_assert_eq!(check_requested(quantity).is_ok(), (1..=MAX_LINE_QUANTITY).contains(&quantity));
        if check_quantity(quantity, stock).is_ok() {
            prop_assert!(quantity >= 1 && quantity <= stock && quantity <= MAX_LINE_QUANTITY);
        }
    }

    /// Any text as an email: an answer, never a panic; an accepted one has one `@` with text
    /// on both sides and no spaces.
    #[test]
    fn emails_never_panic(text in ".{0,80}") {
        if let Ok(email) = Email::parse(&text) {
            let e = email.as_str();
            let (local, domain) = e.rsplit_once('@').unwrap();
            prop_assert!(!local.is_empty() && !domain.is_empty());
            prop_assert!(!e.chars().any(char::is_whitespace));
        }
    }
}

mod pricing {
    use crate::domain::address::{Address, AddressInput, MAX_FIELD};
    use crate::domain::money::Currency;
    use crate::domain::pricing::{
        price, tax_of, Choices, Discount, DiscountKind, PricedLine, RateKind, ShippingRate,
        TaxMode, TaxRate,
    };
    use proptest::prelude::*;

    fn lines() -> impl Strategy<Value = Vec<PricedLine>> {
        prop::collection::vec(
            (1i64..2_000_000, 1i64..=99, 0i64..20_000).prop_map(|(unit, quantity, grams)| {
                PricedLine {
                    product_id: unit,
                    unit_price: unit,
                    quantity,
                    weight_grams: grams,
                }
            }),
            1..8,
        )
    }

    fn rate() -> impl Strategy<Value = Option<ShippingRate>> {
        prop_oneof![
            Just(None),
            (0i64..100_000).prop_map(|amount| Some(RateKind::Flat { amount })),
            (0i64..100_000, 1i64..1_000_000)
                .prop_map(|(amount, threshold)| Some(RateKind::FreeOver { amount, threshold })),
            (0i64..100_000, 0i64..10_000)
                .prop_map(|(base, per_kg)| Some(RateKind::ByWeight { base, per_kg })),
        ]
        .prop_map(|kind| {
            kind.map(|kind| ShippingRate {
                id: 1,
                name: "Rate".into(),
                kind,
            })
        })
    }

    fn tax() -> impl Strategy<Value = Option<TaxRate>> {
        prop::option::of(
            (0i64..=10_000, any::<bool>()).prop_map(|(rate_bp, on_shipping)| TaxRate {
                name: "Tax".into(),
                rate_bp,
                applies_to_shipping: on_shipping,
            }),
        )
    }

    fn discount() -> impl Strategy<Value = Option<Discount>> {
        prop::option::of(
            prop_oneof![
                (1i64..=10_000).prop_map(|bp| DiscountKind::Percent { bp }),
                (1i64..50_000_000).prop_map(|amount| DiscountKind::Fixed { amount }),
            ]
            .prop_map(|kind| Discount {
                code: "CODE".into(),
                kind,
                min_subtotal: 0,
                starts_at: None,
                ends_at: None,
            }),
        )
    }

    fn currency() -> impl Strategy<Value = Currency> {
        prop::sample::select(vec!["USD", "JPY", "KWD", "EUR"])
            .prop_map(|c| Currency::parse(c).unwrap())
    }

    fn mode() -> impl Strategy<Value = TaxMode> {
        prop_oneof![Just(TaxMode::Inclusive), Just(TaxMode::Exclusive)]
    }

    proptest! {
        /// items − discount + shipping (+ tax when exclusive) is the total, every part is
        /// non-negative, the discount never passes the items, and the lines add up to the parts.
        #[test]
        fn the_parts_add_up_to_the_total(
            lines in lines(), rate in rate(), tax in tax(), discount in discount(),
            currency in currency(), mode in mode(),
        ) {
            let choices = Choices { shipping: rate.as_ref(), tax: tax.as_ref(), discount: discount.as_ref() };
            let b = price(&lines, &currency, mode, &choices).unwrap();
            let added = if mode == TaxMode::Exclusive { b.tax.minor } else { 0 };
            prop_assert_eq!(b.total.minor, b.items.minor - b.discount.minor + b.shipping.minor + added);
            prop_assert!(b.total.minor >= 0 && b.discount.minor >= 0 && b.tax.minor >= 0 && b.shipping.minor >= 0);
            prop_assert!(b.discount.minor <= b.items.minor);
            prop_assert_eq!(b.lines.iter().map(|l| l.amount).sum::<i64>(), b.items.minor);
            prop_assert_eq!(b.lines.iter().map(|l| l.discount).sum::<i64>(), b.discount.minor);
            prop_assert_eq!(b.lines.iter().map(|l| l.tax).sum::<i64>() + b.shipping_tax.minor, b.tax.minor);
            for l in &b.lines {
                prop_assert!(l.discount <= l.amount);
                if mode == TaxMode::Inclusive {
                    prop_assert!(l.tax <= l.amount - l.discount);
                }
            }
            prop_assert!(b.total.currency == currency);
        }

        /// Each tax is the exact tax rounded half up: within half a minor unit, and a half
        /// goes up.
        #[test]
        fn tax_rounds_half_up(net in 0i64..10_000_000_000, bp in 0i64..=10_000, mode in mode()) {
            let tax = tax_of(net, bp, mode) as i128;
            let (n, d) = match mode {
                TaxMode::Inclusive => (net as i128 * bp as i128, 10_000 + bp as i128),
                TaxMode::Exclusive => (net as i128 * bp as i128, 10_000),
            };
            // |tax − n/d| ≤ 1/2, and exactly 1/2 only when rounding up: 2(tax·d − n) ∈ (−d, d].
            let twice_error = 2 * (tax * d - n);
            prop_assert!(twice_error > -d && twice_error <= d, "tax {} of {}/{}", tax, n, d);
        }

        /// Any text in the address form: an address or an error, never a panic; an accepted
        /// address has no control characters and no field over the limit.
        #[test]
        fn addresses_never_panic(
            name in ".{0,120}", line1 in ".{0,120}", city in ".{0,30}", region in ".{0,4}",
            postal in "[A-Z0-9 -]{0,10}", country in prop::sample::select(vec!["US", "GB", "DE", "CA", "IE", "XX", "", "jp"]),
        ) {
            let input = AddressInput { name, line1, line2: String::new(), city, region, postal_code: postal, country: country.into() };
            if let Ok(a) = Address::parse(&input) {
                for field in [&a.name, &a.line1, &a.city, &a.region, &a.postal_code] {
                    prop_assert!(!field.chars().any(char::is_control));
                    prop_assert!(field.chars().count() <= MAX_FIELD);
                }
                prop_assert!(!a.name.is_empty() && !a.line1.is_empty() && !a.city.is_empty());
            }
        }
    }
}
