//! Running a program as a child process and measuring what it cost: CPU from
//! `getrusage(RUSAGE_CHILDREN)`, its output, its system calls under `strace`
//! and its instructions under callgrind.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::sys::resource::{getrusage, UsageWho};
use nix::unistd::Pid;

/// Pins this thread to the last CPU it may run on, and with it every thread
/// and child process it starts from now on (they inherit the affinity).
/// Returns that CPU, or `None` if the affinity cannot be read or set.
///
/// The bench's server and each listing then take turns on one CPU. Spread
/// over two, every response crosses between CPUs, and what that costs the
/// child (waking an idle CPU, fetching the page from the other CPU's cache)
/// is large and varies with where the host runs each virtual CPU: per-round
/// ratios scattered ten times wider. The other CPUs are left to the rest of
/// the machine.
pub fn pin_to_one_cpu() -> Option<usize> {
    let this = Pid::from_raw(0);
    let allowed = sched_getaffinity(this).ok()?;
    let cpu = (0..CpuSet::count()).rfind(|&cpu| allowed.is_set(cpu).unwrap_or(false))?;
    let mut only = CpuSet::new();
    only.set(cpu).ok()?;
    sched_setaffinity(this, &only).ok()?;
    Some(cpu)
}

/// A program to run, kept as data so that it can run bare, under `strace` or
/// under valgrind.
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

    /// The program run by `tool` (strace, valgrind), given `options` first.
    fn under(&self, tool: &str, options: &[&OsStr]) -> Command {
        let mut command = Command::new(tool);
        command
            .args(options)
            .arg(&self.path)
            .args(&self.args)
            .envs(self.env.iter().cloned());
        command
    }
}

/// User + system CPU time, in microseconds, and the context switches of
/// every thread.
///
/// The total is the scheduler's exact run time. Its split into user and
/// system time is sampled at the timer tick (every 4 ms at 250 Hz): some 15
/// samples for a 60 ms child, too few to compare, so only the total is kept.
#[derive(Clone, Copy, Default)]
pub struct Cpu {
    us: i64,
    switches: i64,
}

impl Cpu {
    pub fn total_ms(self) -> f64 {
        self.us as f64 / 1e3
    }

    /// Times a thread left the CPU, waiting (voluntary) or preempted.
    pub fn switches(self) -> f64 {
        self.switches as f64
    }

    /// What every child reaped so far has cost, all its threads included.
    fn of_children() -> Cpu {
        let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage(RUSAGE_CHILDREN)");
        let us = |t: nix::sys::time::TimeVal| t.tv_sec() * 1_000_000 + t.tv_usec();
        Cpu {
            us: us(usage.user_time()) + us(usage.system_time()),
            switches: usage.voluntary_context_switches() + usage.involuntary_context_switches(),
        }
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            us: self.us - before.us,
            switches: self.switches - before.switches,
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

/// A file name for a tool's report, unique to this run.
fn report_path(extension: &str) -> PathBuf {
    static REPORTS: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "pagination-bench-{}-{}.{extension}",
        std::process::id(),
        REPORTS.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Runs `command`, then reads and removes the report it wrote to `report`.
fn run_reporting(command: Command, name: &Path, report: &Path) -> (Run, String) {
    let run = run_command(command, name);
    let text = std::fs::read_to_string(report)
        .unwrap_or_else(|e| panic!("the report {}: {e}", report.display()));
    let _ = std::fs::remove_file(report);
    (run, text)
}

/// Runs `program` under `strace -f -c`: its run (for its output) and its calls.
pub fn strace(program: &Program) -> (Run, Syscalls) {
    let report = report_path("strace");
    let options = [
        OsStr::new("-f"),
        OsStr::new("-c"),
        OsStr::new("-o"),
        report.as_os_str(),
        OsStr::new("--"),
    ];
    let command = program.under("strace", &options);
    let (run, text) = run_reporting(command, &program.path, &report);
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

/// What callgrind counts over a whole process, every thread included.
pub struct Instructions {
    /// Instructions executed in user space.
    pub executed: u64,
    /// Reads and writes that missed the simulated first-level data cache.
    pub data_cache_misses: u64,
}

/// Runs `program` under callgrind with its cache simulation: its run (for
/// its output) and what it executed.
pub fn callgrind(program: &Program) -> (Run, Instructions) {
    let report = report_path("callgrind");
    let mut out_file = OsString::from("--callgrind-out-file=");
    out_file.push(&report);
    let options = [
        OsStr::new("-q"),
        OsStr::new("--tool=callgrind"),
        OsStr::new("--cache-sim=yes"),
        &out_file,
    ];
    let command = program.under("valgrind", &options);
    let (run, text) = run_reporting(command, &program.path, &report);
    (run, parse_callgrind(&text))
}

/// Reads the `events:` and `summary:` lines of a callgrind report.
fn parse_callgrind(text: &str) -> Instructions {
    let line = |prefix: &str| -> Vec<&str> {
        let found = text.lines().find_map(|line| line.strip_prefix(prefix));
        found
            .unwrap_or_else(|| panic!("no {prefix:?} in callgrind's report"))
            .split_whitespace()
            .collect()
    };
    let (events, summary) = (line("events:"), line("summary:"));
    let count = |event: &str| -> u64 {
        let at = events.iter().position(|e| *e == event);
        at.and_then(|at| summary.get(at)?.parse().ok())
            .unwrap_or_else(|| panic!("no {event} count in callgrind's report"))
    };
    Instructions {
        executed: count("Ir"),
        data_cache_misses: count("D1mr") + count("D1mw"),
    }
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
