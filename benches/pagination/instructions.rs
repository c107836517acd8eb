//! Instructions executed in user space by whole child processes, under
//! callgrind: a cross-check of the CPU rows that no other load disturbs.

use std::time::Duration;

use crate::measure::{self, Instructions};
use crate::server::Server;
use crate::subject::{Subject, CLI, JSONL_LOOP, LIBRARY, LOOP};
use crate::table::Table;

/// Callgrind runs a program some 50 times slower: a shorter listing.
const PAGES: u32 = 200;
const ROWS: [(Subject, Subject); 2] = [(LIBRARY, LOOP), (CLI, JSONL_LOOP)];

/// Adds two rows per pair of `ROWS`: instructions, and simulated data-cache
/// misses. "skipped" without valgrind.
pub fn measure(table: &mut Table) {
    let measures = |ours: Subject, theirs: Subject| {
        let compared = format!("{PAGES} pages: {} vs {}", ours.label(), theirs.label());
        [
            format!("instructions M, user space, {compared}"),
            "  L1 data cache misses K, simulated".to_owned(),
        ]
    };
    if !measure::installed("valgrind") {
        for (ours, theirs) in ROWS {
            for measure in measures(ours, theirs) {
                table.row(&measure, [&"skipped", &"", &"", &""], None);
            }
        }
        table.note("instructions: skipped, valgrind is not installed");
        return;
    }
    let server = Server::start(PAGES, Duration::ZERO);
    let count = |subject: Subject| -> Instructions {
        let (run, instructions) = measure::callgrind(&subject.program(&server));
        subject.check(&run, &server);
        instructions
    };
    for (ours, theirs) in ROWS {
        let (a, b) = (count(ours), count(theirs));
        let [instructions, misses] = measures(ours, theirs);
        for (measure, a, b, unit) in [
            (instructions, a.executed, b.executed, 1e6),
            (misses, a.data_cache_misses, b.data_cache_misses, 1e3),
        ] {
            let (a, b) = (a as f64, b as f64);
            let cells = [
                format!("{:.1}", a / unit),
                format!("{:.1}", b / unit),
                format!("{:.3}", a / b),
            ];
            table.row(&measure, [&cells[0], &cells[1], &cells[2], &""], None);
        }
    }
    table.note(format!(
        "instructions: valgrind --tool=callgrind --cache-sim=yes over the whole child process \
         (start-up included, every thread), {PAGES} pages, one run each: what ran in user space, \
         counted exactly; not the kernel's work, nor what cache misses and mispredicted branches \
         cost in time, which is why it can favour a listing that costs more CPU"
    ));
}
