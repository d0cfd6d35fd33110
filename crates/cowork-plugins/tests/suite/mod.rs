mod format_bad_tests;
mod format_tests;
