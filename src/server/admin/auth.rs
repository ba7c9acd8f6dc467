//! The merchant's sign-in: one password, stored only as an argon2 hash; sessions renewed at
//! sign-in and ended server-side at sign-out; wrong passwords slowed down per client.

use super::super::config::Secret;
use crate::model::site::PaymentsMode;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong passwords a client may try before it has to wait.
const FREE_ATTEMPTS: u32 = 3;
const MAX_WAIT: Duration = Duration::from_secs(300);

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

pub struct AdminAuth {
    hash: Option<Secret>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Why a sign-in was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    WrongPassword,
    /// Too many wrong passwords from this client: wait this long.
    SlowDown(Duration),
    NotConfigured,
}

impl AdminAuth {
    /// With a configured hash, that. Without one, under simulated payments only, a random
    /// password for this run, printed once; with real Stripe keys, no sign-in at all.
    pub fn new(configured: Option<Secret>, mode: PaymentsMode) -> Self {
        let hash = match (configured, mode) {
            (Some(hash), _) => Some(hash),
            (None, PaymentsMode::Simulated) => {
                use rand::distributions::{Alphanumeric, DistString};
                let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 20);
                eprintln!(
                    "\n  Admin sign-in for this run (simulated payments, no ADMIN_PASSWORD_HASH): {password}\n"
                );
                hash_password(&password).ok().map(Secret::new)
            }
            (None, _) => {
                tracing::warn!("ADMIN_PASSWORD_HASH is not set: the admin cannot be signed in to");
                None
            }
        };
        AdminAuth {
            hash,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Checks a password for `client` (its address), slowing down repeated failures.
    pub async fn check(&self, client: &str, password: &str) -> Result<(), Refused> {
        let Some(hash) = self.hash.clone() else {
            return Err(Refused::NotConfigured);
        };
        if let Some(wait) = self.wait_for(client) {
            return Err(Refused::SlowDown(wait));
        }
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify(&password, hash.expose()))
            .await
            .unwrap_or(false);
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if ok {
            failures.remove(client);
            Ok(())
        } else {
            let entry = failures
                .entry(client.to_string())
                .or_insert((0, Instant::now()));
            entry.0 += 1;
            entry.1 = Instant::now();
            Err(Refused::WrongPassword)
        }
    }

    fn wait_for(&self, client: &str) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, last) = failures.get(client)?;
        if *count < FREE_ATTEMPTS {
            return None;
        }
        let wait = Duration::from_secs(1 << (count - FREE_ATTEMPTS).min(8)).min(MAX_WAIT);
        let elapsed = last.elapsed();
        (elapsed < wait).then(|| wait - elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_password_passes_and_repeated_wrong_ones_must_wait() {
        let auth = AdminAuth::new(
            Some(Secret::new(hash_password("correct horse").unwrap())),
            PaymentsMode::Live,
        );
        assert_eq!(auth.check("1.2.3.4", "correct horse").await, Ok(()));
        for _ in 0..FREE_ATTEMPTS {
            assert_eq!(
                auth.check("1.2.3.4", "nope").await,
                Err(Refused::WrongPassword)
            );
        }
        assert!(matches!(
            auth.check("1.2.3.4", "correct horse").await,
            Err(Refused::SlowDown(_))
        ));
        // Another client is not affected.
        assert_eq!(auth.check("5.6.7.8", "correct horse").await, Ok(()));
    }

    #[tokio::test]
    async fn without_a_hash_live_payments_mean_no_sign_in() {
        let auth = AdminAuth::new(None, PaymentsMode::Live);
        assert_eq!(
            auth.check("x", "anything").await,
            Err(Refused::NotConfigured)
        );
    }
}
