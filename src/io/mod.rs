//! Input and output at the edge of the program: CSV tables read with line-numbered errors,
//! and files written atomically (temp file in the same folder, then rename).

mod atomic;
mod table;

pub use atomic::{check_output_path, is_stdio, write_atomic, write_json};
pub use table::Table;
