mod harness;
mod loop_tests;
mod permission_tests;
mod resume_tests;
