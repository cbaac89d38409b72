//! `forge query`. With the `query` feature (CI runs `cargo test --features query --test it
//! query::`): a count and an aggregate over the penguins forge wrote to the Polaris
//! stand-in, in all three output formats, a fully qualified name, and a write refused.
//! Without it: the command exists and says how to build a forge that has it.

#[cfg(feature = "query")]
use serde_json::{Value, json};

#[cfg(feature = "query")]
use super::polaris::{Names, run, seed_section, yaml};
use crate::support::forge::Project;
#[cfg(feature = "query")]
use crate::support::peers::polaris::polaris;

#[cfg(feature = "query")]
#[test]
fn a_count_and_an_aggregate_in_three_formats_and_no_writes() {
    let peer = polaris();
    let n = Names::new("pqry");
    let section = format!(
        "{}  tables:\n    - {{catalog: {c}, namespace: wildlife, name: penguins, dataset: penguins}}\n",
        seed_section(&n),
        c = n.catalog
    );
    let p = Project::new(&yaml(peer, &section));
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    let query = |sql: &str, format: Option<&str>| {
        let mut args = vec!["query", sql];
        args.extend(format);
        run(&p, peer, &args).expect_code(0).stdout
    };

    let count = "SELECT count(*) AS n FROM wildlife.penguins";
    let table = query(count, None);
    assert!(
        table.contains("| n   |") && table.contains("| 344 |"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&query(count, Some("--json"))).expect("json");
    assert_eq!(json, json!([{"n": 344}]));
    assert_eq!(query(count, Some("--csv")), "n\n344\n");

    let by_species = "SELECT species, round(avg(body_mass_g), 1) AS avg_g \
                      FROM wildlife.penguins WHERE island = 'Biscoe' \
                      GROUP BY species ORDER BY species";
    let table = query(by_species, None);
    assert!(
        table.contains("| Adelie  | 3709.7 |") && table.contains("| Gentoo  | 5076.0 |"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&query(by_species, Some("--json"))).expect("json");
    assert_eq!(
        json,
        json!([{"species": "Adelie", "avg_g": 3709.7}, {"species": "Gentoo", "avg_g": 5076.0}])
    );
    assert_eq!(
        query(by_species, Some("--csv")),
        "species,avg_g\nAdelie,3709.7\nGentoo,5076.0\n"
    );

    // The catalog by name, as `catalog.namespace.table`.
    let qualified = format!(
        "SELECT count(*) AS n FROM \"{}\".wildlife.penguins WHERE sex = 'female'",
        n.catalog
    );
    assert_eq!(query(&qualified, Some("--csv")), "n\n165\n");

    // Nothing that writes.
    let insert = run(
        &p,
        peer,
        &[
            "query",
            "INSERT INTO wildlife.penguins (species) VALUES ('Emperor')",
        ],
    );
    assert_eq!(insert.code, 1, "{}\n{}", insert.stdout, insert.stderr);
    assert!(insert.stderr.contains("not allowed"), "{}", insert.stderr);
    assert_eq!(query(count, Some("--csv")), "n\n344\n");

    run(&p, peer, &["destroy", "--auto-approve"]).expect_code(0);
}

#[cfg(not(feature = "query"))]
#[test]
fn without_the_feature_the_command_says_how_to_build_it() {
    let p = Project::new("");
    let out = p.cmd(&["query", "SELECT 1"]).output().expect("forge query");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("built without `forge query`") && stderr.contains("--features query"),
        "{stderr}"
    );
}
