//! The `forge` binary: parse arguments, run, report errors, exit with the code
//! `forge::cli::exit` documents. The only place that ends the process.

use clap::Parser;
use forge::cli::{Interrupt, OnSignal, exit};

fn main() {
    let cli = forge::cli::Cli::parse();
    let json = cli.wants_json();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(exit::ERROR);
        }
    };
    let interrupt = Interrupt::new();
    let watched = interrupt.clone();
    let code = runtime.block_on(async move {
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                match watched.signal() {
                    OnSignal::Quit => std::process::exit(exit::INTERRUPTED),
                    OnSignal::Stopping => eprintln!(
                        "\nInterrupt received: finishing the changes in flight and saving state (press Ctrl-C again to quit at once)..."
                    ),
                }
            }
        });
        match forge::cli::run(cli, interrupt).await {
            Ok(code) => code,
            Err(e) => {
                forge::cli::report(&e, json);
                exit::code(&e)
            }
        }
    });
    runtime.shutdown_background();
    std::process::exit(code);
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
