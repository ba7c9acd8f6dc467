//! Connections for the pages' hot reads (the session, the cart, the catalog), kept open and
//! handed out without sqlx's pool. The pool pings every connection given back to it — a round
//! trip to the connection's thread after each query (sqlx 0.8, not configurable) — which was a
//! third of a catalog page's database time. These connections are the same file, opened with the
//! same options, and `query_only`: nothing can write through them.
//!
//! A connection whose query was cancelled halfway is safe to reuse: the connection's thread runs
//! one command at a time, and stops a statement whose caller has gone (sqlx-sqlite's worker).

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// At most this many reading connections (each one a thread of sqlx's): a read waits for a
/// free one rather than opening more. Opened as needed, then kept.
const CONNECTIONS: usize = 8;

/// The reading connections of one database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Reader {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: SqliteConnectOptions,
    idle: Mutex<Vec<SqliteConnection>>,
    /// One permit per connection in use.
    permits: Arc<Semaphore>,
}

impl Reader {
    /// Reads the same database as `pool`.
    pub fn new(pool: &SqlitePool) -> Self {
        let options = (*pool.connect_options())
            .clone()
            .pragma("query_only", "true");
        Reader {
            inner: Arc::new(Inner {
                options,
                idle: Mutex::default(),
                permits: Arc::new(Semaphore::new(CONNECTIONS)),
            }),
        }
    }

    /// A connection to read with: an idle one, or a new one while there are fewer than
    /// [`CONNECTIONS`], or else the first one given back.
    pub async fn connection(&self) -> Result<ReadConnection, sqlx::Error> {
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.inner.options.connect().await?,
        };
        Ok(ReadConnection {
            connection: Some(connection),
            home: self.inner.clone(),
            _permit: permit,
        })
    }
}

/// A reading connection, back among the idle ones when dropped.
#[derive(Debug)]
pub struct ReadConnection {
    connection: Option<SqliteConnection>,
    home: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Deref for ReadConnection {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.connection.as_ref().expect("present until dropped")
    }
}

impl DerefMut for ReadConnection {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.connection.as_mut().expect("present until dropped")
    }
}

impl Drop for ReadConnection {
    fn drop(&mut self) {
        // Back before the permit is released (fields drop after this), so the next reader
        // finds it.
        if let Some(connection) = self.connection.take() {
            self.home
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(connection);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_what_the_pool_wrote_and_cannot_write() {
        let path = std::env::temp_dir().join(format!("checkout-reader-{}.db", std::process::id()));
        let pool = super::super::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        let reader = Reader::new(&pool);
        sqlx::query("UPDATE products SET stock = 7 WHERE slug = 'tea-tin'")
            .execute(&pool)
            .await
            .unwrap();
        for _ in 0..3 {
            let mut connection = reader.connection().await.unwrap();
            let stock: i64 =
                sqlx::query_scalar("SELECT stock FROM products WHERE slug = 'tea-tin'")
                    .fetch_one(&mut *connection)
                    .await
                    .unwrap();
            assert_eq!(stock, 7);
        }
        // The same connection came back each time, and it refuses to write.
        assert_eq!(reader.inner.idle.lock().unwrap().len(), 1);
        let mut connection = reader.connection().await.unwrap();
        let refused = sqlx::query("UPDATE products SET stock = 0")
            .execute(&mut *connection)
            .await;
        assert!(refused.is_err(), "a reading connection wrote");
        drop(connection);
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
