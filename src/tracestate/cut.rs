//! Cutting a tracestate to a byte limit (rule S9).

use super::LONG_MEMBER;

/// Chooses members to drop so that the rest, joined with commas, fits in `limit`
/// bytes (rule S9): members longer than [`LONG_MEMBER`] first, right-most first,
/// then from the right-hand end. `lens[i]` is member `i`'s length without its comma;
/// `keep[i]` is cleared for each dropped member. `protect` names a member never
/// dropped (one just inserted), if any.
pub(super) fn plan_cut(lens: &[u16], keep: &mut [bool], limit: usize, protect: Option<usize>) {
    let mut count = keep.iter().filter(|k| **k).count();
    let sum: usize = lens
        .iter()
        .zip(&*keep)
        .filter(|(_, k)| **k)
        .map(|(l, _)| usize::from(*l))
        .sum();
    let mut total = sum + count.saturating_sub(1);
    // Two sweeps from the right: long members first, then any. Each drop takes the
    // member's bytes and, unless it was the last one, one comma.
    for long_only in [true, false] {
        for i in (0..lens.len()).rev() {
            if total <= limit {
                return;
            }
            let len = usize::from(lens[i]);
            if keep[i] && Some(i) != protect && (!long_only || len > LONG_MEMBER) {
                keep[i] = false;
                total -= len + usize::from(count > 1);
                count -= 1;
            }
        }
    }
}
