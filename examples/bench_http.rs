//! Load generator (prints figures, asserts nothing) for a running shop on this machine:
//!
//! ```text
//! bench_http webhooks <base-url> <webhook-secret> [events] [connections]
//! bench_http page <base-url> <path> [requests] [connections] [cookie|fresh]
//! ```
//!
//! `webhooks` sends distinct, validly signed `payment_intent.succeeded` events (for
//! PaymentIntents the shop does not know: each is still recorded, so each is a write);
//! `page` GETs a page as a browser would (`Accept: text/html`), either as new visitors each time
//! (`fresh`, no cookie) or as one returning visitor (`cookie`). Only 127.0.0.1 is accepted, the
//! count is bounded, and every request has a 10-second timeout. `BENCH_SERVER` (e.g. `shop`,
//! `bare`) is appended to the label, to tell servers apart in one table. `BENCH_ENCODING=br`
//! (or `gzip`) sends that `Accept-Encoding`, as a browser does; the bytes counted are then the
//! compressed ones (nothing is decompressed).

use std::time::{Duration, Instant};

fn arg(n: usize) -> Option<String> {
    std::env::args().nth(n)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let usage = "usage: bench_http webhooks <base> <secret> [events] [connections] | page <base> <path> [requests] [connections] [cookie|fresh]";
    let mode = arg(1).expect(usage);
    let base = arg(2).expect(usage);
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "load only against 127.0.0.1"
    );
    let count: usize = arg(4)
        .map_or(20_000, |n| n.parse().expect(usage))
        .min(1_000_000);
    let connections: usize = arg(5).map_or(16, |n| n.parse().expect(usage)).clamp(1, 256);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let run = format!("{:x}", std::process::id() ^ (now() as u32));
    let label = match mode.as_str() {
        "webhooks" => format!("webhook ingest, {connections} connections"),
        "page" => format!(
            "GET {} ({}), {connections} connections",
            arg(3).expect(usage),
            arg(6).as_deref().unwrap_or("fresh")
        ),
        _ => panic!("{usage}"),
    };
    let encoding = std::env::var("BENCH_ENCODING")
        .ok()
        .filter(|e| !e.is_empty());
    let label = match &encoding {
        Some(encoding) if mode == "page" => format!("{label}, Accept-Encoding {encoding}"),
        _ => label,
    };
    let label = match std::env::var("BENCH_SERVER") {
        Ok(server) if !server.is_empty() => format!("{label}, {server}"),
        _ => label,
    };
    // One returning visitor's cookie, from a first visit.
    let cookie = if mode == "page" && arg(6).as_deref() == Some("cookie") {
        let first = client
            .get(format!("{base}{}", arg(3).unwrap()))
            .header("accept", "text/html")
            .send()
            .await
            .expect("first visit");
        first
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
    } else {
        None
    };

    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (client, next, base, mode, run, cookie) = (
            client.clone(),
            next.clone(),
            base.clone(),
            mode.clone(),
            run.clone(),
            cookie.clone(),
        );
        let encoding = encoding.clone();
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut failed = 0usize;
            let mut bytes = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let request = if mode == "webhooks" {
                    let secret = arg(3).unwrap();
                    let t = now();
                    let body = serde_json::json!({
                        "id": format!("evt_bench_{run}_{i}"),
                        "object": "event",
                        "type": "payment_intent.succeeded",
                        "created": t,
                        "livemode": false,
                        "data": {"object": {
                            "id": format!("pi_bench_{run}_{i}"),
                            "object": "payment_intent",
                            "status": "succeeded",
                            "amount": 1850,
                            "amount_received": 1850,
                            "currency": "usd",
                            "metadata": {}
                        }}
                    })
                    .to_string();
                    let signature = stripe_sim::webhooks::sign(&secret, t, body.as_bytes());
                    client
                        .post(format!("{base}/webhooks/stripe"))
                        .header("stripe-signature", format!("t={t},v1={signature}"))
                        .header("content-type", "application/json")
                        .body(body)
                } else {
                    let mut r = client
                        .get(format!("{base}{}", arg(3).unwrap()))
                        .header("accept", "text/html");
                    if let Some(cookie) = &cookie {
                        r = r.header("cookie", cookie);
                    }
                    if let Some(encoding) = &encoding {
                        r = r.header("accept-encoding", encoding);
                    }
                    r
                };
                let sent = Instant::now();
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        bytes += response.bytes().await.map_or(0, |b| b.len());
                        times.push(sent.elapsed());
                    }
                    _ => failed += 1,
                }
            }
            (times, failed, bytes)
        }));
    }
    let mut times = Vec::new();
    let (mut failed, mut bytes) = (0, 0);
    for worker in workers {
        let (t, f, b) = worker.await.expect("worker");
        times.extend(t);
        failed += f;
        bytes += b;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{label}: {} ok, {failed} failed in {elapsed:.1} s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} bytes per response",
        times.len(),
        times.len() as f64 / elapsed,
        at(0.50),
        at(0.99),
        at(1.0),
        bytes / times.len().max(1),
    );
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
