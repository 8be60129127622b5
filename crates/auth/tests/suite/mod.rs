mod common;
mod device;
mod login_server;
mod manager;
mod tls;
