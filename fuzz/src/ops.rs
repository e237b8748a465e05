//! The structured input of the `tracestate_ops` target, and an encoder that writes
//! the bytes `arbitrary` reads back as a given input (for the hand-made seeds).

use std::fmt;

use arbitrary::{Arbitrary, Unstructured};

/// Strings that keys and values are often drawn from: valid keys and values, and
/// near misses of each.
pub const POOL: &[&str] = &[
    "",
    "a",
    "b",
    "c",
    "rojo",
    "congo",
    "vendor@tenant",
    "foo@bar@baz",
    "x/y*z-_",
    "0",
    "1",
    "t61rcWkgMzE",
    "00f067aa0ba902b7",
    " lead",
    "trail ",
    "in side",
    "Bad",
    "foo.bar",
    "@foo",
    "a=b",
    "a,b",
    "tab\t",
    "\u{e9}",
    "~!\"#$%&'()*+-./:;<>?@[\\]^_`{|}",
];

/// Characters that [`Text::Long`] repeats.
pub const ALPHABET: &[u8; 16] = b"az09_-*/@ xA=,~\t";

/// A key or value.
#[derive(Arbitrary, Clone, PartialEq, Eq)]
pub enum Text {
    /// `POOL[i % POOL.len()]`.
    Pool(u8),
    /// A pool string followed by one alphabet character repeated `len % 300` times:
    /// reaches the 128-, 256- and capacity-byte limits.
    Long { prefix: u8, unit: u8, len: u16 },
    /// Any bytes, read as UTF-8 lossily.
    Bytes(Vec<u8>),
}

impl Text {
    /// The string this stands for.
    pub fn text(&self) -> String {
        match self {
            Text::Pool(i) => POOL[usize::from(*i) % POOL.len()].to_owned(),
            Text::Long { prefix, unit, len } => {
                let mut s = POOL[usize::from(*prefix) % POOL.len()].to_owned();
                let c = char::from(ALPHABET[usize::from(*unit) % ALPHABET.len()]);
                s.extend(std::iter::repeat_n(c, usize::from(*len) % 300));
                s
            }
            Text::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        }
    }
}

/// The incoming tracestate the state starts from.
#[derive(Arbitrary, Clone, PartialEq, Eq)]
pub enum Header {
    /// Any bytes.
    Raw(Vec<u8>),
    /// `key=value` members joined with `,` (they may be invalid or duplicated).
    Members(Vec<(Text, Text)>),
}

impl Header {
    /// The header value.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Header::Raw(b) => b.clone(),
            Header::Members(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{}={}", k.text(), v.text()))
                    .collect();
                parts.join(",").into_bytes()
            }
        }
    }
}

/// Shows byte strings as escaped text, so `replay --show` is readable.
struct Escaped<'a>(&'a [u8]);

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Pool(i) => write!(f, "Pool({i}) = {:?}", self.text()),
            Text::Long { prefix, unit, len } => write!(
                f,
                "Long {{ prefix: {prefix}, unit: {unit}, len: {len} }} = {:?}",
                self.text()
            ),
            Text::Bytes(b) => f.debug_tuple("Bytes").field(&Escaped(b)).finish(),
        }
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Header::Raw(b) => f.debug_tuple("Raw").field(&Escaped(b)).finish(),
            Header::Members(m) => f.debug_tuple("Members").field(m).finish(),
        }
    }
}

/// One operation on an owned tracestate.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Insert {
        key: Text,
        value: Text,
    },
    Remove {
        key: Text,
    },
    /// Truncate to `limit % 640` bytes.
    Truncate {
        limit: u16,
    },
    Get {
        key: Text,
    },
}

/// The whole input: a header to parse, then operations to run on it.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct OpsInput {
    pub header: Header,
    pub ops: Vec<Op>,
}

impl OpsInput {
    /// Reads the input exactly as the fuzz target does.
    pub fn decode(data: &[u8]) -> Option<Self> {
        Self::arbitrary_take_rest(Unstructured::new(data)).ok()
    }

    /// Bytes that [`decode`](OpsInput::decode) reads back as `self` (arbitrary 1.x's
    /// format: little-endian integers, a `u32` scaled to pick an enum variant, a
    /// `bool` byte before each `Vec` element).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.header.put(&mut out);
        self.ops.put(&mut out);
        out
    }
}

/// Writes a value in the form `arbitrary` reads it.
trait Put {
    fn put(&self, out: &mut Vec<u8>);
}

/// Picks variant `i` of `n`: derive(Arbitrary) takes `(u32 * n) >> 32`.
fn variant(out: &mut Vec<u8>, i: u64, n: u64) {
    let v = u32::try_from((i << 32).div_ceil(n)).expect("variant index in range");
    out.extend(v.to_le_bytes());
}

impl Put for u8 {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Put for u16 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend(self.to_le_bytes());
    }
}

impl<T: Put> Put for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        for item in self {
            out.push(1);
            item.put(out);
        }
        out.push(0);
    }
}

impl<A: Put, B: Put> Put for (A, B) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
}

impl Put for Text {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Text::Pool(i) => {
                variant(out, 0, 3);
                i.put(out);
            }
            Text::Long { prefix, unit, len } => {
                variant(out, 1, 3);
                prefix.put(out);
                unit.put(out);
                len.put(out);
            }
            Text::Bytes(b) => {
                variant(out, 2, 3);
                b.put(out);
            }
        }
    }
}

impl Put for Header {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Header::Raw(b) => {
                variant(out, 0, 2);
                b.put(out);
            }
            Header::Members(m) => {
                variant(out, 1, 2);
                m.put(out);
            }
        }
    }
}

impl Put for Op {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Op::Insert { key, value } => {
                variant(out, 0, 4);
                key.put(out);
                value.put(out);
            }
            Op::Remove { key } => {
                variant(out, 1, 4);
                key.put(out);
            }
            Op::Truncate { limit } => {
                variant(out, 2, 4);
                limit.put(out);
            }
            Op::Get { key } => {
                variant(out, 3, 4);
                key.put(out);
            }
        }
    }
}
