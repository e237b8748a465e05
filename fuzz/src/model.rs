//! Slow, obvious reference implementations written straight from the rules
//! (`docs/RULES.md`), for the oracles to compare the crate against. Nothing here
//! shares code with the crate: only `ErrorKind` is borrowed, to name what failed.

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

/// The sub-keys of an `ot` value, in order.
pub type OtItems = Vec<(String, String)>;

/// The low 56 bits: randomness and thresholds live in `[0, 2^56)` (P2, P4).
pub const MASK: u64 = (1 << 56) - 1;

fn lower_hex(c: u8) -> bool {
    matches!(c, b'0'..=b'9' | b'a'..=b'f')
}

/// `th` digits by P2: 1 to 14 lowercase hex digits, padded on the right with `0` to
/// 14; else the offset of the problem in `digits` (0 for a bad length).
pub fn threshold(digits: &str) -> Result<u64, usize> {
    if !(1..=14).contains(&digits.len()) {
        return Err(0);
    }
    if let Some(i) = digits.bytes().position(|c| !lower_hex(c)) {
        return Err(i);
    }
    let padded = format!("{digits:0<14}");
    Ok(u64::from_str_radix(&padded, 16).expect("14 hex digits"))
}

/// The `th` digits of `t` by P2: 14 hex digits, trailing zeros removed, `0` for 0.
pub fn threshold_digits(t: u64) -> String {
    let digits = format!("{t:014x}");
    match digits.trim_end_matches('0') {
        "" => "0".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// `rv` by P3: exactly 14 lowercase hex digits; else the offset of the problem.
pub fn randomness(digits: &str) -> Result<u64, usize> {
    if digits.len() != 14 {
        return Err(0);
    }
    if let Some(i) = digits.bytes().position(|c| !lower_hex(c)) {
        return Err(i);
    }
    Ok(u64::from_str_radix(digits, 16).expect("14 hex digits"))
}

/// An `ot` value read by P1–P3 the slow way (split at `;`, then at the first `:`):
/// its sub-keys in order, or the kind and byte offset of the first problem, reading
/// left to right (within an item: the sub-key, its `:`, the value's characters, then
/// `th`/`rv` digits, then a repeated sub-key).
pub fn ot(text: &str) -> Result<OtItems, (ErrorKind, usize)> {
    if text.len() > 256 {
        return Err((ErrorKind::OtLength, 256));
    }
    let mut items: OtItems = Vec::new();
    let mut at = 0;
    for item in text.split(';') {
        let start = at;
        at += item.len() + 1;
        let (key, value) = match item.find(':') {
            Some(i) => (&item[..i], Some((&item[i + 1..], start + i + 1))),
            None => (item, None),
        };
        let bad_key = key
            .bytes()
            .enumerate()
            .position(|(i, c)| !(c.is_ascii_lowercase() || (i > 0 && c.is_ascii_digit())));
        if let Some(i) = bad_key {
            return Err((ErrorKind::SubKey, start + i));
        }
        if key.is_empty() {
            return Err((ErrorKind::SubKey, start));
        }
        let Some((value, value_at)) = value else {
            return Err((ErrorKind::SubKey, start + key.len()));
        };
        let allowed = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
        if let Some(i) = value.bytes().position(|c| !allowed(c)) {
            return Err((ErrorKind::SubValue, value_at + i));
        }
        match key {
            "th" => threshold(value).map_err(|i| (ErrorKind::Threshold, value_at + i))?,
            "rv" => randomness(value).map_err(|i| (ErrorKind::Randomness, value_at + i))?,
            _ => 0,
        };
        if items.iter().any(|(k, _)| k == key) {
            return Err((ErrorKind::SubKey, start));
        }
        items.push((key.to_owned(), value.to_owned()));
    }
    Ok(items)
}

/// The value of sub-key `key`.
pub fn ot_get<'i>(items: &'i OtItems, key: &str) -> Option<&'i str> {
    items
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The sub-keys joined as an `ot` value.
pub fn ot_encode(items: &OtItems) -> String {
    let parts: Vec<String> = items.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    parts.join(";")
}

/// `items` with `th` set to `th` (in its place, else first) or removed, and `rv`
/// added right after where `th` goes when given and absent (P1, P3).
pub fn ot_with(items: &OtItems, th: Option<u64>, rv: Option<u64>) -> OtItems {
    let rv = rv.filter(|_| ot_get(items, "rv").is_none());
    let mut new: OtItems = Vec::new();
    if let Some(t) = th {
        new.push(("th".to_owned(), threshold_digits(t)));
    }
    if let Some(r) = rv {
        new.push(("rv".to_owned(), format!("{r:014x}")));
    }
    match items.iter().position(|(k, _)| k == "th") {
        None => new.extend(items.iter().cloned()),
        Some(i) => {
            let mut out = items[..i].to_vec();
            out.extend(new);
            out.extend(items[i + 1..].iter().cloned());
            return out;
        }
    }
    new
}

/// What a parent-based sampler does in one case (`Rule` of the crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Follow the parent's sampled flag.
    Follow,
    /// Always sample.
    On,
    /// Never sample.
    Off,
    /// Ask the root sampler.
    Root,
}

/// The samplers with no parent-based logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basic {
    On,
    Off,
    /// Consistent probability sampling with this threshold; `None` samples nothing.
    Probability(Option<u64>),
}

/// A sampler, as the model decides for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampler {
    Basic(Basic),
    /// A rate limit, whose verdict for this decision is known.
    Rate(bool),
    /// Rules for a remote sampled, remote unsampled, local sampled and local
    /// unsampled parent; with `trust_remote_th` false, the root sampler deciding
    /// for a remote parent sees neither the parent nor its `th`.
    ParentBased {
        root: Basic,
        rules: [Rule; 4],
        trust_remote_th: bool,
    },
}

/// What a decision is about.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    /// `(remote, sampled)` of the parent; `None` for a new trace.
    pub parent: Option<(bool, bool)>,
    /// The incoming `th` and `rv` (of a well-formed incoming `ot`).
    pub th: Option<u64>,
    pub rv: Option<u64>,
    /// The low 56 bits of the trace-id.
    pub low: u64,
    /// Whether the trace-id is known to be random (T12).
    pub random: bool,
    /// Fresh random bits offered for a new trace whose trace-id is not random.
    pub fresh: Option<u64>,
}

/// A decision by P4–P6 and P9.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decided {
    pub sampled: bool,
    /// The `th` the span carries.
    pub th: Option<u64>,
    /// An `rv` recorded for a new trace.
    pub rv: Option<u64>,
    /// Whether `R` came from a trace-id not known to be random.
    pub assumed: bool,
}

/// The parent-based decision to record or not (P6): the incoming `th` goes on only
/// when the span is sampled and `R >= T` agrees.
fn follow(span: &Span, sampled: bool) -> Decided {
    let r = span.rv.unwrap_or(span.low);
    Decided {
        sampled,
        th: span.th.filter(|&t| sampled && r >= t),
        rv: None,
        assumed: false,
    }
}

fn basic(sampler: Basic, span: &Span) -> Decided {
    let own = match sampler {
        Basic::On => return follow(span, true),
        Basic::Off => return follow(span, false),
        Basic::Probability(None) => {
            return Decided {
                sampled: false,
                th: None,
                rv: None,
                assumed: false,
            };
        }
        Basic::Probability(Some(own)) => own,
    };
    // Below a parent that was not sampled, nothing is kept (P9).
    if let Some((_, false)) = span.parent {
        return Decided {
            sampled: false,
            th: None,
            rv: None,
            assumed: false,
        };
    }
    // Downstream, the threshold is only raised (P6, P9).
    let t = own.max(span.th.unwrap_or(0));
    let (r, rv, assumed) = match (span.rv, span.random, span.fresh, span.parent) {
        (Some(rv), ..) => (rv, None, false),
        (None, true, ..) => (span.low, None, false),
        (None, false, Some(fresh), None) => (fresh & MASK, Some(fresh & MASK), false),
        (None, false, ..) => (span.low, None, true),
    };
    let sampled = r >= t; // P5
    Decided {
        sampled,
        th: sampled.then_some(t),
        rv,
        assumed,
    }
}

/// The decision `sampler` makes for `span`.
pub fn decide(sampler: &Sampler, span: &Span) -> Decided {
    match *sampler {
        Sampler::Basic(b) => basic(b, span),
        Sampler::Rate(sampled) => Decided {
            sampled,
            th: None,
            rv: None,
            assumed: false,
        },
        Sampler::ParentBased {
            root,
            rules,
            trust_remote_th,
        } => {
            let Some((remote, sampled)) = span.parent else {
                return basic(root, span);
            };
            let case = 2 * usize::from(!remote) + usize::from(!sampled);
            match rules[case] {
                Rule::Follow => follow(span, sampled),
                Rule::On => follow(span, true),
                Rule::Off => follow(span, false),
                // A trust boundary: decided as if there were no parent and no
                // incoming `th` (the trace's randomness, `rv` included, stays).
                Rule::Root if remote && !trust_remote_th => basic(
                    root,
                    &Span {
                        parent: None,
                        th: None,
                        ..*span
                    },
                ),
                Rule::Root => basic(root, span),
            }
        }
    }
}

/// What applying a decision does to the span's `ot` member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtOutcome {
    /// Nothing: the tracestate goes on byte for byte.
    Keep,
    /// The member is removed.
    Remove,
    /// The member is set to this value (and so moves to the front, S8).
    Set(String),
    /// The new value would be over 256 characters: the member stays as it was and
    /// the span keeps the incoming `th` (P1).
    Refused,
}

/// The `ot` update for `decided`, given the incoming `ot` value (a malformed one is
/// read as absent and replaced or removed).
pub fn ot_update(incoming: Option<&str>, decided: &Decided) -> OtOutcome {
    let parsed = incoming.map(ot);
    let (items, malformed) = match &parsed {
        None => (Vec::new(), false),
        Some(Ok(items)) => (items.clone(), false),
        Some(Err(_)) => (Vec::new(), true),
    };
    let th = ot_get(&items, "th").map(|d| threshold(d).expect("a valid th"));
    let rv = decided.rv.filter(|_| ot_get(&items, "rv").is_none());
    if !malformed && decided.th == th && rv.is_none() {
        return OtOutcome::Keep;
    }
    let value = ot_encode(&ot_with(&items, decided.th, rv));
    if value.len() > 256 {
        OtOutcome::Refused
    } else if value.is_empty() && incoming.is_none() {
        OtOutcome::Keep
    } else if value.is_empty() {
        OtOutcome::Remove
    } else {
        OtOutcome::Set(value)
    }
}

/// W3C Baggage by B2–B8, the slow way: split at `,`, then at `=` and `;`, and check
/// each part against its character class.
pub mod baggage {
    use super::trim_ows;
    use tracecontext::ErrorKind;

    /// A key by B3: one or more characters of an HTTP token.
    pub fn is_key(key: &[u8]) -> bool {
        !key.is_empty()
            && key
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
    }

    /// A character of a value as sent, by B4.
    pub fn is_value_char(c: u8) -> bool {
        matches!(c, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
    }

    /// A value as sent, by B4 and B5: value characters, each `%` followed by two
    /// hex digits. It may be empty.
    pub fn is_value(value: &[u8]) -> bool {
        let hex = |i: usize| value.get(i).is_some_and(u8::is_ascii_hexdigit);
        value.iter().all(|&c| is_value_char(c))
            && (0..value.len()).all(|i| value[i] != b'%' || (hex(i + 1) && hex(i + 2)))
    }

    /// A member read by B2–B5, its parts without the whitespace around them.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Parsed {
        pub key: String,
        pub value: String,
        /// Each property's key, and its value when it has one.
        pub properties: Vec<(String, Option<String>)>,
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).expect("checked ASCII")
    }

    /// One member (already without the whitespace around it), or `None` when it
    /// breaks the grammar. Neither keys nor values hold `;` or `,`, and keys hold
    /// no `=`, so splitting at them is exact.
    pub fn member(m: &[u8]) -> Option<Parsed> {
        let mut parts = m.split(|&c| c == b';');
        let head = parts.next()?;
        let eq = head.iter().position(|&c| c == b'=')?;
        let (_, key) = trim_ows(&head[..eq]);
        let (_, value) = trim_ows(&head[eq + 1..]);
        if !(is_key(key) && is_value(value)) {
            return None;
        }
        let mut properties = Vec::new();
        for part in parts {
            let (name, value) = match part.iter().position(|&c| c == b'=') {
                Some(eq) => (&part[..eq], Some(trim_ows(&part[eq + 1..]).1)),
                None => (part, None),
            };
            let (_, name) = trim_ows(name);
            if !is_key(name) || value.is_some_and(|v| !is_value(v)) {
                return None;
            }
            properties.push((text(name), value.map(text)));
        }
        Some(Parsed {
            key: text(key),
            value: text(value),
            properties,
        })
    }

    /// The key of a member known to be valid.
    pub fn key_of(m: &str) -> String {
        member(m.as_bytes()).expect("a valid member").key
    }

    /// The first member dropped from a list: its number (counting non-empty
    /// members from 1), where it lies in the list, and, when it was dropped for a
    /// limit, which (else it was invalid).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Dropped {
        pub member: usize,
        pub start: usize,
        pub end: usize,
        pub limit: Option<ErrorKind>,
    }

    /// A list read by B6 and B8.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct List {
        /// The kept members, each without the whitespace around it.
        pub members: Vec<String>,
        /// Invalid members, plus one for the member that broke a limit.
        pub dropped: usize,
        pub first_dropped: Option<Dropped>,
    }

    /// Reads `list` (the fields already joined with `,`, B1) with the limits
    /// `max_members` and `max_bytes`: the first valid members while both hold; the
    /// first that would break one is dropped with everything after it (B6).
    /// Invalid members are skipped, or, when `strict`, refuse the list (B8).
    pub fn read(
        list: &[u8],
        strict: bool,
        max_members: usize,
        max_bytes: usize,
    ) -> Result<List, Dropped> {
        let mut out = List {
            members: Vec::new(),
            dropped: 0,
            first_dropped: None,
        };
        let (mut seen, mut at, mut len) = (0, 0, 0);
        for raw in list.split(|&c| c == b',') {
            let (lead, m) = trim_ows(raw);
            let start = at + lead;
            at += raw.len() + 1;
            if m.is_empty() {
                continue;
            }
            seen += 1;
            let mut dropped = Dropped {
                member: seen,
                start,
                end: start + m.len(),
                limit: None,
            };
            if member(m).is_none() {
                if strict {
                    return Err(dropped);
                }
                out.dropped += 1;
                out.first_dropped.get_or_insert(dropped);
                continue;
            }
            let joined = len + usize::from(!out.members.is_empty()) + m.len();
            if out.members.len() == max_members {
                dropped.limit = Some(ErrorKind::MemberCount);
            } else if joined > max_bytes {
                dropped.limit = Some(ErrorKind::Capacity);
            }
            if dropped.limit.is_some() {
                out.dropped += 1;
                out.first_dropped.get_or_insert(dropped);
                break;
            }
            out.members.push(text(m));
            len = joined;
        }
        Ok(out)
    }

    /// `value` percent-encoded by B5: every byte outside B4's characters, and every
    /// `%`, as `%` and two uppercase hex digits.
    pub fn encode(value: &str) -> String {
        let mut out = String::new();
        for b in value.bytes() {
            if is_value_char(b) && b != b'%' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// A valid raw value decoded by B5: each `%XX` as its byte, the bytes read as
    /// UTF-8 with U+FFFD for what is not.
    pub fn decode(raw: &str) -> String {
        let raw = raw.as_bytes();
        let mut bytes = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'%' {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).expect("ASCII");
                bytes.push(u8::from_str_radix(hex, 16).expect("checked hex digits"));
                i += 3;
            } else {
                bytes.push(raw[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The member an insert writes: the key, `=`, the value encoded, then each
    /// property.
    pub fn member_text(key: &str, value: &str, properties: &[(&str, Option<&str>)]) -> String {
        let mut out = format!("{key}={}", encode(value));
        for (name, value) in properties {
            out.push(';');
            out.push_str(name);
            if let Some(value) = value {
                out.push('=');
                out.push_str(&encode(value));
            }
        }
        out
    }

    /// The length of `members` joined with `,`.
    pub fn joined_len(members: &[String]) -> usize {
        members.iter().map(String::len).sum::<usize>() + members.len().saturating_sub(1)
    }

    /// An insert into an owned list with the limits `max_members` and `max_bytes`:
    /// the key and property keys must be keys (B3); the member takes the place of
    /// the first one with its key and the others with it go (B7), else it is
    /// appended; a list that would break a limit is refused and left as it was.
    pub fn insert(
        members: &mut Vec<String>,
        key: &str,
        value: &str,
        properties: &[(&str, Option<&str>)],
        max_members: usize,
        max_bytes: usize,
    ) -> Result<(), ErrorKind> {
        if !is_key(key.as_bytes()) {
            return Err(ErrorKind::Key);
        }
        if properties.iter().any(|(name, _)| !is_key(name.as_bytes())) {
            return Err(ErrorKind::Property);
        }
        let place = members.iter().position(|m| key_of(m) == key);
        let mut next: Vec<String> = members
            .iter()
            .filter(|m| key_of(m) != key)
            .cloned()
            .collect();
        // Every member before the first with the key stays, so it keeps its index.
        next.insert(
            place.unwrap_or(next.len()),
            member_text(key, value, properties),
        );
        if next.len() > max_members {
            return Err(ErrorKind::MemberCount);
        }
        if joined_len(&next) > max_bytes {
            return Err(ErrorKind::Capacity);
        }
        *members = next;
        Ok(())
    }
}
