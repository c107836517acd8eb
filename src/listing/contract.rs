//! The listing contract, checked in one place: every listing (items, pages,
//! a limit, prefetching, a snapshot, the CLI) runs a `Pages`, which asks this
//! module before it goes to a page and after each answer.
//!
//! - **Bounded.** A listing goes to at most `ceil(count / per_page) + 2`
//!   pages, and receives at most as many items as those pages hold,
//!   duplicates included; `count` is the latest answer's. Retries of a page
//!   are not pages. The two pages of slack absorb the shifts of an account
//!   changing during the listing.
//! - **Exact, or an error.** A listing from page 1 without a limit that ends
//!   having yielded other than the latest `count` distinct items ends with
//!   [`Error::CountMismatch`], after every item.
//!
//! `per_page` here is the page size the server uses: the one asked for, or the
//! largest page received when that is smaller (a server may cap `per_page`),
//! so that a capped server is listed whole rather than stopped.

use crate::{Error, Page};

/// What a listing has done so far, as far as the contract is concerned.
#[derive(Debug)]
pub(crate) struct Contract {
    /// The first page of the listing: pages `start..=n` are `n - start + 1` pages.
    start: u32,
    /// The `per_page` asked for.
    per_page: u64,
    /// The most items a page received held.
    largest: u64,
    /// The `count` of the latest answer.
    count: Option<u64>,
    /// Items received, duplicates included.
    received: u64,
    /// Distinct items yielded.
    listed: u64,
    /// Whether the listing is meant to be the whole: from page 1, no limit.
    whole: bool,
}

impl Contract {
    pub(crate) fn new(start: u32, per_page: u32, whole: bool) -> Self {
        Contract {
            start,
            per_page: per_page.into(),
            largest: 0,
            count: None,
            received: 0,
            listed: 0,
            whole,
        }
    }

    /// The `count` of the latest answer.
    pub(crate) fn count(&self) -> Option<u64> {
        self.count
    }

    /// The items per page the server uses, as far as it showed.
    fn page_size(&self) -> u64 {
        self.per_page.min(self.largest).max(1)
    }

    /// The most pages the latest `count` allows; `None` before any answer.
    fn max_pages(&self) -> Option<u64> {
        let count = self.count?;
        Some(count.div_ceil(self.page_size()).saturating_add(2))
    }

    /// The last page the listing may go to, as far as the latest answer says.
    pub(crate) fn last_page(&self) -> Option<u32> {
        let max_pages = self.max_pages()?;
        let last = u64::from(self.start).saturating_add(max_pages - 1);
        Some(u32::try_from(last).unwrap_or(u32::MAX))
    }

    /// Refuses to go to `page` when it would take the listing past the bound.
    pub(crate) fn go_to(&self, page: u32) -> Result<(), Error> {
        match self.last_page() {
            Some(last) if page > last => Err(self.runaway(page)),
            _ => Ok(()),
        }
    }

    /// Takes in the answer to `requested`: it must be that page, and keep
    /// the listing within the bound with every item it holds.
    pub(crate) fn receive<T>(&mut self, requested: u32, answer: &Page<T>) -> Result<(), Error> {
        if answer.page != requested {
            return Err(Error::PageMismatch {
                requested,
                received: answer.page,
            });
        }
        let items = answer.items.len() as u64;
        self.count = Some(answer.count);
        self.largest = self.largest.max(items);
        self.received = self.received.saturating_add(items);
        let max_items = self
            .max_pages()
            .map_or(u64::MAX, |pages| pages.saturating_mul(self.page_size()));
        if self.received > max_items {
            return Err(self.runaway(requested));
        }
        Ok(())
    }

    /// Counts items yielded, once the duplicates are left out.
    pub(crate) fn yielded(&mut self, items: usize) {
        self.listed = self.listed.saturating_add(items as u64);
    }

    /// The verdict on a listing that reached its end (the last page, or an
    /// empty one): a whole listing must have yielded `count` distinct items.
    pub(crate) fn end(&self) -> Result<(), Error> {
        match self.count {
            Some(count) if self.whole && self.listed != count => Err(Error::CountMismatch {
                listed: self.listed,
                count,
            }),
            _ => Ok(()),
        }
    }

    fn runaway(&self, page: u32) -> Error {
        Error::Runaway {
            page,
            count: self.count.unwrap_or(0),
            max_pages: self.max_pages().unwrap_or(0),
            received: self.received,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(page: u32, count: u64, items: usize) -> Page<u8> {
        Page::new(page, u32::MAX, count, vec![0; items])
    }

    #[test]
    fn the_bound_is_count_over_per_page_plus_two_pages_from_the_start() {
        let mut contract = Contract::new(3, 100, false);
        assert!(contract.go_to(3).is_ok(), "the first page needs no answer");
        contract.receive(3, &answer(3, 250, 100)).unwrap();
        // ceil(250 / 100) + 2 = 5 pages: 3 to 7.
        assert_eq!(contract.last_page(), Some(7));
        assert!(contract.go_to(7).is_ok());
        let error = contract.go_to(8).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Runaway {
                    page: 8,
                    count: 250,
                    max_pages: 5,
                    received: 100
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_server_that_caps_per_page_gets_the_pages_its_count_needs() {
        let mut contract = Contract::new(1, 100, true);
        contract.receive(1, &answer(1, 300, 30)).unwrap();
        assert_eq!(contract.last_page(), Some(12), "10 pages of 30, and 2");
        // A page larger than asked does not widen the bound.
        contract.receive(2, &answer(2, 300, 150)).unwrap();
        assert_eq!(contract.last_page(), Some(5));
    }

    #[test]
    fn every_item_received_counts_duplicates_included() {
        let mut contract = Contract::new(1, 10, true);
        // A count of 10 allows 3 pages of 10: 30 items.
        contract.receive(1, &answer(1, 10, 10)).unwrap();
        contract.receive(2, &answer(2, 10, 10)).unwrap();
        contract.receive(3, &answer(3, 10, 10)).unwrap();
        let error = contract.receive(3, &answer(3, 10, 1)).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Runaway {
                    page: 3,
                    received: 31,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn only_a_whole_listing_other_than_its_count_is_a_mismatch() {
        for (whole, listed, count, incomplete) in [
            (true, 249, 250, true),
            (true, 250, 250, false),
            (true, 251, 250, true),
            (true, 0, 0, false),
            (false, 10, 250, false),
            (false, 251, 250, false),
        ] {
            let mut contract = Contract::new(1, 100, whole);
            contract.receive(1, &answer(1, count, 0)).unwrap();
            contract.yielded(listed);
            let end = contract.end();
            assert_eq!(end.is_err(), incomplete, "{whole} {listed} {count}");
            if let Err(error) = end {
                assert!(
                    matches!(error, Error::CountMismatch { listed: l, count: c } if l == listed as u64 && c == count),
                    "{error:?}"
                );
            }
        }
        assert!(Contract::new(1, 100, true).end().is_ok(), "no answer yet");
    }

    #[test]
    fn a_page_other_than_the_one_requested_is_refused() {
        let mut contract = Contract::new(1, 100, true);
        let error = contract.receive(2, &answer(1, 5, 5)).unwrap_err();
        assert!(
            matches!(
                error,
                Error::PageMismatch {
                    requested: 2,
                    received: 1
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn huge_numbers_saturate_instead_of_overflowing() {
        let mut contract = Contract::new(u32::MAX, 1, true);
        contract
            .receive(u32::MAX, &answer(u32::MAX, u64::MAX, 1))
            .unwrap();
        assert_eq!(contract.last_page(), Some(u32::MAX));
        assert!(contract.go_to(u32::MAX).is_ok());
    }
}
