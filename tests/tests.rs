//! The one integration-test binary: every test runs the real `leadroute` binary in a fresh
//! folder and reads its output back.

mod workdir;

mod test_architecture;
mod test_assign;
mod test_catalogue;
mod test_faults;
mod test_generate;
mod test_loop;
mod test_model;
mod test_optimize;
