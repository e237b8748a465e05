//! The sampler named by the process's environment (alone in its test binary,
//! since the environment is the process's).

use tracecontext_opentelemetry::ConsistentSampler;

#[test]
fn from_env_reads_the_opentelemetry_variables() {
    // SAFETY: this binary's only test, so no other thread reads the environment.
    unsafe {
        std::env::remove_var("OTEL_TRACES_SAMPLER");
        std::env::remove_var("OTEL_TRACES_SAMPLER_ARG");
    }
    let (sampler, problem) = ConsistentSampler::from_env();
    assert_eq!(
        (sampler.to_string().as_str(), problem),
        ("parentbased_always_on", None)
    );

    // SAFETY: as above.
    unsafe {
        std::env::set_var("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
        std::env::set_var("OTEL_TRACES_SAMPLER_ARG", "0.25");
    }
    let (sampler, problem) = ConsistentSampler::from_env();
    assert_eq!(sampler.to_string(), "parentbased_traceidratio 0.25");
    assert!(problem.is_none());

    // SAFETY: as above.
    unsafe { std::env::set_var("OTEL_TRACES_SAMPLER_ARG", "a quarter") };
    let (sampler, problem) = ConsistentSampler::from_env();
    assert_eq!(sampler.to_string(), "parentbased_traceidratio 1");
    assert_eq!(
        problem.map(|p| p.to_string()).as_deref(),
        Some("OTEL_TRACES_SAMPLER_ARG: not a number")
    );
}
