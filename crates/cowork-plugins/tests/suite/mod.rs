mod format_bad_tests;
mod format_escape_tests;
mod format_tests;
mod hooks_tests;
mod marketplace_git_tests;
mod marketplace_policy_tests;
mod marketplace_tests;
mod oauth_tests;
