//! An email address, checked enough to catch typos, not to reject valid oddities.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let email = input.trim();
        if email.is_empty() {
            return Err("Please enter your email address.");
        }
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("That email address doesn't look right.");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("That email address is missing an @.");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err("That email address doesn't look right.");
        }
        Ok(Email(email.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_addresses_pass_and_typos_do_not() {
        assert_eq!(
            Email::parse(" ada@example.com ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("first.last+tag@sub.example.co.uk").is_ok());
        assert_eq!(Email::parse(""), Err("Please enter your email address."));
        assert_eq!(
            Email::parse("ada.example.com"),
            Err("That email address is missing an @.")
        );
        for bad in [
            "ada@",
            "@example.com",
            "ada@example",
            "ada@example..com",
            "a b@example.com",
            "ada@.example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
