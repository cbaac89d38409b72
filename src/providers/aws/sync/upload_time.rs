//! [`Location::upload_config`]: how long one try of a call that uploads a body may take.
//!
//! The store's client gives every try of a call one limit (60 s): time for an answer.
//! A try that uploads a body needs the time to send it as well, and that limit used to
//! cut it: an object that takes longer than a minute to upload (75 MiB at 8 Mbit/s)
//! failed every try and never arrived, reported as "no answer in time". A call that
//! uploads `len` bytes now gets the client's limit plus the time `len` takes at
//! [`SLOWEST_UPLOAD`]. The price: a store that stops reading mid-upload is given up on
//! only at that longer limit (for 8 MiB parts, 3 minutes instead of 1; for a 200 MiB
//! object, 54 minutes), since the SDK's stalled-stream protection counts a body the
//! transport stopped taking as the caller's stall, not the store's. A source that stops
//! feeding the body is still caught by that protection within its grace period (5 s).

use std::time::Duration;

use aws_sdk_s3::config::timeout::TimeoutConfig;

use super::Location;

/// The slowest upload rate a body is given time for: 64 KiB/s (half a megabit).
pub(super) const SLOWEST_UPLOAD: u64 = 64 * 1024;

impl Location {
    /// Per-call settings for a call that uploads `len` bytes to this location: the
    /// client's timeouts, its attempt timeout lengthened by the time `len` takes at
    /// [`SLOWEST_UPLOAD`]. No change when the client sets no attempt timeout.
    pub(super) fn upload_config(&self, len: u64) -> aws_sdk_s3::config::Builder {
        let override_ = aws_sdk_s3::config::Builder::default();
        let Some(base) = self.client.config().timeout_config() else {
            return override_;
        };
        let Some(answer) = base.operation_attempt_timeout() else {
            return override_;
        };
        let sending = Duration::from_secs_f64(len as f64 / SLOWEST_UPLOAD as f64);
        // An override replaces the client's timeouts as a whole: the others are copied.
        let mut t = TimeoutConfig::builder().operation_attempt_timeout(answer + sending);
        if let Some(c) = base.connect_timeout() {
            t = t.connect_timeout(c);
        }
        if let Some(r) = base.read_timeout() {
            t = t.read_timeout(r);
        }
        if let Some(o) = base.operation_timeout() {
            t = t.operation_timeout(o + sending);
        }
        override_.timeout_config(t.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::retry::Backoff;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A store that takes its time: reads each PUT's body 16 KiB per 100 ms (160 KiB/s),
    /// then answers 200.
    async fn slow_store() -> std::net::SocketAddr {
        crate::providers::aws::test_server::serve(|mut s| async move {
            let mut seen = Vec::new();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                    continue;
                };
                let head = String::from_utf8_lossy(&seen[..end]).to_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let mut got = seen.len() - (end + 4);
                while got < len {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got += n,
                    }
                }
                seen.clear();
                let answer = "HTTP/1.1 200 OK\r\netag: \"0\"\r\ncontent-length: 0\r\n\r\n";
                if s.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        })
        .await
    }

    fn location(addr: std::net::SocketAddr, answer: Duration) -> Location {
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version_latest()
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(format!("http://{addr}"))
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "AK", "SK", None, None, "test",
            ))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(answer)
                    .build(),
            )
            .build();
        Location::new(aws_sdk_s3::Client::from_conf(conf), "slow", "lake", "")
    }

    #[tokio::test]
    async fn an_upload_longer_than_the_attempt_timeout_is_given_the_time_to_arrive() {
        let addr = slow_store().await;
        // 256 KiB at 160 KiB/s: about 1.6 s, four times the 400 ms the client allows a
        // try; the upload allowance is 400 ms + 4 s.
        let loc = location(addr, Duration::from_millis(400));
        let backoff = Backoff {
            first: Duration::from_millis(10),
            max: Duration::from_millis(10),
            attempts: 1,
        };
        let started = std::time::Instant::now();
        loc.put(
            "big.parquet",
            bytes::Bytes::from(vec![1u8; 256 * 1024]),
            &backoff,
        )
        .await
        .expect("the upload arrives");
        assert!(started.elapsed() > Duration::from_millis(400));
    }

    #[tokio::test]
    async fn the_allowance_grows_with_the_body_and_keeps_the_other_timeouts() {
        let addr = "127.0.0.1:9".parse().expect("an address");
        let loc = location(addr, Duration::from_secs(60));
        let t = loc
            .upload_config(200 * 1024 * 1024)
            .build()
            .timeout_config()
            .cloned()
            .expect("a timeout config");
        // 200 MiB at 64 KiB/s: 3,200 s.
        assert_eq!(
            t.operation_attempt_timeout(),
            Some(Duration::from_secs(60 + 3_200))
        );
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(3)));
    }
}
