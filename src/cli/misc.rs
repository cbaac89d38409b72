//! `forge validate`, `forge schema`, `forge completions`.

use clap::CommandFactory;

use super::exit;
use super::global::Global;
use super::{Cli, CompletionsArgs, Error, SchemaArgs};

pub fn validate(g: &Global, json: bool) -> Result<i32, Error> {
    let declared = g.declared()?;
    let graph_ok = crate::graph::ResourceGraph::build(&declared, &crate::state::State::new())?;
    let n = graph_ok.order().len();
    if json {
        println!(
            "{}",
            serde_json::json!({"format_version": "1.0", "valid": true, "error_count": 0, "warning_count": 0, "diagnostics": [], "resources": n})
        );
    } else {
        println!(
            "{} {} is valid: {n} resource{}.",
            g.style.green("Success!"),
            g.file.display(),
            if n == 1 { "" } else { "s" }
        );
    }
    Ok(exit::OK)
}

pub fn schema(args: SchemaArgs) -> Result<i32, Error> {
    let text = crate::config::json_schema();
    if args.out.as_os_str() == "-" {
        print!("{text}");
        return Ok(exit::OK);
    }
    if args.check {
        let current = std::fs::read_to_string(&args.out).unwrap_or_default();
        return if current == text {
            Ok(exit::OK)
        } else {
            Err(Error::SchemaDrift(args.out))
        };
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(&args.out, text).map_err(|source| Error::Write {
        path: args.out.clone(),
        source,
    })?;
    println!("Wrote {}", args.out.display());
    Ok(exit::OK)
}

pub fn completions(args: CompletionsArgs) -> Result<i32, Error> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "forge",
        &mut std::io::stdout(),
    );
    Ok(exit::OK)
}
