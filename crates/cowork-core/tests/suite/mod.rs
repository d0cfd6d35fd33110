mod harness;
mod loop_tests;
mod resume_tests;
