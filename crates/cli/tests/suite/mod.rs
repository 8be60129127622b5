mod chat;
mod config;
mod exec_basic;
mod faults;
mod more_tools;
mod sdk;
mod sessions;
mod tools;
