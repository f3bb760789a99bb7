//! W4 (performance.md): one visit at a time, from its JSON text to its
//! findings, in process, warm, one thread: a check while the doctor types.

use super::first_lines;
use crate::input;
use crate::native::NativeEngine;
use crate::pack::Pack;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// W4: one visit at a time, from its JSON text to its findings, in process,
/// warm, one thread (a check while the doctor types).
#[derive(Clone, Debug, Serialize)]
pub struct W4 {
    pub checks: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// The same, for a visit already read (evaluation and rendering only).
    pub eval_p50_us: f64,
    pub eval_p99_us: f64,
}

/// Checks every visit line of `input` `passes` times after one warm-up pass, each
/// timed alone: read, evaluate, render.
pub(super) fn w4(
    pack: &Pack,
    sources: &heng_compiler::source::SourceMap,
    native: &NativeEngine,
    input: &Path,
    passes: usize,
    limit: usize,
) -> Result<W4, String> {
    let schema = input::check_schema(&pack.program).map_err(|e| e.en.to_string())?;
    let lines = first_lines(input, limit)?;
    let mut times = Vec::with_capacity(lines.len() * passes.max(1));
    let mut eval_times = Vec::with_capacity(lines.len() * passes.max(1));
    for pass in 0..=passes.max(1) {
        for (number, line) in &lines {
            let t = Instant::now();
            if let Ok(visit) = input::read_visit(&schema, *number, line) {
                let e = Instant::now();
                std::hint::black_box(crate::audit::audit_visit(
                    pack, native, &schema, sources, &visit, None,
                ));
                if pass > 0 {
                    eval_times.push(e.elapsed());
                }
            }
            if pass > 0 {
                times.push(t.elapsed());
            }
        }
    }
    let at = |times: &mut Vec<Duration>, q: f64| {
        times.sort_unstable();
        let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len().max(1)) - 1;
        times.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    Ok(W4 {
        checks: times.len(),
        p50_us: at(&mut times, 0.50),
        p99_us: at(&mut times, 0.99),
        max_us: at(&mut times, 1.0),
        eval_p50_us: at(&mut eval_times, 0.50),
        eval_p99_us: at(&mut eval_times, 0.99),
    })
}
