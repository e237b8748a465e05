//! Reference parsers shared by the integration tests: byte by byte, written
//! straight from the rules (`docs/RULES.md`), obviously correct and slow. Each test
//! file uses some of them.
#![allow(dead_code)]

use tracecontext::{TraceState, TraceStateView};

// ---------------------------------------------------------------------------------
// Reference parsers: byte by byte, obviously correct, slow.
// ---------------------------------------------------------------------------------

/// Lowercase hex digit value (T2: `0-9a-f` only).
pub fn ref_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The value of a run of lowercase hex digits (at most 32).
pub fn ref_hex(s: &[u8]) -> Option<u128> {
    let mut v: u128 = 0;
    for &c in s {
        v = (v << 4) | u128::from(ref_digit(c)?);
    }
    Some(v)
}

/// Strips spaces and tabs at both ends (T6, S3).
pub fn ref_trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// (trace-id, parent-id, raw flag bits).
pub type RefTp = (u128, u64, u8);

/// Rules T2-T6.
pub fn ref_traceparent(input: &[u8]) -> Option<RefTp> {
    let s = ref_trim(input);
    if s.len() < 55 {
        return None;
    }
    let version = ref_hex(&s[0..2])?;
    if version == 0xff {
        return None; // T3
    }
    if s[2] != b'-' || s[35] != b'-' || s[52] != b'-' {
        return None;
    }
    let trace = ref_hex(&s[3..35])?;
    let parent = ref_hex(&s[36..52])? as u64;
    let flags = ref_hex(&s[53..55])? as u8;
    if version == 0 && s.len() != 55 {
        return None; // T2, T3
    }
    if version != 0 && s.len() > 55 && s[55] != b'-' {
        return None; // T5
    }
    if trace == 0 || parent == 0 {
        return None; // T4
    }
    Some((trace, parent, flags))
}

/// A standalone ID: exactly `width` lowercase hex digits, not all zero.
pub fn ref_id(s: &[u8], width: usize) -> Option<u128> {
    if s.len() != width {
        return None;
    }
    match ref_hex(s)? {
        0 => None,
        v => Some(v),
    }
}

/// S4 key, Level 2 grammar.
pub fn ref_key_ok(k: &[u8]) -> bool {
    let first = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let rest = |c: u8| first(c) || b"_-*/@".contains(&c);
    !k.is_empty() && k.len() <= 256 && first(k[0]) && k[1..].iter().all(|&c| rest(c))
}

/// S4 value: 1..256 of 0x20..0x7e except `,` and `=`, not ending in a space.
pub fn ref_value_ok(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= 256
        && v.iter()
            .all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && v.last() != Some(&b' ')
}

pub type Members = Vec<(String, String)>;

/// The members of a list (S3, S4), valid or not, as `Some((key, value))` for a valid
/// member and `None` for an invalid one; empty members skipped.
pub fn ref_members(list: &[u8]) -> Vec<Option<(String, String)>> {
    let mut out = Vec::new();
    for member in list.split(|&c| c == b',') {
        let m = ref_trim(member);
        if m.is_empty() {
            continue;
        }
        let parsed = m.iter().position(|&c| c == b'=').and_then(|eq| {
            let (k, v) = (&m[..eq], &m[eq + 1..]);
            (ref_key_ok(k) && ref_value_ok(v)).then(|| {
                (
                    String::from_utf8(k.to_vec()).unwrap(),
                    String::from_utf8(v.to_vec()).unwrap(),
                )
            })
        });
        out.push(parsed);
    }
    out
}

/// Strict tracestate (S3-S6): any invalid member or more than 32 members is invalid.
pub fn ref_tracestate(list: &[u8]) -> Option<Members> {
    let members: Option<Members> = ref_members(list).into_iter().collect();
    members.filter(|m| m.len() <= 32)
}

/// Lenient tracestate: the valid members, the first 32 of them.
pub fn ref_tracestate_lenient(list: &[u8]) -> Members {
    ref_members(list).into_iter().flatten().take(32).collect()
}

pub fn ref_join(members: &[(String, String)]) -> String {
    members
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn member_len(m: &(String, String)) -> usize {
    m.0.len() + 1 + m.1.len()
}

/// S9: drop whole members until the list fits `limit`: members longer than 128
/// bytes first (right-most first), then from the right-hand end; never index
/// `protect`.
pub fn ref_cut(members: &mut Members, limit: usize, protect: Option<usize>) {
    while ref_join(members).len() > limit {
        let candidates: Vec<usize> = (0..members.len()).filter(|&i| Some(i) != protect).collect();
        let long = candidates
            .iter()
            .rev()
            .find(|&&i| member_len(&members[i]) > 128);
        let Some(&victim) = long.or(candidates.last()) else {
            break;
        };
        members.remove(victim);
        // Indices after `victim` shift left; `protect` is only ever 0, before any
        // victim, so it stays valid.
    }
}

/// S7: keep the left-most member of each key.
pub fn ref_dedupe(members: &mut Members) {
    let mut seen = Vec::new();
    members.retain(|(k, _)| {
        if seen.contains(k) {
            false
        } else {
            seen.push(k.clone());
            true
        }
    });
}

// ---------------------------------------------------------------------------------
// The crate's members as owned pairs, to compare with the references.
// ---------------------------------------------------------------------------------

pub fn view_members<'a, I: Iterator<Item = &'a [u8]> + Clone>(
    v: &TraceStateView<'a, I>,
) -> Members {
    v.iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub fn state_members<const CAP: usize>(s: &TraceState<CAP>) -> Members {
    s.iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}
