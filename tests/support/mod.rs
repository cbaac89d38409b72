//! Test support: the servers the integration tests start themselves (with the Snowflake
//! emulator), the fault-injecting proxy, and a runner for the real `forge` binary.
//!
//! Every server is started once per test binary, on free ports, and stopped when the
//! binary exits, however it exits (see [`process`]).

#![allow(dead_code)]

pub mod forge;
pub mod http;
pub mod l2c;
pub mod peers;
pub mod process;
pub mod proxy;
pub mod python;
pub mod servers;
pub mod snowflake;
