//! One module per page of the UI.

pub mod dashboard;
pub mod not_found;
