//! Visitor sessions (tower-sessions, stored in SQLite so they survive a restart). The session
//! holds only the visitor's cart id; the cart itself is in the `carts` tables.

use super::{state, AppState};
use crate::error::AppError;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;
use rand::distributions::{Alphanumeric, DistString};
use sqlx::SqlitePool;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

const CART_KEY: &str = "cart_id";
pub const COOKIE_NAME: &str = "hk_session";

/// Creates the session table (idempotent) and returns the layer that loads and saves sessions.
/// Cookies are HttpOnly and SameSite=Lax: Strict would be dropped when Stripe redirects back.
pub async fn layer(
    pool: &SqlitePool,
    secure: bool,
) -> Result<SessionManagerLayer<QueuedStore>, sqlx::Error> {
    let store = SqliteStore::new(pool.clone());
    store.migrate().await?;
    // Expired sessions are deleted hourly, so the table does not only grow.
    let sweeper = store.clone();
    tokio::spawn(async move {
        use tower_sessions::ExpiredDeletion;
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = sweeper.delete_expired().await {
                tracing::warn!(error = %e, "deleting expired sessions");
            }
        }
    });
    let store = QueuedStore {
        store,
        pool: pool.clone(),
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

/// The SQLite session store, its writes queued in-process with the database's other writers
/// (`db::write_turn`) instead of waiting for SQLite's write lock in its busy handler. A new
/// visitor's first page writes its session: under load that used to be the slow part.
#[derive(Clone, Debug)]
pub struct QueuedStore {
    store: SqliteStore,
    pool: SqlitePool,
}

#[async_trait::async_trait]
impl SessionStore for QueuedStore {
    /// What `SqliteStore::create` does — insert the record, or draw a new id if that one is
    /// taken — in one autocommit statement instead of `BEGIN`, insert, `COMMIT` (each a round
    /// trip to the connection's thread): every new visitor's first page does this. Same table,
    /// same encoding (MessagePack record, the expiry as `SqliteStore` binds it), so the store
    /// reads these rows as its own.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let _turn = super::db::write_turn(&self.pool).await;
        loop {
            let data = rmp_serde::to_vec(&*record)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let inserted = sqlx::query(
                "INSERT OR ABORT INTO tower_sessions (id, data, expiry_date) VALUES (?, ?, ?)",
            )
            .bind(record.id.to_string())
            .bind(data)
            .bind(record.expiry_date)
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(_) => return Ok(()),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    record.id = Id::default();
                }
                Err(e) => return Err(session_store::Error::Backend(e.to_string())),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let _turn = super::db::write_turn(&self.pool).await;
        self.store.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.store.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let _turn = super::db::write_turn(&self.pool).await;
        self.store.delete(id).await
    }
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

    /// The one-statement create writes rows the SQLite store reads back as its own, and draws a
    /// new id when the one it has is taken.
    #[tokio::test]
    async fn created_sessions_load_through_the_store() {
        let path = std::env::temp_dir().join(format!("checkout-session-{}.db", std::process::id()));
        let pool = super::super::db::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        let store = SqliteStore::new(pool.clone());
        store.migrate().await.unwrap();
        let queued = QueuedStore {
            store: store.clone(),
            pool: pool.clone(),
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
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
