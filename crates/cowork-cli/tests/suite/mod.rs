mod docs_tests;
mod exec_tests;
mod harness;
mod journal_tests;
mod run_tests;
mod tasks_tests;
mod trash_tests;
