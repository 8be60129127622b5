mod chat;
mod config;
mod exec_basic;
mod sdk;
mod faults;
mod sessions;
mod tools;
