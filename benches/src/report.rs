//! Per-operation figures criterion does not print: p50 and p99 latency,
//! operations per second and CPU per operation (`getrusage`, the whole
//! process: carebase's writer and reader threads count too).

use std::future::Future;
use std::time::{Duration, Instant};

/// CPU time (user + system) this process has used so far.
#[allow(unsafe_code)]
pub fn process_cpu() -> Duration {
    // SAFETY: `getrusage` only writes the zero-initialised struct it is
    // handed; RUSAGE_SELF is always a valid target.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let micros = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    micros(usage.ru_utime) + micros(usage.ru_stime)
}

/// What this thread has used so far: CPU time (exact, from
/// `CLOCK_THREAD_CPUTIME_ID`, not the scheduler's 4 ms ticks) and how often
/// the scheduler took the CPU away from it while it could run (involuntary
/// context switches). A latency with a preemption in it waited for a CPU
/// other processes held: on a loaded machine that wait, not the operation,
/// is its tail.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ThreadUsage {
    /// CPU time of this thread, user and system.
    pub cpu: Duration,
    /// Times this thread was preempted.
    pub preempted: u64,
}

impl ThreadUsage {
    /// This thread's usage now.
    #[allow(unsafe_code)]
    pub fn now() -> Self {
        // SAFETY: `clock_gettime` and `getrusage` only write the
        // zero-initialised structs they are handed; the clock and
        // RUSAGE_THREAD are valid on Linux.
        let (time, usage) = unsafe {
            let mut time: libc::timespec = std::mem::zeroed();
            let mut usage: libc::rusage = std::mem::zeroed();
            if libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) != 0
                || libc::getrusage(libc::RUSAGE_THREAD, &mut usage) != 0
            {
                return Self::default();
            }
            (time, usage)
        };
        Self {
            cpu: Duration::from_secs(u64::try_from(time.tv_sec).unwrap_or(0))
                + Duration::from_nanos(u64::try_from(time.tv_nsec).unwrap_or(0)),
            preempted: u64::try_from(usage.ru_nivcsw).unwrap_or(0),
        }
    }

    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: Self) -> Self {
        Self {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            preempted: self.preempted.saturating_sub(earlier.preempted),
        }
    }
}

/// The latencies and CPU of one contender's operations.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    latencies_ns: Vec<u64>,
    wall: Duration,
    cpu: Duration,
}

impl Recorder {
    /// Runs `op` `count` times one after another, recording each latency,
    /// the wall time and the process CPU they took.
    pub async fn run<F, Fut>(&mut self, count: u64, mut op: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ()>,
    {
        let (cpu, wall) = (process_cpu(), Instant::now());
        for _ in 0..count {
            let started = Instant::now();
            op().await;
            let ns = started.elapsed().as_nanos();
            self.latencies_ns
                .push(u64::try_from(ns).unwrap_or(u64::MAX));
        }
        self.wall += wall.elapsed();
        self.cpu += process_cpu().saturating_sub(cpu);
    }

    /// Adds operations run elsewhere (concurrent callers): their
    /// latencies, and the wall time and process CPU they took together.
    pub fn add(&mut self, latencies_ns: &[u64], wall: Duration, cpu: Duration) {
        self.latencies_ns.extend_from_slice(latencies_ns);
        self.wall += wall;
        self.cpu += cpu;
    }

    /// How many operations were recorded.
    pub fn operations(&self) -> usize {
        self.latencies_ns.len()
    }

    /// The figures of every operation recorded.
    pub fn figures(&self) -> Figures {
        let mut sorted = self.latencies_ns.clone();
        sorted.sort_unstable();
        let ops = sorted.len() as f64;
        let per_op = |d: Duration| {
            if ops > 0.0 {
                d.as_secs_f64() * 1e6 / ops
            } else {
                0.0
            }
        };
        Figures {
            p50_us: crate::percentile(&sorted, 0.50) as f64 / 1e3,
            p99_us: crate::percentile(&sorted, 0.99) as f64 / 1e3,
            ops_per_s: if self.wall.is_zero() {
                0.0
            } else {
                ops / self.wall.as_secs_f64()
            },
            cpu_us_per_op: per_op(self.cpu),
        }
    }
}

/// One contender's figures.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Operations per second of wall time (all callers together).
    pub ops_per_s: f64,
    /// Process CPU per operation, microseconds.
    pub cpu_us_per_op: f64,
}

/// Prints one table row.
pub fn print_row(name: &str, f: &Figures) {
    println!(
        "  {name:<26} p50 {:>8.1} us  p99 {:>8.1} us  {:>8.0} ops/s  cpu {:>7.1} us/op",
        f.p50_us, f.p99_us, f.ops_per_s, f.cpu_us_per_op
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_give_the_nearest_rank_median_and_99th_percentile() {
        let recorder = Recorder {
            latencies_ns: (1..=100).rev().map(|us| us * 1_000).collect(),
            wall: Duration::from_millis(50),
            cpu: Duration::from_millis(10),
        };
        let f = recorder.figures();
        assert_eq!((f.p50_us, f.p99_us), (50.0, 99.0));
        assert_eq!(f.ops_per_s.round(), 2_000.0);
        assert_eq!(f.cpu_us_per_op.round(), 100.0);
    }

    #[test]
    fn process_cpu_grows_while_the_process_works() {
        let before = process_cpu();
        let mut x = 0_u64;
        while process_cpu() == before {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(process_cpu() > before);
    }

    #[test]
    fn operations_added_from_concurrent_callers_count_against_their_shared_wall_time() {
        let mut recorder = Recorder::default();
        recorder.add(
            &[1_000; 8],
            Duration::from_millis(2),
            Duration::from_millis(4),
        );
        let f = recorder.figures();
        assert_eq!(f.ops_per_s.round(), 4_000.0);
        assert_eq!(f.cpu_us_per_op.round(), 500.0);
    }

    #[tokio::test]
    async fn a_recorder_keeps_one_latency_per_operation() {
        let mut recorder = Recorder::default();
        recorder.run(3, || async {}).await;
        recorder.run(2, || async {}).await;
        assert_eq!(recorder.latencies_ns.len(), 5);
    }
}
