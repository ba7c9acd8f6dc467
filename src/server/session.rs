//! Visitor sessions (tower-sessions, stored in the shop's database so they survive a restart:
//! tower-sessions-sqlx-store's SQLite or PostgreSQL store, whichever the shop runs on). The
//! session holds only the visitor's cart id; the cart itself is in the `carts` tables.

use super::{state, AppState};
use crate::error::AppError;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;
use rand::distributions::{Alphanumeric, DistString};
use sqlx::{AnyPool, SqlitePool};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

const CART_KEY: &str = "cart_id";
pub const COOKIE_NAME: &str = "hk_session";

/// Creates the session table (idempotent) and returns the layer that loads and saves sessions.
/// Cookies are HttpOnly and SameSite=Lax: Strict would be dropped when Stripe redirects back.
pub async fn layer(
    url: &str,
    pool: &AnyPool,
    reader: &super::db::Reader,
    secure: bool,
) -> Result<SessionManagerLayer<Sessions>, sqlx::Error> {
    use super::db::Backend;
    let store = match Backend::of(pool) {
        Backend::Sqlite => {
            let pool = super::db::connect_sqlite(url).await?;
            let store = SqliteStore::new(pool.clone());
            store.migrate().await?;
            sweep_expired(store.clone());
            Sessions::Sqlite(QueuedStore {
                store,
                file: file_of(url),
                reader: reader.clone(),
                new_sessions: NewSessions::spawn(pool, file_of(url)),
            })
        }
        Backend::Postgres => {
            // The store's own table (schema `tower_sessions`), read and written through a
            // pool of sqlx's PostgreSQL driver, which the store is written for.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect(url)
                .await?;
            let store = PostgresStore::new(pool);
            store.migrate().await?;
            sweep_expired(store.clone());
            Sessions::Postgres(store)
        }
    };
    Ok(SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::days(30),
        )))
}

/// The SQLite file of a `sqlite:` URL, as the shop's write turns are keyed.
fn file_of(url: &str) -> String {
    url.parse::<sqlx::any::AnyConnectOptions>()
        .map(|o| o.database_url.path().to_string())
        .unwrap_or_else(|_| url.to_string())
}

/// Deletes expired sessions hourly, so the table does not only grow. A failed pass (the
/// database restarting) is logged and the next hour's is tried: the loop never ends on an error.
fn sweep_expired<S: tower_sessions::ExpiredDeletion + Clone + 'static>(store: S) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "deleting expired sessions");
            }
        }
    });
}

/// The session store of the shop's backend.
#[derive(Clone, Debug)]
pub enum Sessions {
    Sqlite(QueuedStore),
    Postgres(PostgresStore),
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.create(record).await,
            Sessions::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.save(record).await,
            Sessions::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Sessions::Sqlite(store) => store.load(id).await,
            Sessions::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.delete(id).await,
            Sessions::Postgres(store) => store.delete(id).await,
        }
    }
}

/// The SQLite session store, its writes queued in-process with the database's other writers
/// (`db::write_turn`) instead of waiting for SQLite's write lock in its busy handler, and new
/// sessions written in batches ([`NewSessions`]). A new visitor's first page writes its
/// session: under load that used to be the slow part.
#[derive(Clone, Debug)]
pub struct QueuedStore {
    store: SqliteStore,
    /// The database file, whose write turns the store's writes take.
    file: String,
    /// Loads go through the pages' reading connections ([`super::db::Reader`]).
    reader: super::db::Reader,
    new_sessions: NewSessions,
}

/// New visitors' sessions, written together: the ones that arrive while a batch is being
/// written go into the next, one transaction each (group commit), on a connection of the
/// writer's own (no pool round trips). A request is answered once its row is committed. The
/// batch takes its turn with the database's other writers (`db::write_turn`).
#[derive(Clone, Debug)]
pub struct NewSessions {
    queue: tokio::sync::mpsc::UnboundedSender<PendingSession>,
}

type PendingSession = (Record, tokio::sync::oneshot::Sender<Result<Id, String>>);

/// Sessions written in one transaction at most.
const SESSION_BATCH: usize = 64;

impl NewSessions {
    /// Starts the writer task (on the current tokio runtime); it ends with the last handle.
    pub fn spawn(pool: SqlitePool, file: String) -> Self {
        let (queue, pending) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write_new_sessions(pool, file, pending));
        NewSessions { queue }
    }

    /// Inserts the record, under a new id if its own is taken; returns the id it was stored under.
    async fn insert(&self, record: Record) -> session_store::Result<Id> {
        let stopped = || session_store::Error::Backend("the session writer has stopped".into());
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue.send((record, reply)).map_err(|_| stopped())?;
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(session_store::Error::Backend)
    }
}

async fn write_new_sessions(
    pool: SqlitePool,
    file: String,
    mut pending: tokio::sync::mpsc::UnboundedReceiver<PendingSession>,
) {
    use sqlx::ConnectOptions;
    let mut connection: Option<sqlx::SqliteConnection> = None;
    let mut batch = Vec::with_capacity(SESSION_BATCH);
    while pending.recv_many(&mut batch, SESSION_BATCH).await > 0 {
        let _turn = super::db::write_turn_of_file(&file).await;
        let written = async {
            let db = match &mut connection {
                Some(db) => db,
                None => connection.insert(pool.connect_options().connect().await?),
            };
            insert_sessions(db, &mut batch).await
        }
        .await;
        if written.is_err() {
            connection = None; // a fresh one for the next batch
        }
        for (record, reply) in batch.drain(..) {
            let _ = reply.send(match &written {
                Ok(()) => Ok(record.id),
                Err(e) => Err(e.to_string()),
            });
        }
    }
}

async fn insert_sessions(
    db: &mut sqlx::SqliteConnection,
    batch: &mut [PendingSession],
) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
    for (record, _) in batch.iter_mut() {
        // A taken id is redrawn; a row refused for any other reason would be refused every
        // time, so a few tries end it.
        let mut tries = 0;
        loop {
            tries += 1;
            if tries > 4 {
                return Err(sqlx::Error::Protocol(
                    "a new session row was refused".into(),
                ));
            }
            let data = rmp_serde::to_vec(&*record).map_err(|e| sqlx::Error::Encode(e.into()))?;
            let inserted = sqlx::query(
                "INSERT OR IGNORE INTO tower_sessions (id, data, expiry_date) VALUES ($1, $2, $3)",
            )
            .bind(record.id.to_string())
            .bind(data)
            .bind(record.expiry_date)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 1 {
                break;
            }
            record.id = Id::default(); // taken: draw another
        }
    }
    tx.commit().await
}

#[async_trait::async_trait]
impl SessionStore for QueuedStore {
    /// What `SqliteStore::create` does — insert the record, or draw a new id if that one is
    /// taken — through [`NewSessions`]: every new visitor's first page does this. Same table,
    /// same encoding (MessagePack record, the expiry as `SqliteStore` binds it), so the store
    /// reads these rows as its own.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        record.id = self.new_sessions.insert(record.clone()).await?;
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let _turn = super::db::write_turn_of_file(&self.file).await;
        self.store.save(record).await
    }

    /// What `SqliteStore::load` does (same query, same decoding), on a reading connection:
    /// every returning visitor's page does this.
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let backend = |e: sqlx::Error| session_store::Error::Backend(e.to_string());
        let mut db = self.reader.connection().await.map_err(backend)?;
        let data: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT data FROM tower_sessions WHERE id = $1 AND expiry_date > $2",
        )
        .bind(id.to_string())
        .bind(sqlite_time(
            tower_sessions::cookie::time::OffsetDateTime::now_utc(),
        ))
        .fetch_optional(&mut *db)
        .await
        .map_err(backend)?;
        data.map(|data| rmp_serde::from_slice(&data))
            .transpose()
            .map_err(|e| session_store::Error::Decode(e.to_string()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let _turn = super::db::write_turn_of_file(&self.file).await;
        self.store.delete(id).await
    }
}

/// A time as sqlx's SQLite driver stores it (RFC 3339 text), for comparing with the store's
/// `expiry_date` through the `Any` driver (which has no time type).
fn sqlite_time(at: tower_sessions::cookie::time::OffsetDateTime) -> String {
    use tower_sessions::cookie::time::format_description::well_known::Rfc3339;
    at.format(&Rfc3339).unwrap_or_default()
}

fn session_failed(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::Internal
}

fn new_cart_id() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}

/// The visitor's cart id, created on first use; `true` when it was created just now.
async fn cart_id_or_new(session: &Session) -> Result<(String, bool), AppError> {
    if let Some(id) = session
        .get::<String>(CART_KEY)
        .await
        .map_err(session_failed)?
    {
        return Ok((id, false));
    }
    let id = new_cart_id();
    session
        .insert(CART_KEY, &id)
        .await
        .map_err(session_failed)?;
    Ok((id, true))
}

/// The visitor's cart id, created on first use.
async fn cart_id(session: &Session) -> Result<String, AppError> {
    Ok(cart_id_or_new(session).await?.0)
}

/// Marks a page request whose visitor was given a new cart id by this very request
/// ([`ensure_visitor`]): a cart nobody could have added to yet, so the page renders it empty
/// without asking the database.
#[derive(Clone, Copy, Debug)]
struct NewCart;

/// Whether the request being rendered created the visitor's cart ([`NewCart`]).
pub fn cart_is_new() -> bool {
    use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| parts.extensions.get::<NewCart>().is_some())
}

async fn current_session() -> Result<Session, AppError> {
    leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer around server functions");
        AppError::Internal
    })
}

/// For server functions that change the cart: the application state and the visitor's cart
/// id, created if the visitor has none yet.
pub async fn current_cart() -> Result<(AppState, String), AppError> {
    let state = state()?;
    let id = cart_id(&current_session().await?).await?;
    Ok((state, id))
}

/// For reading the cart: the visitor's cart id if there is one. Never starts a session, so
/// rendering a page (or a 404 for a missing asset) does not set a cookie by itself.
pub async fn existing_cart() -> Result<(AppState, Option<String>), AppError> {
    let state = state()?;
    let session = current_session().await?;
    let id = session
        .get::<String>(CART_KEY)
        .await
        .map_err(session_failed)?;
    Ok((state, id))
}

/// Gives every visitor who loads a page a session (and so a cart id) before any form is sent.
/// Two tabs opened later share that cookie, so their adds go to the same cart.
pub async fn ensure_visitor(session: Session, mut request: Request, next: Next) -> Response {
    let wants_page = request.method() == Method::GET
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if wants_page {
        match cart_id_or_new(&session).await {
            Ok((_, true)) => {
                request.extensions_mut().insert(NewCart);
            }
            Ok((_, false)) => {}
            // The page still renders; the cart is created on the first add instead.
            Err(e) => tracing::warn!(error = %e, "could not start a visitor session"),
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-statement create writes rows the SQLite store reads back as its own (and our load
    /// reads them as the store does), and draws a
    /// new id when the one it has is taken.
    #[tokio::test]
    async fn created_sessions_load_through_the_store() {
        let path = std::env::temp_dir().join(format!("checkout-session-{}.db", std::process::id()));
        let url = format!("sqlite:{}", path.display());
        let shop = super::super::db::connect(&url).await.unwrap();
        let pool = super::super::db::connect_sqlite(&url).await.unwrap();
        let store = SqliteStore::new(pool.clone());
        store.migrate().await.unwrap();
        let queued = QueuedStore {
            store: store.clone(),
            file: file_of(&url),
            reader: super::super::db::Reader::new(&shop),
            new_sessions: NewSessions::spawn(pool.clone(), file_of(&url)),
        };
        let expiry = tower_sessions::cookie::time::OffsetDateTime::now_utc()
            + tower_sessions::cookie::time::Duration::days(1);
        let mut record = Record {
            id: Id::default(),
            data: [(CART_KEY.to_string(), serde_json::json!("cart123"))]
                .into_iter()
                .collect(),
            expiry_date: expiry,
        };
        queued.create(&mut record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().expect("stored");
        assert_eq!(loaded.data, record.data);
        assert_eq!(loaded.id, record.id);
        // Our load, on a reading connection, reads what the store's own does.
        let ours = queued.load(&record.id).await.unwrap().expect("loaded");
        assert_eq!((ours.id, ours.data), (loaded.id, loaded.data));
        assert!(queued.load(&Id::default()).await.unwrap().is_none());

        let taken = record.id;
        let mut second = record.clone();
        queued.create(&mut second).await.unwrap();
        assert_ne!(second.id, taken, "a taken id is replaced");
        assert!(store.load(&second.id).await.unwrap().is_some());

        // Expired rows are not loaded (the expiry is stored as the store compares it).
        let mut old = Record {
            id: Id::default(),
            data: record.data.clone(),
            expiry_date: tower_sessions::cookie::time::OffsetDateTime::now_utc()
                - tower_sessions::cookie::time::Duration::minutes(1),
        };
        queued.create(&mut old).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        assert!(queued.load(&old.id).await.unwrap().is_none());
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    /// Visitors arriving together are written in shared transactions, each answered with its
    /// own row once committed, including one that asked for an id already taken.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sessions_created_together_are_each_stored_once() {
        let path =
            std::env::temp_dir().join(format!("checkout-sessions-{}.db", std::process::id()));
        let url = format!("sqlite:{}", path.display());
        let pool = super::super::db::connect_sqlite(&url).await.unwrap();
        let store = SqliteStore::new(pool.clone());
        store.migrate().await.unwrap();
        let new_sessions = NewSessions::spawn(pool.clone(), file_of(&url));
        let expiry = tower_sessions::cookie::time::OffsetDateTime::now_utc()
            + tower_sessions::cookie::time::Duration::days(1);
        let record = |n: usize| Record {
            id: Id::default(),
            data: [(CART_KEY.to_string(), serde_json::json!(format!("cart{n}")))]
                .into_iter()
                .collect(),
            expiry_date: expiry,
        };
        let mut clash = record(0);
        let first = new_sessions.insert(clash.clone()).await.unwrap();
        clash.id = first;
        let mut tasks = tokio::task::JoinSet::new();
        for n in 1..=40 {
            let (new_sessions, mut record) = (new_sessions.clone(), record(n));
            if n == 20 {
                record.id = first; // taken
            }
            tasks.spawn(async move { (n, new_sessions.insert(record).await.unwrap()) });
        }
        let mut ids = std::collections::HashSet::from([first]);
        while let Some(done) = tasks.join_next().await {
            let (n, id) = done.unwrap();
            assert!(ids.insert(id), "two visitors got one id");
            let stored = store
                .load(&id)
                .await
                .unwrap()
                .expect("committed before the answer");
            assert_eq!(stored.data[CART_KEY], serde_json::json!(format!("cart{n}")));
        }
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, 41);
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
