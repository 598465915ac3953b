//! This thread's CPU time, for the encoder's phase trace: on a shared machine wall time mostly measures
//! who else was running (RELAYDESK_CODEC_TRACE=1, docs/codec.md).
use std::time::Duration;

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// CPU time this thread has used so far.
pub fn thread_cpu() -> Duration {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Thread CPU time since `start` (a `thread_cpu()` reading).
pub fn since(start: Duration) -> Duration {
    thread_cpu().saturating_sub(start)
}
