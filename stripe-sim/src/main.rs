//! `stripe-sim`: the simulator as a standalone server, for tests and for pointing an app at.
//!
//! ```text
//! stripe-sim --port 12111 --secret-key sk_test_x --publishable-key pk_test_x \
//!            [--webhook http://127.0.0.1:3000/webhooks/stripe --webhook-secret whsec_x] [--seed 42]
//!            [--no-control-api]
//! ```
//!
//! The `/_sim` control API is on here (the simulator's own end-to-end tests drive it);
//! `--no-control-api` turns it off.

use std::time::Duration;
use stripe_sim::{SimConfig, Simulator};

fn usage() -> ! {
    eprintln!(
        "usage: stripe-sim --secret-key sk_test_… --publishable-key pk_test_… [--host 127.0.0.1] [--port 12111]\n\
         \x20                 [--webhook URL [--webhook-secret whsec_…]] [--seed N] [--processing-delay-ms N]\n\
         \x20                 [--no-control-api]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut args = std::env::args().skip(1);
    let (mut host, mut port) = ("127.0.0.1".to_string(), 12111u16);
    let (mut sk, mut pk) = (
        std::env::var("STRIPE_SIM_SECRET_KEY").ok(),
        std::env::var("STRIPE_SIM_PUBLISHABLE_KEY").ok(),
    );
    let (mut webhook, mut webhook_secret, mut seed, mut processing_ms) = (None, None, None, None);
    let mut control_api = true;
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--host" => host = value(),
            "--port" => port = value().parse().unwrap_or_else(|_| usage()),
            "--secret-key" => sk = Some(value()),
            "--publishable-key" => pk = Some(value()),
            "--webhook" => webhook = Some(value()),
            "--no-control-api" => control_api = false,
            "--webhook-secret" => webhook_secret = Some(value()),
            "--seed" => seed = Some(value().parse::<u64>().unwrap_or_else(|_| usage())),
            "--processing-delay-ms" => {
                processing_ms = Some(value().parse::<u64>().unwrap_or_else(|_| usage()))
            }
            _ => usage(),
        }
    }
    let (Some(sk), Some(pk)) = (sk, pk) else {
        usage()
    };
    // The standalone server is a test tool: its control API is on unless turned off.
    let mut config = SimConfig::new(&sk, &pk)
        .unwrap_or_else(|e| {
            eprintln!("stripe-sim: {e}");
            std::process::exit(2)
        })
        .with_control_api(control_api);
    config.seed = seed;
    if let Some(ms) = processing_ms {
        config.processing_delay = Duration::from_millis(ms);
    }
    let sim = Simulator::in_memory(config);
    if let Some(url) = webhook {
        match sim
            .ensure_webhook_endpoint(&url, webhook_secret.as_deref())
            .await
        {
            Ok(secret) if webhook_secret.is_none() => {
                println!("webhook signing secret for {url}: {secret}")
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("stripe-sim: webhook endpoint: {e}");
                std::process::exit(2)
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("stripe-sim: cannot listen on {host}:{port}: {e}");
            std::process::exit(1)
        }
    };
    tracing::info!("Stripe simulator on http://{host}:{port} (Stripe.js at /v3/)");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, sim.router())
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("stripe-sim: {e}");
        std::process::exit(1)
    }
}
