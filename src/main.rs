fn main() {
    std::process::exit(netcap::cli::main_with_args(std::env::args_os().collect()));
}
