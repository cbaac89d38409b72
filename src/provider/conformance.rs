//! The conformance check: the contract of [`Resource`], exercised against a real server
//! (Terraform's `statemgr.TestFull`, for resource kinds). Every implemented kind runs
//! it from the integration tests, one line per kind and test server:
//!
//! 1. before anything, `read` sees it `Absent`, and `plan` says `Create`;
//! 2. `apply(Create)` makes it, and `read` then sees it `Present`;
//! 3. `plan` of the same spec against what `read` saw is a `NoOp` (no phantom diff);
//! 4. `apply(Create)` again, as a run interrupted after its create would, converges
//!    (adopts what is there) and still plans as a `NoOp`;
//! 5. `delete` removes it, `read` sees it `Absent`, and a second `delete` is `Ok`.
//!
//! A kind that only reads what exists (`kube_context`) runs [`check_read_only`].

use std::fmt::Debug;

use super::{Action, Ctx, Observed, ProviderError, Resource};

/// Where the contract broke.
#[derive(Debug, thiserror::Error)]
pub enum Violation {
    /// A provider call failed.
    #[error("step {step}: {call} failed")]
    Call {
        /// The step of the check.
        step: &'static str,
        /// `read`, `apply` or `delete`.
        call: &'static str,
        /// Why.
        #[source]
        source: Box<ProviderError>,
    },
    /// A call answered, but not what the contract says.
    #[error("step {step}: expected {expected}, got {got}")]
    Unexpected {
        /// The step of the check.
        step: &'static str,
        /// What the contract says.
        expected: &'static str,
        /// What the provider did.
        got: String,
    },
}

fn call(step: &'static str, call: &'static str) -> impl FnOnce(ProviderError) -> Violation {
    move |source| Violation::Call {
        step,
        call,
        source: Box::new(source),
    }
}

fn expect(
    step: &'static str,
    expected: &'static str,
    ok: bool,
    got: impl Debug,
) -> Result<(), Violation> {
    if ok {
        Ok(())
    } else {
        Err(Violation::Unexpected {
            step,
            expected,
            got: format!("{got:?}"),
        })
    }
}

/// Reads it and expects it there.
async fn present<R: Resource>(
    r: &R,
    ctx: &Ctx,
    name: &str,
    spec: &R::Spec,
    prior: Option<&R::State>,
    step: &'static str,
) -> Result<R::State, Violation>
where
    R::State: Debug,
{
    match r
        .read(ctx, name, spec, prior)
        .await
        .map_err(call(step, "read"))?
    {
        Observed::Present(s) => Ok(s),
        other => Err(Violation::Unexpected {
            step,
            expected: "Present",
            got: format!("{other:?}"),
        }),
    }
}

/// Runs the whole lifecycle of one `R` named `name` with `spec`; see the module docs.
/// The resource must not exist when the check starts; it does not exist when it ends.
pub async fn check<R: Resource>(
    r: &R,
    ctx: &Ctx,
    name: &str,
    spec: &R::Spec,
) -> Result<(), Violation>
where
    R::State: Debug,
{
    let before = r
        .read(ctx, name, spec, None)
        .await
        .map_err(call("1 (read before create)", "read"))?;
    expect(
        "1 (read before create)",
        "Absent",
        matches!(before, Observed::Absent),
        &before,
    )?;
    let planned = r.plan(spec, None);
    expect(
        "1 (plan before create)",
        "Create",
        planned.action == Action::Create,
        planned.action,
    )?;

    let created = r
        .apply(ctx, name, spec, None, Action::Create)
        .await
        .map_err(call("2 (create)", "apply"))?;
    let seen = present(r, ctx, name, spec, Some(&created), "2 (read after create)").await?;
    let again = r.plan(spec, Some(&seen));
    expect(
        "3 (plan after create)",
        "NoOp",
        again.action == Action::NoOp,
        (&again.action, &again.reasons, &seen),
    )?;

    let adopted = r
        .apply(ctx, name, spec, None, Action::Create)
        .await
        .map_err(call("4 (create again)", "apply"))?;
    let seen = present(
        r,
        ctx,
        name,
        spec,
        Some(&adopted),
        "4 (read after create again)",
    )
    .await?;
    let still = r.plan(spec, Some(&seen));
    expect(
        "4 (plan after create again)",
        "NoOp",
        still.action == Action::NoOp,
        (&still.action, &seen),
    )?;

    r.delete(ctx, name, spec, &seen)
        .await
        .map_err(call("5 (delete)", "delete"))?;
    let after = r
        .read(ctx, name, spec, None)
        .await
        .map_err(call("5 (read after delete)", "read"))?;
    expect(
        "5 (read after delete)",
        "Absent",
        matches!(after, Observed::Absent),
        &after,
    )?;
    r.delete(ctx, name, spec, &seen)
        .await
        .map_err(call("5 (delete again)", "delete"))?;
    Ok(())
}

/// The check for a kind that only reads what exists: `read` sees it `Present`, `plan`
/// says `Read`, and `apply` hands back what was read without changing anything.
pub async fn check_read_only<R: Resource>(
    r: &R,
    ctx: &Ctx,
    name: &str,
    spec: &R::Spec,
) -> Result<(), Violation>
where
    R::State: Debug + PartialEq,
{
    let seen = present(r, ctx, name, spec, None, "1 (read)").await?;
    let planned = r.plan(spec, Some(&seen));
    expect(
        "2 (plan)",
        "Read",
        planned.action == Action::Read,
        planned.action,
    )?;
    let applied = r
        .apply(ctx, name, spec, Some(&seen), Action::Read)
        .await
        .map_err(call("3 (apply)", "apply"))?;
    expect(
        "3 (apply)",
        "the state read",
        applied == seen,
        (&applied, &seen),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::fake::{FakeResource, FakeSpec, FakeState};
    use crate::secret::Secrets;

    fn ctx() -> Ctx {
        Ctx::new(std::env::temp_dir(), Secrets::default())
    }

    fn spec() -> FakeSpec {
        FakeSpec {
            value: "v".into(),
            immutable: "i".into(),
        }
    }

    #[tokio::test]
    async fn the_fake_kind_conforms() {
        let fake = FakeResource::new();
        check(&fake, &ctx(), "a", &spec()).await.expect("conforms");
        assert!(fake.world().objects.is_empty(), "nothing is left behind");
    }

    #[tokio::test]
    async fn a_leftover_or_a_failing_delete_is_caught() {
        let fake = FakeResource::new();
        fake.world().objects.insert(
            "a".into(),
            FakeState {
                value: "v".into(),
                immutable: "i".into(),
                id: 7,
            },
        );
        let e = check(&fake, &ctx(), "a", &spec())
            .await
            .expect_err("not absent");
        assert!(e.to_string().contains("step 1"), "{e}");
        let fake = FakeResource::new();
        fake.fail("delete", "b");
        let e = check(&fake, &ctx(), "b", &spec())
            .await
            .expect_err("delete fails");
        assert!(e.to_string().contains("step 5 (delete)"), "{e}");
    }
}
