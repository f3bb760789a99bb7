//! `heng check PACK`: load and check a pack, print every diagnostic.

use super::{Format, print_diagnostics};
use heng_compiler::diagnostic::Lang;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The pack folder (holding heng.toml).
    pack: PathBuf,
    /// human (default) or json.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(args: Args, lang: Lang) -> ExitCode {
    let loaded = heng_runtime::pack::load(&args.pack, &[]);
    print_diagnostics(&loaded.diagnostics, &loaded.sources, lang, args.format);
    if loaded.has_errors() {
        return ExitCode::from(2);
    }
    if let (Some(pack), Format::Human) = (&loaded.pack, args.format) {
        let rows: usize = pack.tables.iter().map(|t| t.len()).sum();
        match lang {
            Lang::Zh => eprintln!(
                "✓ 规则包 {} 检查通过:{} 条规则,{} 张知识库表({} 行),{} 个参数",
                pack.name,
                pack.program.rules.len(),
                pack.tables.len(),
                rows,
                pack.program.params.len()
            ),
            Lang::En => eprintln!(
                "✓ pack {} checks: {} rules, {} tables ({} rows), {} parameters",
                pack.name,
                pack.program.rules.len(),
                pack.tables.len(),
                rows,
                pack.program.params.len()
            ),
        }
        if let Some(s) = &pack.program.settlement {
            let lines = s.line_outputs().count();
            let visits = s.visit_outputs().count();
            match lang {
                Lang::Zh => eprintln!(
                    "  待遇结算 {}:每条明细 {lines} 项输出,每次就诊 {visits} 项输出,{} 个累计值",
                    s.id,
                    s.accumulators.len()
                ),
                Lang::En => eprintln!(
                    "  settlement {}: {lines} outputs per fee line, {visits} per visit, {} accumulators",
                    s.id,
                    s.accumulators.len()
                ),
            }
        }
    }
    ExitCode::SUCCESS
}
