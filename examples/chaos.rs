//! The fault matrix: many shoppers check out against the real `checkout` binary and the
//! standalone `stripe-sim`, over HTTP on loopback, while webhooks are duplicated and reordered,
//! lost for good, API calls fail, and the app is killed with SIGKILL and restarted. After
//! quiescence it checks, from the app's database and the simulator's PaymentIntents, that no
//! payment was lost, charged wrongly or twice, no stock was oversold or left held, and every
//! abandoned order was canceled with its PaymentIntent. Prints a table; exits 1 on a violation.
//!
//! The app's database is a SQLite file per phase, or with `--postgres URL` (a PostgreSQL
//! server's superuser URL) a database per phase created on that server (`chaos_<phase>_<pid>`);
//! the checks read it through sqlx's `Any` driver either way. With `--pg-restart-cmd CMD` the
//! PostgreSQL server is restarted once (`sh -c CMD`) in the middle of the `all` phase (or the
//! last phase run), while shoppers are paying: the app must come back by itself.
//!
//! With `--paypal-bin` a share of the shoppers (`--paypal-share`, 0.3) pays with PayPal against
//! the standalone `paypal-sim` (approved through its control API: balance, a declined funding
//! source and a new approval, an eCheck that clears or is denied, abandoned after the PayPal
//! order was made, a card and PayPal at once, back to cards from another tab), under the same
//! faults; every completed capture must be an order paid once, for its total.
//!
//! Run it with `scripts/chaos.sh [--checkouts 200] [--fault PHASE]`, which builds the binaries.
//! Directly: `chaos --app-bin target/debug/checkout --sim-bin target/debug/stripe-sim
//! [--paypal-bin target/debug/paypal-sim] [--paypal-share 0.3] [--checkouts N]
//! [--fault duplicate|lost|api|kill|all] [--concurrency 16] [--seed N] [--keep]
//! [--postgres URL [--pg-restart-cmd CMD]]`.

use rand::distributions::DistString;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
/// The PayPal simulator's REST credentials (also the app's).
const PP_CLIENT_ID: &str = "chaos-paypal-client-id";
const PP_SECRET: &str = "chaos-paypal-client-secret";

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

/// Where the app keeps its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

struct Options {
    checkouts: usize,
    phases: Vec<Phase>,
    concurrency: usize,
    seed: u64,
    app_bin: PathBuf,
    sim_bin: PathBuf,
    /// The standalone PayPal simulator; without it nobody pays with PayPal.
    paypal_bin: Option<PathBuf>,
    /// Share of the shoppers who pay with PayPal.
    paypal_share: f64,
    keep: bool,
    /// The whole run gives up after this long (default 120 s + half a second per checkout).
    timeout: Option<Duration>,
    /// A PostgreSQL server's superuser URL: each phase's app runs on a database of its own
    /// created there, instead of a SQLite file.
    postgres: Option<String>,
    /// A shell command that restarts that PostgreSQL server (run once, in the middle of a phase).
    pg_restart_cmd: Option<String>,
}

impl Options {
    fn backend(&self) -> Backend {
        if self.postgres.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The phase in whose middle PostgreSQL is restarted: `all` if it runs, else the last one.
    fn pg_restart_phase(&self) -> Option<Phase> {
        self.pg_restart_cmd.as_ref()?;
        if self.phases.contains(&Phase::All) {
            Some(Phase::All)
        } else {
            self.phases.last().copied()
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: chaos --app-bin PATH --sim-bin PATH [--paypal-bin PATH] [--paypal-share 0.3]\n\
         \x20            [--checkouts 200] [--fault duplicate|lost|api|kill|all]\n\
         \x20            [--concurrency 16] [--seed N] [--keep] [--timeout SECONDS]\n\
         \x20            [--postgres URL [--pg-restart-cmd CMD]]"
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
        paypal_bin: None,
        paypal_share: 0.3,
        keep: false,
        timeout: None,
        postgres: None,
        pg_restart_cmd: None,
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
            "--paypal-bin" => o.paypal_bin = Some(value().into()),
            "--paypal-share" => o.paypal_share = value().parse().unwrap_or_else(|_| usage()),
            "--keep" => o.keep = true,
            "--postgres" => o.postgres = Some(value()),
            "--pg-restart-cmd" => o.pg_restart_cmd = Some(value()),
            "--timeout" => {
                o.timeout = Some(Duration::from_secs(
                    value().parse().unwrap_or_else(|_| usage()),
                ))
            }
            _ => usage(),
        }
    }
    if o.checkouts == 0
        || o.checkouts > 100_000
        || o.concurrency == 0
        || o.concurrency > 256
        || !(0.0..=1.0).contains(&o.paypal_share)
        || o.postgres
            .as_deref()
            .is_some_and(|u| !u.starts_with("postgres://") && !u.starts_with("postgresql://"))
        || (o.pg_restart_cmd.is_some() && o.postgres.is_none())
    {
        usage()
    }
    if o.paypal_bin.is_none() {
        o.paypal_share = 0.0;
    }
    for bin in [&o.app_bin, &o.sim_bin]
        .into_iter()
        .chain(o.paypal_bin.as_ref())
    {
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
// One phase's world: the simulators, the app (restartable), its database.

/// The standalone PayPal simulator of a phase: its port and a bearer token for its REST and
/// control API.
struct PayPalSim {
    port: u16,
    token: String,
    webhook_id: String,
}

impl PayPalSim {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts it with the app's webhook URL registered, and takes a token.
    async fn start(bin: &Path, dir: &Path, app_port: u16, http: &reqwest::Client) -> PayPalSim {
        let port = free_port();
        let log = dir.join("paypal-sim.log");
        let env: Vec<(String, String)> = [
            ("PAYPAL_SIM_ADDR", format!("127.0.0.1:{port}")),
            ("PAYPAL_SIM_CLIENT_ID", PP_CLIENT_ID.to_string()),
            ("PAYPAL_SIM_CLIENT_SECRET", PP_SECRET.to_string()),
            (
                "PAYPAL_SIM_WEBHOOK",
                format!("http://127.0.0.1:{app_port}/webhooks/paypal"),
            ),
            ("RUST_LOG", "warn".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let pid = spawn(bin, &[], &env, dir, &log);
        wait_ready(port, pid, &log).await;
        // "webhook id for {url}: {id}", printed before it listens.
        let webhook_id = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                let (_, rest) = l.split_once("webhook id for ")?;
                Some(rest.rsplit_once(": ")?.1.trim().to_string())
            })
            .unwrap_or_else(|| panic!("no webhook id in {}:\n{}", log.display(), tail(&log, 30)));
        let mut token = None;
        for attempt in 0..20 {
            let answer = http
                .post(format!("http://127.0.0.1:{port}/v1/oauth2/token"))
                .basic_auth(PP_CLIENT_ID, Some(PP_SECRET))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await;
            if let Ok(response) = answer {
                if let Ok(body) = response.json::<Value>().await {
                    if let Some(t) = body["access_token"].as_str() {
                        token = Some(t.to_string());
                        break;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
        }
        PayPalSim {
            port,
            token: token.expect("a PayPal simulator token"),
            webhook_id,
        }
    }

    /// What the app needs to pay through it.
    fn app_env(&self) -> Vec<(String, String)> {
        let base = self.base();
        [
            ("PAYPAL_CLIENT_ID", PP_CLIENT_ID.to_string()),
            ("PAYPAL_CLIENT_SECRET", PP_SECRET.to_string()),
            ("PAYPAL_WEBHOOK_ID", self.webhook_id.clone()),
            ("PAYPAL_API_BASE", base.clone()),
            ("PAYPAL_JS_URL", format!("{base}/sdk/js")),
            (
                "PAYPAL_TEST_CERT_URL",
                format!("{base}/v1/notifications/certs/"),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

struct World {
    phase: Phase,
    dir: PathBuf,
    sim_port: u16,
    app_port: u16,
    app_bin: PathBuf,
    app_env: Vec<(String, String)>,
    app_pid: Mutex<u32>,
    /// The PayPal simulator (kept running across the app's restarts), when PayPal is on.
    paypal: Option<PayPalSim>,
    http: reqwest::Client,
    /// The app's database (its DATABASE_URL), read by the checks.
    backend: Backend,
    database_url: String,
    db: AnyPool,
    /// Product id → (slug, price, stock when the shoppers started).
    products: BTreeMap<i64, (String, i64, i64)>,
    kills: AtomicUsize,
    /// Restarts of the app that exited at start-up (its database unreachable) and were
    /// started again, as a supervisor would.
    start_failures: AtomicUsize,
    /// Every press of Pay by card: (order, revision, total) the pressing tab showed.
    shown: Mutex<Vec<(String, i64, i64)>>,
    /// Every PaymentIntent whose client secret a shopper's browser got (for 3-D Secure).
    exposed: Mutex<BTreeSet<String>>,
    /// Checkout answers whose parts did not add up to their total (items − discount +
    /// shipping, + tax when exclusive).
    mispriced: Mutex<Vec<String>>,
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
        let paypal = match &o.paypal_bin {
            Some(bin) if o.paypal_share > 0.0 => {
                Some(PayPalSim::start(bin, &dir, app_port, &http).await)
            }
            _ => None,
        };

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

        let backend = o.backend();
        let database_url = match &o.postgres {
            Some(server) => {
                let name = format!("chaos_{}_{}", phase.name(), std::process::id());
                create_database(server, &name).await
            }
            None => format!("sqlite:{}", dir.join("app.db").display()),
        };
        let mut app_env: Vec<(String, String)> = [
            ("CHECKOUT_ADDR", format!("127.0.0.1:{app_port}")),
            ("DATABASE_URL", database_url.clone()),
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
        app_env.extend(paypal.iter().flat_map(PayPalSim::app_env));
        let app_pid = spawn(&o.app_bin, &[], &app_env, &dir, &dir.join("app.log"));
        wait_ready(app_port, app_pid, &dir.join("app.log")).await;

        let pool = AnyPoolOptions::new().max_connections(2);
        let pool = match backend {
            Backend::Sqlite => pool.after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;")
                        .await
                        .map(|_| ())
                })
            }),
            // While PostgreSQL restarts, a read fails within seconds (and is retried).
            Backend::Postgres => pool.acquire_timeout(Duration::from_secs(5)),
        };
        let db = pool
            .connect(&database_url)
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
        // Discount codes as a merchant makes them: one that only LIMITED_CODE_USES shoppers
        // may redeem, and one for everybody.
        sqlx::query(
            "INSERT INTO discount_codes (code, kind, amount_minor, max_redemptions) VALUES ($1, 'fixed', 500, $2)",
        )
        .bind(LIMITED_CODE)
        .bind(LIMITED_CODE_USES)
        .execute(&db)
        .await
        .expect("discount codes");
        sqlx::query(
            "INSERT INTO discount_codes (code, kind, percent_bp) VALUES ($1, 'percent', 1000)",
        )
        .bind(OPEN_CODE)
        .execute(&db)
        .await
        .expect("discount codes");
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
            paypal,
            http,
            backend,
            database_url,
            db,
            products,
            kills: AtomicUsize::new(0),
            start_failures: AtomicUsize::new(0),
            shown: Mutex::default(),
            exposed: Mutex::default(),
            mispriced: Mutex::default(),
        }
    }

    fn app_pid(&self) -> u32 {
        *self.app_pid.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// SIGKILL, then the same binary on the same port and database. On PostgreSQL an app that
    /// exits at start-up (the server restarting: it cannot connect) is started again after a
    /// moment, as a supervisor would, for up to a minute.
    async fn kill_and_restart(&self) {
        kill(self.app_pid());
        self.kills.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        loop {
            let pid = spawn(
                &self.app_bin,
                &[],
                &self.app_env,
                &self.dir,
                &self.app_log(),
            );
            *self.app_pid.lock().unwrap_or_else(|e| e.into_inner()) = pid;
            match try_wait_ready(self.app_port, pid).await {
                Ok(()) => return,
                Err(Startup::Exited(_))
                    if self.backend == Backend::Postgres
                        && started.elapsed() < Duration::from_secs(60) =>
                {
                    kill(pid);
                    self.start_failures.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("{}", e.message(self.app_port, &self.app_log())),
            }
        }
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

    /// A call to the PayPal simulator with its token (REST or control), retried on no answer,
    /// 5xx and 429 (its faults apply to REST calls); `None` without PayPal or any answer.
    async fn pp(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        let pp = self.paypal.as_ref()?;
        let mut wait = 50;
        for attempt in 0..20 {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", pp.base()))
                .bearer_auth(&pp.token);
            if let Some(body) = &body {
                request = request.json(body);
            }
            if let Ok(response) = request.send().await {
                let status = response.status().as_u16();
                if let Ok(text) = response.text().await {
                    if status < 500 && status != 429 || attempt == 19 {
                        return Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)));
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(wait)).await;
            wait = (wait * 2).min(800);
        }
        None
    }

    /// PayPal's faults for this phase: its webhooks as Stripe's, and, with `api`, 30 % of REST
    /// calls failing that way (`500`, `503`, `429` or `drop`). `None` turns everything off.
    async fn paypal_faults(&self, on: Option<Option<&str>>) {
        if self.paypal.is_none() {
            return;
        }
        let mut f = serde_json::Map::new();
        if let Some(api) = on {
            if self.phase.duplicates() {
                f.insert("webhook_duplicate_rate".into(), 0.5.into());
                f.insert("webhook_shuffle_ms".into(), 1500.into());
            }
            if self.phase.loss_rate() > 0.0 {
                f.insert("webhook_loss_rate".into(), self.phase.loss_rate().into());
            }
            if let Some(kind) = api {
                f.insert("error_rate".into(), 0.3.into());
                f.insert("error_kind".into(), kind.into());
            }
        }
        let set = self
            .pp(
                reqwest::Method::POST,
                "/_sim/faults",
                Some(Value::Object(f)),
            )
            .await;
        assert!(
            matches!(set, Some((200, _))),
            "PayPal faults not set: {set:?}"
        );
    }

    async fn stop(&self) {
        kill(self.app_pid());
        self.db.close().await;
    }
}

/// Why a child did not come up.
enum Startup {
    Exited(std::process::ExitStatus),
    TimedOut,
}

impl Startup {
    fn message(&self, port: u16, log: &Path) -> String {
        match self {
            Startup::Exited(status) => format!(
                "a child exited during start-up ({status}); {}:\n{}",
                log.display(),
                tail(log, 30)
            ),
            Startup::TimedOut => format!(
                "port {port} not open after 60 s; {}:\n{}",
                log.display(),
                tail(log, 30)
            ),
        }
    }
}

async fn try_wait_ready(port: u16, pid: u32) -> Result<(), Startup> {
    let started = Instant::now();
    while !port_open(port).await {
        if let Some(status) = exited(pid) {
            return Err(Startup::Exited(status));
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(Startup::TimedOut);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(())
}

async fn wait_ready(port: u16, pid: u32, log: &Path) {
    if let Err(e) = try_wait_ready(port, pid).await {
        panic!("{}", e.message(port, log));
    }
}

/// `server` with its database name replaced by `name`
/// (`postgres://u@host:5432/postgres?x=y` → `postgres://u@host:5432/name?x=y`).
fn database_url(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let authority_at = base.find("://").map_or(0, |i| i + 3);
    let host = match base[authority_at..].find('/') {
        Some(slash) => &base[..authority_at + slash],
        None => base,
    };
    format!("{host}/{name}{query}")
}

/// Creates a fresh database `name` on the PostgreSQL server (dropping one of that name first)
/// and returns its URL.
async fn create_database(server: &str, name: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at {server}: {e}"));
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("DROP DATABASE");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("CREATE DATABASE");
    let _ = conn.close().await;
    database_url(server, name)
}

/// Drops a phase's database once its app is stopped.
async fn drop_database(server: &str, url: &str) {
    let name = url
        .split('?')
        .next()
        .and_then(|u| u.rsplit_once('/'))
        .map(|(_, n)| n.to_string())
        .unwrap_or_default();
    if name.is_empty() {
        return;
    }
    if let Ok(mut conn) = sqlx::PgConnection::connect(server).await {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

/// A read of the app's database, retried for up to 30 s while it fails (PostgreSQL
/// restarting, or a SQLite file busy); `None` if it never succeeded.
async fn db_read<T, F, Fut>(mut read: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match read().await {
            Ok(v) => return Some(v),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(_) => return None,
        }
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

/// What `checkout/start` handed the browser: the order, the revision and total the page shows.
#[derive(Clone, Debug)]
struct Session {
    order_id: String,
    revision: i64,
    total: i64,
}

enum Start {
    Ok(Session),
    /// 400: the stock went, or the cart is empty.
    Refused(String),
    /// 409 or no answer: nothing to pay.
    Failed(String),
}

/// A code only this many shoppers may redeem; the fault matrix checks it never goes further.
const LIMITED_CODE: &str = "CHAOS5";
const LIMITED_CODE_USES: i64 = 5;
const OPEN_CODE: &str = "CHAOS10";

/// Checkout starts so far (to vary the rate asked for).
static STARTS: AtomicUsize = AtomicUsize::new(0);

/// Where a shopper ships, and the code they try, chosen from their email (so a seed replays).
fn ship_to(email: &str) -> ([(&'static str, &'static str); 7], &'static str) {
    let h = email.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let addresses = [
        [
            ("name", "Grace Hopper"),
            ("line1", "350 Fifth Avenue"),
            ("line2", ""),
            ("city", "New York"),
            ("region", "NY"),
            ("postal_code", "10118"),
            ("country", "US"),
        ],
        [
            ("name", "Ada Lovelace"),
            ("line1", "Unter den Linden 1"),
            ("line2", ""),
            ("city", "Berlin"),
            ("region", ""),
            ("postal_code", "10117"),
            ("country", "DE"),
        ],
        [
            ("name", "Alan Turing"),
            ("line1", "10 Downing Street"),
            ("line2", ""),
            ("city", "London"),
            ("region", ""),
            ("postal_code", "SW1A 2AA"),
            ("country", "GB"),
        ],
    ];
    let code = match (h >> 8) % 10 {
        0..=2 => LIMITED_CODE,
        3..=4 => OPEN_CODE,
        _ => "",
    };
    (addresses[(h % 3) as usize], code)
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

/// How one card payment ended, as the shopper saw it.
#[derive(Clone, Debug, PartialEq)]
enum Paid {
    /// The PaymentIntent, the total the paying page showed, when the shopper saw it.
    Succeeded(String, i64, Instant),
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
            .header("sec-fetch-site", "same-origin")
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

    /// A PayPal button's call to the app, retried (with the same form: the same attempt) while
    /// the app is down, answers 500 or asks to try again (PayPal or Stripe not answering, as
    /// the shopper presses again); any other answer is final.
    async fn call_paypal(&self, endpoint: &str, form: &[(&str, &str)]) -> Option<(u16, String)> {
        let deadline = Instant::now() + Duration::from_secs(25);
        let mut wait = 50;
        loop {
            let answer = self.call_once(endpoint, form).await;
            match &answer {
                Some((502, body)) if !body.contains("try again") => return answer,
                Some((status, _)) if *status < 500 => return answer,
                _ if Instant::now() > deadline => return answer,
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(wait)).await;
            wait = (wait * 2).min(800);
        }
    }

    /// `createOrder`: the PayPal order for what the page shows.
    async fn paypal_create(&self, session: &Session) -> Result<String, (u16, String)> {
        let shown = session.total.to_string();
        let form = [
            ("order_id", session.order_id.as_str()),
            ("shown_minor", shown.as_str()),
        ];
        match self.call_paypal("checkout/paypal/create", &form).await {
            Some((200, body)) => serde_json::from_str::<String>(&body).map_err(|_| (200, body)),
            Some((status, body)) => Err((status, body)),
            None => Err((0, "no answer".into())),
        }
    }

    /// `onApprove`: the capture of one approval; (order status, restart).
    async fn paypal_capture(
        &self,
        session: &Session,
        attempt: &str,
    ) -> Result<(String, bool), (u16, String)> {
        let form = [
            ("order_id", session.order_id.as_str()),
            ("attempt", attempt),
        ];
        match self.call_paypal("checkout/paypal/capture", &form).await {
            Some((200, body)) => {
                let v: Value = serde_json::from_str(&body).unwrap_or_default();
                match v["status"].as_str() {
                    Some(status) => Ok((status.to_string(), v["restart"] == Value::Bool(true))),
                    None => Err((200, body)),
                }
            }
            Some((status, body)) => Err((status, body)),
            None => Err((0, "no answer".into())),
        }
    }

    /// The buyer's "Pay now" in PayPal's window, with a funding source.
    async fn approve(&self, paypal_order: &str, funding: &str) -> bool {
        let path = format!("/_sim/orders/{paypal_order}/approve?funding={funding}");
        matches!(
            self.world.pp(reqwest::Method::POST, &path, None).await,
            Some((200, _))
        )
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
        let (address, mut code) = ship_to(email);
        let attempt = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Now and then a rate id from another zone, or an explicit one: the server picks.
        let rate = ["", "", "", "1", "2", "3", "4"][attempt % 7];
        let answer = loop {
            let mut form: Vec<(&str, &str)> =
                vec![("email", email), ("rate", rate), ("code", code)];
            form.extend(address.iter().copied());
            let answer = self.call("checkout/start", &form).await;
            match &answer {
                // The limited code went to others meanwhile: the shopper removes it.
                Some((400, body)) if body.contains("\"Discount\"") && !code.is_empty() => code = "",
                _ => break answer,
            }
        };
        match answer {
            Some((200, body)) => {
                let v: Value = serde_json::from_str(&body).unwrap_or_default();
                self.check_pricing(&v);
                let (Some(order_id), Some(revision), Some(total)) = (
                    v["order_id"].as_str(),
                    v["revision"].as_i64(),
                    v["total"]["minor"].as_i64(),
                ) else {
                    return Start::Failed(format!("unexpected checkout session: {body}"));
                };
                Start::Ok(Session {
                    order_id: order_id.to_string(),
                    revision,
                    total,
                })
            }
            Some((400, body)) => Start::Refused(body),
            Some((status, body)) => Start::Failed(format!("{status} {body}")),
            None => Start::Failed("no answer".into()),
        }
    }

    /// The parts of the total the page shows add up to it.
    fn check_pricing(&self, session: &Value) {
        let p = &session["pricing"];
        let part = |name: &str| p[name]["minor"].as_i64().unwrap_or(-1);
        let tax = if p["tax_mode"] == "exclusive" {
            part("tax")
        } else {
            0
        };
        let sum = part("items") - part("discount") + part("shipping") + tax;
        let total = session["total"]["minor"].as_i64().unwrap_or(-2);
        if sum != total || part("total") != total || part("discount") > part("items") {
            self.world
                .mispriced
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("order {} total {total}: {p}", session["order_id"]));
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

    /// A PaymentIntent read as Stripe.js reads it, with its client secret.
    async fn payment_intent(&self, id: &str, client_secret: &str) -> Option<Value> {
        let path = format!("/v1/payment_intents/{id}");
        match self
            .stripe_js(
                reqwest::Method::GET,
                &path,
                &[("client_secret", client_secret)],
            )
            .await
        {
            Some((200, pi)) => Some(pi),
            _ => None,
        }
    }

    /// What Stripe.js does on Pay with the Payment Element in deferred mode: a PaymentMethod from
    /// the card's details (inside its iframe), then a ConfirmationToken carrying the Elements'
    /// amount (`elements.submit()` and `createConfirmationToken`).
    async fn confirmation_token(
        &self,
        card: Card,
        amount: i64,
        return_url: &str,
    ) -> Option<String> {
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
        let Some((200, pm)) = pm else { return None };
        let amount = amount.to_string();
        let token = self
            .stripe_js(
                reqwest::Method::POST,
                "/v1/confirmation_tokens",
                &[
                    ("payment_method", pm["id"].as_str().unwrap_or_default()),
                    ("return_url", return_url),
                    ("elements[mode]", "payment"),
                    ("elements[amount]", &amount),
                    ("elements[currency]", "usd"),
                ],
            )
            .await;
        match token {
            Some((200, token)) => token["id"].as_str().map(String::from),
            _ => None,
        }
    }

    /// The Pay button with the Payment Element: a ConfirmationToken, sent to `checkout/pay` with
    /// the revision the page shows; 3-D Secure through `handleNextAction` if asked; then the
    /// order page. A page told its order changed shows the new total, and the shopper presses
    /// Pay again; no answer (or a 5xx) makes the shopper press again too, with a new token.
    async fn pay(&self, session: &Session, card: Card) -> Paid {
        let (mut revision, mut total) = (session.revision, session.total);
        let return_url = self.world.app(&format!("/orders/{}", session.order_id));
        let deadline = Instant::now() + Duration::from_secs(25);
        let mut wait = 50;
        loop {
            self.world
                .shown
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((session.order_id.clone(), revision, total));
            let Some(token) = self.confirmation_token(card, total, &return_url).await else {
                return Paid::Unknown("no ConfirmationToken".into());
            };
            let shown = revision.to_string();
            let answer = self
                .call_once(
                    "checkout/pay",
                    &[
                        ("order_id", &session.order_id),
                        ("revision", &shown),
                        ("with", &token),
                    ],
                )
                .await;
            let at = Instant::now();
            match answer {
                Some((200, body)) => {
                    let v: Value = serde_json::from_str(&body).unwrap_or_default();
                    if v == "Submitted" {
                        return self.follow_order(session, total, at).await;
                    }
                    if let Some(secret) = v["Authenticate"]["client_secret"].as_str() {
                        return self.authenticate(secret, card, total).await;
                    }
                    if let Some(message) = v["Declined"]["message"].as_str() {
                        return Paid::Failed(message.to_string());
                    }
                    return Paid::Unknown(format!("pay: {body}"));
                }
                Some((409, body)) if body.contains("OrderChanged") => {
                    let v: Value = serde_json::from_str(&body).unwrap_or_default();
                    let changed = &v["OrderChanged"];
                    match (
                        changed["revision"].as_i64(),
                        changed["total"]["minor"].as_i64(),
                    ) {
                        (Some(r), Some(t)) => (revision, total) = (r, t),
                        _ => return Paid::Unknown(format!("pay: {body}")),
                    }
                }
                Some((409, body)) if body.contains("OrderClosed") => return Paid::Canceled,
                Some((409, _)) => return self.follow_order(session, total, at).await,
                Some((status, body)) if status < 500 => {
                    return Paid::Unknown(format!("pay: {status} {body}"))
                }
                _ if Instant::now() > deadline => {
                    return Paid::Unknown(format!("pay: no answer: {answer:?}"))
                }
                _ => {
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    wait = (wait * 2).min(800);
                }
            }
        }
    }

    /// `stripe.handleNextAction`: the 3-D Secure challenge answered, then the PaymentIntent
    /// followed to an outcome.
    async fn authenticate(&self, secret: &str, card: Card, shown: i64) -> Paid {
        let pi_id = secret
            .split("_secret_")
            .next()
            .unwrap_or_default()
            .to_string();
        self.world
            .exposed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(pi_id.clone());
        let complete = matches!(card, Card::ThreeDs { complete: true });
        let outcome = if complete { "complete" } else { "fail" };
        let _ = self
            .stripe_js(
                reqwest::Method::POST,
                &format!("/_sim/3ds/{pi_id}"),
                &[("client_secret", secret), ("outcome", outcome)],
            )
            .await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let Some(pi) = self.payment_intent(&pi_id, secret).await else {
                return Paid::Unknown("PaymentIntent unreadable".into());
            };
            match pi["status"].as_str().unwrap_or_default() {
                "succeeded" => return Paid::Succeeded(pi_id, shown, Instant::now()),
                "canceled" => return Paid::Canceled,
                "requires_payment_method" => {
                    return Paid::Failed(pi["last_payment_error"]["message"].to_string())
                }
                // Another tab's challenge for the same payment, still open.
                "requires_action" | "processing" => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                other => return Paid::Unknown(format!("PaymentIntent {other}")),
            }
            if Instant::now() > deadline {
                return Paid::Unknown("no outcome after 20 s".into());
            }
        }
    }

    /// The order page after Pay: its status, as `orders/get` gives it, until it settles.
    async fn follow_order(&self, session: &Session, shown: i64, at: Instant) -> Paid {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = match self
                .call("orders/get", &[("id", session.order_id.as_str())])
                .await
            {
                Some((200, body)) => serde_json::from_str::<Value>(&body).unwrap_or_default()
                    ["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                _ => String::new(),
            };
            match status.as_str() {
                "paid" => {
                    let pi: Option<String> = db_read(|| {
                        sqlx::query_scalar("SELECT payment_intent_id FROM orders WHERE id = $1")
                            .bind(&session.order_id)
                            .fetch_optional(&self.world.db)
                    })
                    .await
                    .flatten()
                    .flatten();
                    return match pi {
                        Some(pi) => Paid::Succeeded(pi, shown, at),
                        None => Paid::Unknown("paid without a PaymentIntent".into()),
                    };
                }
                "payment_failed" => return Paid::Failed("the order page says it failed".into()),
                "canceled" => return Paid::Canceled,
                "needs_review" => return Paid::Unknown("needs review".into()),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
            if Instant::now() > deadline {
                return Paid::Unknown(format!("order still {status} after 20 s"));
            }
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
    /// Tab A presses Pay while tab B changes the cart (and sometimes opens the checkout).
    ChangeWhilePaying,
    Abandon,
    PayPal(PayPalPlan),
}

/// How a PayPal shopper goes about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PayPalPlan {
    /// Approves with the PayPal balance (one in four captures about when the hold runs out).
    Balance,
    /// A funding source PayPal declines at capture, then the balance (a new approval).
    DeclinedThenBalance,
    /// An eCheck: the capture stays pending, then clears or is denied.
    Pending { clears: bool },
    /// Leaves once the PayPal order is made (the PayPal window closed).
    Abandon,
    /// A declined card first, then PayPal.
    CardFirst,
    /// Two tabs: one pays by card, the other with PayPal, at once.
    CardAndPayPal,
    /// Two tabs: one captures with PayPal while the other goes back to the card form and pays.
    BackToCards,
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
    /// Times the PaymentIntent was canceled under the shopper (the hold ran out) and they
    /// checked out again.
    restarts: usize,
    outcome: String,
    /// Every PayPal order the shopper got.
    paypal_orders: BTreeSet<String>,
    /// The PayPal payment the shopper saw taken: order, PayPal order, amount shown.
    paypal_paid: Option<(String, String, i64)>,
    /// Funding sources PayPal declined (approved again with another).
    declines: usize,
    /// An eCheck capture that was pending, and whether it cleared.
    pending: Option<bool>,
}

impl Flow {
    fn saw(&mut self, s: &Session) {
        self.orders.insert(s.order_id.clone());
    }
}

fn pick_behaviour(rng: &mut StdRng, paypal_share: f64) -> Behaviour {
    if paypal_share > 0.0 && rng.gen_bool(paypal_share) {
        return Behaviour::PayPal(match rng.gen_range(0..100) {
            0..35 => PayPalPlan::Balance,
            35..52 => PayPalPlan::DeclinedThenBalance,
            52..62 => PayPalPlan::Pending { clears: true },
            62..67 => PayPalPlan::Pending { clears: false },
            67..75 => PayPalPlan::Abandon,
            75..83 => PayPalPlan::CardFirst,
            83..92 => PayPalPlan::CardAndPayPal,
            _ => PayPalPlan::BackToCards,
        });
    }
    match rng.gen_range(0..100) {
        0..35 => Behaviour::Pay,
        35..48 => Behaviour::DeclineThenRetry,
        48..60 => Behaviour::ChangeCart,
        60..72 => Behaviour::TwoTabs,
        72..87 => Behaviour::ChangeWhilePaying,
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
            Paid::Succeeded(pi, shown, at) => {
                flow.paid = Some((pi, shown, at));
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

/// How one PayPal payment of an order ended.
enum PayPalEnd {
    /// Paid, failed, abandoned or no answer (the flow's outcome says).
    Done,
    /// The order expired (or was no longer payable) before the capture: check out again.
    Expired,
}

fn new_attempt(rng: &mut StdRng) -> String {
    rand::distributions::Alphanumeric.sample_string(rng, 16)
}

/// The order is canceled in the app (what the shopper's page would say after a reload).
async fn order_canceled(world: &World, order_id: &str) -> bool {
    db_read(|| {
        sqlx::query_scalar::<_, String>("SELECT status FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_optional(&world.db)
    })
    .await
    .flatten()
    .is_some_and(|s| s == "canceled")
}

/// One PayPal payment of the session's order: the PayPal order made, approved (with `funding`
/// first), captured, a declined funding source approved again with the balance; a pending
/// capture cleared or denied after a while.
async fn paypal_once(
    shopper: &Shopper,
    flow: &mut Flow,
    session: &Session,
    plan: PayPalPlan,
    rng: &mut StdRng,
) -> PayPalEnd {
    let world = &shopper.world;
    let paypal_order = match shopper.paypal_create(session).await {
        Ok(p) => p,
        Err((409, _)) if order_canceled(world, &session.order_id).await => {
            return PayPalEnd::Expired
        }
        Err((status, body)) => {
            flow.outcome = format!("PayPal refused: create {status} {body}");
            return PayPalEnd::Done;
        }
    };
    flow.paypal_orders.insert(paypal_order.clone());
    if plan == PayPalPlan::Abandon {
        flow.outcome = "abandoned".into();
        return PayPalEnd::Done;
    }
    think(rng).await;
    let first = match plan {
        PayPalPlan::DeclinedThenBalance => "declined",
        PayPalPlan::Pending { .. } => "pending",
        _ => "balance",
    };
    if !shopper.approve(&paypal_order, first).await {
        flow.outcome = format!("no answer: approval of {paypal_order}");
        return PayPalEnd::Done;
    }
    // One in four captures late, about when the hold runs out, racing the expiry.
    if plan == PayPalPlan::Balance && rng.gen_bool(0.25) {
        let late = rng.gen_range(HOLD_SECONDS * 1000 - 1000..HOLD_SECONDS * 1000 + 1500);
        tokio::time::sleep(Duration::from_millis(late)).await;
    }
    let mut attempt = new_attempt(rng);
    for _ in 0..4 {
        match shopper.paypal_capture(session, &attempt).await {
            Ok((_, true)) => {
                flow.declines += 1;
                think(rng).await;
                if !shopper.approve(&paypal_order, "balance").await {
                    flow.outcome = format!("no answer: approval of {paypal_order}");
                    return PayPalEnd::Done;
                }
                attempt = new_attempt(rng);
            }
            Ok((status, false)) => {
                return match status.as_str() {
                    "paid" => {
                        flow.paypal_paid =
                            Some((session.order_id.clone(), paypal_order, session.total));
                        flow.outcome = "paid".into();
                        PayPalEnd::Done
                    }
                    "processing" => {
                        settle_pending(world, flow, session, &paypal_order, plan, rng).await;
                        PayPalEnd::Done
                    }
                    "canceled" => PayPalEnd::Expired,
                    other => {
                        flow.outcome = format!("PayPal capture left the order {other}");
                        PayPalEnd::Done
                    }
                }
            }
            Err((502, body)) if body.contains("expired") => return PayPalEnd::Expired,
            Err((status, body)) => {
                flow.outcome = format!("PayPal refused: capture {status} {body}");
                return PayPalEnd::Done;
            }
        }
    }
    flow.outcome = "PayPal declined four times".into();
    PayPalEnd::Done
}

/// A pending (eCheck) capture clears or is denied at PayPal after a while.
async fn settle_pending(
    world: &World,
    flow: &mut Flow,
    session: &Session,
    paypal_order: &str,
    plan: PayPalPlan,
    rng: &mut StdRng,
) {
    let clears = !matches!(plan, PayPalPlan::Pending { clears: false });
    tokio::time::sleep(Duration::from_millis(rng.gen_range(300..1500))).await;
    let order = world
        .pp(
            reqwest::Method::GET,
            &format!("/v2/checkout/orders/{paypal_order}"),
            None,
        )
        .await;
    let capture = order
        .as_ref()
        .and_then(|(_, o)| o["purchase_units"][0]["payments"]["captures"][0]["id"].as_str())
        .map(str::to_string);
    let Some(capture) = capture else {
        flow.outcome = format!("no answer: pending capture of {paypal_order} not found");
        return;
    };
    let verb = if clears { "complete" } else { "deny" };
    let settled = world
        .pp(
            reqwest::Method::POST,
            &format!("/_sim/captures/{capture}/{verb}"),
            None,
        )
        .await;
    if !matches!(settled, Some((200, _))) {
        flow.outcome = format!("no answer: pending capture {capture} not settled: {settled:?}");
        return;
    }
    flow.pending = Some(clears);
    if clears {
        flow.paypal_paid = Some((
            session.order_id.clone(),
            paypal_order.to_string(),
            session.total,
        ));
        flow.outcome = "paid after a pending capture".into();
    } else {
        flow.outcome = "payment failed: pending capture denied".into();
    }
}

/// Pays with PayPal until paid or failed for good; an order expired under the shopper means
/// checking out again.
async fn pay_paypal(
    shopper: &Shopper,
    flow: &mut Flow,
    mut session: Session,
    plan: PayPalPlan,
    rng: &mut StdRng,
) {
    for _ in 0..3 {
        match paypal_once(shopper, flow, &session, plan, rng).await {
            PayPalEnd::Done => return,
            PayPalEnd::Expired => {
                flow.restarts += 1;
                let email = format!("shopper{}@example.com", flow.n);
                match start(shopper, flow, &email).await {
                    Some(next) => session = next,
                    None => return,
                }
            }
        }
    }
    flow.outcome = "expired three times".into();
}

/// What a tab saw of one card payment, without checking out again.
fn card_outcome(flow: &mut Flow, paid: Paid) {
    match paid {
        Paid::Succeeded(pi, shown, at) => {
            flow.paid = Some((pi, shown, at));
            flow.outcome = "paid".into();
        }
        Paid::Failed(why) => flow.outcome = format!("payment failed: {why}"),
        Paid::Canceled => flow.outcome = "card payment canceled".into(),
        Paid::Unknown(why) => flow.outcome = format!("no answer: {why}"),
    }
}

/// The PayPal behaviours.
async fn paypal_flow(
    shopper: &Shopper,
    flow: &mut Flow,
    session: Session,
    plan: PayPalPlan,
    rng: &mut StdRng,
) {
    let n = flow.n;
    match plan {
        PayPalPlan::CardFirst => {
            let paid = shopper.pay(&session, Card::Declined).await;
            card_outcome(flow, paid);
            if flow.paid.is_none() {
                think(rng).await;
                pay_paypal(shopper, flow, session, PayPalPlan::Balance, rng).await;
            }
        }
        PayPalPlan::CardAndPayPal | PayPalPlan::BackToCards => {
            // Tab a pays with PayPal; tab b with a card, on this order's PaymentIntent, or
            // (back to cards) after checking out again from the card form a little later.
            let tab_b = shopper.clone();
            let (mut a, mut b) = (Flow::empty(n), Flow::empty(n));
            let mut rng_a = StdRng::seed_from_u64(rng.gen());
            let wait_b = Duration::from_millis(rng.gen_range(0..1500));
            let email = format!("shopper{n}@example.com");
            let card_tab = async {
                if plan == PayPalPlan::BackToCards {
                    tokio::time::sleep(wait_b).await;
                    match tab_b.start(&email).await {
                        Start::Ok(again) => {
                            b.saw(&again);
                            let paid = tab_b.pay(&again, Card::Visa).await;
                            card_outcome(&mut b, paid);
                        }
                        Start::Refused(why) | Start::Failed(why) => {
                            b.outcome = format!("back to cards refused: {why}")
                        }
                    }
                } else {
                    let paid = tab_b.pay(&session, Card::Visa).await;
                    card_outcome(&mut b, paid);
                }
            };
            let paypal_tab = async {
                if let PayPalEnd::Expired =
                    paypal_once(shopper, &mut a, &session, PayPalPlan::Balance, &mut rng_a).await
                {
                    a.outcome = "expired".into();
                }
            };
            tokio::join!(paypal_tab, card_tab);
            flow.absorb(a);
            let card = b.outcome.clone();
            flow.absorb(b);
            flow.outcome = match (&flow.paid, &flow.paypal_paid) {
                (Some(_), Some(_)) => "paid twice (card and PayPal)".into(),
                (Some(_), None) | (None, Some(_)) => "paid".into(),
                (None, None) => format!(
                    "{} (card tab {})",
                    flow.outcome,
                    card.split(':').next().unwrap_or_default()
                ),
            };
        }
        _ => pay_paypal(shopper, flow, session, plan, rng).await,
    }
}

async fn flow(world: Arc<World>, n: usize, seed: u64, paypal_share: f64) -> Flow {
    let mut rng = StdRng::seed_from_u64(seed);
    let behaviour = pick_behaviour(&mut rng, paypal_share);
    let card = pick_card(&mut rng);
    let mut flow = Flow {
        behaviour,
        card,
        ..Flow::empty(n)
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
        Behaviour::PayPal(plan) => paypal_flow(&shopper, &mut flow, session, plan, &mut rng).await,
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
        Behaviour::ChangeWhilePaying => {
            // Tab B shares the cart (the same cookie). Tab A's page shows its session; what
            // it is charged must be what it shows, or it is told the order changed.
            let tab_b = shopper.clone();
            let change_after = Duration::from_millis(rng.gen_range(0..150));
            let reopen = rng.gen_bool(0.5);
            let another = pick_product(&world, &mut rng);
            let last = chosen[chosen.len() - 1];
            let add_another = !chosen.contains(&another) && rng.gen_bool(0.5);
            let change = async {
                tokio::time::sleep(change_after).await;
                let changed = if add_another {
                    tab_b.add(another, 1).await
                } else {
                    tab_b.set_quantity(last, 3).await
                };
                if !changed {
                    tab_b.add(plentiful(&tab_b.world), 1).await;
                }
                if reopen {
                    let _ = tab_b.start(&email).await;
                }
            };
            tokio::join!(pay(&shopper, &mut flow, session, card), change);
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
            restarts: 0,
            outcome: String::new(),
            paypal_orders: BTreeSet::new(),
            paypal_paid: None,
            declines: 0,
            pending: None,
        }
    }

    /// What a tab saw, added to the shopper's flow (its outcome kept if the flow has none).
    fn absorb(&mut self, tab: Flow) {
        self.orders.extend(tab.orders);
        self.paypal_orders.extend(tab.paypal_orders);
        self.restarts += tab.restarts;
        self.declines += tab.declines;
        self.pending = self.pending.or(tab.pending);
        self.paid = self.paid.take().or(tab.paid);
        self.paypal_paid = self.paypal_paid.take().or(tab.paypal_paid);
        if self.outcome.is_empty() {
            self.outcome = tab.outcome;
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
        let paypal_kinds = ["500", "503", "429", "drop"];
        world
            .paypal_faults(Some(Some(paypal_kinds[round % paypal_kinds.len()])))
            .await;
        round += 1;
        for _ in 0..25 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Restarts PostgreSQL once (`sh -c cmd`: an immediate stop, then a start on the same port)
/// when `after` of the phase's shoppers have finished (fewer than all: the others are still at
/// it). Returns (seconds into the phase, seconds the command took, shoppers finished then).
async fn pg_restarter(
    world: Arc<World>,
    cmd: String,
    finished: Arc<AtomicUsize>,
    after: usize,
    phase_started: Instant,
) -> (f64, f64, usize) {
    while finished.load(Ordering::Relaxed) < after {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = finished.load(Ordering::Relaxed);
    let at = phase_started.elapsed().as_secs_f64();
    let log = world.dir.join("pg-restart.log");
    let began = Instant::now();
    let log_path = log.clone();
    let status = tokio::task::spawn_blocking(move || {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        Command::new("/bin/sh")
            .arg("-c")
            .arg(&cmd)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .status()
    })
    .await
    .expect("the PostgreSQL restart task");
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "the PostgreSQL restart command failed ({other:?}); {}:\n{}",
            log.display(),
            tail(&log, 30)
        ),
    }
    (at, began.elapsed().as_secs_f64(), done)
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
    gateway: String,
    gateway_ref: Option<String>,
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
    /// App starts that exited (the database unreachable) and were started again.
    start_failures: usize,
    /// PostgreSQL restarts: seconds into the phase, seconds it was down, shoppers finished then.
    pg_restarts: Vec<(f64, f64, usize)>,
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
    /// Shoppers who chose PayPal.
    paypal_shoppers: usize,
    /// Redemptions of the limited code held or taken at the end.
    code_redemptions: i64,
    /// PayPal orders at the simulator, completed captures, app orders paid through them.
    paypal_orders: usize,
    paypal_captured: usize,
    paypal_paid: usize,
    /// Funding sources declined at capture (approved again), pending captures settled by the
    /// shoppers, and by the driver at the end.
    declines: usize,
    pending: usize,
    pending_swept: usize,
    /// PayPal webhook deliveries answered 2xx, and the distinct events among them.
    paypal_deliveries: (usize, usize),
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

/// An `orders` row as the checks read it.
type OrderTuple = (
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    i64,
    String,
    Option<String>,
);

async fn orders(db: &AnyPool) -> Vec<OrderRow> {
    sqlx::query_as::<_, OrderTuple>(
        "SELECT id, cart_id, status, total_minor, payment_intent_id, stock_hold, oversold, gateway, gateway_ref FROM orders",
    )
    .fetch_all(db)
    .await
    .expect("orders")
    .into_iter()
    .map(
        |(id, cart_id, status, total, payment_intent, stock_hold, oversold, gateway, gateway_ref)| {
            OrderRow {
                id,
                cart_id,
                status,
                total,
                payment_intent,
                stock_hold,
                oversold: oversold != 0,
                gateway,
                gateway_ref,
            }
        },
    )
    .collect()
}

/// "12.34" → 1234 (PayPal's amounts, in a two-decimal currency).
fn paypal_minor(value: &str) -> Option<i64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let fraction = format!("{fraction:0<2}");
    if fraction.len() != 2 {
        return None;
    }
    Some(whole.parse::<i64>().ok()? * 100 + fraction.parse::<i64>().ok()?)
}

/// Every PayPal order the simulator has events for, the app points at or a shopper got, as the
/// simulator has it now.
async fn paypal_orders(
    world: &World,
    orders: &[OrderRow],
    flows: &[Flow],
) -> BTreeMap<String, Value> {
    let mut ids: BTreeSet<String> = orders
        .iter()
        .filter_map(|o| o.gateway_ref.clone())
        .collect();
    ids.extend(flows.iter().flat_map(|f| f.paypal_orders.iter().cloned()));
    if let Some((200, events)) = world.pp(reqwest::Method::GET, "/_sim/events", None).await {
        for e in events["events"].as_array().into_iter().flatten() {
            let resource = &e["resource"];
            let kind = e["event_type"].as_str().unwrap_or_default();
            let id = if kind.starts_with("CHECKOUT.ORDER.") {
                resource["id"].as_str()
            } else {
                resource["supplementary_data"]["related_ids"]["order_id"].as_str()
            };
            ids.extend(id.map(str::to_string));
        }
    } else if world.paypal.is_some() {
        panic!("the PayPal simulator's events could not be read");
    }
    let mut all = BTreeMap::new();
    for id in ids {
        match world
            .pp(
                reqwest::Method::GET,
                &format!("/v2/checkout/orders/{id}"),
                None,
            )
            .await
        {
            Some((200, order)) => {
                all.insert(id, order);
            }
            other => panic!("PayPal order {id} could not be read: {other:?}"),
        }
    }
    all
}

/// eCheck captures still pending once the shoppers are done (their flow gave up before it
/// cleared them) clear now, as they would at PayPal.
async fn clear_pending_captures(world: &World, flows: &[Flow]) -> usize {
    let mut cleared = 0;
    for id in flows.iter().flat_map(|f| f.paypal_orders.iter()) {
        let Some((200, order)) = world
            .pp(
                reqwest::Method::GET,
                &format!("/v2/checkout/orders/{id}"),
                None,
            )
            .await
        else {
            continue;
        };
        for c in order["purchase_units"][0]["payments"]["captures"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if c["status"] == "PENDING" {
                let path = format!("/_sim/captures/{}/complete", c["id"].as_str().unwrap_or(""));
                if let Some((200, _)) = world.pp(reqwest::Method::POST, &path, None).await {
                    cleared += 1;
                }
            }
        }
    }
    cleared
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
        let open: Result<Vec<(String, String)>, sqlx::Error> = sqlx::query_as(
            "SELECT id, status FROM orders WHERE status IN ('pending', 'processing', 'payment_failed')
                OR stock_hold = 'held'",
        )
        .fetch_all(&world.db)
        .await;
        if open.as_ref().is_ok_and(Vec::is_empty) {
            return Ok(());
        }
        if started.elapsed() > QUIESCENCE_TIMEOUT {
            return Err(match open {
                Ok(open) => format!(
                    "{} orders still open or holding stock after {} s",
                    open.len(),
                    QUIESCENCE_TIMEOUT.as_secs()
                ),
                Err(e) => format!("the app's database unreadable: {e}"),
            });
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
    /// PayPal orders by id, as the PayPal simulator has them.
    paypal: BTreeMap<String, Value>,
    /// Completed PayPal captures by the app's order (`custom_id`): (PayPal order, capture,
    /// amount in minor units).
    captured: HashMap<String, Vec<(String, String, i64)>>,
    /// Every press of Pay by card: (order, revision, total) its page showed.
    shown: BTreeSet<(String, i64, i64)>,
    /// PaymentIntents whose client secret a shopper's browser got.
    exposed: BTreeSet<String>,
}

impl Facts {
    async fn read(world: &World, flows: &[Flow]) -> Facts {
        let orders = orders(&world.db).await;
        let payment_intents = payment_intents(world).await;
        let paypal = paypal_orders(world, &orders, flows).await;
        let mut captured: HashMap<String, Vec<(String, String, i64)>> = HashMap::new();
        for (id, order) in &paypal {
            let unit = &order["purchase_units"][0];
            for c in unit["payments"]["captures"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if matches!(
                    c["status"].as_str(),
                    Some("COMPLETED" | "PARTIALLY_REFUNDED" | "REFUNDED")
                ) {
                    let order_id = unit["custom_id"]
                        .as_str()
                        .or(c["custom_id"].as_str())
                        .unwrap_or_default();
                    captured.entry(order_id.to_string()).or_default().push((
                        id.clone(),
                        c["id"].as_str().unwrap_or_default().to_string(),
                        c["amount"]["value"]
                            .as_str()
                            .and_then(paypal_minor)
                            .unwrap_or(-1),
                    ));
                }
            }
        }
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
        let shown = world
            .shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        let exposed = world
            .exposed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Facts {
            orders,
            payment_intents,
            order_index,
            pi_index,
            paypal,
            captured,
            shown,
            exposed,
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
    let facts = Facts::read(world, flows).await;
    report.orders = facts.orders.len();
    report.paid = facts.orders.iter().filter(|o| o.status == "paid").count();
    report.canceled = facts
        .orders
        .iter()
        .filter(|o| o.status == "canceled")
        .count();
    check_payments(&facts, flows, report);
    check_paypal(&facts, flows, report);
    check_stock(world, &facts, report).await;
    check_codes_and_prices(world, report).await;
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
                // The page that pressed Pay showed exactly this revision and this amount.
                let revision = pi["metadata"]["order_revision"]
                    .as_str()
                    .and_then(|r| r.parse::<i64>().ok())
                    .unwrap_or(-1);
                if !facts
                    .shown
                    .contains(&(order_id.to_string(), revision, received))
                {
                    report.suspects.insert(order_id.to_string());
                    report.wrong.push(format!(
                        "{id} took {received} for order {order_id} revision {revision}, which no paying tab showed"
                    ));
                }
            }
            "canceled" => {}
            status => {
                // Left payable: harmless only if no shopper ever got its client secret.
                if facts.exposed.contains(id) {
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
            && !facts.captured.contains_key(&o.id)
        {
            report.suspects.insert(o.id.clone());
            report.wrong.push(format!(
                "order {} is {} without a succeeded PaymentIntent ({:?}) or a PayPal capture ({:?})",
                o.id, o.status, o.payment_intent, o.gateway_ref
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
        if succeeded_by_order.contains_key(&o.id) || facts.captured.contains_key(&o.id) {
            charged_per_cart.entry(&o.cart_id).or_default().push(&o.id);
        }
        if let (Some(cards), Some(paypal)) =
            (succeeded_by_order.get(&o.id), facts.captured.get(&o.id))
        {
            report.suspects.insert(o.id.clone());
            report.double.push(format!(
                "order {} was paid by card ({cards:?}) and with PayPal ({paypal:?})",
                o.id
            ));
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

/// Every completed PayPal capture is its order's payment: the order paid, for its total, through
/// that PayPal order; one capture per PayPal order, one per order; what the shopper was shown
/// is what PayPal took; an abandoned PayPal order took nothing and its order was canceled.
fn check_paypal(facts: &Facts, flows: &[Flow], report: &mut Report) {
    for (id, order) in &facts.paypal {
        report.paypal_orders += 1;
        let captures = order["purchase_units"][0]["payments"]["captures"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let custom_id = order["purchase_units"][0]["custom_id"]
            .as_str()
            .unwrap_or_default();
        if captures.len() > 1 {
            report.suspects.insert(custom_id.to_string());
            report.double.push(format!(
                "PayPal order {id} (order {custom_id}) has {} captures",
                captures.len()
            ));
        }
        for c in captures.iter().filter(|c| c["status"] == "PENDING") {
            report.suspects.insert(custom_id.to_string());
            report.not_canceled.push(format!(
                "PayPal capture {} of {id} (order {custom_id}) is still pending",
                c["id"]
            ));
        }
    }
    for (order_id, list) in &facts.captured {
        report.paypal_captured += list.len();
        if list.len() > 1 {
            report.suspects.insert(order_id.clone());
            report.double.push(format!(
                "order {order_id} was captured {} times at PayPal: {list:?}",
                list.len()
            ));
        }
        let Some(o) = facts.order(order_id) else {
            report.lost.push(format!(
                "PayPal captures {list:?} for order {order_id:?}, which does not exist"
            ));
            continue;
        };
        for (paypal_order, capture, amount) in list {
            if o.status != "paid" {
                report.suspects.insert(o.id.clone());
                let list = if o.status == "needs_review" {
                    &mut report.wrong
                } else {
                    &mut report.lost
                };
                list.push(format!(
                    "PayPal capture {capture} of {paypal_order} completed ({amount}) but order {} is {}",
                    o.id, o.status
                ));
            } else if o.total != *amount {
                report.suspects.insert(o.id.clone());
                report.wrong.push(format!(
                    "order {} total {} but PayPal capture {capture} took {amount}",
                    o.id, o.total
                ));
            }
            if o.gateway != "paypal" || o.gateway_ref.as_deref() != Some(paypal_order.as_str()) {
                report.suspects.insert(o.id.clone());
                report.wrong.push(format!(
                    "order {} was paid by PayPal capture {capture} of {paypal_order} but records {} {:?}",
                    o.id, o.gateway, o.gateway_ref
                ));
            }
        }
        if o.status == "paid" {
            report.paypal_paid += 1;
        }
    }
    for f in flows {
        if let Some((order_id, paypal_order, shown)) = &f.paypal_paid {
            let taken = facts
                .captured
                .get(order_id)
                .and_then(|l| l.iter().find(|(p, _, _)| p == paypal_order))
                .map(|(_, _, amount)| *amount);
            if taken != Some(*shown) {
                report.suspects.insert(order_id.clone());
                report.wrong.push(format!(
                    "shopper {} was shown {shown} and PayPal order {paypal_order} took {taken:?}",
                    f.n
                ));
            }
        }
        if f.behaviour == Behaviour::PayPal(PayPalPlan::Abandon) {
            for id in &f.orders {
                match facts.order(id) {
                    Some(o) if o.status == "canceled" && !facts.captured.contains_key(id) => {}
                    other => {
                        report.suspects.insert(id.clone());
                        report.not_canceled.push(format!(
                            "abandoned PayPal order {id} is {:?}",
                            other.map(|o| &o.status)
                        ));
                    }
                }
            }
        }
        if matches!(f.behaviour, Behaviour::PayPal(_)) {
            report.paypal_shoppers += 1;
        }
        report.declines += f.declines;
        report.pending += usize::from(f.pending.is_some());
    }
}

/// Stock per product = initial stock − what paid orders bought; nothing oversold.
/// No discount code is redeemed past its limit (held by open orders or taken by paid ones), and
/// every checkout page showed a total its parts add up to.
async fn check_codes_and_prices(world: &World, report: &mut Report) {
    let redeemed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM discount_redemptions r JOIN discount_codes c ON c.id = r.code_id
          WHERE c.code = $1 AND r.state IN ('held', 'taken')",
    )
    .bind(LIMITED_CODE)
    .fetch_one(&world.db)
    .await
    .unwrap_or(i64::MAX);
    if redeemed > LIMITED_CODE_USES {
        report.wrong.push(format!(
            "{LIMITED_CODE} redeemed {redeemed} times, its limit is {LIMITED_CODE_USES}"
        ));
    }
    let paid_with: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE discount_code = $1 AND status IN ('paid', 'partially_refunded', 'refunded', 'disputed', 'dispute_lost', 'needs_review')",
    )
    .bind(LIMITED_CODE)
    .fetch_one(&world.db)
    .await
    .unwrap_or(i64::MAX);
    if paid_with > LIMITED_CODE_USES {
        report.wrong.push(format!(
            "{paid_with} paid orders used {LIMITED_CODE}, its limit is {LIMITED_CODE_USES}"
        ));
    }
    report.code_redemptions = redeemed;
    for m in world
        .mispriced
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
    {
        report
            .wrong
            .push(format!("a checkout's parts do not add up: {m}"));
    }
}

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
            // Pay was never pressed: no PaymentIntent was ever made for it.
            let made = facts
                .payment_intents
                .iter()
                .filter(|pi| pi["metadata"]["order_id"].as_str() == Some(id.as_str()))
                .count();
            if o.status != "canceled" || made > 0 || o.payment_intent.is_some() {
                report.suspects.insert(o.id.clone());
                report.not_canceled.push(format!(
                    "abandoned order {id} is {} with {made} PaymentIntents",
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
    report.deliveries = delivered_2xx(&attempts["data"]);
    if let Some((200, attempts)) = world
        .pp(reqwest::Method::GET, "/_sim/deliveries", None)
        .await
    {
        report.paypal_deliveries = delivered_2xx(&attempts["deliveries"]);
    }
}

/// Of a simulator's webhook delivery attempts: (answered 2xx, distinct events among them).
fn delivered_2xx(attempts: &Value) -> (usize, usize) {
    let delivered: Vec<&Value> = attempts
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
    (delivered.len(), events.len())
}

/// An `order_events` row: at, kind, old status, new status, detail.
type TimelineRow = (i64, String, Option<String>, Option<String>, String);

async fn timeline(db: &AnyPool, order: &str) -> String {
    let rows: Vec<TimelineRow> = sqlx::query_as(
        "SELECT at, kind, old_status, new_status, detail FROM order_events WHERE order_id = $1 ORDER BY id",
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
    world.paypal_faults(Some(None)).await;
    let rotator = phase
        .api_failures()
        .then(|| tokio::spawn(failure_rotator(world.clone(), stop.clone())));
    let killer = phase
        .kills()
        .then(|| tokio::spawn(killer(world.clone(), stop.clone(), seed ^ 0x6b696c6c)));
    // PostgreSQL restarted once, at a random point between a quarter and half of the shoppers
    // finished (the rest still checking out and paying).
    let finished = Arc::new(AtomicUsize::new(0));
    let pg_restarter = match (&o.pg_restart_cmd, o.pg_restart_phase()) {
        (Some(cmd), Some(p)) if p == phase => {
            let mut rng = StdRng::seed_from_u64(seed ^ 0x7067_7273);
            let after = rng.gen_range(checkouts / 4..=checkouts / 2);
            Some(tokio::spawn(pg_restarter(
                world.clone(),
                cmd.clone(),
                finished.clone(),
                after,
                started,
            )))
        }
        _ => None,
    };

    // The shoppers, at most `concurrency` at a time.
    let gate = Arc::new(tokio::sync::Semaphore::new(o.concurrency));
    let paypal_share = if world.paypal.is_some() {
        o.paypal_share
    } else {
        0.0
    };
    let mut tasks = Vec::new();
    for n in 0..checkouts {
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        let world = world.clone();
        let finished = finished.clone();
        let flow_seed = seed.wrapping_mul(1_000_003).wrapping_add(n as u64);
        tasks.push(tokio::spawn(async move {
            let result =
                tokio::time::timeout(FLOW_TIMEOUT, flow(world, n, flow_seed, paypal_share)).await;
            drop(permit);
            finished.fetch_add(1, Ordering::Relaxed);
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
    if let Some(r) = pg_restarter {
        report
            .pg_restarts
            .push(r.await.expect("the PostgreSQL restarter"));
    }
    if let Some(k) = killer {
        k.await.expect("killer");
    }
    if let Some(r) = rotator {
        r.await.expect("rotator");
    }
    world.faults(&[]).await;
    world.paypal_faults(None).await;
    report.pending_swept = clear_pending_captures(&world, &flows).await;
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
    report.start_failures = world.start_failures.load(Ordering::Relaxed);
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
        match world.backend {
            Backend::Sqlite => println!("  logs and database kept in {}", world.dir.display()),
            Backend::Postgres => println!(
                "  logs kept in {}, the database is {}",
                world.dir.display(),
                world.database_url
            ),
        }
    }
    world.stop().await;
    if let Some(server) = &o.postgres {
        if !report.failed() && !o.keep {
            drop_database(server, &world.database_url).await;
        }
    }
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

fn print_table(reports: &[Report], backend: Backend) {
    let mut header = vec![
        "phase",
        "checkouts",
        "orders",
        "paid",
        "by PayPal",
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
    let postgres = backend == Backend::Postgres;
    if postgres {
        header.insert(header.len() - 2, "PG restarts");
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut total = Report {
        phase: "total",
        ..Report::default()
    };
    for r in reports {
        total.checkouts += r.checkouts;
        total.orders += r.orders;
        total.paid += r.paid;
        total.paypal_paid += r.paypal_paid;
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
        total.pg_restarts.extend(r.pg_restarts.clone());
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
        let mut row = vec![
            r.phase.to_string(),
            r.checkouts.to_string(),
            r.orders.to_string(),
            r.paid.to_string(),
            r.paypal_paid.to_string(),
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
        ];
        if postgres {
            row.insert(row.len() - 2, r.pg_restarts.len().to_string());
        }
        rows.push(row);
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
    sqlx::any::install_default_drivers();
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
    let backend = o.backend();
    println!(
        "fault matrix on {}: {} checkouts, phases {:?}, concurrency {}, seed {} (repeat with --seed {}){}",
        backend.name(),
        o.checkouts,
        o.phases.iter().map(|p| p.name()).collect::<Vec<_>>(),
        o.concurrency,
        o.seed,
        o.seed,
        match (o.pg_restart_phase(), &o.postgres) {
            (Some(p), _) => format!("; PostgreSQL restarted once in phase {}", p.name()),
            (None, Some(_)) => "; PostgreSQL not restarted".into(),
            (None, None) => String::new(),
        }
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
        let paypal = if o.paypal_share > 0.0 {
            format!(
                "; PayPal: {} shoppers, {} PayPal orders, {} captured, {} orders paid, {} declined \
                 and approved again, {} pending captures settled (+{} at the end), webhooks 2xx {} \
                 ({} events)",
                report.paypal_shoppers,
                report.paypal_orders,
                report.paypal_captured,
                report.paypal_paid,
                report.declines,
                report.pending,
                report.pending_swept,
                report.paypal_deliveries.0,
                report.paypal_deliveries.1
            )
        } else {
            String::new()
        };
        let mut postgres = String::new();
        for (at, down, done) in &report.pg_restarts {
            postgres.push_str(&format!(
                "; PostgreSQL restarted {at:.1} s into the phase, {done} of {share} shoppers \
                 done, down {down:.1} s"
            ));
        }
        if report.start_failures > 0 {
            postgres.push_str(&format!(
                "; app starts that found no database and were started again {}",
                report.start_failures
            ));
        }
        println!(
            "phase {:<9} {:>5} checkouts in {:>6.1} s: {} (shoppers: {}; hold ran out while paying {}; \
             PaymentIntents never handed out and left open {}; {LIMITED_CODE} redeemed {} of \
             {LIMITED_CODE_USES}; slowest heal {}{paypal}{postgres})",
            phase.name(),
            share,
            report.seconds,
            if report.failed() { "FAILED" } else { "ok" },
            outcomes.join(", "),
            report.restarts,
            report.stray,
            report.code_redemptions,
            report
                .slowest_heal
                .as_ref()
                .map(|(s, o)| format!("{s:.2} s, {o}"))
                .unwrap_or_else(|| "–".into())
        );
        reports.push(report);
    }
    println!();
    print_table(&reports, backend);
    let failed = reports.iter().any(Report::failed);
    let restarts = reports.iter().map(|r| r.pg_restarts.len()).sum::<usize>();
    println!(
        "\n{} on {} in {:.1} s (seed {}; app kills {}{})",
        if failed {
            "FAILED: invariants violated (see above)"
        } else {
            "all invariants hold"
        },
        backend.name(),
        started.elapsed().as_secs_f64(),
        o.seed,
        reports.iter().map(|r| r.kills).sum::<usize>(),
        if backend == Backend::Postgres {
            format!("; PostgreSQL restarts {restarts}")
        } else {
            String::new()
        }
    );
    kill_all();
    if !failed && !o.keep {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        println!("kept: {}", root.display());
    }
    std::process::exit(i32::from(failed));
}
