mod api_tests;
mod auth_tests;
mod events_tests;
mod fake;
mod files_tests;
mod harness;
mod server_tests;
