//! `heng lsp`: the language server on stdin and stdout (see the `heng-lsp`
//! crate), checking packs as `heng check` does, with the editor's unsaved texts.

use heng_compiler::diagnostic::Lang;
use heng_runtime::editor::check_open;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Talk over standard input and output (the only transport, and what
    /// editors start; accepted because many clients pass it).
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: Args, lang: Lang) -> ExitCode {
    let (connection, io) = lsp_server::Connection::stdio();
    let served = heng_lsp::serve(&connection, &check_open, lang);
    drop(connection);
    match served
        .map_err(|e| e.to_string())
        .and_then(|()| io.join().map_err(|e| e.to_string()))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heng lsp: {e}");
            ExitCode::FAILURE
        }
    }
}
