//! Connections for the pages' hot reads (the session, the cart, the catalog), kept open and
//! handed out without sqlx's pool. The pool pings every connection given back to it — a round
//! trip to the connection's thread after each query (sqlx 0.8, not configurable) — which was a
//! third of a catalog page's database time. These connections are the same file, opened with the
//! same options, and `query_only`: nothing can write through them.
//!
//! A connection whose query was cancelled halfway is safe to reuse: the connection's thread runs
//! one command at a time, and stops a statement whose caller has gone (sqlx-sqlite's worker).
//!
//! On PostgreSQL a connection is a socket to a server that may restart: the pool's checks are
//! what keep a dead one from being handed out, so reads there take pooled connections.

use sqlx::any::AnyConnectOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions};
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
enum Inner {
    Kept {
        options: AnyConnectOptions,
        idle: Mutex<Vec<AnyConnection>>,
        /// One permit per connection in use.
        permits: Arc<Semaphore>,
    },
    Pooled(AnyPool),
}

impl Reader {
    /// Reads the same database as `pool`.
    pub fn new(pool: &AnyPool) -> Self {
        let inner = match super::Backend::of(pool) {
            super::Backend::Sqlite => Inner::Kept {
                options: (*pool.connect_options()).clone(),
                idle: Mutex::default(),
                permits: Arc::new(Semaphore::new(CONNECTIONS)),
            },
            super::Backend::Postgres => Inner::Pooled(pool.clone()),
        };
        Reader {
            inner: Arc::new(inner),
        }
    }

    /// A connection to read with: an idle one, or a new one while there are fewer than
    /// [`CONNECTIONS`], or else the first one given back (on PostgreSQL, one from the pool).
    pub async fn connection(&self) -> Result<ReadConnection, sqlx::Error> {
        let (options, idle, permits) = match &*self.inner {
            Inner::Pooled(pool) => {
                return Ok(ReadConnection {
                    connection: Some(Held::Pooled(pool.acquire().await?)),
                    home: self.inner.clone(),
                    _permit: None,
                })
            }
            Inner::Kept {
                options,
                idle,
                permits,
            } => (options, idle, permits),
        };
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => {
                let mut connection = options.connect().await?;
                // The file's pragmas, and nothing can write through this one.
                super::sqlite_pragmas(&mut connection).await?;
                sqlx::Executor::execute(&mut connection, "PRAGMA query_only = true").await?;
                connection
            }
        };
        Ok(ReadConnection {
            connection: Some(Held::Kept(connection)),
            home: self.inner.clone(),
            _permit: Some(permit),
        })
    }
}

#[derive(Debug)]
enum Held {
    Kept(AnyConnection),
    Pooled(PoolConnection<Any>),
}

/// A reading connection, back among the idle ones (or in the pool) when dropped.
#[derive(Debug)]
pub struct ReadConnection {
    connection: Option<Held>,
    home: Arc<Inner>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Deref for ReadConnection {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self.connection.as_ref().expect("present until dropped") {
            Held::Kept(c) => c,
            Held::Pooled(c) => c,
        }
    }
}

impl DerefMut for ReadConnection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self.connection.as_mut().expect("present until dropped") {
            Held::Kept(c) => c,
            Held::Pooled(c) => c,
        }
    }
}

impl Drop for ReadConnection {
    fn drop(&mut self) {
        // Back before the permit is released (fields drop after this), so the next reader
        // finds it.
        if let (Some(Held::Kept(connection)), Inner::Kept { idle, .. }) =
            (self.connection.take(), &*self.home)
        {
            idle.lock()
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
        let Inner::Kept { idle, .. } = &*reader.inner else {
            panic!("a SQLite reader keeps its connections")
        };
        assert_eq!(idle.lock().unwrap().len(), 1);
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
