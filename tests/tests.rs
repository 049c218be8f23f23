//! The one integration-test binary: every test runs the real `leadroute` binary in a fresh
//! folder and reads its output back.

mod workdir;

mod test_architecture;
mod test_assign;
mod test_backtest;
mod test_catalogue;
mod test_faults;
mod test_generate;
mod test_init;
mod test_optimize;
mod test_score;
mod test_stream;
mod test_timing;
mod test_train;
