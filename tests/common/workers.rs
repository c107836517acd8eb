//! The prefetching workers alive in this process, which Linux names
//! `partoo-prefetch`: tests count them, and wait for those of dropped
//! listings to leave before counting a server's requests.

use std::collections::BTreeSet;
use std::time::Duration;

/// The thread ids of the prefetching workers alive now.
pub fn prefetch_workers() -> BTreeSet<u64> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return BTreeSet::new();
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.starts_with("partoo-prefetch"))
        })
        .filter_map(|task| task.file_name().to_str()?.parse().ok())
        .collect()
}

pub fn prefetch_threads() -> usize {
    prefetch_workers().len()
}

/// Waits for the workers of dropped listings to finish the requests they
/// hold and leave (a few seconds at most); returns how many are left. Once
/// none is left, no request of theirs can still reach a server.
pub fn prefetch_threads_settled() -> usize {
    for _ in 0..5000 {
        if prefetch_threads() == 0 {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    prefetch_threads()
}
