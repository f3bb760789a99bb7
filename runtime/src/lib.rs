//! Heng's runtime: reads records and tables, evaluates a checked pack, writes
//! findings, errors and a summary. The `heng` command is a thin layer over it.

pub mod audit;
pub mod bench;
pub mod editor;
pub mod engine;
pub mod eval;
pub mod fixture;
pub mod r#gen;
pub mod group;
pub mod history;
pub mod input;
mod json_text;
pub mod native;
pub mod output;
pub mod pack;
pub mod settle;
pub mod table;
pub mod value;
