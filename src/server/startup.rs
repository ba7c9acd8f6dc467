//! Building the router and serving it.

use super::config::Config;
use super::{admin, db, delivery, live, payments, security_headers, session, webhooks, AppState};
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
) -> Result<(Router, AppState), StartError> {
    let database = |e: sqlx::Error| StartError::Database(e.to_string());
    let pool = db::connect(&config.database_url)
        .await
        .map_err(|e| StartError::Database(db::describe_failure(&config.database_url, &e)))?;
    let reader = db::Reader::new(&pool);
    let sessions = session::layer(
        &config.database_url,
        &pool,
        &reader,
        config.secure_cookies(),
    )
    .await
    .map_err(database)?;
    let (payments, simulators) = payments::setup(&config)
        .await
        .map_err(StartError::Payments)?;
    let admin = admin::auth::AdminAuth::new(config.admin_password_hash.clone(), payments.mode);
    let mailer = super::email::Mailer::new(&config).map_err(StartError::Email)?;
    let state = AppState {
        leptos_options,
        writer: db::Writer::spawn(pool.clone()),
        pool,
        reader,
        config: Arc::new(config),
        admin: Arc::new(admin),
        payments: Arc::new(payments),
        updates: tokio::sync::broadcast::channel(256).0,
        cart_locks: Arc::default(),
        reconciler: Arc::default(),
        mailer: Arc::new(mailer),
        lookups: Arc::default(),
        streams: Arc::new(tokio::sync::Semaphore::new(live::MAX_STREAMS)),
    };

    let routes = route_list();
    let router = Router::new()
        .route(
            "/webhooks/stripe",
            axum::routing::post(webhooks::stripe_webhook)
                .layer(axum::extract::DefaultBodyLimit::max(webhooks::BODY_LIMIT)),
        )
        .route(
            "/orders/{id}/events",
            axum::routing::get(live::order_events),
        )
        .route("/admin/orders.csv", axum::routing::get(admin::export_csv))
        .route(
            "/admin/products/{id}/image",
            axum::routing::post(admin::upload_image).layer(axum::extract::DefaultBodyLimit::max(
                admin::UPLOAD_BODY_LIMIT,
            )),
        )
        .route(
            "/images/uploads/{id}",
            axum::routing::get(admin::serve_image),
        )
        .route(
            "/webhooks/paypal",
            axum::routing::post(super::paypal::webhook)
                .layer(axum::extract::DefaultBodyLimit::max(webhooks::BODY_LIMIT)),
        )
        .route(
            "/orders/open/{token}",
            axum::routing::get(super::find_order::open_link),
        )
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::map_response(super::error_status))
        .layer(axum::middleware::from_fn(session::ensure_visitor))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::same_origin_only,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(delivery::cache_control))
        .layer(delivery::compression())
        .with_state(state.clone());
    // Outside the session layers: the simulators stand for other companies' servers.
    let mut router = router;
    for (path, simulator) in simulators {
        tracing::warn!("no keys: payments go to the embedded simulator at {path}");
        router = router.nest(path, simulator);
    }
    // Outermost: every response, the simulator's included.
    let router = router.layer(security_headers::layer(&state.config, &state.payments));
    Ok((router, state))
}

/// The app's routes, worked out once per process. leptos suppresses resource loading
/// process-wide while it generates a route list, so a second generation running beside a
/// render (several app instances in one test process) can stall that render for ever
/// (leptos-rs/leptos#4773). Once is also all a server needs.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("start-up error: DATABASE_URL: {0}")]
    Database(String),
    #[error("start-up error: payments: {0}")]
    Payments(String),
    #[error("configuration error: {0}")]
    Email(String),
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
    // A binary built by plain `cargo build` has no LEPTOS_OUTPUT_NAME baked in: the bundle's
    // name is this crate's either way.
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "checkout".into();
    }
    // build-site.sh puts the bundle in a folder named after its content and names that folder
    // in bundle.txt beside the binary: pages then link files that are cached for good.
    if let Some(pkg_dir) = super::delivery::bundle_dir_beside_binary(&leptos_options.site_root) {
        leptos_options.site_pkg_dir = pkg_dir.into();
    }
    let addr = config.addr;

    let (router, state) = match build_router(config, leptos_options).await {
        Ok(built) => built,
        Err(e) => {
            eprintln!("{e}");
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
    // Orders converge to what Stripe knows even when webhooks do not come.
    let _sender = super::email::spawn(state.pool.clone(), state.mailer.clone());
    let _reconciler = super::reconcile::spawn(state);
    tracing::info!("serving the shop on http://{addr}");
    match axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
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
