//! "Nice" value axes: ticks at round steps (1, 2, 2.5 or 5 times a power of
//! ten), so an axis reads 0, 5,000, 10,000 … rather than charts-rs's own
//! 0, 3,600, 7,200 ….

/// A value axis: from `min` to `max` in `splits` equal steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scale {
    pub min: f64,
    pub max: f64,
    pub splits: usize,
}

/// About this many steps make an axis easy to read at the default size.
const TARGET_SPLITS: f64 = 5.0;
/// charts-rs writes axis labels with one decimal, so a smaller step would
/// print the same label twice.
const MIN_STEP: f64 = 0.1;

/// The axis for values from `lo` to `hi` (finite). With `zero`, the axis
/// includes 0, as bars and areas need a baseline to be read honestly.
pub(super) fn nice(lo: f64, hi: f64, zero: bool) -> Scale {
    let (mut lo, mut hi) = if zero {
        (lo.min(0.0), hi.max(0.0))
    } else {
        (lo, hi)
    };
    if !zero && lo > 0.0 && lo < hi / 2.0 {
        // Close enough to 0 that starting there costs little resolution.
        lo = 0.0;
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        // One value: give it room around itself.
        let pad = (hi.abs() / 2.0).max(1.0);
        (lo, hi) = if zero {
            (lo.min(0.0), hi.max(0.0) + pad)
        } else {
            (lo - pad, hi + pad)
        };
        if zero && lo < 0.0 && hi <= pad {
            hi = 0.0;
            lo = lo.min(-pad);
        }
    }
    let raw = (hi - lo) / TARGET_SPLITS;
    let magnitude = 10_f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(10.0 * magnitude)
        .max(MIN_STEP);
    let min = (lo / step).floor() * step;
    let max = (hi / step).ceil() * step;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small positive count of steps"
    )]
    let splits = ((max - min) / step).round().max(1.0) as usize;
    Scale { min, max, splits }
}

/// Scales for the x and y axes of a scatter chart, with the same number of
/// steps: charts-rs draws the vertical grid lines at the y axis's step
/// count, so differing counts would put them off the x ticks. Each axis is
/// padded a little so no point sits on the frame.
pub(super) fn nice_pair(x: (f64, f64), y: (f64, f64)) -> (Scale, Scale) {
    let (x, y) = (padded(x), padded(y));
    let mut best: Option<(f64, Scale, Scale)> = None;
    for splits in 3..=7 {
        let (sx, sy) = (fixed(x, splits), fixed(y, splits));
        // Empty space on the axes, and a little for straying from 5 steps.
        let waste = 2.0 - (x.1 - x.0) / (sx.max - sx.min) - (y.1 - y.0) / (sy.max - sy.min)
            + 0.02 * (splits as f64 - TARGET_SPLITS).abs();
        if best.as_ref().is_none_or(|(w, _, _)| waste < *w) {
            best = Some((waste, sx, sy));
        }
    }
    best.map_or_else(
        || (nice(x.0, x.1, false), nice(y.0, y.1, false)),
        |(_, sx, sy)| (sx, sy),
    )
}

fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    let pad = ((hi - lo) * 0.03)
        .max(hi.abs().max(lo.abs()) * 1e-6)
        .max(1e-9);
    let low = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    (low, hi + pad)
}

/// The nice axis over `lo..hi` in exactly `splits` steps.
fn fixed((lo, hi): (f64, f64), splits: usize) -> Scale {
    let n = splits as f64;
    // Start from the smallest nice step that could fit, and grow.
    let raw = ((hi - lo) / n).max(MIN_STEP);
    let mut magnitude = 10_f64.powf(raw.log10().floor());
    for _ in 0..4 {
        for f in [1.0, 2.0, 2.5, 5.0] {
            let candidate = f * magnitude;
            if candidate < raw * 0.999 {
                continue;
            }
            let min = if lo >= 0.0 && lo < candidate * n / 2.0 {
                0.0
            } else {
                (lo / candidate).floor() * candidate
            };
            if min + candidate * n >= hi {
                return Scale {
                    min,
                    max: min + candidate * n,
                    splits,
                };
            }
        }
        magnitude *= 10.0;
    }
    // Unreachable in practice: a step ten times too large still fits.
    nice(lo, hi, false)
}

#[cfg(test)]
#[path = "axis_tests.rs"]
mod tests;
