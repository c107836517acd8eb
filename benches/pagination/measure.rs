//! Running a program as a child process and measuring what it cost: CPU from
//! `getrusage(RUSAGE_CHILDREN)`, its output, and its system calls under `strace`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};

/// A program to run, kept as data so that it can run bare or under `strace`.
pub struct Program {
    pub path: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(&'static str, String)>,
}

impl Program {
    pub fn new(path: impl Into<PathBuf>, args: &[&str]) -> Program {
        Program {
            path: path.into(),
            args: args.iter().map(OsString::from).collect(),
            env: Vec::new(),
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.path);
        command.args(&self.args).envs(self.env.iter().cloned());
        command
    }

    fn under_strace(&self, report: &Path) -> Command {
        let mut command = Command::new("strace");
        command
            .args(["-f", "-c", "-o"])
            .arg(report)
            .arg("--")
            .arg(&self.path)
            .args(&self.args)
            .envs(self.env.iter().cloned());
        command
    }
}

/// User and system CPU time, in microseconds.
#[derive(Clone, Copy, Default)]
pub struct Cpu {
    pub user_us: i64,
    pub system_us: i64,
}

impl Cpu {
    pub fn total_ms(self) -> f64 {
        (self.user_us + self.system_us) as f64 / 1e3
    }

    pub fn system_ms(self) -> f64 {
        self.system_us as f64 / 1e3
    }

    /// What every child reaped so far has cost, all its threads included. The
    /// total is the scheduler's exact run time; only its split between user and
    /// system time is sampled at the timer tick.
    fn of_children() -> Cpu {
        let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage(RUSAGE_CHILDREN)");
        let us = |t: nix::sys::time::TimeVal| t.tv_sec() * 1_000_000 + t.tv_usec();
        Cpu {
            user_us: us(usage.user_time()),
            system_us: us(usage.system_time()),
        }
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            user_us: self.user_us - before.user_us,
            system_us: self.system_us - before.system_us,
        }
    }
}

/// One run of a child process.
pub struct Run {
    /// The whole process, all threads, from start to exit.
    pub cpu: Cpu,
    /// From just before the spawn to the first byte on standard output.
    pub first_byte: Option<Duration>,
    pub stdout_lines: u64,
    pub stdout_bytes: u64,
    /// What the child wrote to standard error.
    pub stderr: String,
}

impl Run {
    /// The peak RSS a bench child reports on standard error.
    pub fn vmhwm_kib(&self) -> Option<u64> {
        self.stderr
            .lines()
            .find_map(|line| line.strip_prefix("vmhwm_kib "))
            .and_then(|kib| kib.parse().ok())
    }
}

/// Runs `program` to its end, counting its standard output as it streams.
/// Panics if it fails: a listing that went wrong measured nothing.
pub fn run(program: &Program) -> Run {
    run_command(program.command(), &program.path)
}

fn run_command(mut command: Command, name: &Path) -> Run {
    // Children are run one at a time, from this thread only, so that the
    // difference of RUSAGE_CHILDREN is this child's own.
    let before = Cpu::of_children();
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", name.display()));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let (mut first_byte, mut lines, mut bytes) = (None, 0, 0);
    let mut buf = vec![0; 64 * 1024];
    loop {
        match stdout.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                first_byte.get_or_insert_with(|| start.elapsed());
                bytes += n as u64;
                lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("reading {}: {e}", name.display()),
        }
    }
    // Standard error carries a line or two; it cannot fill the pipe.
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr);
    let status = child.wait().expect("wait for child");
    let cpu = Cpu::of_children().since(before);
    assert!(
        status.success(),
        "{} failed: {status}\n{stderr}",
        name.display()
    );
    Run {
        cpu,
        first_byte,
        stdout_lines: lines,
        stdout_bytes: bytes,
        stderr,
    }
}

/// System calls by name, as `strace -f -c` counts them over a whole process.
pub struct Syscalls(pub BTreeMap<String, u64>);

impl Syscalls {
    /// Threads the process started: `clone` and `clone3` (the listings fork
    /// no process).
    pub fn threads(&self) -> u64 {
        ["clone", "clone3"]
            .iter()
            .filter_map(|name| self.0.get(*name))
            .sum()
    }

    /// Calls per page by name, between a long and a short listing of the same
    /// program, so that starting and ending the process is not counted.
    pub fn per_page(long: &Syscalls, short: &Syscalls, pages: u32) -> BTreeMap<String, f64> {
        let mut names: Vec<&String> = long.0.keys().chain(short.0.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|name| {
                let count = |calls: &Syscalls| calls.0.get(name).copied().unwrap_or(0) as f64;
                (
                    name.clone(),
                    (count(long) - count(short)) / f64::from(pages),
                )
            })
            .collect()
    }
}

pub fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `program` under `strace -f -c`: its run (for its output) and its calls.
pub fn strace(program: &Program) -> (Run, Syscalls) {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let report = std::env::temp_dir().join(format!(
        "pagination-bench-{}-{}.strace",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let run = run_command(program.under_strace(&report), &program.path);
    let text = std::fs::read_to_string(&report).expect("strace's report");
    let _ = std::fs::remove_file(&report);
    (run, parse_strace(&text))
}

/// Reads the table of `strace -c`: `% time  seconds  usecs/call  calls  [errors]  syscall`.
fn parse_strace(text: &str) -> Syscalls {
    let calls = text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (name, calls) = (fields.last()?, fields.get(3)?.parse().ok()?);
            (fields.len() >= 5 && *name != "total").then(|| (name.to_string(), calls))
        })
        .collect();
    Syscalls(calls)
}

/// This process's peak resident set, in KiB.
pub fn vmhwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() % 2 {
        0 => (sorted[mid - 1] + sorted[mid]) / 2.0,
        _ => sorted[mid],
    }
}

pub fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}
