//! Runs the fuzz oracles over the committed corpus on stable Rust, no libFuzzer.
//!
//! ```text
//! replay                       every target: built-in seeds + fuzz/corpus/<target>/*
//! replay <target> [<path>...] one target over the given files or directories
//!                              (default: its seeds and corpus),
//!                              (e.g. a crash file from fuzz/artifacts/<target>/)
//! replay --show <path>...      print the decoded tracestate_ops input of each file
//! replay --write-seeds         (re)write the hand-made seeds into fuzz/corpus/
//! ```

use std::panic;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use tracecontext_fuzz::{Check, OpsInput, TARGETS, seeds};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");

/// The files under each path (a directory's direct entries, sorted).
fn files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()?;
            entries.retain(|p| p.is_file());
            entries.sort();
            out.extend(entries);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Runs `check` on one input; on a panic, names the input and returns false.
fn run(check: Check, name: &str, data: &[u8]) -> bool {
    if panic::catch_unwind(|| check(data)).is_ok() {
        return true;
    }
    eprintln!(
        "FAILED on {name} ({} bytes): \"{}\"",
        data.len(),
        data.escape_ascii()
    );
    false
}

fn replay(
    target: &str,
    check: Check,
    inputs: &[PathBuf],
    with_seeds: bool,
) -> std::io::Result<usize> {
    let start = Instant::now();
    let (mut count, mut failed) = (0, 0);
    if with_seeds {
        for (name, data) in seeds::for_target(target) {
            count += 1;
            failed += usize::from(!run(
                check,
                &format!("built-in seed {target}/{name}"),
                &data,
            ));
        }
    }
    for file in files(inputs)? {
        let data = std::fs::read(&file)?;
        count += 1;
        failed += usize::from(!run(check, &file.display().to_string(), &data));
    }
    println!(
        "{target}: {count} inputs, {failed} failed, {:.2?}",
        start.elapsed()
    );
    Ok(failed)
}

fn write_seeds() -> std::io::Result<()> {
    for (target, _) in TARGETS {
        let dir = Path::new(CORPUS).join(target);
        std::fs::create_dir_all(&dir)?;
        for (name, data) in seeds::for_target(target) {
            std::fs::write(dir.join(format!("seed-{name}")), data)?;
        }
    }
    for (name, input) in seeds::ops_inputs() {
        assert_eq!(
            OpsInput::decode(&input.encode()).as_ref(),
            Some(&input),
            "seed {name} does not decode back"
        );
    }
    println!("wrote the seeds into {CORPUS}");
    Ok(())
}

fn main() -> std::io::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut failed = 0;
    match args.first().map(String::as_str) {
        None => {
            for (target, check) in TARGETS {
                let dir = Path::new(CORPUS).join(target);
                failed += replay(target, *check, &[dir], true)?;
            }
        }
        Some("--write-seeds") => write_seeds()?,
        Some("--show") => {
            for file in files(&args[1..].iter().map(PathBuf::from).collect::<Vec<_>>())? {
                let input = OpsInput::decode(&std::fs::read(&file)?);
                println!("{}:\n{input:#?}", file.display());
            }
        }
        Some(target) => {
            let Some((_, check)) = TARGETS.iter().find(|(t, _)| *t == target) else {
                let names: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
                eprintln!("unknown target {target:?}; targets: {}", names.join(", "));
                return Ok(ExitCode::from(2));
            };
            let mut paths: Vec<PathBuf> = args[1..].iter().map(PathBuf::from).collect();
            let defaults = paths.is_empty();
            if defaults {
                paths.push(Path::new(CORPUS).join(target));
            }
            failed += replay(target, *check, &paths, defaults)?;
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
