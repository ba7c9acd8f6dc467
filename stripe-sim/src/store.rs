//! Persistence for the embedded simulator: every object as JSON in its own SQLite tables, so
//! a restart of the app keeps its PaymentIntents, events and owed webhooks, as Stripe would.

use crate::engine::{Account, IdempotencyEntry, ObjectKind};
use sqlx::SqlitePool;
use std::collections::BTreeSet;

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::PaymentIntent => "payment_intent",
        ObjectKind::PaymentMethod => "payment_method",
        ObjectKind::Charge => "charge",
        ObjectKind::Refund => "refund",
        ObjectKind::Dispute => "dispute",
        ObjectKind::Event => "event",
        ObjectKind::Endpoint => "webhook_endpoint",
        ObjectKind::Idempotency => "idempotency",
        ObjectKind::ConfirmationToken => "confirmation_token",
        ObjectKind::CheckoutSession => "checkout_session",
    }
}

impl Store {
    pub async fn open(pool: SqlitePool) -> Result<Self, sqlx::Error> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS stripe_sim_objects (
                kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
                PRIMARY KEY (kind, id))",
        )
        .execute(&pool)
        .await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS stripe_sim_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .execute(&pool)
            .await?;
        Ok(Store { pool })
    }

    pub async fn load(&self, account: &mut Account) -> Result<(), sqlx::Error> {
        let rows: Vec<(String, String, i64, String)> =
            sqlx::query_as("SELECT kind, id, seq, body FROM stripe_sim_objects ORDER BY seq, id")
                .fetch_all(&self.pool)
                .await?;
        let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
        for (kind, id, _seq, body) in rows {
            match kind.as_str() {
                "payment_intent" => {
                    account
                        .payment_intents
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "payment_method" => {
                    account
                        .payment_methods
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "charge" => {
                    account
                        .charges
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "refund" => {
                    account
                        .refunds
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "dispute" => {
                    account
                        .disputes
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "event" => {
                    account.event_order.push(id.clone());
                    account
                        .events
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "webhook_endpoint" => {
                    account
                        .endpoints
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "checkout_session" => {
                    account
                        .checkout_sessions
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "confirmation_token" => {
                    account
                        .confirmation_tokens
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "idempotency" => {
                    let entry: IdempotencyEntry = serde_json::from_str(&body).map_err(decode)?;
                    account.idempotency.insert(id, entry);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes (or deletes) the changed objects in one transaction.
    pub async fn save(
        &self,
        account: &Account,
        dirty: &BTreeSet<(ObjectKind, String)>,
    ) -> Result<(), sqlx::Error> {
        if dirty.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (kind, id) in dirty {
            let body = match kind {
                ObjectKind::PaymentIntent => {
                    account.payment_intents.get(id).map(serde_json::to_string)
                }
                ObjectKind::PaymentMethod => {
                    account.payment_methods.get(id).map(serde_json::to_string)
                }
                ObjectKind::Charge => account.charges.get(id).map(serde_json::to_string),
                ObjectKind::Refund => account.refunds.get(id).map(serde_json::to_string),
                ObjectKind::Dispute => account.disputes.get(id).map(serde_json::to_string),
                ObjectKind::Event => account.events.get(id).map(serde_json::to_string),
                ObjectKind::Endpoint => account.endpoints.get(id).map(serde_json::to_string),
                ObjectKind::CheckoutSession => {
                    account.checkout_sessions.get(id).map(serde_json::to_string)
                }
                ObjectKind::ConfirmationToken => account
                    .confirmation_tokens
                    .get(id)
                    .map(serde_json::to_string),
                ObjectKind::Idempotency => account
                    .idempotency
                    .get(id)
                    .filter(|e| !e.in_flight)
                    .map(serde_json::to_string),
            };
            match body {
                Some(Ok(body)) => {
                    let seq = if *kind == ObjectKind::Event {
                        account
                            .event_order
                            .iter()
                            .position(|e| e == id)
                            .unwrap_or(0) as i64
                    } else {
                        0
                    };
                    sqlx::query(
                        "INSERT INTO stripe_sim_objects (kind, id, seq, body) VALUES (?, ?, ?, ?)
                         ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                    )
                    .bind(kind_name(*kind))
                    .bind(id)
                    .bind(seq)
                    .bind(body)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(Err(e)) => return Err(sqlx::Error::Decode(Box::new(e))),
                None => {
                    sqlx::query("DELETE FROM stripe_sim_objects WHERE kind = ? AND id = ?")
                        .bind(kind_name(*kind))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await
    }
}

/// Test-mode keys for an embedded simulator, made once and kept in its tables so that they
/// survive restarts. They only ever authenticate against this simulator.
///
/// The two keys are drawn independently: the publishable key is sent to every shopper's
/// browser, so nothing in it may tell the secret key. A stored pair that shares its random part
/// (as made by earlier versions, where the secret key followed from the publishable one) or
/// that is malformed is replaced by a fresh pair, and its secret key stops working.
pub async fn embedded_keys(pool: &SqlitePool) -> Result<(String, String), sqlx::Error> {
    Store::open(pool.clone()).await?;
    let stored = stored_keys(pool).await?;
    if let Some(Ok(pair)) = &stored {
        return Ok(pair.clone());
    }
    let (sk, pk) = (
        format!("sk_test_sim{}", random_tail()),
        format!("pk_test_sim{}", random_tail()),
    );
    let value = format!("{sk} {pk}");
    match stored {
        // Only the value read is replaced: if another process replaced it first, its pair wins.
        Some(Err(old)) => {
            sqlx::query("UPDATE stripe_sim_meta SET value = ? WHERE key = 'keys' AND value = ?")
                .bind(&value)
                .bind(old)
                .execute(pool)
                .await?
        }
        _ => {
            sqlx::query(
                "INSERT INTO stripe_sim_meta (key, value) VALUES ('keys', ?) ON CONFLICT (key) DO NOTHING",
            )
            .bind(&value)
            .execute(pool)
            .await?
        }
    };
    // What is stored now, whoever wrote it.
    match stored_keys(pool).await? {
        Some(Ok(pair)) => Ok(pair),
        _ => Err(sqlx::Error::Protocol(
            "stripe simulator: could not store its API keys".into(),
        )),
    }
}

/// The stored key pair: `Ok` when usable, `Err(raw value)` when it must be replaced.
async fn stored_keys(
    pool: &SqlitePool,
) -> Result<Option<Result<(String, String), String>>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT value FROM stripe_sim_meta WHERE key = 'keys'")
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(value,)| match value.split_once(' ') {
        Some((sk, pk)) if independent(sk, pk) => Ok((sk.to_string(), pk.to_string())),
        _ => Err(value),
    }))
}

/// Well-formed test keys whose random parts are unrelated.
fn independent(sk: &str, pk: &str) -> bool {
    match (sk.strip_prefix("sk_test_"), pk.strip_prefix("pk_test_")) {
        (Some(s), Some(p)) => {
            let (s, p) = (
                s.strip_prefix("sim").unwrap_or(s),
                p.strip_prefix("sim").unwrap_or(p),
            );
            s.len() >= 16 && p.len() >= 16 && !s.contains(p) && !p.contains(s)
        }
        _ => false,
    }
}

/// 24 alphanumerics (about 142 bits) from the operating system's generator.
fn random_tail() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::rngs::OsRng, 24)
}

#[cfg(test)]
mod tests {
    use super::independent;

    #[test]
    fn keys_that_share_their_random_part_are_not_independent() {
        let tail = "AbCdEfGhIjKlMnOpQrStUvWx";
        assert!(!independent(
            &format!("sk_test_sim{tail}"),
            &format!("pk_test_sim{tail}")
        ));
        assert!(!independent(
            &format!("sk_test_{tail}"),
            &format!("pk_test_sim{tail}")
        ));
        assert!(!independent("sk_test_short", "pk_test_other"));
        assert!(!independent(
            "garbage",
            "pk_test_simAbCdEfGhIjKlMnOpQrStUvWx"
        ));
        assert!(independent(
            "sk_test_simAbCdEfGhIjKlMnOpQrStUvWx",
            "pk_test_sim0123456789abcdefghijklmn"
        ));
    }
}
