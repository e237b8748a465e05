//! The end-to-end example as a test: an axum edge, a tonic gRPC service, a reqwest
//! call and a background task, one trace through all of them.
#![cfg(feature = "tracing")]

#[allow(dead_code)] // the example's `main`
#[path = "../examples/e2e.rs"]
mod e2e;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_through_axum_tonic_reqwest_and_a_task() {
    let log = e2e::Log::install(false);
    let summary = e2e::run(&log)
        .await
        .unwrap_or_else(|problem| panic!("{problem}"));
    // `run` checked the chain; here, that it saw what the example promises.
    assert_eq!(summary.continued.len(), 6);
    assert_eq!(summary.restarted.len(), 6);
    assert!(
        summary
            .continued
            .iter()
            .all(|s| s.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert!(
        summary
            .restarted
            .iter()
            .all(|s| s.trace_id != "4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert!(
        summary
            .log
            .contains("request headers not taken as they came")
    );
}
