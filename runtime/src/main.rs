//! The `heng` command: a thin layer over the runtime library (see `cli/`).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
