//! Apply progress for people: a bar per running resource on a terminal (indicatif),
//! plain lines otherwise.

use std::collections::BTreeMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Style;
use super::json::noun;
use crate::addr::ResourceAddr;
use crate::apply::ApplyEvent;
use crate::provider::Action;

/// Prints apply events as they come.
pub struct Progress {
    style: Style,
    bars: Option<(MultiProgress, BTreeMap<ResourceAddr, ProgressBar>)>,
}

impl Progress {
    /// Bars when `tty`, lines otherwise.
    pub fn new(style: Style, tty: bool) -> Self {
        let bars = tty.then(|| {
            (
                MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                BTreeMap::new(),
            )
        });
        Self { style, bars }
    }

    fn verb(a: Action) -> &'static str {
        match a {
            Action::Create => "Creating...",
            Action::Update => "Modifying...",
            Action::Replace => "Replacing...",
            Action::Delete => "Destroying...",
            Action::Import => "Importing...",
            Action::Read | Action::NoOp => "Reading...",
        }
    }

    fn println(&self, line: String) {
        match &self.bars {
            Some((mp, _)) => {
                let _ = mp.println(line);
            }
            None => println!("{line}"),
        }
    }

    /// Shows one event.
    pub fn event(&mut self, e: &ApplyEvent) {
        let style = self.style;
        match e {
            ApplyEvent::Started { addr, action } => match &mut self.bars {
                Some((mp, bars)) => {
                    let pb = mp.add(ProgressBar::new_spinner());
                    pb.set_style(
                        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    pb.set_message(format!("{addr}: {}", Self::verb(*action)));
                    pb.enable_steady_tick(Duration::from_millis(120));
                    bars.insert(addr.clone(), pb);
                }
                None => println!("{addr}: {}", Self::verb(*action)),
            },
            ApplyEvent::Finished {
                addr,
                action,
                elapsed,
            } => {
                self.finish(addr);
                self.println(format!(
                    "{}: {} complete after {}",
                    style.bold(&addr.to_string()),
                    noun(*action),
                    secs(*elapsed)
                ));
            }
            ApplyEvent::Failed {
                addr,
                action,
                error,
                hint,
            } => {
                self.finish(addr);
                let line = format!(
                    "{}: {} failed: {error}",
                    style.bold(&addr.to_string()),
                    noun(*action)
                );
                // The remedy is printed once per cause in the summary.
                let _ = hint;
                self.println(style.red(super::outcome::wrap(&line).trim_end()));
            }
            // Skips are grouped by cause in the summary (`--verbose` lists each).
            ApplyEvent::Skipped { .. } => {}
        }
    }

    fn finish(&mut self, addr: &ResourceAddr) {
        if let Some((mp, bars)) = &mut self.bars
            && let Some(pb) = bars.remove(addr)
        {
            pb.finish_and_clear();
            mp.remove(&pb);
        }
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1}s")
    } else {
        format!("{}s", d.as_secs())
    }
}
