//! Parses `traceparent` and `tracestate` header values and prints their fields, or
//! the error with a pointer at the offending byte.
//!
//! ```text
//! cargo run --example parse                        # built-in samples
//! cargo run --example parse -- 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
//!                              'tracestate: congo=t61rcWkgMzE' 'tracestate: rojo=00f067aa0ba902b7'
//! ```
//!
//! Each argument is `name: value` with the name `traceparent` or `tracestate` (any
//! case); a bare value is read as a traceparent when it starts with two hex digits and
//! a dash, else as a tracestate. Several `tracestate` arguments are read as one list,
//! like several header fields. Exits with status 1 when a header given on the command
//! line is invalid.

use std::process::ExitCode;

use tracecontext::{TRACEPARENT, TRACESTATE, TraceParent, TraceState, TraceStateView};

const SAMPLES: &[&str] = &[
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
    "traceparent: cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future-fields",
    "traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    "traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.extra",
    "tracestate: congo=t61rcWkgMzE, rojo=00f067aa0ba902b7",
    "tracestate: foo=bar=baz",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let from_user = !args.is_empty();
    let inputs: Vec<&str> = if from_user {
        args.iter().map(String::as_str).collect()
    } else {
        SAMPLES.to_vec()
    };

    let mut ok = true;
    if from_user {
        // Read every tracestate argument together, as one list (rule S2).
        let (parents, states): (Vec<_>, Vec<_>) = inputs
            .iter()
            .map(|s| split(s))
            .partition(|(name, _)| *name == TRACEPARENT);
        for (_, value) in &parents {
            ok &= show_traceparent(value);
        }
        if !states.is_empty() {
            let fields: Vec<&str> = states.iter().map(|(_, v)| *v).collect();
            ok &= show_tracestate(&fields);
        }
    } else {
        println!("No headers given; parsing built-in samples.\n");
        for input in inputs {
            match split(input) {
                (TRACEPARENT, value) => show_traceparent(value),
                (_, value) => show_tracestate(&[value]),
            };
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Splits `name: value`, or guesses the name of a bare value.
fn split(arg: &str) -> (&'static str, &str) {
    if let Some((name, value)) = arg.split_once(':') {
        if name.trim().eq_ignore_ascii_case(TRACEPARENT) {
            return (TRACEPARENT, value.trim_start());
        }
        if name.trim().eq_ignore_ascii_case(TRACESTATE) {
            return (TRACESTATE, value.trim_start());
        }
    }
    let b = arg.as_bytes();
    let looks_like_parent = b.len() > 2 && b[..2].iter().all(u8::is_ascii_hexdigit) && b[2] == b'-';
    (
        if looks_like_parent {
            TRACEPARENT
        } else {
            TRACESTATE
        },
        arg,
    )
}

fn show_traceparent(value: &str) -> bool {
    println!("traceparent: {value}");
    match TraceParent::parse(value.as_bytes()) {
        Ok(tp) => {
            let flags = tp.flags();
            println!("  trace-id   {}", tp.trace_id());
            println!("  parent-id  {}", tp.parent_id());
            println!(
                "  flags      {:02x} (sampled: {}, random: {}, reserved bits: {:#04x})",
                flags.bits(),
                flags.is_sampled(),
                flags.is_random(),
                flags.reserved()
            );
            println!("  forward as {}\n", tp.encode());
            true
        }
        Err(e) => {
            point_at(&[value], e.offset());
            println!("  error: {e}\n");
            false
        }
    }
}

fn show_tracestate(fields: &[&str]) -> bool {
    for field in fields {
        println!("tracestate: {field}");
    }
    let bytes = fields.iter().map(|f| f.as_bytes());
    match TraceStateView::parse_fields(bytes) {
        Ok(view) => {
            println!("  {} member(s)", view.len());
            for (key, value) in &view {
                println!("  {key:<12} = {value}");
            }
            let owned = TraceState::<512>::from(&view);
            if owned.is_empty() {
                println!("  (empty: not forwarded)\n");
            } else {
                println!("  forward as {owned}\n");
            }
            true
        }
        Err(e) => {
            point_at(fields, e.offset());
            println!("  error: {e}");
            println!("  the whole tracestate is dropped\n");
            false
        }
    }
}

/// Prints the fields joined with `,` and a caret under byte `offset` of the list.
fn point_at(fields: &[&str], offset: usize) {
    let joined = fields.join(",");
    let shown: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    let caret = shown.chars().take(offset).count();
    println!("  at         {shown}");
    println!("             {}^", " ".repeat(caret));
}
