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
/// Argon2 checks running at once (each takes about 19 MiB and a core for a while).
const CONCURRENT_CHECKS: usize = 2;
/// Clients remembered before the oldest quiet ones are forgotten.
const MAX_CLIENTS: usize = 10_000;

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
    /// Per client: attempts not yet known to be right, and when the last one started.
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    checks: tokio::sync::Semaphore,
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
            checks: tokio::sync::Semaphore::new(CONCURRENT_CHECKS),
        }
    }

    /// Checks a password for `client` (its address), slowing down repeated failures. The
    /// attempt is counted before the (slow) check, so guesses sent in parallel are slowed down
    /// like guesses sent one after another; at most [`CONCURRENT_CHECKS`] checks run at once.
    pub async fn check(&self, client: &str, password: &str) -> Result<(), Refused> {
        let Some(hash) = self.hash.clone() else {
            return Err(Refused::NotConfigured);
        };
        self.count_attempt(client)?;
        let ok = match self.checks.acquire().await {
            Ok(_permit) => {
                let password = password.to_string();
                tokio::task::spawn_blocking(move || verify(&password, hash.expose()))
                    .await
                    .unwrap_or(false)
            }
            Err(_) => false,
        };
        if ok {
            self.failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(client);
            Ok(())
        } else {
            Err(Refused::WrongPassword)
        }
    }

    /// Refuses a client that must wait; otherwise counts its attempt as failed until proven right.
    fn count_attempt(&self, client: &str) -> Result<(), Refused> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(wait) = failures
            .get(client)
            .and_then(|&(count, last)| wait_after(count, last))
        {
            return Err(Refused::SlowDown(wait));
        }
        if failures.len() >= MAX_CLIENTS && !failures.contains_key(client) {
            failures.retain(|_, (_, last)| last.elapsed() < MAX_WAIT);
            if failures.len() >= MAX_CLIENTS {
                // Still full of recent failures: forget the oldest.
                if let Some(oldest) = failures
                    .iter()
                    .min_by_key(|(_, (_, last))| *last)
                    .map(|(k, _)| k.clone())
                {
                    failures.remove(&oldest);
                }
            }
        }
        let entry = failures
            .entry(client.to_string())
            .or_insert((0, Instant::now()));
        entry.0 += 1;
        entry.1 = Instant::now();
        Ok(())
    }

    /// How many clients are remembered (for tests).
    pub fn remembered_clients(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}

/// How long a client with `count` failed attempts, the last at `last`, must still wait.
fn wait_after(count: u32, last: Instant) -> Option<Duration> {
    if count < FREE_ATTEMPTS {
        return None;
    }
    let wait = Duration::from_secs(1 << (count - FREE_ATTEMPTS).min(8)).min(MAX_WAIT);
    let elapsed = last.elapsed();
    (elapsed < wait).then(|| wait - elapsed)
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn guesses_sent_in_parallel_are_slowed_down_too() {
        let auth = std::sync::Arc::new(AdminAuth::new(
            Some(Secret::new(hash_password("correct horse").unwrap())),
            PaymentsMode::Live,
        ));
        let guesses: Vec<_> = (0..12)
            .map(|i| {
                let auth = auth.clone();
                tokio::spawn(async move { auth.check("9.9.9.9", &format!("guess {i}")).await })
            })
            .collect();
        let mut checked = 0;
        for guess in guesses {
            if guess.await.unwrap() == Err(Refused::WrongPassword) {
                checked += 1;
            }
        }
        assert_eq!(
            checked, FREE_ATTEMPTS as usize,
            "only the free attempts were checked"
        );
    }

    #[tokio::test]
    async fn the_clients_remembered_stay_bounded() {
        let auth = AdminAuth::new(
            Some(Secret::new(
                "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
            )),
            PaymentsMode::Live,
        );
        for i in 0..(MAX_CLIENTS + 50) {
            let _ = auth.count_attempt(&format!("client {i}"));
        }
        assert!(auth.remembered_clients() <= MAX_CLIENTS);
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
