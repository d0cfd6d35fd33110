mod daemon_load_tests;
mod daemon_restart_tests;
mod daemon_support;
mod daemon_tests;
