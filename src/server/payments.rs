//! Where payments go: real Stripe, a Stripe-compatible server (the standalone simulator), or
//! the simulator embedded in this server. The app talks to all three the same way, over HTTP
//! with keys; only the two URLs and the keys differ.

use super::config::{Config, ConfigError, Secret};
use super::stripe::client::StripeClient;
use crate::model::site::PaymentsMode;
use axum::Router;

/// Mounted here when embedded.
pub const SIMULATOR_PATH: &str = "/stripe-sim";
/// The PayPal simulator, when embedded.
pub const PAYPAL_SIMULATOR_PATH: &str = "/paypal-sim";

#[derive(Clone, Debug)]
pub struct Payments {
    pub mode: PaymentsMode,
    pub api_base: String,
    pub secret_key: Secret,
    pub publishable_key: String,
    pub js_url: String,
    pub webhook_secrets: Vec<Secret>,
    /// The one Stripe client, for `api_base` with `secret_key`.
    pub stripe: StripeClient,
    /// PayPal, when the shop takes it (and its currency is one PayPal takes).
    pub paypal: Option<std::sync::Arc<super::paypal::PayPal>>,
}

impl std::fmt::Debug for super::paypal::PayPal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayPal")
            .field("js_url", &self.js_url)
            .finish_non_exhaustive()
    }
}

/// PayPal with a real REST app's credentials.
fn real_paypal(config: &Config) -> Option<super::paypal::PayPal> {
    let settings = &config.paypal;
    let (Some(id), Some(secret), Some(webhook)) = (
        &settings.client_id,
        &settings.client_secret,
        &settings.webhook_id,
    ) else {
        return None;
    };
    Some(super::paypal::PayPal {
        client: super::paypal::client::PayPalClient::new(&settings.api_base, id, secret.clone()),
        verifier: super::paypal::verify::Verifier::new(webhook, {
            let mut policy = super::paypal::verify::CertPolicy::paypal();
            if let Some(prefix) = &settings.test_cert_url {
                tracing::warn!(%prefix, "PayPal webhooks may also be signed by a test certificate");
                policy.url_prefixes.push(prefix.clone());
                policy.name_suffixes.push(".paypal-sim.local".into());
            }
            policy
        }),
        js_url: settings.js_url.clone(),
    })
}

/// Decides, from the configuration alone, whether the embedded simulator is used. A release
/// build never falls back to it silently.
pub fn wants_embedded_simulator(config: &Config, release: bool) -> Result<bool, ConfigError> {
    match (&config.stripe.secret_key, config.simulated_payments, release) {
        (Some(_), _, _) => Ok(false),
        (None, true, _) | (None, false, false) => Ok(true),
        (None, false, true) => Err(ConfigError {
            var: "STRIPE_SECRET_KEY",
            problem: "not set: a release build takes real payments only; set Stripe keys, or SIMULATED_PAYMENTS=1 for a demo"
                .into(),
        }),
    }
}

/// Sets up payments; with the embedded simulators, also returns their routers and where to mount
/// them. Their keys are made once and kept in their database (the SQLite file of
/// `SIMULATOR_DATABASE_URL`).
pub async fn setup(config: &Config) -> Result<(Payments, Vec<(&'static str, Router)>), String> {
    let release = !cfg!(debug_assertions);
    if !wants_embedded_simulator(config, release).map_err(|e| e.to_string())? {
        let stripe = &config.stripe;
        let secret_key = stripe
            .secret_key
            .clone()
            .ok_or("STRIPE_SECRET_KEY missing")?;
        // The mode follows the keys, never the URL: only the simulator this server embeds
        // itself counts as simulated.
        let mode = if secret_key.expose().starts_with("sk_live_") {
            PaymentsMode::Live
        } else {
            PaymentsMode::StripeTest
        };
        let payments = Payments {
            mode,
            stripe: StripeClient::new(&stripe.api_base, secret_key.clone()),
            api_base: stripe.api_base.clone(),
            secret_key,
            publishable_key: stripe.publishable_key.clone().unwrap_or_default(),
            js_url: stripe.js_url.clone(),
            webhook_secrets: stripe.webhook_secrets.clone(),
            paypal: real_paypal(config)
                .filter(|_| super::paypal::amount::supported(&config.currency))
                .map(std::sync::Arc::new),
        };
        return Ok((payments, Vec::new()));
    }

    let pool = &super::db::connect_sqlite(&config.simulator_database_url)
        .await
        .map_err(|e| format!("the simulators' database: {e}"))?;
    let (sk, pk) = stripe_sim::embedded_keys(pool)
        .await
        .map_err(|e| format!("stripe simulator: {e}"))?;
    let sim_config =
        stripe_sim::SimConfig::new(&sk, &pk)?.with_control_api(config.simulator_control);
    let simulator = stripe_sim::Simulator::persistent(sim_config, pool.clone())
        .await
        .map_err(|e| format!("stripe simulator: {e}"))?;
    let local = format!("http://{}", config.addr);
    // The simulator delivers its events to this server's webhook route, like Stripe would.
    let webhook_secret = simulator
        .ensure_webhook_endpoint(&format!("{local}/webhooks/stripe"), None)
        .await?;
    let api_base = format!("{local}{SIMULATOR_PATH}");
    let secret_key = Secret::new(sk);
    let payments = Payments {
        mode: PaymentsMode::Simulated,
        stripe: StripeClient::new(&api_base, secret_key.clone()),
        api_base,
        secret_key,
        publishable_key: pk,
        js_url: format!("{SIMULATOR_PATH}/v3/"),
        webhook_secrets: vec![Secret::new(webhook_secret)],
        paypal: None,
    };
    let mut simulators = vec![(SIMULATOR_PATH, simulator.router())];
    let mut payments = payments;
    if super::paypal::amount::supported(&config.currency) {
        let paypal = match real_paypal(config) {
            Some(real) => Some(real),
            None => {
                let (paypal, sim) = embedded_paypal(config, pool, &local).await?;
                simulators.push((PAYPAL_SIMULATOR_PATH, sim));
                Some(paypal)
            }
        };
        payments.paypal = paypal.map(std::sync::Arc::new);
    }
    Ok((payments, simulators))
}

/// The PayPal simulator, embedded like Stripe's: it calls this server's `/webhooks/paypal`,
/// signing with its own certificate, which is pinned here (this process serves it itself).
async fn embedded_paypal(
    config: &Config,
    pool: &sqlx::SqlitePool,
    local: &str,
) -> Result<(super::paypal::PayPal, Router), String> {
    use super::paypal::verify::{CertPolicy, Verifier};
    let (id, secret) = paypal_sim::embedded_credentials(pool)
        .await
        .map_err(|e| format!("paypal simulator: {e}"))?;
    let base = format!("{local}{PAYPAL_SIMULATOR_PATH}");
    let sim_config =
        paypal_sim::SimConfig::new(&id, &secret, &base).with_control_api(config.simulator_control);
    let simulator = paypal_sim::Simulator::persistent(sim_config, pool.clone()).await?;
    let webhook_id = simulator
        .ensure_webhook(&format!("{local}/webhooks/paypal"))
        .await?;
    let verifier = Verifier::pinned(
        &webhook_id,
        &format!("{base}/v1/notifications/certs/"),
        paypal_sim::signing::CERT_PEM,
        CertPolicy {
            url_prefixes: Vec::new(),
            name_suffixes: vec![".paypal-sim.local".into()],
        },
    )
    .map_err(|e| format!("paypal simulator certificate: {e}"))?;
    let paypal = super::paypal::PayPal {
        client: super::paypal::client::PayPalClient::new(&base, &id, Secret::new(secret)),
        verifier,
        js_url: format!("{PAYPAL_SIMULATOR_PATH}/sdk/js"),
    };
    Ok((paypal, simulator.router()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Config {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap()
    }

    #[test]
    fn without_keys_a_debug_build_simulates() {
        assert_eq!(wants_embedded_simulator(&config(&[]), false), Ok(true));
    }

    #[test]
    fn a_release_build_without_keys_refuses_unless_asked() {
        let err = wants_embedded_simulator(&config(&[]), true).unwrap_err();
        assert_eq!(err.var, "STRIPE_SECRET_KEY");
        assert_eq!(
            wants_embedded_simulator(&config(&[("SIMULATED_PAYMENTS", "1")]), true),
            Ok(true)
        );
    }

    #[test]
    fn keys_mean_no_embedded_simulator() {
        let keys = [
            ("STRIPE_SECRET_KEY", "sk_test_abc"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_abc"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_abc"),
        ];
        assert_eq!(wants_embedded_simulator(&config(&keys), true), Ok(false));
        assert_eq!(wants_embedded_simulator(&config(&keys), false), Ok(false));
    }
}
