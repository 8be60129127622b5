//! The Landlock ruleset of the fallback backend.
//!
//! Read and execute everywhere; full write access beneath the writable roots (except creating
//! device nodes); read/write/ioctl on a short list of harmless devices (never `/dev/sd*` or
//! `/dev/mem`, which a root caller could otherwise still open by DAC). With the network off,
//! TCP bind/connect are handled with no allowed port (ABI >= 4) and abstract unix sockets
//! outside the sandbox are scoped away (ABI >= 6). Signals to processes outside the sandbox
//! are always scoped away (ABI >= 6). The ABI is the one measured on the project machines
//! (7); newer kernels enforce the same rights, older ones a subset (best effort), and a kernel
//! without Landlock is an error, never a silent no-op.

use std::path::PathBuf;

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, path_beneath_rules,
};

/// The ABI whose rights we ask for (tested on Linux 6.18).
const TARGET_ABI: ABI = ABI::V7;

/// Devices a command may open read/write (and `ioctl`, for terminals).
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];

#[derive(Debug, thiserror::Error)]
pub(crate) enum LandlockError {
    #[error("landlock: {0}")]
    Ruleset(#[from] landlock::RulesetError),
    #[error(
        "landlock is not enforced by this kernel (needs Linux 5.13+ with `landlock` in the `lsm=` boot list)"
    )]
    NotEnforced,
}

/// Restricts the calling thread (and what it executes) to the policy. Sets `no_new_privs`.
pub(crate) fn restrict(writable_roots: &[PathBuf], network: bool) -> Result<(), LandlockError> {
    let abi = TARGET_ABI;
    let mut ruleset = landlock::Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))?;
    if !network {
        ruleset = ruleset.handle_access(AccessNet::from_all(abi))?;
    }
    let mut scopes: BitFlags<Scope> = Scope::Signal.into();
    if !network {
        scopes |= Scope::AbstractUnixSocket;
    }
    ruleset = ruleset.scope(scopes)?;

    let write = AccessFs::from_all(abi) & !(AccessFs::MakeChar | AccessFs::MakeBlock);
    let device = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate | AccessFs::IoctlDev;
    let status = ruleset
        .create()?
        .add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi)))?
        .add_rules(path_beneath_rules(DEVICES, device))?
        .add_rules(path_beneath_rules(writable_roots, write))?
        .restrict_self()?;
    match status.ruleset {
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => Ok(()),
        RulesetStatus::NotEnforced => Err(LandlockError::NotEnforced),
    }
}
