//! Word-at-a-time byte classification ("SIMD within a register"), in safe code.
//!
//! Eight input bytes are read as one little-endian `u64`, so byte lane `i` holds
//! input byte `i`. The functions below set the high bit of each lane that satisfies
//! a test, with exact per-lane arithmetic: no carry or borrow ever crosses a lane
//! boundary, so the answer for one byte never depends on its neighbours (the unit
//! tests check every byte value in every lane against a byte-at-a-time reference).

/// `0x01` in every byte lane.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte lane.
pub(crate) const HIGH: u64 = ONES * 0x80;
/// The low seven bits of every byte lane.
const LOW7: u64 = ONES * 0x7f;

/// Reads eight bytes of `s` starting at `at` as a little-endian word (one bounds
/// check). Callers only ask for words that lie inside `s`; past its end the word is
/// zero, which no class accepts.
#[inline(always)]
pub(crate) const fn load(s: &[u8], at: usize) -> u64 {
    if at > s.len() {
        return 0;
    }
    match s.split_at(at).1.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => 0,
    }
}

/// The high bit of each lane whose low seven bits `b7` (given as `x7 = x & 0x7f..`)
/// satisfy `lo <= b7 <= hi`, for `hi <= 127`.
///
/// `128 + hi - b7` stays within `1..=255` and `b7 + 128 - lo` within `0..=255`, so
/// neither the subtraction nor the addition carries or borrows across lanes; their
/// high bits say `b7 <= hi` and `b7 >= lo`.
#[inline(always)]
const fn in_range(x7: u64, lo: u8, hi: u8) -> u64 {
    (ONES * (128 + hi as u64)).wrapping_sub(x7) & (x7 + ONES * (128 - lo as u64))
}

/// The high bit of each lane whose byte lies in one of the inclusive `ranges` (all
/// within ASCII, `hi <= 127`); bytes with the high bit set never qualify.
#[inline(always)]
pub(crate) const fn in_ranges<const N: usize>(x: u64, ranges: [(u8, u8); N]) -> u64 {
    let x7 = x & LOW7;
    let mut acc = 0;
    let mut k = 0;
    while k < N {
        acc |= in_range(x7, ranges[k].0, ranges[k].1);
        k += 1;
    }
    acc & !x & HIGH
}

/// The first `,` from `at`, a word of eight bytes at a time.
#[inline]
pub(crate) fn find_comma(text: &[u8], at: usize) -> Option<usize> {
    find_first_of(text, at, [b','])
}

/// Where the first byte of `text` at or after `at` that is one of `bytes` lies,
/// read eight bytes at a time.
#[inline]
pub(crate) fn find_first_of<const N: usize>(
    text: &[u8],
    mut at: usize,
    bytes: [u8; N],
) -> Option<usize> {
    while let Some(word) = text.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_le_bytes(*word);
        let mut found = 0;
        for byte in bytes {
            // A byte of `zeros` is zero where the word holds `byte`; the lowest
            // high bit left in `found` is the first match (the borrows that make
            // others wrong only go upwards).
            let zeros = word ^ (ONES * u64::from(byte));
            found |= zeros.wrapping_sub(ONES) & !zeros & HIGH;
        }
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    text.get(at..)?
        .iter()
        .position(|c| bytes.contains(c))
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `lanes` on every byte value in every lane, among neighbours that would
    /// expose a carry, and compares with `expect`.
    fn check(lanes: impl Fn(u64) -> u64, expect: impl Fn(u8) -> bool) {
        for fill in [0x00u8, 0x20, 0x2c, 0x3d, 0x7f, 0x80, 0xff, b'a', b'0'] {
            for lane in 0..8 {
                for c in 0..=255u8 {
                    let mut w = [fill; 8];
                    w[lane] = c;
                    let got = lanes(u64::from_le_bytes(w));
                    for (i, &b) in w.iter().enumerate() {
                        let bit = got >> (8 * i + 7) & 1 == 1;
                        assert_eq!(bit, expect(b), "byte {b:#04x} lane {i} (fill {fill:#04x})");
                    }
                    assert_eq!(got & !HIGH, 0);
                }
            }
        }
    }

    #[test]
    fn in_ranges_matches_the_reference() {
        for (lo, hi) in [
            (0x20, 0x7e),
            (b'0', b'9'),
            (b'a', b'f'),
            (0, 0),
            (0, 127),
            (127, 127),
        ] {
            check(|x| in_ranges(x, [(lo, hi)]), |b| lo <= b && b <= hi);
        }
        let ranges = [(b'*', b'*'), (b'-', b'-'), (b'/', b'9'), (b'a', b'z')];
        let expect = |b: u8| ranges.iter().any(|&(lo, hi)| lo <= b && b <= hi);
        check(|x| in_ranges(x, ranges), expect);
    }

    #[test]
    fn find_comma_finds_the_first_comma_wherever_it_is() {
        for c in 0..=255u8 {
            for len in 1..=40 {
                for at in 0..len {
                    let mut text = [b'a'; 40];
                    text[at] = c;
                    let comma = find_comma(&text[..len], 0);
                    assert_eq!(comma, (c == b',').then_some(at), "comma at {at} of {len}");
                }
            }
        }
        assert_eq!(find_comma(b"", 0), None);
        assert_eq!(find_comma(b"a,b,c", 2), Some(3));
        // Next to a `,`, any byte: the first `,` is found, wherever it is in a
        // word.
        for c in 0..=255u8 {
            for at in 0..24 {
                let mut text = [b'a'; 24];
                text[at] = b',';
                if at + 1 < text.len() {
                    text[at + 1] = c;
                }
                if at > 0 {
                    text[at - 1] = c;
                }
                let first = if c == b',' { at.saturating_sub(1) } else { at };
                assert_eq!(find_comma(&text, 0), Some(first), "{c:#04x} by {at}");
            }
        }
    }

    #[test]
    fn find_first_of_finds_the_first_of_its_bytes_wherever_they_are() {
        let needles = [b';', b' ', b'\t'];
        let reference =
            |text: &[u8], from: usize| (from..text.len()).find(|&i| needles.contains(&text[i]));
        for c in 0..=255u8 {
            for len in 1..=24 {
                for at in 0..len {
                    for from in [0, 1, 3] {
                        // A needle two bytes on, so that a byte found wrongly
                        // past the first match would show.
                        let mut text = [b'a'; 24];
                        text[at] = c;
                        if at + 2 < len {
                            text[at + 2] = b' ';
                        }
                        let text = &text[..len];
                        let got = find_first_of(text, from, needles);
                        assert_eq!(
                            got,
                            reference(text, from),
                            "{c:#04x} at {at} of {len} from {from}"
                        );
                    }
                }
            }
        }
        assert_eq!(find_first_of(b"", 0, needles), None);
        assert_eq!(find_first_of(b"ab", 5, needles), None);
    }

    #[test]
    fn load_reads_little_endian_and_is_zero_past_the_end() {
        let s = b"0123456789";
        assert_eq!(load(s, 0), u64::from_le_bytes(*b"01234567"));
        assert_eq!(load(s, 2), u64::from_le_bytes(*b"23456789"));
        assert_eq!(load(s, 3), 0);
        assert_eq!(load(s, 11), 0);
    }
}
