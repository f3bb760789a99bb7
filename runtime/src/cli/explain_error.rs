//! `heng explain-error CODE`: the longer explanation of a diagnostic code.

use heng_compiler::diagnostic::{Lang, codes};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A code such as H0012 (omit to list every code).
    code: Option<String>,
}

pub fn run(args: Args, lang: Lang) -> ExitCode {
    let Some(code) = args.code else {
        for c in codes::CODES {
            println!("{}  {}", c.code, c.title(lang));
        }
        return ExitCode::SUCCESS;
    };
    match codes::lookup(&code) {
        Some(info) => {
            println!(
                "{}: {}\n\n{}",
                info.code,
                info.title(lang),
                info.explanation(lang).trim_end()
            );
            ExitCode::SUCCESS
        }
        None => {
            match lang {
                Lang::Zh => {
                    eprintln!("错误:没有诊断代码 `{code}`;运行 `heng explain-error` 查看全部代码")
                }
                Lang::En => eprintln!(
                    "error: no diagnostic code `{code}`; run `heng explain-error` to list them"
                ),
            }
            ExitCode::from(2)
        }
    }
}
