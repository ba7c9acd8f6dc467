//! Settings from environment variables (and an optional `.env`). A bad value stops start-up
//! with one line naming the variable.

use crate::domain::money::Currency;
use std::fmt;
use std::net::SocketAddr;

/// A value that must never reach a log: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `CHECKOUT_ADDR` (or cargo-leptos's `LEPTOS_SITE_ADDR`): where the shop listens.
    pub addr: SocketAddr,
    /// `DATABASE_URL`: a `sqlite:` URL (the file is created on first start) or a
    /// `postgres://` one (the database must exist; its migrations are applied at start).
    pub database_url: String,
    /// `SIMULATOR_DATABASE_URL`: where the embedded gateway simulators keep their state, a
    /// `sqlite:` URL. With a SQLite shop, the shop's own file; with PostgreSQL,
    /// `sqlite:simulators.db` (the simulators stand in for Stripe and PayPal, whose data is
    /// never in the shop's database).
    pub simulator_database_url: String,
    /// `PUBLIC_URL`: the address shoppers use; an `https` one makes cookies `Secure`.
    pub public_url: String,
    /// `SHOP_CURRENCY`: the catalog's currency.
    pub currency: Currency,
    pub stripe: StripeSettings,
    /// `SIMULATED_PAYMENTS=1`: use the embedded Stripe simulator in a release build.
    pub simulated_payments: bool,
    /// `STRIPE_SIM_CONTROL=1`: open the embedded simulator's `/_sim` control API (faults,
    /// clock, reset) — for tests only; off by default, since shoppers can reach the simulator.
    pub simulator_control: bool,
    /// `STRIPE_ELEMENT=payment|card`: the Payment Element (default) or the Card Element.
    pub element: crate::model::checkout::ElementKind,
    /// `STRIPE_UI=elements|checkout`: the card form on the shop's page (default), or Stripe's
    /// hosted Checkout page.
    pub ui: crate::model::checkout::StripeUi,
    /// `TAX_MODE=inclusive|exclusive`: whether catalog prices include tax (VAT style, the
    /// default) or tax is added at checkout (US sales-tax style).
    pub tax_mode: crate::domain::pricing::TaxMode,
    /// `ADMIN_PASSWORD_HASH`: the merchant's password as an argon2 PHC string.
    pub admin_password_hash: Option<Secret>,
    pub orders: OrderTiming,
    /// `TRUSTED_PROXIES`: comma-separated addresses of reverse proxies in front of the shop;
    /// only from these is `X-Forwarded-For` believed (for per-client sign-in limits).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub email: EmailSettings,
    pub paypal: PayPalSettings,
}

/// A PayPal REST app (https://developer.paypal.com/dashboard/applications). Without one, a shop
/// on the embedded Stripe simulator gets the embedded PayPal simulator; a shop on real Stripe
/// offers no PayPal.
#[derive(Clone, Debug, Default)]
pub struct PayPalSettings {
    /// `PAYPAL_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `PAYPAL_CLIENT_SECRET`.
    pub client_secret: Option<Secret>,
    /// `PAYPAL_WEBHOOK_ID`: the id PayPal gave the webhook pointing at `/webhooks/paypal`.
    pub webhook_id: Option<String>,
    /// `PAYPAL_ENV`: `sandbox` (default) or `live`.
    pub live: bool,
    /// `PAYPAL_API_BASE`, default PayPal's for the environment.
    pub api_base: String,
    /// `PAYPAL_JS_URL`, default PayPal's JS SDK for the environment.
    pub js_url: String,
    /// `PAYPAL_TEST_CERT_URL`: a certificate URL prefix trusted besides PayPal's own (a
    /// standalone PayPal simulator's `…/v1/notifications/certs/`); refused with `PAYPAL_ENV=live`.
    pub test_cert_url: Option<String>,
}

/// Where emails go. Without `SMTP_URL` they stay in the outbox, readable in the admin.
#[derive(Clone, Debug)]
pub struct EmailSettings {
    /// `SMTP_URL`: `smtps://user:password@host:465`, or `smtp://…:587?tls=required` for
    /// STARTTLS (`smtp://host:port` without TLS only for a server on this machine).
    pub smtp_url: Option<Secret>,
    /// `MAIL_FROM`: `Shop name <orders@shop.example>`.
    pub from: String,
    /// `EMAIL_RETRY_SECONDS`: the first retry's delay; each next one doubles (30).
    pub retry_base: std::time::Duration,
}

/// How long stock is held for an unpaid order, and how often orders are checked against Stripe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderTiming {
    /// `CHECKOUT_HOLD_MINUTES` (default 30): an unpaid order keeps its items this long after
    /// checkout starts; then its PaymentIntent is canceled and the items go back on sale.
    pub hold: std::time::Duration,
    /// `RECONCILE_INTERVAL_SECONDS` (default 60): how often Stripe's events are read back and
    /// expired orders canceled.
    pub reconcile_every: std::time::Duration,
    /// `RECONCILE_STALE_SECONDS` (default 180): an unsettled order unchanged this long is
    /// checked against its PaymentIntent.
    pub stale_after: std::time::Duration,
}

impl Default for OrderTiming {
    fn default() -> Self {
        OrderTiming {
            hold: std::time::Duration::from_secs(30 * 60),
            reconcile_every: std::time::Duration::from_secs(60),
            stale_after: std::time::Duration::from_secs(180),
        }
    }
}

/// Read and checked now; used by the payment code.
#[derive(Clone, Debug, Default)]
pub struct StripeSettings {
    /// `STRIPE_SECRET_KEY` (`sk_test_…` or `sk_live_…`).
    pub secret_key: Option<Secret>,
    /// `STRIPE_PUBLISHABLE_KEY` (`pk_test_…` or `pk_live_…`).
    pub publishable_key: Option<String>,
    /// `STRIPE_WEBHOOK_SECRET`: one or more `whsec_…`, comma-separated while rotating.
    pub webhook_secrets: Vec<Secret>,
    /// `STRIPE_API_BASE`, default `https://api.stripe.com`.
    pub api_base: String,
    /// `STRIPE_JS_URL`, default `https://js.stripe.com/v3/`.
    pub js_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn bad(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let (addr_var, addr_text) = match (get("CHECKOUT_ADDR"), get("LEPTOS_SITE_ADDR")) {
            (Some(v), _) => ("CHECKOUT_ADDR", v),
            (None, Some(v)) => ("LEPTOS_SITE_ADDR", v),
            (None, None) => ("CHECKOUT_ADDR", "127.0.0.1:3000".to_string()),
        };
        let addr: SocketAddr = addr_text.parse().map_err(|_| {
            bad(
                addr_var,
                format!("“{addr_text}” is not an address like 127.0.0.1:3000"),
            )
        })?;

        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite:checkout.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "DATABASE_URL",
                "must be a sqlite: or postgres:// URL, e.g. sqlite:checkout.db or postgres://shop@localhost/shop",
            ));
        }
        let simulator_database_url = match get("SIMULATOR_DATABASE_URL") {
            Some(url) if url.starts_with("sqlite:") => url,
            Some(_) => {
                return Err(bad(
                    "SIMULATOR_DATABASE_URL",
                    "must be a sqlite: URL, e.g. sqlite:simulators.db",
                ))
            }
            None if database_url.starts_with("sqlite:") => database_url.clone(),
            None => "sqlite:simulators.db".into(),
        };

        let public_url = get("PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(bad("PUBLIC_URL", "must start with http:// or https://"));
        }
        let public_url = public_url.trim_end_matches('/').to_string();

        let currency_text = get("SHOP_CURRENCY").unwrap_or_else(|| "USD".into());
        let currency = Currency::parse(&currency_text).map_err(|_| {
            bad(
                "SHOP_CURRENCY",
                format!("“{currency_text}” is not a three-letter currency code"),
            )
        })?;

        let stripe = StripeSettings::from_lookup(&get)?;
        let simulated_payments = match get("SIMULATED_PAYMENTS").as_deref() {
            None | Some("0") | Some("false") | Some("no") => false,
            Some("1") | Some("true") | Some("yes") => true,
            Some(other) => {
                return Err(bad(
                    "SIMULATED_PAYMENTS",
                    format!("“{other}” is not 1 or 0"),
                ))
            }
        };
        if simulated_payments && stripe.secret_key.is_some() {
            return Err(bad(
                "SIMULATED_PAYMENTS",
                "cannot be set together with STRIPE_SECRET_KEY",
            ));
        }
        let simulator_control = match get("STRIPE_SIM_CONTROL").as_deref() {
            None | Some("0") | Some("false") | Some("no") => false,
            Some("1") | Some("true") | Some("yes") => true,
            Some(other) => {
                return Err(bad(
                    "STRIPE_SIM_CONTROL",
                    format!("“{other}” is not 1 or 0"),
                ))
            }
        };
        let element = match get("STRIPE_ELEMENT").as_deref() {
            None | Some("payment") => crate::model::checkout::ElementKind::Payment,
            Some("card") => crate::model::checkout::ElementKind::Card,
            Some(other) => {
                return Err(bad(
                    "STRIPE_ELEMENT",
                    format!("“{other}” is not payment or card"),
                ))
            }
        };
        let ui = match get("STRIPE_UI").as_deref() {
            None | Some("elements") => crate::model::checkout::StripeUi::Elements,
            Some("checkout") => crate::model::checkout::StripeUi::Checkout,
            Some(other) => {
                return Err(bad(
                    "STRIPE_UI",
                    format!("“{other}” is not elements or checkout"),
                ))
            }
        };
        let tax_mode = match get("TAX_MODE") {
            None => crate::domain::pricing::TaxMode::Inclusive,
            Some(text) => crate::domain::pricing::TaxMode::parse(&text).ok_or_else(|| {
                bad(
                    "TAX_MODE",
                    format!("“{text}” is not inclusive or exclusive"),
                )
            })?,
        };
        let admin_password_hash =
            match get("ADMIN_PASSWORD_HASH") {
                None => None,
                Some(hash) if hash.starts_with("$argon2") && hash.split('$').count() >= 5 => {
                    Some(Secret(hash))
                }
                Some(_) => return Err(bad(
                    "ADMIN_PASSWORD_HASH",
                    "must be an argon2 hash; make one with `./target/debug/checkout hash-password`",
                )),
            };
        let whole = |var: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(text) => text
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        bad(
                            var,
                            format!("“{text}” is not a whole number from 1 to {max}"),
                        )
                    }),
            }
        };
        let secs = std::time::Duration::from_secs;
        let orders = OrderTiming {
            // CHECKOUT_HOLD_SECONDS (for tests and demos) wins over the minutes.
            hold: match get("CHECKOUT_HOLD_SECONDS") {
                Some(_) => secs(whole("CHECKOUT_HOLD_SECONDS", 1, 7 * 24 * 3600)?),
                None => secs(whole("CHECKOUT_HOLD_MINUTES", 30, 7 * 24 * 60)? * 60),
            },
            reconcile_every: secs(whole("RECONCILE_INTERVAL_SECONDS", 60, 24 * 3600)?),
            stale_after: secs(whole("RECONCILE_STALE_SECONDS", 180, 30 * 24 * 3600)?),
        };
        let trusted_proxies = match get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|a| {
                    a.trim().parse().map_err(|_| {
                        bad(
                            "TRUSTED_PROXIES",
                            format!("“{}” is not an IP address", a.trim()),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let email = EmailSettings {
            smtp_url: get("SMTP_URL").map(Secret),
            from: get("MAIL_FROM").unwrap_or_default(),
            retry_base: secs(whole("EMAIL_RETRY_SECONDS", 30, 3600)?),
        };
        if let Some(url) = &email.smtp_url {
            if !(url.0.starts_with("smtp://") || url.0.starts_with("smtps://")) {
                return Err(bad(
                    "SMTP_URL",
                    "must start with smtp:// or smtps://, e.g. smtps://user:password@smtp.example:465",
                ));
            }
            if email.from.is_empty() {
                return Err(bad(
                    "MAIL_FROM",
                    "must be set with SMTP_URL, e.g. Hearth & Kettle <orders@shop.example>",
                ));
            }
        }
        if !email.from.is_empty() && email.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(bad(
                "MAIL_FROM",
                format!(
                    "“{}” is not an address like Shop <orders@shop.example>",
                    email.from
                ),
            ));
        }
        let paypal = PayPalSettings::from_lookup(&get)?;
        Ok(Config {
            paypal,
            email,
            trusted_proxies,
            orders,
            addr,
            database_url,
            simulator_database_url,
            public_url,
            currency,
            stripe,
            simulated_payments,
            simulator_control,
            element,
            ui,
            tax_mode,
            admin_password_hash,
        })
    }

    /// Cookies get `Secure` when shoppers reach the site over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

impl PayPalSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let client_id = get("PAYPAL_CLIENT_ID");
        let client_secret = get("PAYPAL_CLIENT_SECRET").map(Secret);
        let webhook_id = get("PAYPAL_WEBHOOK_ID");
        let set = [
            client_id.is_some(),
            client_secret.is_some(),
            webhook_id.is_some(),
        ];
        if set.contains(&true) && set.contains(&false) {
            let missing = [
                "PAYPAL_CLIENT_ID",
                "PAYPAL_CLIENT_SECRET",
                "PAYPAL_WEBHOOK_ID",
            ][set.iter().position(|s| !s).unwrap_or(0)];
            return Err(bad(
                missing,
                "PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET and PAYPAL_WEBHOOK_ID go together",
            ));
        }
        if let Some(id) = &webhook_id {
            if id.len() > 50 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(bad(
                    "PAYPAL_WEBHOOK_ID",
                    "is letters and digits, like 1JE4291016473214C",
                ));
            }
        }
        let live = match get("PAYPAL_ENV").as_deref() {
            None | Some("sandbox") => false,
            Some("live") => true,
            Some(other) => {
                return Err(bad(
                    "PAYPAL_ENV",
                    format!("“{other}” is not sandbox or live"),
                ))
            }
        };
        let (api, js) = if live {
            ("https://api-m.paypal.com", "https://www.paypal.com/sdk/js")
        } else {
            (
                "https://api-m.sandbox.paypal.com",
                "https://www.sandbox.paypal.com/sdk/js",
            )
        };
        let url = |var: &'static str, default: &str| -> Result<String, ConfigError> {
            let value = get(var).unwrap_or_else(|| default.to_string());
            if value.starts_with("https://") || value.starts_with("http://") {
                Ok(value.trim_end_matches('/').to_string())
            } else {
                Err(bad(var, "must be an http(s) URL"))
            }
        };
        let test_cert_url = get("PAYPAL_TEST_CERT_URL");
        if test_cert_url.is_some() && live {
            return Err(bad(
                "PAYPAL_TEST_CERT_URL",
                "is for tests against a simulator; it cannot be set with PAYPAL_ENV=live",
            ));
        }
        Ok(PayPalSettings {
            test_cert_url,
            client_id,
            client_secret,
            webhook_id,
            live,
            api_base: url("PAYPAL_API_BASE", api)?,
            js_url: url("PAYPAL_JS_URL", js)?,
        })
    }
}

impl StripeSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secret_key = get("STRIPE_SECRET_KEY");
        if let Some(key) = &secret_key {
            if !(key.starts_with("sk_test_")
                || key.starts_with("sk_live_")
                || key.starts_with("rk_"))
            {
                return Err(bad(
                    "STRIPE_SECRET_KEY",
                    "must start with sk_test_ or sk_live_",
                ));
            }
        }
        let publishable_key = get("STRIPE_PUBLISHABLE_KEY");
        if let Some(key) = &publishable_key {
            if !(key.starts_with("pk_test_") || key.starts_with("pk_live_")) {
                return Err(bad(
                    "STRIPE_PUBLISHABLE_KEY",
                    "must start with pk_test_ or pk_live_",
                ));
            }
        }
        if secret_key.is_some() != publishable_key.is_some() {
            let missing = if secret_key.is_some() {
                "STRIPE_PUBLISHABLE_KEY"
            } else {
                "STRIPE_SECRET_KEY"
            };
            return Err(bad(
                missing,
                "must be set together with the other Stripe key",
            ));
        }
        if let (Some(sk), Some(pk)) = (&secret_key, &publishable_key) {
            if sk.starts_with("sk_live_") != pk.starts_with("pk_live_") {
                return Err(bad(
                    "STRIPE_PUBLISHABLE_KEY",
                    "live and test keys cannot be mixed",
                ));
            }
        }
        let webhook_secrets = match get("STRIPE_WEBHOOK_SECRET") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|s| s.trim().to_string())
                .map(|s| {
                    if s.starts_with("whsec_") {
                        Ok(Secret(s))
                    } else {
                        Err(bad(
                            "STRIPE_WEBHOOK_SECRET",
                            "each secret must start with whsec_",
                        ))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        if secret_key.is_some() && webhook_secrets.is_empty() {
            return Err(bad(
                "STRIPE_WEBHOOK_SECRET",
                "not set: with Stripe keys every webhook would be refused; copy the endpoint's signing secret (whsec_…) from Stripe",
            ));
        }
        let url = |var: &'static str, default: &str| -> Result<String, ConfigError> {
            let value = get(var).unwrap_or_else(|| default.to_string());
            if value.starts_with("https://") || value.starts_with("http://") {
                Ok(value)
            } else {
                Err(bad(var, "must be an http(s) URL"))
            }
        };
        Ok(StripeSettings {
            secret_key: secret_key.map(Secret),
            publishable_key,
            webhook_secrets,
            api_base: url("STRIPE_API_BASE", "https://api.stripe.com")?
                .trim_end_matches('/')
                .to_string(),
            js_url: url("STRIPE_JS_URL", "https://js.stripe.com/v3/")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_serve_locally_with_a_sqlite_file() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite:checkout.db");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.currency.code(), "USD");
        assert!(!c.secure_cookies());
        assert!(c.stripe.secret_key.is_none());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let e = config(&[("CHECKOUT_ADDR", "localhost")]).unwrap_err();
        assert_eq!(e.var, "CHECKOUT_ADDR");
        assert!(e
            .to_string()
            .starts_with("configuration error: CHECKOUT_ADDR:"));
        assert_eq!(
            config(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var,
            "DATABASE_URL"
        );
        assert_eq!(
            config(&[("SIMULATOR_DATABASE_URL", "postgres://x")])
                .unwrap_err()
                .var,
            "SIMULATOR_DATABASE_URL"
        );
        assert_eq!(
            config(&[("SHOP_CURRENCY", "dollars")]).unwrap_err().var,
            "SHOP_CURRENCY"
        );
        assert_eq!(
            config(&[("PUBLIC_URL", "shop.example")]).unwrap_err().var,
            "PUBLIC_URL"
        );
        assert_eq!(
            config(&[
                ("STRIPE_SECRET_KEY", "pk_test_x"),
                ("STRIPE_PUBLISHABLE_KEY", "pk_test_x")
            ])
            .unwrap_err()
            .var,
            "STRIPE_SECRET_KEY"
        );
        assert_eq!(
            config(&[("STRIPE_SECRET_KEY", "sk_test_x")])
                .unwrap_err()
                .var,
            "STRIPE_PUBLISHABLE_KEY"
        );
        assert_eq!(
            config(&[("STRIPE_WEBHOOK_SECRET", "whsec_a, nope")])
                .unwrap_err()
                .var,
            "STRIPE_WEBHOOK_SECRET"
        );
        let simulated = config(&[("SIMULATED_PAYMENTS", "maybe")]);
        assert_eq!(simulated.unwrap_err().var, "SIMULATED_PAYMENTS");
        let both = config(&[
            ("SIMULATED_PAYMENTS", "1"),
            ("STRIPE_SECRET_KEY", "sk_test_x"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_x"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
        ]);
        assert_eq!(both.unwrap_err().var, "SIMULATED_PAYMENTS");
        // Keys without the webhook secret would start and then refuse every webhook.
        let no_secret = config(&[
            ("STRIPE_SECRET_KEY", "sk_test_x"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_x"),
        ]);
        assert_eq!(no_secret.unwrap_err().var, "STRIPE_WEBHOOK_SECRET");
    }

    #[test]
    fn the_leptos_address_is_honoured_and_ours_wins() {
        assert_eq!(
            config(&[("LEPTOS_SITE_ADDR", "0.0.0.0:8080")])
                .unwrap()
                .addr
                .port(),
            8080
        );
        let c = config(&[
            ("LEPTOS_SITE_ADDR", "0.0.0.0:8080"),
            ("CHECKOUT_ADDR", "127.0.0.1:9000"),
        ]);
        assert_eq!(c.unwrap().addr.port(), 9000);
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        assert!(config(&[("PUBLIC_URL", "https://shop.example/")])
            .unwrap()
            .secure_cookies());
    }

    #[test]
    fn secrets_never_print() {
        let c = config(&[
            ("STRIPE_SECRET_KEY", "sk_test_abcdef123"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_abcdef123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_one,whsec_two"),
        ])
        .unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("sk_test_abcdef123"));
        assert!(!printed.contains("whsec_one"));
        assert_eq!(c.stripe.webhook_secrets.len(), 2);
    }

    #[test]
    fn paypal_credentials_go_together_and_test_certificates_stay_out_of_live() {
        let all = [
            ("PAYPAL_CLIENT_ID", "AbC"),
            ("PAYPAL_CLIENT_SECRET", "EfG"),
            ("PAYPAL_WEBHOOK_ID", "1JE4291016473214C"),
        ];
        let c = config(&all).unwrap();
        assert_eq!(c.paypal.api_base, "https://api-m.sandbox.paypal.com");
        assert!(!format!("{c:?}").contains("EfG"));
        let e = config(&all[..2]).unwrap_err();
        assert_eq!(e.var, "PAYPAL_WEBHOOK_ID");
        let mut live = all.to_vec();
        live.push(("PAYPAL_ENV", "live"));
        assert_eq!(
            config(&live).unwrap().paypal.api_base,
            "https://api-m.paypal.com"
        );
        live.push((
            "PAYPAL_TEST_CERT_URL",
            "http://127.0.0.1:12112/v1/notifications/certs/",
        ));
        assert_eq!(config(&live).unwrap_err().var, "PAYPAL_TEST_CERT_URL");
        assert_eq!(
            config(&[("PAYPAL_ENV", "prod")]).unwrap_err().var,
            "PAYPAL_ENV"
        );
    }

    #[test]
    fn smtp_needs_a_sender_and_a_smtp_url_and_its_password_never_prints() {
        let ok = config(&[
            ("SMTP_URL", "smtps://user:hunter2@smtp.example:465"),
            ("MAIL_FROM", "Shop <orders@shop.example>"),
        ])
        .unwrap();
        assert!(!format!("{ok:?}").contains("hunter2"));
        let e = config(&[("SMTP_URL", "smtps://user:pw@smtp.example:465")]).unwrap_err();
        assert_eq!(e.var, "MAIL_FROM");
        let e = config(&[
            ("SMTP_URL", "http://smtp.example"),
            ("MAIL_FROM", "orders@shop.example"),
        ])
        .unwrap_err();
        assert_eq!(e.var, "SMTP_URL");
        let e = config(&[("MAIL_FROM", "not an address")]).unwrap_err();
        assert_eq!(e.var, "MAIL_FROM");
        assert!(!e.to_string().contains("pw"));
        let e = config(&[("EMAIL_RETRY_SECONDS", "0")]).unwrap_err();
        assert_eq!(e.var, "EMAIL_RETRY_SECONDS");
    }
}
