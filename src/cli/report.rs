//! Printing errors: miette reports for people, `diagnostic` JSON lines for machines.

use super::Error;
use crate::engine;

/// Prints an error: a miette report on stderr, or `diagnostic` JSON lines on stdout.
pub fn report(e: &Error, json: bool) {
    if json {
        if let Error::Engine(engine::Error::Config(crate::config::Error::Invalid(p))) = e {
            for line in crate::render::json::problems(p) {
                println!("{line}");
            }
            return;
        }
        if let Error::Engine(engine::Error::Graph(p)) = e {
            for line in crate::render::json::problems(p) {
                println!("{line}");
            }
            return;
        }
        let detail = match e {
            Error::Engine(engine::Error::Refresh(errs)) => errs
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            other => crate::render::error_chain(other),
        };
        println!(
            "{}",
            crate::render::json::error_diagnostic(&e.to_string(), &detail)
        );
        return;
    }
    let theme = if crate::render::Style::detect_stderr() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    match miette::GraphicalReportHandler::new_themed(theme)
        .with_width(crate::render::width())
        .render_report(&mut out, e)
    {
        Ok(()) => eprint!("{out}"),
        Err(_) => eprintln!("Error: {}", crate::render::error_chain(e)),
    }
}
