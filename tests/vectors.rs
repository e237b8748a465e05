//! Runs the plain-text test vectors in `spec-vectors/`.
//!
//! Every `*.txt` file there is read line by line (the syntax is in
//! `spec-vectors/README.md`), every case is run, and the test fails with a list of
//! all mismatches and unreadable lines, not just the first. It also fails when a file
//! has no cases, when there are fewer than 150 cases in all, or when a rule that is
//! testable at this level is cited by no vector.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use tracecontext::baggage::{Baggage, BaggageView};
use tracecontext::{Error, TraceParent, TraceState, TraceStateView, Validation};

/// Rules (numbered as in `docs/RULES.md`) that can be checked by parsing, formatting
/// or mutating one value, or by reading one response's fields: each must be cited by
/// at least one vector.
const TESTABLE: &[&str] = &[
    "T2", "T3", "T4", "T5", "T6", "T8", "T11", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9",
    "S10", "C3", "R1", "R2", "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B10",
];

/// Rules of `docs/RULES.md` that no vector here can check, and why; extraction,
/// propagation and ID generation have their own tests (`tests/propagation.rs`,
/// `tests/harness.rs`, `tests/hostile.rs`, `tests/sampling.rs`).
///
/// - T1, S1: header-name matching (case-insensitive in, lowercase out) is done by
///   whoever reads the headers (carriers, extraction), not by the value parsers.
/// - T7: more than one `traceparent` field is a property of a request, not of a value.
/// - T9, T10: what to do when `traceparent` is invalid or missing (restart, drop the
///   tracestate) is the extraction procedure.
/// - T12, T13: properties of ID generation (randomness, uniqueness).
/// - S11: what kind of data belongs in tracestate is not checkable by a parser.
/// - B9: baggage read independently of `traceparent` is a property of extraction
///   (`tests/baggage.rs`, and the tower crate's `tests/baggage.rs`).
const NOT_TESTABLE_HERE: &[&str] = &["T1", "T7", "T9", "T10", "T12", "T13", "S1", "S11", "B9"];

/// The minimum number of cases over all files.
const MIN_CASES: usize = 150;

/// Room for any valid tracestate: 32 members of a 256-byte key, `=` and a 256-byte
/// value, with 31 commas. The owned form at this capacity never needs to cut (S9).
const FULL: usize = 32 * (256 + 1 + 256) + 31;

/// The `ErrorKind` names a vector may expect (the variants' `Debug` names).
const KINDS: &[&str] = &[
    "Version",
    "TraceId",
    "ParentId",
    "TraceFlags",
    "Trailing",
    "Member",
    "Key",
    "Value",
    "MemberCount",
    "Capacity",
    "Duplicate",
    "Property",
];

/// What a file's cases run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FileKind {
    TraceParent,
    TraceState,
    Fields,
    Lenient,
    Ops,
    Response,
    Baggage,
    BaggageLenient,
    BaggageValues,
}

impl FileKind {
    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "traceparent.txt" => Self::TraceParent,
            "tracestate.txt" => Self::TraceState,
            "tracestate-fields.txt" => Self::Fields,
            "tracestate-lenient.txt" => Self::Lenient,
            "tracestate-ops.txt" => Self::Ops,
            "response.txt" => Self::Response,
            "baggage.txt" => Self::Baggage,
            "baggage-lenient.txt" => Self::BaggageLenient,
            "baggage-values.txt" => Self::BaggageValues,
            _ => return None,
        })
    }

    /// How many input columns a case has: exactly, or at least.
    fn inputs_ok(self, n: usize) -> Result<(), String> {
        let ok = match self {
            Self::TraceParent | Self::TraceState | Self::BaggageValues => n == 1,
            Self::Fields | Self::Lenient | Self::Response => n >= 1,
            Self::Baggage | Self::BaggageLenient => n >= 1,
            Self::Ops => n >= 2,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("wrong number of input columns ({n})"))
        }
    }
}

/// An expected result, as written in a vector.
#[derive(Debug)]
enum Expected {
    /// `ok VALUE [bits=NN]` in traceparent.txt and response.txt.
    Parent { encoded: Vec<u8>, bits: Option<u8> },
    /// `none` in response.txt: no traceparent in the response.
    None,
    /// `ok STATE` in the tracestate files.
    State(Vec<u8>),
    /// `ok LIST [dropped=N:KIND:OFFSET:mM] [;; CHECK ...]` in the baggage list files.
    List {
        list: Vec<u8>,
        dropped: Option<Dropped>,
        checks: Vec<Check>,
    },
    /// `value DECODED` or `get KEY DECODED` in baggage-values.txt.
    Value {
        key: Option<String>,
        decoded: Vec<u8>,
    },
    /// `err KIND OFFSET [mN] [header=NAME]`.
    Err {
        kind: String,
        offset: usize,
        member: Option<usize>,
        header: Option<String>,
    },
}

/// The members a baggage reading dropped: how many, and the first one's error.
#[derive(Debug, PartialEq)]
struct Dropped {
    count: usize,
    kind: String,
    offset: usize,
    member: usize,
}

/// A check of one kept baggage member, found by key (the first with it, B7), after
/// ` ;; ` in a baggage list case.
#[derive(Debug, PartialEq)]
enum Check {
    /// `KEY=DECODED`: the member's value, decoded (B5).
    Value { key: String, decoded: Vec<u8> },
    /// `KEY;PROPERTY;...`: the member's properties in order, each a key and, for
    /// `KEY=RAW`, its value as sent; `KEY;` alone is no property.
    Properties {
        key: String,
        properties: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    },
    /// `no KEY`: no kept member has this key.
    Absent(String),
}

/// What running a case gave.
enum Outcome {
    Parent {
        encoded: String,
        bits: u8,
    },
    State(String),
    /// The kept list, what was dropped, and each expected check as found.
    List(String, Option<Dropped>, Vec<Check>),
    Value(Vec<u8>),
    None,
    Err(Error),
}

/// One operation of tracestate-ops.txt.
enum Op {
    Insert(String, String),
    Remove(String, bool),
    Truncate(usize),
    Get(String, Option<String>),
}

/// A readable case.
struct Case {
    inputs: Vec<Vec<u8>>,
    /// The `NAME: VALUE` fields of a response.txt case.
    fields: Vec<(Vec<u8>, Vec<u8>)>,
    ops: Vec<Op>,
    cap: usize,
    expected: Expected,
    rules: Vec<String>,
}

#[test]
fn spec_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec-vectors");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".txt"))
        .collect();
    names.sort();

    let mut failures: Vec<String> = Vec::new();
    let mut cited: BTreeSet<String> = BTreeSet::new();
    let mut total = 0;
    let mut files = 0;
    let mut counts = String::new();

    for name in &names {
        files += 1;
        let path = dir.join(name);
        let Some(kind) = FileKind::of(name) else {
            failures.push(format!("spec-vectors/{name}: no runner for this file name"));
            continue;
        };
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                failures.push(format!("spec-vectors/{name}: not ASCII text"));
                continue;
            }
        };
        let mut cases = 0;
        for (index, line) in text.lines().enumerate() {
            let at = format!("spec-vectors/{name}:{}", index + 1);
            let trimmed = line.trim_matches(' ');
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            cases += 1;
            let case = match read_case(kind, line) {
                Ok(case) => case,
                Err(why) => {
                    failures.push(format!("{at}: unreadable: {why}\n  line: {line}"));
                    continue;
                }
            };
            cited.extend(case.rules.iter().cloned());
            let got = panic::catch_unwind(AssertUnwindSafe(|| run(kind, &case)))
                .unwrap_or_else(|payload| Err(format!("panic: {}", panic_message(&payload))));
            let verdict = match got {
                Ok(outcome) if matches(&case.expected, &outcome) => continue,
                Ok(outcome) => show_outcome(&outcome, &case.expected),
                Err(why) => why,
            };
            let columns = split_columns(line);
            let input = columns[..columns.len() - 2].join(" | ");
            failures.push(format!(
                "{at} ({})\n  input:    {input}\n  expected: {}\n  got:      {verdict}",
                case.rules.join(" "),
                columns[columns.len() - 2],
            ));
        }
        if cases == 0 {
            failures.push(format!("spec-vectors/{name}: no cases"));
        }
        let _ = writeln!(counts, "  {name}: {cases}");
        total += cases;
    }

    println!("vectors: {total} cases in {files} files\n{counts}");

    if total < MIN_CASES {
        failures.push(format!("only {total} cases; at least {MIN_CASES} expected"));
    }
    for rule in TESTABLE {
        if !cited.contains(*rule) {
            failures.push(format!("rule {rule} is cited by no vector"));
        }
    }
    // The two lists together name every T, S and B rule exactly once.
    let all: Vec<String> = (1..=13)
        .map(|n| format!("T{n}"))
        .chain((1..=11).map(|n| format!("S{n}")))
        .chain((1..=10).map(|n| format!("B{n}")))
        .collect();
    for rule in &all {
        let listed = TESTABLE.contains(&rule.as_str()) as u8
            + NOT_TESTABLE_HERE.contains(&rule.as_str()) as u8;
        assert_eq!(
            listed, 1,
            "rule {rule} must be in exactly one of the two lists"
        );
    }

    if !failures.is_empty() {
        panic!(
            "{} spec-vector failure(s) out of {total} cases:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}

/// Reads one non-comment line into a case.
fn read_case(kind: FileKind, line: &str) -> Result<Case, String> {
    if let Some(c) = line.bytes().find(|c| !(0x20..=0x7e).contains(c)) {
        return Err(format!("byte 0x{c:02x} in the line: write it as an escape"));
    }
    let columns = split_columns(line);
    if columns.len() < 3 {
        return Err("fewer than 3 columns (input | expected | rules)".into());
    }
    let (inputs, tail) = columns.split_at(columns.len() - 2);
    kind.inputs_ok(inputs.len())?;
    let rules = read_rules(tail[1])?;
    let expected = read_expected(kind, tail[0])?;

    let mut case = Case {
        inputs: Vec::new(),
        fields: Vec::new(),
        ops: Vec::new(),
        cap: 0,
        expected,
        rules,
    };
    if kind == FileKind::Ops {
        case.cap = inputs[0]
            .parse()
            .map_err(|_| format!("bad capacity {:?}", inputs[0]))?;
        case.inputs.push(unescape(inputs[1])?);
        for op in &inputs[2..] {
            case.ops.push(read_op(op)?);
        }
    } else if kind == FileKind::Response {
        // An empty column is no field at all.
        for input in inputs.iter().filter(|i| !i.is_empty()) {
            let field = unescape(input)?;
            let at = field
                .windows(2)
                .position(|w| w == b": ")
                .ok_or_else(|| format!("a field needs `NAME: VALUE`: {input:?}"))?;
            case.fields
                .push((field[..at].to_vec(), field[at + 2..].to_vec()));
        }
    } else {
        for input in inputs {
            case.inputs.push(unescape(input)?);
        }
    }
    Ok(case)
}

/// Splits a line at each `|` that is not escaped, trimming spaces around each column.
fn split_columns(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut columns = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'|' => {
                columns.push(line[start..i].trim_matches(' '));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    columns.push(line[start..].trim_matches(' '));
    columns
}

/// Reads the rules column: rule numbers separated by spaces or commas.
fn read_rules(column: &str) -> Result<Vec<String>, String> {
    let rules: Vec<String> = column
        .split([' ', ','])
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    if rules.is_empty() {
        return Err("no rule cited".into());
    }
    for rule in &rules {
        if NOT_TESTABLE_HERE.contains(&rule.as_str()) {
            return Err(format!("cites {rule}, listed as not testable here"));
        }
        if !TESTABLE.contains(&rule.as_str()) {
            return Err(format!("unknown or untestable rule {rule:?}"));
        }
    }
    Ok(rules)
}

/// Reads the expected-result column.
fn read_expected(kind: FileKind, column: &str) -> Result<Expected, String> {
    if let Some(rest) = column.strip_prefix("err ") {
        let tokens: Vec<&str> = rest.split_whitespace().collect();
        let (kind, offset, extra) = match tokens[..] {
            [kind, offset, ref extra @ ..] if extra.len() <= 2 => (kind, offset, extra),
            _ => return Err("expected `err KIND OFFSET [mN] [header=NAME]`".into()),
        };
        let mut member = None;
        let mut header = None;
        for token in extra {
            match token.strip_prefix("header=") {
                Some(name) if header.is_none() && !name.is_empty() => {
                    header = Some(name.to_owned());
                }
                Some(_) => return Err(format!("bad or repeated {token:?}")),
                None if member.is_none() => member = Some(*token),
                None => return Err(format!("unexpected {token:?}")),
            }
        }
        if !KINDS.contains(&kind) {
            return Err(format!("unknown error kind {kind:?}"));
        }
        let offset = offset
            .parse()
            .map_err(|_| format!("bad offset {offset:?}"))?;
        let member = match member {
            None => None,
            Some(m) => Some(
                m.strip_prefix('m')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("bad member number {m:?}"))?,
            ),
        };
        return Ok(Expected::Err {
            kind: kind.to_owned(),
            offset,
            member,
            header,
        });
    }
    if kind == FileKind::Response && column == "none" {
        return Ok(Expected::None);
    }
    if kind == FileKind::BaggageValues {
        return read_value(column);
    }
    let rest = if column == "ok" {
        ""
    } else if let Some(rest) = column.strip_prefix("ok ") {
        rest
    } else {
        return Err("expected `ok ...` or `err ...`".into());
    };
    if matches!(kind, FileKind::Baggage | FileKind::BaggageLenient) {
        return read_list(column.strip_prefix("ok").unwrap_or(column));
    }
    if !matches!(kind, FileKind::TraceParent | FileKind::Response) {
        return Ok(Expected::State(unescape(rest)?));
    }
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    let (encoded, bits) = match tokens[..] {
        [encoded] => (encoded, None),
        [encoded, bits] => {
            let bits = bits
                .strip_prefix("bits=")
                .filter(|b| b.len() == 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(|| format!("bad flags {bits:?}, expected bits=NN"))?;
            (encoded, Some(bits))
        }
        _ => return Err("expected `ok VALUE [bits=NN]`".into()),
    };
    Ok(Expected::Parent {
        encoded: unescape(encoded)?,
        bits,
    })
}

/// Reads ` LIST [dropped=N:KIND:OFFSET:mM] [;; CHECK ;; ...]` (after `ok`). A kept
/// list never holds `;;` (an empty property is invalid, B2), so ` ;; ` cannot occur
/// in it.
fn read_list(rest: &str) -> Result<Expected, String> {
    let mut parts = rest.split(" ;; ");
    let head = parts.next().unwrap_or_default();
    let checks = parts.map(read_check).collect::<Result<Vec<_>, _>>()?;
    let rest = head.strip_prefix(' ').unwrap_or(head);
    let (list, dropped) = match rest.rsplit_once(' ') {
        Some((list, last)) if last.starts_with("dropped=") => (list, Some(last)),
        _ if rest.starts_with("dropped=") => ("", Some(rest)),
        _ => (rest, None),
    };
    let dropped = match dropped {
        None => None,
        Some(text) => {
            let parts: Vec<&str> = text["dropped=".len()..].split(':').collect();
            let [count, kind, offset, member] = parts[..] else {
                return Err(format!("expected dropped=N:KIND:OFFSET:mM, got {text:?}"));
            };
            if !KINDS.contains(&kind) {
                return Err(format!("unknown error kind {kind:?}"));
            }
            let number = |t: &str| t.parse::<usize>().map_err(|_| format!("bad number {t:?}"));
            Some(Dropped {
                count: number(count)?,
                kind: kind.to_owned(),
                offset: number(offset)?,
                member: number(member.strip_prefix('m').ok_or("member needs mN")?)?,
            })
        }
    };
    Ok(Expected::List {
        list: unescape(list)?,
        dropped,
        checks,
    })
}

/// Reads one check of a baggage list case: `KEY=DECODED`, `KEY;PROPERTIES` or
/// `no KEY`.
fn read_check(text: &str) -> Result<Check, String> {
    let text = text.trim_matches(' ');
    let key = |k: &str| -> Result<String, String> {
        String::from_utf8(unescape(k)?).map_err(|_| format!("key not UTF-8 in {text:?}"))
    };
    if let Some(k) = text.strip_prefix("no ") {
        return Ok(Check::Absent(key(k)?));
    }
    let at = text
        .find(['=', ';'])
        .ok_or_else(|| format!("expected KEY=DECODED, KEY;PROPERTIES or no KEY: {text:?}"))?;
    let (k, rest) = text.split_at(at);
    if let Some(decoded) = rest.strip_prefix('=') {
        return Ok(Check::Value {
            key: key(k)?,
            decoded: unescape(decoded)?,
        });
    }
    let rest = &rest[1..];
    let mut properties = Vec::new();
    if !rest.is_empty() {
        for property in rest.split(';') {
            properties.push(match property.split_once('=') {
                Some((pk, pv)) => (unescape(pk)?, Some(unescape(pv)?)),
                None => (unescape(property)?, None),
            });
        }
    }
    Ok(Check::Properties {
        key: key(k)?,
        properties,
    })
}

/// Reads `value DECODED`, `value` or `get KEY DECODED` of baggage-values.txt.
fn read_value(column: &str) -> Result<Expected, String> {
    if column == "value" {
        return Ok(Expected::Value {
            key: None,
            decoded: Vec::new(),
        });
    }
    if let Some(rest) = column.strip_prefix("value ") {
        return Ok(Expected::Value {
            key: None,
            decoded: unescape(rest)?,
        });
    }
    let rest = column
        .strip_prefix("get ")
        .ok_or("expected `value DECODED`, `get KEY DECODED` or `err ...`")?;
    let (key, decoded) = rest.split_once(' ').unwrap_or((rest, ""));
    Ok(Expected::Value {
        key: Some(key.to_owned()),
        decoded: unescape(decoded)?,
    })
}

/// Reads one operation column of tracestate-ops.txt.
fn read_op(column: &str) -> Result<Op, String> {
    let (name, arg) = column
        .split_once(' ')
        .ok_or_else(|| format!("bad operation {column:?}"))?;
    let arg = String::from_utf8(unescape(arg)?)
        .map_err(|_| format!("operation argument is not UTF-8: {column:?}"))?;
    let key_value = |arg: &str| match arg.split_once('=') {
        Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
        None => (arg.to_owned(), None),
    };
    Ok(match name {
        "insert" => match key_value(&arg) {
            (key, Some(value)) => Op::Insert(key, value),
            (_, None) => return Err(format!("insert needs KEY=VALUE: {column:?}")),
        },
        "remove" => Op::Remove(arg, true),
        "remove-missing" => Op::Remove(arg, false),
        "truncate" => Op::Truncate(
            arg.parse()
                .map_err(|_| format!("bad truncate limit {arg:?}"))?,
        ),
        "get" => {
            let (key, value) = key_value(&arg);
            Op::Get(key, value)
        }
        _ => return Err(format!("unknown operation {name:?}")),
    })
}

/// Decodes escapes and repetitions (see spec-vectors/README.md).
fn unescape(column: &str) -> Result<Vec<u8>, String> {
    let b = column.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let c = *b.get(i + 1).ok_or("`\\` at the end of a column")?;
                i += 2;
                match c {
                    b's' => out.push(b' '),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'n' => out.push(b'\n'),
                    b'\\' | b'|' | b'{' | b'}' => out.push(c),
                    b'x' => {
                        let hex = column
                            .get(i..i + 2)
                            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                            .ok_or("`\\x` needs two hex digits")?;
                        out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
                        i += 2;
                    }
                    _ => return Err(format!("unknown escape `\\{}`", c as char)),
                }
            }
            b'{' => {
                let len = column[i..].find('}').ok_or("`{` without `}`")?;
                let inner = &column[i + 1..i + len];
                i += len + 1;
                let (text, count) = inner
                    .rsplit_once('*')
                    .ok_or("repetition needs `{TEXT*N}`")?;
                if text.contains(['\\', '{']) {
                    return Err("no escapes or braces inside a repetition".into());
                }
                let (from, to) = match count.split_once("..") {
                    Some((a, b)) => (a.parse::<usize>(), b.parse::<usize>()),
                    None => (Ok(1), count.parse::<usize>()),
                };
                let (Ok(from), Ok(to)) = (from, to) else {
                    return Err(format!("bad repetition count {count:?}"));
                };
                for n in from..=to {
                    out.extend_from_slice(text.replace('#', &n.to_string()).as_bytes());
                }
            }
            b'}' => return Err("bare `}`: write `\\}`".into()),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Runs one case. `Err` describes a failed check that has no `Outcome` form.
fn run(kind: FileKind, case: &Case) -> Result<Outcome, String> {
    match kind {
        FileKind::TraceParent => run_traceparent(&case.inputs[0]),
        FileKind::TraceState => run_tracestate(&case.inputs, None),
        FileKind::Fields => run_tracestate(&case.inputs, Some(Validation::Strict)),
        FileKind::Lenient => run_tracestate(&case.inputs, Some(Validation::Lenient)),
        FileKind::Ops => match case.cap {
            16 => run_ops::<16>(&case.inputs[0], &case.ops),
            32 => run_ops::<32>(&case.inputs[0], &case.ops),
            64 => run_ops::<64>(&case.inputs[0], &case.ops),
            149 => run_ops::<149>(&case.inputs[0], &case.ops),
            150 => run_ops::<150>(&case.inputs[0], &case.ops),
            300 => run_ops::<300>(&case.inputs[0], &case.ops),
            512 => run_ops::<512>(&case.inputs[0], &case.ops),
            cap => Err(format!(
                "capacity {cap} is not instantiated in tests/vectors.rs"
            )),
        },
        FileKind::Response => run_response(&case.fields),
        FileKind::Baggage => run_baggage(&case.inputs, Validation::Strict, &case.expected),
        FileKind::BaggageLenient => run_baggage(&case.inputs, Validation::Lenient, &case.expected),
        FileKind::BaggageValues => run_value(&case.inputs[0], &case.expected),
    }
}

/// Reads baggage fields with the view, `Baggage` and (with `alloc`)
/// `SharedBaggage`, which must agree; what `Baggage` sends must read back strictly
/// as itself. Then finds what each expected check looks at.
fn run_baggage(
    fields: &[Vec<u8>],
    validation: Validation,
    expected: &Expected,
) -> Result<Outcome, String> {
    let fields = || fields.iter().map(Vec::as_slice);
    let view = BaggageView::parse_fields_with(fields(), validation);
    let owned = Baggage::parse_fields_with(fields(), validation);
    let (view, owned) = match (view, owned) {
        (Err(a), Err(b)) if a == b => return Ok(Outcome::Err(a)),
        (Ok(view), Ok(owned)) => (view, owned),
        (view, owned) => {
            return Err(format!("view {view:?} and Baggage {owned:?} disagree"));
        }
    };
    let members: Vec<&str> = view.iter().map(|m| m.as_str()).collect();
    let list = members.join(",");
    if owned.as_str() != list
        || owned.len() != view.len()
        || owned.problem() != view.problem()
        || owned.dropped() != view.dropped()
        || view.encoded_len() != list.len()
    {
        return Err(format!("view {list:?} and Baggage {owned:?} disagree"));
    }
    #[cfg(feature = "alloc")]
    let shared = tracecontext::baggage::SharedBaggage::from(&view);
    #[cfg(feature = "alloc")]
    if shared.as_str() != list || shared.len() != view.len() {
        return Err(format!("SharedBaggage {shared:?} disagrees with {list:?}"));
    }
    match list.parse::<Baggage>() {
        Ok(again) if again.as_str() == list && again.dropped() == 0 => {}
        other => return Err(format!("{list:?} does not read back: {other:?}")),
    }
    let dropped = view.problem().map(|e| Dropped {
        count: view.dropped(),
        kind: format!("{:?}", e.kind()),
        offset: e.offset(),
        member: e.member().unwrap_or(0),
    });
    let wanted: &[Check] = match expected {
        Expected::List { checks, .. } => checks,
        _ => &[],
    };
    let mut checks = Vec::new();
    for check in wanted {
        let key = match check {
            Check::Value { key, .. } | Check::Properties { key, .. } | Check::Absent(key) => key,
        };
        let member = view.get(key);
        let same = |other: Option<tracecontext::baggage::Member<'_>>| {
            other.map(|m| m.as_str()) == member.map(|m| m.as_str())
        };
        if !same(owned.get(key)) {
            return Err(format!("view and Baggage disagree on get({key:?})"));
        }
        #[cfg(feature = "alloc")]
        if !same(shared.get(key)) {
            return Err(format!("view and SharedBaggage disagree on get({key:?})"));
        }
        let Some(member) = member else {
            checks.push(Check::Absent(key.clone()));
            continue;
        };
        checks.push(match check {
            Check::Value { .. } | Check::Absent(_) => {
                let mut buf = vec![0; member.raw_value().len()];
                let decoded = member
                    .decode_value_into(&mut buf)
                    .map_err(|e| format!("decoding {key:?}: {e}"))?;
                #[cfg(feature = "alloc")]
                if member.value() != decoded {
                    return Err(format!("value() of {key:?} disagrees with {decoded:?}"));
                }
                Check::Value {
                    key: key.clone(),
                    decoded: decoded.as_bytes().to_vec(),
                }
            }
            Check::Properties { .. } => Check::Properties {
                key: key.clone(),
                properties: member
                    .properties()
                    .map(|p| {
                        let value = p.raw_value().map(|v| v.as_bytes().to_vec());
                        (p.key().as_bytes().to_vec(), value)
                    })
                    .collect(),
            },
        });
    }
    Ok(Outcome::List(list, dropped, checks))
}

/// Reads one field strictly and decodes the first member's value (or the first
/// with the expected key), into a buffer and (with `alloc`) as a `Cow`, which must
/// agree.
fn run_value(field: &[u8], expected: &Expected) -> Result<Outcome, String> {
    let view = match BaggageView::parse_fields_with([field], Validation::Strict) {
        Ok(view) => view,
        Err(e) => return Ok(Outcome::Err(e)),
    };
    let member = match expected {
        Expected::Value { key: Some(key), .. } => view.get(key),
        _ => view.iter().next(),
    }
    .ok_or("no such member")?;
    let mut buf = vec![0; member.raw_value().len()];
    let decoded = member
        .decode_value_into(&mut buf)
        .map_err(|e| e.to_string())?;
    #[cfg(feature = "alloc")]
    if member.value() != decoded {
        return Err(format!(
            "value() {:?} disagrees with {decoded:?}",
            member.value()
        ));
    }
    Ok(Outcome::Value(decoded.as_bytes().to_vec()))
}

/// Reads a response's fields with `response::extract` (R1, R2).
fn run_response(fields: &[(Vec<u8>, Vec<u8>)]) -> Result<Outcome, String> {
    match tracecontext::response::extract(fields) {
        Ok(None) => Ok(Outcome::None),
        Ok(Some(tp)) => Ok(Outcome::Parent {
            encoded: tp.encode().as_str().to_owned(),
            bits: tp.flags().bits(),
        }),
        Err(e) => Ok(Outcome::Err(e)),
    }
}

fn run_traceparent(input: &[u8]) -> Result<Outcome, String> {
    let parsed = TraceParent::parse(input);
    if let Ok(text) = std::str::from_utf8(input) {
        if text.parse::<TraceParent>() != parsed {
            return Err("FromStr disagrees with parse".into());
        }
    }
    let tp = match parsed {
        Ok(tp) => tp,
        Err(e) => return Ok(Outcome::Err(e)),
    };
    let encoded = tp.encode();
    if tp.to_string() != *encoded {
        return Err(format!("Display {tp} disagrees with encode {encoded}"));
    }
    // What was written reads back as itself (T2).
    match TraceParent::parse(encoded.as_bytes()) {
        Ok(again) if *again.encode() == *encoded => {}
        other => return Err(format!("{encoded} does not read back: {other:?}")),
    }
    Ok(Outcome::Parent {
        encoded: encoded.as_str().to_owned(),
        bits: tp.flags().bits(),
    })
}

/// Parses with the view and the owned form, which must agree. `None` uses the
/// single-field entry points (`parse`).
fn run_tracestate(fields: &[Vec<u8>], validation: Option<Validation>) -> Result<Outcome, String> {
    let (view, owned) = match validation {
        None => (
            TraceStateView::parse(&fields[0]).map(|v| (v.to_string(), v.len())),
            TraceState::<FULL>::parse(&fields[0]),
        ),
        Some(validation) => (
            TraceStateView::parse_fields_with(fields.iter().map(Vec::as_slice), validation)
                .map(|v| (v.to_string(), v.len())),
            TraceState::<FULL>::parse_fields_with(fields.iter().map(Vec::as_slice), validation),
        ),
    };
    if validation.is_none() {
        if let Ok(text) = std::str::from_utf8(&fields[0]) {
            let from_str = text.parse::<TraceState<FULL>>();
            if from_str.as_ref().map(TraceState::as_str) != owned.as_ref().map(TraceState::as_str) {
                return Err("FromStr disagrees with parse".into());
            }
        }
    }
    let (text, len) = match (view, owned) {
        (Err(a), Err(b)) if a == b => return Ok(Outcome::Err(a)),
        (Ok((text, len)), Ok(owned)) if text == owned.as_str() && len == owned.len() => (text, len),
        (view, owned) => {
            return Err(format!(
                "view and owned form disagree: view {view:?}, owned {:?}",
                owned.as_ref().map(|o| (o.as_str(), o.len()))
            ));
        }
    };
    if (len == 0) != text.is_empty() {
        return Err(format!("{len} members but encoding {text:?}"));
    }
    // The normalised form reads back as itself, strictly.
    match TraceStateView::parse(text.as_bytes()) {
        Ok(again) if again.to_string() == text => {}
        other => return Err(format!("{text:?} does not read back: {other:?}")),
    }
    Ok(Outcome::State(text))
}

fn run_ops<const CAP: usize>(initial: &[u8], ops: &[Op]) -> Result<Outcome, String> {
    let view = TraceStateView::parse(initial);
    let mut state = match (TraceState::<CAP>::parse(initial), &view) {
        (Ok(state), Ok(_)) => state,
        (Err(e), Err(v)) if e == *v => return Ok(Outcome::Err(e)),
        (owned, view) => {
            return Err(format!(
                "view and owned parse disagree: view {:?}, owned {:?}",
                view.as_ref().map(ToString::to_string),
                owned.as_ref().map(TraceState::as_str)
            ));
        }
    };
    let view = view.map_err(|e| e.to_string())?;
    // The view can answer lookups until the state is mutated, if nothing was cut.
    let mut pristine = view.to_string() == state.as_str();
    for op in ops {
        match op {
            Op::Insert(key, value) => {
                if let Err(e) = state.insert(key, value) {
                    return Ok(Outcome::Err(e));
                }
            }
            Op::Remove(key, want) => {
                let got = state.remove(key);
                if got != *want {
                    return Err(format!("remove {key} returned {got}, expected {want}"));
                }
            }
            Op::Truncate(limit) => {
                state.truncate(*limit);
                if state.encoded_len() > *limit {
                    return Err(format!("truncate {limit} left {:?}", state.as_str()));
                }
            }
            Op::Get(key, want) => {
                let got = state.get(key);
                if got != want.as_deref() {
                    return Err(format!("get {key} gave {got:?}, expected {want:?}"));
                }
                if pristine && view.get(key) != want.as_deref() {
                    return Err(format!("view get {key} gave {:?}", view.get(key)));
                }
                continue;
            }
        }
        pristine = false;
        // After a mutation: no duplicates (S7), at most 32 members (S5).
        let keys: Vec<&str> = state.iter().map(|(k, _)| k).collect();
        let unique: BTreeSet<&str> = keys.iter().copied().collect();
        if unique.len() != keys.len() || keys.len() > 32 {
            return Err(format!("bad state after a mutation: {:?}", state.as_str()));
        }
    }
    Ok(Outcome::State(state.as_str().to_owned()))
}

fn matches(expected: &Expected, outcome: &Outcome) -> bool {
    match (expected, outcome) {
        (
            Expected::Parent { encoded, bits },
            Outcome::Parent {
                encoded: e,
                bits: b,
            },
        ) => encoded == e.as_bytes() && bits.is_none_or(|bits| bits == *b),
        (Expected::State(want), Outcome::State(got)) => want == got.as_bytes(),
        (
            Expected::List {
                list,
                dropped,
                checks,
            },
            Outcome::List(got, got_dropped, got_checks),
        ) => list == got.as_bytes() && dropped == got_dropped && checks == got_checks,
        (Expected::Value { decoded, .. }, Outcome::Value(got)) => decoded == got,
        (Expected::None, Outcome::None) => true,
        (
            Expected::Err {
                kind,
                offset,
                member,
                header,
            },
            Outcome::Err(e),
        ) => {
            *kind == format!("{:?}", e.kind())
                && *offset == e.offset()
                && member.is_none_or(|m| e.member() == Some(m))
                && header.as_ref().is_none_or(|h| h == e.header())
        }
        _ => false,
    }
}

/// Writes an outcome in the vector syntax, with the optional parts the vector has.
fn show_outcome(outcome: &Outcome, expected: &Expected) -> String {
    match outcome {
        Outcome::Parent { encoded, bits } => {
            let mut s = format!("ok {encoded}");
            if matches!(expected, Expected::Parent { bits: Some(_), .. }) {
                let _ = write!(s, " bits={bits:02x}");
            }
            s
        }
        Outcome::None => "none".into(),
        Outcome::State(state) if state.is_empty() => "ok".into(),
        Outcome::State(state) => format!("ok {}", escape(state.as_bytes())),
        Outcome::List(list, dropped, checks) => {
            let mut s = "ok".to_owned();
            if !list.is_empty() {
                let _ = write!(s, " {}", escape(list.as_bytes()));
            }
            if let Some(d) = dropped {
                let _ = write!(
                    s,
                    " dropped={}:{}:{}:m{}",
                    d.count, d.kind, d.offset, d.member
                );
            }
            for check in checks {
                s.push_str(" ;; ");
                match check {
                    Check::Value { key, decoded } => {
                        let _ = write!(s, "{key}={}", escape(decoded));
                    }
                    Check::Properties { key, properties } => {
                        s.push_str(key);
                        s.push(';');
                        for (i, (k, v)) in properties.iter().enumerate() {
                            if i > 0 {
                                s.push(';');
                            }
                            s.push_str(&escape(k));
                            if let Some(v) = v {
                                let _ = write!(s, "={}", escape(v));
                            }
                        }
                    }
                    Check::Absent(key) => {
                        let _ = write!(s, "no {key}");
                    }
                }
            }
            s
        }
        Outcome::Value(value) => format!("value {}", escape(value)),
        Outcome::Err(e) => {
            let mut s = format!("err {:?} {}", e.kind(), e.offset());
            if matches!(
                expected,
                Expected::Err {
                    member: Some(_),
                    ..
                }
            ) {
                match e.member() {
                    Some(m) => {
                        let _ = write!(s, " m{m}");
                    }
                    None => s.push_str(" (no member)"),
                }
            }
            if matches!(
                expected,
                Expected::Err {
                    header: Some(_),
                    ..
                }
            ) {
                let _ = write!(s, " header={}", e.header());
            }
            let _ = write!(s, "  ({e})");
            s
        }
    }
}

/// Writes bytes with the vectors' escapes (no repetitions).
fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b' ' if i == 0 || i + 1 == bytes.len() => s.push_str("\\s"),
            b'\\' | b'|' | b'{' | b'}' => {
                s.push('\\');
                s.push(c as char);
            }
            0x20..=0x7e => s.push(c as char),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string payload)".to_owned()
    }
}
