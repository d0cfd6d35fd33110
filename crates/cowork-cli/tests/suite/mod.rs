mod docs_tests;
mod escape_tests;
mod exec_tests;
mod grants_tests;
mod harness;
mod journal_tests;
mod run_tests;
mod tasks_tests;
