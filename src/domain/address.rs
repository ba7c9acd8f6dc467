//! Where the goods go: a shipping address, checked per country before it is stored or sent to a
//! gateway. Pure: the checkout form's fields come in, an [`Address`] or an error a shopper can
//! act on comes out.

use serde::{Deserialize, Serialize};

/// The longest a field may be (most carriers' label limits sit around here).
pub const MAX_FIELD: usize = 100;

/// The countries the checkout lists by name: ISO 3166-1 alpha-2 code and name. Any other ISO
/// country a merchant's zone lists is offered too (by its code). The shop ships to those its
/// zones list; the others are refused with a clear message before any payment.
pub const COUNTRIES: [(&str, &str); 24] = [
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("BE", "Belgium"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("PT", "Portugal"),
    ("AT", "Austria"),
    ("CH", "Switzerland"),
    ("SE", "Sweden"),
    ("DK", "Denmark"),
    ("NO", "Norway"),
    ("FI", "Finland"),
    ("PL", "Poland"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
    ("JP", "Japan"),
    ("SG", "Singapore"),
    ("BR", "Brazil"),
    ("MX", "Mexico"),
];

/// The name of a country the checkout knows.
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRIES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The country's name if the checkout knows it, else its code.
pub fn country_label(code: &str) -> String {
    country_name(code).unwrap_or(code).to_string()
}

/// What a country asks of an address. Postal code shapes use `9` for a digit, `A` for a
/// letter, `X` for either, and any other character for itself; a space in a shape may also be left out.
struct CountryRules {
    postal: &'static [&'static str],
    postal_required: bool,
    /// Regions (states, provinces) the address must name one of, if the country needs one.
    regions: &'static [&'static str],
}

const US_STATES: [&str; 51] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];
const CA_PROVINCES: [&str; 13] = [
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];
const AU_STATES: [&str; 8] = ["ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"];

fn rules(country: &str) -> CountryRules {
    let shaped = |postal: &'static [&'static str]| CountryRules {
        postal,
        postal_required: true,
        regions: &[],
    };
    match country {
        "US" => CountryRules {
            postal: &["99999", "99999-9999"],
            postal_required: true,
            regions: &US_STATES,
        },
        "CA" => CountryRules {
            postal: &["A9A 9A9"],
            postal_required: true,
            regions: &CA_PROVINCES,
        },
        "AU" => CountryRules {
            postal: &["9999"],
            postal_required: true,
            regions: &AU_STATES,
        },
        "GB" => shaped(&[
            "A9 9AA", "A99 9AA", "AA9 9AA", "AA99 9AA", "A9A 9AA", "AA9A 9AA",
        ]),
        "DE" | "FR" | "ES" | "IT" | "FI" | "MX" => shaped(&["99999"]),
        "NL" => shaped(&["9999 AA"]),
        "BE" | "AT" | "CH" | "DK" | "NO" | "NZ" => shaped(&["9999"]),
        "PT" => shaped(&["9999-999"]),
        "SE" => shaped(&["999 99"]),
        "PL" => shaped(&["99-999"]),
        "JP" => shaped(&["999-9999"]),
        "SG" => shaped(&["999999"]),
        "BR" => shaped(&["99999-999"]),
        // Eircodes are optional for delivery and have their own shape.
        "IE" => CountryRules {
            postal: &["A99 XXXX", "A9A XXXX"],
            postal_required: false,
            regions: &[],
        },
        _ => CountryRules {
            postal: &[],
            postal_required: false,
            regions: &[],
        },
    }
}

/// Whether `code` (already upper-cased) has `shape`; a space in the shape may be left out.
fn has_shape(code: &str, shape: &str) -> bool {
    fn matches(code: &[u8], shape: &[u8]) -> bool {
        match (code.first(), shape.first()) {
            (None, None) => true,
            (_, Some(b' ')) => {
                (code.first() == Some(&b' ') && matches(&code[1..], &shape[1..]))
                    || matches(code, &shape[1..])
            }
            (Some(c), Some(s)) => {
                let ok = match s {
                    b'9' => c.is_ascii_digit(),
                    b'A' => c.is_ascii_uppercase(),
                    b'X' => c.is_ascii_uppercase() || c.is_ascii_digit(),
                    other => c == other,
                };
                ok && matches(&code[1..], &shape[1..])
            }
            _ => false,
        }
    }
    matches(code.as_bytes(), shape.as_bytes())
}

/// A shipping address as the checkout form sends it: every field as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

/// A checked address: trimmed, upper-cased codes, the postal code in its canonical shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    /// State or province code where the country has them, else what was typed (may be empty).
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

/// Why an address is refused. Shown to the shopper as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AddressError {
    #[error("Please enter the {0}.")]
    Missing(String),
    #[error("The {0} is too long (at most {max} characters).", max = MAX_FIELD)]
    TooLong(String),
    #[error("The {0} contains characters that cannot be printed on a label.")]
    ControlCharacters(String),
    #[error("Please choose a country from the list.")]
    UnknownCountry,
    #[error("“{code}” is not a postal code in {country}.")]
    BadPostalCode { code: String, country: String },
    #[error("Please choose a state or province from the list for {0}.")]
    BadRegion(String),
}

impl AddressError {
    /// The form field the message is about, for the page to point at.
    pub fn field(&self) -> &str {
        match self {
            AddressError::Missing(f)
            | AddressError::TooLong(f)
            | AddressError::ControlCharacters(f) => f.as_str(),
            AddressError::UnknownCountry => "country",
            AddressError::BadPostalCode { .. } => "postal code",
            AddressError::BadRegion(_) => "state or province",
        }
    }
}

fn clean(value: &str, field: &'static str, required: bool) -> Result<String, AddressError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(AddressError::ControlCharacters(field.into()));
    }
    if value.chars().count() > MAX_FIELD {
        return Err(AddressError::TooLong(field.into()));
    }
    if required && value.is_empty() {
        return Err(AddressError::Missing(field.into()));
    }
    // Runs of spaces are one on a label.
    Ok(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

impl Address {
    /// Checks the form's fields: required ones present, lengths, no control characters, a known
    /// country, a postal code of the country's shape, and a state or province where it needs one.
    pub fn parse(input: &AddressInput) -> Result<Address, AddressError> {
        let name = clean(&input.name, "name", true)?;
        let line1 = clean(&input.line1, "street address", true)?;
        let line2 = clean(&input.line2, "apartment or suite", false)?;
        let city = clean(&input.city, "city", true)?;
        let country = clean(&input.country, "country", true)?.to_ascii_uppercase();
        if country_name(&country).is_none() && !super::settings::is_country(&country) {
            return Err(AddressError::UnknownCountry);
        }
        let rules = rules(&country);
        let mut region = clean(&input.region, "state or province", false)?;
        if !rules.regions.is_empty() {
            region = region.to_ascii_uppercase();
            if !rules.regions.contains(&region.as_str()) {
                return Err(AddressError::BadRegion(country_label(&country)));
            }
        }
        let postal_code =
            clean(&input.postal_code, "postal code", rules.postal_required)?.to_ascii_uppercase();
        if !postal_code.is_empty()
            && !rules.postal.is_empty()
            && !rules.postal.iter().any(|s| has_shape(&postal_code, s))
        {
            return Err(AddressError::BadPostalCode {
                code: postal_code,
                country: country_label(&country),
            });
        }
        Ok(Address {
            name,
            line1,
            line2,
            city,
            region,
            postal_code,
            country,
        })
    }

    /// The address as it goes on a label, one line each.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.name.clone(), self.line1.clone()];
        if !self.line2.is_empty() {
            lines.push(self.line2.clone());
        }
        let place = [self.city.as_str(), self.region.as_str(), &self.postal_code]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        lines.push(place);
        lines.push(
            country_name(&self.country)
                .unwrap_or(&self.country)
                .to_string(),
        );
        lines
    }

    /// The address on one line (CSV, timeline).
    pub fn one_line(&self) -> String {
        self.lines().join(", ")
    }

    /// What the form is filled with again.
    pub fn input(&self) -> AddressInput {
        AddressInput {
            name: self.name.clone(),
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            city: self.city.clone(),
            region: self.region.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(country: &str, region: &str, postal: &str) -> AddressInput {
        AddressInput {
            name: "Ada Lovelace".into(),
            line1: "12 St James's Square".into(),
            line2: String::new(),
            city: "London".into(),
            region: region.into(),
            postal_code: postal.into(),
            country: country.into(),
        }
    }

    #[test]
    fn a_us_address_needs_a_state_and_a_zip() {
        let a = Address::parse(&input("us", "ny", "10001")).unwrap();
        assert_eq!((a.country.as_str(), a.region.as_str()), ("US", "NY"));
        assert!(Address::parse(&input("US", "NY", "10001-1234")).is_ok());
        assert_eq!(
            Address::parse(&input("US", "", "10001")),
            Err(AddressError::BadRegion("United States".into()))
        );
        assert_eq!(
            Address::parse(&input("US", "NY", "1000"))
                .unwrap_err()
                .field(),
            "postal code"
        );
        assert_eq!(
            Address::parse(&input("US", "NY", "")),
            Err(AddressError::Missing("postal code".into()))
        );
    }

    #[test]
    fn postal_codes_follow_the_country_shape() {
        assert_eq!(
            Address::parse(&input("GB", "", "sw1y 4lg"))
                .unwrap()
                .postal_code,
            "SW1Y 4LG"
        );
        assert!(Address::parse(&input("GB", "", "SW1Y4LG")).is_ok());
        assert!(Address::parse(&input("GB", "", "12345")).is_err());
        assert!(Address::parse(&input("CA", "ON", "K1A 0B1")).is_ok());
        assert!(Address::parse(&input("CA", "ON", "K1A 0BB")).is_err());
        assert!(Address::parse(&input("NL", "", "1012 AB")).is_ok());
        assert!(Address::parse(&input("DE", "", "1011")).is_err());
        assert!(Address::parse(&input("JP", "", "100-0001")).is_ok());
        // Ireland: the Eircode may be left out.
        assert!(Address::parse(&input("IE", "", "")).is_ok());
        assert!(Address::parse(&input("IE", "", "D02 X285")).is_ok());
    }

    #[test]
    fn required_fields_lengths_and_control_characters() {
        let mut a = input("DE", "", "10115");
        a.name = "   ".into();
        assert_eq!(
            Address::parse(&a),
            Err(AddressError::Missing("name".into()))
        );
        let mut a = input("DE", "", "10115");
        a.line1 = "x".repeat(MAX_FIELD + 1);
        assert_eq!(
            Address::parse(&a),
            Err(AddressError::TooLong("street address".into()))
        );
        let mut a = input("DE", "", "10115");
        a.city = "Berlin\u{0}".into();
        assert_eq!(
            Address::parse(&a),
            Err(AddressError::ControlCharacters("city".into()))
        );
        let mut a = input("DE", "", "10115");
        a.line2 = "Hof\nlinks".into();
        assert!(Address::parse(&a).is_err());
        assert_eq!(
            Address::parse(&input("XX", "", "1")),
            Err(AddressError::UnknownCountry)
        );
        // An ISO country the checkout has no rules for: required fields only, named by code.
        let kr = Address::parse(&input("kr", "", "04524")).unwrap();
        assert_eq!(kr.country, "KR");
        assert_eq!(kr.lines().last().unwrap(), "KR");
        // Non-ASCII letters are fine.
        let mut a = input("DE", "", "10115");
        a.name = "Jürgen Müßig".into();
        a.line1 = "  Straße   des 17. Juni  ".into();
        let a = Address::parse(&a).unwrap();
        assert_eq!(a.line1, "Straße des 17. Juni");
    }

    #[test]
    fn lines_for_a_label() {
        let a = Address::parse(&input("US", "NY", "10001")).unwrap();
        assert_eq!(
            a.lines(),
            vec![
                "Ada Lovelace",
                "12 St James's Square",
                "London NY 10001",
                "United States"
            ]
        );
    }
}
