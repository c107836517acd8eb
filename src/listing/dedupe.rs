//! The ids a listing yielded lately, to leave out items it already yielded.
//!
//! Offset pagination shifts items across a page boundary when webhooks are
//! created between two requests, so the start of a page can repeat the end
//! of the previous one. The filter remembers the latest ids in two
//! generations of at most [`GENERATION`]: when the newer is full it becomes
//! the older, and the older is forgotten, so memory stays flat on huge
//! listings.
//!
//! Servers usually list in ascending id order, where no id can come twice
//! without breaking the order: while the order holds, an id costs one
//! comparison and one write to a ring of the latest ids, instead of a hash
//! set insertion (which cost about 3% of a listing's CPU). The first id out of
//! order builds the generations from that ring, as if they had been kept all
//! along, and the filter hashes from then on.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// The filter of one listing, its id type fixed by the endpoint's identity
/// function and hidden from the types that hold it: `Pages<T>` has no key
/// parameter, and an endpoint with text ids needs nothing new.
///
/// One call through the box per page; within it, the filter is
/// `Seen<K>::retain_new` compiled for the endpoint's `K`, so numeric ids keep
/// the ascending path, with no hashing.
pub(crate) struct Dedupe<T> {
    retain_new: Box<RetainNew<T>>,
}

/// Removes the items already seen from a page.
type RetainNew<T> = dyn FnMut(&mut Vec<T>) + Send;

impl<T: 'static> Dedupe<T> {
    /// A filter that tells items apart by `identity`.
    pub(crate) fn new<K: Hash + Ord + Send + 'static>(identity: fn(&T) -> K) -> Self {
        let mut seen = Seen::default();
        Dedupe {
            retain_new: Box::new(move |items| seen.retain_new(items, identity)),
        }
    }
}

impl<T> Dedupe<T> {
    /// Removes from `items` those already seen (on this page too), remembering
    /// the rest.
    pub(crate) fn retain_new(&mut self, items: &mut Vec<T>) {
        (self.retain_new)(items);
    }
}

/// A listing remembers the ids of at least this many of its latest items (and
/// at most twice as many). Two pages of 100: a shift needs fewer creations
/// than a page between two requests to repeat an item.
const GENERATION: usize = 256;

type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

/// The filter, on the cheap path or the hashing one.
enum Seen<K> {
    /// Every id so far came in ascending order: the latest ones, oldest first
    /// (at most two generations), and how many ids were seen in all.
    Ascending { latest: VecDeque<K>, total: usize },
    /// The order broke once: the two generations.
    Hashed { older: IdSet<K>, newer: IdSet<K> },
}

impl<K> Default for Seen<K> {
    fn default() -> Self {
        Seen::Ascending {
            latest: VecDeque::new(),
            total: 0,
        }
    }
}

impl<K: Hash + Ord> Seen<K> {
    /// Removes from `items` those already seen (on this page too), remembering
    /// the rest.
    fn retain_new<T>(&mut self, items: &mut Vec<T>, identity: fn(&T) -> K) {
        if let Seen::Ascending { latest, total } = self {
            if is_ascending(latest.back(), items, identity) {
                for item in items.iter() {
                    if latest.len() == 2 * GENERATION {
                        latest.pop_front();
                    }
                    latest.push_back(identity(item));
                }
                *total += items.len();
                return;
            }
            *self = Seen::hashed(std::mem::take(latest), *total);
        }
        if let Seen::Hashed { older, newer } = self {
            items.retain(|item| {
                let id = identity(item);
                if older.contains(&id) || !newer.insert(id) {
                    return false;
                }
                if newer.len() == GENERATION {
                    std::mem::swap(older, newer);
                    newer.clear();
                }
                true
            });
        }
    }

    /// The generations the hashing filter would hold after `total` ids, the
    /// latest of which are `latest`.
    fn hashed(latest: VecDeque<K>, total: usize) -> Seen<K> {
        let in_newer = total % GENERATION;
        let in_older = if total >= GENERATION { GENERATION } else { 0 };
        let skip = latest.len().saturating_sub(in_newer + in_older);
        let mut ids = latest.into_iter().skip(skip);
        let older = ids.by_ref().take(in_older).collect();
        let newer = ids.collect();
        Seen::Hashed { older, newer }
    }
}

/// Whether the ids of `items` rise strictly, and above `last`.
fn is_ascending<T, K: Ord>(last: Option<&K>, items: &[T], identity: fn(&T) -> K) -> bool {
    let mut ids = items.iter().map(identity);
    let Some(mut previous) = ids.next() else {
        return true;
    };
    if last.is_some_and(|last| previous <= *last) {
        return false;
    }
    for id in ids {
        if id <= previous {
            return false;
        }
        previous = id;
    }
    true
}

/// A fast multiplicative hasher for ids; the default SipHash would cost several
/// percent of decoding a page, and this set is bounded, so flooding it is harmless.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(seen: &mut Seen<u64>, ids: &[u64]) -> Vec<u64> {
        let mut ids = ids.to_vec();
        seen.retain_new(&mut ids, |id| *id);
        ids
    }

    #[test]
    fn skips_ids_seen_on_this_page_or_recently() {
        let mut seen = Seen::default();
        assert_eq!(filter(&mut seen, &[1, 2, 3, 2]), [1, 2, 3]);
        assert_eq!(filter(&mut seen, &[3, 4, 1]), [4]);
    }

    #[test]
    fn ascending_pages_stay_on_the_cheap_path_until_the_order_breaks() {
        let mut seen = Seen::default();
        assert_eq!(filter(&mut seen, &[1, 2, 3]), [1, 2, 3]);
        assert_eq!(filter(&mut seen, &[4, 5, 6]), [4, 5, 6]);
        assert!(matches!(seen, Seen::Ascending { total: 6, .. }));
        // A creation shifted 6 onto the next page: it repeats, out of order.
        assert_eq!(filter(&mut seen, &[6, 7, 8]), [7, 8]);
        assert!(matches!(seen, Seen::Hashed { .. }));
        assert_eq!(filter(&mut seen, &[2, 9]), [9]);
    }

    #[test]
    fn forgets_ids_two_generations_old_on_either_path() {
        let generation = GENERATION as u64;
        // Ascending all along, or hashing from the start (the first page out of order).
        for first_page in [vec![0, 1], vec![1, 0]] {
            let mut seen = Seen::default();
            assert_eq!(filter(&mut seen, &first_page).len(), 2);
            let rest: Vec<u64> = (2..2 * generation).collect();
            assert_eq!(filter(&mut seen, &rest).len(), rest.len());
            let again = [generation, 2 * generation - 1, generation - 1, 0];
            assert_eq!(
                filter(&mut seen, &again),
                [generation - 1, 0],
                "the first generation was forgotten ({first_page:?})"
            );
        }
    }

    #[test]
    fn switching_paths_keeps_what_hashing_all_along_would_keep() {
        for total in [
            0,
            5,
            GENERATION - 1,
            GENERATION,
            GENERATION + 7,
            3 * GENERATION + 1,
        ] {
            let ids: Vec<u64> = (1..=total as u64).collect();
            let mut cheap = Seen::default();
            filter(&mut cheap, &ids);
            let mut hashed = Seen::Hashed {
                older: IdSet::default(),
                newer: IdSet::default(),
            };
            filter(&mut hashed, &ids);
            // Everything the listing could still repeat, and older ids.
            let probe: Vec<u64> = (0..=total as u64 + 1).rev().collect();
            assert_eq!(
                filter(&mut cheap, &probe),
                filter(&mut hashed, &probe),
                "after {total} ids"
            );
        }
    }

    #[test]
    fn string_ids_work_too() {
        let mut dedupe = Dedupe::new(|id: &String| id.clone());
        let mut ids = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
        dedupe.retain_new(&mut ids);
        assert_eq!(ids, ["a", "b"]);
        let mut again = vec!["c".to_owned(), "b".to_owned()];
        dedupe.retain_new(&mut again);
        assert_eq!(again, ["c"]);
    }

    #[test]
    fn a_dedupe_remembers_across_pages_like_its_filter() {
        let mut dedupe = Dedupe::new(|id: &u64| *id);
        let mut seen = Seen::default();
        for page in [vec![1, 2, 3], vec![3, 4], vec![2, 5, 5]] {
            let mut by_dedupe = page.clone();
            dedupe.retain_new(&mut by_dedupe);
            assert_eq!(by_dedupe, filter(&mut seen, &page), "{page:?}");
        }
    }
}
