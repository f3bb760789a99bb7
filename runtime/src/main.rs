//! The `heng` command: a thin layer over the runtime library (see `cli/`).

mod allocator;
mod cli;

#[global_allocator]
static ALLOCATOR: allocator::Mimalloc = allocator::Mimalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
