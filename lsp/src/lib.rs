//! The Heng language server (`heng lsp`): as an analyst types, the pack holding
//! the file is checked with the editor's unsaved texts and every diagnostic is
//! shown where it points, in every file of the pack; hovering a name shows what
//! it is (see [`hover`]), go to definition takes the editor to where it is
//! declared, and the outline lists a file's declarations ([`definition`]);
//! completion offers the names that fit ([`completion`]). The protocol runs over stdio with rust-analyzer's
//! `lsp-server`; checking a pack is handed in by the caller ([`Check`]), so this
//! crate knows the compiler's data but not the file system's pack layout.

pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod hover;
pub mod position;
mod server;

pub use server::{Check, Checked, serve};
