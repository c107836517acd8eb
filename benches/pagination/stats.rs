//! Estimators for rounds of noisy measures: the median, quartiles, and a
//! confidence interval of the median that assumes nothing about the noise.

pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// The `q` quantile (0 to 1), interpolated between the two nearest ranks.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let sorted = sorted(values);
    let rank = q * (sorted.len() - 1) as f64;
    let (below, above) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[below] + (sorted[above] - sorted[below]) * (rank - below as f64)
}

/// A 95% confidence interval of the median: the narrowest pair of order
/// statistics `x(k)`, `x(n+1-k)` that holds the true median with probability
/// at least 0.95 whatever the distribution, since the number of values below
/// it is binomial(n, 1/2). Too few values for 95% give the whole range.
pub fn median_interval(values: &[f64]) -> (f64, f64) {
    let sorted = sorted(values);
    let n = sorted.len();
    // `k` is the 1-based rank of the lower bound; `below` is P(B <= k - 1)
    // and `term` is P(B = k - 1), for B ~ binomial(n, 1/2).
    let mut k = 1;
    let mut term = 0.5f64.powi(i32::try_from(n).expect("a few rounds"));
    let mut below = term;
    while k < n / 2 {
        let next = term * (n - k + 1) as f64 / k as f64;
        if 2.0 * (below + next) > 0.05 {
            break;
        }
        (k, term, below) = (k + 1, next, below + next);
    }
    (sorted[k - 1], sorted[n - k])
}

pub fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

fn sorted(values: &[f64]) -> Vec<f64> {
    assert!(!values.is_empty(), "no values to estimate from");
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}
