//! The hand-made seed corpus: valid headers, the edge cases of the rules in
//! `docs/RULES.md` (and of its conformance-suite section), and invalid ones. `replay --write-seeds`
//! writes them to `corpus/<target>/seed-<name>`.

use crate::ops::{Header, Op, OpsInput, Text};

/// A seed: its name and its bytes.
pub type Seed = (&'static str, Vec<u8>);

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

fn tp(version: &str, trace: &str, parent: &str, flags: &str) -> Vec<u8> {
    format!("{version}-{trace}-{parent}-{flags}").into_bytes()
}

fn with(mut a: Vec<u8>, b: &[u8]) -> Vec<u8> {
    a.extend_from_slice(b);
    a
}

/// Seeds for the `traceparent` target.
pub fn traceparent() -> Vec<Seed> {
    let valid = tp("00", TRACE, PARENT, "01");
    let mut upper_late = valid.clone();
    upper_late[50] = b'B';
    vec![
        ("valid-sampled", valid.clone()),
        ("valid-not-sampled", tp("00", TRACE, PARENT, "00")),
        ("valid-random-flag-02", tp("00", TRACE, PARENT, "02")),
        ("valid-reserved-flags-ff", tp("00", TRACE, PARENT, "ff")),
        (
            "valid-ows-around",
            with(with(b" \t".to_vec(), &valid), b"\t "),
        ),
        (
            "valid-min-ids",
            tp("00", &format!("{:032x}", 1), &format!("{:016x}", 1), "01"),
        ),
        (
            "valid-max-ids",
            tp("00", &"f".repeat(32), &"f".repeat(16), "03"),
        ),
        ("future-version-cc", tp("cc", TRACE, PARENT, "01")),
        (
            "future-version-cc-extra",
            with(
                tp("cc", TRACE, PARENT, "01"),
                b"-what-the-future-will-be-like",
            ),
        ),
        (
            "future-version-fe-dash-only",
            with(tp("fe", TRACE, PARENT, "09"), b"-"),
        ),
        (
            "invalid-future-version-dot-extra",
            with(tp("cc", TRACE, PARENT, "01"), b".extra"),
        ),
        ("invalid-version-ff", tp("ff", TRACE, PARENT, "01")),
        ("invalid-version-00-dash-extra", with(valid.clone(), b"-x")),
        (
            "invalid-version-00-dot-extra",
            with(valid.clone(), b".extra"),
        ),
        ("invalid-version-000", tp("000", TRACE, PARENT, "01")),
        ("invalid-version-0", tp("0", TRACE, PARENT, "01")),
        ("invalid-version-uppercase", tp("0A", TRACE, PARENT, "01")),
        (
            "invalid-trace-id-33",
            tp("00", &format!("{TRACE}0"), PARENT, "01"),
        ),
        ("invalid-trace-id-31", tp("00", &TRACE[1..], PARENT, "01")),
        (
            "invalid-trace-id-zero",
            tp("00", &"0".repeat(32), PARENT, "01"),
        ),
        (
            "invalid-trace-id-uppercase",
            tp("00", &TRACE.to_uppercase(), PARENT, "01"),
        ),
        (
            "invalid-parent-id-17",
            tp("00", TRACE, &format!("{PARENT}0"), "01"),
        ),
        ("invalid-parent-id-15", tp("00", TRACE, &PARENT[1..], "01")),
        (
            "invalid-parent-id-zero",
            tp("00", TRACE, &"0".repeat(16), "01"),
        ),
        ("invalid-parent-id-uppercase-late", upper_late),
        ("invalid-flags-001", tp("00", TRACE, PARENT, "001")),
        ("invalid-flags-1", tp("00", TRACE, PARENT, "1")),
        ("invalid-flags-uppercase", tp("00", TRACE, PARENT, "0A")),
        ("invalid-truncated-54", valid[..54].to_vec()),
        ("invalid-empty", Vec::new()),
        (
            "invalid-underscores",
            valid
                .iter()
                .map(|&c| if c == b'-' { b'_' } else { c })
                .collect(),
        ),
        ("invalid-non-utf8", with(valid[..53].to_vec(), b"\xff\xfe")),
        (
            "invalid-newline-inside",
            with(with(valid[..20].to_vec(), b"\n"), &valid[21..]),
        ),
    ]
}

fn members(n: usize, value_len: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("k{i:02}={}", "v".repeat(value_len)))
        .collect()
}

/// Seeds for the `tracestate` target (a `\n` separates header fields).
pub fn tracestate() -> Vec<Seed> {
    let s = |t: &str| t.as_bytes().to_vec();
    let fields = |m: Vec<String>, per: usize| -> Vec<u8> {
        let lines: Vec<String> = m.chunks(per).map(|c| c.join(",")).collect();
        lines.join("\n").into_bytes()
    };
    vec![
        ("valid-two", s("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")),
        (
            "valid-ows-and-empty-members",
            s(" rojo=00f067aa0ba902b7 ,\t, ,congo=t61rcWkgMzE\t"),
        ),
        (
            "valid-two-fields",
            s("rojo=00f067aa0ba902b7\ncongo=t61rcWkgMzE"),
        ),
        ("valid-empty", Vec::new()),
        ("valid-only-commas", s(", ,\t,,")),
        ("valid-32-over-4-fields", fields(members(32, 3), 8)),
        ("valid-32-members-510-bytes", s(&members(32, 11).join(","))),
        ("invalid-33-over-4-fields", fields(members(33, 3), 9)),
        ("valid-key-256", s(&format!("{}=1", "k".repeat(256)))),
        ("invalid-key-257", s(&format!("{}=1", "k".repeat(257)))),
        ("valid-value-256", s(&format!("k={}", "v".repeat(256)))),
        ("invalid-value-257", s(&format!("k={}", "v".repeat(257)))),
        (
            "valid-over-512-bytes",
            s(&format!(
                "a=1,b={},c=3,d={},e=5,f={}",
                "x".repeat(200),
                "y".repeat(250),
                "z".repeat(120)
            )),
        ),
        (
            "valid-multi-tenant",
            s("foo@=1,foo@@bar=1,foo@bar@baz=1,t0/x*y-z_@v=ok"),
        ),
        ("valid-value-leading-space", s("a=  b,c=d  ,e=f\t")),
        (
            "valid-value-all-printable",
            s("k=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~"),
        ),
        ("valid-duplicates", s("a=1,b=2,a=3")),
        ("invalid-key-space-before-equals", s("foo =1")),
        ("invalid-key-uppercase", s("FOO=1")),
        ("invalid-key-dot", s("foo.bar=1")),
        ("invalid-key-at-first", s("@foo=1")),
        ("invalid-value-equals", s("foo=bar=baz")),
        ("invalid-value-empty", s("foo=,bar=3")),
        ("invalid-no-equals", s("foo,bar=3")),
        ("invalid-value-tab-inside", s("a=b\tc")),
        ("invalid-non-utf8", b"a=b\xffc".to_vec()),
        ("invalid-some-members-lenient", s("ok=1,Bad=2,fine=3,=4,x=")),
        (
            "invalid-33-with-bad-member",
            s(&format!("{},BAD=1", members(33, 1).join(","))),
        ),
        // Found while writing the fuzz targets: an owned parse stopped validating
        // once the members no longer fitted its capacity, and accepted this.
        (
            "regression-invalid-after-overflow",
            s(&format!("a={v},b={v},BAD=1", v = "v".repeat(256))),
        ),
    ]
}

fn pool(i: u8) -> Text {
    Text::Pool(i)
}

fn bytes(s: &str) -> Text {
    Text::Bytes(s.as_bytes().to_vec())
}

fn long(unit: char, len: u16) -> Text {
    let unit = crate::ops::ALPHABET
        .iter()
        .position(|&c| char::from(c) == unit)
        .expect("unit in ALPHABET") as u8;
    Text::Long {
        prefix: 0,
        unit,
        len,
    }
}

fn insert(key: Text, value: Text) -> Op {
    Op::Insert { key, value }
}

/// The structured seeds for the `tracestate_ops` target, before encoding.
pub fn ops_inputs() -> Vec<(&'static str, OpsInput)> {
    let raw = |s: &str| Header::Raw(s.as_bytes().to_vec());
    let many = |n: usize, value_len: usize| raw(&members(n, value_len).join(","));
    vec![
        (
            "update-move-to-front",
            OpsInput {
                header: Header::Members(vec![(pool(4), pool(12)), (pool(5), pool(11))]),
                ops: vec![
                    insert(pool(5), bytes("ucfJifl5GOE")),
                    Op::Get { key: pool(5) },
                    Op::Remove { key: pool(4) },
                    Op::Get { key: pool(4) },
                ],
            },
        ),
        (
            "duplicates-dropped-on-mutation",
            OpsInput {
                header: raw("a=1,b=2,a=3,c=4,b=5"),
                ops: vec![
                    Op::Get { key: pool(1) },
                    insert(pool(3), pool(10)),
                    Op::Get { key: pool(2) },
                ],
            },
        ),
        (
            "duplicates-remove-absent",
            OpsInput {
                header: raw("a=1,a=2"),
                ops: vec![Op::Remove { key: pool(4) }],
            },
        ),
        (
            "duplicates-truncate-no-op",
            OpsInput {
                header: raw("a=1,a=2"),
                ops: vec![Op::Truncate { limit: 600 }],
            },
        ),
        (
            "33rd-member-evicts-right-most",
            OpsInput {
                header: many(32, 3),
                ops: vec![
                    insert(bytes("new"), pool(10)),
                    insert(bytes("k05"), pool(9)),
                ],
            },
        ),
        (
            "long-members-cut-first",
            OpsInput {
                header: raw(&format!(
                    "a=1,b={},c=3,d={}",
                    "x".repeat(200),
                    "y".repeat(150)
                )),
                ops: vec![
                    insert(bytes("e"), long('x', 250)),
                    insert(bytes("f"), long('x', 90)),
                ],
            },
        ),
        (
            "parsed-over-capacity",
            OpsInput {
                header: many(32, 20),
                ops: vec![Op::Get { key: bytes("k31") }, insert(pool(1), pool(10))],
            },
        ),
        (
            "truncate-limits",
            OpsInput {
                header: raw(&format!("a=1,big={},c=3,d=4", "x".repeat(200))),
                ops: vec![
                    Op::Truncate { limit: 100 },
                    Op::Truncate { limit: 7 },
                    Op::Truncate { limit: 3 },
                    Op::Truncate { limit: 0 },
                ],
            },
        ),
        (
            "invalid-inserts-change-nothing",
            OpsInput {
                header: raw("a=1,a=2"),
                ops: vec![
                    insert(pool(16), pool(10)),
                    insert(pool(0), pool(10)),
                    insert(pool(1), pool(0)),
                    insert(pool(1), pool(14)),
                    insert(pool(1), pool(19)),
                    insert(pool(18), pool(10)),
                    insert(long('a', 257), pool(10)),
                    insert(pool(1), long('x', 257)),
                    Op::Get { key: pool(1) },
                ],
            },
        ),
        (
            "insert-larger-than-small-capacity",
            OpsInput {
                header: raw("a=1"),
                ops: vec![
                    insert(pool(2), long('x', 99)),
                    insert(long('a', 256), long('x', 256)),
                ],
            },
        ),
        (
            "valid-edge-keys-and-values",
            OpsInput {
                header: Header::Members(vec![]),
                ops: vec![
                    insert(pool(6), pool(13)),
                    insert(pool(7), pool(23)),
                    insert(pool(8), pool(15)),
                    insert(long('a', 256), pool(10)),
                    insert(pool(9), long('~', 256)),
                ],
            },
        ),
        (
            "regression-invalid-after-overflow",
            OpsInput {
                header: raw(&format!("a={v},b={v},BAD=1", v = "v".repeat(256))),
                ops: vec![Op::Get { key: pool(1) }],
            },
        ),
        (
            "invalid-header-starts-empty",
            OpsInput {
                header: raw("FOO=1,bar=2"),
                ops: vec![insert(pool(4), pool(12)), Op::Remove { key: pool(4) }],
            },
        ),
    ]
}

/// Seeds for the `tracestate_ops` target, encoded as the fuzzer reads them.
pub fn tracestate_ops() -> Vec<Seed> {
    ops_inputs()
        .into_iter()
        .map(|(name, input)| (name, input.encode()))
        .collect()
}

/// Seeds for the `propagation` target: requests as `name:value` lines.
pub fn propagation() -> Vec<Seed> {
    let valid = String::from_utf8(tp("00", TRACE, PARENT, "01")).unwrap();
    let request = |lines: &[&str]| lines.join("\n").into_bytes();
    vec![
        (
            "continued",
            request(&[
                &format!("traceparent:{valid}"),
                "tracestate:congo=t61rcWkgMzE",
            ]),
        ),
        (
            "any-case",
            request(&[&format!("TraceParent: {valid} "), "TRACESTATE: a=1 ,b=2"]),
        ),
        (
            "duplicate",
            request(&[
                &format!("traceparent:{valid}"),
                &format!("traceparent:{valid}"),
            ]),
        ),
        ("missing", request(&["tracestate:a=1", "trace-parent:x"])),
        (
            "invalid-tp",
            request(&["traceparent:00-zz", "tracestate:a=1"]),
        ),
        (
            "invalid-ts",
            request(&[&format!("traceparent:{valid}"), "tracestate:foo=bar=baz"]),
        ),
        (
            "fields",
            request(&[
                &format!("traceparent:{valid}"),
                "tracestate:a=1",
                "tracestate:",
                "tracestate:b=2,a=3",
            ]),
        ),
        (
            "future",
            request(&["traceparent:cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff-x"]),
        ),
        (
            "server-timing",
            format!("db;dur=53, trace;desc=\"{valid}\"").into_bytes(),
        ),
        // A quoted desc with escapes, and a bad byte after them: the error points
        // at that byte of the header (R1).
        (
            "server-timing-escaped-bad-flags",
            format!("db;dur=53, trace;desc=\"\\00-{TRACE}-{PARENT}-0\\g\"").into_bytes(),
        ),
        (
            "desc-bad-flags",
            request(&[&format!("traceparent:00-{TRACE}-{PARENT}-0g")]),
        ),
        // Sampling on a continued trace (P1-P6): th kept, erased, raised, replaced;
        // a malformed ot; an update over 256 characters, refused.
        (
            "ot-sampled-kept",
            request(&[
                &format!("traceparent:{valid}"),
                "tracestate: rojo=1 , ot=th:c;rv:ce929d0e0e4736 ,,congo=2",
            ]),
        ),
        (
            "ot-unsampled-th",
            request(&[
                &format!("traceparent:00-{TRACE}-{PARENT}-02"),
                "tracestate:ot=th:8;x:y,a=1",
            ]),
        ),
        (
            "ot-malformed",
            request(&[
                &format!("traceparent:{valid}"),
                "tracestate:a=1,ot=th:X;rv:1,ot=th:8",
            ]),
        ),
        (
            "ot-in-second-field",
            request(&[
                &format!("traceparent:00-{TRACE}-{PARENT}-03"),
                "tracestate:a=1",
                "tracestate:ot=rv:00000000000001;th:0,b=2",
            ]),
        ),
        (
            "ot-update-over-256",
            request(&[
                &format!("traceparent:00-{TRACE}-{PARENT}-03"),
                &format!("tracestate:ot=th:8;x:{},a=1", "a".repeat(249)),
            ]),
        ),
    ]
}

/// Seeds for the `sampling` target: `ot` values and tracestates (P1–P7).
pub fn sampling() -> Vec<Seed> {
    [
        ("th", "th:c"),
        ("th-rv-other", "rv:ce929d0e0e4736;th:fd70a;x:y.z"),
        ("th-too-long", "th:ffffffffffffffff"),
        ("rv-short", "rv:3"),
        ("duplicate", "th:8;th:c"),
        ("state", "rojo=1,ot=th:8;rv:01000000000000,congo=2"),
        ("state-bad-ot", "ot=th:X,a=1"),
        ("th-zero-rv-last", "x:1;th:0;rv:ce929d0e0e4736"),
        ("th-padded", "th:c0;y:Z.-_9"),
        ("bad-sub-key-digit", "1a:2"),
        ("bad-sub-value-colon", "a:b:c"),
        ("bad-empty-item", "th:8;;x:1"),
        ("bad-th-empty", "th:"),
        ("bad-rv-uppercase", "rv:CE929D0E0E4736"),
        ("bad-duplicate-other", "x:1;y:2;x:3"),
        ("state-ot-duplicates", "ot=th:0,a=1,ot=th:f"),
    ]
    .into_iter()
    .map(|(name, text)| (name, text.as_bytes().to_vec()))
    .chain([
        // 256 characters: setting a longer th would make 257 or more (P1).
        (
            "len-256",
            format!("th:8;x:{}", "a".repeat(249)).into_bytes(),
        ),
        ("len-257", format!("x:{}", "a".repeat(255)).into_bytes()),
        (
            "state-ot-256",
            format!("ot=th:8;x:{},b=1", "a".repeat(249)).into_bytes(),
        ),
    ])
    .collect()
}

/// Seeds for the `baggage` target: lines are fields; after the first, a line
/// starting with `\0` inserts `key:value`, `\x01` removes a key, `\x02` retains
/// the keys listed (or, with none, the short members), `\x03` inserts
/// `key:value;name=value;name` with properties.
pub fn baggage() -> Vec<Seed> {
    let s = |t: &str| t.as_bytes().to_vec();
    let many = (0..65)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",");
    let long = format!("a=1,b={},c=3", "x".repeat(8186));
    vec![
        (
            "spec-properties",
            s(
                "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
            ),
        ),
        (
            "spec-encoded",
            s("userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false"),
        ),
        ("equals-in-values", s("a=b=c,d==,e=%3D=")),
        ("bad-escapes", s("a=%,b=%4,c=%zz,d=%41")),
        (
            "bad-utf8",
            s("a=%C0%AF,b=%ED%A0%80,c=%F4%90%80%80,d=%E2%82"),
        ),
        ("ows-and-empty", s(" \ta = 1 ;\tp = 2 ;q ,, ,b=2\t")),
        ("sixty-five-members", many.into_bytes()),
        ("just-over-8192-bytes", long.into_bytes()),
        ("several-fields", s("a=1\n\nb=2;p\nbad key=3\nc=4")),
        (
            "edits",
            s("a=1,b=2,a=3\n\0a:x y\n\0c:50%\n\x01b\n\0bad key:1\n\x0e\n\0d:é"),
        ),
        (
            "edits-until-full",
            s(
                "a=1\n\0b:2\n\0c:3\n\0d:4\n\0e:5\n\0f:6\n\0g:7\n\0h:0123456789012345678901234567890123456789",
            ),
        ),
        (
            "edits-properties-and-retain",
            s(
                "a=1;p,b=2,a=3\n\x03a:50% off;ttl=30;internal\n\x03b:x;bad key\n\x03c:é;p=a b;q=\n\x02a,c\n\x01a\n\x03c:2",
            ),
        ),
        // One `%FF` decodes to U+FFFD, nine bytes when encoded again: a value of
        // 2735 bytes encodes to more than 8192.
        (
            "encoding-grows",
            format!("k={}", "%FF".repeat(911)).into_bytes(),
        ),
        (
            "ows-before-equals",
            s("a  =1,b\t= 2 ;p\t=\t3,c=d=e,c==\nc =4"),
        ),
    ]
}

/// Seeds for a target by name.
pub fn for_target(target: &str) -> Vec<Seed> {
    match target {
        "traceparent" => traceparent(),
        "tracestate" => tracestate(),
        "tracestate_ops" => tracestate_ops(),
        "propagation" => propagation(),
        "sampling" => sampling(),
        "baggage" => baggage(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_seeds_decode_to_what_they_say() {
        for (name, input) in ops_inputs() {
            assert_eq!(OpsInput::decode(&input.encode()), Some(input), "{name}");
        }
    }
}
