//! placeholder

pub mod policy;
