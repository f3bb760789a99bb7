//! The `heng` command.

fn main() {}
