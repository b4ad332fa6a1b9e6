//! One module per page of the UI.

pub mod account;
pub mod admin;
pub mod audit;
pub mod dashboard;
pub mod job;
pub mod jobs;
pub mod login;
pub mod namespaces;
pub mod not_found;
pub mod users;
