//! The `simclr` binary. Exit codes: 0 success, 2 bad usage or bad input,
//! 1 a failure while running, 130 interrupted (with a checkpoint saved).

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit_code(&error))
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    match &cli.command {
        Command::Pretrain(args) => {
            let stop = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&stop);
            ctrlc::set_handler(move || {
                eprintln!("\nstopping after this step; press Ctrl-C again to abort");
                if flag.swap(true, Ordering::SeqCst) {
                    std::process::exit(130);
                }
            })?;
            cli::pretrain::run(args, &cli.device, stop)
        }
        Command::Eval(command) => cli::eval::run_eval(command, &cli.device),
        Command::Finetune(args) => cli::eval::run_finetune(args, &cli.device),
        Command::Embed(args) => cli::eval::run_embed(args, &cli.device),
        Command::Augment(args) => cli::augment::run(args),
    }
}

/// 2 for errors in what the user gave, 1 for failures while running.
fn exit_code(error: &anyhow::Error) -> u8 {
    match error.downcast_ref::<simclr::Error>() {
        Some(error) if error.is_bad_input() => 2,
        _ => 1,
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
