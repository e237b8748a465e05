//! The `ot` tracestate value: its grammar, its `th` and `rv` sub-keys, and updates
//! that keep the other sub-keys (rules P1–P3).

use core::fmt;

use crate::encoded::Encoded;
use crate::error::{Error, ErrorKind, Reason};
use crate::hex;

use super::OT_MAX_LEN;
use super::threshold::{Threshold, hex_value};

/// A validated `ot` tracestate value (rules [P1](crate::rules#p1)–[P3](crate::rules#p3)):
/// its `th` and `rv`, and every sub-key in order.
///
/// ```
/// use tracecontext::sampling::{OtValue, Threshold};
///
/// let ot = OtValue::parse("rv:ce929d0e0e4736;th:c;x:keep")?;
/// assert_eq!(ot.threshold(), Threshold::from_value(0xc0000000000000));
/// assert_eq!(ot.randomness(), Some(0xce929d0e0e4736));
/// assert_eq!(ot.get("x"), Some("keep"));
/// assert_eq!(ot.iter().collect::<Vec<_>>(), [("rv", "ce929d0e0e4736"), ("th", "c"), ("x", "keep")]);
///
/// // Updates keep the other sub-keys, in order, on the stack.
/// let half = Threshold::from_probability(0.5);
/// assert_eq!(ot.with_threshold(half)?, "rv:ce929d0e0e4736;th:8;x:keep");
/// assert_eq!(ot.with_threshold(None)?, "rv:ce929d0e0e4736;x:keep");
///
/// assert!(OtValue::parse("th:ffffffffffffffff").is_err()); // too long (P7)
/// assert!(OtValue::parse("rv:3").is_err()); // not 14 digits (P7)
/// # Ok::<(), tracecontext::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OtValue<'a> {
    text: &'a str,
    th: Option<Threshold>,
    rv: Option<u64>,
}

/// No `ot` value at all: what an update starts from when there was none.
pub(super) const NO_OT: OtValue<'static> = OtValue {
    text: "",
    th: None,
    rv: None,
};

impl<'a> OtValue<'a> {
    /// Parses and checks an `ot` value.
    ///
    /// # Errors
    ///
    /// The first problem, with its byte offset in `text`:
    /// [`ErrorKind::OtLength`] (over 256 characters), [`ErrorKind::SubKey`] (a bad or
    /// repeated sub-key), [`ErrorKind::SubValue`], [`ErrorKind::Threshold`],
    /// [`ErrorKind::Randomness`].
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        let b = text.as_bytes();
        if b.len() > OT_MAX_LEN {
            let max = OT_MAX_LEN as u16;
            return Err(Error::new(
                ErrorKind::OtLength,
                Reason::TooLong(max),
                OT_MAX_LEN,
            ));
        }
        // The common value, a threshold alone: what the loop below would read.
        if let Some(digits) = text.strip_prefix("th:") {
            if let Ok(th) = Threshold::parse(digits) {
                return Ok(Self {
                    text,
                    th: Some(th),
                    rv: None,
                });
            }
        }
        let (mut th, mut rv) = (None, None);
        let mut at = 0;
        loop {
            let key_at = at;
            let Some(&first) = b.get(at) else {
                return Err(Error::new(ErrorKind::SubKey, Reason::End, at));
            };
            if !first.is_ascii_lowercase() {
                return Err(Error::new(ErrorKind::SubKey, Reason::Invalid(first), at));
            }
            // The first character is a letter: the rest are letters or digits.
            while at < b.len() && (b[at].is_ascii_lowercase() || b[at].is_ascii_digit()) {
                at += 1;
            }
            match b.get(at) {
                Some(b':') => {}
                Some(&c) => return Err(Error::new(ErrorKind::SubKey, Reason::Invalid(c), at)),
                None => return Err(Error::new(ErrorKind::SubKey, Reason::End, at)),
            }
            let key = &b[key_at..at];
            at += 1;
            let value_at = at;
            while at < b.len() && b[at] != b';' {
                let c = b[at];
                if !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')) {
                    return Err(Error::new(ErrorKind::SubValue, Reason::Invalid(c), at));
                }
                at += 1;
            }
            let value = &text[value_at..at];
            let duplicate = match key {
                b"th" => {
                    let t = Threshold::parse(value).map_err(|e| e.shifted(value_at))?;
                    th.replace(t).is_some()
                }
                b"rv" => {
                    let r = parse_rv(value).map_err(|e| e.shifted(value_at))?;
                    rv.replace(r).is_some()
                }
                _ => earlier_sub_key(&b[..key_at], key),
            };
            if duplicate {
                return Err(Error::new(ErrorKind::SubKey, Reason::Repeated, key_at));
            }
            if at == b.len() {
                return Ok(Self { text, th, rv });
            }
            at += 1; // the `;`
        }
    }

    /// The same value, with its `th` read as absent (the text is unchanged).
    pub(super) const fn without_threshold(self) -> Self {
        Self { th: None, ..self }
    }

    /// The value as given.
    #[must_use]
    pub const fn as_str(&self) -> &'a str {
        self.text
    }

    /// The threshold `th`, if present (rule [P2](crate::rules#p2)).
    #[must_use]
    pub const fn threshold(&self) -> Option<Threshold> {
        self.th
    }

    /// The randomness `rv`, if present (rule [P3](crate::rules#p3)).
    #[must_use]
    pub const fn randomness(&self) -> Option<u64> {
        self.rv
    }

    /// The value of the sub-key `key`, if present.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The sub-keys and their values, in order.
    #[must_use]
    pub fn iter(&self) -> OtIter<'a> {
        OtIter { rest: self.text }
    }

    /// The value with `th` set to `threshold` (in place of the old one, else first)
    /// or removed (`None`), the other sub-keys kept in order, on the stack. Empty
    /// when nothing is left.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OtLength`] when the result would exceed 256 characters (rule
    /// [P1](crate::rules#p1)); the caller then leaves the value as it was.
    pub fn with_threshold(
        &self,
        threshold: Option<Threshold>,
    ) -> Result<Encoded<OT_MAX_LEN>, Error> {
        self.updated(threshold, None)
    }

    /// The value with `th` set or removed as for
    /// [`with_threshold`](Self::with_threshold), and `rv` added after it when `rv` is
    /// given and the value has none (an `rv` is never replaced, rule
    /// [P3](crate::rules#p3)).
    pub(super) fn updated(
        &self,
        threshold: Option<Threshold>,
        rv: Option<u64>,
    ) -> Result<Encoded<OT_MAX_LEN>, Error> {
        let mut out = Writer {
            buf: [0; OT_MAX_LEN],
            len: 0,
        };
        let digits = threshold.map(Threshold::encode);
        let new_rv = rv.filter(|_| self.rv.is_none()).map(encode_rv);
        let mut placed = false;
        if self.th.is_none() {
            if let Some(d) = &digits {
                out.sub_key("th", d.as_str())?;
            }
            if let Some(r) = &new_rv {
                out.sub_key("rv", r.as_str())?;
            }
            placed = true;
        }
        for (key, value) in self.iter() {
            if key == "th" {
                if let Some(d) = digits.as_ref().filter(|_| !placed) {
                    out.sub_key("th", d.as_str())?;
                }
                if let Some(r) = new_rv.as_ref().filter(|_| !placed) {
                    out.sub_key("rv", r.as_str())?;
                }
                placed = true;
            } else {
                out.sub_key(key, value)?;
            }
        }
        Ok(Encoded::prefix(out.buf, out.len))
    }
}

impl fmt::Display for OtValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

/// The sub-keys of an [`OtValue`] and their values, in order: from
/// [`OtValue::iter`].
#[derive(Clone, Debug)]
pub struct OtIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for OtIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (item, rest) = self.rest.split_once(';').unwrap_or((self.rest, ""));
        self.rest = rest;
        // A validated value: every item is `key:value`.
        Some(item.split_once(':').unwrap_or((item, "")))
    }
}

/// A bounded writer of `;`-separated sub-keys.
struct Writer {
    buf: [u8; OT_MAX_LEN],
    len: usize,
}

impl Writer {
    fn push(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.len + bytes.len();
        let Some(dst) = self.buf.get_mut(self.len..end) else {
            let max = OT_MAX_LEN as u16;
            return Err(Error::new(
                ErrorKind::OtLength,
                Reason::NoRoom(max),
                self.len,
            ));
        };
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    fn sub_key(&mut self, key: &str, value: &str) -> Result<(), Error> {
        if self.len > 0 {
            self.push(b";")?;
        }
        self.push(key.as_bytes())?;
        self.push(b":")?;
        self.push(value.as_bytes())
    }
}

/// Whether `key` is one of the sub-keys in `before` (valid `key:value;` items).
fn earlier_sub_key(before: &[u8], key: &[u8]) -> bool {
    before.split(|&c| c == b';').any(|item| {
        item.strip_prefix(key)
            .is_some_and(|rest| rest.first() == Some(&b':'))
    })
}

/// `rv`: exactly 14 lowercase hex digits (rule P3).
fn parse_rv(digits: &str) -> Result<u64, Error> {
    if digits.len() != 14 {
        return Err(Error::new(ErrorKind::Randomness, Reason::TooShort(14), 0));
    }
    hex_value(digits, ErrorKind::Randomness)
}

/// The 14 `rv` digits of the low 56 bits of `r`.
fn encode_rv(r: u64) -> Encoded<14> {
    let mut digits = [0u8; 16];
    hex::encode_words(hex::words_u64(r << 8), &mut digits, 0);
    let mut buf = [0u8; 14];
    buf.copy_from_slice(&digits[..14]);
    Encoded::full(buf)
}
