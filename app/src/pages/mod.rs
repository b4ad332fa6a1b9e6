//! One module per page of the UI.

pub mod admin;
pub mod dashboard;
pub mod job;
pub mod jobs;
pub mod not_found;
