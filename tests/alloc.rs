//! Parsing, encoding, both tracestate forms, sampling decisions and the whole
//! propagation hop (extract, decide, child, inject into an array carrier) never touch
//! the heap; the owned `Context` (feature `alloc`) costs exactly what its docs say:
//! one `Arc` for a non-empty tracestate, nothing for an empty one or a clone. A
//! counting global allocator proves it, call by call. Rules are cited as "rule T7"
//! and so on, by their numbers in docs/RULES.md.
//!
//! The counter is per thread (libtest runs tests on several threads), and a check
//! that a real `Vec` is counted keeps the test able to fail.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write as _;
use std::hint::black_box;

use tracecontext::sampling::{
    AlwaysOn, Configured, Input, OtValue, Parent, ParentBased, Probability, RateLimited, Rule,
    Sampler, Threshold,
};
use tracecontext::{
    Error, ErrorKind, IdSource, InlineContext, SeededIds, SpanId, TraceFlags, TraceId, TraceParent,
    TraceState, TraceStateView, Validation,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with` so that allocations during thread teardown do not panic.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded from the caller, who upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: `ptr` came from this allocator, that is from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The number of allocations `f` makes on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    black_box(f());
    ALLOCATIONS.with(Cell::get) - before
}

#[track_caller]
fn assert_no_alloc<R>(what: &str, f: impl FnOnce() -> R) {
    let n = allocations(f);
    assert_eq!(n, 0, "{what}: {n} allocation(s)");
}

/// A fixed stack buffer that `core::fmt` can write into.
struct StackBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap()
    }
}

impl<const N: usize> std::fmt::Write for StackBuf<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

const TP: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TS: &[u8] = b"rojo=00f067aa0ba902b7, congo=t61rcWkgMzE,,  a=1 ,b=2\t";

#[test]
fn the_counter_counts() {
    let n = allocations(|| vec![1u8; 16]);
    assert_eq!(n, 1);
    let n = allocations(|| String::from("x") + "y");
    assert!(n >= 1);
    let n = allocations(|| black_box(1) + 1);
    assert_eq!(n, 0);
}

#[test]
fn traceparent_parse_and_encode() {
    assert_no_alloc("parse valid", || TraceParent::parse(black_box(TP)).unwrap());
    assert_no_alloc("parse with whitespace", || {
        TraceParent::parse(black_box(
            b" \t00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\t",
        ))
        .unwrap()
    });
    assert_no_alloc("parse future version", || {
        TraceParent::parse(black_box(
            b"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds",
        ))
        .unwrap()
    });
    let invalid: &[&[u8]] = &[
        b"",
        b"00",
        b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
        b"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.x",
        b"\xff\xfe-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ];
    for input in invalid {
        assert_no_alloc("parse invalid", || {
            TraceParent::parse(black_box(input)).unwrap_err()
        });
    }
    let tp = TraceParent::parse(TP).unwrap();
    assert_no_alloc("encode", || black_box(tp).encode());
    assert_no_alloc("with_parent_id", || {
        black_box(tp).with_parent_id(SpanId::from_u64(7).unwrap())
    });
    let mut buf = StackBuf::<64>::new();
    assert_no_alloc("Display", || write!(buf, "{tp}").unwrap());
    assert_eq!(buf.as_str().as_bytes(), TP);
    let mut buf = StackBuf::<256>::new();
    assert_no_alloc("Debug", || write!(buf, "{tp:?}").unwrap());
}

#[test]
fn ids_and_flags() {
    assert_no_alloc("TraceId::parse", || {
        TraceId::parse(black_box(b"4bf92f3577b34da6a3ce929d0e0e4736")).unwrap()
    });
    assert_no_alloc("TraceId::parse invalid", || {
        TraceId::parse(black_box(b"4bf92f3577b34da6a3ce929d0e0e473")).unwrap_err()
    });
    assert_no_alloc("SpanId::parse", || {
        SpanId::parse(black_box(b"00f067aa0ba902b7")).unwrap()
    });
    assert_no_alloc("SpanId::parse invalid", || {
        SpanId::parse(black_box(b"0000000000000000")).unwrap_err()
    });
    let t = TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736).unwrap();
    let s = SpanId::from_u64(0x00f0_67aa_0ba9_02b7).unwrap();
    assert_no_alloc("TraceId::encode", || black_box(t).encode());
    assert_no_alloc("SpanId::encode", || black_box(s).encode());
    let mut buf = StackBuf::<64>::new();
    assert_no_alloc("id Display", || write!(buf, "{t}-{s}").unwrap());
    assert_eq!(
        buf.as_str(),
        "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"
    );
    let mut buf = StackBuf::<64>::new();
    let flags = TraceFlags::from_bits(0x83);
    assert_no_alloc("flags", || {
        write!(buf, "{flags:?} {flags:02x}").unwrap();
        black_box(flags.known() | TraceFlags::RANDOM)
    });
}

#[test]
fn tracestate_view() {
    let view = TraceStateView::parse(TS).unwrap();
    assert_no_alloc("view parse", || {
        TraceStateView::parse(black_box(TS)).unwrap()
    });
    assert_no_alloc("view parse invalid", || {
        TraceStateView::parse(black_box(b"a=1,B=2")).unwrap_err()
    });
    let fields: [&[u8]; 3] = [b"a=1", b" ", b"rojo=x,congo=y"];
    assert_no_alloc("view parse_fields", || {
        let v = TraceStateView::parse_fields(black_box(fields)).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v.get("congo"), Some("y"));
        v.iter().count()
    });
    assert_no_alloc("view parse_fields slice", || {
        let v = TraceStateView::parse_fields(black_box(&fields[..]).iter().copied()).unwrap();
        v.len()
    });
    assert_no_alloc("view lenient", || {
        TraceStateView::parse_fields_with([black_box(&b"a=1,Bad=2"[..])], Validation::Lenient)
            .unwrap()
            .len()
    });
    assert_no_alloc("view iter", || {
        let mut total = 0;
        for (k, v) in &view {
            total += k.len() + v.len();
        }
        total
    });
    assert_no_alloc("view get", || {
        assert_eq!(view.get("a"), Some("1"));
        assert_eq!(view.get("zzz"), None);
    });
    let mut buf = StackBuf::<128>::new();
    assert_no_alloc("view Display", || write!(buf, "{view}").unwrap());
    assert_eq!(
        buf.as_str(),
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,a=1,b=2"
    );
}

#[test]
fn tracestate_owned() {
    let long = [b'x'; 200];
    let long = std::str::from_utf8(&long).unwrap();
    let mut big = String::new();
    for i in 0..32 {
        big.push_str(&format!("k{i}={long},"));
    }
    let mut state = TraceState::<512>::parse(TS).unwrap();
    assert_no_alloc("owned parse", || {
        TraceState::<512>::parse(black_box(TS)).unwrap()
    });
    assert_no_alloc("owned parse with S9 cut", || {
        TraceState::<512>::parse(black_box(big.as_bytes())).unwrap()
    });
    assert_no_alloc("owned parse invalid", || {
        TraceState::<512>::parse(black_box(b"a=1,b=")).unwrap_err()
    });
    assert_no_alloc("owned parse_fields", || {
        TraceState::<64>::parse_fields([&b"a=1"[..], b"b=2"]).unwrap()
    });
    assert_no_alloc("insert update", || state.insert("congo", "new").unwrap());
    assert_no_alloc("insert new", || state.insert("ours", "s1").unwrap());
    assert_no_alloc("insert invalid", || state.insert("Bad", "x").unwrap_err());
    assert_no_alloc("insert evicting", || {
        for i in 0..4 {
            let key = ["l0", "l1", "l2", "l3"][i];
            state.insert(key, long).unwrap();
        }
    });
    assert!(state.encoded_len() <= 512);
    let mut small = TraceState::<64>::new();
    assert_no_alloc("insert too big", || small.insert("k", long).unwrap_err());
    assert_no_alloc("remove", || {
        assert!(state.remove("ours"));
        assert!(!state.remove("ours"));
    });
    assert_no_alloc("get", || state.get("congo").map(str::len));
    assert_no_alloc("iter", || state.iter().count());
    assert_no_alloc("as_str", || state.as_str().len());
    let mut out = [0u8; 512];
    assert_no_alloc("encode_into", || state.encode_into(&mut out).unwrap());
    let mut tiny = [0u8; 4];
    assert_no_alloc("encode_into too short", || {
        state.encode_into(&mut tiny).unwrap_err()
    });
    assert_no_alloc("truncate", || state.truncate(20));
    assert!(state.encoded_len() <= 20);
    let view = TraceStateView::parse(TS).unwrap();
    assert_no_alloc("from view", || TraceState::<512>::from(&view));
    let mut dup = TraceState::<512>::parse(b"a=1,b=2,a=3").unwrap();
    assert_no_alloc("first mutation drops duplicates", || {
        dup.insert("c", "3").unwrap()
    });
    assert_eq!(dup.as_str(), "c=3,a=1,b=2");
    let mut buf = StackBuf::<512>::new();
    assert_no_alloc("owned Display and Debug", || {
        write!(buf, "{state} {state:?}").unwrap()
    });
}

#[test]
fn error_display_into_a_stack_buffer() {
    let errors: Vec<Error> = vec![
        TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G").unwrap_err(),
        TraceParent::parse(b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap_err(),
        TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x")
            .unwrap_err(),
        TraceParent::parse(b"\xff").unwrap_err(),
        TraceStateView::parse(b"a=1,foo=bar=baz").unwrap_err(),
        TraceStateView::parse(b"a").unwrap_err(),
        TraceState::<8>::new()
            .insert("key", "value-too-long")
            .unwrap_err(),
        Error::carrier_full("tracestate"),
        Error::carrier_refused("traceparent"),
        OtValue::parse("th:ffffffffffffffff").unwrap_err(),
        Configured::parse("xray", None).unwrap_err(),
        Configured::parse("traceidratio", Some("2")).unwrap_err(),
    ];
    for e in &errors {
        let mut buf = StackBuf::<256>::new();
        assert_no_alloc("error Display", || write!(buf, "{e}").unwrap());
        assert!(buf.as_str().starts_with(e.header()));
        let mut buf = StackBuf::<256>::new();
        assert_no_alloc("error Debug", || write!(buf, "{e:?}").unwrap());
        assert_no_alloc("error accessors", || {
            (e.kind(), e.offset(), e.member(), e.kind() == ErrorKind::Key)
        });
    }
    let mut buf = StackBuf::<256>::new();
    write!(buf, "{}", errors[0]).unwrap();
    assert_eq!(
        buf.as_str(),
        "traceparent: invalid hex digit 'G' in trace-flags at byte 54"
    );
}

/// 32 members of 15 bytes each.
fn thirty_two_members() -> String {
    (0..32)
        .map(|i| format!("k{i:02}={:011x}", i * 7919))
        .collect::<Vec<_>>()
        .join(",")
}

const SPAN: u64 = 0x5399_5c3f_42cd_8ad8;

#[test]
fn extract_child_inject_with_an_array_carrier() {
    let tp = std::str::from_utf8(TP).unwrap();
    let long = thirty_two_members();
    let span = SpanId::from_u64(SPAN).unwrap();
    for state in [
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,a=1,ot=th:c",
        long.as_str(),
    ] {
        let incoming = [("traceparent", tp), ("tracestate", state)];
        assert_no_alloc("extract, child, inject", || {
            let extracted = tracecontext::extract(black_box(&incoming));
            let child = extracted.parent().unwrap().child_with_span_id(span);
            let mut outgoing = [("", ""); 2];
            child.inject(&mut outgoing).unwrap();
            assert_eq!(outgoing[1].1, state);
        });
        assert_no_alloc("extract, child from a source, headers", || {
            let extracted = tracecontext::extract(black_box(&incoming));
            let child = extracted.parent().unwrap().child(&mut SeededIds::new(3));
            let headers = child.headers();
            let mut outgoing = [("", ""); 2];
            headers.inject(&mut outgoing).unwrap();
            assert_eq!(outgoing[1].1, state);
        });
    }
    // Joined fields, an edited state, a restart, and byte pairs: still none.
    let incoming = [
        ("traceparent", tp),
        ("tracestate", "a=1"),
        ("tracestate", "b=2"),
    ];
    assert_no_alloc("joined fields, edited", || {
        let extracted = tracecontext::extract(black_box(&incoming));
        let mut child = extracted.parent().unwrap().child_with_span_id(span);
        child
            .edit_tracestate(|state| state.insert("ours", "1"))
            .unwrap();
        let mut outgoing: [(&[u8], &[u8]); 2] = [(b"", b""); 2];
        child.inject(&mut outgoing).unwrap();
        assert_eq!(outgoing[1].1, b"ours=1,a=1,b=2");
    });
    let invalid = [("traceparent", "00-zz"), ("tracestate", "a=1")];
    assert_no_alloc("restart", || {
        let extracted = tracecontext::extract(black_box(&invalid));
        let (root, _) = extracted.child_or_root(&mut SeededIds::new(1), &AlwaysOn);
        let mut outgoing = [("", ""); 2];
        root.inject(&mut outgoing).unwrap();
        assert_eq!(outgoing[1], ("", ""));
        assert!(root.is_sampled() && root.is_random());
    });
}

#[test]
fn decided_hops_with_an_array_carrier() {
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";
    // R = 0xce929d0e0e4736 >= th:c (rule P7): the incoming th agrees with the flag.
    let state = "rojo=00f067aa0ba902b7, ot=th:c ,congo=t61rcWkgMzE";
    let incoming = [("traceparent", tp), ("tracestate", state)];

    // Parent-based, following: `ot` unchanged (rule P6), the text forwarded as it came.
    let follow = ParentBased::new(Probability::new(0.5));
    assert_no_alloc("extract, child_decided (ot unchanged), inject", || {
        let extracted = tracecontext::extract(black_box(&incoming));
        let (child, decision) = extracted
            .parent()
            .unwrap()
            .child_decided(&mut SeededIds::new(1), &follow);
        assert!(decision.is_sampled());
        let mut outgoing = [("", ""); 2];
        child.inject(&mut outgoing).unwrap();
        assert_eq!(outgoing[1], ("tracestate", state));
    });

    // An untrusted edge with a probability root writes its own th:8 (rule P6), inline on
    // the borrowed hop.
    let edge = ParentBased::untrusted(Probability::new(0.5));
    assert_no_alloc("extract, child_decided (ot rewritten), inject", || {
        let extracted = tracecontext::extract(black_box(&incoming));
        let (child, decision) = extracted
            .parent()
            .unwrap()
            .child_decided(&mut SeededIds::new(1), &edge);
        assert_eq!(decision.threshold(), Threshold::parse("8").ok());
        let mut outgoing = [("", ""); 2];
        child.inject(&mut outgoing).unwrap();
        assert_eq!(
            outgoing[1],
            (
                "tracestate",
                "ot=th:8,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
            )
        );
    });

    // The same through `child_or_root`, and a rate-limited edge (which erases th).
    let limited = ParentBased::untrusted(RateLimited::new(10, 10, || 0u64));
    assert_no_alloc("child_or_root, rate limited", || {
        let extracted = tracecontext::extract(black_box(&incoming));
        let (child, decision) = extracted.child_or_root(&mut SeededIds::new(1), &limited);
        assert!(decision.is_sampled());
        assert_eq!(decision.threshold(), None);
        let mut outgoing = [("", ""); 2];
        child.inject(&mut outgoing).unwrap();
        assert_eq!(
            outgoing[1],
            ("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        );
    });
}

#[test]
fn inline_contexts() {
    let mut ids = SeededIds::new(4);
    assert_no_alloc("new_inline", || {
        InlineContext::<64>::new_inline(
            TraceId::from_u128(1).unwrap(),
            SpanId::from_u64(1).unwrap(),
            TraceFlags::SAMPLED,
        )
    });
    let sampler = ParentBased::new(Probability::new(0.5));
    for _ in 0..16 {
        // Sampled or not, with or without th written: never the heap.
        assert_no_alloc("root_inline with a probability sampler", || {
            let (root, decision) = InlineContext::<64>::root_inline(&mut ids, &sampler);
            assert_eq!(root.tracestate().get("ot").is_some(), decision.is_sampled());
            root
        });
    }
    let tp = std::str::from_utf8(TP).unwrap();
    let incoming = [("traceparent", tp), ("tracestate", "a=1")];
    assert_no_alloc("into_inline, edit, clone", || {
        let extracted = tracecontext::extract(black_box(&incoming));
        let mut kept: InlineContext = extracted.into_parent().unwrap().into_inline();
        kept.edit_tracestate(|state| state.insert("b", "2"))
            .unwrap();
        let copy = kept.clone();
        assert_eq!(copy.tracestate().as_str(), "b=2,a=1");
        copy
    });
}

#[cfg(feature = "alloc")]
#[test]
fn a_reused_owned_carrier_stops_allocating() {
    let tp = std::str::from_utf8(TP).unwrap();
    let incoming = [("traceparent", tp), ("tracestate", "a=1,b=2")];
    let span = SpanId::from_u64(7).unwrap();
    let mut outgoing: Vec<(String, String)> = Vec::new();
    let hop = |outgoing: &mut Vec<(String, String)>| {
        let extracted = tracecontext::extract(&incoming);
        extracted
            .parent()
            .unwrap()
            .child_with_span_id(span)
            .inject(outgoing)
            .unwrap();
    };
    assert!(
        allocations(|| hop(&mut outgoing)) > 0,
        "the first hop fills the carrier"
    );
    assert_no_alloc("second hop", || hop(&mut outgoing));
    assert_eq!(outgoing[1].1, "a=1,b=2");
}

#[cfg(feature = "alloc")]
#[test]
fn owned_contexts_cost_one_arc_at_most() {
    use tracecontext::Context;
    let tp = std::str::from_utf8(TP).unwrap();
    let span = SpanId::from_u64(SPAN).unwrap();

    // `into_owned`: nothing for an empty tracestate, one `Arc` for a non-empty one
    // (the documented cost of `Shared`).
    let bare = [("traceparent", tp)];
    let empty_list = [("traceparent", tp), ("tracestate", " , ")];
    for incoming in [&bare[..], &empty_list[..]] {
        let extracted = tracecontext::extract(incoming);
        let hop = extracted.parent().unwrap().child_with_span_id(span);
        let n = allocations(|| {
            let owned: Context = hop.into_owned();
            owned
        });
        assert_eq!(n, 0, "into_owned of an empty tracestate");
    }
    let full = [("traceparent", tp), ("tracestate", "a=1, b=2")];
    let joined = [
        ("traceparent", tp),
        ("tracestate", "a=1"),
        ("tracestate", "b=2"),
    ];
    for incoming in [&full[..], &joined[..]] {
        let extracted = tracecontext::extract(incoming);
        let hop = extracted.parent().unwrap().child_with_span_id(span);
        let mut owned = None;
        let n = allocations(|| owned = Some(hop.into_owned()));
        assert_eq!(n, 1, "into_owned of a non-empty tracestate");
        assert!(!owned.unwrap().tracestate().is_empty());
    }

    // Cloning and children share the `Arc`.
    let extracted = tracecontext::extract(&full[..]);
    let owned: Context = extracted
        .parent()
        .unwrap()
        .child_with_span_id(span)
        .into_owned();
    let mut clone = None;
    assert_no_alloc("clone an owned Context", || clone = Some(owned.clone()));
    let clone = clone.unwrap();
    assert_eq!(clone, owned);
    assert_eq!(
        clone.tracestate().as_str().as_ptr(),
        owned.tracestate().as_str().as_ptr(),
        "the clone shares the text"
    );
    assert_no_alloc("child of an owned Context", || {
        owned.child(&mut SeededIds::new(5))
    });
    let follow = ParentBased::new(Probability::new(0.5));
    assert_no_alloc("decided child, ot unchanged", || {
        owned.child_decided(&mut SeededIds::new(5), &follow)
    });
    assert_no_alloc("inject an owned Context into an array", || {
        let mut outgoing = [("", ""); 2];
        owned.inject(&mut outgoing).unwrap();
        assert_eq!(outgoing[1].1, "a=1, b=2");
    });
}

#[cfg(feature = "alloc")]
#[test]
fn into_owned_of_an_owned_context_does_not_copy() {
    use tracecontext::Context;
    let tp = std::str::from_utf8(TP).unwrap();
    let incoming = [("traceparent", tp), ("tracestate", "a=1, b=2")];
    let extracted = tracecontext::extract(&incoming[..]);
    let owned: Context = extracted
        .parent()
        .unwrap()
        .child(&mut SeededIds::new(1))
        .into_owned();
    let again = owned.clone();
    let mut kept = None;
    let n = allocations(|| kept = Some(again.into_owned()));
    assert_eq!(kept.unwrap(), owned);
    // A context that is already `Shared` keeps its `Arc`.
    assert_eq!(n, 0, "into_owned of a Shared context: {n} allocation(s)");
}

#[cfg(feature = "alloc")]
#[test]
fn owned_roots() {
    use tracecontext::Context;
    let mut ids = SeededIds::new(6);
    assert_no_alloc("Context::new", || {
        Context::new(
            TraceId::from_u128(1).unwrap(),
            SpanId::from_u64(1).unwrap(),
            TraceFlags::SAMPLED,
        )
    });
    assert_no_alloc("Context::root, AlwaysOn", || {
        Context::root(&mut ids, &AlwaysOn)
    });
    // A probability root: the decision itself never allocates; a root that is
    // sampled carries `ot=th:8` (rule P6), and a `Shared` tracestate that is not empty is
    // one `Arc`; a dropped root carries nothing, and costs nothing.
    let half = Probability::new(0.5);
    let (mut sampled, mut dropped) = (0, 0);
    for _ in 0..64 {
        let mut root = None;
        let n = allocations(|| root = Some(Context::root(&mut ids, &half)));
        let (root, decision) = root.unwrap();
        if decision.is_sampled() {
            sampled += 1;
            assert_eq!(root.tracestate().as_str(), "ot=th:8");
            assert_eq!(
                n, 1,
                "a sampled probability root: the Arc of its tracestate"
            );
        } else {
            dropped += 1;
            assert!(root.tracestate().is_empty());
            assert_eq!(n, 0, "a dropped probability root");
        }
    }
    assert!(
        sampled > 0 && dropped > 0,
        "{sampled} sampled, {dropped} dropped"
    );
}

#[test]
fn response_side() {
    let tp = TraceParent::parse(TP).unwrap();
    assert_no_alloc("server-timing metric", || {
        tracecontext::response::server_timing(&tp)
    });
    let context = InlineContext::<64>::new_inline(tp.trace_id(), tp.parent_id(), tp.flags());
    assert_no_alloc("a context's server-timing metric", || {
        context.server_timing()
    });
    let metric = tracecontext::response::server_timing(&tp);
    let header = format!("db;dur=53, cache;desc=\"hit\", {}", &*metric);
    let response = [("server-timing", header.as_str())];
    assert_no_alloc("read the metric", || {
        let found = tracecontext::response::extract(black_box(&response)).unwrap();
        assert_eq!(found, Some(tp));
    });
    assert_no_alloc("parse a server-timing value", || {
        tracecontext::response::parse_server_timing(black_box(header.as_bytes())).unwrap()
    });
    let legacy = [("traceresponse", std::str::from_utf8(TP).unwrap())];
    assert_no_alloc("read a legacy traceresponse", || {
        tracecontext::response::extract(black_box(&legacy)).unwrap()
    });
    let twice = [legacy[0], legacy[0]];
    assert_no_alloc("two traceresponse fields", || {
        tracecontext::response::extract(black_box(&twice)).unwrap_err()
    });
}

#[test]
fn id_generation_and_sampling_decisions() {
    let mut seeded = SeededIds::new(1);
    assert_no_alloc("seeded ids", || (seeded.trace_id(), seeded.span_id()));
    #[cfg(feature = "std")]
    {
        // The first call on a thread seeds it; std may allocate then (thread
        // handles), so warm up before counting.
        let _ = tracecontext::ThreadIds.span_id();
        assert_no_alloc("thread ids", || {
            (
                tracecontext::ThreadIds.trace_id(),
                tracecontext::ThreadIds.span_id(),
            )
        });
    }
    let trace_id = TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap();
    let state = TraceState::<512>::parse(b"ot=rv:ce929d0e0e4736;th:8,a=1").unwrap();
    // The root sampler decides for a sampled remote parent: its th:c is above the
    // incoming th:8, so it is the threshold in force (rule P6, rule P9), and R = rv >= th:c.
    let probability = ParentBased::new(Probability::new(0.25)).remote_sampled(Rule::Root);
    let input = Input::child(
        Parent::Remote(TraceFlags::SAMPLED),
        trace_id,
        state.get("ot"),
    );
    assert_no_alloc("probability decision with a th update", || {
        let decision = probability.decide(&input);
        assert!(decision.is_sampled());
        assert_eq!(decision.threshold(), Threshold::parse("c").ok());
    });
    // Applied on a borrowed hop: the new ot keeps rv (rule P3) and moves to the front (rule S8).
    let tp = std::str::from_utf8(TP).unwrap();
    let incoming = [("traceparent", tp), ("tracestate", state.as_str())];
    assert_no_alloc("probability decision applied to a hop", || {
        let extracted = tracecontext::extract(black_box(&incoming));
        let (child, _) = extracted
            .parent()
            .unwrap()
            .child_decided(&mut SeededIds::new(2), &probability);
        assert_eq!(child.tracestate().as_str(), "ot=rv:ce929d0e0e4736;th:c,a=1");
    });

    let limiter = RateLimited::new(10, 10, || 0u64);
    let root_input = Input::root(trace_id, true);
    assert_no_alloc("rate limited decisions", || {
        // The bucket starts full: ten, then none at a clock that stands still.
        for _ in 0..10 {
            assert!(limiter.decide(&root_input).is_sampled());
        }
        assert!(!limiter.decide(&root_input).is_sampled());
    });

    assert_no_alloc("configured sampler: parse and decide", || {
        let configured = Configured::parse("parentbased_traceidratio", Some("0.25")).unwrap();
        // A new trace: R = 0xce929d0e0e4736 >= th:c (rule P7).
        let decision = configured.decide(&Input::root(trace_id, true));
        assert!(decision.is_sampled());
        assert_eq!(decision.threshold(), Threshold::parse("c").ok());
        let (lenient, problem) = Configured::from_settings(Some("traceidratio"), Some("half"));
        assert_eq!(problem.map(|e| e.kind()), Some(ErrorKind::SamplerArg));
        lenient.decide(&input)
    });
    let configured = Configured::parse("parentbased_traceidratio", Some("0.25")).unwrap();
    let mut buf = StackBuf::<64>::new();
    assert_no_alloc("configured sampler Display", || {
        write!(buf, "{configured}").unwrap()
    });
    assert_eq!(buf.as_str(), "parentbased_traceidratio 0.25");

    let mut ids = SeededIds::new(2);
    let (root, _) = InlineContext::<64>::root_inline(&mut ids, &AlwaysOn);
    assert_no_alloc("decided child", || {
        root.child_decided(&mut ids, &Probability::new(0.5))
    });
}

#[test]
fn baggage_reading_allocates_nothing() {
    use tracecontext::baggage::{self, BaggageView};
    let four = "userId=Am%C3%A9lie, serverNode = DF%2028;region=eu, flag=on;p, bad key=1";
    let long = "k=v,".repeat(10_000);
    let fields: [&[u8]; 3] = [four.as_bytes(), b"", long.as_bytes()];
    let mut buf = [0u8; 64];
    let mut text = StackBuf::<64>::new();
    let n = allocations(|| {
        let view = BaggageView::parse(black_box(four));
        let mut total = 0;
        for member in &view {
            total += member.decode_value_into(&mut buf).unwrap().len();
            total += member.properties().count();
        }
        let many = BaggageView::parse_fields_with(black_box(fields), Validation::Lenient).unwrap();
        total += many.len() + many.get("k").map_or(0, |m| m.raw_value().len());
        write!(text, "{}", baggage::encode("Amélie, 50%")).unwrap();
        (view.len(), total)
    });
    assert_eq!(n, 0);
    assert_eq!(text.as_str(), "Am%C3%A9lie%2C%2050%25");
}

#[cfg(feature = "alloc")]
#[test]
fn baggage_hop_allocates_nothing_and_sharing_costs_one() {
    use tracecontext::baggage::{Baggage, BaggageView, SharedBaggage};
    let request = [
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        (
            "baggage",
            "tenant=acme,class=batch;ttl=30,userId=Am%C3%A9lie",
        ),
        ("baggage", "flag=on"),
    ];
    let n = allocations(|| {
        let mut baggage = Baggage::extract(black_box(&request));
        baggage.insert("retry", "2 of 3").unwrap();
        baggage.remove("class");
        let mut outgoing = [("", ""); 1];
        baggage.inject(&mut outgoing).unwrap();
        black_box(outgoing[0].1.len()) + BaggageView::extract(black_box(&request)).len()
    });
    assert_eq!(n, 0, "extract, edit, inject");
    let mut kept = Baggage::new();
    let n = allocations(|| {
        kept.extract_from(black_box(&request));
        black_box(kept.len())
    });
    assert_eq!(n, 0, "extract in place");
    // Hostile requests: 1 MiB in one field, 10 000 fields.
    let mib = vec![("baggage", "a".repeat(1024 * 1024))];
    let fields = vec![("baggage", "k=v"); 10_000];
    let n = allocations(|| {
        Baggage::extract(black_box(&mib)).len()
            + Baggage::extract(black_box(&fields)).len()
            + BaggageView::extract(black_box(&fields)).len()
    });
    assert_eq!(n, 0, "hostile inputs");
    let one_field = [("baggage", "tenant=acme,class=batch")];
    assert_eq!(
        allocations(|| SharedBaggage::extract(black_box(&one_field))),
        1
    );
    // A second field with no member kept does not count: still one field, one copy.
    let and_empty = [("baggage", "tenant=acme,class=batch"), ("baggage", " , ")];
    assert_eq!(
        allocations(|| SharedBaggage::extract(black_box(&and_empty))),
        1
    );
    let none: [(&str, &str); 0] = [];
    assert_eq!(allocations(|| SharedBaggage::extract(black_box(&none))), 0);
    let shared = SharedBaggage::extract(&one_field);
    assert_eq!(allocations(|| black_box(&shared).clone()), 0);
}
