//! The `ladder` command.

fn main() -> std::process::ExitCode {
    ladder_engine::cli::run()
}
