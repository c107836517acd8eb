//! A whole listing as one `Vec` that is a state the account had.
//!
//! Partoo pages by offset: a webhook deleted and another created while page 1
//! is read leave `count` and `max_page` as they were, and page 2 then skips
//! one that existed all along. No check within one pass can see that. Two
//! consecutive passes that agree item for item can: a change between or
//! during them makes them differ, so the state both saw is one the account
//! had (barring a change undone within the same window). A listing of one
//! page is one answer, one state, and needs no second pass.

use crate::error::Error;
use crate::pages::Pages;

/// Lists with `pass` until two consecutive passes agree (one, for a single
/// page), at most `max_passes` times (at least once); a pass whose own listing is
/// inconsistent (a repeated id, a count that changed or does not add up)
/// counts as a pass that agrees with nothing.
///
/// # Errors
/// [`Error::TooManyItems`] as soon as a page announces more than `max_items`;
/// [`Error::NoConsistentSnapshot`] when no two consecutive passes agreed; the
/// errors of a pass other than its end check.
pub(crate) fn snapshot<T: PartialEq + Send + 'static>(
    max_passes: u32,
    max_items: u64,
    mut pass: impl FnMut() -> Pages<T>,
) -> Result<Vec<T>, Error> {
    // 0 counts as 1: a snapshot that requests nothing could not return anything.
    let max_passes = max_passes.max(1);
    let mut previous = None;
    for n in 1..=max_passes {
        let current = one_pass(pass(), max_items)?;
        match current {
            Some((items, 1)) => return Ok(items),
            Some((items, _)) if previous.as_ref() == Some(&items) => return Ok(items),
            _ => log::debug!("snapshot: pass {n} of {max_passes} did not agree"),
        }
        previous = current.map(|(items, _)| items);
    }
    Err(Error::NoConsistentSnapshot { passes: max_passes })
}

/// One pass: its items and how many pages it took, or `None` when the pass
/// itself saw the account change.
fn one_pass<T: Send + 'static>(
    mut pages: Pages<T>,
    max_items: u64,
) -> Result<Option<(Vec<T>, u32)>, Error> {
    let (mut items, mut first, mut requested) = (Vec::new(), None, 0);
    while let Some(received) = pages.next() {
        let received = match received {
            Err(Error::CountMismatch { .. }) => return Ok(None),
            received => received?,
        };
        requested += 1;
        log::debug!("snapshot: page {} of {}", received.page, received.max_page);
        if received.count > max_items {
            return Err(Error::TooManyItems {
                page: received.page,
                count: received.count,
                limit: max_items,
            });
        }
        let shape = (received.count, received.max_page);
        if *first.get_or_insert(shape) != shape || pages.duplicates() > 0 {
            return Ok(None);
        }
        items.extend(received.items);
    }
    Ok(Some((items, requested)))
}
