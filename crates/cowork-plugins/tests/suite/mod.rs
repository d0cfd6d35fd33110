mod mcp_conformance_tests;
mod mcp_failure_tests;
mod mcp_remote_tests;
mod mcp_tests;
