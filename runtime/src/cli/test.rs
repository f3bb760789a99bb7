//! `heng test PACK`: run the pack's fixtures, show differences, write JUnit XML,
//! report rules no fixture exercises.

use heng_compiler::diagnostic::Lang;
use heng_runtime::fixture::{self, FixtureResult};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The pack folder (holding heng.toml and fixtures/).
    pack: PathBuf,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Record the current findings as each fixture's expectation.
    #[arg(long)]
    update: bool,
    /// Evaluation engine (both give the same findings).
    #[arg(long, value_enum, default_value_t = super::EngineChoice::Jit)]
    engine: super::EngineChoice,
}

pub fn run(args: Args, lang: Lang) -> ExitCode {
    let zh = lang == Lang::Zh;
    let (pack, sources, schema) = match super::load_pack(&args.pack, &[], lang) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let pack = &pack;
    let inputs = match fixture::fixture_inputs(&args.pack) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = super::engine(args.engine, pack, lang, true);
    let mut results: Vec<FixtureResult> = Vec::new();
    for input in &inputs {
        match fixture::run_fixture(pack, &*engine, &schema, &sources, input) {
            Ok(r) => results.push(r),
            Err(e) => {
                eprintln!("error: {}: {e}", input.display());
                return ExitCode::from(2);
            }
        }
    }
    let mut failed = 0;
    for r in &results {
        if args.update && r.errors.is_empty() {
            if let Err(e) = fixture::update(r) {
                eprintln!("error: {}: {e}", r.expected_path.display());
                return ExitCode::from(2);
            }
            if r.expected.as_ref() != Some(&r.actual) {
                println!(
                    "{} {} ({})",
                    if zh { "已更新" } else { "updated" },
                    r.name,
                    r.actual.len()
                );
            }
            continue;
        }
        if r.passed() {
            let settled = match &r.settlement {
                Some(s) if zh => format!(",{} 次结算", s.actual.len()),
                Some(s) => format!(", {} settlements", s.actual.len()),
                None => String::new(),
            };
            println!(
                "ok   {} ({} {}{settled})",
                r.name,
                r.actual.len(),
                if zh { "条发现" } else { "findings" }
            );
        } else {
            failed += 1;
            println!("FAIL {}", r.name);
            if r.expected.is_none() {
                println!(
                    "  {} {}",
                    if zh {
                        "缺少期望结果文件"
                    } else {
                        "no expectation file"
                    },
                    r.expected_path.display()
                );
                println!(
                    "  {}",
                    if zh {
                        "运行 `heng test --update` 记录当前结果并审阅"
                    } else {
                        "run `heng test --update` to record the current findings, then review them"
                    }
                );
            }
            print!("{}", r.diff());
        }
    }
    let hit: BTreeSet<&str> = results
        .iter()
        .flat_map(|r| r.rules_hit.iter().map(String::as_str))
        .collect();
    // coverage of the pack's own rules: an imported pack's fixtures cover its rules
    let own: Vec<&str> = pack
        .program
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !pack.imported_rules.iter().any(|i| i == id))
        .collect();
    let unexercised: Vec<&str> = own
        .iter()
        .copied()
        .filter(|id| !hit.contains(id) && !pack.disabled.iter().any(|d| d == id))
        .collect();
    let total = results.len();
    // the settlement: how many fixtures compare it, on how many visits
    let settled: Vec<usize> = results
        .iter()
        .filter_map(|r| Some(r.settlement.as_ref()?.actual.len()))
        .collect();
    let settlement = pack.program.settlement.as_ref().map(|s| {
        let visits: usize = settled.iter().sum();
        match (zh, settled.len()) {
            (true, 0) => format!(
                "结算覆盖:没有用例核对结算 {}(为用例添加 NAME.settlement.expected.ndjson)",
                s.id
            ),
            (true, n) => format!("结算覆盖:{n} 个用例核对了结算 {} 的 {visits} 次就诊", s.id),
            (false, 0) => format!(
                "settlement coverage: no fixture checks settlement {} (add NAME.settlement.expected.ndjson to one)",
                s.id
            ),
            (false, n) => format!(
                "settlement coverage: {n} fixtures check settlement {} on {visits} visits",
                s.id
            ),
        }
    });
    if zh {
        println!("{} 个用例:{} 通过,{} 失败", total, total - failed, failed);
        println!(
            "规则覆盖:{}/{} 条规则被用例触发",
            own.len() - unexercised.len(),
            own.len()
        );
        if !unexercised.is_empty() {
            println!("未被任何用例触发的规则:{}", unexercised.join(", "));
        }
    } else {
        println!(
            "{} fixtures: {} passed, {} failed",
            total,
            total - failed,
            failed
        );
        println!(
            "rule coverage: {}/{} rules hit by a fixture",
            own.len() - unexercised.len(),
            own.len()
        );
        if !unexercised.is_empty() {
            println!("rules no fixture exercises: {}", unexercised.join(", "));
        }
    }
    if let Some(line) = settlement {
        println!("{line}");
    }
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, fixture::junit(&pack.name, &results))
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
