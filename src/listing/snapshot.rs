//! A consistent snapshot of a listing: every item as one `Vec`, from a pass
//! over the pages during which nothing showed the data changing.
//!
//! Offset pagination shifts items across page boundaries when items are
//! created or deleted between two requests: one is then listed twice (which
//! the pager's dedupe hides) or missed (which the pager's end check reports).
//! The signs such a change leaves in the pages are checked here, and the whole
//! listing is made again when one shows. The pass holds at most `max_items`
//! items: an answer whose `count` is larger fails it before anything is kept.
//! Nothing here knows about webhooks.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::{Error, Pages};

/// How many passes a snapshot makes at most, unless told otherwise.
pub(crate) const DEFAULT_PASSES: u32 = 3;

/// How many items a snapshot holds at most, unless told otherwise.
pub(crate) const DEFAULT_MAX_ITEMS: u64 = 100_000;

/// The first sign, in a pass, that the data changed while it ran.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    Count {
        page: u32,
        first: u64,
        now: u64,
    },
    MaxPage {
        page: u32,
        first: u32,
        now: u32,
    },
    Repeated {
        page: u32,
    },
    /// The pass listed other than `count` distinct items.
    Total {
        listed: u64,
        count: u64,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Count { page, first, now } => {
                write!(f, "count went from {first} to {now} on page {page}")
            }
            Change::MaxPage { page, first, now } => {
                write!(f, "max_page went from {first} to {now} on page {page}")
            }
            Change::Repeated { page } => write!(f, "page {page} repeated an item already listed"),
            Change::Total { listed, count } => {
                write!(f, "{listed} items were listed for a count of {count}")
            }
        }
    }
}

/// Makes up to `max_passes` passes (at least one), each over the pages
/// `pass()` returns, and returns the items of the first pass in which every
/// page reported the `count` and the `max_page` of its first page, no item
/// came twice, and no more than `count` items were listed: exactly `count`
/// for a pass from page 1 without a limit, whose pager checks its end.
///
/// # Errors
/// The first request failure (a failed request is not a change, and is not
/// listed again), [`Error::TooManyItems`] as soon as an answer's `count` is
/// above `max_items`, or [`Error::NoConsistentSnapshot`] when every pass
/// changed.
pub(crate) fn consistent<T: DeserializeOwned + Send + 'static>(
    max_passes: u32,
    max_items: u64,
    mut pass: impl FnMut() -> Pages<T>,
) -> Result<Vec<T>, Error> {
    let passes = max_passes.max(1);
    for n in 1..=passes {
        match one_pass(pass(), max_items)? {
            Ok(items) => return Ok(items),
            Err(change) => log::debug!("snapshot pass {n} of {passes}: {change}"),
        }
    }
    Err(Error::NoConsistentSnapshot { passes })
}

/// One pass, stopped at the first sign of a change: the pages after it would
/// be requested for nothing.
fn one_pass<T: DeserializeOwned + Send + 'static>(
    mut pages: Pages<T>,
    max_items: u64,
) -> Result<Result<Vec<T>, Change>, Error> {
    let mut items = Vec::new();
    let mut first = None;
    while let Some(received) = pages.next() {
        let received = match received {
            Ok(received) => received,
            // The pager's end check: other than `count` items.
            Err(Error::CountMismatch { listed, count }) => {
                return Ok(Err(Change::Total { listed, count }))
            }
            Err(error) => return Err(error),
        };
        let page = received.page;
        if received.count > max_items {
            return Err(Error::TooManyItems {
                page,
                count: received.count,
                limit: max_items,
            });
        }
        let (count, max_page) = *first.get_or_insert((received.count, received.max_page));
        if received.count != count {
            let now = received.count;
            return Ok(Err(Change::Count {
                page,
                first: count,
                now,
            }));
        }
        if received.max_page != max_page {
            let now = received.max_page;
            return Ok(Err(Change::MaxPage {
                page,
                first: max_page,
                now,
            }));
        }
        if pages.duplicates() > 0 {
            return Ok(Err(Change::Repeated { page }));
        }
        // More than `count` can never be consistent; stopping here also keeps
        // the pass within `max_items`, which `count` is within.
        let listed = (items.len() + received.items.len()) as u64;
        if listed > count {
            return Ok(Err(Change::Total { listed, count }));
        }
        items.extend(received.items);
    }
    Ok(Ok(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_say_what_moved_and_where() {
        let count = Change::Count {
            page: 2,
            first: 3,
            now: 4,
        };
        assert_eq!(count.to_string(), "count went from 3 to 4 on page 2");
        let max_page = Change::MaxPage {
            page: 3,
            first: 3,
            now: 2,
        };
        assert_eq!(max_page.to_string(), "max_page went from 3 to 2 on page 3");
        let repeated = Change::Repeated { page: 2 };
        assert_eq!(
            repeated.to_string(),
            "page 2 repeated an item already listed"
        );
        let total = Change::Total {
            listed: 250,
            count: 300,
        };
        assert_eq!(
            total.to_string(),
            "250 items were listed for a count of 300"
        );
    }

    #[test]
    fn the_error_names_how_many_listings_changed() {
        assert_eq!(
            Error::NoConsistentSnapshot { passes: 3 }.to_string(),
            "no consistent snapshot: the data changed during each of 3 listings"
        );
        assert_eq!(
            Error::NoConsistentSnapshot { passes: 1 }.to_string(),
            "no consistent snapshot: the data changed during the listing"
        );
        assert_eq!(Error::NoConsistentSnapshot { passes: 3 }.page(), None);
    }
}
