//! What an order costs: items, shipping, discount and tax, computed once, here, from database
//! prices and the merchant's settings. Pure: the server loads the cart, the rate, the tax rate
//! and the code and hands them in; the browser never sends an amount.
//!
//! The rules, stated once:
//! - **Discount** applies to the items, never to shipping; it is at most the items' subtotal.
//!   A percentage is taken per line; a fixed amount is shared between the lines in proportion
//!   to their amounts (largest remainder), so the lines' shares always add up to it.
//! - **Shipping** is priced on the items after discount (a "free over" threshold counts what the
//!   shopper pays for the goods) and on the order's weight (each *started* kilogram).
//! - **Tax** is computed **per line** (and on shipping where the rate says so) on the amount
//!   after discount, and each amount is rounded to the currency's minor unit **half up** (a half
//!   goes away from zero; no amount here is negative). Inclusive (VAT style): the tax is the part
//!   of the price that is tax, `net × r / (1 + r)`, and the total does not grow. Exclusive (US
//!   sales-tax style): `net × r` is added to the total.
//! - **Total** = items − discount + shipping (+ tax when exclusive).

use super::money::{Currency, Money, MoneyError};
use serde::{Deserialize, Serialize};

/// Whether catalog prices include tax (`TAX_MODE=inclusive|exclusive`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// Prices include tax (VAT style): the tax line says how much of the total is tax.
    Inclusive,
    /// Tax is added on top (US sales-tax style).
    Exclusive,
}

impl TaxMode {
    pub fn parse(text: &str) -> Option<TaxMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "inclusive" => Some(TaxMode::Inclusive),
            "exclusive" => Some(TaxMode::Exclusive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaxMode::Inclusive => "inclusive",
            TaxMode::Exclusive => "exclusive",
        }
    }
}

/// How a shipping rate is priced, in minor units of the shop's currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RateKind {
    Flat {
        amount: i64,
    },
    /// `amount`, or nothing once the items (after discount) reach `threshold`.
    FreeOver {
        amount: i64,
        threshold: i64,
    },
    /// `base`, plus `per_kg` for each started kilogram.
    ByWeight {
        base: i64,
        per_kg: i64,
    },
}

/// One way to ship, as the merchant configured it for a zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingRate {
    pub id: i64,
    pub name: String,
    pub kind: RateKind,
}

impl ShippingRate {
    /// What this rate costs for items worth `items` (after discount) weighing `grams`.
    pub fn price(&self, items: &Money, grams: i64) -> Result<Money, MoneyError> {
        let currency = items.currency.clone();
        let minor = match self.kind {
            RateKind::Flat { amount } => amount,
            RateKind::FreeOver { amount, threshold } => {
                if items.minor >= threshold {
                    0
                } else {
                    amount
                }
            }
            RateKind::ByWeight { base, per_kg } => {
                let started_kg = (grams.max(0) + 999) / 1000;
                per_kg
                    .checked_mul(started_kg)
                    .and_then(|w| w.checked_add(base))
                    .ok_or(MoneyError::Overflow)?
            }
        };
        Ok(Money::new(minor, currency))
    }

    /// The rate's rule in words ("Free from $75.00").
    pub fn describe(&self, currency: &Currency) -> String {
        let m = |minor| Money::new(minor, currency.clone());
        match self.kind {
            RateKind::Flat { .. } => "Flat rate".into(),
            RateKind::FreeOver { threshold, .. } => format!("Free from {}", m(threshold)),
            RateKind::ByWeight { base, per_kg } => {
                format!("{} plus {} per kg", m(base), m(per_kg))
            }
        }
    }
}

/// The tax that applies to an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    pub name: String,
    /// Basis points: 2000 is 20 %.
    pub rate_bp: i64,
    pub applies_to_shipping: bool,
}

impl TaxRate {
    /// "VAT 20%", "Sales tax 8.88%".
    pub fn label(&self) -> String {
        let (whole, frac) = (self.rate_bp / 100, self.rate_bp % 100);
        if frac == 0 {
            format!("{} {whole}%", self.name)
        } else {
            let frac = format!("{frac:02}");
            format!("{} {whole}.{}%", self.name, frac.trim_end_matches('0'))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiscountKind {
    /// Basis points off each line: 1000 is 10 %.
    Percent { bp: i64 },
    /// Minor units off the items.
    Fixed { amount: i64 },
}

/// A discount code as it applies to an order (its limits are counted in the database).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub code: String,
    pub kind: DiscountKind,
    /// The items' subtotal the code needs, in minor units.
    pub min_subtotal: i64,
    /// Unix seconds; the code works from `starts_at` and until `ends_at`.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

/// Why a code does not apply. Shown to the shopper as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DiscountError {
    #[error("The code “{0}” does not exist.")]
    Unknown(String),
    #[error("The code “{0}” is not valid yet.")]
    NotStarted(String),
    #[error("The code “{0}” has expired.")]
    Expired(String),
    #[error("The code “{code}” needs a subtotal of at least {minimum}.")]
    BelowMinimum { code: String, minimum: Money },
    #[error("The code “{0}” has been used up.")]
    UsedUp(String),
    #[error("You have already used the code “{0}”.")]
    UsedByYou(String),
}

impl Discount {
    /// Whether the code applies to items worth `subtotal` at `now` (limits aside).
    pub fn check(&self, subtotal: &Money, now: i64) -> Result<(), DiscountError> {
        if self.starts_at.is_some_and(|s| now < s) {
            return Err(DiscountError::NotStarted(self.code.clone()));
        }
        if self.ends_at.is_some_and(|e| now >= e) {
            return Err(DiscountError::Expired(self.code.clone()));
        }
        if subtotal.minor < self.min_subtotal {
            return Err(DiscountError::BelowMinimum {
                code: self.code.clone(),
                minimum: Money::new(self.min_subtotal, subtotal.currency.clone()),
            });
        }
        Ok(())
    }

    /// "10% off", "$5.00 off".
    pub fn describe(&self, currency: &Currency) -> String {
        match self.kind {
            DiscountKind::Percent { bp } => {
                let rate = TaxRate {
                    name: String::new(),
                    rate_bp: bp,
                    applies_to_shipping: false,
                };
                format!("{} off", rate.label().trim())
            }
            DiscountKind::Fixed { amount } => {
                format!("{} off", Money::new(amount, currency.clone()))
            }
        }
    }
}

/// A cart line as pricing needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedLine {
    pub product_id: i64,
    pub unit_price: i64,
    pub quantity: i64,
    pub weight_grams: i64,
}

/// What one line costs: its amount (unit price × quantity), its share of the discount, its tax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCharge {
    pub product_id: i64,
    pub amount: i64,
    pub discount: i64,
    pub tax: i64,
}

/// How an order's total is made. Stored with the order (a later change of a rate, a tax or a
/// code never rewrites it) and shown line by line on every page that shows the order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Sum of unit price × quantity.
    pub items: Money,
    pub discount: Money,
    pub discount_code: Option<String>,
    pub shipping: Money,
    pub shipping_name: Option<String>,
    /// All tax: the lines' and the shipping's.
    pub tax: Money,
    pub shipping_tax: Money,
    pub tax_mode: TaxMode,
    /// "VAT 20%", when a tax rate applies.
    pub tax_label: Option<String>,
    pub tax_rate_bp: i64,
    pub total: Money,
    pub lines: Vec<LineCharge>,
}

impl Breakdown {
    /// The price of an order from before shipping, tax and discounts: its items only.
    pub fn items_only(total: Money) -> Breakdown {
        let zero = Money::zero(total.currency.clone());
        Breakdown {
            items: total.clone(),
            discount: zero.clone(),
            discount_code: None,
            shipping: zero.clone(),
            shipping_name: None,
            tax: zero.clone(),
            shipping_tax: zero,
            tax_mode: TaxMode::Inclusive,
            tax_label: None,
            tax_rate_bp: 0,
            total,
            lines: Vec::new(),
        }
    }

    /// The tax line's wording: "Includes VAT 20%" or "Sales tax 8.5%".
    pub fn tax_caption(&self) -> String {
        let label = self.tax_label.clone().unwrap_or_else(|| "Tax".into());
        match self.tax_mode {
            TaxMode::Inclusive => format!("Includes {label}"),
            TaxMode::Exclusive => label,
        }
    }
}

/// `n / d` rounded half up, for `n >= 0`, `d > 0`.
fn div_round_half_up(n: i128, d: i128) -> i128 {
    (2 * n + d) / (2 * d)
}

/// The tax in `net` at `rate_bp`, rounded half up.
pub fn tax_of(net: i64, rate_bp: i64, mode: TaxMode) -> i64 {
    let (net, bp) = (net.max(0) as i128, rate_bp.clamp(0, 10_000) as i128);
    let tax = match mode {
        TaxMode::Inclusive => div_round_half_up(net * bp, 10_000 + bp),
        TaxMode::Exclusive => div_round_half_up(net * bp, 10_000),
    };
    tax as i64
}

/// Shares `total` between `weights` in proportion, largest remainder first (ties to the earlier
/// line): the shares add up to `total` exactly.
fn share(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|&w| w.max(0) as i128).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<(i64, i128)> = weights
        .iter()
        .map(|&w| {
            let n = total as i128 * w.max(0) as i128;
            ((n / sum) as i64, n % sum)
        })
        .collect();
    let mut shares: Vec<i64> = exact.iter().map(|(s, _)| *s).collect();
    let left = total - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in order.iter().take(left.max(0) as usize) {
        shares[i] += 1;
    }
    shares
}

/// What the shopper chose that prices the order, with what the merchant configured for it.
#[derive(Clone, Debug, Default)]
pub struct Choices<'a> {
    pub shipping: Option<&'a ShippingRate>,
    pub tax: Option<&'a TaxRate>,
    pub discount: Option<&'a Discount>,
}

/// Prices the lines: see the module's rules. Errs on overflow rather than show a wrong number.
pub fn price(
    lines: &[PricedLine],
    currency: &Currency,
    mode: TaxMode,
    choices: &Choices<'_>,
) -> Result<Breakdown, MoneyError> {
    let money = |minor: i64| Money::new(minor, currency.clone());
    let amounts: Vec<i64> = lines
        .iter()
        .map(|l| {
            l.unit_price
                .checked_mul(l.quantity)
                .ok_or(MoneyError::Overflow)
        })
        .collect::<Result<_, _>>()?;
    let items = amounts
        .iter()
        .try_fold(0i64, |a, &b| a.checked_add(b))
        .ok_or(MoneyError::Overflow)?;
    let discounts: Vec<i64> = match choices.discount.map(|d| &d.kind) {
        None => vec![0; lines.len()],
        Some(DiscountKind::Percent { bp }) => amounts
            .iter()
            .map(|&a| div_round_half_up(a as i128 * (*bp).clamp(0, 10_000) as i128, 10_000) as i64)
            .collect(),
        Some(DiscountKind::Fixed { amount }) => share((*amount).clamp(0, items), &amounts),
    };
    let discount: i64 = discounts.iter().sum();
    let goods = items - discount;
    let grams = lines
        .iter()
        .try_fold(0i64, |g, l| {
            l.weight_grams
                .max(0)
                .checked_mul(l.quantity)
                .and_then(|w| g.checked_add(w))
        })
        .ok_or(MoneyError::Overflow)?;
    let shipping = match choices.shipping {
        Some(rate) => rate.price(&money(goods), grams)?.minor,
        None => 0,
    };
    let rate_bp = choices.tax.map_or(0, |t| t.rate_bp);
    let charges: Vec<LineCharge> = lines
        .iter()
        .zip(amounts.iter().zip(&discounts))
        .map(|(line, (&amount, &discount))| LineCharge {
            product_id: line.product_id,
            amount,
            discount,
            tax: tax_of(amount - discount, rate_bp, mode),
        })
        .collect();
    let shipping_tax = match choices.tax {
        Some(t) if t.applies_to_shipping => tax_of(shipping, t.rate_bp, mode),
        _ => 0,
    };
    let tax = charges
        .iter()
        .try_fold(shipping_tax, |t, c| t.checked_add(c.tax))
        .ok_or(MoneyError::Overflow)?;
    let mut total = goods.checked_add(shipping).ok_or(MoneyError::Overflow)?;
    if mode == TaxMode::Exclusive {
        total = total.checked_add(tax).ok_or(MoneyError::Overflow)?;
    }
    Ok(Breakdown {
        items: money(items),
        discount: money(discount),
        discount_code: choices.discount.map(|d| d.code.clone()),
        shipping: money(shipping),
        shipping_name: choices.shipping.map(|r| r.name.clone()),
        tax: money(tax),
        shipping_tax: money(shipping_tax),
        tax_mode: mode,
        tax_label: choices.tax.map(TaxRate::label),
        tax_rate_bp: rate_bp,
        total: money(total),
        lines: charges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn line(id: i64, unit: i64, qty: i64, grams: i64) -> PricedLine {
        PricedLine {
            product_id: id,
            unit_price: unit,
            quantity: qty,
            weight_grams: grams,
        }
    }

    fn rate(kind: RateKind) -> ShippingRate {
        ShippingRate {
            id: 1,
            name: "Standard".into(),
            kind,
        }
    }

    fn vat(bp: i64, shipping: bool) -> TaxRate {
        TaxRate {
            name: "VAT".into(),
            rate_bp: bp,
            applies_to_shipping: shipping,
        }
    }

    fn code(kind: DiscountKind) -> Discount {
        Discount {
            code: "SAVE".into(),
            kind,
            min_subtotal: 0,
            starts_at: None,
            ends_at: None,
        }
    }

    #[test]
    fn inclusive_vat_by_hand() {
        // 2 × $28.00 + $18.50 = $74.50; 20 % VAT inside: 5600/6 = 933.33 → 933,
        // 1850/6 = 308.33 → 308; shipping $8.00: 800/6 = 133.33 → 133.
        let lines = [line(1, 2800, 2, 600), line(2, 1850, 1, 400)];
        let flat = rate(RateKind::Flat { amount: 800 });
        let tax = vat(2000, true);
        let b = price(
            &lines,
            &usd(),
            TaxMode::Inclusive,
            &Choices {
                shipping: Some(&flat),
                tax: Some(&tax),
                discount: None,
            },
        )
        .unwrap();
        assert_eq!(b.items.minor, 7450);
        assert_eq!(b.shipping.minor, 800);
        assert_eq!(
            b.lines.iter().map(|l| l.tax).collect::<Vec<_>>(),
            vec![933, 308]
        );
        assert_eq!(b.shipping_tax.minor, 133);
        assert_eq!(b.tax.minor, 933 + 308 + 133);
        assert_eq!(b.total.minor, 8250);
        assert_eq!(b.tax_caption(), "Includes VAT 20%");
    }

    #[test]
    fn exclusive_sales_tax_by_hand_with_halves_rounded_up() {
        // 8.5 % of $10.00 = 85.0; of $0.30 = 2.55 → 3 (half up); shipping untaxed.
        let lines = [line(1, 1000, 1, 0), line(2, 30, 1, 0)];
        let tax = TaxRate {
            name: "Sales tax".into(),
            rate_bp: 850,
            applies_to_shipping: false,
        };
        let flat = rate(RateKind::Flat { amount: 500 });
        let b = price(
            &lines,
            &usd(),
            TaxMode::Exclusive,
            &Choices {
                shipping: Some(&flat),
                tax: Some(&tax),
                discount: None,
            },
        )
        .unwrap();
        assert_eq!(
            b.lines.iter().map(|l| l.tax).collect::<Vec<_>>(),
            vec![85, 3]
        );
        assert_eq!(b.shipping_tax.minor, 0);
        assert_eq!(b.total.minor, 1030 + 500 + 88);
        assert_eq!(b.tax_caption(), "Sales tax 8.5%");
    }

    #[test]
    fn zero_decimal_currency_by_hand() {
        // ¥1,250 × 3 = ¥3,750, 10 % off = ¥375, so ¥3,375; 10 % consumption tax inside:
        // 3375/11 = 306.8 → 307. Shipping by weight: 2.1 kg is 3 started kg: ¥500 + 3 × ¥200.
        let jpy = Currency::parse("JPY").unwrap();
        let lines = [line(1, 1250, 3, 700)];
        let by_weight = rate(RateKind::ByWeight {
            base: 500,
            per_kg: 200,
        });
        let tax = TaxRate {
            name: "Consumption tax".into(),
            rate_bp: 1000,
            applies_to_shipping: true,
        };
        let ten = code(DiscountKind::Percent { bp: 1000 });
        let b = price(
            &lines,
            &jpy,
            TaxMode::Inclusive,
            &Choices {
                shipping: Some(&by_weight),
                tax: Some(&tax),
                discount: Some(&ten),
            },
        )
        .unwrap();
        assert_eq!(b.discount.minor, 375);
        assert_eq!(b.shipping.minor, 1100);
        assert_eq!(b.lines[0].tax, 307);
        assert_eq!(b.shipping_tax.minor, 100);
        assert_eq!(b.total.minor, 3375 + 1100);
        assert_eq!(b.total.to_string(), "¥4,475");
    }

    #[test]
    fn free_over_counts_the_items_after_discount() {
        let lines = [line(1, 4000, 2, 0)];
        let free = rate(RateKind::FreeOver {
            amount: 595,
            threshold: 7500,
        });
        let no_code = Choices {
            shipping: Some(&free),
            ..Default::default()
        };
        assert_eq!(
            price(&lines, &usd(), TaxMode::Inclusive, &no_code)
                .unwrap()
                .shipping
                .minor,
            0
        );
        let five = code(DiscountKind::Fixed { amount: 1000 });
        let with_code = Choices {
            discount: Some(&five),
            ..no_code
        };
        let b = price(&lines, &usd(), TaxMode::Inclusive, &with_code).unwrap();
        assert_eq!((b.discount.minor, b.shipping.minor), (1000, 595));
        assert_eq!(b.total.minor, 8000 - 1000 + 595);
    }

    #[test]
    fn a_fixed_discount_is_shared_and_capped_at_the_items() {
        let lines = [line(1, 100, 1, 0), line(2, 100, 1, 0), line(3, 100, 1, 0)];
        let ten = code(DiscountKind::Fixed { amount: 100 });
        let b = price(
            &lines,
            &usd(),
            TaxMode::Inclusive,
            &Choices {
                discount: Some(&ten),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            b.lines.iter().map(|l| l.discount).collect::<Vec<_>>(),
            vec![34, 33, 33]
        );
        let huge = code(DiscountKind::Fixed { amount: 1_000_000 });
        let b = price(
            &lines,
            &usd(),
            TaxMode::Inclusive,
            &Choices {
                discount: Some(&huge),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((b.discount.minor, b.total.minor), (300, 0));
    }

    #[test]
    fn codes_have_dates_and_a_minimum() {
        let mut c = code(DiscountKind::Percent { bp: 1000 });
        c.starts_at = Some(100);
        c.ends_at = Some(200);
        c.min_subtotal = 5000;
        let enough = Money::new(5000, usd());
        assert!(matches!(
            c.check(&enough, 99),
            Err(DiscountError::NotStarted(_))
        ));
        assert_eq!(c.check(&enough, 100), Ok(()));
        assert!(matches!(
            c.check(&enough, 200),
            Err(DiscountError::Expired(_))
        ));
        assert_eq!(
            c.check(&Money::new(4999, usd()), 150)
                .unwrap_err()
                .to_string(),
            "The code “SAVE” needs a subtotal of at least $50.00."
        );
        assert_eq!(c.describe(&usd()), "10% off");
        assert_eq!(
            code(DiscountKind::Fixed { amount: 500 }).describe(&usd()),
            "$5.00 off"
        );
    }

    #[test]
    fn weight_rates_count_started_kilograms() {
        let r = rate(RateKind::ByWeight {
            base: 900,
            per_kg: 250,
        });
        let m = Money::new(0, usd());
        assert_eq!(r.price(&m, 0).unwrap().minor, 900);
        assert_eq!(r.price(&m, 1).unwrap().minor, 1150);
        assert_eq!(r.price(&m, 1000).unwrap().minor, 1150);
        assert_eq!(r.price(&m, 1001).unwrap().minor, 1400);
        assert_eq!(
            TaxRate {
                name: "Sales tax".into(),
                rate_bp: 888,
                applies_to_shipping: false
            }
            .label(),
            "Sales tax 8.88%"
        );
    }
}
