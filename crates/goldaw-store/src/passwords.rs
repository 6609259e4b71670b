//! Password hashing (argon2id, the `argon2` crate's defaults: 19 MiB, 2 passes) off the async
//! workers, a bounded number at a time.
//!
//! One hash costs tens of milliseconds of one core. Run on a tokio worker, a burst of sign-ins
//! would hold every worker and stall every page behind them; run on unbounded blocking threads,
//! it would take every core and 19 MiB each. So each hash or verification waits for a permit of
//! a semaphore (as many as the machine has cores) and then runs on tokio's blocking pool:
//! sign-ins queue among themselves while pages keep being served (bench/signin_burst.sh).

use crate::error::{StoreError, StoreResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Runs argon2 on the blocking pool, at most `permits` at a time.
pub(crate) struct Hasher {
    permits: Arc<Semaphore>,
}

impl Default for Hasher {
    /// As many hashes at a time as the machine has cores.
    fn default() -> Self {
        Hasher::with_permits(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

impl Hasher {
    pub(crate) fn with_permits(permits: usize) -> Hasher {
        Hasher {
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> StoreResult<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Config(format!("password hashing stopped: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| StoreError::Config(format!("password hashing failed: {e}")))
    }

    /// The PHC string of a new salted argon2id hash of `password`.
    pub(crate) async fn hash(&self, password: &str) -> StoreResult<String> {
        let password = password.to_owned();
        self.run(move || hash_now(&password)).await?
    }

    /// Whether `password` matches the stored PHC string.
    pub(crate) async fn verify(&self, password: &str, stored: &str) -> StoreResult<bool> {
        let (password, stored) = (password.to_owned(), stored.to_owned());
        self.run(move || matches_now(&password, &stored)).await
    }

    /// Verifies `password` against a hash of nothing anyone has, so that an unknown username
    /// takes as long to refuse as a wrong password.
    pub(crate) async fn verify_dummy(&self, password: &str) -> StoreResult<()> {
        let password = password.to_owned();
        self.run(move || {
            let _ = matches_now(&password, dummy_hash());
        })
        .await
    }
}

fn hash_now(password: &str) -> StoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Config(format!("cannot hash the password: {e}")))
}

fn matches_now(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The hash [`Hasher::verify_dummy`] checks against, made once (on the blocking pool).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_now("not a real password at all").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn passwords_are_stored_as_argon2id_and_verified() {
        let hasher = Hasher::default();
        let h = hasher.hash("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert!(hasher.verify("correct horse battery", &h).await.unwrap());
        assert!(!hasher.verify("correct horse batterY", &h).await.unwrap());
        assert!(!hasher.verify("anything", "not a hash").await.unwrap());
    }

    /// The hashes run off the async worker (a current-thread runtime keeps ticking while eight
    /// run) and never more at a time than the permits.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_runs_off_the_async_worker_a_bounded_number_at_a_time() {
        let hasher = Arc::new(Hasher::with_permits(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut jobs = Vec::new();
        for _ in 0..8 {
            let (hasher, running, most) = (hasher.clone(), running.clone(), most.clone());
            jobs.push(tokio::spawn(async move {
                hasher
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .unwrap()
            }));
        }
        // On one thread, these ticks happen only if no hash holds it.
        let mut ticks = 0;
        let start = std::time::Instant::now();
        while jobs.iter().any(|j| !j.is_finished()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
            ticks += 1;
        }
        for j in jobs {
            j.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "at most two at a time");
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "8 jobs of 50 ms two at a time take 200 ms"
        );
        assert!(ticks >= 20, "the async worker kept running: {ticks} ticks");
    }
}
