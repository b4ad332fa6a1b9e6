//! One module per page of the UI.

pub mod dashboard;
pub mod job;
pub mod jobs;
pub mod not_found;
