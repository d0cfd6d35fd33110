mod approval_tests;
mod harness;
mod limits_tests;
mod loop_tests;
mod permission_tests;
mod resume_tests;
mod runtime_tests;
