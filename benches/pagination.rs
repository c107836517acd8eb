//! `cargo bench --bench pagination`: what a user pays for this crate, as a
//! library and as the `partoo-webhooks` CLI, against hand-written programs
//! doing the same work, over an HTTP/1.1 keep-alive server on loopback.
//! Prints one table of medians, ratios and the targets of issues 5 and 9.
//!
//! Every listing runs in a child process: this binary re-executed with
//! `--child`, or the CLI itself. Its CPU time is that of the whole process,
//! every thread included, from `getrusage(RUSAGE_CHILDREN)`; the server and
//! its pre-rendered pages stay in this process and are not counted. The
//! machine may be shared and noisy, so this process and its children are
//! pinned to one CPU, and CPU is only ever compared as ratios of runs
//! interleaved round by round; callgrind's instruction counts cross-check it.

#[path = "pagination/cpu.rs"]
mod cpu;
#[path = "pagination/instructions.rs"]
mod instructions;
#[path = "pagination/listings.rs"]
mod listings;
#[path = "pagination/measure.rs"]
mod measure;
#[path = "pagination/server.rs"]
mod server;
#[path = "pagination/stats.rs"]
mod stats;
#[path = "pagination/subject.rs"]
mod subject;
#[path = "pagination/syscalls.rs"]
mod syscalls;
#[path = "pagination/table.rs"]
mod table;

use std::time::{Duration, Instant};

use listings::{Listing, Tally, PER_PAGE, PREFETCH};
use measure::Run;
use server::Server;
use stats::median;
use subject::{of, Subject};
use subject::{CLI, CURL, LIBRARY, LOOP};
use table::Table;

const LARGE_PAGES: u32 = 1_000;
const SMALL_PAGES: u32 = 10;
/// Child processes per listing for the 10-page peak RSS; it barely varies.
const RSS_RUNS: usize = 3;
const FIRST_BYTE_ROUNDS: usize = 15;
const LATENCY_PAGES: u32 = 20;
const LATENCIES: [Duration; 2] = [Duration::from_millis(20), Duration::from_millis(50)];
const LATENCY_ROUNDS: usize = 5;

const CPU_TARGET: f64 = 1.00;
const PREFETCH_CPU_TARGET: f64 = 1.10;
const THREADS_TARGET: u64 = 4;
const SYSCALLS_TARGET: f64 = 1.20;
const RSS_TARGET: f64 = 1.10;
const SPEEDUP_TARGET: f64 = 3.0;

fn main() {
    // `cargo bench` passes `--bench` to every harness-less bench.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        [] => run_all(),
        ["--child", name, base_url, pages] => {
            listings::list(parse_listing(name), base_url).check(parse_pages(pages));
            eprintln!("vmhwm_kib {}", measure::vmhwm_kib());
        }
        // A server alone, until killed: to profile a `--child` with perf or valgrind.
        ["--serve", pages] => {
            let server = Server::start(parse_pages(pages), Duration::ZERO);
            println!("{}", server.base_url);
            loop {
                std::thread::park();
            }
        }
        // One listing of an in-process server, to profile, e.g. with valgrind
        // --tool=callgrind --collect-atstart=no --toggle-collect=pagination::listings::list
        ["--listing", name, pages] => {
            let pages = parse_pages(pages);
            let server = Server::start(pages, Duration::ZERO);
            let start = Instant::now();
            listings::list(parse_listing(name), &server.base_url).check(pages);
            eprintln!("{name}: {pages} pages in {:?}", start.elapsed());
        }
        _ => {
            eprintln!(
                "usage: pagination [--listing LISTING PAGES | --child LISTING URL PAGES | --serve PAGES]\n\
                 LISTING: crate, prefetch, threaded, loop, loop-timeouts or jsonl-loop"
            );
            std::process::exit(2);
        }
    }
}

fn parse_pages(pages: &str) -> u32 {
    pages.parse().expect("PAGES is a number")
}

fn parse_listing(name: &str) -> Listing {
    Listing::from_name(name).unwrap_or_else(|| panic!("unknown listing {name:?}"))
}

fn run_all() {
    let started = Instant::now();
    // Before any thread starts, so that the servers' threads inherit it too.
    let pinned = measure::pin_to_one_cpu();
    let mut table = Table::default();
    let large = Server::start(LARGE_PAGES, Duration::ZERO);
    let small = Server::start(SMALL_PAGES, Duration::ZERO);
    let (rounds, spread) = cpu::measure(&mut table, &large, pinned);
    instructions::measure(&mut table);
    let breakdown = syscalls::measure(&mut table, &large, &small);
    connections(&mut table, &large);
    first_webhook(&mut table);
    peak_rss(&mut table, &rounds, &small);
    latency(&mut table);
    table.print();
    spread.print();
    if let Some(breakdown) = breakdown {
        breakdown.print();
    }
    let (passed, targets, skipped) = table.score();
    let failed = if passed == targets {
        ""
    } else {
        " (FAIL above)"
    };
    let skipped = match skipped {
        0 => String::new(),
        n => format!(", {n} skipped"),
    };
    println!(
        "{passed} of {targets} targets met{failed}{skipped}; {:.0} s in all. \
         Reproduce: cargo bench --bench pagination",
        started.elapsed().as_secs_f64()
    );
}

/// Connections the server accepted during one listing.
fn connections(table: &mut Table, server: &Server) {
    let accepted = |subject: Subject| {
        let before = server.connections();
        subject.run(server);
        server.connections() - before
    };
    let (ours, theirs) = (accepted(LIBRARY), accepted(LOOP));
    table.row(
        "TCP connections: library vs loop",
        [&ours, &theirs, &"", &"== 1"],
        Some(ours == 1),
    );
}

/// From starting the CLI to its first byte of output, against `curl`.
fn first_webhook(table: &mut Table) {
    let measure = "first webhook ms, 1 page: CLI vs curl";
    let server = Server::start(1, Duration::ZERO);
    let curl = measure::installed("curl");
    let first_byte = |subject: Subject| {
        let run = subject.run(&server);
        run.first_byte.expect("printed something").as_secs_f64() * 1e3
    };
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..FIRST_BYTE_ROUNDS {
        if curl && round % 2 == 1 {
            theirs.push(first_byte(CURL));
        }
        ours.push(first_byte(CLI));
        if curl && round % 2 == 0 {
            theirs.push(first_byte(CURL));
        }
    }
    let ours = median(&ours);
    if curl {
        let theirs = median(&theirs);
        let cells = [format!("{ours:.1}"), format!("{theirs:.1}")];
        let ratio = format!("{:.2}", ours / theirs);
        table.row(measure, [&cells[0], &cells[1], &ratio, &""], None);
    } else {
        let cells = [format!("{ours:.1}"), "skipped (no curl)".to_owned()];
        table.row(measure, [&cells[0], &cells[1], &"", &""], None);
    }
    table.note(format!(
        "first webhook: wall time from spawning the process to the first byte on its standard \
         output, one page of {PER_PAGE}; median of {FIRST_BYTE_ROUNDS} interleaved runs each"
    ));
}

/// Peak RSS of the listing children: 1,000 pages from the CPU rounds, 10 pages here.
fn peak_rss(table: &mut Table, rounds: &[(Subject, Vec<Run>)], small: &Server) {
    let vmhwm = |runs: &[Run]| {
        let kib: Vec<f64> = runs
            .iter()
            .map(|run| run.vmhwm_kib().expect("child reports VmHWM") as f64)
            .collect();
        median(&kib)
    };
    let small_runs =
        |subject: Subject| -> Vec<Run> { (0..RSS_RUNS).map(|_| subject.run(small)).collect() };
    let ours = [vmhwm(&small_runs(LIBRARY)), vmhwm(&of(rounds, LIBRARY)[..])];
    let theirs = [vmhwm(&small_runs(LOOP)), vmhwm(&of(rounds, LOOP)[..])];
    for (i, pages) in [SMALL_PAGES, LARGE_PAGES].iter().enumerate() {
        let measure = format!("peak RSS KiB, {pages} pages: library vs loop");
        let ratio = format!("{:.3}", ours[i] / theirs[i]);
        table.row(&measure, [&ours[i], &theirs[i], &ratio, &""], None);
    }
    let growth = ours[1] / ours[0];
    table.row(
        &format!("peak RSS {LARGE_PAGES} / {SMALL_PAGES} pages: library vs loop"),
        [
            &format!("{growth:.3}"),
            &format!("{:.3}", theirs[1] / theirs[0]),
            &"",
            &format!("<= {RSS_TARGET:.2}"),
        ],
        Some(growth <= RSS_TARGET),
    );
    table.note(format!(
        "RSS: VmHWM of the child process at the end of its listing; median of {RSS_RUNS} runs \
         ({SMALL_PAGES} pages) and of the {} CPU rounds ({LARGE_PAGES} pages)",
        cpu::ROUNDS
    ));
}

/// Wall time with latency injected by the server: prefetch(4) against
/// sequential, interleaved, in this process (only wall time matters here).
fn latency(table: &mut Table) {
    for latency in LATENCIES {
        let server = Server::start(LATENCY_PAGES, latency);
        let (mut sequential, mut prefetched) = (Vec::new(), Vec::new());
        for round in 0..LATENCY_ROUNDS {
            let order = match round % 2 {
                0 => [0, PREFETCH],
                _ => [PREFETCH, 0],
            };
            for prefetch in order {
                let start = Instant::now();
                let mut tally = Tally::default();
                listings::list_crate(&server.base_url, prefetch, &mut tally);
                tally.check(LATENCY_PAGES);
                let ms = start.elapsed().as_secs_f64() * 1e3;
                match prefetch {
                    0 => sequential.push(ms),
                    _ => prefetched.push(ms),
                }
            }
        }
        let (ours, theirs) = (median(&prefetched), median(&sequential));
        let speedup = theirs / ours;
        let measure = format!(
            "wall ms, {LATENCY_PAGES} pages at {} ms: library prefetch(4) vs library",
            latency.as_millis()
        );
        table.row(
            &measure,
            [
                &format!("{ours:.0}"),
                &format!("{theirs:.0}"),
                &format!("{speedup:.2}x"),
                &format!(">= {SPEEDUP_TARGET:.0}x"),
            ],
            Some(speedup >= SPEEDUP_TARGET),
        );
    }
    table.note(format!(
        "latency: the server waits before each answer; wall time of the library listing in this \
         process, median of {LATENCY_ROUNDS} interleaved rounds; ratio = sequential / prefetch(4)"
    ));
}
