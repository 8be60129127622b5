mod chat;
mod config;
mod exec_basic;
mod faults;
mod sessions;
mod tools;
