mod harness;
mod run_tests;
mod tasks_tests;
