mod errors;
mod harness;
mod layering;
mod providers;
