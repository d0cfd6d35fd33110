//! From wall-clock cron matches to instants, across DST transitions.
//!
//! The rules, for a cron schedule in a zone:
//! - A wall time that does not exist (the spring-forward gap) runs once, at
//!   the instant it would have had without the jump ("compatible", as jiff
//!   and RFC 5545 say): a 02:30 daily run on Berlin's spring-forward day
//!   runs at 03:30 CEST. If that instant is already another match (a 03:30
//!   run too), it runs once.
//! - A wall time that happens twice (the fall-back fold) runs once, in the
//!   first pass, unless the hour field is `*`: such a frequent schedule runs
//!   in both passes, so elapsed time between runs has no hole.
//! - Runs are strictly after the given instant, so a daemon restarted inside
//!   a repeated hour does not run the first pass's job again.
//!
//! Mapping wall times to instants is not monotonic near a transition (02:30
//! in a gap maps after 03:00), so the search starts early enough to see
//! every wall time that can map past `after`, and keeps looking until no
//! later wall time can map before the best instant found.

use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::civil::Minute;
use crate::cron::Cron;

/// How far from `after` a transition is looked for. The longest gap on
/// record is Samoa's skipped day (24 h) in 2011.
const WINDOW: SignedDuration = SignedDuration::from_hours(48);
/// A bound on candidates examined, far above what the rules need (a full
/// day of minutes after a 24-hour gap), so that no input can spin.
const MAX_CANDIDATES: u32 = 4_000;

/// The first instant strictly after `after` at which `cron` runs in `tz`.
/// `None` when it never runs again within the search horizon (decades).
pub(crate) fn next_after(cron: &Cron, tz: &TimeZone, after: Timestamp) -> Option<Timestamp> {
    let here = tz.to_offset(after);
    let before = after.checked_sub(WINDOW).map_or(here, |t| tz.to_offset(t));
    let ahead = after.checked_add(WINDOW).map_or(here, |t| tz.to_offset(t));
    let low = here.min(before).min(ahead);
    let mut high = here.max(before).max(ahead);

    // A candidate wall time `c` runs at `c - offset` for some offset in
    // [low, high]; it can be after `after` only if `c > after + low`.
    let mut candidate = Minute::of(after, low).succ();
    let mut best: Option<Timestamp> = None;
    for _ in 0..MAX_CANDIDATES {
        let found = cron.next_civil(candidate)?;
        if let Some(best) = best
            && found
                .at_offset(high)
                .is_none_or(|earliest| earliest >= best)
        {
            break;
        }
        for instant in instants(cron, tz, found, &mut high).into_iter().flatten() {
            if instant > after && best.is_none_or(|b| instant < b) {
                best = Some(instant);
            }
        }
        candidate = found.succ();
    }
    best
}

/// The instants at which a matching wall time runs (see the module rules),
/// widening `high` when a transition's later offset shows up.
fn instants(cron: &Cron, tz: &TimeZone, at: Minute, high: &mut Offset) -> [Option<Timestamp>; 2] {
    let Some(datetime) = at.to_datetime() else {
        return [None, None];
    };
    match tz.to_ambiguous_timestamp(datetime).offset() {
        AmbiguousOffset::Unambiguous { offset } => [at.at_offset(offset), None],
        AmbiguousOffset::Gap { before, after } => {
            *high = (*high).max(after).max(before);
            [at.at_offset(before), None]
        }
        AmbiguousOffset::Fold { before, after } => {
            *high = (*high).max(after).max(before);
            let second = cron.every_hour().then(|| at.at_offset(after)).flatten();
            [at.at_offset(before), second]
        }
    }
}
