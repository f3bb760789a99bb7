//! The `heng` command: a thin layer over the runtime library (see `cli/`).

mod cli;

/// mimalloc rather than the system allocator: a batch run allocates and frees
/// millions of small values (texts, records, findings) across threads, where
/// glibc's malloc spent a fifth of the time consolidating and unlinking chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
