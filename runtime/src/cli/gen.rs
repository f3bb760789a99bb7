//! `heng gen --visits N --seed S --out FILE`: write a deterministic synthetic
//! batch of visits (records.md) drawn from a pack's tables, with the standard
//! line rules' violations (and billing_vs_orders and requires_item ones) injected
//! at known rates, and `FILE.manifest.json` beside it saying what was injected.

use heng_compiler::diagnostic::Lang;
use heng_runtime::r#gen::{GenError, Options, generate};
use std::fs::File;
use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Visits to generate (the "month" is 1,600,000).
    #[arg(long)]
    visits: u64,
    /// Seed: the same pack, visits and seed give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The NDJSON file to write; the manifest goes to FILE.manifest.json.
    #[arg(long)]
    out: PathBuf,
    /// The pack whose tables supply item codes, names and restrictions.
    #[arg(long, default_value = "stdlib-rules")]
    pack: PathBuf,
    /// Worker threads (default: every core); the output does not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

fn cannot_write(path: &Path, e: &dyn std::fmt::Display, lang: Lang) -> ExitCode {
    match lang {
        Lang::Zh => eprintln!("错误:无法写入 {}:{e}", path.display()),
        Lang::En => eprintln!("error: cannot write {}: {e}", path.display()),
    }
    ExitCode::from(2)
}

/// `FILE.manifest.json` beside `FILE`.
fn manifest_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".manifest.json");
    out.with_file_name(name)
}

pub fn run(args: Args, lang: Lang) -> ExitCode {
    let (pack, _sources, _schema) = match super::load_pack(&args.pack, &[], lang) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let file = match File::create(&args.out) {
        Ok(f) => f,
        Err(e) => return cannot_write(&args.out, &e, lang),
    };
    let mut out = BufWriter::with_capacity(8 << 20, file);

    let show_progress = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = (show_progress && args.visits >= 10_000).then(|| {
        let bar = indicatif::ProgressBar::new(args.visits);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} visits ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut progress = |visits: u64| {
        if let Some(b) = &bar {
            b.set_position(visits);
        }
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = Options {
        visits: args.visits,
        seed: args.seed,
        threads,
    };
    let started = std::time::Instant::now();
    let result = generate(&pack, &opts, &mut out, &mut progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let manifest = match result {
        Ok(m) => m,
        Err(GenError::Write(e)) => return cannot_write(&args.out, &e, lang),
        Err(e) => {
            match lang {
                Lang::Zh => eprintln!(
                    "错误:规则包 {} 的知识库表无法生成数据:{e}",
                    args.pack.display()
                ),
                Lang::En => eprintln!("error: pack {}: {e}", args.pack.display()),
            }
            return ExitCode::from(2);
        }
    };
    drop(out);
    let manifest_file = manifest_path(&args.out);
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    if let Err(e) = std::fs::write(&manifest_file, text) {
        return cannot_write(&manifest_file, &e, lang);
    }
    let injected: u64 = manifest.rules.values().map(|r| r.injected).sum();
    let secs = started.elapsed().as_secs_f64();
    match lang {
        Lang::Zh => eprintln!(
            "已生成 {} 次就诊({} 名患者,{} 条费用明细,注入违规 {} 条)到 {},用时 {secs:.1} 秒;清单 {}",
            manifest.visits,
            manifest.patients,
            manifest.fee_lines,
            injected,
            args.out.display(),
            manifest_file.display()
        ),
        Lang::En => eprintln!(
            "wrote {} visits ({} patients, {} fee lines, {} injected violations) to {} in {secs:.1} s; manifest {}",
            manifest.visits,
            manifest.patients,
            manifest.fee_lines,
            injected,
            args.out.display(),
            manifest_file.display()
        ),
    }
    ExitCode::SUCCESS
}
