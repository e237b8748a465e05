//! Slow, obvious reference implementations written straight from SPEC.md, for the
//! oracles to compare the crate against. Nothing here shares code with the crate.

use std::collections::HashSet;

use tracecontext::ErrorKind;

/// A tracestate member as the models hold it.
pub type Member = (String, String);

/// The most members a tracestate holds (S5).
pub const MAX_MEMBERS: usize = 32;
/// Members longer than this are cut first (S9).
pub const LONG_MEMBER: usize = 128;

/// `s` without leading and trailing spaces and tabs (T6, S3), and where it starts.
pub fn trim_ows(s: &[u8]) -> (usize, &[u8]) {
    let ows = |c: &u8| *c == b' ' || *c == b'\t';
    let start = s.iter().position(|c| !ows(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !ows(c)).map_or(start, |i| i + 1);
    (start, &s[start..end])
}

fn is_lower_hex(s: &[u8]) -> bool {
    s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// traceparent by T2–T6: `Some((trace_id, parent_id, flags))` when valid.
pub fn traceparent(input: &[u8]) -> Option<(u128, u64, u8)> {
    let (_, s) = trim_ows(input);
    if s.len() < 55 {
        return None;
    }
    let (version, trace, parent, flags) = (&s[0..2], &s[3..35], &s[36..52], &s[53..55]);
    let dashes = s[2] == b'-' && s[35] == b'-' && s[52] == b'-';
    if !dashes
        || ![version, trace, parent, flags]
            .iter()
            .all(|f| is_lower_hex(f))
    {
        return None;
    }
    match version {
        b"ff" => return None,
        b"00" if s.len() != 55 => return None,
        _ if s.len() > 55 && s[55] != b'-' => return None,
        _ => {}
    }
    let num = |f: &[u8]| u128::from_str_radix(std::str::from_utf8(f).ok()?, 16).ok();
    let (trace, parent, flags) = (num(trace)?, num(parent)? as u64, num(flags)? as u8);
    if trace == 0 || parent == 0 {
        return None;
    }
    Some((trace, parent, flags))
}

/// A key by S4 (Level 2 grammar).
pub fn valid_key(key: &[u8]) -> bool {
    let first = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let rest = |c: &u8| first(c) || matches!(c, b'_' | b'-' | b'*' | b'/' | b'@');
    (1..=256).contains(&key.len()) && first(&key[0]) && key[1..].iter().all(rest)
}

/// A value by S4: 1..256 printable ASCII but `,` and `=`, not ending in a space.
pub fn valid_value(value: &[u8]) -> bool {
    (1..=256).contains(&value.len())
        && value
            .iter()
            .all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && value.last() != Some(&b' ')
}

/// One trimmed, non-empty list element by S4, split at its first `=`.
pub fn member(m: &[u8]) -> Option<Member> {
    let eq = m.iter().position(|&c| c == b'=')?;
    let (key, value) = (&m[..eq], &m[eq + 1..]);
    if !(valid_key(key) && valid_value(value)) {
        return None;
    }
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
    Some((text(key)?, text(value)?))
}

/// Why a strict tracestate parse failed: the 1-based number of the offending member
/// (counting non-empty ones) and the bytes it spans in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub member: usize,
    pub start: usize,
    pub end: usize,
}

/// A tracestate list (several fields already joined with `,`) by S3–S6.
///
/// Strict: the first invalid member or the 33rd member refuses the whole list.
/// Lenient: invalid members are skipped, and the list ends after 32 valid ones.
pub fn tracestate(list: &[u8], strict: bool) -> Result<Vec<Member>, Refusal> {
    let mut out = Vec::new();
    let mut seen = 0;
    let mut at = 0;
    for raw in list.split(|&c| c == b',') {
        let (lead, m) = trim_ows(raw);
        let (start, end) = (at + lead, at + raw.len());
        at += raw.len() + 1;
        if m.is_empty() {
            continue;
        }
        seen += 1;
        let refusal = Refusal {
            member: seen,
            start,
            end,
        };
        match member(m) {
            Some(_) if out.len() == MAX_MEMBERS => {
                if strict {
                    return Err(refusal);
                }
                break;
            }
            Some(kv) => out.push(kv),
            None if strict => return Err(refusal),
            None => {}
        }
    }
    Ok(out)
}

/// The encoded length of members joined with `,`.
pub fn encoded_len(members: &[Member]) -> usize {
    members
        .iter()
        .map(|(k, v)| k.len() + 1 + v.len())
        .sum::<usize>()
        + members.len().saturating_sub(1)
}

/// The members joined as a header value.
pub fn encode(members: &[Member]) -> String {
    let parts: Vec<String> = members.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(",")
}

/// Cuts whole members until the encoding fits in `limit` (S9): members longer than
/// 128 bytes first, right-most first, then from the right-hand end. With
/// `keep_first`, the left-most member (one just inserted) is never dropped.
pub fn cut(members: &mut Vec<Member>, limit: usize, keep_first: bool) {
    let from = usize::from(keep_first);
    while encoded_len(members) > limit && members.len() > from {
        let long = (from..members.len())
            .rev()
            .find(|&i| members[i].0.len() + 1 + members[i].1.len() > LONG_MEMBER);
        members.remove(long.unwrap_or(members.len() - 1));
    }
}

/// An owned tracestate as a plain `Vec`, following S5, S7, S8 and S9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub members: Vec<Member>,
    pub cap: usize,
}

impl Model {
    /// A parsed state: the members as they arrived (duplicates kept), cut to `cap`.
    pub fn parsed(mut members: Vec<Member>, cap: usize) -> Self {
        cut(&mut members, cap, false);
        Model { members, cap }
    }

    /// Drops later duplicates: what the first mutation does (S7).
    fn dedupe(&mut self) {
        let mut seen = HashSet::new();
        self.members.retain(|(k, _)| seen.insert(k.clone()));
    }

    /// Adds or updates a member at the front (S8); errors change nothing.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), ErrorKind> {
        if !valid_key(key.as_bytes()) {
            return Err(ErrorKind::Key);
        }
        if !valid_value(value.as_bytes()) {
            return Err(ErrorKind::Value);
        }
        if key.len() + 1 + value.len() > self.cap {
            return Err(ErrorKind::Capacity);
        }
        self.dedupe();
        self.members.retain(|(k, _)| k != key);
        if self.members.len() == MAX_MEMBERS {
            self.members.pop();
        }
        self.members.insert(0, (key.to_owned(), value.to_owned()));
        cut(&mut self.members, self.cap, true);
        Ok(())
    }

    /// Removes a key; whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        self.dedupe();
        let before = self.members.len();
        self.members.retain(|(k, _)| k != key);
        self.members.len() != before
    }

    /// Cuts to `limit` bytes by S9.
    pub fn truncate(&mut self, limit: usize) {
        self.dedupe();
        cut(&mut self.members, limit, false);
    }

    /// The left-most value for a key (S7).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether `text` is a valid `ot` value by P1–P3, read the slow way.
pub fn ot_is_valid(text: &str) -> bool {
    if text.len() > 256 {
        return false;
    }
    let mut keys: Vec<&str> = Vec::new();
    for item in text.split(';') {
        let Some((key, value)) = item.split_once(':') else {
            return false;
        };
        let key_ok = key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let value_ok = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !key_ok || !value_ok || keys.contains(&key) {
            return false;
        }
        let hex = |s: &str| s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
        match key {
            "th" if !(1..=14).contains(&value.len()) || !hex(value) => return false,
            "rv" if value.len() != 14 || !hex(value) => return false,
            _ => {}
        }
        keys.push(key);
    }
    true
}
