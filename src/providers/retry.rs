//! The one retry policy every client uses: exponential backoff between tries, capped,
//! for a bounded number of tries ([`Backoff::retry`]) or until a deadline
//! ([`Backoff::poll`]). Which errors are worth another try is the caller's to say (a
//! 5xx, a 429, a broken connection); everything else returns at once.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long to wait between tries and how many to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failure.
    pub first: Duration,
    /// The wait doubles up to this.
    pub max: Duration,
    /// Tries in all (the first included).
    pub attempts: u32,
}

impl Default for Backoff {
    /// 250 ms, 500 ms, 1 s, 2 s: five tries within about 4 s.
    fn default() -> Self {
        Self {
            first: Duration::from_millis(250),
            max: Duration::from_secs(5),
            attempts: 5,
        }
    }
}

impl Backoff {
    /// A policy with `attempts` tries starting at `first`.
    pub fn new(first: Duration, attempts: u32) -> Self {
        Self {
            first,
            attempts,
            ..Self::default()
        }
    }

    /// The wait before try `n + 1` (after `n` failures, `n ≥ 1`).
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
        self.first.saturating_mul(factor).min(self.max)
    }

    /// Runs `f` until it succeeds, fails with an error `transient` does not accept, or
    /// the tries are spent; returns the last result.
    pub async fn retry<T, E, F, Fut>(
        &self,
        transient: impl Fn(&E) -> bool,
        mut f: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut failures = 0;
        loop {
            match f().await {
                Err(e) if failures + 1 < self.attempts.max(1) && transient(&e) => {
                    failures += 1;
                    tokio::time::sleep(self.delay(failures)).await;
                }
                other => return other,
            }
        }
    }

    /// Polls `f` until it yields `Some`, backing off between polls, for at most
    /// `timeout`. `Err` carries how long it waited.
    pub async fn poll<T, F, Fut>(&self, timeout: Duration, mut f: F) -> Result<T, Duration>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let start = Instant::now();
        let mut failures = 0;
        loop {
            if let Some(v) = f().await {
                return Ok(v);
            }
            failures += 1;
            let delay = self.delay(failures);
            if start.elapsed() + delay > timeout {
                return Err(start.elapsed());
            }
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_millis(350),
            attempts: 5,
        };
        let d: Vec<u128> = (1..=4).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 350, 350]);
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_the_tries_are_spent() {
        let b = Backoff::new(Duration::from_millis(1), 3);
        let calls = AtomicU32::new(0);
        let r: Result<(), &str> = b
            .retry(
                |_| true,
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err("503")
                },
            )
            .await;
        assert_eq!(r, Err("503"));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn other_errors_return_at_once_and_success_stops() {
        let b = Backoff::new(Duration::from_millis(1), 5);
        let calls = AtomicU32::new(0);
        let r: Result<(), &str> = b
            .retry(
                |e| *e == "503",
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err("404")
                },
            )
            .await;
        assert_eq!((r, calls.load(Ordering::SeqCst)), (Err("404"), 1));
        let n = AtomicU32::new(0);
        let r = b
            .retry(
                |_: &&str| true,
                || async {
                    if n.fetch_add(1, Ordering::SeqCst) < 2 {
                        Err("503")
                    } else {
                        Ok(7)
                    }
                },
            )
            .await;
        assert_eq!(r, Ok(7));
    }

    #[tokio::test]
    async fn polling_gives_up_after_the_timeout() {
        let b = Backoff::new(Duration::from_millis(5), 0);
        let r: Result<(), Duration> = b.poll(Duration::from_millis(30), || async { None }).await;
        assert!(r.is_err());
        let n = AtomicU32::new(0);
        let r = b
            .poll(Duration::from_secs(5), || async {
                (n.fetch_add(1, Ordering::SeqCst) >= 2).then_some("ready")
            })
            .await;
        assert_eq!(r, Ok("ready"));
    }
}
