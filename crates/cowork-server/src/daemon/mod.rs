//! The daemon's task manager (being built): what a task touched, and its
//! summaries for the API.

#![expect(dead_code, reason = "the task manager that calls these lands next")]

mod files;
mod records;
mod request;
mod view;
