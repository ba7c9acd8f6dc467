//! Drives the whole axum router in-process, like a browser would: one cookie jar per `Visitor`.

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use checkout::server::config::Config;
use checkout::server::startup::build_router;
use checkout::server::AppState;
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db_path: PathBuf,
}

impl TestApp {
    /// One request exactly as built, without a visitor's cookie jar.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response: Response<Body> = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

impl TestApp {
    /// Makes every stored session expired, as time passing would.
    pub async fn expire_sessions(&self) {
        let sql = if on_postgres() {
            "UPDATE tower_sessions.session SET expiry_date = now() - interval '1 minute'"
        } else {
            "UPDATE tower_sessions SET expiry_date = 0"
        };
        sqlx::query(sql).execute(&self.state.pool).await.unwrap();
    }

    /// A pool of the embedded simulators' database (their keys, their objects).
    pub async fn simulator_pool(&self) -> sqlx::SqlitePool {
        checkout::server::db::connect_sqlite(&self.state.config.simulator_database_url)
            .await
            .expect("the simulators' database")
    }
}

static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// A fresh database file for one test.
pub fn fresh_db_path() -> PathBuf {
    let n = NEXT_DB.fetch_add(1, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("checkout-test-{}-{n}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(fresh_db_path()).await
}

/// Starts the app on an existing database file, as a restart would.
pub async fn spawn_app_on(db_path: PathBuf) -> TestApp {
    spawn_app_with(db_path, &[]).await
}

/// The backend these tests run on: SQLite files by default; PostgreSQL when `TEST_DATABASE` is
/// `postgres`, on the server of `TEST_POSTGRES_URL` (a superuser's URL; `scripts/test.sh`
/// starts a throwaway cluster and runs the suite once on each backend).
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE").as_deref() == Ok("postgres")
}

fn postgres_server() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .expect("TEST_DATABASE=postgres needs TEST_POSTGRES_URL (scripts/test.sh sets both)")
}

/// The URL of database `name` on the test server.
fn postgres_database(name: &str) -> String {
    let server = postgres_server();
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base.to_string(), format!("?{query}")),
        None => (server.clone(), String::new()),
    };
    let root = base
        .rsplit_once('/')
        .map_or(base.as_str(), |(root, _)| root);
    format!("{root}/{name}{query}")
}

/// A migrated database every test's database is copied from (`CREATE DATABASE … TEMPLATE`,
/// a fraction of a second, where migrating each would take seconds): made once per test run.
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn postgres_template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            use sqlx::Connection;
            let name = format!("checkout_template_{}", std::process::id());
            let mut admin = sqlx::PgConnection::connect(&postgres_server())
                .await
                .expect("the test PostgreSQL server answers");
            for statement in [
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                format!("CREATE DATABASE {name}"),
            ] {
                sqlx::raw_sql(&statement)
                    .execute(&mut admin)
                    .await
                    .expect("template database");
            }
            let pool = checkout::server::db::connect(&postgres_database(&name))
                .await
                .expect("template migrated");
            pool.close().await;
            name
        })
        .await
}

/// The database URL of the test database `db_path` names: the SQLite file itself, or a
/// PostgreSQL database named after it (created from the template on first use, kept for a
/// restart on the same path).
pub async fn database_url(db_path: &std::path::Path) -> String {
    if !on_postgres() {
        return format!("sqlite:{}", db_path.display());
    }
    use sqlx::Connection;
    let stem = db_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Named after this run too: a database left by an earlier run is never picked up.
    let name: String = format!("t{}_{stem}", std::process::id())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(63)
        .collect();
    let template = postgres_template().await;
    let mut admin = sqlx::PgConnection::connect(&postgres_server())
        .await
        .expect("the test PostgreSQL server answers");
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut admin)
        .await
        .expect("pg_database");
    if exists.is_none() {
        sqlx::raw_sql(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .await
            .expect("test database");
    }
    let _ = admin.close().await;
    postgres_database(&name)
}

/// Starts the app with extra environment settings.
pub async fn spawn_app_with(db_path: PathBuf, vars: &[(&str, &str)]) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        // The server's log, to see why a test failed: TEST_LOG=1 cargo test … -- --nocapture
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn,checkout=debug")
            .with_test_writer()
            .try_init();
    }
    let url = database_url(&db_path).await;
    // The simulators keep their state in a SQLite file of their own on PostgreSQL (as they do
    // in production); on SQLite, in the shop's file.
    let simulators = format!("sqlite:{}", db_path.display());
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = Config::from_lookup(|name| {
        if name == "DATABASE_URL" {
            return Some(url.clone());
        }
        if name == "SIMULATOR_DATABASE_URL" {
            return Some(simulators.clone());
        }
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .expect("test configuration");
    let options = LeptosOptions::builder().output_name("checkout").build();
    let (router, state) = build_router(config, options).await.expect("app starts");
    TestApp {
        router,
        state,
        db_path,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One browser: keeps the session cookie between requests.
#[derive(Clone, Default)]
pub struct Visitor {
    cookie: Arc<Mutex<Option<String>>>,
}

impl Visitor {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    pub fn with_cookie(cookie: String) -> Self {
        Self {
            cookie: Arc::new(Mutex::new(Some(cookie))),
        }
    }

    async fn send(&self, app: &TestApp, mut request: Request<Body>) -> Reply {
        if let Some(cookie) = self.cookie() {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        let reply = app.send(request).await;
        if let Some(set) = reply.headers.get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            *self.cookie.lock().unwrap() = Some(pair);
        }
        reply
    }

    /// A page load, as a browser sends it.
    pub async fn get_page(&self, app: &TestApp, path: &str) -> Reply {
        let request = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        self.send(app, request).await
    }

    /// A server function call, as the hydrated page sends it.
    pub async fn call(&self, app: &TestApp, endpoint: &str, form: &str) -> Reply {
        let request = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            // What a browser sends with a fetch from the shop's own page.
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(form.to_string()))
            .unwrap();
        self.send(app, request).await
    }

    /// A plain HTML form post, as a browser without JavaScript sends it.
    pub async fn post_form(
        &self,
        app: &TestApp,
        endpoint: &str,
        form: &str,
        referer: &str,
    ) -> Reply {
        let request = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer)
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(form.to_string()))
            .unwrap();
        self.send(app, request).await
    }

    pub async fn cart(&self, app: &TestApp) -> serde_json::Value {
        let reply = self.call(app, "cart/get", "").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()
    }

    pub async fn add_to_cart(&self, app: &TestApp, product: &Product, quantity: i64) -> Reply {
        self.call(app, "cart/add", &cart_line_form(product, quantity))
            .await
    }

    pub async fn update_cart(&self, app: &TestApp, product: &Product, quantity: i64) -> Reply {
        self.call(app, "cart/update", &cart_line_form(product, quantity))
            .await
    }

    pub async fn remove_from_cart(&self, app: &TestApp, product: &Product) -> Reply {
        let form = form(&[("product_id", &product.id.to_string())]);
        self.call(app, "cart/remove", &form).await
    }

    /// Goes to checkout with the cart as it is, shipping to [`ShipTo::default`] (New York, the
    /// cheapest rate, no code).
    pub async fn start_checkout(&self, app: &TestApp, email: &str) -> Reply {
        self.start_checkout_to(app, email, &ShipTo::default()).await
    }

    /// Goes to checkout with the cart as it is, shipping to `to` (its rate and code too).
    pub async fn start_checkout_to(&self, app: &TestApp, email: &str, to: &ShipTo) -> Reply {
        let mut fields = vec![
            ("email", email),
            ("name", to.name.as_str()),
            ("line1", to.line1.as_str()),
            ("line2", ""),
            ("city", to.city.as_str()),
            ("region", to.region.as_str()),
            ("postal_code", to.postal_code.as_str()),
            ("country", to.country.as_str()),
        ];
        let rate = to.rate.map(|r| r.to_string()).unwrap_or_default();
        fields.push(("rate", &rate));
        fields.push(("code", to.code.as_str()));
        self.call(app, "checkout/start", &form(&fields)).await
    }

    /// Goes to checkout and reads the order (and the revision the page shows) it was given.
    pub async fn checkout(&self, app: &TestApp, email: &str) -> Checkout {
        self.checkout_to(app, email, &ShipTo::default()).await
    }

    /// Goes to checkout shipping to `to` and reads the order it was given.
    pub async fn checkout_to(&self, app: &TestApp, email: &str, to: &ShipTo) -> Checkout {
        let reply = self.start_checkout_to(app, email, to).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let session = reply.json();
        Checkout {
            order_id: session["order_id"].as_str().unwrap().to_string(),
            revision: session["revision"].as_i64().unwrap(),
            total_minor: session["total"]["minor"].as_i64().unwrap(),
            session,
        }
    }

    /// Presses Pay as the Payment Element does: a ConfirmationToken for the test card
    /// (`pm_card_…`), sent with the revision the page shows.
    pub async fn pay(&self, app: &TestApp, sim: &Sim, checkout: &Checkout, card: &str) -> Reply {
        let token = sim.confirmation_token(card).await;
        self.pay_with(app, checkout, checkout.revision, &token)
            .await
    }

    /// Presses Pay with what the card form made (`ctoken_…` or, as the Card Element does,
    /// `pm_…`) and the revision the page shows.
    pub async fn pay_with(
        &self,
        app: &TestApp,
        checkout: &Checkout,
        revision: i64,
        with: &str,
    ) -> Reply {
        let form = form(&[
            ("order_id", &checkout.order_id),
            ("revision", &revision.to_string()),
            ("with", with),
        ]);
        self.call(app, "checkout/pay", &form).await
    }
}

fn cart_line_form(product: &Product, quantity: i64) -> String {
    form(&[
        ("product_id", &product.id.to_string()),
        ("quantity", &quantity.to_string()),
    ])
}

/// What items worth `items_minor` cost shipped to [`ShipTo::default`]: the seeded US Standard
/// rate is $5.95, free from $75.00 (and no US tax rate is seeded).
pub fn shipped(items_minor: i64) -> i64 {
    items_minor + if items_minor >= 7500 { 0 } else { 595 }
}

/// A checkout under way: the order and the revision of it the page shows.
#[derive(Clone, Debug)]
pub struct Checkout {
    pub order_id: String,
    pub revision: i64,
    pub total_minor: i64,
    /// The whole answer (pricing, rates, address).
    pub session: serde_json::Value,
}

/// What the checkout form sends for the address, the rate and the code.
#[derive(Clone, Debug)]
pub struct ShipTo {
    pub name: String,
    pub line1: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub rate: Option<i64>,
    pub code: String,
}

impl Default for ShipTo {
    fn default() -> Self {
        ShipTo {
            name: "Grace Hopper".into(),
            line1: "350 Fifth Avenue".into(),
            city: "New York".into(),
            region: "NY".into(),
            postal_code: "10118".into(),
            country: "US".into(),
            rate: None,
            code: String::new(),
        }
    }
}

impl ShipTo {
    /// An address in Berlin (the seeded Europe zone, 19 % VAT).
    pub fn berlin() -> Self {
        ShipTo {
            name: "Ada Lovelace".into(),
            line1: "Unter den Linden 1".into(),
            city: "Berlin".into(),
            region: String::new(),
            postal_code: "10117".into(),
            country: "DE".into(),
            ..ShipTo::default()
        }
    }

    pub fn with_code(mut self, code: &str) -> Self {
        self.code = code.into();
        self
    }

    pub fn with_rate(mut self, rate: i64) -> Self {
        self.rate = Some(rate);
        self
    }
}

/// The order's current PaymentIntent (made when Pay was pressed), read from the database.
pub async fn payment_intent_of(app: &TestApp, order_id: &str) -> String {
    checkout::server::db::order_by_id(&app.state.pool, order_id)
        .await
        .unwrap()
        .expect("the order exists")
        .payment_intent_id
        .expect("the order has a PaymentIntent")
}

/// An `application/x-www-form-urlencoded` body, encoded as a browser encodes a form.
pub fn form(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Seeded products, by slug.
pub const MUG: &str = "stoneware-mug";
pub const TEA_TIN: &str = "tea-tin";
pub const KETTLE: &str = "copper-kettle";
pub const TRIVET: &str = "felt-trivet";
pub const BOARD: &str = "walnut-board";

/// A product as the database holds it.
#[derive(Debug, sqlx::FromRow)]
pub struct Product {
    pub id: i64,
    pub name: String,
    /// In minor units (cents).
    pub price_minor: i64,
    pub stock: i64,
}

/// A product read straight from the database, not through the app.
pub async fn product(app: &TestApp, slug: &str) -> Product {
    sqlx::query_as("SELECT id, name, price_minor, stock FROM products WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.state.pool)
        .await
        .expect("seeded product")
}

/// `SELECT count(*) …` with `binds` for its `$n`s, read straight from the app's database. A
/// bind that reads as a whole number is bound as one (PostgreSQL compares an id column only
/// with a number).
pub async fn count(app: &TestApp, sql: &str, binds: &[&str]) -> i64 {
    let mut query = sqlx::query_scalar(sql);
    for value in binds {
        query = match value.parse::<i64>() {
            Ok(number) => query.bind(number),
            Err(_) => query.bind(*value),
        };
    }
    query.fetch_one(&app.state.pool).await.unwrap()
}

/// An order's status (`paid`, `payment_failed`, …), read straight from the database.
pub async fn order_status(app: &TestApp, order_id: &str) -> String {
    checkout::server::db::order_by_id(&app.state.pool, order_id)
        .await
        .unwrap()
        .expect("the order exists")
        .status
        .as_str()
        .to_string()
}

/// The cart's lines as (product id, quantity).
pub fn lines(cart: &serde_json::Value) -> Vec<(i64, i64)> {
    cart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["product_id"].as_i64().unwrap(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The text of the element carrying `marker` among its attributes.
pub fn text_after(html: &str, marker: &str) -> String {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in page"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    rest[open..open + close].to_string()
}

/// The app served on a real loopback port: its Stripe client reaches the embedded simulator
/// over HTTP and the simulator delivers webhooks back, as in production. Returns its base URL.
pub async fn spawn_server() -> (TestApp, String) {
    spawn_server_with(&[]).await
}

/// The app served on a real loopback port, with extra environment settings.
pub async fn spawn_server_with(vars: &[(&str, &str)]) -> (TestApp, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut vars = vars.to_vec();
    vars.push(("CHECKOUT_ADDR", addr.as_str()));
    // The tests set the embedded simulator's faults.
    vars.push(("STRIPE_SIM_CONTROL", "1"));
    let app = spawn_app_with(fresh_db_path(), &vars).await;
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (app, format!("http://{addr}"))
}

/// The Stripe simulator embedded in a served app, called over HTTP with the app's secret key,
/// as Stripe.js and Stripe's own API clients call Stripe.
pub struct Sim {
    api: String,
    key: String,
}

impl Sim {
    /// The simulator of the app served at `base`.
    pub fn of(app: &TestApp, base: &str) -> Self {
        Self {
            api: format!("{base}/stripe-sim"),
            key: app.state.payments.secret_key.expose().to_string(),
        }
    }

    /// A GET on the simulator's REST API, e.g. `/v1/events`.
    pub async fn get(&self, path: &str) -> serde_json::Value {
        let request = reqwest::Client::new().get(format!("{}{path}", self.api));
        Self::json(request.bearer_auth(&self.key)).await
    }

    /// A POST on the simulator (REST or `/_sim` control), e.g. `/_sim/faults`.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> serde_json::Value {
        let request = reqwest::Client::new()
            .post(format!("{}{path}", self.api))
            .form(form);
        Self::json(request.bearer_auth(&self.key)).await
    }

    /// Webhooks stop arriving (every delivery attempt is lost).
    pub async fn lose_webhooks(&self) {
        self.post("/_sim/faults", &[("webhook_drop_rate", "1")])
            .await;
    }

    pub async fn payment_intent(&self, id: &str) -> serde_json::Value {
        self.get(&format!("/v1/payment_intents/{id}")).await
    }

    /// A ConfirmationToken for a test card (`pm_card_…`), as Stripe's test helper makes one
    /// (https://docs.stripe.com/api/confirmation_tokens/test_create).
    pub async fn confirmation_token(&self, card: &str) -> String {
        let token = self
            .post(
                "/v1/test_helpers/confirmation_tokens",
                &[("payment_method", card)],
            )
            .await;
        token["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no ConfirmationToken: {token}"))
            .to_string()
    }

    /// The shopper completes (`true`) or fails the 3-D Secure challenge of a PaymentIntent, as
    /// the challenge Stripe.js shows does.
    pub async fn authenticate(&self, payment_intent: &str, complete: bool) -> serde_json::Value {
        let outcome = if complete { "complete" } else { "fail" };
        self.post(
            &format!("/_sim/3ds/{payment_intent}"),
            &[("outcome", outcome)],
        )
        .await
    }

    async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
        request.send().await.unwrap().json().await.unwrap()
    }
}

/// Waits (at most 10 s) until `check` is true.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A cart of `quantity` × the product, priced from the database, and its total.
pub async fn cart_of(
    app: &TestApp,
    slug: &str,
    quantity: i64,
) -> (checkout::domain::cart::Cart, checkout::domain::money::Money) {
    use checkout::domain::cart::{Cart, CartLine};
    use checkout::domain::money::{Currency, Money};
    let product = product(app, slug).await;
    let usd = Currency::parse("USD").unwrap();
    let line = CartLine {
        product_id: product.id,
        slug: slug.into(),
        name: product.name,
        image: String::new(),
        unit_price: Money::new(product.price_minor, usd.clone()),
        quantity,
        stock: product.stock,
        weight_grams: 0,
    };
    let total = line.line_total().unwrap();
    (
        Cart {
            lines: vec![line],
            currency: usd,
        },
        total,
    )
}

/// Places an order straight in the database (items held, as checkout does), without a
/// PaymentIntent unless `payment_intent` is given.
pub async fn place_order(
    app: &TestApp,
    order_id: &str,
    cart_id: &str,
    email: &str,
    slug: &str,
    quantity: i64,
    payment_intent: Option<&str>,
) -> checkout::domain::money::Money {
    use checkout::server::db;
    let (cart, total) = cart_of(app, slug, quantity).await;
    let to = ShipTo::default();
    let address = checkout::domain::address::Address {
        name: to.name,
        line1: to.line1,
        line2: String::new(),
        city: to.city,
        region: to.region,
        postal_code: to.postal_code,
        country: to.country,
    };
    let pricing = checkout::domain::pricing::Breakdown::items_only(total.clone());
    let draft = db::OrderDraft {
        cart_id,
        email,
        cart: &cart,
        address: &address,
        shipping_rate_id: 1,
        pricing: &pricing,
        code: None,
        expires_at: i64::MAX,
    };
    match db::create_order(&app.state.pool, order_id, &draft)
        .await
        .unwrap()
    {
        db::Created::New(_) => {}
        other => panic!("order {order_id} not placed: {other:?}"),
    }
    if let Some(pi) = payment_intent {
        db::set_payment_intent(&app.state.pool, order_id, pi)
            .await
            .unwrap();
    }
    total
}
