#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tracecontext_fuzz::check_baggage(data));
