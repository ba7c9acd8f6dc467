//! The fault matrix: many shoppers check out against the real `checkout` binary and the
//! standalone `stripe-sim`, over HTTP on loopback, while webhooks are duplicated and reordered,
//! lost for good, API calls fail, and the app is killed with SIGKILL and restarted. After
//! quiescence it checks, from the app's SQLite file and the simulator's PaymentIntents, that no
//! payment was lost, charged wrongly or twice, no stock was oversold or left held, and every
//! abandoned order was canceled with its PaymentIntent. Prints a table; exits 1 on a violation.
//!
//! Run it with `scripts/chaos.sh [--checkouts 200] [--fault PHASE]`, which builds both binaries.
//! Directly: `chaos --app-bin target/debug/checkout --sim-bin target/debug/stripe-sim
//! [--checkouts N] [--fault duplicate|lost|api|kill|all] [--concurrency 16] [--seed N] [--keep]`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SK: &str = "sk_test_chaos_0123456789abcdef";
const PK: &str = "pk_test_chaos_0123456789abcdef";
/// Seconds an unpaid order keeps its stock (CHECKOUT_HOLD_SECONDS).
const HOLD_SECONDS: u64 = 5;
/// How long the simulator's "processing" cards stay processing.
const PROCESSING_MS: u64 = 1000;
/// Products left at their seeded (small) stock, so shoppers compete for them.
const SCARCE: [&str; 3] = ["felt-trivet", "copper-kettle", "chefs-knife"];
/// Stock given to every other product, so most checkouts can buy something.
const PLENTY: i64 = 100_000;
/// Webhook endpoints registered for the app's one URL in the duplicate phases: each event is
/// delivered once per endpoint.
const ENDPOINTS_WHEN_DUPLICATING: usize = 5;
/// The longest a phase may wait for every order to settle once the faults are off.
const QUIESCENCE_TIMEOUT: Duration = Duration::from_secs(HOLD_SECONDS + 40);
/// The longest one shopper's flow may take.
const FLOW_TIMEOUT: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------------------------------------
// Options

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Every event delivered five times (five endpoints, plus random extra copies), out of order.
    Duplicate,
    /// Every event lost for good: only reconciliation heals.
    Lost,
    /// 30 % of API calls fail with 500, 409, 429 or a dropped connection (rotating).
    Api,
    /// The app is killed with SIGKILL at random moments and restarted on the same database.
    Kill,
    /// All of them at once (half the events lost for good, so duplicates still happen).
    All,
}

impl Phase {
    const SEQUENCE: [Phase; 5] = [
        Phase::Duplicate,
        Phase::Lost,
        Phase::Api,
        Phase::Kill,
        Phase::All,
    ];

    fn name(self) -> &'static str {
        match self {
            Phase::Duplicate => "duplicate",
            Phase::Lost => "lost",
            Phase::Api => "api",
            Phase::Kill => "kill",
            Phase::All => "all",
        }
    }

    fn parse(s: &str) -> Option<Phase> {
        Self::SEQUENCE.into_iter().find(|p| p.name() == s)
    }

    fn duplicates(self) -> bool {
        matches!(self, Phase::Duplicate | Phase::All)
    }

    fn loss_rate(self) -> f64 {
        match self {
            Phase::Lost => 1.0,
            Phase::All => 0.5,
            _ => 0.0,
        }
    }

    fn api_failures(self) -> bool {
        matches!(self, Phase::Api | Phase::All)
    }

    fn kills(self) -> bool {
        matches!(self, Phase::Kill | Phase::All)
    }
}

struct Options {
    checkouts: usize,
    phases: Vec<Phase>,
    concurrency: usize,
    seed: u64,
    app_bin: PathBuf,
    sim_bin: PathBuf,
    keep: bool,
    /// The whole run gives up after this long (default 120 s + half a second per checkout).
    timeout: Option<Duration>,
}

fn usage() -> ! {
    eprintln!(
        "usage: chaos --app-bin PATH --sim-bin PATH [--checkouts 200] [--fault duplicate|lost|api|kill|all]\n\
         \x20            [--concurrency 16] [--seed N] [--keep] [--timeout SECONDS]"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let here = std::env::current_exe().ok();
    // target/<profile>/examples/chaos → target/<profile>/
    let profile_dir = here
        .as_deref()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut o = Options {
        checkouts: 200,
        phases: Phase::SEQUENCE.to_vec(),
        concurrency: 16,
        seed: rand::random::<u32>() as u64,
        app_bin: profile_dir.join("checkout"),
        sim_bin: profile_dir.join("stripe-sim"),
        keep: false,
        timeout: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--checkouts" => o.checkouts = value().parse().unwrap_or_else(|_| usage()),
            "--fault" => o.phases = vec![Phase::parse(&value()).unwrap_or_else(|| usage())],
            "--concurrency" => o.concurrency = value().parse().unwrap_or_else(|_| usage()),
            "--seed" => o.seed = value().parse().unwrap_or_else(|_| usage()),
            "--app-bin" => o.app_bin = value().into(),
            "--sim-bin" => o.sim_bin = value().into(),
            "--keep" => o.keep = true,
            "--timeout" => {
                o.timeout = Some(Duration::from_secs(
                    value().parse().unwrap_or_else(|_| usage()),
                ))
            }
            _ => usage(),
        }
    }
    if o.checkouts == 0 || o.checkouts > 100_000 || o.concurrency == 0 || o.concurrency > 256 {
        usage()
    }
    for bin in [&o.app_bin, &o.sim_bin] {
        if !bin.is_file() {
            eprintln!("chaos: {} not found (build it first)", bin.display());
            std::process::exit(2)
        }
    }
    o
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is registered and killed on exit, on a panic and on a signal.

static CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());

fn children() -> std::sync::MutexGuard<'static, Vec<Child>> {
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts a program; with util-linux's `setpriv` it also dies if this driver dies.
fn spawn(bin: &Path, args: &[String], env: &[(String, String)], dir: &Path, log: &Path) -> u32 {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let setpriv = Path::new("/usr/bin/setpriv");
    let mut command = if setpriv.is_file() {
        let mut c = Command::new(setpriv);
        c.args(["--pdeathsig", "KILL", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let pid = child.id();
    children().push(child);
    pid
}

/// SIGKILLs one child this driver started and reaps it.
fn kill(pid: u32) {
    let mut list = children();
    if let Some(i) = list.iter().position(|c| c.id() == pid) {
        let mut child = list.swap_remove(i);
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Whether a child has exited on its own (its status, if so).
fn exited(pid: u32) -> Option<std::process::ExitStatus> {
    let mut list = children();
    let child = list.iter_mut().find(|c| c.id() == pid)?;
    child.try_wait().ok().flatten()
}

fn kill_all() {
    // Never waits for the lock: a panic may come while this thread holds it.
    let mut list = match CHILDREN.try_lock() {
        Ok(list) => list,
        Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for child in list.iter_mut() {
        let _ = child.kill();
    }
    for mut child in list.drain(..) {
        let _ = child.wait();
    }
}

/// Kills the children when `main` returns or unwinds.
struct KillOnDrop;
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        kill_all();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

async fn port_open(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// One phase's world: a simulator, the app (restartable), its database.

struct World {
    phase: Phase,
    dir: PathBuf,
    sim_port: u16,
    app_port: u16,
    app_bin: PathBuf,
    app_env: Vec<(String, String)>,
    app_pid: Mutex<u32>,
    http: reqwest::Client,
    db: SqlitePool,
    /// Product id → (slug, price, stock when the shoppers started).
    products: BTreeMap<i64, (String, i64, i64)>,
    kills: AtomicUsize,
}

impl World {
    fn sim(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.sim_port)
    }

    fn app(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.app_port)
    }

    fn app_log(&self) -> PathBuf {
        self.dir.join("app.log")
    }

    async fn start(phase: Phase, o: &Options, dir: PathBuf, seed: u64) -> World {
        std::fs::create_dir_all(dir.join("site")).expect("phase directory");
        let (sim_port, app_port) = (free_port(), free_port());
        let webhook_url = format!("http://127.0.0.1:{app_port}/webhooks/stripe");
        let first_secret = "whsec_chaos_first_endpoint_secret".to_string();
        let sim_args: Vec<String> = [
            "--port",
            &sim_port.to_string(),
            "--secret-key",
            SK,
            "--publishable-key",
            PK,
            "--webhook",
            &webhook_url,
            "--webhook-secret",
            &first_secret,
            "--seed",
            &seed.to_string(),
            "--processing-delay-ms",
            &PROCESSING_MS.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let sim_pid = spawn(
            &o.sim_bin,
            &sim_args,
            &[("RUST_LOG".into(), "warn".into())],
            &dir,
            &dir.join("sim.log"),
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .expect("HTTP client");
        wait_ready(sim_port, sim_pid, &dir.join("sim.log")).await;

        let mut secrets = vec![first_secret];
        if phase.duplicates() {
            for _ in 1..ENDPOINTS_WHEN_DUPLICATING {
                let created = sk_call(
                    &http,
                    reqwest::Method::POST,
                    &format!("http://127.0.0.1:{sim_port}/v1/webhook_endpoints"),
                    &[("url", webhook_url.as_str()), ("enabled_events[]", "*")],
                )
                .await;
                secrets.push(
                    created["secret"]
                        .as_str()
                        .expect("webhook endpoint secret")
                        .to_string(),
                );
            }
        }

        let db_path = dir.join("app.db");
        let app_env: Vec<(String, String)> = [
            ("CHECKOUT_ADDR", format!("127.0.0.1:{app_port}")),
            ("DATABASE_URL", format!("sqlite:{}", db_path.display())),
            ("LEPTOS_SITE_ROOT", dir.join("site").display().to_string()),
            ("LEPTOS_OUTPUT_NAME", "checkout".into()),
            ("STRIPE_SECRET_KEY", SK.into()),
            ("STRIPE_PUBLISHABLE_KEY", PK.into()),
            ("STRIPE_WEBHOOK_SECRET", secrets.join(",")),
            ("STRIPE_API_BASE", format!("http://127.0.0.1:{sim_port}")),
            ("STRIPE_JS_URL", format!("http://127.0.0.1:{sim_port}/v3/")),
            ("CHECKOUT_HOLD_SECONDS", HOLD_SECONDS.to_string()),
            ("RECONCILE_INTERVAL_SECONDS", "1".into()),
            ("RECONCILE_STALE_SECONDS", "2".into()),
            ("RUST_LOG", "warn,sqlx=error".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let app_pid = spawn(&o.app_bin, &[], &app_env, &dir, &dir.join("app.log"));
        wait_ready(app_port, app_pid, &dir.join("app.log")).await;

        let options = SqliteConnectOptions::from_str(&format!("sqlite:{}", db_path.display()))
            .expect("database URL")
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let db = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .expect("the app's database");
        // Restock (before any shopper): plenty of everything except a few scarce products.
        let scarce = SCARCE.map(|s| format!("'{s}'")).join(",");
        sqlx::query(&format!(
            "UPDATE products SET stock = {PLENTY} WHERE slug NOT IN ({scarce})"
        ))
        .execute(&db)
        .await
        .expect("restock");
        let products = sqlx::query_as::<_, (i64, String, i64, i64)>(
            "SELECT id, slug, price_minor, stock FROM products ORDER BY id",
        )
        .fetch_all(&db)
        .await
        .expect("products")
        .into_iter()
        .map(|(id, slug, price, stock)| (id, (slug, price, stock)))
        .collect();
        World {
            phase,
            dir,
            sim_port,
            app_port,
            app_bin: o.app_bin.clone(),
            app_env,
            app_pid: Mutex::new(app_pid),
            http,
            db,
            products,
            kills: AtomicUsize::new(0),
        }
    }

    fn app_pid(&self) -> u32 {
        *self.app_pid.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// SIGKILL, then the same binary on the same port and database.
    async fn kill_and_restart(&self) {
        kill(self.app_pid());
        self.kills.fetch_add(1, Ordering::Relaxed);
        let pid = spawn(
            &self.app_bin,
            &[],
            &self.app_env,
            &self.dir,
            &self.app_log(),
        );
        *self.app_pid.lock().unwrap_or_else(|e| e.into_inner()) = pid;
        wait_ready(self.app_port, pid, &self.app_log()).await;
    }

    /// Sets the simulator's faults (all of them: unnamed ones go back to none).
    async fn faults(&self, faults: &[(&str, String)]) {
        let form: Vec<(&str, &str)> = faults.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sk_call(
            &self.http,
            reqwest::Method::POST,
            &self.sim("/_sim/faults"),
            &form,
        )
        .await;
    }

    /// The phase's webhook faults (no API failures).
    fn webhook_faults(&self) -> Vec<(&'static str, String)> {
        let mut f = Vec::new();
        if self.phase.duplicates() {
            f.push(("webhook_duplicate_rate", "0.5".to_string()));
            f.push(("webhook_shuffle_ms", "1500".to_string()));
        }
        if self.phase.loss_rate() > 0.0 {
            f.push(("webhook_loss_rate", self.phase.loss_rate().to_string()));
        }
        f
    }

    async fn stop(&self) {
        kill(self.app_pid());
        self.db.close().await;
    }
}

async fn wait_ready(port: u16, pid: u32, log: &Path) {
    let started = Instant::now();
    while !port_open(port).await {
        if let Some(status) = exited(pid) {
            panic!(
                "a child exited during start-up ({status}); {}:\n{}",
                log.display(),
                tail(log, 30)
            );
        }
        if started.elapsed() > Duration::from_secs(60) {
            panic!(
                "port {port} not open after 60 s; {}:\n{}",
                log.display(),
                tail(log, 30)
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A secret-key call to the simulator (set-up and read-back, faults off or retried).
async fn sk_call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    form: &[(&str, &str)],
) -> Value {
    for attempt in 0..20 {
        let request = http.request(method.clone(), url).bearer_auth(SK);
        let request = if method == reqwest::Method::GET {
            request.query(form)
        } else {
            request.form(form)
        };
        if let Ok(response) = request.send().await {
            let status = response.status().as_u16();
            if let Ok(body) = response.json::<Value>().await {
                if status == 200 {
                    return body;
                }
                if status < 500 && status != 429 && status != 409 {
                    panic!("{method} {url}: {status} {body}");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
    }
    panic!("{method} {url}: no answer after 20 attempts");
}

// ---------------------------------------------------------------------------------------------
// Shoppers: one cookie jar each (shared by a shopper's tabs), talking to the app's server
// functions as the hydrated pages do and to the simulator as Stripe.js does.

#[derive(Clone)]
struct Shopper {
    world: Arc<World>,
    cookie: Arc<Mutex<Option<String>>>,
}

/// What `checkout/start` handed the browser.
#[derive(Clone, Debug)]
struct Session {
    order_id: String,
    client_secret: String,
    payment_intent: String,
    total: i64,
}

enum Start {
    Ok(Session),
    /// 400: the stock went, or the cart is empty.
    Refused(String),
    /// 409 or no answer: nothing to pay.
    Failed(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Card {
    Visa,
    Declined,
    InsufficientFunds,
    ThreeDs { complete: bool },
    ProcessingSucceeds,
    ProcessingFails,
}

impl Card {
    fn number(self) -> &'static str {
        match self {
            Card::Visa => "4242424242424242",
            Card::Declined => "4000000000000002",
            Card::InsufficientFunds => "4000000000009995",
            Card::ThreeDs { .. } => "4000002500003155",
            Card::ProcessingSucceeds => "4000009900000004",
            Card::ProcessingFails => "4000009900000012",
        }
    }
}

/// How one confirmation ended, as the shopper saw it.
#[derive(Clone, Debug, PartialEq)]
enum Paid {
    Succeeded(Instant),
    /// The card was declined (or processing failed, or 3-D Secure failed).
    Failed(String),
    /// The PaymentIntent was canceled (the hold ran out first).
    Canceled,
    /// No definite answer.
    Unknown(String),
}

impl Shopper {
    fn new(world: &Arc<World>) -> Self {
        Shopper {
            world: world.clone(),
            cookie: Arc::default(),
        }
    }

    /// One server-function call; `None` when no HTTP answer came.
    async fn call_once(&self, endpoint: &str, form: &[(&str, &str)]) -> Option<(u16, String)> {
        let mut request = self
            .world
            .http
            .post(self.world.app(&format!("/api/{endpoint}")))
            .header("Accept", "application/json")
            .form(form);
        if let Some(cookie) = self
            .cookie
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            request = request.header("Cookie", cookie);
        }
        let response = request.send().await.ok()?;
        let status = response.status().as_u16();
        if let Some(set) = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or_default().to_string();
            *self.cookie.lock().unwrap_or_else(|e| e.into_inner()) = Some(pair);
        }
        let body = response.text().await.ok()?;
        Some((status, body))
    }

    /// A call retried while the app is down or answers 5xx, as a shopper presses again.
    async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Option<(u16, String)> {
        let deadline = Instant::now() + Duration::from_secs(25);
        let mut wait = 50;
        loop {
            let answer = self.call_once(endpoint, form).await;
            match &answer {
                Some((status, _)) if *status < 500 => return answer,
                _ if Instant::now() > deadline => return answer,
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(wait)).await;
            wait = (wait * 2).min(800);
        }
    }

    async fn add(&self, product: i64, quantity: i64) -> bool {
        let (p, q) = (product.to_string(), quantity.to_string());
        matches!(
            self.call("cart/add", &[("product_id", &p), ("quantity", &q)])
                .await,
            Some((200, _))
        )
    }

    async fn set_quantity(&self, product: i64, quantity: i64) -> bool {
        let (p, q) = (product.to_string(), quantity.to_string());
        matches!(
            self.call("cart/update", &[("product_id", &p), ("quantity", &q)])
                .await,
            Some((200, _))
        )
    }

    async fn remove(&self, product: i64) -> bool {
        let p = product.to_string();
        matches!(
            self.call("cart/remove", &[("product_id", &p)]).await,
            Some((200, _))
        )
    }

    async fn start(&self, email: &str) -> Start {
        match self.call("checkout/start", &[("email", email)]).await {
            Some((200, body)) => {
                let v: Value = serde_json::from_str(&body).unwrap_or_default();
                let (Some(order_id), Some(secret), Some(total)) = (
                    v["order_id"].as_str(),
                    v["client_secret"].as_str(),
                    v["total"]["minor"].as_i64(),
                ) else {
                    return Start::Failed(format!("unexpected checkout session: {body}"));
                };
                Start::Ok(Session {
                    order_id: order_id.to_string(),
                    payment_intent: secret.split("_secret_").next().unwrap_or("").to_string(),
                    client_secret: secret.to_string(),
                    total,
                })
            }
            Some((400, body)) => Start::Refused(body),
            Some((status, body)) => Start::Failed(format!("{status} {body}")),
            None => Start::Failed("no answer".into()),
        }
    }

    /// A Stripe.js request with the publishable key. Stripe.js does not retry; the shopper
    /// presses Pay again, which is what the retries here stand for.
    async fn stripe_js(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> Option<(u16, Value)> {
        let mut wait = 50;
        for attempt in 0..8 {
            let request = self
                .world
                .http
                .request(method.clone(), self.world.sim(path))
                .bearer_auth(PK);
            let request = if method == reqwest::Method::GET {
                request.query(form)
            } else {
                request.form(form)
            };
            if let Ok(response) = request.send().await {
                let status = response.status().as_u16();
                if let Ok(body) = response.json::<Value>().await {
                    if status < 500 && status != 429 && status != 409 || attempt == 7 {
                        return Some((status, body));
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(wait)).await;
            wait = (wait * 2).min(800);
        }
        None
    }

    async fn payment_intent(&self, session: &Session) -> Option<Value> {
        let path = format!("/v1/payment_intents/{}", session.payment_intent);
        match self
            .stripe_js(
                reqwest::Method::GET,
                &path,
                &[("client_secret", &session.client_secret)],
            )
            .await
        {
            Some((200, pi)) => Some(pi),
            _ => None,
        }
    }

    /// The Pay button: `checkout/attempt`, then what `stripe.confirmPayment` does with the
    /// Payment Element: a PaymentMethod from the card's details, the confirmation with the
    /// client secret, a 3-D Secure challenge if asked, and the PaymentIntent read back.
    async fn pay(&self, session: &Session, card: Card) -> Paid {
        // The page refuses to confirm when the order's total is no longer the one it shows; a
        // client that ignores the refusal (as this one does) still pays the order's own total.
        let shown = session.total.to_string();
        let _ = self
            .call(
                "checkout/attempt",
                &[("order_id", &session.order_id), ("shown_minor", &shown)],
            )
            .await;
        let pm = self
            .stripe_js(
                reqwest::Method::POST,
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", card.number()),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2034"),
                    ("card[cvc]", "123"),
                    ("billing_details[address][postal_code]", "10001"),
                    ("billing_details[address][country]", "US"),
                ],
            )
            .await;
        let Some((200, pm)) = pm else {
            return Paid::Unknown(format!("payment method not created: {pm:?}"));
        };
        let pm = pm["id"].as_str().unwrap_or_default().to_string();
        let return_url = self.world.app(&format!("/orders/{}", session.order_id));
        let confirmed = self
            .stripe_js(
                reqwest::Method::POST,
                &format!("/v1/payment_intents/{}/confirm", session.payment_intent),
                &[
                    ("use_stripe_sdk", "true"),
                    ("return_url", &return_url),
                    ("payment_method", &pm),
                    ("client_secret", &session.client_secret),
                ],
            )
            .await;
        let observed = Instant::now();
        // The PaymentIntent as the answer shows it: the body, or inside a card error or a
        // refused confirmation (already succeeded after a dropped answer, canceled, …).
        let pi = match &confirmed {
            Some((200, body)) => body.clone(),
            Some((_, body)) if body["error"]["payment_intent"].is_object() => {
                body["error"]["payment_intent"].clone()
            }
            Some((_, body)) if body["error"]["type"] == "card_error" => {
                return Paid::Failed(body["error"]["message"].to_string())
            }
            other => {
                // No answer: ask Stripe.js's way what happened.
                match self.payment_intent(session).await {
                    Some(pi) => pi,
                    None => return Paid::Unknown(format!("confirm: {other:?}")),
                }
            }
        };
        self.settle(session, pi, card, observed).await
    }

    /// Follows the PaymentIntent to an outcome: 3-D Secure answered, processing waited out.
    async fn settle(&self, session: &Session, mut pi: Value, card: Card, at: Instant) -> Paid {
        let mut at = at;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match pi["status"].as_str().unwrap_or_default() {
                "succeeded" => return Paid::Succeeded(at),
                "canceled" => return Paid::Canceled,
                "requires_payment_method" => {
                    return Paid::Failed(pi["last_payment_error"]["message"].to_string())
                }
                "requires_action" => {
                    let complete = matches!(card, Card::ThreeDs { complete: true });
                    let outcome = if complete { "complete" } else { "fail" };
                    let _ = self
                        .stripe_js(
                            reqwest::Method::POST,
                            &format!("/_sim/3ds/{}", session.payment_intent),
                            &[
                                ("client_secret", &session.client_secret),
                                ("outcome", outcome),
                            ],
                        )
                        .await;
                }
                "processing" => tokio::time::sleep(Duration::from_millis(50)).await,
                other => return Paid::Unknown(format!("PaymentIntent {other}")),
            }
            if Instant::now() > deadline {
                return Paid::Unknown("no outcome after 20 s".into());
            }
            pi = match self.payment_intent(session).await {
                Some(pi) => pi,
                None => return Paid::Unknown("PaymentIntent unreadable".into()),
            };
            at = Instant::now();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Flows

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Pay,
    DeclineThenRetry,
    ChangeCart,
    TwoTabs,
    Abandon,
}

/// What one shopper did and saw.
#[derive(Debug)]
struct Flow {
    n: usize,
    behaviour: Behaviour,
    card: Card,
    orders: BTreeSet<String>,
    /// The successful payment the shopper saw: PaymentIntent, amount shown, when.
    paid: Option<(String, i64, Instant)>,
    /// Every PaymentIntent whose client secret the shopper got.
    payment_intents: BTreeSet<String>,
    /// Times the PaymentIntent was canceled under the shopper (the hold ran out) and they
    /// checked out again.
    restarts: usize,
    outcome: String,
}

impl Flow {
    fn saw(&mut self, s: &Session) {
        self.orders.insert(s.order_id.clone());
        self.payment_intents.insert(s.payment_intent.clone());
    }
}

fn pick_behaviour(rng: &mut StdRng) -> Behaviour {
    match rng.gen_range(0..100) {
        0..40 => Behaviour::Pay,
        40..55 => Behaviour::DeclineThenRetry,
        55..70 => Behaviour::ChangeCart,
        70..85 => Behaviour::TwoTabs,
        _ => Behaviour::Abandon,
    }
}

fn pick_card(rng: &mut StdRng) -> Card {
    match rng.gen_range(0..100) {
        0..45 => Card::Visa,
        45..60 => Card::ThreeDs { complete: true },
        60..68 => Card::ThreeDs { complete: false },
        68..78 => Card::ProcessingSucceeds,
        78..84 => Card::ProcessingFails,
        84..92 => Card::Declined,
        _ => Card::InsufficientFunds,
    }
}

/// A random product: a scarce one a fifth of the time.
fn pick_product(world: &World, rng: &mut StdRng) -> i64 {
    let scarce = rng.gen_bool(0.2);
    let candidates: Vec<i64> = world
        .products
        .iter()
        .filter(|(_, (slug, _, _))| SCARCE.contains(&slug.as_str()) == scarce)
        .map(|(id, _)| *id)
        .collect();
    candidates[rng.gen_range(0..candidates.len())]
}

fn plentiful(world: &World) -> i64 {
    world
        .products
        .iter()
        .find(|(_, (slug, _, _))| slug == "stoneware-mug")
        .map(|(id, _)| *id)
        .expect("the mug is seeded")
}

async fn think(rng: &mut StdRng) {
    tokio::time::sleep(Duration::from_millis(rng.gen_range(0..600))).await;
}

/// Checkout until the app gives a session; a refusal for stock empties the scarce lines and
/// makes sure the cart holds something.
async fn start(shopper: &Shopper, flow: &mut Flow, email: &str) -> Option<Session> {
    for _ in 0..4 {
        match shopper.start(email).await {
            Start::Ok(session) => {
                flow.saw(&session);
                return Some(session);
            }
            Start::Refused(body) => {
                for (id, (slug, _, _)) in &shopper.world.products {
                    if SCARCE.contains(&slug.as_str()) && body.contains("StockChanged") {
                        shopper.remove(*id).await;
                    }
                }
                if body.contains("EmptyCart") || body.contains("StockChanged") {
                    shopper.add(plentiful(&shopper.world), 1).await;
                }
            }
            Start::Failed(why) => {
                flow.outcome = format!("checkout failed: {why}");
                return None;
            }
        }
    }
    flow.outcome = "checkout refused four times".into();
    None
}

/// Pays until it succeeds or fails for good; a PaymentIntent canceled under the shopper (the
/// hold ran out) means checking out again.
async fn pay(shopper: &Shopper, flow: &mut Flow, mut session: Session, card: Card) {
    for _ in 0..3 {
        match shopper.pay(&session, card).await {
            Paid::Succeeded(at) => {
                flow.paid = Some((session.payment_intent.clone(), session.total, at));
                flow.outcome = "paid".into();
                return;
            }
            Paid::Failed(why) => {
                flow.outcome = format!("payment failed: {why}");
                return;
            }
            Paid::Unknown(why) => {
                flow.outcome = format!("no answer: {why}");
                return;
            }
            Paid::Canceled => {
                flow.restarts += 1;
                let email = format!("shopper{}@example.com", flow.n);
                match start(shopper, flow, &email).await {
                    Some(next) => session = next,
                    None => return,
                }
            }
        }
    }
    flow.outcome = "canceled three times".into();
}

async fn flow(world: Arc<World>, n: usize, seed: u64) -> Flow {
    let mut rng = StdRng::seed_from_u64(seed);
    let behaviour = pick_behaviour(&mut rng);
    let card = pick_card(&mut rng);
    let mut flow = Flow {
        n,
        behaviour,
        card,
        orders: BTreeSet::new(),
        paid: None,
        payment_intents: BTreeSet::new(),
        restarts: 0,
        outcome: String::new(),
    };
    let shopper = Shopper::new(&world);
    let email = format!("shopper{n}@example.com");
    let lines = rng.gen_range(1..=2);
    let mut chosen = Vec::new();
    for _ in 0..lines {
        let product = pick_product(&world, &mut rng);
        if !chosen.contains(&product) && shopper.add(product, rng.gen_range(1..=2)).await {
            chosen.push(product);
        }
    }
    if chosen.is_empty() {
        let mug = plentiful(&world);
        shopper.add(mug, 1).await;
        chosen.push(mug);
    }
    think(&mut rng).await;
    let Some(session) = start(&shopper, &mut flow, &email).await else {
        return flow;
    };
    think(&mut rng).await;
    match behaviour {
        Behaviour::Pay => {
            // One in four pays late, about when the hold runs out, racing the reconciler
            // that cancels expired orders.
            if rng.gen_bool(0.25) {
                let late = rng.gen_range(HOLD_SECONDS * 1000 - 1000..HOLD_SECONDS * 1000 + 1500);
                tokio::time::sleep(Duration::from_millis(late)).await;
            }
            pay(&shopper, &mut flow, session, card).await
        }
        Behaviour::DeclineThenRetry => {
            let first = if rng.gen_bool(0.5) {
                Card::Declined
            } else {
                Card::InsufficientFunds
            };
            pay(&shopper, &mut flow, session.clone(), first).await;
            if flow.paid.is_none() {
                think(&mut rng).await;
                pay(&shopper, &mut flow, session, Card::Visa).await;
            }
        }
        Behaviour::ChangeCart => {
            let another = pick_product(&world, &mut rng);
            let changed = match rng.gen_range(0..3) {
                0 if !chosen.contains(&another) => shopper.add(another, 1).await,
                1 if chosen.len() > 1 => shopper.remove(chosen[0]).await,
                _ => shopper.set_quantity(chosen[chosen.len() - 1], 3).await,
            };
            if !changed {
                shopper.add(plentiful(&world), 1).await;
            }
            think(&mut rng).await;
            if let Some(session) = start(&shopper, &mut flow, &email).await {
                pay(&shopper, &mut flow, session, card).await;
            }
        }
        Behaviour::TwoTabs => {
            // The first tab's session is set aside: both tabs check out at once, then both
            // press Pay at once (one with the chosen card, one with a Visa).
            let second = shopper.clone();
            let (mut a, mut b) = (Flow::empty(n), Flow::empty(n));
            let (sa, sb) = tokio::join!(
                start(&shopper, &mut a, &email),
                start(&second, &mut b, &email)
            );
            flow.orders.extend(a.orders.into_iter().chain(b.orders));
            flow.payment_intents
                .extend(a.payment_intents.into_iter().chain(b.payment_intents));
            let (Some(sa), Some(sb)) = (sa, sb) else {
                flow.outcome = "a tab could not check out".into();
                return flow;
            };
            let (mut fa, mut fb) = (Flow::empty(n), Flow::empty(n));
            tokio::join!(
                pay(&shopper, &mut fa, sa, card),
                pay(&second, &mut fb, sb, Card::Visa)
            );
            flow.restarts += fa.restarts + fb.restarts;
            flow.orders.extend(fa.orders.into_iter().chain(fb.orders));
            flow.payment_intents
                .extend(fa.payment_intents.into_iter().chain(fb.payment_intents));
            flow.paid = match (fa.paid, fb.paid) {
                (Some(x), Some(y)) if x.0 != y.0 => {
                    flow.outcome = format!("two tabs paid two PaymentIntents: {} {}", x.0, y.0);
                    Some(x)
                }
                (Some(x), Some(y)) => Some(if x.2 <= y.2 { x } else { y }),
                (x, y) => x.or(y),
            };
            if flow.outcome.is_empty() {
                flow.outcome = if flow.paid.is_some() {
                    "paid".into()
                } else {
                    format!("{} (other tab: {})", fa.outcome, fb.outcome)
                };
            }
        }
        Behaviour::Abandon => {
            if rng.gen_bool(0.5) {
                shopper.add(plentiful(&world), 1).await;
                start(&shopper, &mut flow, &email).await;
            }
            flow.outcome = "abandoned".into();
        }
    }
    flow
}

impl Flow {
    fn empty(n: usize) -> Flow {
        Flow {
            n,
            behaviour: Behaviour::Pay,
            card: Card::Visa,
            orders: BTreeSet::new(),
            paid: None,
            payment_intents: BTreeSet::new(),
            restarts: 0,
            outcome: String::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Faults and observers running beside the shoppers

/// Kills the app at random moments (0.1–0.8 s after it answers again).
async fn killer(world: Arc<World>, stop: Arc<AtomicBool>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while !stop.load(Ordering::Relaxed) {
        let wait = Duration::from_millis(rng.gen_range(100..800));
        let until = Instant::now() + wait;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        world.kill_and_restart().await;
    }
}

/// Turns API failures on, the kind rotating every half second: 500, 409, 429, drop.
async fn failure_rotator(world: Arc<World>, stop: Arc<AtomicBool>) {
    let kinds = ["500", "409", "429", "drop"];
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut faults = world.webhook_faults();
        faults.push(("failure_rate", "0.3".into()));
        faults.push(("failure_kind", kinds[round % kinds.len()].into()));
        world.faults(&faults).await;
        round += 1;
        for _ in 0..25 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// When each order was first seen paid in the database (every 50 ms).
async fn paid_watcher(
    world: Arc<World>,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<HashMap<String, Instant>>>,
) {
    loop {
        let done = stop.load(Ordering::Relaxed);
        if let Ok(rows) =
            sqlx::query_scalar::<_, String>("SELECT id FROM orders WHERE status = 'paid'")
                .fetch_all(&world.db)
                .await
        {
            let now = Instant::now();
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            for id in rows {
                seen.entry(id).or_insert(now);
            }
        }
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Checking

#[derive(Debug, Clone)]
struct OrderRow {
    id: String,
    cart_id: String,
    status: String,
    total: i64,
    payment_intent: Option<String>,
    stock_hold: String,
    oversold: bool,
}

#[derive(Default)]
struct Report {
    phase: &'static str,
    checkouts: usize,
    orders: usize,
    paid: usize,
    canceled: usize,
    lost: Vec<String>,
    wrong: Vec<String>,
    double: Vec<String>,
    oversold: Vec<String>,
    not_canceled: Vec<String>,
    corrections: i64,
    healed_orders: usize,
    heal_times: Vec<f64>,
    /// The order that took longest to be paid after its payment succeeded.
    slowest_heal: Option<(f64, String)>,
    stray: usize,
    kills: usize,
    /// How the shoppers' flows ended, by kind.
    outcomes: BTreeMap<String, usize>,
    /// Payments canceled under the shopper by an expired hold (they checked out again).
    restarts: usize,
    /// Webhook deliveries answered 2xx, and the distinct events among them.
    deliveries: (usize, usize),
    settle_seconds: f64,
    seconds: f64,
    /// Orders to show the timeline of.
    suspects: BTreeSet<String>,
}

impl Report {
    fn failed(&self) -> bool {
        !(self.lost.is_empty()
            && self.wrong.is_empty()
            && self.double.is_empty()
            && self.oversold.is_empty()
            && self.not_canceled.is_empty())
    }
}

async fn orders(db: &SqlitePool) -> Vec<OrderRow> {
    sqlx::query_as::<_, (String, String, String, i64, Option<String>, String, bool)>(
        "SELECT id, cart_id, status, total_minor, payment_intent_id, stock_hold, oversold FROM orders",
    )
    .fetch_all(db)
    .await
    .expect("orders")
    .into_iter()
    .map(
        |(id, cart_id, status, total, payment_intent, stock_hold, oversold)| OrderRow {
            id,
            cart_id,
            status,
            total,
            payment_intent,
            stock_hold,
            oversold,
        },
    )
    .collect()
}

/// Every PaymentIntent of the simulator, paged with `starting_after`.
async fn payment_intents(world: &World) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100".to_string())];
        if let Some(c) = &cursor {
            query.push(("starting_after", c.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = sk_call(
            &world.http,
            reqwest::Method::GET,
            &world.sim("/v1/payment_intents"),
            &query,
        )
        .await;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        cursor = data
            .last()
            .and_then(|pi| pi["id"].as_str())
            .map(String::from);
        all.extend(data);
        if page["has_more"] != Value::Bool(true) || cursor.is_none() {
            return all;
        }
    }
}

/// Waits until no order can still change: none open, none holding stock.
async fn quiescence(world: &World) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let open: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, status FROM orders WHERE status IN ('pending', 'processing', 'payment_failed')
                OR stock_hold = 'held'",
        )
        .fetch_all(&world.db)
        .await
        .map_err(|e| e.to_string())?;
        if open.is_empty() {
            return Ok(());
        }
        if started.elapsed() > QUIESCENCE_TIMEOUT {
            return Err(format!(
                "{} orders still open or holding stock after {} s",
                open.len(),
                QUIESCENCE_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the app's database and the simulator hold once everything has settled.
struct Facts {
    orders: Vec<OrderRow>,
    payment_intents: Vec<Value>,
    order_index: HashMap<String, usize>,
    pi_index: HashMap<String, usize>,
}

impl Facts {
    async fn read(world: &World) -> Facts {
        let orders = orders(&world.db).await;
        let payment_intents = payment_intents(world).await;
        let order_index = orders
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i))
            .collect();
        let pi_index = payment_intents
            .iter()
            .enumerate()
            .filter_map(|(i, pi)| Some((pi["id"].as_str()?.to_string(), i)))
            .collect();
        Facts {
            orders,
            payment_intents,
            order_index,
            pi_index,
        }
    }

    fn order(&self, id: &str) -> Option<&OrderRow> {
        self.order_index.get(id).map(|i| &self.orders[*i])
    }

    fn pi(&self, id: &str) -> Option<&Value> {
        self.pi_index.get(id).map(|i| &self.payment_intents[*i])
    }

    /// The PaymentIntent an order points at.
    fn pi_of(&self, order: &OrderRow) -> Option<&Value> {
        order.payment_intent.as_deref().and_then(|pi| self.pi(pi))
    }
}

async fn check(
    world: &World,
    flows: &[Flow],
    paid_seen: &HashMap<String, Instant>,
    report: &mut Report,
) {
    let facts = Facts::read(world).await;
    report.orders = facts.orders.len();
    report.paid = facts.orders.iter().filter(|o| o.status == "paid").count();
    report.canceled = facts
        .orders
        .iter()
        .filter(|o| o.status == "canceled")
        .count();
    check_payments(&facts, flows, report);
    check_stock(world, &facts, report).await;
    check_cancellations(&facts, flows, report);
    measure(world, &facts, flows, paid_seen, report).await;
}

/// Every succeeded PaymentIntent belongs to exactly one order, paid, with the same amount; no
/// order is paid without one; no order, and no shopper, is charged twice; what the shopper was
/// shown is what was taken.
fn check_payments(facts: &Facts, flows: &[Flow], report: &mut Report) {
    let mut succeeded_by_order: HashMap<String, Vec<String>> = HashMap::new();
    for pi in &facts.payment_intents {
        let id = pi["id"].as_str().unwrap_or_default();
        let order_id = pi["metadata"]["order_id"].as_str().unwrap_or_default();
        match pi["status"].as_str().unwrap_or_default() {
            "succeeded" => {
                succeeded_by_order
                    .entry(order_id.to_string())
                    .or_default()
                    .push(id.to_string());
                let received = pi["amount_received"].as_i64().unwrap_or(-1);
                let Some(o) = facts.order(order_id) else {
                    report.lost.push(format!(
                        "{id} succeeded for order {order_id:?}, which does not exist"
                    ));
                    continue;
                };
                if o.payment_intent.as_deref() != Some(id) {
                    report.suspects.insert(o.id.clone());
                    report.lost.push(format!(
                        "{id} succeeded for order {} whose PaymentIntent is {:?} (status {})",
                        o.id, o.payment_intent, o.status
                    ));
                } else if o.status != "paid" {
                    report.suspects.insert(o.id.clone());
                    let list = if o.status == "needs_review" {
                        &mut report.wrong
                    } else {
                        &mut report.lost
                    };
                    list.push(format!(
                        "{id} succeeded ({received}) but order {} is {}",
                        o.id, o.status
                    ));
                } else if o.total != received {
                    report.suspects.insert(o.id.clone());
                    report.wrong.push(format!(
                        "order {} total {} but {id} took {received}",
                        o.id, o.total
                    ));
                }
            }
            "canceled" => {}
            status => {
                // Left payable: harmless only if no shopper ever got its client secret.
                if flows.iter().any(|f| f.payment_intents.contains(id)) {
                    report.suspects.insert(order_id.to_string());
                    report.not_canceled.push(format!(
                        "{id} (order {order_id}) is still {status}, and a shopper has its client secret"
                    ));
                } else {
                    report.stray += 1;
                }
            }
        }
    }
    for o in &facts.orders {
        if let Some(pi) = facts.pi_of(o) {
            if pi["metadata"]["order_id"].as_str() != Some(o.id.as_str()) {
                report.suspects.insert(o.id.clone());
                report.wrong.push(format!(
                    "order {} points at {}, which is for order {}",
                    o.id, pi["id"], pi["metadata"]["order_id"]
                ));
            }
        }
        if matches!(o.status.as_str(), "paid" | "needs_review")
            && !facts.pi_of(o).is_some_and(|pi| pi["status"] == "succeeded")
        {
            report.suspects.insert(o.id.clone());
            report.wrong.push(format!(
                "order {} is {} without a succeeded PaymentIntent ({:?})",
                o.id, o.status, o.payment_intent
            ));
        }
        if let Some(list) = succeeded_by_order.get(&o.id).filter(|l| l.len() > 1) {
            report.suspects.insert(o.id.clone());
            report.double.push(format!(
                "order {} has {} succeeded PaymentIntents: {list:?}",
                o.id,
                list.len()
            ));
        }
    }
    // Each shopper meant to buy once: one cart, at most one order charged.
    let mut charged_per_cart: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for o in &facts.orders {
        if succeeded_by_order.contains_key(&o.id) {
            charged_per_cart.entry(&o.cart_id).or_default().push(&o.id);
        }
    }
    for (cart, list) in charged_per_cart.iter().filter(|(_, l)| l.len() > 1) {
        report.suspects.extend(list.iter().map(|s| s.to_string()));
        report.double.push(format!(
            "one shopper (cart {cart}) was charged for {} orders: {list:?}",
            list.len()
        ));
    }
    for f in flows {
        if let Some((pi, shown, _)) = &f.paid {
            let taken = facts.pi(pi).and_then(|p| p["amount_received"].as_i64());
            if taken != Some(*shown) {
                report.wrong.push(format!(
                    "shopper {} was shown {shown} and {pi} took {taken:?}",
                    f.n
                ));
            }
        }
    }
}

/// Stock per product = initial stock − what paid orders bought; nothing oversold.
async fn check_stock(world: &World, facts: &Facts, report: &mut Report) {
    let items: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT order_id, product_id, quantity FROM order_items")
            .fetch_all(&world.db)
            .await
            .expect("order items");
    let stock: HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>("SELECT id, stock FROM products")
            .fetch_all(&world.db)
            .await
            .expect("stock")
            .into_iter()
            .collect();
    let (mut sold, mut held): (HashMap<i64, i64>, HashMap<i64, i64>) = Default::default();
    for (order, product, quantity) in &items {
        match facts.order(order) {
            Some(o) if o.status == "paid" => *sold.entry(*product).or_default() += quantity,
            Some(o) if o.stock_hold == "held" => *held.entry(*product).or_default() += quantity,
            _ => {}
        }
    }
    for (id, (slug, _, initial)) in &world.products {
        let sold = sold.get(id).copied().unwrap_or(0);
        let expected = initial - sold;
        let actual = stock.get(id).copied().unwrap_or(i64::MIN);
        // Stock still held by an unsettled order is reported with that order, not here.
        let held = held.get(id).copied().unwrap_or(0);
        if (actual != expected && actual != expected - held) || actual < 0 {
            report.oversold.push(format!(
                "{slug}: stock {actual}, expected {initial} − {sold} sold = {expected}"
            ));
        }
    }
    for o in facts.orders.iter().filter(|o| o.oversold) {
        report.suspects.insert(o.id.clone());
        report
            .oversold
            .push(format!("order {} is flagged oversold", o.id));
    }
}

/// Every order is paid (its stock taken) or canceled (its stock released, its PaymentIntent
/// canceled); an abandoned order is canceled as `abandoned`.
fn check_cancellations(facts: &Facts, flows: &[Flow], report: &mut Report) {
    for o in &facts.orders {
        let expected_hold = match o.status.as_str() {
            "paid" => "taken",
            "canceled" => "released",
            _ => "",
        };
        if o.stock_hold != expected_hold {
            report.suspects.insert(o.id.clone());
            report.not_canceled.push(format!(
                "order {} is {} with stock {}",
                o.id, o.status, o.stock_hold
            ));
        }
        if o.status == "canceled" && o.payment_intent.is_some() {
            let status = facts.pi_of(o).map(|p| p["status"].clone());
            if status != Some(Value::from("canceled")) {
                report.suspects.insert(o.id.clone());
                report.not_canceled.push(format!(
                    "order {} is canceled but {:?} is {status:?}",
                    o.id, o.payment_intent
                ));
            }
        }
    }
    for f in flows.iter().filter(|f| f.behaviour == Behaviour::Abandon) {
        for id in &f.orders {
            let Some(o) = facts.order(id) else {
                report
                    .not_canceled
                    .push(format!("abandoned order {id} is missing"));
                continue;
            };
            let reason = facts.pi_of(o).map(|pi| pi["cancellation_reason"].clone());
            if o.status != "canceled" || reason != Some(Value::from("abandoned")) {
                report.suspects.insert(o.id.clone());
                report.not_canceled.push(format!(
                    "abandoned order {id} is {} (PaymentIntent canceled as {reason:?})",
                    o.status
                ));
            }
        }
    }
}

/// Healing (corrections the app counted, orders whose timeline says so, and how long from the
/// payment succeeding to the order being paid: from the simulator's answer that showed the
/// shopper `succeeded` to the driver's 50 ms poll of the database first seeing the order paid),
/// how the shoppers fared, webhooks delivered.
async fn measure(
    world: &World,
    facts: &Facts,
    flows: &[Flow],
    paid_seen: &HashMap<String, Instant>,
    report: &mut Report,
) {
    report.corrections = sqlx::query_scalar(
        "SELECT coalesce((SELECT value FROM sync_state WHERE name = 'reconciled_corrections'), 0)",
    )
    .fetch_one(&world.db)
    .await
    .expect("sync_state");
    report.healed_orders = sqlx::query_scalar::<_, i64>(
        "SELECT count(DISTINCT order_id) FROM order_events WHERE detail LIKE 'Webhook missing, reconciled%'",
    )
    .fetch_one(&world.db)
    .await
    .expect("order_events") as usize;
    for f in flows {
        let Some((pi, _, at)) = &f.paid else { continue };
        let order = facts
            .pi(pi)
            .and_then(|p| p["metadata"]["order_id"].as_str());
        if let (Some(order), Some(seen)) = (order, order.and_then(|o| paid_seen.get(o))) {
            let heal = seen.saturating_duration_since(*at).as_secs_f64();
            report.heal_times.push(heal);
            if report.slowest_heal.as_ref().is_none_or(|(s, _)| heal > *s) {
                report.slowest_heal = Some((heal, order.to_string()));
            }
        }
    }
    report.heal_times.sort_by(f64::total_cmp);

    for f in flows {
        report.restarts += f.restarts;
        let kind = f.outcome.split(':').next().unwrap_or_default();
        *report.outcomes.entry(kind.to_string()).or_default() += 1;
    }
    let attempts = sk_call(
        &world.http,
        reqwest::Method::GET,
        &world.sim("/_sim/deliveries"),
        &[],
    )
    .await;
    let delivered: Vec<&Value> = attempts["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|d| (200..300).contains(&d["status"].as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let events: std::collections::HashSet<&str> = delivered
        .iter()
        .filter_map(|d| d["event"].as_str())
        .collect();
    report.deliveries = (delivered.len(), events.len());
}

/// An `order_events` row: at, kind, old status, new status, detail.
type TimelineRow = (i64, String, Option<String>, Option<String>, String);

async fn timeline(db: &SqlitePool, order: &str) -> String {
    let rows: Vec<TimelineRow> = sqlx::query_as(
        "SELECT at, kind, old_status, new_status, detail FROM order_events WHERE order_id = ? ORDER BY id",
    )
    .bind(order)
    .fetch_all(db)
    .await
    .unwrap_or_default();
    rows.into_iter()
        .map(|(at, kind, old, new, detail)| {
            format!(
                "      {at} {kind:<22} {:>15} → {:<15} {detail}",
                old.unwrap_or_default(),
                new.unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// A phase

async fn run_phase(o: &Options, phase: Phase, checkouts: usize, root: &Path) -> Report {
    let started = Instant::now();
    let seed = o.seed.wrapping_mul(31).wrapping_add(
        Phase::SEQUENCE
            .iter()
            .position(|p| *p == phase)
            .unwrap_or(0) as u64,
    );
    let world = Arc::new(World::start(phase, o, root.join(phase.name()), seed).await);
    let mut report = Report {
        phase: phase.name(),
        checkouts,
        ..Report::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stop_watcher = Arc::new(AtomicBool::new(false));
    let paid_seen = Arc::new(Mutex::new(HashMap::new()));
    let watcher = tokio::spawn(paid_watcher(
        world.clone(),
        stop_watcher.clone(),
        paid_seen.clone(),
    ));
    world.faults(&world.webhook_faults()).await;
    let rotator = phase
        .api_failures()
        .then(|| tokio::spawn(failure_rotator(world.clone(), stop.clone())));
    let killer = phase
        .kills()
        .then(|| tokio::spawn(killer(world.clone(), stop.clone(), seed ^ 0x6b696c6c)));

    // The shoppers, at most `concurrency` at a time.
    let gate = Arc::new(tokio::sync::Semaphore::new(o.concurrency));
    let mut tasks = Vec::new();
    for n in 0..checkouts {
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        let world = world.clone();
        let flow_seed = seed.wrapping_mul(1_000_003).wrapping_add(n as u64);
        tasks.push(tokio::spawn(async move {
            let result = tokio::time::timeout(FLOW_TIMEOUT, flow(world, n, flow_seed)).await;
            drop(permit);
            result.unwrap_or_else(|_| {
                let mut f = Flow::empty(n);
                f.outcome = "flow timed out".into();
                f
            })
        }));
    }
    let mut flows = Vec::new();
    for task in tasks {
        flows.push(task.await.expect("a shopper's flow panicked"));
    }

    // Faults off; the app left running; then wait for every order to settle.
    stop.store(true, Ordering::Relaxed);
    if let Some(k) = killer {
        k.await.expect("killer");
    }
    if let Some(r) = rotator {
        r.await.expect("rotator");
    }
    world.faults(&[]).await;
    let settling = Instant::now();
    if let Err(e) = quiescence(&world).await {
        report.not_canceled.push(e);
        let open: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE status IN ('pending', 'processing', 'payment_failed') OR stock_hold = 'held' LIMIT 5",
        )
        .fetch_all(&world.db)
        .await
        .unwrap_or_default();
        report.suspects.extend(open);
    }
    report.settle_seconds = settling.elapsed().as_secs_f64();
    stop_watcher.store(true, Ordering::Relaxed);
    watcher.await.expect("watcher");
    let seen = paid_seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    check(&world, &flows, &seen, &mut report).await;
    report.kills = world.kills.load(Ordering::Relaxed);
    report.seconds = started.elapsed().as_secs_f64();

    if report.failed() {
        println!("\n!! phase {} failed:", phase.name());
        for (what, list) in [
            ("lost", &report.lost),
            ("wrong", &report.wrong),
            ("double charge", &report.double),
            ("oversold", &report.oversold),
            ("not canceled / unsettled", &report.not_canceled),
        ] {
            for line in list {
                println!("  {what}: {line}");
            }
        }
        for order in report.suspects.iter().take(10) {
            let who = flows
                .iter()
                .find(|f| f.orders.contains(order))
                .map(|f| {
                    format!(
                        "shopper {} ({:?}, {:?}): {}",
                        f.n, f.behaviour, f.card, f.outcome
                    )
                })
                .unwrap_or_else(|| "no shopper saw it".into());
            println!("  order {order} — {who}");
            println!("{}", timeline(&world.db, order).await);
        }
        println!("  logs and database kept in {}", world.dir.display());
    }
    world.stop().await;
    report
}

// ---------------------------------------------------------------------------------------------

fn seconds(list: &[f64], q: f64) -> String {
    if list.is_empty() {
        return "–".into();
    }
    let i = ((list.len() as f64 - 1.0) * q).round() as usize;
    format!("{:.2} s", list[i.min(list.len() - 1)])
}

fn print_table(reports: &[Report]) {
    let header = [
        "phase",
        "checkouts",
        "orders",
        "paid",
        "canceled",
        "lost",
        "wrong",
        "double",
        "oversold",
        "not canceled",
        "webhooks 2xx",
        "healed",
        "heal p50",
        "heal p99",
        "kills",
        "settle",
        "time",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut total = Report {
        phase: "total",
        ..Report::default()
    };
    for r in reports {
        total.checkouts += r.checkouts;
        total.orders += r.orders;
        total.paid += r.paid;
        total.canceled += r.canceled;
        total.lost.extend(r.lost.clone());
        total.wrong.extend(r.wrong.clone());
        total.double.extend(r.double.clone());
        total.oversold.extend(r.oversold.clone());
        total.not_canceled.extend(r.not_canceled.clone());
        total.corrections += r.corrections;
        total.healed_orders += r.healed_orders;
        total.heal_times.extend(r.heal_times.clone());
        total.kills += r.kills;
        total.deliveries.0 += r.deliveries.0;
        total.settle_seconds += r.settle_seconds;
        total.seconds += r.seconds;
    }
    total.heal_times.sort_by(f64::total_cmp);
    let with_total: Vec<&Report> = if reports.len() > 1 {
        reports.iter().chain(std::iter::once(&total)).collect()
    } else {
        reports.iter().collect()
    };
    for r in with_total {
        rows.push(vec![
            r.phase.to_string(),
            r.checkouts.to_string(),
            r.orders.to_string(),
            r.paid.to_string(),
            r.canceled.to_string(),
            r.lost.len().to_string(),
            r.wrong.len().to_string(),
            r.double.len().to_string(),
            r.oversold.len().to_string(),
            r.not_canceled.len().to_string(),
            if r.phase == "total" {
                format!("{}", r.deliveries.0)
            } else {
                format!("{} ({} events)", r.deliveries.0, r.deliveries.1)
            },
            format!("{} ({} orders)", r.corrections, r.healed_orders),
            seconds(&r.heal_times, 0.5),
            seconds(&r.heal_times, 0.99),
            r.kills.to_string(),
            format!("{:.1} s", r.settle_seconds),
            format!("{:.1} s", r.seconds),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(header.iter().map(|s| s.to_string()).collect());
    println!(
        "|{}|",
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 {
                format!(":{}", "-".repeat(w + 1))
            } else {
                format!("{}:", "-".repeat(w + 1))
            })
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in rows {
        line(r);
    }
}

#[tokio::main]
async fn main() {
    let o = options();
    let _guard = KillOnDrop;
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        kill_all();
        std::process::exit(101);
    }));
    tokio::spawn(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("chaos: interrupted; stopping everything it started");
        kill_all();
        std::process::exit(130);
    });

    let timeout = o
        .timeout
        .unwrap_or(Duration::from_millis(120_000 + 500 * o.checkouts as u64));
    tokio::spawn(async move {
        tokio::time::sleep(timeout).await;
        eprintln!(
            "chaos: gave up after {} s (--timeout); stopping everything it started",
            timeout.as_secs()
        );
        kill_all();
        std::process::exit(1);
    });

    let root = std::env::temp_dir().join(format!("checkout-chaos-{}", std::process::id()));
    let started = Instant::now();
    println!(
        "fault matrix: {} checkouts, phases {:?}, concurrency {}, seed {} (repeat with --seed {})",
        o.checkouts,
        o.phases.iter().map(|p| p.name()).collect::<Vec<_>>(),
        o.concurrency,
        o.seed,
        o.seed
    );
    let mut reports = Vec::new();
    let phases = o.phases.len();
    for (i, phase) in o.phases.iter().enumerate() {
        // Split the checkouts; the first phases take the remainder.
        let share = o.checkouts / phases + usize::from(i < o.checkouts % phases);
        let report = run_phase(&o, *phase, share, &root).await;
        let outcomes: Vec<String> = report
            .outcomes
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!(
            "phase {:<9} {:>5} checkouts in {:>6.1} s: {} (shoppers: {}; hold ran out while paying {}; \
             PaymentIntents never handed out and left open {}; slowest heal {})",
            phase.name(),
            share,
            report.seconds,
            if report.failed() { "FAILED" } else { "ok" },
            outcomes.join(", "),
            report.restarts,
            report.stray,
            report
                .slowest_heal
                .as_ref()
                .map(|(s, o)| format!("{s:.2} s, {o}"))
                .unwrap_or_else(|| "–".into())
        );
        reports.push(report);
    }
    println!();
    print_table(&reports);
    let failed = reports.iter().any(Report::failed);
    println!(
        "\n{} in {:.1} s (seed {})",
        if failed {
            "FAILED: invariants violated (see above)"
        } else {
            "all invariants hold"
        },
        started.elapsed().as_secs_f64(),
        o.seed
    );
    kill_all();
    if !failed && !o.keep {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        println!("kept: {}", root.display());
    }
    std::process::exit(i32::from(failed));
}
