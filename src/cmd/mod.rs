//! The commands, one file each: a short sequence of calls to the pipeline's stages, from
//! validated settings to written files. Nothing here knows about flags (the binary's
//! `cli.rs` turns them into these settings).

pub mod assign;
pub mod backtest;
pub mod generate;
pub mod init;
pub mod score;
pub mod stream;
pub mod train;
