//! Threads started and system calls per page, as `strace -f -c` counts them.

use std::collections::{BTreeMap, BTreeSet};

use crate::measure::{self, Syscalls};
use crate::server::Server;
use crate::subject::{of, Subject};
use crate::subject::{CLI, JSONL_LOOP, LIBRARY, LIBRARY_PREFETCH, LOOP, LOOP_TIMEOUTS};
use crate::table::{self, Table};
use crate::{SYSCALLS_TARGET, THREADS_TARGET};

/// Subject, reference, target.
const THREAD_ROWS: [(Subject, Subject, Option<u64>); 4] = [
    (LIBRARY, LOOP, Some(THREADS_TARGET)),
    (CLI, JSONL_LOOP, Some(THREADS_TARGET)),
    (LIBRARY_PREFETCH, LOOP, None),
    (LOOP_TIMEOUTS, LOOP, None),
];
const SYSCALL_ROWS: [(Subject, Subject, Option<f64>); 3] = [
    (LIBRARY, LOOP, Some(SYSCALLS_TARGET)),
    (CLI, JSONL_LOOP, Some(SYSCALLS_TARGET)),
    (LOOP_TIMEOUTS, LOOP, None),
];
/// The columns of the breakdown printed under the table.
const BREAKDOWN: [Subject; 5] = [LIBRARY, LOOP, LOOP_TIMEOUTS, CLI, JSONL_LOOP];

/// Calls per page by name, for each subject.
pub struct Breakdown(Vec<(Subject, BTreeMap<String, f64>)>);

/// Adds the rows of threads and system calls per page; `None` without strace.
pub fn measure(table: &mut Table, large: &Server, small: &Server) -> Option<Breakdown> {
    if !measure::installed("strace") {
        for (ours, theirs, target) in THREAD_ROWS {
            let target = target.map_or(String::new(), |t| format!("<= {t}"));
            table.skipped(&thread_measure(ours, theirs), &target);
        }
        for (ours, theirs, target) in SYSCALL_ROWS {
            let measure = syscall_measure(ours, theirs, target);
            let target = target.map_or(String::new(), |t| format!("<= {t:.2}"));
            table.skipped(&measure, &target);
        }
        table.note("threads, syscalls: skipped, strace is not installed");
        return None;
    }
    let subjects = [
        LIBRARY,
        CLI,
        LIBRARY_PREFETCH,
        LOOP,
        JSONL_LOOP,
        LOOP_TIMEOUTS,
    ];
    let (mut threads, mut per_page) = (Vec::new(), Vec::new());
    for subject in subjects {
        let (run, long) = measure::strace(&subject.program(large));
        subject.check(&run, large);
        let (run, short) = measure::strace(&subject.program(small));
        subject.check(&run, small);
        threads.push((subject, long.threads()));
        let pages = large.pages - small.pages;
        per_page.push((subject, Syscalls::per_page(&long, &short, pages)));
    }
    for (ours, theirs, target) in THREAD_ROWS {
        let (a, b) = (*of(&threads, ours), *of(&threads, theirs));
        let pass = target.map(|t| a <= t);
        let target = target.map_or(String::new(), |t| format!("<= {t}"));
        table.row(&thread_measure(ours, theirs), [&a, &b, &"", &target], pass);
    }
    let total = |subject| of(&per_page, subject).values().sum::<f64>();
    for (ours, theirs, target) in SYSCALL_ROWS {
        let (a, b) = (total(ours), total(theirs));
        let cells = [
            format!("{a:.2}"),
            format!("{b:.2}"),
            format!("{:.3}", a / b),
        ];
        let measure = syscall_measure(ours, theirs, target);
        let pass = target.map(|t| a / b <= t);
        let target = target.map_or(String::new(), |t| format!("<= {t:.2}"));
        table.row(&measure, [&cells[0], &cells[1], &cells[2], &target], pass);
    }
    table.note(format!(
        "threads: clone + clone3 calls over a whole {}-page listing; syscalls: the strace -f -c \
         counts of a {}-page run minus those of a {}-page run, divided by the {} pages between \
         (start-up not counted); one run each",
        large.pages,
        large.pages,
        small.pages,
        large.pages - small.pages
    ));
    for (ours, theirs) in [
        (LIBRARY, LOOP),
        (CLI, JSONL_LOOP),
        (LIBRARY_PREFETCH, LIBRARY),
    ] {
        table.note(format!(
            "{} calls per page beyond the {}: {}",
            ours.label(),
            theirs.label(),
            differences(of(&per_page, ours), of(&per_page, theirs))
        ));
    }
    Some(Breakdown(per_page))
}

fn thread_measure(ours: Subject, theirs: Subject) -> String {
    format!("threads started: {} vs {}", ours.label(), theirs.label())
}

/// The measure's name; a row without target is a reference.
fn syscall_measure(ours: Subject, theirs: Subject, target: Option<f64>) -> String {
    let reference = if target.is_none() { "ref: " } else { "" };
    format!(
        "{reference}syscalls per page: {} vs {}",
        ours.label(),
        theirs.label()
    )
}

/// The calls per page where `ours` differs from `theirs`, largest first.
fn differences(ours: &BTreeMap<String, f64>, theirs: &BTreeMap<String, f64>) -> String {
    let names: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    let calls = |m: &BTreeMap<String, f64>, name: &String| m.get(name).copied().unwrap_or(0.0);
    let mut differences: Vec<(f64, &String)> = names
        .into_iter()
        .map(|name| (calls(ours, name) - calls(theirs, name), name))
        .filter(|(difference, _)| difference.abs() >= 0.005)
        .collect();
    differences.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    if differences.is_empty() {
        return "none".to_owned();
    }
    let differences: Vec<String> = differences
        .iter()
        .map(|(difference, name)| format!("{name} {difference:+.2}"))
        .collect();
    differences.join(", ")
}

impl Breakdown {
    /// Every system call some subject makes per page, by subject.
    pub fn print(&self) {
        let names: BTreeSet<&String> = self.0.iter().flat_map(|(_, m)| m.keys()).collect();
        let rows: Vec<[String; 6]> = names
            .into_iter()
            .filter_map(|name| {
                let calls = BREAKDOWN.map(|s| of(&self.0, s).get(name).copied().unwrap_or(0.0));
                let shown = calls.iter().any(|calls| calls.abs() >= 0.005);
                let [a, b, c, d, e] = calls.map(|calls| format!("{calls:.2}"));
                shown.then(|| [name.clone(), a, b, c, d, e])
            })
            .collect();
        let header: [String; 6] = std::array::from_fn(|i| match i {
            0 => "syscall".to_owned(),
            i => BREAKDOWN[i - 1].label().to_owned(),
        });
        println!("System calls per page, by name (strace -f -c; long run minus short run):");
        table::print_rows(&header, &rows);
    }
}
