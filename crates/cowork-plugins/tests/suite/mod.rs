mod format_bad_tests;
mod format_escape_tests;
mod format_tests;
mod hooks_tests;
mod oauth_tests;
