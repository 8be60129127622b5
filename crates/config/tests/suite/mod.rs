mod errors;
mod harness;
mod layering;
mod permissions;
mod providers;
