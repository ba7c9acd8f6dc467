//! The reference for the catalog's throughput (scripts/bench.sh): a bare leptos_axum page —
//! one route, a trivial component, the same shell parts (`HydrationScripts`, `MetaTags`) and
//! TCP_NODELAY as the shop — with no database, session, middleware or data loading. Built with
//! the same release profile in the same run, so the ratio of the two is what the shop's own work
//! costs on this machine. It uses the server's allocator (mimalloc) too.
//!
//! ```text
//! bench_bare [addr]     (default 127.0.0.1:3302; loopback only)
//! ```

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router as LeptosRouter, Routes};
use leptos_router::path;

fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <Bare/>
            </body>
        </html>
    }
}

#[component]
fn Bare() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Bare"/>
        <LeptosRouter>
            <main>
                <Routes fallback=|| "Not found">
                    <Route path=path!("/") view=|| view! { <h1>"Hello"</h1> <p>"A bare page."</p> }/>
                </Routes>
            </main>
        </LeptosRouter>
    }
}

#[tokio::main]
async fn main() {
    let addr: std::net::SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3302".into())
        .parse()
        .expect("an address such as 127.0.0.1:3302");
    assert!(addr.ip().is_loopback(), "loopback only");
    let options = LeptosOptions::builder()
        .output_name("bare")
        .site_addr(addr)
        .build();
    let routes = generate_route_list(Bare);
    let app = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .with_state(options);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.expect("serve");
}
