//! Lowercase hexadecimal, eight characters at a time.
//!
//! The trace-id and parent-id fields are 32 and 16 lowercase hex digits. Instead of
//! looking each digit up in a table, the codec treats eight ASCII bytes as one `u64`
//! (see [`crate::swar`]) and validates and converts all eight lanes with a handful of
//! arithmetic operations.

use crate::swar::{HIGH, ONES, in_ranges};

/// The low nibble of every byte lane.
const NIBBLE: u64 = ONES * 0x0f;

/// The high bit of each lane that holds a lowercase hex digit (`0-9`, `a-f`).
#[inline(always)]
const fn hex_lanes(x: u64) -> u64 {
    in_ranges(x, [(b'0', b'9'), (b'a', b'f')])
}

/// Decodes eight characters (as a little-endian word) into the big-endian value of
/// the four bytes they spell. The second value is [`HIGH`] exactly when all eight
/// characters are lowercase hex digits; the first is meaningless otherwise.
#[inline(always)]
pub(crate) const fn decode_word(x: u64) -> (u32, u64) {
    let valid = hex_lanes(x);
    // '0'..'9' are 0x30..0x39 and 'a'..'f' are 0x61..0x66: the low nibble plus 9 when
    // bit 6 (set only for letters) is set gives the digit value.
    let n = (x & NIBBLE) + ((x >> 6) & ONES) * 9;
    // Lane 2k becomes (n[2k] << 4) | n[2k + 1].
    let p = ((n << 4) | (n >> 8)) & 0x00ff_00ff_00ff_00ff;
    // Gather lanes 0, 2, 4, 6 into the low four bytes.
    let q = (p | (p >> 8)) & 0x0000_ffff_0000_ffff;
    let r = (q | (q >> 16)) as u32;
    (r.swap_bytes(), valid)
}

/// Encodes the four bytes of `v` (big-endian) as eight lowercase hex characters,
/// returned as a little-endian word (lane `i` is character `i`).
#[inline(always)]
pub(crate) const fn encode_word(v: u32) -> u64 {
    let x = v.swap_bytes() as u64; // byte k of the value sits in lane k
    let y = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    let y = (y | (y << 8)) & 0x00ff_00ff_00ff_00ff; // byte k in lane 2k
    let hi = (y >> 4) & NIBBLE;
    let lo = (y & NIBBLE) << 8;
    let n = hi | lo; // one nibble per lane, in printing order
    // Lanes holding 10..15 reach 0x80 when 0x76 is added: those get 'a' - '0' - 10 more.
    let letters = ((n + ONES * 0x76) >> 7) & ONES;
    n + ONES * b'0' as u64 + letters * (b'a' - b'0' - 10) as u64
}

/// Whether a validity mask from [`decode_word`] (all masks ANDed together) says
/// that every character was a lowercase hex digit.
#[inline(always)]
pub(crate) const fn all_valid(mask: u64) -> bool {
    mask == HIGH
}

/// Decodes `2 * N` lowercase hex characters at `s[at..]` into `N` bytes. `N` must be
/// a multiple of 4 and the slice long enough (checked by the callers' one length check).
#[inline(always)]
pub(crate) const fn decode<const N: usize>(s: &[u8], at: usize) -> Option<[u8; N]> {
    let mut words = [0u64; MAX_WORDS];
    let mut k = 0;
    while k < N / 4 {
        words[k] = crate::swar::load(s, at + 8 * k);
        k += 1;
    }
    from_words(&words)
}

/// The trace-id of a context's 55-byte header (a valid `traceparent`), read only
/// in the 8-byte words that start at multiples of 8: within the pieces in which
/// copying the header stores it. The IDs are decoded right after the header was
/// copied, and a word read across two of those pieces waits until both have
/// been stored. Each word is decoded on its own before the values are put
/// together, so that the compiler cannot merge two aligned loads back into one
/// that straddles them.
#[inline(always)]
pub(crate) fn header_trace_id(header: &[u8; HEADER_LEN]) -> u128 {
    // Characters 0..32, then 32..40; the trace-id is 3..35.
    let head = [0, 8, 16, 24].into_iter().fold(0u128, |v, at| {
        (v << 32) | u128::from(header_value(header, at))
    });
    (head << 12) | u128::from(header_value(header, 32) >> 20)
}

/// The span-id of a context's header, read as [`header_trace_id`] reads the
/// trace-id: characters 36..52, from the words at 32 and 40 and the four
/// characters at 48.
#[inline(always)]
pub(crate) fn header_span_id(header: &[u8; HEADER_LEN]) -> u64 {
    let [a, b, c] = [32, 40, 48].map(|at| u64::from(header_value(header, at)));
    (a << 48) | (b << 16) | (c >> 16)
}

/// The eight characters at `at` (a multiple of 8) of a valid header as the
/// number they spell in hex, the first the most significant; past the last
/// whole word, the four characters there in the top half.
#[inline(always)]
fn header_value(header: &[u8; HEADER_LEN], at: usize) -> u32 {
    decode_word(aligned_word(header, at)).0
}

/// The most words of eight characters one ID spells (a trace-id's 32).
const MAX_WORDS: usize = 4;

/// The length of a context's header, a `traceparent` of version `00`.
const HEADER_LEN: usize = crate::TraceParent::LEN;

/// The word at `at`, a multiple of 8; past the last whole word, only its first
/// four bytes (the rest of the span-id, the other lanes zero). Four bytes, not
/// the eight that end the header: copies of the header often store its last
/// eight bytes over the end of the word before, and a load of them would wait
/// for both stores.
#[inline(always)]
fn aligned_word(header: &[u8; HEADER_LEN], at: usize) -> u64 {
    if at + 8 <= HEADER_LEN {
        return crate::swar::load(header, at);
    }
    match header.split_at(at).1.first_chunk::<4>() {
        Some(bytes) => u64::from(u32::from_le_bytes(*bytes)),
        None => 0,
    }
}

/// Decodes the first `N / 4` of `words`, eight characters each.
#[inline(always)]
const fn from_words<const N: usize>(words: &[u64; MAX_WORDS]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let mut mask = HIGH;
    let mut k = 0;
    while k < N / 4 {
        let (v, valid) = decode_word(words[k]);
        mask &= valid;
        let bytes = v.to_be_bytes();
        let mut i = 0;
        while i < 4 {
            out[4 * k + i] = bytes[i];
            i += 1;
        }
        k += 1;
    }
    if all_valid(mask) { Some(out) } else { None }
}

/// Writes `W` big-endian 32-bit words as `8 * W` lowercase hex characters to
/// `out[at..]`. Callers split their integer with [`words_u128`] or [`words_u64`]:
/// going through a byte array instead measured slower.
#[inline(always)]
pub(crate) const fn encode_words<const W: usize>(words: [u32; W], out: &mut [u8], at: usize) {
    let mut k = 0;
    while k < W {
        let chars = encode_word(words[k]).to_le_bytes();
        let mut i = 0;
        while i < 8 {
            out[at + 8 * k + i] = chars[i];
            i += 1;
        }
        k += 1;
    }
}

/// The four 32-bit words of `v`, most significant first.
#[inline(always)]
pub(crate) const fn words_u128(v: u128) -> [u32; 4] {
    [
        (v >> 96) as u32,
        (v >> 64) as u32,
        (v >> 32) as u32,
        v as u32,
    ]
}

/// The two 32-bit words of `v`, most significant first.
#[inline(always)]
pub(crate) const fn words_u64(v: u64) -> [u32; 2] {
    [(v >> 32) as u32, v as u32]
}

/// The value of one lowercase hex digit, or `None`.
#[inline(always)]
pub(crate) const fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The value of two lowercase hex digits, or `None`.
#[inline(always)]
pub(crate) const fn byte(hi: u8, lo: u8) -> Option<u8> {
    match (digit(hi), digit(lo)) {
        (Some(h), Some(l)) => Some(h << 4 | l),
        _ => None,
    }
}

/// Two lowercase hex digits for `b`.
#[inline(always)]
pub(crate) const fn byte_digits(b: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [DIGITS[(b >> 4) as usize], DIGITS[(b & 0x0f) as usize]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_is_hex(c: u8) -> bool {
        c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
    }

    #[test]
    fn every_byte_in_every_lane_is_classified_like_the_reference() {
        let filler = *b"01234567";
        for lane in 0..8 {
            for c in 0..=255u8 {
                let mut w = filler;
                w[lane] = c;
                let (_, valid) = decode_word(u64::from_le_bytes(w));
                assert_eq!(
                    all_valid(valid),
                    reference_is_hex(c),
                    "byte {c:#04x} lane {lane}"
                );
            }
        }
    }

    #[test]
    fn neighbouring_lanes_do_not_disturb_each_other() {
        // Every pair of adjacent characters, valid or not, at every lane position.
        for lane in 0..7 {
            for a in 0..=255u8 {
                for b in [
                    0u8, b'/', b'0', b'9', b':', b'`', b'a', b'f', b'g', 0x7f, 0x80, 0xff,
                ] {
                    let mut w = *b"fedcba98";
                    w[lane] = a;
                    w[lane + 1] = b;
                    let (_, valid) = decode_word(u64::from_le_bytes(w));
                    let expect = reference_is_hex(a) && reference_is_hex(b);
                    assert_eq!(all_valid(valid), expect, "{a:#04x} {b:#04x} at {lane}");
                }
            }
        }
    }

    #[test]
    fn words_round_trip_and_match_the_byte_codec() {
        let mut x: u32 = 0x9e37_79b9;
        for _ in 0..100_000 {
            x = x.wrapping_mul(0x0019_660d).wrapping_add(0x3c6e_f35f);
            let chars = encode_word(x).to_le_bytes();
            let mut expect = [0u8; 8];
            for (i, b) in x.to_be_bytes().iter().enumerate() {
                expect[2 * i..2 * i + 2].copy_from_slice(&byte_digits(*b));
            }
            assert_eq!(chars, expect);
            let (back, valid) = decode_word(u64::from_le_bytes(chars));
            assert!(all_valid(valid));
            assert_eq!(back, x);
        }
    }

    #[test]
    fn every_byte_value_encodes_and_decodes_in_every_position() {
        for pos in 0..4 {
            for b in 0..=255u8 {
                let mut bytes = [0x5au8; 4];
                bytes[pos] = b;
                let v = u32::from_be_bytes(bytes);
                let (back, valid) = decode_word(encode_word(v));
                assert!(all_valid(valid));
                assert_eq!(back, v);
            }
        }
    }

    #[test]
    fn two_digit_helpers() {
        for b in 0..=255u8 {
            let [h, l] = byte_digits(b);
            assert_eq!(byte(h, l), Some(b));
        }
        assert_eq!(byte(b'A', b'0'), None);
        assert_eq!(byte(b'0', b'g'), None);
    }

    #[test]
    fn a_headers_ids_decode_from_its_aligned_words_as_from_their_places() {
        // Headers of hex digits throughout, every one different from the next,
        // so that a character taken from the wrong place shows.
        let digits = b"0123456789abcdef";
        for step in [1, 3, 5, 7, 11, 13] {
            for offset in 0..16 {
                let mut header = [0u8; HEADER_LEN];
                for (i, c) in header.iter_mut().enumerate() {
                    *c = digits[(i * step + offset) % 16];
                }
                let trace = decode::<16>(&header, 3).map(u128::from_be_bytes);
                assert_eq!(Some(header_trace_id(&header)), trace, "{step} {offset}");
                let span = decode::<8>(&header, 36).map(u64::from_be_bytes);
                assert_eq!(Some(header_span_id(&header)), span, "{step} {offset}");
            }
        }
    }
}
