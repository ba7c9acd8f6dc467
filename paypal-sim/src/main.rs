//! `paypal-sim`: the simulator as a standalone server, for tests and for pointing an app at.
//!
//! Environment: `PAYPAL_SIM_ADDR` (default `127.0.0.1:12112`), `PAYPAL_SIM_CLIENT_ID`,
//! `PAYPAL_SIM_CLIENT_SECRET` (defaults below), `PAYPAL_SIM_BASE_URL` (default
//! `http://{addr}`), `PAYPAL_SIM_WEBHOOK` (a URL to register for all events; its webhook id is
//! printed), `PAYPAL_SIM_CONTROL_API` (`0` turns the `/_sim` control API off; on by default here).

use paypal_sim::{SimConfig, Simulator};

const DEFAULT_CLIENT_ID: &str = "paypal-sim-client-id";
const DEFAULT_CLIENT_SECRET: &str = "paypal-sim-client-secret";

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let addr = env("PAYPAL_SIM_ADDR").unwrap_or_else(|| "127.0.0.1:12112".into());
    let client_id = env("PAYPAL_SIM_CLIENT_ID").unwrap_or_else(|| DEFAULT_CLIENT_ID.into());
    let secret = env("PAYPAL_SIM_CLIENT_SECRET").unwrap_or_else(|| DEFAULT_CLIENT_SECRET.into());
    let base = env("PAYPAL_SIM_BASE_URL").unwrap_or_else(|| format!("http://{addr}"));
    let control = env("PAYPAL_SIM_CONTROL_API").is_none_or(|v| v != "0");
    let sim =
        Simulator::in_memory(SimConfig::new(&client_id, &secret, &base).with_control_api(control));
    if let Some(url) = env("PAYPAL_SIM_WEBHOOK") {
        match sim.ensure_webhook(&url).await {
            Ok(id) => println!("webhook id for {url}: {id}"),
            Err(e) => {
                eprintln!("paypal-sim: webhook: {e}");
                std::process::exit(2)
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(addr.as_str()).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("paypal-sim: cannot listen on {addr}: {e}");
            std::process::exit(1)
        }
    };
    tracing::info!("PayPal simulator on {base} (JS SDK at {base}/sdk/js?client-id={client_id})");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, sim.router())
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("paypal-sim: {e}");
        std::process::exit(1)
    }
}
