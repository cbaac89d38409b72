//! [`relay`]: moves a GET's body from the source's connection into a PUT's connection
//! to the destination as it arrives.
//!
//! What came in with the GET's head is written first; a rest of at least
//! [`SPLICE_FROM`] bytes then moves on Linux with `splice(2)`, socket to pipe to
//! socket, so its bytes stay in the kernel (never copied into forge and back out),
//! through two pipes in turn so reading and writing overlap, the source's socket
//! waking this side only once a batch has arrived (`SO_RCVLOWAT`, reset before the
//! connection is used again);
//! smaller rests, and other systems, go through one buffer. Either way at most a pipe
//! or a buffer of the object is held at once. When the source breaks, whatever it
//! delivered is first passed on, so the count of bytes moved is exactly what the
//! destination received and a ranged GET can go on from there.

use std::time::Duration;

use super::wire::{Conn, WireError};

/// Rests below this go through a buffer: a pipe's set-up costs more than copying them.
const SPLICE_FROM: u64 = 256 * 1024;

/// How long each store may go without moving a byte.
#[derive(Debug, Clone, Copy)]
pub(super) struct Idle {
    /// The source's limit.
    pub src: Duration,
    /// The destination's limit.
    pub dst: Duration,
}

/// Which side broke, and how.
#[derive(Debug)]
pub(super) enum Broke {
    /// The source stopped delivering (cut, reset, idle).
    Source(WireError),
    /// The destination stopped taking.
    Dest(WireError),
}

/// Moves the next `len` bytes of `src`'s body into `dst`; `moved` counts those the
/// destination took, also when it fails.
pub(super) async fn relay(
    src: &mut Conn,
    dst: &mut Conn,
    len: u64,
    idle: Idle,
    moved: &mut u64,
) -> Result<(), Broke> {
    let mut left = len;
    while left > 0 {
        if src.buf.is_empty() {
            #[cfg(target_os = "linux")]
            if left >= SPLICE_FROM
                && let (Some(a), Some(b)) = (kernel::Pipe::new(), kernel::Pipe::new())
            {
                return kernel::relay(&[a, b], src, dst, left, idle, moved).await;
            }
            if src.fill(idle.src).await.map_err(Broke::Source)? == 0 {
                return Err(Broke::Source(WireError::cut()));
            }
        }
        let n = src
            .buf
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        dst.send(&src.buf[..n], idle.dst)
            .await
            .map_err(Broke::Dest)?;
        bytes::Buf::advance(&mut src.buf, n);
        left -= n as u64;
        *moved += n as u64;
    }
    Ok(())
}

#[cfg(target_os = "linux")]
mod kernel {
    use std::io;
    use std::os::fd::OwnedFd;

    use rustix::pipe::{PipeFlags, SpliceFlags, fcntl_setpipe_size, pipe_with, splice};
    use tokio::io::Interest;
    use tokio::net::TcpStream;

    use super::{Broke, Idle};
    use crate::providers::aws::quickack::ack_now;
    use crate::providers::aws::sync::direct::wire::{Conn, WireError};

    /// What one turn of the relay did.
    enum Step {
        Filled(Result<usize, WireError>),
        Drained(Result<usize, WireError>),
    }

    /// The source's socket reads as ready only once this much has arrived (or less, at
    /// the end of the body), so each wake-up moves a batch rather than a segment.
    const BATCH: u64 = 256 * 1024;

    /// `SO_RCVLOWAT` on the source while its body is relayed, back to 1 (the default,
    /// which the next response head needs) when dropped.
    struct LowWater<'a> {
        stream: &'a TcpStream,
        now: usize,
    }

    impl<'a> LowWater<'a> {
        fn new(stream: &'a TcpStream) -> Self {
            Self { stream, now: 1 }
        }

        /// Best effort: a system that refuses only wakes this side more often. (Setting
        /// it back to 1 on a live TCP socket cannot fail; were it to, the connection's next
        /// answer would wait for the idle limit and be retried on a new connection.)
        fn set(&mut self, bytes: usize) {
            if bytes != self.now && set_low_water(self.stream, bytes).is_ok() {
                self.now = bytes;
            }
        }
    }

    impl Drop for LowWater<'_> {
        fn drop(&mut self) {
            self.set(1);
        }
    }

    /// Sets `SO_RCVLOWAT` on `stream` to `bytes` (no safe wrapper offers this option).
    #[allow(unsafe_code)]
    fn set_low_water(stream: &TcpStream, bytes: usize) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        // SAFETY: the option value is a live `c_int` whose exact size is passed with it,
        // and the descriptor stays open for the borrow of `stream`.
        let rc = unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                (&raw const value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Within this many bytes of the end, reads are acknowledged at once.
    const TAIL: u64 = 256 * 1024;

    /// The pipe size asked for; Linux lets any process have up to 1 MiB.
    const PIPE: usize = 1024 * 1024;

    /// A non-blocking pipe between the two sockets.
    pub(super) struct Pipe {
        read: OwnedFd,
        write: OwnedFd,
        size: usize,
    }

    impl Pipe {
        /// A new pipe, as large as allowed; `None` when the system has none to give.
        pub(super) fn new() -> Option<Self> {
            let (read, write) = pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC).ok()?;
            // The default (64 KiB) still works, in more calls.
            let size = fcntl_setpipe_size(&write, PIPE).unwrap_or(64 * 1024);
            Some(Self { read, write, size })
        }
    }

    /// One `splice` on `stream` once it is ready for `interest`; `Ok(0)` only from a
    /// source at its end.
    async fn once(
        stream: &TcpStream,
        interest: Interest,
        mut call: impl FnMut() -> io::Result<usize>,
    ) -> Result<usize, WireError> {
        loop {
            stream.ready(interest).await?;
            match stream.try_io(interest, &mut call) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                r => return Ok(r?),
            }
        }
    }

    /// [`relay`](super::relay) for a rest of `left` bytes, none of them buffered in `src`.
    /// Two pipes take turns so the source is read while the destination is written:
    /// a pipe is filled only when empty (so a would-block on a fill is always the
    /// socket's, never a full pipe's) and drained in the order the pipes were filled.
    pub(super) async fn relay(
        pipes: &[Pipe; 2],
        src: &mut Conn,
        dst: &mut Conn,
        mut left: u64,
        idle: Idle,
        moved: &mut u64,
    ) -> Result<(), Broke> {
        // Bytes in each pipe; the pipe filled next and the pipe drained next.
        let mut held = [0usize; 2];
        let (mut fill, mut drain) = (0, 0);
        let mut source_broke = None;
        let (src, dst) = (&src.stream, &dst.stream);
        let mut low = LowWater::new(src);
        loop {
            let can_fill = left > 0 && source_broke.is_none() && held[fill] == 0;
            let can_drain = held[drain] > 0;
            if !can_fill && !can_drain {
                break;
            }
            let (fp, dp) = (&pipes[fill], &pipes[drain]);
            if can_fill {
                low.set(left.min(BATCH).min(fp.size as u64) as usize);
            }
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(fp.size);
            let more = if left > 0 || held[1 - drain] > 0 {
                SpliceFlags::MORE
            } else {
                SpliceFlags::empty()
            };
            // The limit of the store waited on (the longer one when both are).
            let limit = match (can_fill, can_drain) {
                (true, false) => idle.src,
                (false, true) => idle.dst,
                _ => idle.src.max(idle.dst),
            };
            let step = tokio::time::timeout(limit, async {
                tokio::select! {
                    r = once(src, Interest::READABLE, || {
                        Ok(splice(src, None, &fp.write, None, want, SpliceFlags::MOVE | SpliceFlags::NONBLOCK)?)
                    }), if can_fill => Step::Filled(r),
                    r = once(dst, Interest::WRITABLE, || {
                        Ok(splice(&dp.read, None, dst, None, held[drain], SpliceFlags::MOVE | SpliceFlags::NONBLOCK | more)?)
                    }), if can_drain => Step::Drained(r),
                }
            })
            .await;
            match step {
                Ok(Step::Filled(Ok(n))) if n > 0 => {
                    held[fill] = n;
                    left -= n as u64;
                    // Only the tail: a store with Nagle's algorithm on may hold its last
                    // short segment until this side acknowledges. Mid-body, acknowledging
                    // every read only makes the store handle more acknowledgements.
                    if left < TAIL {
                        ack_now(src);
                    }
                    fill = 1 - fill;
                }
                Ok(Step::Filled(Ok(_))) => source_broke = Some(WireError::cut()),
                Ok(Step::Filled(Err(e))) => source_broke = Some(e),
                Ok(Step::Drained(Ok(n))) if n > 0 => {
                    held[drain] -= n;
                    *moved += n as u64;
                    if held[drain] == 0 {
                        drain = 1 - drain;
                    }
                }
                Ok(Step::Drained(Ok(_))) => return Err(Broke::Dest(WireError::cut())),
                Ok(Step::Drained(Err(e))) => return Err(Broke::Dest(e)),
                // Nothing moved either way for the whole idle limit: the side that was
                // waited on is the silent one (the destination, when both were).
                Err(_) if can_drain => return Err(Broke::Dest(WireError::Idle)),
                Err(_) => source_broke = Some(WireError::Idle),
            }
        }
        match source_broke {
            Some(e) => Err(Broke::Source(e)),
            None => Ok(()),
        }
    }
}
