//! The `forge` binary: parse arguments, run, report errors, exit with the code
//! [`forge::exit`] documents.

use clap::Parser;

fn main() {
    let cli = forge::cli::Cli::parse();
    let json = wants_json(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(forge::exit::ERROR);
        }
    };
    let code = match runtime.block_on(forge::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            forge::cli::report(&e, json);
            forge::exit::code(&e)
        }
    };
    runtime.shutdown_background();
    std::process::exit(code);
}

fn wants_json(cli: &forge::cli::Cli) -> bool {
    use forge::cli::Command::*;
    match &cli.command {
        Validate(a) => a.json,
        Plan(a) => a.run.json,
        Apply(a) => a.run.json,
        Destroy(a) => a.run.json,
        _ => false,
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
