//! The embedded simulator's API keys: the publishable key reaches every shopper's browser, so
//! it must tell nothing about the secret key.

use crate::common::{self, start_with};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::SqlitePool;
use stripe_sim::Simulator;

async fn memory_pool() -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap()
}

/// The random part of a key, after `sk_test_` / `pk_test_`.
fn tail(key: &str) -> &str {
    &key[8..]
}

#[tokio::test]
async fn the_secret_key_cannot_be_derived_from_the_publishable_key() {
    let pool = memory_pool().await;
    let (sk, pk) = stripe_sim::embedded_keys(&pool).await.unwrap();
    assert!(sk.starts_with("sk_test_") && pk.starts_with("pk_test_"));
    let guessed = pk.replacen("pk_", "sk_", 1);
    assert_ne!(sk, guessed, "sk is pk with another prefix");
    assert_ne!(tail(&sk), tail(&pk));
    assert!(!tail(&sk).contains(&tail(&pk)[3..]), "{sk} {pk}");
    assert!(tail(&sk).len() >= 24 && tail(&pk).len() >= 24);
}

#[tokio::test]
async fn a_stored_pair_sharing_its_tail_is_replaced_and_its_secret_key_stops_working() {
    let pool = memory_pool().await;
    stripe_sim::embedded_keys(&pool).await.unwrap();
    let shared = "AbCdEfGhIjKlMnOpQrStUvWx";
    let (old_sk, old_pk) = (
        format!("sk_test_sim{shared}"),
        format!("pk_test_sim{shared}"),
    );
    sqlx::query("UPDATE stripe_sim_meta SET value = ? WHERE key = 'keys'")
        .bind(format!("{old_sk} {old_pk}"))
        .execute(&pool)
        .await
        .unwrap();

    let (sk, pk) = stripe_sim::embedded_keys(&pool).await.unwrap();
    assert_ne!(sk, old_sk);
    assert_ne!(pk, old_pk);
    assert_ne!(tail(&sk), tail(&pk));
    assert_eq!(
        stripe_sim::embedded_keys(&pool).await.unwrap(),
        (sk.clone(), pk.clone()),
        "the new pair is kept"
    );

    let mut config = common::config();
    config.secret_key = sk.clone();
    config.publishable_key = pk;
    let sim = start_with(Simulator::persistent(config, pool).await.unwrap()).await;
    assert_eq!(
        sim.call("GET", "/v1/payment_intents", &old_sk, &[], None)
            .await
            .status,
        401
    );
    assert_eq!(
        sim.call("GET", "/v1/payment_intents", &sk, &[], None)
            .await
            .status,
        200
    );
}
