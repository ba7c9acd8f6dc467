//! Building the router and serving it.

use super::config::Config;
use super::{db, session, AppState};
use crate::app::{shell, App};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;

/// The whole application as an axum `Router`: pages, server functions, static files, sessions.
/// Tests drive it in-process; `run` serves it.
pub async fn build_router(
    config: Config,
    leptos_options: LeptosOptions,
) -> Result<(Router, AppState), sqlx::Error> {
    let pool = db::connect(&config.database_url).await?;
    let sessions = session::layer(&pool, config.secure_cookies()).await?;
    let state = AppState {
        leptos_options,
        pool,
        config: Arc::new(config),
    };

    let routes = generate_route_list(App);
    let router = Router::new()
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(session::ensure_visitor))
        .layer(sessions)
        .with_state(state.clone());
    Ok((router, state))
}

/// Reads the configuration, serves until Ctrl-C or SIGTERM, and returns the process exit code.
pub async fn run() -> i32 {
    // An optional .env; a malformed one is a configuration error like any other.
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        Err(e) => {
            eprintln!("configuration error: .env: {e}");
            return 2;
        }
    }
    init_tracing();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let mut leptos_options = match get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(e) => {
            eprintln!("configuration error: LEPTOS_*: {e}");
            return 2;
        }
    };
    leptos_options.site_addr = config.addr;
    let addr = config.addr;

    let (router, _state) = match build_router(config, leptos_options).await {
        Ok(built) => built,
        Err(e) => {
            eprintln!("start-up error: DATABASE_URL: {e}");
            return 1;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("start-up error: cannot listen on {addr}: {e}");
            return 1;
        }
    };
    // Leptos streams pages in several writes; without TCP_NODELAY each waits for a delayed ACK.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tracing::info!("serving the shop on http://{addr}");
    match axum::serve(listener, router.into_make_service())
        .with_graceful_shutdown(shutdown_signal())
        .await
    {
        Ok(()) => {
            tracing::info!("stopped");
            0
        }
        Err(e) => {
            tracing::error!(error = %e, "server error");
            1
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
