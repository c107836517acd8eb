//! Whole-process CPU of each listing, in interleaved rounds of child processes.

use crate::measure::Run;
use crate::server::Server;
use crate::stats::{median, median_interval, min_max, quantile};
use crate::subject::{of, Subject};
use crate::subject::{CLI, CLI_PREFETCH, JSONL_LOOP, LOOP, LOOP_TIMEOUTS};
use crate::subject::{LIBRARY, LIBRARY_PREFETCH, LIBRARY_THREADED};
use crate::table::{self, Table};
use crate::{CPU_TARGET, PREFETCH_CPU_TARGET};

/// Rounds measured, each one child process per subject, after one warm-up
/// round that is not counted.
pub const ROUNDS: usize = 41;

/// Subject, reference, target on the ratio of their CPU.
const ROWS: [(Subject, Subject, Option<f64>); 6] = [
    (LIBRARY, LOOP, Some(CPU_TARGET)),
    (CLI, JSONL_LOOP, Some(CPU_TARGET)),
    (LIBRARY_PREFETCH, LIBRARY, Some(PREFETCH_CPU_TARGET)),
    (CLI_PREFETCH, CLI, Some(PREFETCH_CPU_TARGET)),
    // What prefetching cannot avoid: a process with threads pays for them in malloc.
    (LIBRARY_THREADED, LIBRARY, None),
    // What ureq's own timeouts cost a hand-written loop.
    (LOOP_TIMEOUTS, LOOP, None),
];

/// Subject and reference whose context switches per page are shown: where
/// the threads of prefetching cost.
const SWITCH_ROWS: [(Subject, Subject); 2] = [(LIBRARY_PREFETCH, LIBRARY), (CLI_PREFETCH, CLI)];

/// The per-round ratios of each CPU row, summarised: how precise the row is.
pub struct Spread(Vec<[String; 5]>);

/// Adds the CPU rows, over listings of `server`; `cpu` is the CPU the bench
/// and its children are pinned to. Returns the runs by subject, and the spread.
pub fn measure(
    table: &mut Table,
    server: &Server,
    cpu: Option<usize>,
) -> (Vec<(Subject, Vec<Run>)>, Spread) {
    let mut subjects: Vec<Subject> = ROWS.iter().map(|row| row.0).collect();
    subjects.extend([LOOP, JSONL_LOOP]);
    for subject in &subjects {
        subject.run(server); // warm-up: page cache, allocator, CPU caches
    }
    let mut runs: Vec<(Subject, Vec<Run>)> = subjects.iter().map(|s| (*s, Vec::new())).collect();
    let n = runs.len();
    for round in 0..ROUNDS {
        // Rotate which goes first, so that none always runs after the same one.
        for i in (0..n).map(|i| (i + round) % n) {
            let (subject, runs) = &mut runs[i];
            runs.push(subject.run(server));
        }
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            let ms: Vec<String> = runs
                .iter()
                .map(|(s, r)| format!("{} {:.1}", s.label(), r[round].cpu.total_ms()))
                .collect();
            eprintln!("round {round}, CPU ms: {}", ms.join(", "));
        }
    }
    let total = |s| -> Vec<f64> { of(&runs, s).iter().map(|r| r.cpu.total_ms()).collect() };
    let mut spread = Vec::new();
    for (ours, theirs, target) in ROWS {
        let reference = if target.is_none() { "ref: " } else { "" };
        let compared = format!("{} vs {}", ours.label(), theirs.label());
        let measure = format!("{reference}CPU ms: {compared}");
        let ratios = ratio_row(table, &measure, &total(ours), &total(theirs), target);
        spread.push(summary(compared, &ratios));
    }
    let pages = f64::from(server.pages);
    let switches = |s| -> f64 {
        let per_page: Vec<f64> = of(&runs, s)
            .iter()
            .map(|r| r.cpu.switches() / pages)
            .collect();
        median(&per_page)
    };
    for (ours, theirs) in SWITCH_ROWS {
        let (a, b) = (switches(ours), switches(theirs));
        let measure = format!(
            "ref: context switches per page: {} vs {}",
            ours.label(),
            theirs.label()
        );
        let cells = [
            format!("{a:.2}"),
            format!("{b:.2}"),
            format!("{:.2}", a / b),
        ];
        table.row(&measure, [&cells[0], &cells[1], &cells[2], &""], None);
    }
    let pinned = match cpu {
        Some(cpu) => format!("the bench, its server and each child pinned to CPU {cpu}"),
        None => "not pinned (the affinity could not be set)".to_owned(),
    };
    table.note(format!(
        "CPU: user + system time of the whole child process, all threads (getrusage), {} pages \
         x {}; {pinned}; {ROUNDS} interleaved rounds after a warm-up round; ratio = median of \
         the per-round ratios, whose spread is printed below the table",
        server.pages,
        crate::listings::PER_PAGE,
    ));
    table.note(
        "context switches: voluntary + involuntary, every thread of the child (getrusage), \
         per page; median of the rounds",
    );
    (runs, Spread(spread))
}

/// A row of medians and the median of per-round ratios; returns those ratios.
fn ratio_row(
    table: &mut Table,
    measure: &str,
    ours: &[f64],
    theirs: &[f64],
    target: Option<f64>,
) -> Vec<f64> {
    let ratios: Vec<f64> = ours.iter().zip(theirs).map(|(a, b)| a / b).collect();
    let ratio = median(&ratios);
    table.row(
        measure,
        [
            &format!("{:.1}", median(ours)),
            &format!("{:.1}", median(theirs)),
            &format!("{ratio:.3}"),
            &target.map_or(String::new(), |t| format!("<= {t:.2}")),
        ],
        target.map(|t| ratio <= t),
    );
    ratios
}

fn summary(compared: String, ratios: &[f64]) -> [String; 5] {
    let (low, high) = median_interval(ratios);
    let (first, third) = (quantile(ratios, 0.25), quantile(ratios, 0.75));
    let (min, max) = min_max(ratios);
    [
        compared,
        format!("{:.3}", median(ratios)),
        format!("{low:.3}..{high:.3}"),
        format!("{first:.3}..{third:.3}"),
        format!("{min:.2}..{max:.2}"),
    ]
}

impl Spread {
    pub fn print(&self) {
        println!("CPU, the per-round ratios of each row ({ROUNDS} rounds):");
        let header = ["ratio", "median", "95% CI of median", "quartiles", "range"];
        table::print_rows(&header.map(String::from), &self.0);
    }
}
